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
 * What exists and what strip drops was decided while planning (pre_decide.c); the plan is
 * final and signed when it gets here, and is not changed.
 *
 * Very large schemas do not fit one transaction: every table created takes a few locks (the
 * table, its TOAST table and index), and the server's lock table holds only
 * max_locks_per_transaction * (max_connections + max_prepared_transactions) of them (6 400 by
 * default: about 1 500 tables). So the steps run in as few transactions as the lock budget
 * allows — a quarter of the lock table each, to leave room for other sessions — and if a later
 * transaction fails, what the earlier ones created is dropped again (each object this run
 * created, newest first, with CASCADE), so the user still gets all or nothing.
 *
 * Large plans whose steps need no savepoint run on several connections (apply_pre_waves.c);
 * this file is the serial executor, and the pieces both share (apply_pre.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply_pre.h"
#include "dest_compat.h"
#include "connection.h"
#include "pre_decide.h"
#include "model_enums.h"

#define OE(x) NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_##x

size_t nsp_pre_lock_estimate(const Neosync__Plugin__V1__Step *s)
{
	switch (nsp_step_kind(s)) {
	case NSP_KIND_TABLE: return 4;            /* table, TOAST table, TOAST index, row type */
	case NSP_KIND_PARTITION_ATTACH: return 3; /* parent, partition, default partition */
	case NSP_KIND_SEQUENCE: return 2;
	default: return 1;
	}
}

size_t nsp_pre_lock_budget(PGconn *dst)
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
	switch (nsp_step_kind(s)) {
	case NSP_KIND_SCHEMA: what = "SCHEMA"; break;
	case NSP_KIND_TABLE: what = "TABLE"; break;
	case NSP_KIND_SEQUENCE:
		if (strstr(s->identity, " OWNED BY") != NULL)
			return false;
		what = "SEQUENCE";
		break;
	case NSP_KIND_TYPE: what = "TYPE"; break;
	case NSP_KIND_DOMAIN: what = "DOMAIN"; break;
	case NSP_KIND_COLLATION: what = "COLLATION"; break;
	case NSP_KIND_EXTENSION:
		nsp_strbuf_append(sql, "DROP EXTENSION IF EXISTS ");
		nsp_strbuf_append_ident(sql, s->name);
		nsp_strbuf_append(sql, " CASCADE;");
		return true;
	case NSP_KIND_FUNCTION:
	case NSP_KIND_AGGREGATE: {
		/* identity is schema.name(identity arguments) */
		size_t prefix = strlen(s->schema) + 1 + strlen(s->name);
		if (strlen(s->identity) <= prefix || s->identity[prefix] != '(')
			return false;
		nsp_strbuf_append(sql, nsp_step_kind(s) == NSP_KIND_AGGREGATE ? "DROP AGGREGATE IF EXISTS "
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

/* Run the DROPs collected so far in one transaction. */
static bool undo_flush(nsp_plugin *h, PGconn *dst, nsp_strbuf *sql, size_t n)
{
	bool ok = true;
	nsp_strbuf_append(sql, "COMMIT;");
	if (n > 0 && !nsp_strbuf_failed(sql)) {
		PGresult *res = PQexec(dst, sql->data);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			nsp_log(h, NSP_LOG_ERROR,
				"pre-sync: removing what earlier transactions created failed: %s",
				PQresultErrorMessage(res));
			ok = false;
		}
		PQclear(res);
		res = PQexec(dst, "ROLLBACK");
		PQclear(res);
	}
	nsp_strbuf_reset(sql);
	nsp_strbuf_append(sql, "BEGIN;");
	return ok;
}

void nsp_pre_undo(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
		  const bool *created, size_t upto, size_t budget)
{
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	nsp_strbuf_append(&sql, "BEGIN;");
	size_t n = 0, batch = 0, used = 0;
	bool ok = true;
	for (size_t i = upto; ok && i-- > 0;) {
		if (!created[i] || !undo_sql(plan->steps[i], &sql))
			continue;
		n++;
		batch++;
		/* Dropping takes the locks creating took, and the lock table is as small now. */
		used += nsp_pre_lock_estimate(plan->steps[i]);
		if (used >= budget) {
			ok = undo_flush(h, dst, &sql, batch);
			batch = used = 0;
		}
	}
	if (ok)
		ok = undo_flush(h, dst, &sql, batch);
	if (ok && n > 0)
		nsp_log(h, NSP_LOG_INFO, "pre-sync: removed the %zu object(s) earlier transactions created", n);
	nsp_strbuf_free(&sql);
}

size_t nsp_pre_chunk_result(nsp_plugin *h, const Neosync__Plugin__V1__Plan *plan, nsp_pre_chunk *c,
			    PGresult *res, PGconn *conn, bool *created, size_t *done, size_t total)
{
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK && PQnfields(res) == 1 && strcmp(PQfname(res, 0), "nsp_step") == 0 &&
	    c->next < c->n) {
		/* A step's marker: every statement of the step ran. */
		Neosync__Plugin__V1__StepResult *r = c->res[c->next];
		uint64_t now = nsp_now_us();
		r->status = NSP_STATUS_APPLIED;
		r->duration_us = now - c->last;
		c->last = now;
		created[c->idx[c->next]] = true;
		const Neosync__Plugin__V1__Step *s = plan->steps[c->idx[c->next]];
		nsp_progress(h, NSP_PHASE_PRE, s->id, s->identity, r->status, (uint32_t)++*done, (uint32_t)total, NULL);
		c->next++;
	} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		size_t k = c->next < c->n ? c->next : c->n - 1;
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (c->next == 0 && state != NULL && strcmp(state, "42601") == 0) {
			size_t at = nsp_pre_chunk_step_at(c, PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION),
							  PQclientEncoding(conn));
			if (at != SIZE_MAX)
				k = at;
		}
		nsp_result_set_pg_error(c->res[k], res, conn);
		return c->idx[k];
	}
	return SIZE_MAX;
}

