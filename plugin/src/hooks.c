#include "hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "catalog.h"
#include "connection.h"
#include "dest_compat.h"
#include "error.h"
#include "handle.h"
#include "neosync/plugin/v1/plugin.pb-c.h"
#include "pb.h"
#include "plan.h"
#include "plan_verify.h"
#include "pre_decide.h"
#include "selection.h"

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x

/* Pack any response into a buffer the host frees with nsp_hook_free_buffer. */
static int pack_response(const ProtobufCMessage *msg, uint8_t **out, size_t *out_len)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return -1;
	protobuf_c_message_pack(msg, buf);
	*out = buf;
	*out_len = len;
	return 0;
}

static Neosync__Plugin__V1__Error *make_error(const nsp_error *err)
{
	Neosync__Plugin__V1__Error *e = malloc(sizeof(*e));
	if (e == NULL)
		return NULL;
	neosync__plugin__v1__error__init(e);
	e->code = err->code;
	e->message = nsp_pb_str(err->message);
	e->sqlstate = nsp_pb_str(err->sqlstate);
	return e;
}

static int status_of(const nsp_error *err)
{
	switch (err->code) {
	case EC(OK): return NSP_OK;
	case EC(INVALID_ARGUMENT): return NSP_ERR_INVALID_ARGUMENT;
	case EC(ABI): return NSP_ERR_ABI;
	case EC(CANCELLED): return NSP_ERR_CANCELLED;
	case EC(PARTIAL): return NSP_ERR_PARTIAL;
	default: return NSP_ERR_FAILED;
	}
}

static bool valid_args(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	if (out == NULL || out_len == NULL)
		return false;
	*out = NULL;
	*out_len = 0;
	return in != NULL || in_len == 0;
}

int nsp_hook_describe(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	if (h == NULL || !valid_args(in, in_len, out, out_len))
		return NSP_ERR_INVALID_ARGUMENT;
	Neosync__Plugin__V1__DescribeRequest *req =
		neosync__plugin__v1__describe_request__unpack(NULL, in_len, in);
	int status = req ? NSP_OK : NSP_ERR_INVALID_ARGUMENT;
	neosync__plugin__v1__describe_request__free_unpacked(req, NULL);

	static char *capabilities[] = {"pre_sync", "post_sync", "plan", "progress", "dry_run"};
	Neosync__Plugin__V1__PluginInfo info = NEOSYNC__PLUGIN__V1__PLUGIN_INFO__INIT;
	info.name = NSP_PLUGIN_NAME;
	info.version = NSP_PLUGIN_VERSION;
	info.abi_major = NSP_ABI_MAJOR;
	info.abi_minor = NSP_ABI_MINOR;
	info.capabilities = capabilities;
	info.n_capabilities = sizeof(capabilities) / sizeof(capabilities[0]);
	info.description = "Creates bare tables before a Neosync sync and applies keys, indexes, "
			   "constraints, triggers, views and the rest after it";
	Neosync__Plugin__V1__DescribeResponse resp = NEOSYNC__PLUGIN__V1__DESCRIBE_RESPONSE__INIT;
	resp.info = &info;
	if (pack_response(&resp.base, out, out_len) != 0)
		return NSP_ERR_NOMEM;
	return status;
}

static bool enum_ok(const ProtobufCEnumDescriptor *d, int value)
{
	return protobuf_c_enum_descriptor_get_value(d, value) != NULL;
}

/* Checks shared by both hooks; a failure names the field and what to do. */
static int validate_common(const Neosync__Plugin__V1__Connection *source,
			   const Neosync__Plugin__V1__Connection *destination,
			   const Neosync__Plugin__V1__SchemaPluginOptions *opts, bool need_source,
			   nsp_error *err)
{
	if (need_source && (source == NULL || source->postgres == NULL))
		return nsp_error_set(err, EC(INVALID_ARGUMENT), "source: missing (set source.postgres.url)");
	if (destination == NULL || destination->postgres == NULL)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "destination: missing (set destination.postgres.url)");
	if (need_source && nsp_conn_check_url(source->postgres->url, "source", err) != 0)
		return -1;
	if (nsp_conn_check_url(destination->postgres->url, "destination", err) != 0)
		return -1;
	if (opts != NULL) {
		if (!enum_ok(&neosync__plugin__v1__on_existing__descriptor, opts->on_existing))
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "options.onExisting: unknown value %d", opts->on_existing);
		if (!enum_ok(&neosync__plugin__v1__fk_mode__descriptor, opts->fk_mode))
			return nsp_error_set(err, EC(INVALID_ARGUMENT), "options.fkMode: unknown value %d",
					     opts->fk_mode);
		for (size_t i = 0; i < opts->n_defer; i++)
			if (!enum_ok(&neosync__plugin__v1__deferrable_kind__descriptor, opts->defer[i]) ||
			    opts->defer[i] == NEOSYNC__PLUGIN__V1__DEFERRABLE_KIND__DEFERRABLE_KIND_UNSPECIFIED)
				return nsp_error_set(err, EC(INVALID_ARGUMENT),
						     "options.defer[%zu]: unknown value %d", i, opts->defer[i]);
		if (opts->parallelism > 64)
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "options.parallelism: %u is more than 64", opts->parallelism);
	}
	return 0;
}

