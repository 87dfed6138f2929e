#include "grpc_server.h"

#include <errno.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "grpc_common.h"
#include "host_api.h"
#include "loader.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

typedef enum tag_kind { TAG_NEW_CALL = 1, TAG_OP, TAG_CLOSE, TAG_SHUTDOWN } tag_kind;

typedef struct srv_tag {
	tag_kind kind;
	struct call_ctx *call;
} srv_tag;

typedef struct server {
	grpc_server *srv;
	grpc_completion_queue *cq;
	nsp_loaded_plugin *plugin;
	pthread_mutex_t mu;
	int active;      /* calls whose thread has not finished (guarded by mu) */
	long requested;  /* calls requested from gRPC and not yet arrived */
	atomic_int cancel_all; /* the grace period is over: every hook's probe says stop */
	atomic_long calls_total;
	srv_tag shutdown_tag;
} server;

typedef struct call_ctx {
	server *s;
	srv_tag new_tag, op_tag, close_tag;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array request_md;
	gpr_timespec deadline; /* monotonic */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool op_done, op_ok; /* the one outstanding batch (guarded by mu) */
	bool closed;         /* RECV_CLOSE_ON_SERVER completed (guarded by mu) */
	int close_cancelled; /* written by gRPC for RECV_CLOSE_ON_SERVER */
	atomic_int cancelled;/* the client cancelled, the deadline passed, or a send failed */

	pthread_mutex_t send_mu; /* one SEND_MESSAGE at a time (progress from any plugin thread) */
	bool final_sent;
	unsigned progress_sent;

	char method[160];
	const char *hook; /* "describe", "pre_sync", "post_sync", "health" or NULL */
	char job_id[128];
	char run_id[80];
} call_ctx;

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t stop_count;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
	stop_count++;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- batches ------------------------------------------------------------------------------- */

/* Start a batch on the call and wait for its completion (delivered by the dispatcher). Returns
 * whether it succeeded. Only one batch (besides RECV_CLOSE_ON_SERVER) is outstanding per call. */
static bool run_batch(call_ctx *c, const grpc_op *ops, size_t nops)
{
	pthread_mutex_lock(&c->mu);
	c->op_done = false;
	c->op_ok = false;
	pthread_mutex_unlock(&c->mu);
	grpc_call_error e = grpc_call_start_batch(c->call, ops, nops, &c->op_tag, NULL);
	if (e != GRPC_CALL_OK) {
		nsp_grpc_logf(NSP_LOG_ERROR, c->hook, c->job_id, c->run_id,
			      "grpc_call_start_batch failed with %d on %s", (int)e, c->method);
		return false;
	}
	pthread_mutex_lock(&c->mu);
	while (!c->op_done)
		pthread_cond_wait(&c->cv, &c->mu);
	bool ok = c->op_ok;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

static bool deadline_passed(const call_ctx *c)
{
	return gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), c->deadline) >= 0;
}

/* --- the host API of one call's plugin handle ------------------------------------------------ */

static void call_log(void *host_ctx, nsp_log_level level, const char *message)
{
	call_ctx *c = host_ctx;
	nsp_grpc_log(level, c->hook, c->job_id, c->run_id, message, "method", c->method, NULL);
}

static int call_is_cancelled(void *host_ctx)
{
	call_ctx *c = host_ctx;
	if (atomic_load(&c->cancelled) || atomic_load(&c->s->cancel_all))
		return 1;
	pthread_mutex_lock(&c->mu);
	bool closed = c->closed;
	pthread_mutex_unlock(&c->mu);
	if (closed || deadline_passed(c)) {
		if (atomic_exchange(&c->cancelled, 1) == 0)
			nsp_grpc_log(NSP_LOG_INFO, c->hook, c->job_id, c->run_id,
				     closed ? "call cancelled by the client" : "call deadline passed",
				     "method", c->method, NULL);
		return 1;
	}
	return 0;
}

