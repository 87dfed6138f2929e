#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "pb.h"
#include "strbuf.h"
#include "model_enums.h"

void nsp_result_set_message(Neosync__Plugin__V1__StepResult *r, const char *msg)
{
	if (r->message != protobuf_c_empty_string)
		free(r->message);
	r->message = nsp_pb_str(msg);
}

Neosync__Plugin__V1__StepResult *nsp_results_add(nsp_results *results,
						 const Neosync__Plugin__V1__Step *s,
						 Neosync__Plugin__V1__StepStatus status, const char *message)
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
	if (message)
		nsp_result_set_message(r, message);
	return r;
}

void nsp_result_set_sqlstate(Neosync__Plugin__V1__StepResult *r, const char *state)
{
	if (r->sqlstate != protobuf_c_empty_string)
		free(r->sqlstate);
	r->sqlstate = nsp_pb_str(state);
}

void nsp_result_set_pg_error(Neosync__Plugin__V1__StepResult *r, const PGresult *res, PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	r->status = NSP_STATUS_FAILED;
	if (r->sqlstate != protobuf_c_empty_string)
		free(r->sqlstate);
	r->sqlstate = nsp_pb_str(state);
	nsp_strbuf msg;
	nsp_strbuf_init(&msg);
	if (primary) {
		nsp_strbuf_append(&msg, primary);
	} else {
		/* No result (the connection broke): libpq's message, without its trailing newline. */
		const char *m = PQerrorMessage(conn);
		size_t n = strlen(m);
		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		nsp_strbuf_append_len(&msg, m, n);
	}
	if (detail) {
		nsp_strbuf_append(&msg, " (");
		nsp_strbuf_append(&msg, detail);
		nsp_strbuf_append(&msg, ")");
	}
	/* One line: libpq's messages about broken connections span several. */
	for (char *p = msg.data; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	nsp_result_set_message(r, msg.data);
	nsp_strbuf_free(&msg);
}

bool nsp_sqlstate_is_duplicate(const char *sqlstate)
{
	static const char *const dup[] = {"42710", "42P07", "42723", "42P06", "42P04", "42712", "42P16"};
	for (size_t i = 0; sqlstate && i < sizeof(dup) / sizeof(dup[0]); i++)
		if (strcmp(sqlstate, dup[i]) == 0)
			return true;
	return false;
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
		case NSP_STATUS_APPLIED: sum->applied++; break;
		case NSP_STATUS_SKIPPED: sum->skipped++; break;
		case NSP_STATUS_UNCHANGED: sum->unchanged++; break;
		case NSP_STATUS_CONFLICT: sum->conflicts++; break;
		case NSP_STATUS_FAILED: {
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
