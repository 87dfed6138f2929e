#include "plan_command.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "grpc_client.h"
#include "host_api.h"
#include "hydrate.h"
#include "job_config.h"
#include "job_runner.h"
#include "loader.h"
#include "redact.h"
#include "report.h"

#define PROG "neosync-host-sim"
#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define PRE NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC
#define POST NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC

const char nsp_plan_command_usage[] =
	"plan --config JOB.json --out DIR [--remote ADDR] [--verbose]\n"
	"\n"
	"A dry run: call every enabled hook's pre-sync (ascending priority, ties by name) with\n"
	"dry_run set, so the plugin reads the source's catalog and plans but touches nothing on the\n"
	"destination, and write the plan as SQL a user can review, edit and apply by hand:\n"
	"\n"
	"  DIR/pre-sync.sql    the pre-sync statements in plan order: psql -1 -v ON_ERROR_STOP=1 -f\n"
	"  DIR/post-sync.sql   the post-sync statements in plan order (load the rows first): psql -f\n"
	"  DIR/plan.bin        the plan (serialized neosync.plugin.v1.Plan), for post-sync --plan\n"
	"\n"
	"With several enabled hooks each file name is prefixed with the hook's name and a dash\n"
	"(DIR/HOOK-pre-sync.sql, ...). Each file starts with a header that empties search_path and\n"
	"turns check_function_bodies off; each step is preceded by `-- step N: KIND identity`. A\n"
	"step the plan marks skipped (e.g. it needs a table the job does not select), a foreign key\n"
	"when the options say fkMode skip, and a post-sync step that depends on a skipped one are\n"
	"written commented out, with the reason. DIR is created if missing; files are replaced.\n"
	"\n"
	"Options:\n"
	"  --config PATH   the job config (JSON)\n"
	"  --out DIR       where to write the files\n"
	"  --remote ADDR   call every hook over gRPC at ADDR (as `run --remote`)\n"
	"  -v, --verbose   log debug lines too\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 the files were written; 1 an error (bad config, plugin not loadable, the\n"
	"source unreachable, a file not writable).\n";

const char nsp_pre_sync_command_usage[] =
	"pre-sync --config JOB.json --plan-out PLAN.bin [--hydrate] [--json]\n"
	"                [--remote ADDR] [--verbose]\n"
	"\n"
	"Run only the pre-sync of the job's enabled hooks (ascending priority, ties by name) and save\n"
	"each hook's plan (serialized neosync.plugin.v1.Plan) for a later `post-sync --plan`: the\n"
	"phases of a job as separate commands, as a worker fleet runs them on different machines.\n"
	"With several enabled hooks each hook's plan goes to a file named HOOK-NAME next to PLAN.bin\n"
	"(NAME: the file name of PLAN.bin). With --hydrate the data step follows (the tables the\n"
	"plans created, copied from the source). Prints the report as `run` does.\n"
	"\n"
	"Options:\n"
	"  --config PATH     the job config (JSON)\n"
	"  --plan-out PATH   where to save the plan\n"
	"  --hydrate         copy the rows after pre-sync (the job's data step)\n"
	"  --remote ADDR     call every hook over gRPC at ADDR (as `run --remote`)\n"
	"  --json            print the report as JSON (as `run --json`)\n"
	"  -v, --verbose     log debug lines too\n"
	"  -h, --help        show this help\n"
	"\n"
	"Exit status: 0 every step applied or unchanged (and every table copied); 2 failed, skipped\n"
	"or conflicting steps (or tables not copied); 1 a fatal error (nothing saved then).\n";

const char nsp_post_sync_command_usage[] =
	"post-sync --config JOB.json [--plan PLAN.bin] [--json] [--remote ADDR]\n"
	"                [--verbose]\n"
	"\n"
	"Run only the post-sync of the job's enabled hooks, each with the plan saved by `pre-sync\n"
	"--plan-out` or `plan --out` (several hooks: HOOK-NAME next to PLAN.bin, as pre-sync saves\n"
	"them). Without --plan the plugin plans again from the source (replan). Post-sync is\n"
	"idempotent: run it again after a crash or a kill and it applies only what is missing;\n"
	"what is already there is reported `unchanged`. Prints the report as `run` does.\n"
	"\n"
	"Options:\n"
	"  --config PATH   the job config (JSON)\n"
	"  --plan PATH     the saved plan\n"
	"  --remote ADDR   call every hook over gRPC at ADDR (as `run --remote`)\n"
	"  --json          print the report as JSON (as `run --json`)\n"
	"  -v, --verbose   log debug lines too\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 every step applied or unchanged; 2 failed, skipped or conflicting steps;\n"
	"1 a fatal error.\n";