static void remember_ids(nsp_plugin *h, const char *job_id, const char *run_id)
{
	snprintf(h->job_id, sizeof(h->job_id), "%s", job_id ? job_id : "");
	snprintf(h->run_id, sizeof(h->run_id), "%s", run_id ? run_id : "");
}

static unsigned opt_connect_timeout(const Neosync__Plugin__V1__SchemaPluginOptions *o)
{
	return o ? o->connect_timeout_s : 0;
}

/* Introspect the source and plan. */
typedef struct table_selection {
	Neosync__Plugin__V1__TableRef **include, **exclude;
	size_t n_include, n_exclude;
} table_selection;

/* The destination's server_version_num, for what its major can hold (dest_compat.h): from the
 * session pre-sync applies on when there is one; otherwise (a dry run, a post-sync replan) from a
 * short connection, and 0 with a warning when it cannot be made (or dst_url is NULL): the plan
 * then assumes the destination holds whatever the source has. */
static int destination_version(nsp_plugin *h, const char *dst_url, PGconn *dst,
			       const Neosync__Plugin__V1__SchemaPluginOptions *opts)
{
	if (dst != NULL)
		return PQserverVersion(dst);
	if (dst_url == NULL)
		return 0;
	PGconn *conn = NULL;
	nsp_error ignored;
	nsp_error_clear(&ignored);
	int version = 0;
	if (nsp_conn_open(dst_url, "destination", opt_connect_timeout(opts), &conn, &ignored) == 0)
		version = PQserverVersion(conn);
	else
		nsp_log(h, NSP_LOG_WARNING,
			"the plan does not check what the destination's PostgreSQL major can hold: %s",
			ignored.message);
	PQfinish(conn);
	return version;
}

static int plan_from_source(nsp_plugin *h, const char *source_url, const char *dst_url,
			    PGconn *dst, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
			    const char *job_id, const table_selection *sel,
			    Neosync__Plugin__V1__Plan **plan, nsp_error *err)
{
	PGconn *src = NULL;
	if (nsp_conn_open(source_url, "source", opt_connect_timeout(opts), &src, err) != 0)
		return -1;
	if (nsp_verify_source_version(PQserverVersion(src), err) != 0) { /* plan_verify.h */
		PQfinish(src);
		return -1;
	}
	int dst_version = destination_version(h, dst_url, dst, opts);
	nsp_model model;
	if (nsp_model_init(&model) != 0) {
		PQfinish(src);
		return nsp_error_set(err, EC(INTERNAL), "out of memory");
	}
	model.dst_version = dst_version;
	nsp_catalog_stats stats = {0};
	int rc = nsp_catalog_load(src, source_url, opts, &model, err, &stats);
	PQfinish(src);
	if (rc == 0) {
		nsp_log(h, NSP_LOG_INFO,
			"read %zu objects from the source catalog in %u queries in %.3f s (%s)",
			model.nobjects, stats.queries, stats.seconds, stats.breakdown);
		rc = nsp_selection_apply(&model, sel->include, sel->n_include, sel->exclude,
					 sel->n_exclude, err);
	}
	if (rc == 0) {
		if (sel->n_include > 0 || sel->n_exclude > 0)
			nsp_log(h, NSP_LOG_INFO, "%zu objects concern the selected tables", model.nobjects);
		rc = nsp_dest_compat_mark(&model, dst_version, err);
	}
	if (rc == 0)
		rc = nsp_plan_build(&model, opts, job_id, plan, err);
	if (rc == 0)
		(*plan)->destination_server_version = (uint32_t)(dst_version > 0 ? dst_version : 0);
	nsp_model_free(&model);
	return rc;
}

