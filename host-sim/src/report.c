#include "report.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_proto.h"

void nsp_report_init(nsp_report *r)
{
	memset(r, 0, sizeof(*r));
}

void nsp_report_free(nsp_report *r)
{
	for (size_t i = 0; i < r->nhooks; i++) {
		nsp_report_hook *h = &r->hooks[i];
		free(h->name);
		if (h->pre != NULL)
			neosync__plugin__v1__pre_sync_response__free_unpacked(h->pre, NULL);
		if (h->post != NULL)
			neosync__plugin__v1__post_sync_response__free_unpacked(h->post, NULL);
	}
	free(r->hooks);
	free(r->job_id);
	nsp_hydrate_tables_free(r->tables, r->ntables);
	nsp_report_init(r);
}

const char *nsp_report_step_status_name(Neosync__Plugin__V1__StepStatus s)
{
	switch (s) {
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED:
		return "applied";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED:
		return "failed";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_SKIPPED:
		return "skipped";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_UNCHANGED:
		return "unchanged";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_CONFLICT:
		return "conflict";
	default:
		return "unspecified";
	}
}

const char *nsp_report_error_code_name(Neosync__Plugin__V1__ErrorCode c)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__error_code__descriptor, (int)c);
	if (v == NULL)
		return "UNKNOWN";
	/* "ERROR_CODE_PARTIAL" -> "PARTIAL" */
	return strncmp(v->name, "ERROR_CODE_", 11) == 0 ? v->name + 11 : v->name;
}

static const char *kind_name(Neosync__Plugin__V1__ObjectKind k)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor, (int)k);
	if (v == NULL)
		return "OBJECT";
	return strncmp(v->name, "OBJECT_KIND_", 12) == 0 ? v->name + 12 : v->name;
}

typedef struct counts {
	unsigned applied, failed, skipped, unchanged, conflicts;
} counts;

static void count_results(Neosync__Plugin__V1__StepResult *const *results, size_t n,
			  const Neosync__Plugin__V1__Summary *summary, counts *c)
{
	memset(c, 0, sizeof(*c));
	if (n == 0 && summary != NULL) {
		c->applied = summary->applied;
		c->failed = summary->failed;
		c->skipped = summary->skipped;
		c->unchanged = summary->unchanged;
		c->conflicts = summary->conflicts;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		switch (results[i]->status) {
		case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED:
			c->applied++;
			break;
		case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED:
			c->failed++;
			break;
		case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_SKIPPED:
			c->skipped++;
			break;
		case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_UNCHANGED:
			c->unchanged++;
			break;
		case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_CONFLICT:
			c->conflicts++;
			break;
		default:
			/* A result without a status is not a success: count it as failed. */
			c->failed++;
			break;
		}
	}
}

static bool code_is_fatal(const Neosync__Plugin__V1__Error *e)
{
	return e != NULL && e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK &&
	       e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_PARTIAL;
}

static bool code_is_partial(const Neosync__Plugin__V1__Error *e)
{
	return e != NULL && e->code == NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_PARTIAL;
}

int nsp_report_exit_status(const nsp_report *r)
{
	if (r->fatal[0] != '\0')
		return 1;
	bool incomplete = false;
	counts c;
	for (size_t i = 0; i < r->nhooks; i++) {
		const nsp_report_hook *h = &r->hooks[i];
		if (h->pre != NULL) {
			if (code_is_fatal(h->pre->error))
				return 1;
			count_results(h->pre->results, h->pre->n_results, h->pre->summary, &c);
			if (c.failed || c.skipped || c.conflicts || code_is_partial(h->pre->error))
				incomplete = true;
		}
		if (h->post != NULL) {
			if (code_is_fatal(h->post->error))
				return 1;
			count_results(h->post->results, h->post->n_results, h->post->summary, &c);
			if (c.failed || c.skipped || c.conflicts || code_is_partial(h->post->error))
				incomplete = true;
		}
	}
	for (size_t i = 0; i < r->ntables; i++)
		if (r->tables[i].error != NULL)
			incomplete = true;
	return incomplete ? 2 : 0;
}