static void call_progress(void *host_ctx, const uint8_t *event, size_t event_len)
{
	call_ctx *c = host_ctx;
	if (call_is_cancelled(c))
		return;
	size_t n = 0;
	uint8_t *framed = nsp_grpc_frame_field(1, event, event_len, &n);
	if (framed == NULL)
		return;
	grpc_byte_buffer *bb = nsp_grpc_buffer_from(framed, n);
	free(framed);
	pthread_mutex_lock(&c->send_mu);
	if (!c->final_sent) {
		grpc_op op;
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_SEND_MESSAGE;
		op.data.send_message.send_message = bb;
		if (run_batch(c, &op, 1))
			c->progress_sent++;
		else
			atomic_store(&c->cancelled, 1); /* the client is gone */
	}
	pthread_mutex_unlock(&c->send_mu);
	grpc_byte_buffer_destroy(bb);
}

/* --- one call ------------------------------------------------------------------------------ */

/* Send the final message (may be NULL) and the status; wait for it. */
static void finish_call(call_ctx *c, const uint8_t *msg, size_t msg_len, bool have_msg,
			grpc_status_code code, const char *details, int hook_status)
{
	grpc_op ops[2];
	size_t n = 0;
	grpc_byte_buffer *bb = NULL;
	grpc_metadata md;
	char status_text[16];
	grpc_slice details_slice = grpc_slice_from_copied_string(details != NULL ? details : "");

	memset(ops, 0, sizeof(ops));
	memset(&md, 0, sizeof(md));
	if (have_msg) {
		bb = nsp_grpc_buffer_from(msg, msg_len);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = bb;
		n++;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = code;
	ops[n].data.send_status_from_server.status_details = &details_slice;
	if (hook_status >= 0) {
		snprintf(status_text, sizeof(status_text), "%d", hook_status);
		md.key = grpc_slice_from_static_string(NSP_GRPC_MD_HOOK_STATUS);
		md.value = grpc_slice_from_copied_string(status_text);
		ops[n].data.send_status_from_server.trailing_metadata_count = 1;
		ops[n].data.send_status_from_server.trailing_metadata = &md;
	}
	n++;
	pthread_mutex_lock(&c->send_mu);
	c->final_sent = true;
	(void)run_batch(c, ops, n);
	pthread_mutex_unlock(&c->send_mu);
	if (bb != NULL)
		grpc_byte_buffer_destroy(bb);
	if (hook_status >= 0)
		grpc_slice_unref(md.value);
	grpc_slice_unref(details_slice);
}

/* The Error message of a Pre/PostSyncResponse (field 1: Error; its field 2: message). */
static void response_error_message(const uint8_t *resp, size_t len, char *out, size_t outlen)
{
	const uint8_t *e;
	size_t elen;
	out[0] = '\0';
	if (resp != NULL && nsp_grpc_find_field(resp, len, 1, &e, &elen) == 1)
		nsp_grpc_string_field(e, elen, 2, out, outlen);
}

static void handle_health(call_ctx *c, const uint8_t *req, size_t req_len)
{
	static const uint8_t serving[] = {0x08, 0x01};
	char service[256];
	const uint8_t *v;
	size_t vlen;
	if (nsp_grpc_find_field(req, req_len, 1, &v, &vlen) < 0) {
		finish_call(c, NULL, 0, false, GRPC_STATUS_INVALID_ARGUMENT,
			    "request is not a grpc.health.v1.HealthCheckRequest", -1);
		return;
	}
	nsp_grpc_string_field(req, req_len, 1, service, sizeof(service));
	if (service[0] != '\0' && strcmp(service, NSP_GRPC_SERVICE) != 0) {
		finish_call(c, NULL, 0, false, GRPC_STATUS_NOT_FOUND, "unknown service", -1);
		return;
	}
	finish_call(c, serving, sizeof(serving), true, GRPC_STATUS_OK, "", -1);
}

static grpc_status_code handle_hook(call_ctx *c, const uint8_t *req, size_t req_len,
				    char *details, size_t dlen)
{
	const nsp_plugin_descriptor *d = &c->s->plugin->desc;
	nsp_hook_fn fn = strcmp(c->hook, "describe") == 0   ? d->describe
			 : strcmp(c->hook, "pre_sync") == 0 ? d->pre_sync
							    : d->post_sync;
	bool streamed = strcmp(c->hook, "describe") != 0;

	if (streamed) {
		/* PreSyncRequest and PostSyncRequest: job_id = 1, run_id = 2 (for the logs). */
		nsp_grpc_string_field(req, req_len, 1, c->job_id, sizeof(c->job_id));
		nsp_grpc_string_field(req, req_len, 2, c->run_id, sizeof(c->run_id));
	}
	if (fn == NULL) {
		snprintf(details, dlen, "the plugin has no %s hook", c->hook);
		finish_call(c, NULL, 0, false, GRPC_STATUS_UNIMPLEMENTED, details, -1);
		return GRPC_STATUS_UNIMPLEMENTED;
	}

	nsp_host_api api;
	nsp_plugin *handle = NULL;
	char oerr[512] = "";
	nsp_abi_host_api_init(&api, c, call_log, call_progress, call_is_cancelled);
	int rc = d->open(&api, &handle, oerr, sizeof(oerr));
	oerr[sizeof(oerr) - 1] = '\0';
	if (rc != NSP_OK || handle == NULL) {
		snprintf(details, dlen, "the plugin could not open a handle (%s): %s",
			 nsp_loader_status_name(rc), oerr[0] ? oerr : "(no reason given)");
		finish_call(c, NULL, 0, false, GRPC_STATUS_INTERNAL, details, -1);
		return GRPC_STATUS_INTERNAL;
	}
	uint8_t *out = NULL;
	size_t out_len = 0;
	int hs = fn(handle, req, req_len, &out, &out_len);

	grpc_status_code code = nsp_grpc_status_for_hook(hs, deadline_passed(c));
	bool have = out != NULL || (hs == NSP_OK && out_len == 0);
	static const uint8_t empty[1];
	const uint8_t *resp = out != NULL ? out : empty;
	if (!have) {
		code = code == GRPC_STATUS_OK ? GRPC_STATUS_INTERNAL : code;
		snprintf(details, dlen, "the plugin's %s returned %s and no response", c->hook,
			 nsp_loader_status_name(hs));
	} else if (code != GRPC_STATUS_OK) {
		char msg[512] = "";
		if (streamed)
			response_error_message(resp, out_len, msg, sizeof(msg));
		snprintf(details, dlen, "%s: %s", nsp_loader_status_name(hs),
			 msg[0] ? msg : "the plugin refused the request");
	} else {
		details[0] = '\0';
	}
	if (atomic_load(&c->s->cancel_all) && code == GRPC_STATUS_CANCELLED)
		snprintf(details, dlen, "cancelled: the plugin host is shutting down");

	if (have && streamed) {
		size_t flen = 0;
		uint8_t *framed = nsp_grpc_frame_field(2, resp, out_len, &flen);
		if (framed == NULL) {
			snprintf(details, dlen, "out of memory framing a response of %zu bytes",
				 out_len);
			finish_call(c, NULL, 0, false, GRPC_STATUS_RESOURCE_EXHAUSTED, details, hs);
			code = GRPC_STATUS_RESOURCE_EXHAUSTED;
		} else {
			finish_call(c, framed, flen, true, code, details, hs);
			free(framed);
		}
	} else {
		finish_call(c, resp, out_len, have, code, details, hs);
	}
	if (out != NULL && d->free_buffer != NULL)
		d->free_buffer(out);
	d->close(handle);
	return code;
}

static void *call_thread(void *arg)
{
	call_ctx *c = arg;
	server *s = c->s;
	double t0 = mono_now();
	grpc_status_code code = GRPC_STATUS_OK;
	char details[1024] = "";
	grpc_byte_buffer *req_bb = NULL;

	/* Learn about cancellation (client, deadline, connection) while the hook runs. */
	{
		grpc_op op;
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		op.data.recv_close_on_server.cancelled = &c->close_cancelled;
		if (grpc_call_start_batch(c->call, &op, 1, &c->close_tag, NULL) != GRPC_CALL_OK) {
			pthread_mutex_lock(&c->mu);
			c->closed = true; /* nothing will arrive for close_tag */
			pthread_mutex_unlock(&c->mu);
		}
	}

	if (strcmp(c->method, NSP_GRPC_METHOD_DESCRIBE) == 0)
		c->hook = "describe";
	else if (strcmp(c->method, NSP_GRPC_METHOD_PRE_SYNC) == 0)
		c->hook = "pre_sync";
	else if (strcmp(c->method, NSP_GRPC_METHOD_POST_SYNC) == 0)
		c->hook = "post_sync";
	else if (strcmp(c->method, NSP_GRPC_METHOD_HEALTH_CHECK) == 0)
		c->hook = "health";

	if (c->hook == NULL) {
		code = GRPC_STATUS_UNIMPLEMENTED;
		snprintf(details, sizeof(details), "unknown method %s (this host serves "
			 NSP_GRPC_SERVICE " and grpc.health.v1.Health/Check)", c->method);
		grpc_op op;
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_SEND_INITIAL_METADATA;
		(void)run_batch(c, &op, 1);
		finish_call(c, NULL, 0, false, code, details, -1);
		goto done;
	}

	{
		grpc_op ops[2];
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[1].op = GRPC_OP_RECV_MESSAGE;
		ops[1].data.recv_message.recv_message = &req_bb;
		bool ok = run_batch(c, ops, 2);
		if (!ok || req_bb == NULL) {
			/* No message: the client closed without one, or gRPC refused it (too large:
			 * gRPC has already ended the call with RESOURCE_EXHAUSTED), or cancelled. */
			code = call_is_cancelled(c) ? GRPC_STATUS_CANCELLED
						     : GRPC_STATUS_INVALID_ARGUMENT;
			snprintf(details, sizeof(details), "no request message received");
			finish_call(c, NULL, 0, false, code, details, -1);
			goto done;
		}
	}
	size_t req_len = 0;
	uint8_t *req = nsp_grpc_buffer_flatten(req_bb, &req_len);
	grpc_byte_buffer_destroy(req_bb);
	if (req == NULL) {
		code = GRPC_STATUS_RESOURCE_EXHAUSTED;
		snprintf(details, sizeof(details), "out of memory reading the request");
		finish_call(c, NULL, 0, false, code, details, -1);
		goto done;
	}
	if (strcmp(c->hook, "health") == 0) {
		handle_health(c, req, req_len);
		code = GRPC_STATUS_OK;
	} else {
		code = handle_hook(c, req, req_len, details, sizeof(details));
	}
	free(req);

done:
	/* The call is over for gRPC once RECV_CLOSE_ON_SERVER completed: then release it. */
	pthread_mutex_lock(&c->mu);
	while (!c->closed)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	if (c->close_cancelled && code == GRPC_STATUS_OK)
		code = deadline_passed(c) ? GRPC_STATUS_DEADLINE_EXCEEDED : GRPC_STATUS_CANCELLED;

	char ms[32], progress[16];
	snprintf(ms, sizeof(ms), "%.1f", (mono_now() - t0) * 1000.0);
	snprintf(progress, sizeof(progress), "%u", c->progress_sent);
	nsp_grpc_log(code == GRPC_STATUS_OK ? NSP_LOG_INFO : NSP_LOG_WARNING, c->hook, c->job_id,
		     c->run_id, "call finished", "method", c->method, "status",
		     nsp_grpc_status_name(code), "details", details, "duration_ms", ms,
		     "progress_events", progress, NULL);

	grpc_call_unref(c->call);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->request_md);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->send_mu);
	free(c);

	pthread_mutex_lock(&s->mu);
	s->active--;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static call_ctx *new_call_ctx(server *s)
{
	call_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->s = s;
	c->new_tag.kind = TAG_NEW_CALL;
	c->op_tag.kind = TAG_OP;
	c->close_tag.kind = TAG_CLOSE;
	c->new_tag.call = c->op_tag.call = c->close_tag.call = c;
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->request_md);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_mutex_init(&c->send_mu, NULL);
	return c;
}