/* After planning from the source: decide what the destination needs (unless dry_run), which
 * completes the plan; sign it, once (with NEOSYNC_PLAN_KEY set: plan_verify.h); then apply it,
 * const, with those decisions. The response carries the signed plan also when pre-sync cannot go
 * on after planning. On a destination older than the source, what pre-sync finds it lacks is
 * written into the plan afterwards (dest_compat.h), which is then signed again. */
static void pre_sync_plan_and_apply(nsp_plugin *h, const Neosync__Plugin__V1__PreSyncRequest *req,
				    PGconn *dst, Neosync__Plugin__V1__Plan *plan, nsp_results *results,
				    nsp_error *err)
{
	nsp_pre_decisions decided = {0};
	nsp_compat_found found = {0};
	bool older = nsp_dest_compat_older(plan);
	bool go = !req->dry_run && dst != NULL &&
		  nsp_verify_distinct_databases(dst, req->source->postgres->url,
						opt_connect_timeout(req->options), err) == 0 &&
		  nsp_pre_decide(dst, req->options, plan, &decided, err) == 0;
	if (go && older && nsp_compat_found_init(&found, plan->n_steps) != 0) {
		nsp_error_set(err, EC(INTERNAL), "out of memory");
		go = false;
	}
	nsp_error sign_err;
	nsp_error_clear(&sign_err);
	if (nsp_plan_sign(plan, &sign_err) != 0) {
		if (err->code == EC(OK))
			*err = sign_err;
		go = false;
	}
	if (go)
		nsp_apply_pre(h, dst, req->destination->postgres->url, req->options, plan, &decided,
			      older ? &found : NULL, results, err);
	if (found.count > 0 &&
	    (nsp_dest_compat_record(plan, &found) != 0 || nsp_plan_sign(plan, &sign_err) != 0) &&
	    err->code == EC(OK))
		nsp_error_set(err, EC(INTERNAL), "recording what the destination lacks in the plan: %s",
			      sign_err.code != EC(OK) ? sign_err.message : "out of memory");
	nsp_compat_found_free(&found);
	nsp_pre_decisions_free(&decided);
}

static void finish_results(nsp_results *results, Neosync__Plugin__V1__StepResult ***items, size_t *n)
{
	*items = results->items;
	*n = results->n;
	results->items = NULL;
	results->n = 0;
}

/* Partial: the hook ran to its end but some steps failed or were skipped. */
static void mark_partial(const Neosync__Plugin__V1__Summary *sum, nsp_error *err)
{
	if (err->code == EC(OK) && sum != NULL && (sum->failed > 0 || sum->skipped > 0 || sum->conflicts > 0))
		nsp_error_set(err, EC(PARTIAL), "%u step(s) failed, %u skipped, %u conflict(s)",
			      sum->failed, sum->skipped, sum->conflicts);
}

int nsp_hook_pre_sync(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	if (h == NULL || !valid_args(in, in_len, out, out_len))
		return NSP_ERR_INVALID_ARGUMENT;
	uint64_t start = nsp_now_us();
	nsp_error err;
	nsp_error_clear(&err);
	Neosync__Plugin__V1__PreSyncResponse *resp = malloc(sizeof(*resp));
	if (resp == NULL)
		return NSP_ERR_NOMEM;
	neosync__plugin__v1__pre_sync_response__init(resp);
	nsp_results results = {0};

	Neosync__Plugin__V1__PreSyncRequest *req =
		neosync__plugin__v1__pre_sync_request__unpack(NULL, in_len, in);
	if (req == NULL) {
		nsp_error_set(&err, EC(INVALID_ARGUMENT),
			      "PreSyncRequest: the %zu request bytes are not a valid "
			      "neosync.plugin.v1.PreSyncRequest message",
			      in_len);
	} else if (validate_common(req->source, req->destination, req->options, true, &err) == 0) {
		remember_ids(h, req->job_id, req->run_id);
		table_selection sel = {req->tables, req->exclude_tables, req->n_tables,
				       req->n_exclude_tables};
		/* The destination session first: the plan needs its major (dest_compat.h). When it
		 * cannot be opened the plan is still made (without that check), signed and returned. */
		PGconn *dst = NULL;
		nsp_error open_err;
		nsp_error_clear(&open_err);
		bool opened = !req->dry_run && nsp_session_open(req->destination->postgres->url,
								req->options, false, 1, &dst,
								&open_err) == 0;
		if (plan_from_source(h, req->source->postgres->url,
				     req->dry_run || opened ? req->destination->postgres->url : NULL, dst,
				     req->options, req->job_id, &sel, &resp->plan, &err) == 0) {
			if (!req->dry_run && !opened)
				err = open_err;
			pre_sync_plan_and_apply(h, req, dst, resp->plan, &results, &err);
		}
		PQfinish(dst);
	}
	resp->summary = nsp_results_summarize(&results, nsp_now_us() - start);
	finish_results(&results, &resp->results, &resp->n_results);
	mark_partial(resp->summary, &err);
	if (err.code != EC(OK)) {
		nsp_log(h, err.code == EC(PARTIAL) ? NSP_LOG_WARNING : NSP_LOG_ERROR, "pre-sync: %s",
			err.message);
		resp->error = make_error(&err);
	}
	int status = status_of(&err);
	if (pack_response(&resp->base, out, out_len) != 0)
		status = NSP_ERR_NOMEM;
	neosync__plugin__v1__pre_sync_request__free_unpacked(req, NULL);
	neosync__plugin__v1__pre_sync_response__free_unpacked(resp, NULL);
	return status;
}

