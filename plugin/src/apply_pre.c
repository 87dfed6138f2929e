/* Pre-sync: every pre-sync step in one transaction, so that a failure leaves nothing behind.
 * What already exists on the destination is decided by the on-existing policy:
 *  - error (default): if any object the plan would create exists (schemas and extensions
 *    aside: creating tables in an existing schema is normal), refuse, naming them;
 *  - skip: objects that exist with the same definition are unchanged, with another one they
 *    are conflicts (left alone, reported); the rest is created;
 *  - replace: the selected tables that exist are dropped (with what depends on them) first,
 *    then as skip;
 *  - strip: as skip, after dropping the deferred objects of the existing selected tables
 *    (strip.c), which post-sync then re-creates.
 *
 * Very large schemas do not fit one transaction: every table created takes a few locks (the
 * table, its TOAST table and index), and the server's lock table holds only
 * max_locks_per_transaction * (max_connections + max_prepared_transactions) of them (6 400 by
 * default: about 1 500 tables). So the steps run in as few transactions as the lock budget
 * allows — a quarter of the lock table each, to leave room for other sessions — and if a later
 * transaction fails, what the earlier ones created is dropped again (each object this run
 * created, newest first, with CASCADE), so the user still gets all or nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "connection.h"
#include "destination.h"
#include "handle.h"
#include "strbuf.h"
#include "strip.h"

#define ST(x) NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_##x
#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define OE(x) NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_##x
#define PRE NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC

/* Locks a step takes that stay held until its transaction ends. */
static size_t lock_estimate(const Neosync__Plugin__V1__Step *s)
{
	switch (s->kind) {
	case K(TABLE): return 4;            /* table, TOAST table, TOAST index, row type */
	case K(PARTITION_ATTACH): return 3; /* parent, partition, default partition */
	case K(SEQUENCE): return 2;
	default: return 1;
	}
}

/* How many locks one pre-sync transaction may take: a quarter of the server's lock table. */
static size_t lock_budget(PGconn *dst)
{
	PGresult *res = PQexec(dst, "SELECT pg_catalog.current_setting('max_locks_per_transaction')::int8 * "
				    "(pg_catalog.current_setting('max_connections')::int8 + "
				    "pg_catalog.current_setting('max_prepared_transactions')::int8)");
	size_t budget = 1600; /* the default server's quarter, if the settings cannot be read */
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		budget = (size_t)atoll(PQgetvalue(res, 0, 0)) / 4;
	PQclear(res);
	return budget < 64 ? 64 : budget;
}

/* The DROP that undoes a step this run created, or NULL when the step creates nothing that
 * must be dropped by itself (comments, attaches, owned-by: they go with their objects). */
static bool undo_sql(const Neosync__Plugin__V1__Step *s, nsp_strbuf *sql)
{
	const char *what = NULL;
	switch (s->kind) {
	case K(SCHEMA): what = "SCHEMA"; break;
	case K(TABLE): what = "TABLE"; break;
	case K(SEQUENCE):
		if (strstr(s->identity, " OWNED BY") != NULL)
			return false;
		what = "SEQUENCE";
		break;
	case K(TYPE): what = "TYPE"; break;
	case K(DOMAIN): what = "DOMAIN"; break;
	case K(COLLATION): what = "COLLATION"; break;
	case K(EXTENSION):
		nsp_strbuf_append(sql, "DROP EXTENSION IF EXISTS ");
		nsp_strbuf_append_ident(sql, s->name);
		nsp_strbuf_append(sql, " CASCADE;");
		return true;
	case K(FUNCTION):
	case K(AGGREGATE): {
		/* identity is schema.name(identity arguments) */
		size_t prefix = strlen(s->schema) + 1 + strlen(s->name);
		if (strlen(s->identity) <= prefix || s->identity[prefix] != '(')
			return false;
		nsp_strbuf_append(sql, s->kind == K(AGGREGATE) ? "DROP AGGREGATE IF EXISTS "
							       : "DROP ROUTINE IF EXISTS ");
		nsp_strbuf_append_qualified(sql, s->schema, s->name);
		nsp_strbuf_append(sql, s->identity + prefix);
		nsp_strbuf_append(sql, " CASCADE;");
		return true;
	}
	default: return false;
	}
	nsp_strbuf_appendf(sql, "DROP %s IF EXISTS ", what);
	nsp_strbuf_append_qualified(sql, s->schema, s->name);
	nsp_strbuf_append(sql, " CASCADE;");
	return true;
}