size_t nsp_pre_chunk_step_at(const nsp_pre_chunk *c, const char *position, int encoding)
{
	char *end = NULL;
	long chars = position != NULL ? strtol(position, &end, 10) : 0;
	if (chars < 1 || end == position || c->n == 0 || nsp_strbuf_failed(&c->sql))
		return SIZE_MAX;
	size_t off = 0; /* the byte where character number `chars` begins */
	for (long i = 1; i < chars && off < c->sql.len; i++) {
		int len = PQmblen(c->sql.data + off, encoding);
		off += len > 0 ? (size_t)len : 1;
	}
	if (off >= c->sql.len)
		return SIZE_MAX;
	size_t k = SIZE_MAX;
	for (size_t i = 0; i < c->n && c->start[i] <= off; i++)
		k = i;
	return k == SIZE_MAX ? 0 : k; /* before the first step: the chunk's BEGIN, so the first */
}

void nsp_pre_chunk_reset(nsp_pre_chunk *c)
{
	nsp_strbuf_reset(&c->sql);
	c->n = c->next = 0;
}

/* Send the chunk and wait for its results. Returns the plan index of the step that failed (its
 * result holds the error), SIZE_MAX when all applied. */
static size_t flush_chunk(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
			  nsp_pre_chunk *c, bool *created, size_t *done, size_t total)
{
	size_t failed = SIZE_MAX;
	if (c->n == 0)
		return failed;
	c->last = nsp_now_us();
	if (nsp_strbuf_failed(&c->sql) || !PQsendQuery(dst, c->sql.data)) {
		nsp_result_set_pg_error(c->res[0], NULL, dst);
		failed = c->idx[0];
	}
	PGresult *res;
	while (failed == SIZE_MAX && (res = PQgetResult(dst)) != NULL) {
		failed = nsp_pre_chunk_result(h, plan, c, res, dst, created, done, total);
		PQclear(res);
	}
	while ((res = PQgetResult(dst)) != NULL) /* drain what is left after a failure */
		PQclear(res);
	nsp_pre_chunk_reset(c);
	return failed;
}