static void free_unstarted(call_ctx *c)
{
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->request_md);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->send_mu);
	free(c);
}

/* Ask gRPC for the next call. Returns 0, or -1 (logged). */
static int request_call(server *s)
{
	call_ctx *c = new_call_ctx(s);
	if (c == NULL) {
		nsp_grpc_logf(NSP_LOG_ERROR, NULL, NULL, NULL, "out of memory waiting for a call");
		return -1;
	}
	grpc_call_error e = grpc_server_request_call(s->srv, &c->call, &c->details, &c->request_md,
						     s->cq, s->cq, &c->new_tag);
	if (e != GRPC_CALL_OK) {
		nsp_grpc_logf(NSP_LOG_ERROR, NULL, NULL, NULL, "grpc_server_request_call failed: %d",
			      (int)e);
		free_unstarted(c);
		return -1;
	}
	s->requested++;
	return 0;
}

static void start_call(server *s, call_ctx *c)
{
	size_t n = GRPC_SLICE_LENGTH(c->details.method);
	if (n >= sizeof(c->method))
		n = sizeof(c->method) - 1;
	memcpy(c->method, GRPC_SLICE_START_PTR(c->details.method), n);
	c->method[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c->method[i] < 0x20 || (unsigned char)c->method[i] >= 0x7f)
			c->method[i] = '?';
	c->deadline = gpr_convert_clock_type(c->details.deadline, GPR_CLOCK_MONOTONIC);
	atomic_fetch_add(&s->calls_total, 1);

	pthread_attr_t attr;
	pthread_t tid;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&s->mu);
	s->active++;
	pthread_mutex_unlock(&s->mu);
	int e = pthread_create(&tid, &attr, call_thread, c);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		/* No thread: answer here, on the dispatcher, without blocking on the batch. */
		nsp_grpc_logf(NSP_LOG_ERROR, NULL, NULL, NULL, "cannot start a thread for %s: %s",
			      c->method, strerror(e));
		grpc_call_cancel_with_status(c->call, GRPC_STATUS_RESOURCE_EXHAUSTED,
					     "the plugin host cannot start a thread", NULL);
		grpc_call_unref(c->call);
		free_unstarted(c);
		pthread_mutex_lock(&s->mu);
		s->active--;
		pthread_mutex_unlock(&s->mu);
	}
}