/* Drop, newest first, what committed batches created (steps [0, upto) that applied). */
static void undo_committed(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
			   const bool *created, size_t upto)
{
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	nsp_strbuf_append(&sql, "BEGIN;");
	size_t n = 0;
	for (size_t i = upto; i-- > 0;)
		if (created[i] && undo_sql(plan->steps[i], &sql))
			n++;
	nsp_strbuf_append(&sql, "COMMIT;");
	if (n > 0 && !nsp_strbuf_failed(&sql)) {
		PGresult *res = PQexec(dst, sql.data);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			nsp_log(h, NSP_LOG_ERROR,
				"pre-sync: removing what earlier transactions created failed: %s",
				PQresultErrorMessage(res));
		else
			nsp_log(h, NSP_LOG_INFO, "pre-sync: removed the %zu object(s) earlier transactions created", n);
		PQclear(res);
		res = PQexec(dst, "ROLLBACK");
		PQclear(res);
	}
	nsp_strbuf_free(&sql);
}

/* Statements sent in one round trip: up to this many steps, or this many bytes of SQL. A marker
 * query after each step ("SELECT n AS nsp_step") says how far the server got, so a failure is
 * still attributed to its step. */
enum { CHUNK_STEPS = 200, CHUNK_BYTES = 1 << 20 };

typedef struct chunk {
	nsp_strbuf sql;
	size_t idx[CHUNK_STEPS]; /* plan indices of the steps in it */
	Neosync__Plugin__V1__StepResult *res[CHUNK_STEPS];
	size_t n;
} chunk;

/* Send the chunk; mark its steps applied as their markers come back. Returns the plan index of
 * the step that failed (its result holds the error), SIZE_MAX when all applied. */
static size_t flush_chunk(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
			  chunk *c, bool *created, size_t *done, size_t total)
{
	size_t failed = SIZE_MAX, next = 0;
	if (c->n == 0)
		return failed;
	uint64_t last = nsp_now_us();
	if (nsp_strbuf_failed(&c->sql) || !PQsendQuery(dst, c->sql.data)) {
		nsp_result_set_pg_error(c->res[0], NULL, dst);
		failed = c->idx[0];
	}
	PGresult *res;
	while (failed == SIZE_MAX && (res = PQgetResult(dst)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK && PQnfields(res) == 1 && strcmp(PQfname(res, 0), "nsp_step") == 0 &&
		    next < c->n) {
			/* A step's marker: every statement of the step ran. */
			Neosync__Plugin__V1__StepResult *r = c->res[next];
			uint64_t now = nsp_now_us();
			r->status = ST(APPLIED);
			r->duration_us = now - last;
			last = now;
			created[c->idx[next]] = true;
			const Neosync__Plugin__V1__Step *s = plan->steps[c->idx[next]];
			nsp_progress(h, PRE, s->id, s->identity, r->status, (uint32_t)++*done, (uint32_t)total, NULL);
			next++;
		} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
			size_t k = next < c->n ? next : c->n - 1;
			nsp_result_set_pg_error(c->res[k], res, dst);
			failed = c->idx[k];
		}
		PQclear(res);
	}
	while ((res = PQgetResult(dst)) != NULL) /* drain what is left after a failure */
		PQclear(res);
	nsp_strbuf_reset(&c->sql);
	c->n = 0;
	return failed;
}

