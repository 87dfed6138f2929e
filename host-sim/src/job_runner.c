#include "job_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grpc_client.h"
#include "host_api.h"
#include "hydrate.h"
#include "job_config.h"
#include "loader.h"
#include "progress_line.h"
#include "redact.h"

/* Record the job's fatal error (vsnprintf: messages are cut at the report's limit on purpose). */
static void set_fatal(nsp_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_fatal(nsp_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->fatal, sizeof(r->fatal), fmt, ap);
	va_end(ap);
}

typedef struct ordered_hook {
	Neosync__Plugin__V1__JobHook *hook;
	size_t index;
} ordered_hook;

static int cmp_hooks(const void *a, const void *b)
{
	const ordered_hook *x = a, *y = b;
	if (x->hook->priority != y->hook->priority)
		return x->hook->priority < y->hook->priority ? -1 : 1;
	int c = strcmp(x->hook->name != NULL ? x->hook->name : "",
		       y->hook->name != NULL ? y->hook->name : "");
	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index ? 1 : 0;
}

int nsp_job_order_hooks(const Neosync__Plugin__V1__JobConfig *cfg,
			Neosync__Plugin__V1__JobHook ***out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	ordered_hook *tmp = calloc(cfg->n_hooks > 0 ? cfg->n_hooks : 1, sizeof(*tmp));
	Neosync__Plugin__V1__JobHook **res = calloc(cfg->n_hooks > 0 ? cfg->n_hooks : 1, sizeof(*res));
	if (tmp == NULL || res == NULL) {
		snprintf(err, errlen, "out of memory ordering %zu hooks", cfg->n_hooks);
		free(tmp);
		free(res);
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		if (cfg->hooks[i] == NULL || !cfg->hooks[i]->enabled)
			continue;
		tmp[k].hook = cfg->hooks[i];
		tmp[k].index = i;
		k++;
	}
	qsort(tmp, k, sizeof(*tmp), cmp_hooks);
	for (size_t i = 0; i < k; i++)
		res[i] = tmp[i].hook;
	free(tmp);
	*out = res;
	*n = k;
	return 0;
}

