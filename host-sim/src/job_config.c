/* job_config - see job_config.h. */
#include "job_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_proto.h"
#include "strbuf.h"

/* A job config is a few kilobytes; refuse anything absurd before reading it into memory. */
#define MAX_CONFIG_BYTES (16u * 1024u * 1024u)

typedef struct vctx {
	const char *text;
	size_t len;
	const char *filename;
	char *err;
	size_t errlen;
} vctx;

/* Report a validation error about the field at path. The field may be absent from the text
 * (a missing required field), so the position is that of the nearest enclosing value present. */
static int verr(vctx *v, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int verr(vctx *v, const char *path, const char *fmt, ...)
{
	char msg[512];
	char where[256];
	unsigned line = 0, col = 0;
	bool found = false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(where, sizeof where, "%s", path);
	for (;;) {
		if (nsp_json_locate(v->text, v->len, where, false, &line, &col) == 0) {
			found = true;
			break;
		}
		/* drop the last segment: "$.a.b[2]" -> "$.a.b" -> "$.a" -> "$" */
		char *dot = strrchr(where, '.'), *br = strrchr(where, '[');
		char *cut = dot > br ? dot : br;
		if (cut == NULL)
			break;
		*cut = '\0';
	}
	if (v->errlen == 0)
		return -1;
	if (found)
		snprintf(v->err, v->errlen, "%s:%u:%u: %s (at %s)", v->filename, line, col, msg, path);
	else
		snprintf(v->err, v->errlen, "%s: %s (at %s)", v->filename, msg, path);
	return -1;
}

static bool empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* The URL itself is never put in a message: it may hold a password. */
static int check_connection(vctx *v, const Neosync__Plugin__V1__Connection *conn, const char *name)
{
	char path[64];
	snprintf(path, sizeof path, "$.%s", name);
	if (conn == NULL)
		return verr(v, path, "missing \"%s\": the job needs a %s connection, e.g. {\"postgres\": {\"url\": \"postgresql://...\"}}",
		            name, name);
	if (conn->kind_case != NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES || conn->postgres == NULL)
		return verr(v, path, "\"%s\" names no connection: set %s.postgres.url", name, name);
	snprintf(path, sizeof path, "$.%s.postgres.url", name);
	if (empty(conn->postgres->url))
		return verr(v, path, "%s.postgres.url is empty: give a libpq URL or conninfo string", name);
	return 0;
}

static int check_tables(vctx *v, Neosync__Plugin__V1__TableRef **tables, size_t n, const char *name)
{
	char path[96];
	for (size_t i = 0; i < n; i++) {
		if (empty(tables[i]->schema)) {
			snprintf(path, sizeof path, "$.%s[%zu].schema", name, i);
			return verr(v, path, "%s[%zu] has no \"schema\" (use \"*\" for any schema)", name, i);
		}
		if (empty(tables[i]->table)) {
			snprintf(path, sizeof path, "$.%s[%zu].table", name, i);
			return verr(v, path, "%s[%zu] has no \"table\" (use \"*\" for every table of the schema)", name, i);
		}
	}
	return 0;
}

static int check_hooks(vctx *v, const Neosync__Plugin__V1__JobConfig *cfg)
{
	char path[96];
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		const Neosync__Plugin__V1__JobHook *h = cfg->hooks[i];
		if (empty(h->name)) {
			snprintf(path, sizeof path, "$.hooks[%zu].name", i);
			return verr(v, path, "hooks[%zu] has no name", i);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(cfg->hooks[j]->name, h->name) == 0) {
				snprintf(path, sizeof path, "$.hooks[%zu].name", i);
				return verr(v, path, "hook name \"%s\" is used twice (hooks[%zu] and hooks[%zu]); hook names must be unique",
				            h->name, j, i);
			}
		}
		if (!h->enabled)
			continue;
		const Neosync__Plugin__V1__PluginHook *p = h->plugin;
		bool has_target =
			p != NULL && ((p->target_case == NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_PATH && !empty(p->path)) ||
			              (p->target_case == NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS && !empty(p->address)));
		if (!has_target) {
			snprintf(path, sizeof path, "$.hooks[%zu].plugin", i);
			return verr(v, path, "enabled hook \"%s\" needs plugin.path (a shared object) or plugin.address (a plugin host)",
			            h->name);
		}
	}
	return 0;
}

static int validate(vctx *v, const Neosync__Plugin__V1__JobConfig *cfg)
{
	if (empty(cfg->job_id))
		return verr(v, "$.jobId", "\"jobId\" is missing or empty");
	if (check_connection(v, cfg->source, "source") != 0 ||
	    check_connection(v, cfg->destination, "destination") != 0 ||
	    check_tables(v, cfg->tables, cfg->n_tables, "tables") != 0 ||
	    check_tables(v, cfg->exclude_tables, cfg->n_exclude_tables, "excludeTables") != 0)
		return -1;
	if (cfg->hydration != NULL && cfg->hydration->parallelism > NSP_JOB_CONFIG_MAX_PARALLELISM)
		return verr(v, "$.hydration.parallelism", "hydration.parallelism %u is more than %d",
		            cfg->hydration->parallelism, NSP_JOB_CONFIG_MAX_PARALLELISM);
	return check_hooks(v, cfg);
}

int nsp_job_config_parse(const char *text, size_t len, const char *filename,
                         Neosync__Plugin__V1__JobConfig **out, char *err, size_t errlen)
{
	ProtobufCMessage *msg = NULL;
	vctx v = {text, len, filename ? filename : "<job config>", err, errlen};
	*out = NULL;
	if (nsp_json_to_proto(text, len, v.filename, &neosync__plugin__v1__job_config__descriptor, &msg, err,
	                      errlen) != 0)
		return -1;
	Neosync__Plugin__V1__JobConfig *cfg = (Neosync__Plugin__V1__JobConfig *)msg;
	if (validate(&v, cfg) != 0) {
		nsp_job_config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

int nsp_job_config_load_file(const char *path, Neosync__Plugin__V1__JobConfig **out, char *err,
                             size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open job config: %s", path, strerror(errno));
		return -1;
	}
	nsp_strbuf sb;
	char chunk[8192];
	size_t n;
	nsp_strbuf_init(&sb);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		nsp_strbuf_append_len(&sb, chunk, n);
		if (sb.len > MAX_CONFIG_BYTES) {
			snprintf(err, errlen, "%s: job config larger than %u bytes", path, MAX_CONFIG_BYTES);
			goto fail;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read job config: %s", path, strerror(errno));
		goto fail;
	}
	if (nsp_strbuf_failed(&sb)) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	fclose(f);
	int rc = nsp_job_config_parse(sb.data, sb.len, path, out, err, errlen);
	nsp_strbuf_free(&sb);
	return rc;
fail:
	fclose(f);
	nsp_strbuf_free(&sb);
	return -1;
}

void nsp_job_config_free(Neosync__Plugin__V1__JobConfig *cfg)
{
	if (cfg != NULL)
		protobuf_c_message_free_unpacked(&cfg->base, NULL);
}