static void chunk_add(chunk *c, size_t i, const Neosync__Plugin__V1__Step *s,
		      Neosync__Plugin__V1__StepResult *r)
{
	/* The newline ends a trailing "--" comment of the step before the marker. */
	nsp_strbuf_append(&c->sql, s->sql);
	nsp_strbuf_appendf(&c->sql, "\n;SELECT %zu AS nsp_step;\n", i);
	c->idx[c->n] = i;
	c->res[c->n++] = r;
}

static int oom(nsp_error *err)
{
	return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			     "out of memory recording step results");
}

/* Under `error`, list the existing objects (at most 10 by name) and refuse. */
static int refuse_existing(const Neosync__Plugin__V1__Plan *plan, const nsp_presence *presence,
			   nsp_error *err)
{
	nsp_strbuf names;
	nsp_strbuf_init(&names);
	size_t count = 0;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != PRE || s->kind == K(SCHEMA) || s->kind == K(EXTENSION) ||
		    (presence[i] != NSP_PRESENCE_SAME && presence[i] != NSP_PRESENCE_DIFFERENT))
			continue;
		if (count++ < 10)
			nsp_strbuf_appendf(&names, "%s%s", count > 1 ? ", " : "", s->identity);
	}
	if (count > 0)
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_EXISTS,
			      "the destination already has %zu of the objects pre-sync would create (%s%s); "
			      "nothing was changed. Use an empty destination, or set options.onExisting to "
			      "skip (keep what exists), replace (drop and recreate the selected tables) "
			      "or strip",
			      count, names.data, count > 10 ? ", ..." : "");
	nsp_strbuf_free(&names);
	return count > 0 ? -1 : 0;
}

/* Under `replace`: drop the existing selected tables, with what depends on them. */
static int drop_existing_tables(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
				nsp_presence *presence, nsp_error *err)
{
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	size_t n = 0;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != PRE || s->kind != K(TABLE) || s->skip_reason[0] != '\0' ||
		    (presence[i] != NSP_PRESENCE_SAME && presence[i] != NSP_PRESENCE_DIFFERENT))
			continue;
		nsp_strbuf_append(&sql, n++ ? ", " : "DROP TABLE IF EXISTS ");
		nsp_strbuf_append_qualified(&sql, s->schema, s->name);
		presence[i] = NSP_PRESENCE_MISSING;
	}
	int rc = 0;
	if (n > 0) {
		nsp_strbuf_append(&sql, " CASCADE;");
		nsp_log(h, NSP_LOG_INFO, "replace: dropping %zu existing table(s) and what depends on them", n);
		rc = nsp_strbuf_failed(&sql) ? oom(err)
					     : nsp_conn_exec(dst, sql.data, "dropping the tables to replace", err);
	}
	nsp_strbuf_free(&sql);
	return rc;
}

/* Run one step inside the transaction. `guard`: inside a savepoint, so that "already exists"
 * (for kinds the probe cannot check) leaves the transaction usable and counts as unchanged. */
static bool run_in_tx(PGconn *dst, const Neosync__Plugin__V1__Step *s, bool guard,
		      Neosync__Plugin__V1__StepResult *r)
{
	if (s->sql[0] == '\0') {
		r->status = ST(UNCHANGED);
		nsp_result_set_message(r, "exists in every database");
		return true;
	}
	if (guard) {
		PGresult *sp = PQexec(dst, "SAVEPOINT nsp_step");
		PQclear(sp);
	}
	uint64_t start = nsp_now_us();
	PGresult *res = PQexec(dst, s->sql);
	r->duration_us = nsp_now_us() - start;
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (ok) {
		r->status = ST(APPLIED);
	} else if (guard && nsp_sqlstate_is_duplicate(PQresultErrorField(res, PG_DIAG_SQLSTATE))) {
		PGresult *rb = PQexec(dst, "ROLLBACK TO SAVEPOINT nsp_step");
		PQclear(rb);
		r->status = ST(UNCHANGED);
		nsp_result_set_message(r, "already exists on the destination");
		ok = true;
	} else {
		nsp_result_set_pg_error(r, res, dst);
	}
	PQclear(res);
	if (guard && ok && r->status == ST(APPLIED)) {
		PGresult *rel = PQexec(dst, "RELEASE SAVEPOINT nsp_step");
		PQclear(rel);
	}
	return ok;
}

