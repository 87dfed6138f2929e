#include "grpc_client.h"

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_common.h"
#include "loader.h"

struct nsp_grpc_client {
	char *address;
	nsp_grpc_addr addr;
	nsp_host_api host;
	bool have_host;
	grpc_channel *channel;
};

static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s", path);
		return NULL;
	}
	char *buf = malloc(1 << 20);
	size_t n = buf != NULL ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory reading %s", path);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static grpc_channel_credentials *client_creds(char *err, size_t errlen, bool *failed)
{
	const char *ca_path = getenv("NSP_GRPC_TLS_CA");
	*failed = false;
	if (ca_path == NULL || ca_path[0] == '\0')
		return grpc_insecure_credentials_create();
	const char *cert_path = getenv("NSP_GRPC_TLS_CERT");
	const char *key_path = getenv("NSP_GRPC_TLS_KEY");
	char *ca = slurp(ca_path, err, errlen);
	char *cert = NULL, *key = NULL;
	grpc_channel_credentials *creds = NULL;
	if (ca == NULL)
		goto out;
	if (cert_path != NULL && cert_path[0] != '\0' && key_path != NULL && key_path[0] != '\0') {
		cert = slurp(cert_path, err, errlen);
		key = cert != NULL ? slurp(key_path, err, errlen) : NULL;
		if (key == NULL)
			goto out;
		grpc_ssl_pem_key_cert_pair pair = {key, cert};
		creds = grpc_ssl_credentials_create(ca, &pair, NULL, NULL);
	} else {
		creds = grpc_ssl_credentials_create(ca, NULL, NULL, NULL);
	}
	if (creds == NULL)
		snprintf(err, errlen, "the TLS settings (NSP_GRPC_TLS_*) were not accepted");
out:
	free(ca);
	free(cert);
	free(key);
	if (creds == NULL)
		*failed = true;
	return creds;
}