/* --- listening ----------------------------------------------------------------------------- */

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
		if (cap - len - 1 == 0) {
			if (cap > (16u << 20)) {
				snprintf(err, errlen, "%s: larger than 16 MiB", path);
				free(buf);
				buf = NULL;
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf != NULL && ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	} else if (buf == NULL && err[0] == '\0') {
		snprintf(err, errlen, "out of memory reading %s", path);
	}
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

/* A Unix socket path: refuse a live socket or a non-socket, remove a stale socket. */
static int prepare_unix_path(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; not replacing it", path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket(): %s", strerror(errno));
		return -1;
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int cerr = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen,
			 "%s is in use: another server is listening on it (stop it, or choose "
			 "another path)",
			 path);
		return -1;
	}
	if (cerr != ECONNREFUSED) {
		snprintf(err, errlen, "cannot check whether %s is in use: %s", path, strerror(cerr));
		return -1;
	}
	if (unlink(path) != 0) {
		snprintf(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	nsp_grpc_log(NSP_LOG_INFO, NULL, NULL, NULL, "removed a stale socket file", "path", path,
		     NULL);
	return 0;
}

static grpc_server_credentials *make_creds(const nsp_grpc_server_options *o, char *err,
					   size_t errlen)
{
	if (o->tls_cert == NULL && o->tls_key == NULL)
		return grpc_insecure_server_credentials_create();
	if (o->tls_cert == NULL || o->tls_key == NULL) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return NULL;
	}
	char *cert = read_file(o->tls_cert, err, errlen);
	char *key = cert != NULL ? read_file(o->tls_key, err, errlen) : NULL;
	char *ca = NULL;
	if (key != NULL && o->tls_client_ca != NULL)
		ca = read_file(o->tls_client_ca, err, errlen);
	grpc_server_credentials *creds = NULL;
	if (cert != NULL && key != NULL && (o->tls_client_ca == NULL || ca != NULL)) {
		grpc_ssl_pem_key_cert_pair pair = {key, cert};
		creds = grpc_ssl_server_credentials_create_ex(
			ca, &pair, 1,
			ca != NULL ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
				   : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
			NULL);
		if (creds == NULL)
			snprintf(err, errlen, "the TLS certificate or key was not accepted");
	}
	free(cert);
	if (key != NULL) {
		memset(key, 0, strlen(key));
		free(key);
	}
	free(ca);
	return creds;
}

