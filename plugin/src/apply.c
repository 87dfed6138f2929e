#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connection.h"
#include "handle.h"
#include "pb.h"
#include "strbuf.h"

#define ST(x) NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_##x
#define PRE NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC
#define POST NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int nsp_apply_prepare_session(PGconn *dst, unsigned lock_timeout_ms, unsigned statement_timeout_ms,
			      nsp_error *err)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT pg_catalog.set_config('search_path', '', false);"
		 "SET check_function_bodies = false; SET client_min_messages = warning;"
		 "SET lock_timeout = %u; SET statement_timeout = %u; SET row_security = off;",
		 lock_timeout_ms ? lock_timeout_ms : 10000u, statement_timeout_ms);
	PGresult *res = PQexec(dst, sql);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
				      "preparing the destination session", res, dst);
	PQclear(res);
	return rc;
}

static Neosync__Plugin__V1__StepResult *add_result(nsp_results *results,
						   const Neosync__Plugin__V1__Step *s,
						   Neosync__Plugin__V1__StepStatus status)
{
	Neosync__Plugin__V1__StepResult *r = malloc(sizeof(*r));
	if (r == NULL)
		return NULL;
	neosync__plugin__v1__step_result__init(r);
	Neosync__Plugin__V1__StepResult **slot =
		nsp_pb_push(&results->items, &results->n, sizeof(*results->items));
	if (slot == NULL) {
		free(r);
		return NULL;
	}
	*slot = r;
	r->step_id = s->id;
	r->phase = s->phase;
	r->kind = s->kind;
	r->identity = nsp_pb_str(s->identity);
	r->status = status;
	return r;
}

static void set_message(Neosync__Plugin__V1__StepResult *r, const char *msg)
{
	if (r->message != protobuf_c_empty_string)
		free(r->message);
	r->message = nsp_pb_str(msg);
}

/* Run one step's SQL; fill r with the outcome (SQLSTATE and PostgreSQL's message on failure). */
static bool run_step(PGconn *dst, const Neosync__Plugin__V1__Step *s,
		     Neosync__Plugin__V1__StepResult *r)
{
	if (s->sql[0] == '\0') {
		/* Objects every database has (the public schema): nothing to run. */
		r->status = ST(UNCHANGED);
		set_message(r, "exists in every database");
		return true;
	}
	uint64_t start = now_us();
	PGresult *res = PQexec(dst, s->sql);
	r->duration_us = now_us() - start;
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		r->status = ST(APPLIED);
		PQclear(res);
		return true;
	}
	r->status = ST(FAILED);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	r->sqlstate = nsp_pb_str(state);
	nsp_strbuf msg;
	nsp_strbuf_init(&msg);
	nsp_strbuf_append(&msg, primary ? primary : PQerrorMessage(dst));
	if (detail) {
		nsp_strbuf_append(&msg, " (");
		nsp_strbuf_append(&msg, detail);
		nsp_strbuf_append(&msg, ")");
	}
	set_message(r, msg.data);
	nsp_strbuf_free(&msg);
	PQclear(res);
	return false;
}

static int oom(nsp_error *err)
{
	return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			     "out of memory recording step results");
}

int nsp_apply_pre(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
		  nsp_results *results, nsp_error *err)
{
	size_t total = 0, done = 0;
	for (size_t i = 0; i < plan->n_steps; i++)
		total += plan->steps[i]->phase == PRE;
	if (nsp_conn_exec_simple(dst, "BEGIN", err) != 0)
		return -1;
	const Neosync__Plugin__V1__Step *failed = NULL;
	size_t first_result = results->n;
	for (size_t i = 0; i < plan->n_steps && failed == NULL; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != PRE)
			continue;
		Neosync__Plugin__V1__StepResult *r = add_result(results, s, ST(APPLIED));
		if (r == NULL) {
			failed = s;
			break;
		}
		if (nsp_cancelled(h)) {
			r->status = ST(SKIPPED);
			set_message(r, "cancelled");
			failed = s;
			nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CANCELLED,
				      "pre-sync cancelled before step %u (%s); nothing was applied", s->id,
				      s->identity);
			break;
		}
		if (s->skip_reason[0] != '\0') {
			r->status = ST(SKIPPED);
			set_message(r, s->skip_reason);
		} else if (!run_step(dst, s, r)) {
			failed = s;
			nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
				      "pre-sync step %u (%s) failed: %s%s%s; the transaction was rolled "
				      "back, nothing was created",
				      s->id, s->identity, r->message, r->sqlstate[0] ? " SQLSTATE " : "",
				      r->sqlstate);
			err->code = NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED;
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", r->sqlstate);
		}
		nsp_progress(h, PRE, s->id, s->identity, r->status, (uint32_t)++done, (uint32_t)total, NULL);
	}
	if (failed != NULL) {
		PGresult *res = PQexec(dst, "ROLLBACK");
		PQclear(res);
		/* Steps before the failure were undone with it; the rest never ran. */
		char reason[512];
		snprintf(reason, sizeof(reason), "rolled back: pre-sync step %u (%s) failed", failed->id,
			 failed->identity);
		for (size_t i = first_result; i < results->n; i++)
			if (results->items[i]->status == ST(APPLIED)) {
				results->items[i]->status = ST(SKIPPED);
				set_message(results->items[i], reason);
			}
		for (size_t i = 0; i < plan->n_steps; i++) {
			const Neosync__Plugin__V1__Step *s = plan->steps[i];
			if (s->phase != PRE || s->id <= failed->id)
				continue;
			Neosync__Plugin__V1__StepResult *r = add_result(results, s, ST(SKIPPED));
			if (r == NULL)
				return oom(err);
			set_message(r, reason);
		}
		return err->code == NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK ? oom(err) : -1;
	}
	return nsp_conn_exec_simple(dst, "COMMIT", err);
}