int nsp_grpc_client_open(const char *address, const nsp_host_api *host, long max_message_bytes,
			 nsp_grpc_client **out, char *err, size_t errlen)
{
	*out = NULL;
	nsp_grpc_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (nsp_grpc_addr_parse(address, &c->addr, err, errlen) != 0) {
		free(c);
		return -1;
	}
	c->address = strdup(address);
	if (c->address == NULL) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return -1;
	}
	if (host != NULL) {
		c->host = *host;
		c->have_host = true;
	}
	long max_msg = max_message_bytes > 0 ? max_message_bytes : NSP_GRPC_DEFAULT_MAX_MESSAGE;
	if (max_msg > 0x7fffffffL)
		max_msg = 0x7fffffffL;
	grpc_init();
	bool failed;
	grpc_channel_credentials *creds = client_creds(err, errlen, &failed);
	if (failed) {
		grpc_shutdown();
		free(c->address);
		free(c);
		return -1;
	}
	grpc_arg args[2];
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)max_msg;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = (int)max_msg;
	grpc_channel_args chargs = {2, args};
	c->channel = grpc_channel_create(c->addr.target, creds, &chargs);
	grpc_channel_credentials_release(creds);
	if (c->channel == NULL) {
		snprintf(err, errlen, "cannot create a channel to %s", address);
		grpc_shutdown();
		free(c->address);
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void nsp_grpc_client_close(nsp_grpc_client *c)
{
	if (c == NULL)
		return;
	grpc_channel_destroy(c->channel);
	grpc_shutdown();
	free(c->address);
	free(c);
}

const char *nsp_grpc_client_address(const nsp_grpc_client *c)
{
	return c->address;
}

static bool host_cancelled(const nsp_grpc_client *c)
{
	return c->have_host && c->host.is_cancelled != NULL &&
	       c->host.is_cancelled(c->host.host_ctx) != 0;
}

typedef struct ctag {
	int which; /* 0 send batch, 1 status, 2 message */
} ctag;

int nsp_grpc_client_call(nsp_grpc_client *c, const char *method, const uint8_t *req,
			 size_t req_len, long deadline_ms, nsp_grpc_on_message on_message,
			 void *ctx, nsp_grpc_call_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	res->hook_status = -1;
	res->status = GRPC_STATUS_UNKNOWN;

	grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
	gpr_timespec deadline =
		deadline_ms > 0 ? gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
					       gpr_time_from_millis(deadline_ms, GPR_TIMESPAN))
				: gpr_inf_future(GPR_CLOCK_REALTIME);
	grpc_slice method_slice = grpc_slice_from_copied_string(method);
	grpc_call *call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
						   method_slice, NULL, deadline, NULL);
	grpc_slice_unref(method_slice);
	if (call == NULL) {
		snprintf(err, errlen, "%s: cannot create a call of %s", c->address, method);
		grpc_completion_queue_destroy(cq);
		return -1;
	}

	grpc_metadata_array initial_md, trailing_md;
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);
	grpc_slice details = grpc_empty_slice();
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_byte_buffer *send_bb = nsp_grpc_buffer_from(req, req_len);
	grpc_byte_buffer *recv_bb = NULL;
	ctag t_send = {0}, t_status = {1}, t_msg = {2};
	bool send_pending = false, status_pending = false, msg_pending = false;
	bool cancelled = false, stream_over = false;
	int rc = 0;

	grpc_op ops[4];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	if (grpc_call_start_batch(call, ops, 4, &t_send, NULL) != GRPC_CALL_OK) {
		snprintf(err, errlen, "%s: cannot start the call of %s", c->address, method);
		rc = -1;
		grpc_call_cancel(call, NULL);
	} else {
		send_pending = true;
	}
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[0].data.recv_status_on_client.status = &status;
	ops[0].data.recv_status_on_client.status_details = &details;
	if (grpc_call_start_batch(call, ops, 1, &t_status, NULL) == GRPC_CALL_OK)
		status_pending = true;
	else if (rc == 0) {
		snprintf(err, errlen, "%s: cannot wait for the status of %s", c->address, method);
		rc = -1;
		grpc_call_cancel(call, NULL);
	}

	while (send_pending || status_pending || msg_pending) {
		if (!msg_pending && !stream_over && rc == 0) {
			memset(ops, 0, sizeof(ops));
			ops[0].op = GRPC_OP_RECV_MESSAGE;
			ops[0].data.recv_message.recv_message = &recv_bb;
			if (grpc_call_start_batch(call, ops, 1, &t_msg, NULL) == GRPC_CALL_OK)
				msg_pending = true;
			else
				stream_over = true;
		}
		grpc_event ev = grpc_completion_queue_next(
			cq,
			gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
				     gpr_time_from_millis(100, GPR_TIMESPAN)),
			NULL);
		if (ev.type == GRPC_QUEUE_TIMEOUT) {
			if (!cancelled && host_cancelled(c)) {
				cancelled = true;
				grpc_call_cancel_with_status(call, GRPC_STATUS_CANCELLED,
							     "cancelled by the host", NULL);
			}
			continue;
		}
		if (ev.type != GRPC_OP_COMPLETE)
			break;
		ctag *t = ev.tag;
		if (t->which == 0) {
			send_pending = false;
		} else if (t->which == 1) {
			status_pending = false;
		} else {
			msg_pending = false;
			if (!ev.success || recv_bb == NULL) {
				stream_over = true;
			} else {
				size_t n = 0;
				uint8_t *m = nsp_grpc_buffer_flatten(recv_bb, &n);
				grpc_byte_buffer_destroy(recv_bb);
				recv_bb = NULL;
				res->messages++;
				if (m == NULL ||
				    (on_message != NULL && on_message(ctx, m, n) != 0)) {
					if (!cancelled) {
						cancelled = true;
						grpc_call_cancel(call, NULL);
					}
					stream_over = true;
				}
				free(m);
			}
		}
	}

	res->status = status;
	size_t dn = GRPC_SLICE_LENGTH(details);
	if (dn >= sizeof(res->details))
		dn = sizeof(res->details) - 1;
	memcpy(res->details, GRPC_SLICE_START_PTR(details), dn);
	res->details[dn] = '\0';
	for (size_t i = 0; i < trailing_md.count; i++) {
		const grpc_metadata *m = &trailing_md.metadata[i];
		if (grpc_slice_str_cmp(m->key, NSP_GRPC_MD_HOOK_STATUS) == 0) {
			char v[16];
			size_t vn = GRPC_SLICE_LENGTH(m->value);
			if (vn > 0 && vn < sizeof(v)) {
				memcpy(v, GRPC_SLICE_START_PTR(m->value), vn);
				v[vn] = '\0';
				char *end;
				long h = strtol(v, &end, 10);
				if (*end == '\0' && h >= 0 && h < 1000)
					res->hook_status = (int)h;
			}
		}
	}

	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	grpc_byte_buffer_destroy(send_bb);
	if (recv_bb != NULL)
		grpc_byte_buffer_destroy(recv_bb);
	grpc_call_unref(call);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN) {
	}
	grpc_completion_queue_destroy(cq);
	return rc;
}