void nsp_job_make_run_id(char out[33])
{
	unsigned char raw[16];
	size_t got = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = read(fd, raw, sizeof(raw));
		if (r > 0)
			got = (size_t)r;
		close(fd);
	}
	if (got < sizeof(raw)) {
		/* No /dev/urandom: time and pid are unique enough for a run id. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		uint64_t b = ((uint64_t)getpid() << 32) ^ (uint64_t)clock();
		memcpy(raw, &a, 8);
		memcpy(raw + 8, &b, 8);
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[32] = '\0';
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *conn_url(const Neosync__Plugin__V1__Connection *c)
{
	if (c == NULL || c->kind_case != NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES ||
	    c->postgres == NULL || c->postgres->url == NULL || c->postgres->url[0] == '\0')
		return NULL;
	return c->postgres->url;
}

/* One enabled hook while the job runs. */
typedef struct running_hook {
	Neosync__Plugin__V1__JobHook *cfg;
	nsp_host_ctx ctx; /* outlives the plugin handle */
	nsp_host_api api;
	nsp_loaded_plugin *plugin;
	nsp_grpc_client *remote; /* set instead of plugin when the hook runs on a plugin host */
} running_hook;

/* --- remote hooks (gRPC, issue 6) ---------------------------------------------------------- *
 * A hook runs remotely when `run --remote ADDR` was given (every hook, at ADDR) or when its
 * plugin names an `address`; the calls then go to grpc_client.h, which returns the same response
 * messages and hook statuses as the in-process loader, so the report is built the same way. */
static const char *remote_override;

void nsp_job_set_remote(const char *address)
{
	remote_override = address;
}

static const char *remote_address(const Neosync__Plugin__V1__JobHook *h)
{
	if (remote_override != NULL && remote_override[0] != '\0')
		return remote_override;
	if (h->plugin != NULL &&
	    h->plugin->target_case == NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS)
		return h->plugin->address;
	return NULL;
}

/* Connect to the hook's plugin host and describe it (the remote counterpart of loading). */
static int remote_open(running_hook *h, const char *address, char *err, size_t errlen)
{
	Neosync__Plugin__V1__DescribeResponse *d = NULL;
	if (nsp_grpc_client_open(address, &h->api, 0, &h->remote, err, errlen) != 0 ||
	    nsp_grpc_client_describe(h->remote, &d, err, errlen) != 0)
		return -1;
	const Neosync__Plugin__V1__PluginInfo *info = d->info;
	nsp_host_logf("host", NSP_LOG_INFO, "hook %s (priority %d): %s %s, ABI %u.%u, at %s",
		      h->ctx.name, (int)h->cfg->priority,
		      info != NULL && info->name != NULL ? info->name : "(unnamed)",
		      info != NULL && info->version != NULL ? info->version : "",
		      info != NULL ? (unsigned)info->abi_major : 0u,
		      info != NULL ? (unsigned)info->abi_minor : 0u, address);
	neosync__plugin__v1__describe_response__free_unpacked(d, NULL);
	return 0;
}

static int hook_pre_sync(running_hook *h, const Neosync__Plugin__V1__PreSyncRequest *req,
			 Neosync__Plugin__V1__PreSyncResponse **out, int *status, char *err,
			 size_t errlen)
{
	if (h->remote != NULL)
		return nsp_grpc_client_pre_sync(h->remote, req, out, status, err, errlen);
	return nsp_loader_pre_sync(h->plugin, req, out, status, err, errlen);
}

/* Post-sync of hook h with its plan: the request is packed first, then the plan's unpacked
 * copy (in h's pre-sync response) is dropped before the call. At thousands of tables that copy
 * is the largest allocation of the job, and the plugin holds its own during the hook. */
static int hook_post_sync(running_hook *h, Neosync__Plugin__V1__PostSyncRequest *req,
			  Neosync__Plugin__V1__PreSyncResponse *pre,
			  Neosync__Plugin__V1__PostSyncResponse **out, int *status, char *err,
			  size_t errlen)
{
	size_t len = protobuf_c_message_get_packed_size(&req->base);
	uint8_t *packed = malloc(len > 0 ? len : 1);
	if (packed == NULL) {
		snprintf(err, errlen, "out of memory packing a post-sync request of %zu bytes", len);
		return -1;
	}
	protobuf_c_message_pack(&req->base, packed);
	req->plan = NULL;
	if (pre != NULL && pre->plan != NULL) {
		protobuf_c_message_free_unpacked(&pre->plan->base, NULL);
		pre->plan = NULL;
	}
	int rc = h->remote != NULL
			 ? nsp_grpc_client_post_sync_packed(h->remote, packed, len, out, status, err,
							    errlen)
			 : nsp_loader_post_sync_packed(h->plugin, packed, len, out, status, err, errlen);
	free(packed);
	return rc;
}
/* --- end of remote hooks ------------------------------------------------------------------- */

static bool error_is_fatal(int hook_status, const Neosync__Plugin__V1__Error *e)
{
	if (e != NULL && e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK &&
	    e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_PARTIAL)
		return true;
	return hook_status != NSP_OK && hook_status != NSP_ERR_PARTIAL;
}

static void describe_failure(char *out, size_t outlen, const char *hook, const char *phase,
			     int hook_status, const Neosync__Plugin__V1__Error *e)
{
	if (e != NULL && e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK)
		snprintf(out, outlen, "hook %s: %s failed (%s%s%s): %s", hook, phase,
			 nsp_report_error_code_name(e->code),
			 e->sqlstate != NULL && e->sqlstate[0] ? ", SQLSTATE " : "",
			 e->sqlstate != NULL ? e->sqlstate : "",
			 e->message != NULL && e->message[0] ? e->message : "(no message)");
	else
		snprintf(out, outlen, "hook %s: %s failed with %s and gave no error in its response",
			 hook, phase, nsp_loader_status_name(hook_status));
}

/* When cancellation was requested: record it as the fatal error ("cancelled by SIGINT <when>"). */
static bool cancelled(nsp_report *r, const char *when)
{
	if (!nsp_host_cancel_requested())
		return false;
	int sig = nsp_host_cancel_signal();
	set_fatal(r, "cancelled%s%s %s", sig != 0 ? " by " : "",
		 sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "", when);
	return true;
}

static void on_table_done(void *ctx, const nsp_hydrate_table *t, size_t done, size_t total)
{
	(void)ctx;
	char line[1024];
	if (t->error != NULL)
		snprintf(line, sizeof(line), "[hydrate] %zu/%zu %s.%s FAILED: %s", done, total,
			 t->schema, t->table, t->error);
	else
		snprintf(line, sizeof(line), "[hydrate] %zu/%zu %s.%s: %lld rows in %.3f s", done,
			 total, t->schema, t->table, (long long)t->rows, t->seconds);
	if (nsp_host_progress_enabled()) {
		if (t->error != NULL)
			nsp_host_status_done(line);
		nsp_progress_copy_table(t->rows, t->bytes, done, total);
	} else
		nsp_host_logf("hydrate", NSP_LOG_DEBUG, "%s", line + 10);
}

static int hydrate_cancelled(void *ctx)
{
	return nsp_host_is_cancelled(ctx);
}

/* Which tables to copy: from the plans' TABLE steps, else the config's selection. */
static int hydration_tables(const Neosync__Plugin__V1__JobConfig *cfg, const char *source,
			    nsp_report *r, char *err, size_t errlen)
{
	nsp_hydrate_ref *refs = NULL;
	size_t n = 0;
	int have_plan = nsp_report_created_tables(r, &refs, &n);
	if (have_plan < 0) {
		snprintf(err, errlen, "out of memory listing the tables the pre-sync created");
		return -1;
	}
	if (have_plan == 0) {
		r->tables_from_plan = false;
		return nsp_hydrate_resolve_tables(source, cfg, &r->tables, &r->ntables, err, errlen);
	}
	r->tables_from_plan = true;
	int rc = 0;
	if (n > 0)
		rc = nsp_hydrate_tables_from_list(source, refs, n, &r->tables, &r->ntables, err,
						  errlen);
	free(refs);
	return rc;
}

int nsp_job_run(const char *config_path, nsp_report *r)
{
	Neosync__Plugin__V1__JobConfig *cfg = NULL;
	Neosync__Plugin__V1__JobHook **order = NULL;
	running_hook *hooks = NULL;
	size_t nhooks = 0;
	char err[1024] = "";
	double t_start = now_seconds();

	nsp_report_init(r);
	nsp_job_make_run_id(r->run_id);
	nsp_host_set_log_context(NULL, r->run_id);

	if (nsp_job_config_load_file(config_path, &cfg, err, sizeof(err)) != 0) {
		set_fatal(r, "%s", err);
		goto done;
	}
	r->job_id = strdup(cfg->job_id != NULL ? cfg->job_id : "");
	if (r->job_id == NULL) {
		set_fatal(r, "out of memory");
		goto done;
	}
	nsp_host_set_log_context(r->job_id, r->run_id);
	const char *source = conn_url(cfg->source);
	const char *dest = conn_url(cfg->destination);
	if (source == NULL || dest == NULL) {
		snprintf(r->fatal, sizeof(r->fatal),
			 "job config %s: %s.postgres.url is missing or empty", config_path,
			 source == NULL ? "source" : "destination");
		goto done;
	}

	if (nsp_job_order_hooks(cfg, &order, &nhooks, err, sizeof(err)) != 0) {
		set_fatal(r, "%s", err);
		goto done;
	}
	/* Check every hook before loading any. */
	for (size_t i = 0; i < nhooks; i++) {
		const Neosync__Plugin__V1__JobHook *h = order[i];
		const char *name = h->name != NULL && h->name[0] ? h->name : "(unnamed)";
		if (h->plugin == NULL ||
		    h->plugin->target_case == NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET__NOT_SET) {
			snprintf(r->fatal, sizeof(r->fatal),
				 "job config %s: hook %s: no plugin given (set plugin.path)", config_path,
				 name);
			goto done;
		}
		if (h->plugin->target_case == NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS &&
		    (h->plugin->address == NULL || h->plugin->address[0] == '\0')) {
			snprintf(r->fatal, sizeof(r->fatal),
				 "job config %s: hook %s: plugin.address is empty", config_path, name);
			goto done;
		}
		if (remote_address(h) == NULL &&
		    (h->plugin->path == NULL || h->plugin->path[0] == '\0')) {
			snprintf(r->fatal, sizeof(r->fatal),
				 "job config %s: hook %s: plugin.path is empty", config_path, name);
			goto done;
		}
	}

	hooks = calloc(nhooks > 0 ? nhooks : 1, sizeof(*hooks));
	r->hooks = calloc(nhooks > 0 ? nhooks : 1, sizeof(*r->hooks));
	if (hooks == NULL || r->hooks == NULL) {
		set_fatal(r, "out of memory");
		goto done;
	}
	r->nhooks = nhooks;
	for (size_t i = 0; i < nhooks; i++) {
		hooks[i].cfg = order[i];
		r->hooks[i].name = strdup(order[i]->name != NULL && order[i]->name[0] ? order[i]->name
										      : "(unnamed)");
		if (r->hooks[i].name == NULL) {
			set_fatal(r, "out of memory");
			goto done;
		}
	}

	{
		char rs[256], rd[256];
		nsp_redact_conninfo(source, rs, sizeof(rs));
		nsp_redact_conninfo(dest, rd, sizeof(rd));
		nsp_host_logf("host", NSP_LOG_INFO, "job %s, run %s: %s -> %s, %zu hook%s", r->job_id,
			      r->run_id, rs, rd, nhooks, nhooks == 1 ? "" : "s");
	}

	for (size_t i = 0; i < nhooks; i++) {
		running_hook *h = &hooks[i];
		nsp_host_api_make(&h->api, &h->ctx, r->hooks[i].name, nsp_host_log_level());
		const char *address = remote_address(h->cfg);
		if (address != NULL) {
			if (remote_open(h, address, err, sizeof(err)) != 0) {
				set_fatal(r, "hook %s: %s", r->hooks[i].name, err);
				goto done;
			}
			continue;
		}
		if (nsp_loader_open(h->cfg->plugin->path, &h->api, &h->plugin, err, sizeof(err)) != 0) {
			set_fatal(r, "hook %s: %s", r->hooks[i].name, err);
			goto done;
		}
		nsp_host_logf("host", NSP_LOG_INFO, "hook %s (priority %d): %s %s, ABI %u.%u, from %s",
			      r->hooks[i].name, (int)h->cfg->priority,
			      h->plugin->desc.name != NULL ? h->plugin->desc.name : "(unnamed)",
			      h->plugin->desc.version != NULL ? h->plugin->desc.version : "",
			      (unsigned)h->plugin->desc.abi_major, (unsigned)h->plugin->desc.abi_minor,
			      h->plugin->path);
	}

	/* Pre-sync, every hook in order. */
	for (size_t i = 0; i < nhooks; i++) {
		running_hook *h = &hooks[i];
		nsp_report_hook *rh = &r->hooks[i];
		if (cancelled(r, "before pre-sync"))
			goto done;
		Neosync__Plugin__V1__PreSyncRequest req = NEOSYNC__PLUGIN__V1__PRE_SYNC_REQUEST__INIT;
		req.job_id = cfg->job_id;
		req.run_id = r->run_id;
		req.source = cfg->source;
		req.destination = cfg->destination;
		req.n_tables = cfg->n_tables;
		req.tables = cfg->tables;
		req.n_exclude_tables = cfg->n_exclude_tables;
		req.exclude_tables = cfg->exclude_tables;
		req.options = h->cfg->plugin->options;

		nsp_host_logf("host", NSP_LOG_INFO, "hook %s: pre-sync", rh->name);
		double t0 = now_seconds();
		int rc = hook_pre_sync(h, &req, &rh->pre, &rh->pre_status, err,
					     sizeof(err));
		rh->pre_seconds = now_seconds() - t0;
		nsp_host_status_clear();
		if (rc != 0) {
			set_fatal(r, "hook %s: pre-sync: %s", rh->name, err);
			goto done;
		}
		if (error_is_fatal(rh->pre_status, rh->pre->error)) {
			describe_failure(r->fatal, sizeof(r->fatal), rh->name, "pre-sync",
					 rh->pre_status, rh->pre->error);
			goto done;
		}
	}

	/* The data step. */
	if (cancelled(r, "before the data step"))
		goto done;
	{
		double t0 = now_seconds();
		if (hydration_tables(cfg, source, r, err, sizeof(err)) != 0) {
			set_fatal(r, "data step: %s", err);
			goto done;
		}
		unsigned parallelism = cfg->hydration != NULL ? cfg->hydration->parallelism : 0;
		bool truncate = cfg->hydration != NULL && cfg->hydration->truncate_before_insert;
		nsp_host_logf("host", NSP_LOG_INFO, "data step: %zu table%s from the %s", r->ntables,
			      r->ntables == 1 ? "" : "s",
			      r->tables_from_plan ? "pre-sync plan" : "job config");
		r->hydration_ran = true;
		nsp_progress_copy_begin(r->ntables);
		if (r->ntables > 0 &&
		    nsp_hydrate_run(source, dest, r->tables, r->ntables, parallelism, truncate,
				    on_table_done, NULL, hydrate_cancelled, NULL, err, sizeof(err)) != 0)
			/* Each table's failure is in the report; this is only the summary. */
			nsp_host_logf("host", NSP_LOG_DEBUG, "data step: %s", err);
		r->hydration_seconds = now_seconds() - t0;
		nsp_host_status_clear();
	}

	/* Post-sync, every hook in the same order, each with its own plan. */
	for (size_t i = 0; i < nhooks; i++) {
		running_hook *h = &hooks[i];
		nsp_report_hook *rh = &r->hooks[i];
		if (cancelled(r, "before post-sync"))
			goto done;
		Neosync__Plugin__V1__PostSyncRequest req = NEOSYNC__PLUGIN__V1__POST_SYNC_REQUEST__INIT;
		req.job_id = cfg->job_id;
		req.run_id = r->run_id;
		req.source = cfg->source;
		req.destination = cfg->destination;
		req.options = h->cfg->plugin->options;
		req.plan = rh->pre != NULL ? rh->pre->plan : NULL;
		req.replan = req.plan == NULL;
		req.n_tables = cfg->n_tables;
		req.tables = cfg->tables;
		req.n_exclude_tables = cfg->n_exclude_tables;
		req.exclude_tables = cfg->exclude_tables;

		nsp_host_logf("host", NSP_LOG_INFO, "hook %s: post-sync", rh->name);
		double t0 = now_seconds();
		int rc = hook_post_sync(h, &req, rh->pre, &rh->post, &rh->post_status, err,
					sizeof(err));
		rh->post_seconds = now_seconds() - t0;
		nsp_host_status_clear();
		if (rc != 0) {
			set_fatal(r, "hook %s: post-sync: %s", rh->name, err);
			goto done;
		}
		if (error_is_fatal(rh->post_status, rh->post->error)) {
			describe_failure(r->fatal, sizeof(r->fatal), rh->name, "post-sync",
					 rh->post_status, rh->post->error);
			goto done;
		}
	}
	/* A cancellation during the last post-sync still makes the run fatal. */
	if (nsp_host_cancel_requested())
		(void)cancelled(r, "during post-sync");

done:
	for (size_t i = 0; hooks != NULL && i < nhooks; i++) {
		nsp_loader_close(hooks[i].plugin);
		nsp_grpc_client_close(hooks[i].remote);
	}
	free(hooks);
	free(order);
	if (cfg != NULL)
		nsp_job_config_free(cfg);
	r->total_seconds = now_seconds() - t_start;
	return nsp_report_exit_status(r);
}