int nsp_apply_pre(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		  Neosync__Plugin__V1__Plan *plan, nsp_results *results, nsp_error *err)
{
	Neosync__Plugin__V1__OnExisting policy = opts ? opts->on_existing : OE(ERROR);
	/* Steps strip may append are post-sync: only the first n_orig are looked at here. */
	size_t n_orig = plan->n_steps;
	size_t n = n_orig ? n_orig : 1;
	nsp_presence *presence = calloc(n, sizeof(*presence));
	char **detail = calloc(n, sizeof(*detail));
	int rc = -1;
	if (presence == NULL || detail == NULL) {
		oom(err);
		goto out;
	}
	if (nsp_destination_probe(dst, plan, PRE, presence, detail, err) != 0)
		goto out;
	if (policy == OE(ERROR) && refuse_existing(plan, presence, err) != 0)
		goto out;
	size_t budget = lock_budget(dst);
	bool *created = calloc(n, sizeof(*created));
	if (created == NULL) {
		oom(err);
		goto out;
	}
	if (nsp_conn_exec_simple(dst, "BEGIN", err) != 0) {
		free(created);
		goto out;
	}
	size_t stripped = 0;
	if ((policy == OE(REPLACE) &&
	     (drop_existing_tables(h, dst, plan, presence, err) != 0 ||
	      /* CASCADE also dropped what the tables owned (sequences): probe again */
	      nsp_destination_probe(dst, plan, PRE, presence, detail, err) != 0)) ||
	    (policy == OE(STRIP) && nsp_strip_prepare(h, dst, plan, &stripped, err) != 0)) {
		PGresult *res = PQexec(dst, "ROLLBACK");
		PQclear(res);
		free(created);
		goto out;
	}

	size_t total = 0, done = 0;
	for (size_t i = 0; i < plan->n_steps; i++)
		total += plan->steps[i]->phase == PRE;
	const Neosync__Plugin__V1__Step *failed = NULL;
	size_t first_result = results->n;
	size_t used = 0, batches = 1, batch_start = 0;
	size_t reported_upto = 0; /* plan index after the last step that has a result */
	chunk ch;
	nsp_strbuf_init(&ch.sql);
	ch.n = 0;
	for (size_t i = 0; i < plan->n_steps && failed == NULL; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != PRE)
			continue;
		/* A new transaction when this one's share of the lock table is used up. */
		if (used > 0 && used + lock_estimate(s) > budget) {
			size_t f = flush_chunk(h, dst, plan, &ch, created, &done, total);
			if (f != SIZE_MAX) {
				failed = plan->steps[f];
				break;
			}
			if (nsp_conn_exec_simple(dst, "COMMIT", err) != 0 ||
			    nsp_conn_exec_simple(dst, "BEGIN", err) != 0) {
				failed = s;
				break;
			}
			batches++;
			batch_start = i;
			used = 0;
		}
		used += lock_estimate(s);
		Neosync__Plugin__V1__StepResult *r = nsp_results_add(results, s, ST(APPLIED), NULL);
		reported_upto = i + 1;
		if (r == NULL) {
			oom(err);
			failed = s;
			break;
		}
		if (nsp_cancelled(h)) {
			r->status = ST(SKIPPED);
			nsp_result_set_message(r, "cancelled");
			failed = s;
			nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CANCELLED,
				      "pre-sync cancelled before step %u (%s); nothing was applied", s->id,
				      s->identity);
			break;
		}
		if (s->skip_reason[0] != '\0') {
			r->status = ST(SKIPPED);
			nsp_result_set_message(r, s->skip_reason);
		} else if (presence[i] == NSP_PRESENCE_SAME) {
			r->status = ST(UNCHANGED);
			nsp_result_set_message(r, "already exists on the destination");
		} else if (presence[i] == NSP_PRESENCE_DIFFERENT) {
			r->status = ST(CONFLICT);
			char msg[1024];
			snprintf(msg, sizeof(msg),
				 "exists on the destination with another definition; left as it is "
				 "(destination: %.800s)",
				 detail[i] ? detail[i] : "?");
			nsp_result_set_message(r, msg);
		} else if (s->sql[0] != '\0' &&
			   !(policy != OE(ERROR) && presence[i] == NSP_PRESENCE_UNKNOWN)) {
			/* The common case: into the chunk, applied when its marker comes back. */
			chunk_add(&ch, i, s, r);
			if (ch.n == CHUNK_STEPS || ch.sql.len >= CHUNK_BYTES) {
				size_t f = flush_chunk(h, dst, plan, &ch, created, &done, total);
				if (f != SIZE_MAX)
					failed = plan->steps[f];
			}
			continue;
		} else {
			/* Guarded (savepoint) steps run alone, after what is pending. */
			size_t f = flush_chunk(h, dst, plan, &ch, created, &done, total);
			if (f != SIZE_MAX) {
				failed = plan->steps[f];
				break;
			}
			if (!run_in_tx(dst, s, policy != OE(ERROR) && presence[i] == NSP_PRESENCE_UNKNOWN, r))
				failed = s;
			else
				created[i] = r->status == ST(APPLIED);
		}
		nsp_progress(h, PRE, s->id, s->identity, r->status, (uint32_t)++done, (uint32_t)total, NULL);
	}
	if (failed == NULL) {
		size_t f = flush_chunk(h, dst, plan, &ch, created, &done, total);
		if (f != SIZE_MAX)
			failed = plan->steps[f];
	}
	nsp_strbuf_free(&ch.sql);
	if (failed != NULL && err->code == NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK) {
		const Neosync__Plugin__V1__StepResult *fr = NULL;
		for (size_t k = first_result; k < results->n; k++)
			if (results->items[k]->step_id == failed->id)
				fr = results->items[k];
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
			      "pre-sync step %u (%s) failed: %s%s%s; the transaction was rolled back, "
			      "nothing was created",
			      failed->id, failed->identity, fr ? fr->message : "?",
			      fr && fr->sqlstate[0] ? " SQLSTATE " : "", fr ? fr->sqlstate : "");
		if (fr)
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", fr->sqlstate);
	}
	if (failed != NULL) {
		PGresult *res = PQexec(dst, "ROLLBACK");
		PQclear(res);
		if (batches > 1) {
			/* Earlier transactions committed: remove what they created. */
			undo_committed(h, dst, plan, created, batch_start);
			size_t len = strlen(err->message);
			snprintf(err->message + len, sizeof(err->message) - len,
				 " (pre-sync ran in %zu transactions to fit the server's lock table; what "
				 "the earlier ones created was removed again)",
				 batches);
		}
		/* Steps before the failure were undone with it; the rest never ran. */
		char reason[512];
		snprintf(reason, sizeof(reason), "rolled back: pre-sync step %u (%s) did not apply",
			 failed->id, failed->identity);
		for (size_t i = first_result; i < results->n; i++)
			if (results->items[i]->status == ST(APPLIED)) {
				results->items[i]->status = ST(SKIPPED);
				nsp_result_set_message(results->items[i], reason);
			}
		for (size_t i = reported_upto; i < plan->n_steps; i++) {
			const Neosync__Plugin__V1__Step *s = plan->steps[i];
			if (s->phase == PRE &&
			    nsp_results_add(results, s, ST(SKIPPED), reason) == NULL) {
				oom(err);
				break;
			}
		}
		free(created);
		goto out;
	}
	free(created);
	if (batches > 1)
		nsp_log(h, NSP_LOG_INFO, "pre-sync: %zu transactions of at most %zu locks each", batches, budget);
	rc = nsp_conn_exec_simple(dst, "COMMIT", err);
out:
	for (size_t i = 0; detail != NULL && i < n_orig; i++)
		free(detail[i]);
	free(detail);
	free(presence);
	return rc;
}