static bool step_not_created(const Neosync__Plugin__V1__PreSyncResponse *pre, uint32_t step_id)
{
	for (size_t k = 0; k < pre->n_results; k++)
		if (pre->results[k]->step_id == step_id &&
		    (pre->results[k]->status == NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED ||
		     pre->results[k]->status == NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_SKIPPED))
			return true;
	return false;
}

int nsp_report_created_tables(const nsp_report *r, nsp_hydrate_ref **refs, size_t *n)
{
	size_t cap = 0;
	bool have_plan = false;
	*refs = NULL;
	*n = 0;
	for (size_t i = 0; i < r->nhooks; i++) {
		const Neosync__Plugin__V1__PreSyncResponse *pre = r->hooks[i].pre;
		if (pre != NULL && pre->plan != NULL) {
			have_plan = true;
			cap += pre->plan->n_steps;
		}
	}
	if (!have_plan)
		return 0;
	*refs = calloc(cap > 0 ? cap : 1, sizeof(**refs));
	if (*refs == NULL)
		return -1;
	for (size_t i = 0; i < r->nhooks; i++) {
		const Neosync__Plugin__V1__PreSyncResponse *pre = r->hooks[i].pre;
		if (pre == NULL || pre->plan == NULL)
			continue;
		for (size_t s = 0; s < pre->plan->n_steps; s++) {
			const Neosync__Plugin__V1__Step *st = pre->plan->steps[s];
			if (st->kind != NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_TABLE ||
			    (st->skip_reason != NULL && st->skip_reason[0] != '\0') ||
			    step_not_created(pre, st->id))
				continue;
			(*refs)[*n].schema = st->schema != NULL ? st->schema : "";
			(*refs)[*n].table = st->name != NULL ? st->name : "";
			(*n)++;
		}
	}
	return 1;
}

static void print_results(FILE *out, Neosync__Plugin__V1__StepResult *const *results, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const Neosync__Plugin__V1__StepResult *s = results[i];
		if (s->status == NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED ||
		    s->status == NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_UNCHANGED)
			continue;
		fprintf(out, "    %-9s %s %s", nsp_report_step_status_name(s->status),
			kind_name(s->kind), s->identity != NULL && s->identity[0] ? s->identity : "?");
		if (s->sqlstate != NULL && s->sqlstate[0] != '\0')
			fprintf(out, " [%s]", s->sqlstate);
		if (s->message != NULL && s->message[0] != '\0')
			fprintf(out, ": %s", s->message);
		if (s->violation_count > 0)
			fprintf(out, " (%lld violating rows)", (long long)s->violation_count);
		fputc('\n', out);
	}
}

static void print_phase_line(FILE *out, const char *hook, const Neosync__Plugin__V1__Error *error,
			     Neosync__Plugin__V1__StepResult *const *results, size_t n,
			     const Neosync__Plugin__V1__Summary *summary, double host_seconds,
			     counts *total)
{
	counts c;
	count_results(results, n, summary, &c);
	double secs = summary != NULL && summary->duration_us > 0 ? (double)summary->duration_us / 1e6
								    : host_seconds;
	fprintf(out,
		"  %s: %u applied, %u failed, %u skipped, %u unchanged, %u conflicts in %.3f s\n",
		hook, c.applied, c.failed, c.skipped, c.unchanged, c.conflicts, secs);
	if (error != NULL && error->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK) {
		fprintf(out, "    error %s", nsp_report_error_code_name(error->code));
		if (error->sqlstate != NULL && error->sqlstate[0] != '\0')
			fprintf(out, " [%s]", error->sqlstate);
		if (error->message != NULL && error->message[0] != '\0')
			fprintf(out, ": %s", error->message);
		fputc('\n', out);
	}
	print_results(out, results, n);
	total->applied += c.applied;
	total->failed += c.failed;
	total->skipped += c.skipped;
	total->unchanged += c.unchanged;
	total->conflicts += c.conflicts;
}

