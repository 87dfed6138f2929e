#include "host_api.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "abi.h"
#include "progress_line.h"
#include "neosync/plugin/v1/plan.pb-c.h"

/* One lock for everything written to stderr here, so lines never interleave. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static bool status_shown;  /* a status line is on screen (guarded by out_lock) */
static int progress_mode = -1; /* -1: decide from isatty(stderr); 0/1 forced */

static volatile sig_atomic_t cancel_signal; /* signal number, or -1 when requested by code */

const char *nsp_host_level_name(nsp_log_level level)
{
	switch (level) {
	case NSP_LOG_DEBUG:
		return "DEBUG";
	case NSP_LOG_INFO:
		return "INFO";
	case NSP_LOG_WARNING:
		return "WARNING";
	case NSP_LOG_ERROR:
		return "ERROR";
	}
	return "INFO";
}

bool nsp_host_progress_enabled(void)
{
	if (progress_mode < 0)
		progress_mode = isatty(STDERR_FILENO) ? 1 : 0;
	return progress_mode == 1;
}

void nsp_host_set_progress(bool enabled)
{
	progress_mode = enabled ? 1 : 0;
}

/* Caller holds out_lock. */
static void clear_status_locked(void)
{
	if (status_shown) {
		fputs("\r\033[K", stderr);
		status_shown = false;
	}
}

static int log_json = -1; /* -1: decide from NSP_LOG_FORMAT */
static char log_job_id[128], log_run_id[64]; /* guarded by out_lock */

void nsp_host_set_log_json(bool json)
{
	log_json = json ? 1 : 0;
}

bool nsp_host_log_json(void)
{
	if (log_json < 0) {
		const char *v = getenv("NSP_LOG_FORMAT");
		log_json = v != NULL && strcasecmp(v, "json") == 0;
	}
	return log_json == 1;
}

void nsp_host_set_log_context(const char *job_id, const char *run_id)
{
	pthread_mutex_lock(&out_lock);
	snprintf(log_job_id, sizeof(log_job_id), "%s", job_id ? job_id : "");
	snprintf(log_run_id, sizeof(log_run_id), "%s", run_id ? run_id : "");
	pthread_mutex_unlock(&out_lock);
}

static void format_now(char *when, size_t len)
{
	struct timespec ts;
	struct tm tm;
	when[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) != NULL) {
		size_t n = strftime(when, len, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000L);
	}
}

static void add_member(json_object *o, const char *key, const char *val)
{
	if (val != NULL && val[0] != '\0')
		json_object_object_add(o, key, json_object_new_string(val));
}

void nsp_host_log_json_line(nsp_log_level level, const char *hook, const char *job_id,
			    const char *run_id, const char *msg, va_list *pairs)
{
	if (level < nsp_host_log_level())
		return;
	static const char *const words[] = {"debug", "info", "warning", "error"};
	char when[40];
	format_now(when, sizeof(when));
	json_object *o = json_object_new_object();
	if (o == NULL)
		return;
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "level", json_object_new_string(
						   level <= NSP_LOG_ERROR ? words[level] : "info"));
	json_object_object_add(o, "msg", json_object_new_string(msg != NULL ? msg : ""));
	pthread_mutex_lock(&out_lock);
	add_member(o, "job_id", job_id != NULL && job_id[0] ? job_id : log_job_id);
	add_member(o, "run_id", run_id != NULL && run_id[0] ? run_id : log_run_id);
	add_member(o, "hook", hook);
	if (pairs != NULL) {
		const char *k;
		while ((k = va_arg(*pairs, const char *)) != NULL)
			add_member(o, k, va_arg(*pairs, const char *));
	}
	clear_status_locked();
	fprintf(stderr, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
	json_object_put(o);
}

static void write_line(const char *name, nsp_log_level level, const char *message)
{
	if (nsp_host_log_json()) {
		nsp_host_log_json_line(level, name != NULL && name[0] ? name : "host", NULL, NULL, message, NULL);
		return;
	}
	char when[40];
	format_now(when, sizeof(when));
	pthread_mutex_lock(&out_lock);
	clear_status_locked();
	fprintf(stderr, "%s %s [%s] %s\n", when, nsp_host_level_name(level),
		name != NULL && name[0] != '\0' ? name : "host", message != NULL ? message : "");
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
}

void nsp_host_log(void *host_ctx, nsp_log_level level, const char *message)
{
	const nsp_host_ctx *ctx = host_ctx;
	if (ctx != NULL && level < ctx->min_level)
		return;
	write_line(ctx != NULL ? ctx->name : "plugin", level, message);
}

static int global_level = -1;