int nsp_grpc_hook_status_from_error(const Neosync__Plugin__V1__Error *e)
{
	if (e == NULL)
		return NSP_OK;
	switch (e->code) {
	case NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK:
		return NSP_OK;
	case NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_PARTIAL:
		return NSP_ERR_PARTIAL;
	case NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INVALID_ARGUMENT:
		return NSP_ERR_INVALID_ARGUMENT;
	case NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_ABI:
		return NSP_ERR_ABI;
	case NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CANCELLED:
		return NSP_ERR_CANCELLED;
	default:
		return NSP_ERR_FAILED;
	}
}

/* A streamed hook: progress events to the host, the final response kept (raw bytes). */
typedef struct stream_ctx {
	nsp_grpc_client *c;
	uint8_t *response;
	size_t response_len;
	bool have_response;
	bool bad;
} stream_ctx;

static int on_event(void *ctx, const uint8_t *msg, size_t len)
{
	stream_ctx *s = ctx;
	const uint8_t *v;
	size_t vlen;
	if (nsp_grpc_find_field(msg, len, 2, &v, &vlen) == 1) {
		free(s->response);
		s->response = malloc(vlen > 0 ? vlen : 1);
		if (s->response == NULL) {
			s->bad = true;
			return 1;
		}
		if (vlen > 0)
			memcpy(s->response, v, vlen);
		s->response_len = vlen;
		s->have_response = true;
		return 0;
	}
	if (nsp_grpc_find_field(msg, len, 1, &v, &vlen) == 1) {
		if (s->c->have_host && s->c->host.progress != NULL)
			s->c->host.progress(s->c->host.host_ctx, v, vlen);
		return 0;
	}
	s->bad = true; /* neither: not an event of this stream; keep reading */
	return 0;
}

static int on_unary(void *ctx, const uint8_t *msg, size_t len)
{
	stream_ctx *s = ctx;
	free(s->response);
	s->response = malloc(len > 0 ? len : 1);
	if (s->response == NULL)
		return 1;
	if (len > 0)
		memcpy(s->response, msg, len);
	s->response_len = len;
	s->have_response = true;
	return 0;
}

/* Call method with request; unpack the final response as type. */
/* A call whose request is packed already. */
static int typed_call_packed(nsp_grpc_client *c, const char *method, const char *hook_name,
			     const uint8_t *in, size_t in_len, const ProtobufCMessageDescriptor *type,
			     bool streamed, ProtobufCMessage **out, int *hook_status, char *err,
			     size_t errlen)
{
	*out = NULL;
	if (hook_status != NULL)
		*hook_status = NSP_ERR_FAILED;
	stream_ctx s;
	memset(&s, 0, sizeof(s));
	s.c = c;
	nsp_grpc_call_result res;
	char cerr[512];
	int rc = nsp_grpc_client_call(c, method, in, in_len, 0, streamed ? on_event : on_unary, &s,
				      &res, cerr, sizeof(cerr));
	if (rc != 0) {
		snprintf(err, errlen, "plugin host %s: %s: %s", c->address, hook_name, cerr);
		free(s.response);
		return -1;
	}
	if (!s.have_response) {
		snprintf(err, errlen, "plugin host %s: %s failed with gRPC status %s%s%s",
			 c->address, hook_name, nsp_grpc_status_name(res.status),
			 res.details[0] ? ": " : " and no response", res.details);
		free(s.response);
		return -1;
	}
	static const uint8_t empty[1];
	ProtobufCMessage *msg = protobuf_c_message_unpack(
		type, NULL, s.response_len, s.response != NULL ? s.response : empty);
	free(s.response);
	if (msg == NULL) {
		snprintf(err, errlen, "plugin host %s: %s returned %zu bytes that are not a valid %s",
			 c->address, hook_name, s.response_len, type->name);
		return -1;
	}
	if (hook_status != NULL) {
		if (res.hook_status >= 0)
			*hook_status = res.hook_status;
		else if (type == &neosync__plugin__v1__pre_sync_response__descriptor)
			*hook_status = nsp_grpc_hook_status_from_error(
				((Neosync__Plugin__V1__PreSyncResponse *)msg)->error);
		else if (type == &neosync__plugin__v1__post_sync_response__descriptor)
			*hook_status = nsp_grpc_hook_status_from_error(
				((Neosync__Plugin__V1__PostSyncResponse *)msg)->error);
		else
			*hook_status = res.status == GRPC_STATUS_OK ? NSP_OK : NSP_ERR_FAILED;
	}
	if (res.status != GRPC_STATUS_OK && res.status != GRPC_STATUS_INVALID_ARGUMENT &&
	    res.status != GRPC_STATUS_CANCELLED && res.status != GRPC_STATUS_DEADLINE_EXCEEDED &&
	    res.hook_status < 0) {
		/* A response, then a failure we cannot attribute to the plugin: report it. */
		snprintf(err, errlen, "plugin host %s: %s ended with gRPC status %s: %s", c->address,
			 hook_name, nsp_grpc_status_name(res.status), res.details);
		protobuf_c_message_free_unpacked(msg, NULL);
		return -1;
	}
	*out = msg;
	return 0;
}