static void human_bytes(uint64_t b, char *out, size_t outlen)
{
	if (b >= (uint64_t)1 << 30)
		snprintf(out, outlen, "%.1f GiB", (double)b / (double)((uint64_t)1 << 30));
	else if (b >= (uint64_t)1 << 20)
		snprintf(out, outlen, "%.1f MiB", (double)b / (double)((uint64_t)1 << 20));
	else if (b >= 1024)
		snprintf(out, outlen, "%.1f KiB", (double)b / 1024.0);
	else
		snprintf(out, outlen, "%llu B", (unsigned long long)b);
}

void nsp_report_print_text(const nsp_report *r, FILE *out)
{
	counts total = {0};
	bool any;

	fprintf(out, "Job %s, run %s\n", r->job_id != NULL && r->job_id[0] ? r->job_id : "(no id)",
		r->run_id[0] ? r->run_id : "-");

	fprintf(out, "Pre-sync\n");
	any = false;
	for (size_t i = 0; i < r->nhooks; i++) {
		const nsp_report_hook *h = &r->hooks[i];
		if (h->pre == NULL)
			continue;
		any = true;
		print_phase_line(out, h->name, h->pre->error, h->pre->results, h->pre->n_results,
				 h->pre->summary, h->pre_seconds, &total);
	}
	if (!any)
		fprintf(out, "  (not run)\n");

	fprintf(out, "Hydration\n");
	if (!r->hydration_ran) {
		fprintf(out, "  (not run)\n");
	} else {
		int64_t rows = 0;
		uint64_t bytes = 0;
		size_t failed = 0;
		size_t width = 5;
		for (size_t i = 0; i < r->ntables; i++) {
			size_t w = strlen(r->tables[i].schema) + 1 + strlen(r->tables[i].table);
			if (w > width)
				width = w;
		}
		if (width > 60)
			width = 60;
		for (size_t i = 0; i < r->ntables; i++) {
			const nsp_hydrate_table *t = &r->tables[i];
			char name[512];
			snprintf(name, sizeof(name), "%s.%s", t->schema, t->table);
			if (t->error != NULL) {
				failed++;
				fprintf(out, "  %-*s  FAILED", (int)width, name);
				if (t->sqlstate[0] != '\0' && strstr(t->error, t->sqlstate) == NULL)
					fprintf(out, " [%s]", t->sqlstate);
				fprintf(out, ": %s\n", t->error);
				continue;
			}
			char hb[32];
			human_bytes(t->bytes, hb, sizeof(hb));
			fprintf(out, "  %-*s  %12lld rows  %10s  %8.3f s\n", (int)width, name,
				(long long)(t->rows > 0 ? t->rows : 0), hb, t->seconds);
			rows += t->rows > 0 ? t->rows : 0;
			bytes += t->bytes;
		}
		char hb[32];
		human_bytes(bytes, hb, sizeof(hb));
		fprintf(out, "  %zu table%s (%s), %zu failed: %lld rows, %s in %.3f s\n", r->ntables,
			r->ntables == 1 ? "" : "s",
			r->tables_from_plan ? "from the pre-sync plan" : "from the job config", failed,
			(long long)rows, hb, r->hydration_seconds);
	}

	fprintf(out, "Post-sync\n");
	any = false;
	for (size_t i = 0; i < r->nhooks; i++) {
		const nsp_report_hook *h = &r->hooks[i];
		if (h->post == NULL)
			continue;
		any = true;
		print_phase_line(out, h->name, h->post->error, h->post->results, h->post->n_results,
				 h->post->summary, h->post_seconds, &total);
	}
	if (!any)
		fprintf(out, "  (not run)\n");

	int status = nsp_report_exit_status(r);
	fprintf(out,
		"Total: %u applied, %u failed, %u skipped, %u unchanged, %u conflicts in %.3f s: %s\n",
		total.applied, total.failed, total.skipped, total.unchanged, total.conflicts,
		r->total_seconds,
		status == 0   ? "complete"
		: status == 2 ? "finished with failed or skipped work (exit status 2)"
			      : "stopped on a fatal error (exit status 1)");
	/* The fatal error itself is reported once, on stderr, by the caller. */
}

/* Seconds as a JSON number with millisecond precision (json-c would print every digit). */
static json_object *seconds_json(double s)
{
	char text[64];
	snprintf(text, sizeof(text), "%.3f", s);
	return json_object_new_double_s(s, text);
}