void nsp_host_set_log_level(nsp_log_level level)
{
	global_level = (int)level;
}

nsp_log_level nsp_host_log_level(void)
{
	if (global_level >= 0)
		return (nsp_log_level)global_level;
	const char *v = getenv("NSP_LOG_LEVEL");
	if (v == NULL)
		return NSP_LOG_INFO;
	if (strcasecmp(v, "debug") == 0)
		return NSP_LOG_DEBUG;
	if (strcasecmp(v, "warning") == 0)
		return NSP_LOG_WARNING;
	if (strcasecmp(v, "error") == 0)
		return NSP_LOG_ERROR;
	return NSP_LOG_INFO;
}

void nsp_host_logf(const char *name, nsp_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level < nsp_host_log_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	write_line(name != NULL ? name : "host", level, msg);
}

void nsp_host_status(const char *line)
{
	if (!nsp_host_progress_enabled())
		return;
	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "\r\033[K%s", line);
	status_shown = true;
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
}

void nsp_host_status_done(const char *line)
{
	if (!nsp_host_progress_enabled())
		return;
	pthread_mutex_lock(&out_lock);
	clear_status_locked();
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
}

void nsp_host_status_clear(void)
{
	if (!nsp_host_progress_enabled())
		return;
	pthread_mutex_lock(&out_lock);
	clear_status_locked();
	fflush(stderr);
	pthread_mutex_unlock(&out_lock);
}

static const char *phase_name(Neosync__Plugin__V1__Phase phase)
{
	switch (phase) {
	case NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC:
		return "pre-sync";
	case NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC:
		return "post-sync";
	default:
		return "plan";
	}
}

static const char *status_name(Neosync__Plugin__V1__StepStatus status)
{
	switch (status) {
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED:
		return "applied";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED:
		return "FAILED";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_SKIPPED:
		return "skipped";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_UNCHANGED:
		return "unchanged";
	case NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_CONFLICT:
		return "CONFLICT";
	default:
		return "running";
	}
}

void nsp_host_progress(void *host_ctx, const uint8_t *event, size_t event_len)
{
	const nsp_host_ctx *ctx = host_ctx;
	const char *name = ctx != NULL ? ctx->name : "plugin";
	bool debug = ctx != NULL && ctx->min_level <= NSP_LOG_DEBUG;

	if (!nsp_host_progress_enabled() && !debug)
		return;
	Neosync__Plugin__V1__ProgressEvent *ev =
		neosync__plugin__v1__progress_event__unpack(NULL, event_len, event);
	if (ev == NULL) {
		nsp_host_logf(name, NSP_LOG_WARNING,
			      "ignored a progress event of %zu bytes that is not a ProgressEvent",
			      event_len);
		return;
	}
	char line[512];
	snprintf(line, sizeof(line), "[%s] %s %u/%u %s %s%s%s", name, phase_name(ev->phase),
		 (unsigned)ev->done, (unsigned)ev->total, status_name(ev->status),
		 ev->identity != NULL ? ev->identity : "",
		 ev->message != NULL && ev->message[0] != '\0' ? ": " : "",
		 ev->message != NULL ? ev->message : "");
	if (nsp_host_progress_enabled()) {
		nsp_progress_step_event(name, ev); /* progress_line.c: the live line */
	} else {
		write_line(name, NSP_LOG_DEBUG, line);
	}
	neosync__plugin__v1__progress_event__free_unpacked(ev, NULL);
}

int nsp_host_is_cancelled(void *host_ctx)
{
	(void)host_ctx;
	return cancel_signal != 0;
}

bool nsp_host_cancel_requested(void)
{
	return cancel_signal != 0;
}

void nsp_host_request_cancel(void)
{
	cancel_signal = -1;
}

int nsp_host_cancel_signal(void)
{
	return cancel_signal > 0 ? (int)cancel_signal : 0;
}

static void on_signal(int sig)
{
	if (cancel_signal != 0) {
		/* Second signal: stop now, as the user asks. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	cancel_signal = sig;
}

int nsp_host_signals_install(char *err, size_t errlen)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) != 0) {
			snprintf(err, errlen, "cannot install the handler of signal %d: %s", sigs[i],
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

void nsp_host_api_make(nsp_host_api *api, nsp_host_ctx *ctx, const char *name,
		       nsp_log_level min_level)
{
	memset(ctx, 0, sizeof(*ctx));
	snprintf(ctx->name, sizeof(ctx->name), "%s", name != NULL ? name : "plugin");
	ctx->min_level = min_level;
	nsp_abi_host_api_init(api, ctx, nsp_host_log, nsp_host_progress, nsp_host_is_cancelled);
}