static int typed_call(nsp_grpc_client *c, const char *method, const char *hook_name,
		      const ProtobufCMessage *request, const ProtobufCMessageDescriptor *type,
		      bool streamed, ProtobufCMessage **out, int *hook_status, char *err,
		      size_t errlen)
{
	size_t in_len = protobuf_c_message_get_packed_size(request);
	uint8_t *in = malloc(in_len > 0 ? in_len : 1);
	if (in == NULL) {
		*out = NULL;
		if (hook_status != NULL)
			*hook_status = NSP_ERR_FAILED;
		snprintf(err, errlen, "plugin host %s: %s: out of memory packing the request",
			 c->address, hook_name);
		return -1;
	}
	protobuf_c_message_pack(request, in);
	int rc = typed_call_packed(c, method, hook_name, in, in_len, type, streamed, out,
				   hook_status, err, errlen);
	free(in);
	return rc;
}

int nsp_grpc_client_describe(nsp_grpc_client *c, Neosync__Plugin__V1__DescribeResponse **out,
			     char *err, size_t errlen)
{
	Neosync__Plugin__V1__DescribeRequest req = NEOSYNC__PLUGIN__V1__DESCRIBE_REQUEST__INIT;
	ProtobufCMessage *m = NULL;
	int hs = NSP_OK;
	if (typed_call(c, NSP_GRPC_METHOD_DESCRIBE, "describe", &req.base,
		       &neosync__plugin__v1__describe_response__descriptor, false, &m, &hs, err,
		       errlen) != 0)
		return -1;
	if (hs != NSP_OK) {
		snprintf(err, errlen, "plugin host %s: describe failed with %s", c->address,
			 nsp_loader_status_name(hs));
		protobuf_c_message_free_unpacked(m, NULL);
		return -1;
	}
	*out = (Neosync__Plugin__V1__DescribeResponse *)m;
	return 0;
}

int nsp_grpc_client_pre_sync(nsp_grpc_client *c, const Neosync__Plugin__V1__PreSyncRequest *req,
			     Neosync__Plugin__V1__PreSyncResponse **out, int *hook_status,
			     char *err, size_t errlen)
{
	ProtobufCMessage *m = NULL;
	int rc = typed_call(c, NSP_GRPC_METHOD_PRE_SYNC, "pre_sync", &req->base,
			    &neosync__plugin__v1__pre_sync_response__descriptor, true, &m,
			    hook_status, err, errlen);
	*out = (Neosync__Plugin__V1__PreSyncResponse *)m;
	return rc;
}

int nsp_grpc_client_post_sync(nsp_grpc_client *c,
			      const Neosync__Plugin__V1__PostSyncRequest *req,
			      Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status,
			      char *err, size_t errlen)
{
	ProtobufCMessage *m = NULL;
	int rc = typed_call(c, NSP_GRPC_METHOD_POST_SYNC, "post_sync", &req->base,
			    &neosync__plugin__v1__post_sync_response__descriptor, true, &m,
			    hook_status, err, errlen);
	*out = (Neosync__Plugin__V1__PostSyncResponse *)m;
	return rc;
}

int nsp_grpc_client_post_sync_packed(nsp_grpc_client *c, const uint8_t *req, size_t req_len,
			      Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status,
			      char *err, size_t errlen)
{
	ProtobufCMessage *m = NULL;
	int rc = typed_call_packed(c, NSP_GRPC_METHOD_POST_SYNC, "post_sync", req, req_len,
				   &neosync__plugin__v1__post_sync_response__descriptor, true, &m,
				   hook_status, err, errlen);
	*out = (Neosync__Plugin__V1__PostSyncResponse *)m;
	return rc;
}