/* --- small helpers ---------------------------------------------------------------------- */

/* Messages are cut at their buffer's size on purpose (vsnprintf: no truncation warnings). */
static void put_msg(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put_msg(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

static int fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG " %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const char *conn_url(const Neosync__Plugin__V1__Connection *c)
{
	if (c == NULL || c->kind_case != NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES ||
	    c->postgres == NULL || c->postgres->url == NULL || c->postgres->url[0] == '\0')
		return NULL;
	return c->postgres->url;
}

static const char *kind_name(Neosync__Plugin__V1__ObjectKind k)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor, (int)k);
	if (v == NULL)
		return "OBJECT";
	return strncmp(v->name, "OBJECT_KIND_", 12) == 0 ? v->name + 12 : v->name;
}

/* A hook name usable in a file name: anything but [A-Za-z0-9._-] becomes '_'. */
static void file_safe(const char *name, char *out, size_t outlen)
{
	size_t i = 0;
	for (; name[i] != '\0' && i + 1 < outlen; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-';
		out[i] = ok && !(i == 0 && c == '.') ? c : '_';
	}
	out[i] = '\0';
}

/* PATH for hook `hook` of n: PATH itself when one hook, else DIR/HOOK-BASENAME. */
static void per_hook_path(const char *path, const char *hook, size_t nhooks, char *out, size_t outlen)
{
	if (nhooks <= 1) {
		snprintf(out, outlen, "%s", path);
		return;
	}
	char safe[256];
	file_safe(hook, safe, sizeof(safe));
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(out, outlen, "%s-%s", safe, path);
	else
		snprintf(out, outlen, "%.*s/%s-%s", (int)(slash - path), path, safe, slash + 1);
}