/* Index of step results by step id, for the dependency checks of the DAG. */
static const Neosync__Plugin__V1__StepResult *result_of(const nsp_results *results, uint32_t id,
							 size_t first)
{
	for (size_t i = first; i < results->n; i++)
		if (results->items[i]->step_id == id)
			return results->items[i];
	return NULL;
}

static const Neosync__Plugin__V1__Step *step_of(const Neosync__Plugin__V1__Plan *plan, uint32_t id)
{
	if (id >= 1 && id <= plan->n_steps && plan->steps[id - 1]->id == id)
		return plan->steps[id - 1];
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i]->id == id)
			return plan->steps[i];
	return NULL;
}

int nsp_apply_post(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
		   nsp_results *results, nsp_error *err)
{
	size_t total = 0, done = 0;
	for (size_t i = 0; i < plan->n_steps; i++)
		total += plan->steps[i]->phase == POST;
	size_t first = results->n;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != POST)
			continue;
		Neosync__Plugin__V1__StepResult *r = add_result(results, s, ST(SKIPPED));
		if (r == NULL)
			return oom(err);
		char reason[512] = "";
		if (s->skip_reason[0] != '\0')
			snprintf(reason, sizeof(reason), "%s", s->skip_reason);
		for (size_t d = 0; d < s->n_depends_on && reason[0] == '\0'; d++) {
			const Neosync__Plugin__V1__StepResult *dr = result_of(results, s->depends_on[d], first);
			const Neosync__Plugin__V1__Step *ds = step_of(plan, s->depends_on[d]);
			if (ds == NULL || ds->phase != POST)
				continue; /* pre-sync steps were applied by pre-sync */
			if (dr == NULL || dr->status == ST(FAILED) || dr->status == ST(SKIPPED))
				snprintf(reason, sizeof(reason), "depends on step %u (%s), which %s",
					 ds->id, ds->identity,
					 dr && dr->status == ST(FAILED) ? "failed" : "was skipped");
		}
		if (reason[0] == '\0' && nsp_cancelled(h))
			snprintf(reason, sizeof(reason), "cancelled");
		if (reason[0] != '\0')
			set_message(r, reason);
		else
			run_step(dst, s, r);
		nsp_progress(h, POST, s->id, s->identity, r->status, (uint32_t)++done, (uint32_t)total, NULL);
	}
	return 0;
}

Neosync__Plugin__V1__Summary *nsp_results_summarize(const nsp_results *results, uint64_t duration_us)
{
	Neosync__Plugin__V1__Summary *sum = malloc(sizeof(*sum));
	if (sum == NULL)
		return NULL;
	neosync__plugin__v1__summary__init(sum);
	sum->duration_us = duration_us;
	for (size_t i = 0; i < results->n; i++) {
		const Neosync__Plugin__V1__StepResult *r = results->items[i];
		switch (r->status) {
		case ST(APPLIED): sum->applied++; break;
		case ST(SKIPPED): sum->skipped++; break;
		case ST(UNCHANGED): sum->unchanged++; break;
		case ST(CONFLICT): sum->conflicts++; break;
		case ST(FAILED): {
			sum->failed++;
			const char *state = r->sqlstate[0] ? r->sqlstate : "unknown";
			Neosync__Plugin__V1__Summary__FailuresBySqlstateEntry *e = NULL;
			for (size_t k = 0; k < sum->n_failures_by_sqlstate; k++)
				if (strcmp(sum->failures_by_sqlstate[k]->key, state) == 0)
					e = sum->failures_by_sqlstate[k];
			if (e == NULL) {
				e = malloc(sizeof(*e));
				Neosync__Plugin__V1__Summary__FailuresBySqlstateEntry **slot =
					e ? nsp_pb_push(&sum->failures_by_sqlstate,
							&sum->n_failures_by_sqlstate, sizeof(e))
					  : NULL;
				if (slot == NULL) {
					free(e);
					break;
				}
				neosync__plugin__v1__summary__failures_by_sqlstate_entry__init(e);
				e->key = nsp_pb_str(state);
				*slot = e;
			}
			e->value++;
			break;
		}
		default: break;
		}
	}
	return sum;
}