int nsp_hook_post_sync(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	if (h == NULL || !valid_args(in, in_len, out, out_len))
		return NSP_ERR_INVALID_ARGUMENT;
	uint64_t start = nsp_now_us();
	nsp_error err;
	nsp_error_clear(&err);
	Neosync__Plugin__V1__PostSyncResponse *resp = malloc(sizeof(*resp));
	if (resp == NULL)
		return NSP_ERR_NOMEM;
	neosync__plugin__v1__post_sync_response__init(resp);
	nsp_results results = {0};
	Neosync__Plugin__V1__Plan *replanned = NULL;

	Neosync__Plugin__V1__PostSyncRequest *req =
		neosync__plugin__v1__post_sync_request__unpack(NULL, in_len, in);
	if (req == NULL) {
		nsp_error_set(&err, EC(INVALID_ARGUMENT),
			      "PostSyncRequest: the %zu request bytes are not a valid "
			      "neosync.plugin.v1.PostSyncRequest message",
			      in_len);
	} else if (validate_common(req->source, req->destination, req->options, req->replan, &err) == 0) {
		remember_ids(h, req->job_id, req->run_id);
		const Neosync__Plugin__V1__Plan *plan = req->plan;
		if (req->replan) {
			table_selection sel = {req->tables, req->exclude_tables, req->n_tables,
					       req->n_exclude_tables};
			if (plan_from_source(h, req->source->postgres->url,
					     req->destination->postgres->url, NULL, req->options,
					     req->job_id, &sel, &replanned, &err) == 0)
				plan = replanned;
		} else if (plan == NULL) {
			nsp_error_set(&err, EC(INVALID_ARGUMENT),
				      "PostSyncRequest.plan: missing; pass the plan from the PreSyncResponse, "
				      "or set replan to plan again from the source");
		} else {
			nsp_plan_verify(plan, &err); /* integrity, before connecting: plan_verify.h */
		}
		if (err.code == EC(OK)) {
			nsp_apply_post(h, req->destination->postgres->url, req->options, plan, &results, &err);
		}
	}
	resp->summary = nsp_results_summarize(&results, nsp_now_us() - start);
	finish_results(&results, &resp->results, &resp->n_results);
	mark_partial(resp->summary, &err);
	if (err.code != EC(OK)) {
		nsp_log(h, err.code == EC(PARTIAL) ? NSP_LOG_WARNING : NSP_LOG_ERROR, "post-sync: %s",
			err.message);
		resp->error = make_error(&err);
	}
	int status = status_of(&err);
	if (pack_response(&resp->base, out, out_len) != 0)
		status = NSP_ERR_NOMEM;
	if (replanned)
		protobuf_c_message_free_unpacked(&replanned->base, NULL);
	neosync__plugin__v1__post_sync_request__free_unpacked(req, NULL);
	neosync__plugin__v1__post_sync_response__free_unpacked(resp, NULL);
	return status;
}

void nsp_hook_free_buffer(uint8_t *buffer)
{
	free(buffer);
}