void nsp_pre_chunk_add(nsp_pre_chunk *c, size_t i, const Neosync__Plugin__V1__Step *s,
		       Neosync__Plugin__V1__StepResult *r)
{
	/* The newline ends a trailing "--" comment of the step before the marker. */
	c->start[c->n] = c->sql.len;
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
		nsp_kind kind = nsp_step_kind(s);
		if (nsp_step_phase(s) != NSP_PHASE_PRE || kind == NSP_KIND_SCHEMA || kind == NSP_KIND_EXTENSION ||
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
		if (nsp_step_phase(s) != NSP_PHASE_PRE || nsp_step_kind(s) != NSP_KIND_TABLE ||
		    s->skip_reason[0] != '\0' ||
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

/* Run one step inside the transaction, in a savepoint: "already exists" (for kinds the probe
 * cannot check) leaves the transaction usable and counts as unchanged. */
static bool run_guarded(PGconn *dst, const Neosync__Plugin__V1__Step *s,
			Neosync__Plugin__V1__StepResult *r)
{
	PGresult *sp = PQexec(dst, "SAVEPOINT nsp_step");
	PQclear(sp);
	uint64_t start = nsp_now_us();
	PGresult *res = PQexec(dst, s->sql);
	r->duration_us = nsp_now_us() - start;
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (ok) {
		r->status = NSP_STATUS_APPLIED;
	} else if (nsp_sqlstate_is_duplicate(PQresultErrorField(res, PG_DIAG_SQLSTATE))) {
		PGresult *rb = PQexec(dst, "ROLLBACK TO SAVEPOINT nsp_step");
		PQclear(rb);
		r->status = NSP_STATUS_UNCHANGED;
		nsp_result_set_message(r, "already exists on the destination");
		ok = true;
	} else {
		nsp_result_set_pg_error(r, res, dst);
	}
	PQclear(res);
	if (ok && r->status == NSP_STATUS_APPLIED) {
		PGresult *rel = PQexec(dst, "RELEASE SAVEPOINT nsp_step");
		PQclear(rel);
	}
	return ok;
}

bool nsp_pre_settle(const Neosync__Plugin__V1__Step *s, nsp_presence presence, const char *detail,
		    Neosync__Plugin__V1__StepResult *r)
{
	if (s->unsupported) {
		/* The destination's major cannot hold it (dest_compat.h). */
		r->status = NSP_STATUS_FAILED;
		nsp_result_set_sqlstate(r, "0A000");
		nsp_result_set_message(r, s->skip_reason);
	} else if (s->skip_reason[0] != '\0') {
		r->status = NSP_STATUS_SKIPPED;
		nsp_result_set_message(r, s->skip_reason);
	} else if (presence == NSP_PRESENCE_SAME) {
		r->status = NSP_STATUS_UNCHANGED;
		nsp_result_set_message(r, "already exists on the destination");
	} else if (presence == NSP_PRESENCE_DIFFERENT) {
		r->status = NSP_STATUS_CONFLICT;
		char msg[1024];
		snprintf(msg, sizeof(msg),
			 "exists on the destination with another definition; left as it is "
			 "(destination: %.800s)",
			 detail ? detail : "?");
		nsp_result_set_message(r, msg);
	} else if (s->sql[0] == '\0') {
		r->status = NSP_STATUS_UNCHANGED;
		nsp_result_set_message(r, "exists in every database");
	} else {
		return false;
	}
	return true;
}

int nsp_pre_mark_rolled_back(const Neosync__Plugin__V1__Plan *plan,
			     const Neosync__Plugin__V1__Step *failed, nsp_results *results,
			     size_t first_result, size_t reported_upto, nsp_error *err)
{
	char reason[512];
	snprintf(reason, sizeof(reason), "rolled back: pre-sync step %u (%s) did not apply", failed->id,
		 failed->identity);
	for (size_t i = first_result; i < results->n; i++)
		if (results->items[i]->status == NSP_STATUS_APPLIED) {
			results->items[i]->status = NSP_STATUS_SKIPPED;
			nsp_result_set_message(results->items[i], reason);
		}
	for (size_t i = reported_upto; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (nsp_step_phase(s) == NSP_PHASE_PRE &&
		    nsp_results_add(results, s, NSP_STATUS_SKIPPED, reason) == NULL)
			return oom(err);
	}
	return 0;
}

void nsp_pre_step_error(const Neosync__Plugin__V1__Step *failed, const nsp_results *results,
			   size_t first_result, nsp_error *err)
{
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

/* A guarded step failed on a destination older than the source: when the error means that
 * server lacks what the step uses, undo the step alone, report it failed with the reason and
 * record it (and what needs it) in `found` (dest_compat.h); the transaction goes on. */
static bool lacks_feature(PGconn *dst, const Neosync__Plugin__V1__Plan *plan, size_t i,
			  Neosync__Plugin__V1__StepResult *r, nsp_compat_found *found)
{
	if (found == NULL || !nsp_dest_compat_lacks_feature(r->sqlstate))
		return false;
	PGresult *rb = PQexec(dst, "ROLLBACK TO SAVEPOINT nsp_step");
	bool ok = PQresultStatus(rb) == PGRES_COMMAND_OK;
	PQclear(rb);
	if (!ok)
		return false;
	char reason[1024];
	snprintf(reason, sizeof(reason), "the destination (PostgreSQL %u) cannot hold it: %.900s",
		 plan->destination_server_version / 10000, r->message);
	nsp_result_set_message(r, reason);
	return nsp_dest_compat_fail_step(plan, found, i, reason) == 0;
}

/* A step that needs one an older destination could not hold: skipped (found by lacks_feature). */
static bool settle_found(const nsp_compat_found *found, size_t i, Neosync__Plugin__V1__StepResult *r)
{
	if (found == NULL || found->reason[i] == NULL)
		return false;
	r->status = NSP_STATUS_SKIPPED;
	nsp_result_set_message(r, found->reason[i]);
	return true;
}

/* The serial executor: every policy, savepoints where the probe cannot tell what exists;
 * every step in a savepoint when the destination is older than the source. */
static int apply_serial(nsp_plugin *h, PGconn *dst, Neosync__Plugin__V1__OnExisting policy,
			const Neosync__Plugin__V1__Plan *plan, const nsp_pre_decisions *decided,
			nsp_compat_found *found, nsp_results *results, nsp_error *err)
{
	size_t budget = nsp_pre_lock_budget(dst);
	bool older = found != NULL;
	size_t n = plan->n_steps ? plan->n_steps : 1;
	bool *created = calloc(n, sizeof(*created));
	/* replace drops tables, and CASCADE what they owned (sequences): it probes again after the
	 * drop, into arrays of its own (the decisions stay as they were made). */
	nsp_presence *reprobed = NULL;
	char **redetail = NULL;
	if (policy == OE(REPLACE)) {
		reprobed = malloc(n * sizeof(*reprobed));
		redetail = calloc(n, sizeof(*redetail));
		if (reprobed != NULL)
			memcpy(reprobed, decided->presence, plan->n_steps * sizeof(*reprobed));
	}
	if (created == NULL || (policy == OE(REPLACE) && (reprobed == NULL || redetail == NULL))) {
		free(created);
		free(reprobed);
		free(redetail);
		return oom(err);
	}
	const nsp_presence *presence = reprobed != NULL ? reprobed : decided->presence;
	char *const *detail = redetail != NULL ? redetail : decided->detail;
	int rc = 0;
	if (nsp_conn_exec_simple(dst, "BEGIN", err) != 0) {
		rc = -1;
		goto out;
	}
	if ((policy == OE(REPLACE) &&
	     (drop_existing_tables(h, dst, plan, reprobed, err) != 0 ||
	      nsp_destination_probe(dst, plan, NSP_PHASE_PRE, reprobed, redetail, err) != 0)) ||
	    (policy == OE(STRIP) && nsp_strip_apply(h, dst, &decided->strip, err) != 0)) {
		PGresult *res = PQexec(dst, "ROLLBACK");
		PQclear(res);
		rc = -1;
		goto out;
	}

	size_t total = 0, done = 0;
	for (size_t i = 0; i < plan->n_steps; i++)
		total += nsp_step_phase(plan->steps[i]) == NSP_PHASE_PRE;
	const Neosync__Plugin__V1__Step *failed = NULL;
	size_t first_result = results->n;
	size_t used = 0, batches = 1, batch_start = 0;
	size_t reported_upto = 0; /* plan index after the last step that has a result */
	nsp_pre_chunk ch = {0};
	nsp_strbuf_init(&ch.sql);
	for (size_t i = 0; i < plan->n_steps && failed == NULL; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (nsp_step_phase(s) != NSP_PHASE_PRE)
			continue;
		/* A new transaction when this one's share of the lock table is used up. */
		if (used > 0 && used + nsp_pre_lock_estimate(s) > budget) {
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
		used += nsp_pre_lock_estimate(s);
		Neosync__Plugin__V1__StepResult *r = nsp_results_add(results, s, NSP_STATUS_APPLIED, NULL);
		reported_upto = i + 1;
		if (r == NULL) {
			oom(err);
			failed = s;
			break;
		}
		if (nsp_cancelled(h)) {
			r->status = NSP_STATUS_SKIPPED;
			nsp_result_set_message(r, "cancelled");
			failed = s;
			nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CANCELLED,
				      "pre-sync cancelled before step %u (%s); nothing was applied", s->id,
				      s->identity);
			break;
		}
		if (settle_found(found, i, r) || nsp_pre_settle(s, presence[i], detail[i], r)) {
			/* known without running */
		} else if (!(policy != OE(ERROR) && presence[i] == NSP_PRESENCE_UNKNOWN) && !older) {
			/* The common case: into the chunk, applied when its marker comes back. */
			nsp_pre_chunk_add(&ch, i, s, r);
			if (ch.n == NSP_PRE_CHUNK_STEPS || ch.sql.len >= NSP_PRE_CHUNK_BYTES) {
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
			if (!run_guarded(dst, s, r)) {
				if (!lacks_feature(dst, plan, i, r, found))
					failed = s;
			} else
				created[i] = r->status == NSP_STATUS_APPLIED;
		}
		nsp_progress(h, NSP_PHASE_PRE, s->id, s->identity, r->status, (uint32_t)++done, (uint32_t)total, NULL);
	}
	if (failed == NULL) {
		size_t f = flush_chunk(h, dst, plan, &ch, created, &done, total);
		if (f != SIZE_MAX)
			failed = plan->steps[f];
	}
	nsp_strbuf_free(&ch.sql);
	if (failed != NULL && err->code == NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK)
		nsp_pre_step_error(failed, results, first_result, err);
	if (failed != NULL) {
		PGresult *res = PQexec(dst, "ROLLBACK");
		PQclear(res);
		if (batches > 1) {
			/* Earlier transactions committed: remove what they created. */
			nsp_pre_undo(h, dst, plan, created, batch_start, budget);
			size_t len = strlen(err->message);
			snprintf(err->message + len, sizeof(err->message) - len,
				 " (pre-sync ran in %zu transactions to fit the server's lock table; what "
				 "the earlier ones created was removed again)",
				 batches);
		}
		/* Steps before the failure were undone with it; the rest never ran. */
		nsp_pre_mark_rolled_back(plan, failed, results, first_result, reported_upto, err);
		rc = -1;
	} else {
		if (batches > 1)
			nsp_log(h, NSP_LOG_INFO, "pre-sync: %zu transactions of at most %zu locks each",
				batches, budget);
		rc = nsp_conn_exec_simple(dst, "COMMIT", err);
	}
out:
	for (size_t i = 0; redetail != NULL && i < plan->n_steps; i++)
		free(redetail[i]);
	free(redetail);
	free(reprobed);
	free(created);
	return rc;
}

int nsp_apply_pre(nsp_plugin *h, PGconn *dst, const char *dst_url,
		  const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		  const Neosync__Plugin__V1__Plan *plan, const nsp_pre_decisions *decided,
		  nsp_compat_found *found, nsp_results *results, nsp_error *err)
{
	Neosync__Plugin__V1__OnExisting policy = opts ? opts->on_existing : OE(ERROR);
	if (decided->n != plan->n_steps || decided->presence == NULL)
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "pre-sync: the plan changed after the destination was probed");
	const nsp_presence *presence = decided->presence;
	if (policy == OE(ERROR) && refuse_existing(plan, presence, err) != 0)
		return -1;
	/* Several connections when nothing must be dropped first and no step needs a savepoint. */
	bool guarded = false;
	for (size_t i = 0; i < plan->n_steps && !guarded; i++)
		guarded = nsp_step_phase(plan->steps[i]) == NSP_PHASE_PRE && policy != OE(ERROR) &&
			  presence[i] == NSP_PRESENCE_UNKNOWN && plan->steps[i]->sql[0] != '\0' &&
			  plan->steps[i]->skip_reason[0] == '\0';
	guarded = guarded || found != NULL; /* every step alone: dest_compat.h */
	int rc = 1;
	if (!guarded && dst_url != NULL && (policy == OE(ERROR) || policy == OE(SKIP)))
		rc = nsp_apply_pre_waves(h, dst, dst_url, opts, plan, presence, decided->detail, results,
					 err);
	if (rc == 1)
		rc = apply_serial(h, dst, policy, plan, decided, found, results, err);
	return rc;
}