/* --- serve --------------------------------------------------------------------------------- */

static void startup_log(void *host_ctx, nsp_log_level level, const char *message)
{
	(void)host_ctx;
	nsp_grpc_log(level, "describe", NULL, NULL, message, NULL);
}

static int never_cancelled(void *host_ctx)
{
	(void)host_ctx;
	return 0;
}

int nsp_grpc_serve(const nsp_grpc_server_options *o)
{
	char err[1024] = "";
	nsp_grpc_addr addr;
	long max_msg = o->max_message_bytes > 0 ? o->max_message_bytes : NSP_GRPC_DEFAULT_MAX_MESSAGE;
	int grace = o->grace_seconds >= 0 ? o->grace_seconds : 10;
	bool tls = o->tls_cert != NULL || o->tls_key != NULL;

	if (max_msg > 0x7fffffffL) {
		nsp_grpc_logf(NSP_LOG_ERROR, NULL, NULL, NULL,
			      "--max-message-bytes %ld: at most 2147483647", max_msg);
		return 1;
	}
	if (nsp_grpc_addr_parse(o->listen, &addr, err, sizeof(err)) != 0) {
		nsp_grpc_log(NSP_LOG_ERROR, NULL, NULL, NULL, err, NULL);
		return 1;
	}
	if (o->tls_client_ca != NULL && !tls) {
		nsp_grpc_log(NSP_LOG_ERROR, NULL, NULL, NULL,
			     "--tls-client-ca needs --tls-cert and --tls-key", NULL);
		return 1;
	}
	if (addr.kind == NSP_GRPC_ADDR_TCP && !addr.loopback && !tls && !o->allow_insecure_remote) {
		nsp_grpc_logf(NSP_LOG_ERROR, NULL, NULL, NULL,
			      "refusing to listen on %s without TLS: it is not a loopback address "
			      "(give --tls-cert and --tls-key, or --allow-insecure-remote)",
			      addr.target);
		return 1;
	}

	server s;
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	s.shutdown_tag.kind = TAG_SHUTDOWN;

	/* Load and validate the plugin once. */
	nsp_host_api api;
	nsp_abi_host_api_init(&api, NULL, startup_log, NULL, never_cancelled);
	Neosync__Plugin__V1__DescribeResponse *d = NULL;
	if (nsp_loader_open(o->plugin_path, &api, &s.plugin, err, sizeof(err)) != 0 ||
	    nsp_loader_describe(s.plugin, &d, err, sizeof(err)) != 0) {
		nsp_grpc_log(NSP_LOG_ERROR, NULL, NULL, NULL, err, NULL);
		nsp_loader_close(s.plugin);
		pthread_mutex_destroy(&s.mu);
		return 1;
	}
	{
		char abi[32];
		snprintf(abi, sizeof(abi), "%u.%u", (unsigned)s.plugin->desc.abi_major,
			 (unsigned)s.plugin->desc.abi_minor);
		nsp_grpc_log(NSP_LOG_INFO, NULL, NULL, NULL, "plugin loaded", "plugin",
			     d->info != NULL ? d->info->name : s.plugin->desc.name, "version",
			     d->info != NULL ? d->info->version : s.plugin->desc.version, "abi", abi,
			     "path", o->plugin_path, NULL);
		neosync__plugin__v1__describe_response__free_unpacked(d, NULL);
	}

	if (addr.kind == NSP_GRPC_ADDR_UNIX && prepare_unix_path(addr.path, err, sizeof(err)) != 0) {
		nsp_grpc_log(NSP_LOG_ERROR, NULL, NULL, NULL, err, NULL);
		nsp_loader_close(s.plugin);
		pthread_mutex_destroy(&s.mu);
		return 1;
	}

	grpc_server_credentials *creds = make_creds(o, err, sizeof(err));
	if (creds == NULL) {
		nsp_grpc_log(NSP_LOG_ERROR, NULL, NULL, NULL, err, NULL);
		nsp_loader_close(s.plugin);
		pthread_mutex_destroy(&s.mu);
		return 1;
	}

	/* Signals before gRPC starts its threads, so they inherit the mask. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	grpc_init();
	grpc_arg args[3];
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)max_msg;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = (int)max_msg;
	args[2].type = GRPC_ARG_INTEGER;
	args[2].key = (char *)GRPC_ARG_ALLOW_REUSEPORT; /* a port in use is an error */
	args[2].value.integer = 0;
	grpc_channel_args chargs = {3, args};
	s.srv = grpc_server_create(&chargs, NULL);
	s.cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s.srv, s.cq, NULL);

	mode_t old_umask = umask(0177); /* the socket file: 0600 */
	int port = grpc_server_add_http2_port(s.srv, addr.target, creds);
	grpc_server_credentials_release(creds);
	if (port == 0) {
		umask(old_umask);
		nsp_grpc_logf(NSP_LOG_ERROR, NULL, NULL, NULL,
			      "cannot listen on %s (in use, not permitted, or not resolvable)",
			      addr.target);
		grpc_server_destroy(s.srv);
		grpc_completion_queue_shutdown(s.cq);
		while (grpc_completion_queue_next(s.cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
			       .type != GRPC_QUEUE_SHUTDOWN) {
		}
		grpc_completion_queue_destroy(s.cq);
		grpc_shutdown();
		nsp_loader_close(s.plugin);
		pthread_mutex_destroy(&s.mu);
		return 1;
	}
	grpc_server_start(s.srv);
	umask(old_umask);
	char where[420];
	if (addr.kind == NSP_GRPC_ADDR_UNIX) {
		if (chmod(addr.path, 0600) != 0)
			nsp_grpc_logf(NSP_LOG_WARNING, NULL, NULL, NULL, "chmod 0600 %s: %s",
				      addr.path, strerror(errno));
		snprintf(where, sizeof(where), "%s", addr.target);
	} else if (strchr(addr.host, ':') != NULL) {
		snprintf(where, sizeof(where), "[%s]:%d", addr.host, port);
	} else {
		snprintf(where, sizeof(where), "%s:%d", addr.host, port);
	}
	{
		char limit[32], gr[16];
		snprintf(limit, sizeof(limit), "%ld", max_msg);
		snprintf(gr, sizeof(gr), "%d", grace);
		nsp_grpc_log(NSP_LOG_INFO, NULL, NULL, NULL, "listening", "address", where, "tls",
			     tls ? (o->tls_client_ca != NULL ? "mutual" : "server") : "off",
			     "max_message_bytes", limit, "grace_seconds", gr, NULL);
	}

	/* A few calls waiting at once, so that concurrent clients do not queue behind one slot. */
	for (int i = 0; i < 8; i++)
		(void)request_call(&s);

	bool stopping = false, shutdown_done = false, cancelled_all = false, hard_cancelled = false;
	double stop_at = 0;
	int seen_signals = 0;
	for (;;) {
		gpr_timespec wait = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
						 gpr_time_from_millis(100, GPR_TIMESPAN));
		grpc_event ev = grpc_completion_queue_next(s.cq, wait, NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			srv_tag *t = ev.tag;
			call_ctx *c = t->call;
			switch (t->kind) {
			case TAG_NEW_CALL:
				s.requested--;
				if (!ev.success) {
					free_unstarted(c); /* shutting down */
				} else {
					start_call(&s, c);
					if (!stopping)
						(void)request_call(&s);
				}
				break;
			case TAG_OP:
				pthread_mutex_lock(&c->mu);
				c->op_done = true;
				c->op_ok = ev.success != 0;
				pthread_cond_broadcast(&c->cv);
				pthread_mutex_unlock(&c->mu);
				break;
			case TAG_CLOSE:
				pthread_mutex_lock(&c->mu);
				c->closed = true;
				pthread_cond_broadcast(&c->cv);
				pthread_mutex_unlock(&c->mu);
				break;
			case TAG_SHUTDOWN:
				shutdown_done = true;
				break;
			}
		} else if (ev.type == GRPC_QUEUE_SHUTDOWN) {
			break;
		}

		if (stop_count > seen_signals) {
			seen_signals = stop_count;
			if (!stopping) {
				stopping = true;
				stop_at = mono_now();
				pthread_mutex_lock(&s.mu);
				int active = s.active;
				pthread_mutex_unlock(&s.mu);
				char n[16], g[16];
				snprintf(n, sizeof(n), "%d", active);
				snprintf(g, sizeof(g), "%d", grace);
				nsp_grpc_log(NSP_LOG_INFO, NULL, NULL, NULL,
					     "shutting down: no new calls; waiting for calls in flight",
					     "signal", stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
					     "in_flight", n, "grace_seconds", g, NULL);
				grpc_server_shutdown_and_notify(s.srv, s.cq, &s.shutdown_tag);
			} else if (!cancelled_all) {
				stop_at = mono_now() - grace; /* a second signal: cancel now */
			}
		}
		if (stopping && !cancelled_all && mono_now() - stop_at >= grace) {
			pthread_mutex_lock(&s.mu);
			int active = s.active;
			pthread_mutex_unlock(&s.mu);
			if (active > 0) {
				char n[16];
				snprintf(n, sizeof(n), "%d", active);
				nsp_grpc_log(NSP_LOG_WARNING, NULL, NULL, NULL,
					     "grace period over: cancelling calls in flight",
					     "in_flight", n, NULL);
			}
			/* First through the hooks' cancellation probe, so that they stop their
			 * statements and still send what they did; gRPC cancels what is left later. */
			cancelled_all = true;
			atomic_store(&s.cancel_all, 1);
		}
		if (cancelled_all && !hard_cancelled && mono_now() - stop_at >= grace + 5.0) {
			hard_cancelled = true;
			grpc_server_cancel_all_calls(s.srv);
		}
		if (shutdown_done) {
			pthread_mutex_lock(&s.mu);
			int active = s.active;
			pthread_mutex_unlock(&s.mu);
			if (active == 0 && s.requested == 0)
				break;
		}
	}

	grpc_server_destroy(s.srv);
	grpc_completion_queue_shutdown(s.cq);
	while (grpc_completion_queue_next(s.cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN) {
	}
	grpc_completion_queue_destroy(s.cq);
	grpc_shutdown();
	if (addr.kind == NSP_GRPC_ADDR_UNIX)
		(void)unlink(addr.path);
	nsp_loader_close(s.plugin);
	pthread_mutex_destroy(&s.mu);
	{
		char n[24];
		snprintf(n, sizeof(n), "%ld", (long)atomic_load(&s.calls_total));
		nsp_grpc_log(NSP_LOG_INFO, NULL, NULL, NULL, "stopped", "calls", n, NULL);
	}
	return 0;
}