/* Write len bytes to path through a temporary file and rename (never a half-written file). */
static int write_file_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (f == NULL) {
		put_msg(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	bool ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		put_msg(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int save_plan(const Neosync__Plugin__V1__Plan *plan, const char *path, char *err, size_t errlen)
{
	size_t len = protobuf_c_message_get_packed_size(&plan->base);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL) {
		put_msg(err, errlen, "out of memory saving the plan (%zu bytes)", len);
		return -1;
	}
	protobuf_c_message_pack(&plan->base, buf);
	int rc = write_file_atomic(path, buf, len, err, errlen);
	free(buf);
	return rc;
}

static int load_plan(const char *path, Neosync__Plugin__V1__Plan **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		put_msg(err, errlen, "cannot read the plan %s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf != NULL) {
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len < cap)
			break;
		uint8_t *bigger = cap > ((size_t)1 << 30) ? NULL : realloc(buf, cap * 2);
		if (bigger == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	bool read_error = ferror(f) != 0;
	fclose(f);
	if (buf == NULL || read_error) {
		put_msg(err, errlen, "cannot read the plan %s: %s", path,
			 buf == NULL ? "too large or out of memory" : "read error");
		free(buf);
		return -1;
	}
	*out = neosync__plugin__v1__plan__unpack(NULL, len, buf);
	free(buf);
	if (*out == NULL) {
		put_msg(err, errlen,
			 "%s is not a plan (not a serialized neosync.plugin.v1.Plan; save one with "
			 "`" PROG " pre-sync --plan-out` or `" PROG " plan --out`)",
			 path);
		return -1;
	}
	if ((*out)->format_version != 1 || (*out)->n_steps == 0) {
		put_msg(err, errlen, "%s: %s", path,
			 (*out)->n_steps == 0 ? "the plan has no steps (not a plan file?)"
					      : "unsupported plan format version");
		neosync__plugin__v1__plan__free_unpacked(*out, NULL);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* --- the SQL files ------------------------------------------------------------------------ */

/* Every line of text prefixed with prefix. */
static void put_prefixed(FILE *f, const char *prefix, const char *text)
{
	const char *p = text;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		fprintf(f, "%s%.*s\n", prefix, (int)n, p);
		p += n + (nl != NULL);
	}
}

/* A reason on one line (newlines become spaces). */
static void put_one_line(FILE *f, const char *text)
{
	for (const char *p = text; *p != '\0'; p++)
		fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
}

static long step_index(const Neosync__Plugin__V1__Plan *plan, uint32_t id)
{
	if (id >= 1 && id <= plan->n_steps && plan->steps[id - 1]->id == id)
		return (long)id - 1;
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i]->id == id)
			return (long)i;
	return -1;
}

int nsp_plan_write_sql(const Neosync__Plugin__V1__Plan *plan, Neosync__Plugin__V1__Phase phase,
		       const char *job_id, const char *hook, bool fk_skip, const char *path,
		       char *err, size_t errlen)
{
	size_t n = plan->n_steps;
	/* Why each step is not run: the plan's reason, the fkMode option, or (post-sync) a
	 * dependency that is not run - as post-sync itself decides (apply_post.c). Steps are in plan
	 * order, dependencies first, so one pass settles them. */
	char **why = calloc(n ? n : 1, sizeof(*why));
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	FILE *f = why != NULL ? fopen(tmp, "w") : NULL;
	if (f == NULL) {
		put_msg(err, errlen, "cannot write %s: %s", path,
			 why == NULL ? "out of memory" : strerror(errno));
		free(why);
		return -1;
	}
	size_t total = 0, skipped = 0;
	for (size_t i = 0; i < n; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != phase)
			continue;
		total++;
		char reason[1024] = "";
		if (s->skip_reason != NULL && s->skip_reason[0] != '\0')
			put_msg(reason, sizeof(reason), "%s", s->skip_reason);
		else if (phase == POST && fk_skip && s->kind == K(FOREIGN_KEY))
			put_msg(reason, sizeof(reason),
				 "foreign keys are not created (options.fkMode is skip)");
		else if (phase == POST)
			for (size_t d = 0; d < s->n_depends_on; d++) {
				long j = step_index(plan, s->depends_on[d]);
				if (j < 0 || (size_t)j == i || plan->steps[j]->phase != POST ||
				    why[j] == NULL)
					continue;
				put_msg(reason, sizeof(reason), "depends on step %u (%s), which is skipped",
					 plan->steps[j]->id, plan->steps[j]->identity);
				break;
			}
		if (reason[0] != '\0') {
			why[i] = strdup(reason);
			skipped++;
		}
	}

	const bool pre = phase == PRE;
	fprintf(f, "-- %s of job %s, hook %s: %zu step%s (%zu skipped), planned %s from a PostgreSQL "
		   "%u.%u source.\n",
		pre ? "Pre-sync" : "Post-sync", job_id != NULL && job_id[0] ? job_id : "(no id)", hook,
		total, total == 1 ? "" : "s", skipped,
		plan->created_at != NULL && plan->created_at[0] ? plan->created_at : "(unknown time)",
		plan->source_server_version / 10000, plan->source_server_version % 10000);
	fprintf(f, "-- Written by " PROG " plan. Apply %s with:\n--   psql %s-f %s -d DESTINATION\n",
		pre ? "before the rows are loaded, in one transaction," : "after the rows are loaded,",
		pre ? "-1 -v ON_ERROR_STOP=1 " : "", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	if (!pre)
		fprintf(f, "-- Each step stands alone: a failed step does not stop the others (but the "
			   "steps that depend on it\n-- will fail too). Re-running the file after a partial "
			   "run fails on what exists: run `" PROG " post-sync`\n-- for an idempotent re-run.\n");
	fprintf(f, "SELECT pg_catalog.set_config('search_path', '', false);\n"
		   "SET check_function_bodies = false;\n"
		   "SET client_min_messages = warning;\n");
	for (size_t i = 0; i < n; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != phase)
			continue;
		fprintf(f, "\n-- step %u: %s %s\n", s->id, kind_name(s->kind),
			s->identity != NULL ? s->identity : "");
		const char *sql = s->sql != NULL ? s->sql : "";
		if (why[i] != NULL) {
			fputs("-- skipped: ", f);
			put_one_line(f, why[i]);
			fputc('\n', f);
			if (sql[0] != '\0')
				put_prefixed(f, "-- ", sql);
		} else if (sql[0] == '\0') {
			fputs("-- (nothing to run: exists in every database)\n", f);
		} else {
			size_t len = strlen(sql);
			while (len > 0 && (sql[len - 1] == '\n' || sql[len - 1] == ' '))
				len--;
			fprintf(f, "%.*s%s\n", (int)len, sql, len > 0 && sql[len - 1] == ';' ? "" : ";");
		}
	}
	for (size_t i = 0; i < n; i++)
		free(why[i]);
	free(why);
	bool ok = !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		put_msg(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* --- hooks ---------------------------------------------------------------------------------- */

typedef struct phase_hook {
	Neosync__Plugin__V1__JobHook *cfg;
	nsp_host_ctx ctx;
	nsp_host_api api;
	nsp_loaded_plugin *plugin;
	nsp_grpc_client *remote;
} phase_hook;

typedef struct phase_job {
	const char *cmd;
	Neosync__Plugin__V1__JobConfig *cfg;
	const char *source, *dest;
	phase_hook *hooks;
	size_t nhooks;
	nsp_report report;
} phase_job;

static const char *remote_for(const char *remote, const Neosync__Plugin__V1__JobHook *h)
{
	if (remote != NULL && remote[0] != '\0')
		return remote;
	if (h->plugin != NULL &&
	    h->plugin->target_case == NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS)
		return h->plugin->address;
	return NULL;
}

/* Load the config, order the enabled hooks and load (or connect to) each plugin. On failure the
 * message is in j->report.fatal. */
static int job_open(phase_job *j, const char *cmd, const char *config, const char *remote)
{
	char err[1024] = "";
	Neosync__Plugin__V1__JobHook **order = NULL;
	memset(j, 0, sizeof(*j));
	j->cmd = cmd;
	nsp_report_init(&j->report);
	nsp_job_make_run_id(j->report.run_id);
	if (nsp_job_config_load_file(config, &j->cfg, err, sizeof(err)) != 0)
		goto fatal;
	j->report.job_id = strdup(j->cfg->job_id != NULL ? j->cfg->job_id : "");
	j->source = conn_url(j->cfg->source);
	j->dest = conn_url(j->cfg->destination);
	if (j->source == NULL || j->dest == NULL) {
		put_msg(err, sizeof(err), "job config %s: %s.postgres.url is missing or empty", config,
			 j->source == NULL ? "source" : "destination");
		goto fatal;
	}
	if (nsp_job_order_hooks(j->cfg, &order, &j->nhooks, err, sizeof(err)) != 0)
		goto fatal;
	if (j->nhooks == 0) {
		put_msg(err, sizeof(err), "job config %s: no enabled hook (nothing to do)", config);
		goto fatal;
	}
	j->hooks = calloc(j->nhooks, sizeof(*j->hooks));
	j->report.hooks = calloc(j->nhooks, sizeof(*j->report.hooks));
	if (j->hooks == NULL || j->report.hooks == NULL || j->report.job_id == NULL) {
		put_msg(err, sizeof(err), "out of memory");
		goto fatal;
	}
	j->report.nhooks = j->nhooks;
	for (size_t i = 0; i < j->nhooks; i++) {
		phase_hook *h = &j->hooks[i];
		h->cfg = order[i];
		const char *name = h->cfg->name != NULL && h->cfg->name[0] ? h->cfg->name : "(unnamed)";
		j->report.hooks[i].name = strdup(name);
		if (j->report.hooks[i].name == NULL) {
			put_msg(err, sizeof(err), "out of memory");
			goto fatal;
		}
		const char *address = remote_for(remote, h->cfg);
		if (address == NULL && (h->cfg->plugin == NULL || h->cfg->plugin->path == NULL ||
					h->cfg->plugin->path[0] == '\0')) {
			put_msg(err, sizeof(err), "job config %s: hook %s: no plugin given (set plugin.path)",
				 config, name);
			goto fatal;
		}
	}
	for (size_t i = 0; i < j->nhooks; i++) {
		phase_hook *h = &j->hooks[i];
		const char *name = j->report.hooks[i].name;
		nsp_host_api_make(&h->api, &h->ctx, name, nsp_host_log_level());
		const char *address = remote_for(remote, h->cfg);
		int rc;
		if (address != NULL) {
			Neosync__Plugin__V1__DescribeResponse *d = NULL;
			rc = nsp_grpc_client_open(address, &h->api, 0, &h->remote, err, sizeof(err));
			if (rc == 0)
				rc = nsp_grpc_client_describe(h->remote, &d, err, sizeof(err));
			if (d != NULL)
				neosync__plugin__v1__describe_response__free_unpacked(d, NULL);
		} else {
			rc = nsp_loader_open(h->cfg->plugin->path, &h->api, &h->plugin, err, sizeof(err));
		}
		if (rc != 0) {
			char msg[1200];
			put_msg(msg, sizeof(msg), "hook %s: %s", name, err);
			put_msg(err, sizeof(err), "%s", msg);
			goto fatal;
		}
	}
	free(order);
	{
		char rs[256], rd[256];
		nsp_redact_conninfo(j->source, rs, sizeof(rs));
		nsp_redact_conninfo(j->dest, rd, sizeof(rd));
		nsp_host_logf("host", NSP_LOG_INFO, "%s: job %s, run %s: %s -> %s, %zu hook%s", cmd,
			      j->report.job_id, j->report.run_id, rs, rd, j->nhooks,
			      j->nhooks == 1 ? "" : "s");
	}
	return 0;
fatal:
	free(order);
	put_msg(j->report.fatal, sizeof(j->report.fatal), "%s", err);
	return -1;
}

static void job_close(phase_job *j)
{
	for (size_t i = 0; j->hooks != NULL && i < j->nhooks; i++) {
		nsp_loader_close(j->hooks[i].plugin);
		nsp_grpc_client_close(j->hooks[i].remote);
	}
	free(j->hooks);
	j->hooks = NULL;
	if (j->cfg != NULL)
		nsp_job_config_free(j->cfg);
	j->cfg = NULL;
	nsp_report_free(&j->report);
}

static bool response_fatal(int status, const Neosync__Plugin__V1__Error *e)
{
	if (e != NULL && e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK &&
	    e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_PARTIAL)
		return true;
	return status != NSP_OK && status != NSP_ERR_PARTIAL;
}

static void set_hook_failure(phase_job *j, const char *hook, const char *phase, int status,
			     const Neosync__Plugin__V1__Error *e)
{
	if (e != NULL && e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK)
		put_msg(j->report.fatal, sizeof(j->report.fatal), "hook %s: %s failed (%s%s%s): %s",
			 hook, phase, nsp_report_error_code_name(e->code),
			 e->sqlstate != NULL && e->sqlstate[0] ? ", SQLSTATE " : "",
			 e->sqlstate != NULL ? e->sqlstate : "",
			 e->message != NULL && e->message[0] ? e->message : "(no message)");
	else
		put_msg(j->report.fatal, sizeof(j->report.fatal),
			 "hook %s: %s failed with %s and gave no error in its response", hook, phase,
			 nsp_loader_status_name(status));
}

/* Pre-sync of hook i (dry_run as given). The response goes into the report. */
static int run_pre_sync(phase_job *j, size_t i, bool dry_run)
{
	phase_hook *h = &j->hooks[i];
	nsp_report_hook *rh = &j->report.hooks[i];
	char err[1024];
	Neosync__Plugin__V1__PreSyncRequest req = NEOSYNC__PLUGIN__V1__PRE_SYNC_REQUEST__INIT;
	req.job_id = j->cfg->job_id;
	req.run_id = j->report.run_id;
	req.source = j->cfg->source;
	req.destination = j->cfg->destination;
	req.n_tables = j->cfg->n_tables;
	req.tables = j->cfg->tables;
	req.n_exclude_tables = j->cfg->n_exclude_tables;
	req.exclude_tables = j->cfg->exclude_tables;
	req.options = h->cfg->plugin != NULL ? h->cfg->plugin->options : NULL;
	req.dry_run = dry_run;
	nsp_host_logf("host", NSP_LOG_INFO, "hook %s: pre-sync%s", rh->name, dry_run ? " (dry run)" : "");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = h->remote != NULL
			 ? nsp_grpc_client_pre_sync(h->remote, &req, &rh->pre, &rh->pre_status, err, sizeof(err))
			 : nsp_loader_pre_sync(h->plugin, &req, &rh->pre, &rh->pre_status, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rh->pre_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	nsp_host_status_clear();
	if (rc != 0) {
		put_msg(j->report.fatal, sizeof(j->report.fatal), "hook %s: pre-sync: %s", rh->name, err);
		return -1;
	}
	if (response_fatal(rh->pre_status, rh->pre->error)) {
		set_hook_failure(j, rh->name, dry_run ? "pre-sync (dry run)" : "pre-sync",
				 rh->pre_status, rh->pre->error);
		return -1;
	}
	if (rh->pre->plan == NULL) {
		put_msg(j->report.fatal, sizeof(j->report.fatal),
			 "hook %s: pre-sync returned no plan", rh->name);
		return -1;
	}
	return 0;
}

static int print_report(phase_job *j, bool json)
{
	int status = nsp_report_exit_status(&j->report);
	bool ran = j->report.hydration_ran;
	for (size_t i = 0; i < j->report.nhooks; i++)
		ran = ran || j->report.hooks[i].pre != NULL || j->report.hooks[i].post != NULL;
	if (j->report.job_id != NULL && (json || ran)) {
		if (json) {
			char jerr[256];
			if (nsp_report_print_json(&j->report, stdout, true, jerr, sizeof(jerr)) != 0) {
				fprintf(stderr, PROG " %s: %s\n", j->cmd, jerr);
				status = 1;
			}
		} else {
			nsp_report_print_text(&j->report, stdout);
		}
	}
	if (j->report.fatal[0] != '\0')
		fprintf(stderr, PROG " %s: %s\n", j->cmd, j->report.fatal);
	if (fflush(stdout) != 0) {
		fprintf(stderr, PROG " %s: stdout: %s\n", j->cmd, strerror(errno));
		status = 1;
	}
	return status;
}

static bool fk_mode_skip(const Neosync__Plugin__V1__JobHook *h)
{
	return h->plugin != NULL && h->plugin->options != NULL &&
	       h->plugin->options->fk_mode == NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_SKIP;
}

/* --- plan ----------------------------------------------------------------------------------- */

int nsp_plan_command(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"out", required_argument, NULL, 'o'},
		{"remote", required_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "plan";
	nsp_cli cli = {prog, cmd, nsp_plan_command_usage, false};
	const char *config = NULL, *out = NULL, *remote = NULL;
	int o;
	while ((o = nsp_cli_next(&cli, argc, argv, "hv", opts)) >= 0) {
		if (o == 'c')
			config = optarg;
		else if (o == 'o')
			out = optarg;
		else if (o == 'r')
			remote = optarg;
		else if (o == 'v')
			nsp_host_set_log_level(NSP_LOG_DEBUG);
	}
	if (o != NSP_CLI_DONE)
		return o == NSP_CLI_HELP ? 0 : 1;
	if (config == NULL || config[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--config JOB.json is required");
	if (out == NULL || out[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--out DIR is required");
	if (remote != NULL && remote[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--remote needs an address");

	char err[1024];
	if (nsp_host_signals_install(err, sizeof(err)) != 0)
		return fail(cmd, "%s", err);
	struct stat st;
	if (stat(out, &st) != 0) {
		if (errno != ENOENT || mkdir(out, 0777) != 0)
			return fail(cmd, "cannot create the output directory %s: %s", out, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		return fail(cmd, "--out %s exists and is not a directory", out);
	}

	phase_job j;
	int status = 1;
	if (job_open(&j, cmd, config, remote) != 0)
		goto done;
	for (size_t i = 0; i < j.nhooks; i++)
		if (run_pre_sync(&j, i, true) != 0)
			goto done;
	/* Every hook planned: write the files. */
	for (size_t i = 0; i < j.nhooks; i++) {
		const char *name = j.report.hooks[i].name;
		const Neosync__Plugin__V1__Plan *plan = j.report.hooks[i].pre->plan;
		char safe[256], pre[4096], post[4096], bin[4096];
		file_safe(name, safe, sizeof(safe));
		const char *prefix = j.nhooks > 1 ? safe : "";
		const char *dash = j.nhooks > 1 ? "-" : "";
		snprintf(pre, sizeof(pre), "%s/%s%spre-sync.sql", out, prefix, dash);
		snprintf(post, sizeof(post), "%s/%s%spost-sync.sql", out, prefix, dash);
		snprintf(bin, sizeof(bin), "%s/%s%splan.bin", out, prefix, dash);
		bool fk_skip = fk_mode_skip(j.hooks[i].cfg);
		if (nsp_plan_write_sql(plan, PRE, j.cfg->job_id, name, fk_skip, pre, err, sizeof(err)) != 0 ||
		    nsp_plan_write_sql(plan, POST, j.cfg->job_id, name, fk_skip, post, err, sizeof(err)) != 0 ||
		    save_plan(plan, bin, err, sizeof(err)) != 0) {
			put_msg(j.report.fatal, sizeof(j.report.fatal), "%s", err);
			goto done;
		}
		size_t npre = 0, npost = 0;
		for (size_t s = 0; s < plan->n_steps; s++) {
			npre += plan->steps[s]->phase == PRE;
			npost += plan->steps[s]->phase == POST;
		}
		printf("hook %s: %zu pre-sync steps -> %s\n", name, npre, pre);
		printf("hook %s: %zu post-sync steps -> %s\n", name, npost, post);
		printf("hook %s: plan -> %s\n", name, bin);
	}
	status = 0;
done:
	if (j.report.fatal[0] != '\0')
		fprintf(stderr, PROG " %s: %s\n", cmd, j.report.fatal);
	if (fflush(stdout) != 0 && status == 0)
		status = fail(cmd, "stdout: %s", strerror(errno));
	job_close(&j);
	return status;
}

/* --- pre-sync, post-sync ---------------------------------------------------------------------- */

static void on_table(void *ctx, const nsp_hydrate_table *t, size_t done, size_t total)
{
	(void)ctx;
	if (t->error != NULL)
		nsp_host_logf("hydrate", NSP_LOG_WARNING, "%zu/%zu %s.%s FAILED: %s", done, total,
			      t->schema, t->table, t->error);
	else
		nsp_host_logf("hydrate", NSP_LOG_DEBUG, "%zu/%zu %s.%s: %lld rows", done, total,
			      t->schema, t->table, (long long)t->rows);
}

static int hydrate_cancelled(void *ctx)
{
	return nsp_host_is_cancelled(ctx);
}

/* The data step for the tables the plans created (TABLE steps not skipped or failed). */
static int run_hydration(phase_job *j)
{
	char err[1024];
	nsp_hydrate_ref *refs = NULL;
	size_t n = 0;
	if (nsp_report_created_tables(&j->report, &refs, &n) < 0) {
		put_msg(j->report.fatal, sizeof(j->report.fatal), "out of memory");
		return -1;
	}
	j->report.tables_from_plan = true;
	int rc = n > 0 ? nsp_hydrate_tables_from_list(j->source, refs, n, &j->report.tables,
						      &j->report.ntables, err, sizeof(err))
		       : 0;
	free(refs);
	if (rc != 0) {
		put_msg(j->report.fatal, sizeof(j->report.fatal), "data step: %s", err);
		return -1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned parallelism = j->cfg->hydration != NULL ? j->cfg->hydration->parallelism : 0;
	bool truncate = j->cfg->hydration != NULL && j->cfg->hydration->truncate_before_insert;
	j->report.hydration_ran = true;
	if (j->report.ntables > 0 &&
	    nsp_hydrate_run(j->source, j->dest, j->report.tables, j->report.ntables, parallelism,
			    truncate, on_table, NULL, hydrate_cancelled, NULL, err, sizeof(err)) != 0)
		nsp_host_logf("host", NSP_LOG_DEBUG, "data step: %s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->report.hydration_seconds =
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
}

int nsp_pre_sync_command(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"plan-out", required_argument, NULL, 'o'},
		{"remote", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"hydrate", no_argument, NULL, 'H'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "pre-sync";
	nsp_cli cli = {prog, cmd, nsp_pre_sync_command_usage, false};
	const char *config = NULL, *plan_out = NULL, *remote = NULL;
	bool json = false, hydrate = false;
	int o;
	while ((o = nsp_cli_next(&cli, argc, argv, "hv", opts)) >= 0) {
		if (o == 'c')
			config = optarg;
		else if (o == 'o')
			plan_out = optarg;
		else if (o == 'r')
			remote = optarg;
		else if (o == 'j')
			json = true;
		else if (o == 'H')
			hydrate = true;
		else if (o == 'v')
			nsp_host_set_log_level(NSP_LOG_DEBUG);
	}
	if (o != NSP_CLI_DONE)
		return o == NSP_CLI_HELP ? 0 : 1;
	if (config == NULL || config[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--config JOB.json is required");
	if (plan_out == NULL || plan_out[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--plan-out PLAN.bin is required");
	if (remote != NULL && remote[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--remote needs an address");
	char err[1024];
	if (nsp_host_signals_install(err, sizeof(err)) != 0)
		return fail(cmd, "%s", err);

	phase_job j;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (job_open(&j, cmd, config, remote) == 0) {
		for (size_t i = 0; i < j.nhooks; i++) {
			if (nsp_host_cancel_requested()) {
				put_msg(j.report.fatal, sizeof(j.report.fatal), "cancelled before pre-sync");
				break;
			}
			if (run_pre_sync(&j, i, false) != 0)
				break;
			/* Saved as soon as it is known: a crash later keeps what post-sync needs. */
			char path[4096];
			per_hook_path(plan_out, j.report.hooks[i].name, j.nhooks, path, sizeof(path));
			if (save_plan(j.report.hooks[i].pre->plan, path, err, sizeof(err)) != 0) {
				put_msg(j.report.fatal, sizeof(j.report.fatal), "%s", err);
				break;
			}
			nsp_host_logf("host", NSP_LOG_INFO, "hook %s: plan saved to %s",
				      j.report.hooks[i].name, path);
		}
		if (j.report.fatal[0] == '\0' && hydrate) {
			if (nsp_host_cancel_requested())
				put_msg(j.report.fatal, sizeof(j.report.fatal),
					 "cancelled before the data step");
			else
				run_hydration(&j);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j.report.total_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int status = print_report(&j, json);
	job_close(&j);
	return status;
}

int nsp_post_sync_command(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"plan", required_argument, NULL, 'p'},
		{"remote", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "post-sync";
	nsp_cli cli = {prog, cmd, nsp_post_sync_command_usage, false};
	const char *config = NULL, *plan_path = NULL, *remote = NULL;
	bool json = false;
	int o;
	while ((o = nsp_cli_next(&cli, argc, argv, "hv", opts)) >= 0) {
		if (o == 'c')
			config = optarg;
		else if (o == 'p')
			plan_path = optarg;
		else if (o == 'r')
			remote = optarg;
		else if (o == 'j')
			json = true;
		else if (o == 'v')
			nsp_host_set_log_level(NSP_LOG_DEBUG);
	}
	if (o != NSP_CLI_DONE)
		return o == NSP_CLI_HELP ? 0 : 1;
	if (config == NULL || config[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--config JOB.json is required");
	if (plan_path != NULL && plan_path[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--plan needs a path");
	if (remote != NULL && remote[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--remote needs an address");
	char err[1024];
	if (nsp_host_signals_install(err, sizeof(err)) != 0)
		return fail(cmd, "%s", err);

	phase_job j;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	Neosync__Plugin__V1__Plan **plans = NULL;
	if (job_open(&j, cmd, config, remote) == 0) {
		plans = calloc(j.nhooks, sizeof(*plans));
		if (plans == NULL)
			put_msg(j.report.fatal, sizeof(j.report.fatal), "out of memory");
		/* Every plan read before any hook runs: a missing file changes nothing. */
		for (size_t i = 0; plans != NULL && plan_path != NULL && i < j.nhooks; i++) {
			char path[4096];
			per_hook_path(plan_path, j.report.hooks[i].name, j.nhooks, path, sizeof(path));
			if (load_plan(path, &plans[i], err, sizeof(err)) != 0) {
				put_msg(j.report.fatal, sizeof(j.report.fatal), "hook %s: %s",
					 j.report.hooks[i].name, err);
				break;
			}
		}
		for (size_t i = 0; j.report.fatal[0] == '\0' && i < j.nhooks; i++) {
			phase_hook *h = &j.hooks[i];
			nsp_report_hook *rh = &j.report.hooks[i];
			if (nsp_host_cancel_requested()) {
				put_msg(j.report.fatal, sizeof(j.report.fatal), "cancelled before post-sync");
				break;
			}
			Neosync__Plugin__V1__PostSyncRequest req = NEOSYNC__PLUGIN__V1__POST_SYNC_REQUEST__INIT;
			req.job_id = j.cfg->job_id;
			req.run_id = j.report.run_id;
			req.source = j.cfg->source;
			req.destination = j.cfg->destination;
			req.options = h->cfg->plugin != NULL ? h->cfg->plugin->options : NULL;
			req.plan = plans[i];
			req.replan = plans[i] == NULL;
			req.n_tables = j.cfg->n_tables;
			req.tables = j.cfg->tables;
			req.n_exclude_tables = j.cfg->n_exclude_tables;
			req.exclude_tables = j.cfg->exclude_tables;
			nsp_host_logf("host", NSP_LOG_INFO, "hook %s: post-sync%s", rh->name,
				      req.replan ? " (no plan given: the plugin plans again)" : "");
			struct timespec s0, s1;
			clock_gettime(CLOCK_MONOTONIC, &s0);
			int rc = h->remote != NULL
					 ? nsp_grpc_client_post_sync(h->remote, &req, &rh->post, &rh->post_status,
								     err, sizeof(err))
					 : nsp_loader_post_sync(h->plugin, &req, &rh->post, &rh->post_status, err,
								sizeof(err));
			clock_gettime(CLOCK_MONOTONIC, &s1);
			rh->post_seconds = (double)(s1.tv_sec - s0.tv_sec) +
					   (double)(s1.tv_nsec - s0.tv_nsec) / 1e9;
			nsp_host_status_clear();
			if (rc != 0) {
				put_msg(j.report.fatal, sizeof(j.report.fatal), "hook %s: post-sync: %s",
					 rh->name, err);
				break;
			}
			if (response_fatal(rh->post_status, rh->post->error)) {
				set_hook_failure(&j, rh->name, "post-sync", rh->post_status, rh->post->error);
				break;
			}
		}
		if (j.report.fatal[0] == '\0' && nsp_host_cancel_requested())
			put_msg(j.report.fatal, sizeof(j.report.fatal), "cancelled during post-sync");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j.report.total_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int status = print_report(&j, json);
	for (size_t i = 0; plans != NULL && i < j.nhooks; i++)
		if (plans[i] != NULL)
			neosync__plugin__v1__plan__free_unpacked(plans[i], NULL);
	free(plans);
	job_close(&j);
	return status;
}