/* The proto3 JSON of msg as a json-c object (NULL when msg is NULL). */
static int proto_json(const ProtobufCMessage *msg, json_object **out, char *err, size_t errlen)
{
	*out = NULL;
	if (msg == NULL)
		return 0;
	char *text = nsp_proto_to_json(msg, false);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory rendering a %s as JSON", msg->descriptor->name);
		return -1;
	}
	*out = json_tokener_parse(text);
	free(text);
	if (*out == NULL) {
		snprintf(err, errlen, "internal error: the JSON of a %s does not parse",
			 msg->descriptor->name);
		return -1;
	}
	return 0;
}

int nsp_report_print_json(const nsp_report *r, FILE *out, bool pretty, char *err, size_t errlen)
{
	json_object *root = json_object_new_object();
	json_object *hooks = json_object_new_array();
	json_object *pre = json_object_new_array();
	json_object *post = json_object_new_array();
	json_object *hyd = json_object_new_object();
	json_object *tables = json_object_new_array();
	int rc = -1;

	if (root == NULL || hooks == NULL || pre == NULL || post == NULL || hyd == NULL ||
	    tables == NULL) {
		snprintf(err, errlen, "out of memory building the JSON report");
		json_object_put(hooks);
		json_object_put(pre);
		json_object_put(post);
		json_object_put(hyd);
		json_object_put(tables);
		goto done;
	}
	json_object_object_add(root, "jobId", json_object_new_string(r->job_id ? r->job_id : ""));
	json_object_object_add(root, "runId", json_object_new_string(r->run_id));
	json_object_object_add(root, "exitStatus", json_object_new_int(nsp_report_exit_status(r)));
	if (r->fatal[0] != '\0')
		json_object_object_add(root, "error", json_object_new_string(r->fatal));
	json_object_object_add(root, "hooks", hooks);
	json_object_object_add(root, "preSync", pre);
	json_object_object_add(root, "hydration", hyd);
	json_object_object_add(root, "postSync", post);
	json_object_object_add(hyd, "ran", json_object_new_boolean(r->hydration_ran));
	json_object_object_add(hyd, "tablesFrom",
			       json_object_new_string(r->tables_from_plan ? "plan" : "config"));
	json_object_object_add(hyd, "seconds", seconds_json(r->hydration_seconds));
	json_object_object_add(hyd, "tables", tables);

	for (size_t i = 0; i < r->nhooks; i++) {
		const nsp_report_hook *h = &r->hooks[i];
		json_object *p = NULL, *q = NULL;
		json_object_array_add(hooks, json_object_new_string(h->name));
		if (proto_json(h->pre != NULL ? &h->pre->base : NULL, &p, err, errlen) != 0)
			goto done;
		json_object_array_add(pre, p); /* null where pre-sync did not run */
		if (proto_json(h->post != NULL ? &h->post->base : NULL, &q, err, errlen) != 0)
			goto done;
		json_object_array_add(post, q);
	}
	for (size_t i = 0; i < r->ntables; i++) {
		const nsp_hydrate_table *t = &r->tables[i];
		json_object *o = json_object_new_object();
		if (o == NULL) {
			snprintf(err, errlen, "out of memory building the JSON report");
			goto done;
		}
		json_object_object_add(o, "schema", json_object_new_string(t->schema));
		json_object_object_add(o, "table", json_object_new_string(t->table));
		json_object_object_add(o, "rows", json_object_new_int64(t->rows));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)t->bytes));
		json_object_object_add(o, "seconds", seconds_json(t->seconds));
		if (t->error != NULL)
			json_object_object_add(o, "error", json_object_new_string(t->error));
		if (t->sqlstate[0] != '\0')
			json_object_object_add(o, "sqlstate", json_object_new_string(t->sqlstate));
		json_object_array_add(tables, o);
	}

	const char *text = json_object_to_json_string_ext(
		root, (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN) |
			      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory rendering the JSON report");
		goto done;
	}
	fprintf(out, "%s\n", text);
	rc = 0;
done:
	json_object_put(root);
	return rc;
}
