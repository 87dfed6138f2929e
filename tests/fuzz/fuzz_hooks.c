/* fuzz_hooks - request bytes to the plugin's hooks through its ABI descriptor, as a host calls
 * them: the first byte picks the hook (describe, pre-sync, post-sync), the rest is the request.
 *
 * Every call must return a known status and, except for NOMEM, a response that decodes as the
 * hook's response type, whose error (when not OK) has a message; nothing may crash, leak or
 * read out of bounds.
 *
 * No database is ever reached: a request that decodes is rewritten before the call so that
 * every connection string that parses becomes postgresql://127.0.0.1:1/fuzz?connect_timeout=1
 * (a closed port: refused at once); strings that do not parse are kept, to fuzz validation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const nsp_plugin_descriptor *neosync_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
						  char *err, size_t errlen);

static const char closed_port[] = "postgresql://127.0.0.1:1/fuzz?connect_timeout=1";

static void make_safe(Neosync__Plugin__V1__Connection *c)
{
	if (c == NULL || c->kind_case != NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES ||
	    c->postgres == NULL || c->postgres->url == NULL)
		return;
	PQconninfoOption *o = PQconninfoParse(c->postgres->url, NULL);
	if (o == NULL)
		return; /* invalid: validation refuses it before any connection */
	PQconninfoFree(o);
	if (c->postgres->url != protobuf_c_empty_string)
		free(c->postgres->url);
	c->postgres->url = malloc(sizeof(closed_port));
	if (c->postgres->url != NULL)
		memcpy(c->postgres->url, closed_port, sizeof(closed_port));
	else
		c->postgres->url = (char *)protobuf_c_empty_string;
}

/* Decode with the request type; when it decodes, rewrite the connections and re-encode. */
static uint8_t *sanitize(const ProtobufCMessageDescriptor *d, const uint8_t *in, size_t len,
			 size_t *out_len)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, in);
	if (m == NULL)
		return NULL;
	if (d == &neosync__plugin__v1__pre_sync_request__descriptor) {
		Neosync__Plugin__V1__PreSyncRequest *r = (Neosync__Plugin__V1__PreSyncRequest *)m;
		make_safe(r->source);
		make_safe(r->destination);
		if (r->options)
			r->options->connect_timeout_s = 1;
	} else if (d == &neosync__plugin__v1__post_sync_request__descriptor) {
		Neosync__Plugin__V1__PostSyncRequest *r = (Neosync__Plugin__V1__PostSyncRequest *)m;
		make_safe(r->source);
		make_safe(r->destination);
		if (r->options)
			r->options->connect_timeout_s = 1;
	}
	*out_len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*out_len ? *out_len : 1);
	if (buf != NULL)
		protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const nsp_plugin_descriptor *desc;
	char err[256];
	if (desc == NULL && (desc = neosync_plugin_entry(NSP_ABI_MAJOR, NSP_ABI_MINOR, err, sizeof(err))) == NULL)
		abort();
	if (size == 0)
		return 0;
	nsp_host_api host = {.struct_size = sizeof(host), .abi_major = NSP_ABI_MAJOR,
			     .abi_minor = NSP_ABI_MINOR};
	nsp_plugin *h = NULL;
	if (desc->open(&host, &h, err, sizeof(err)) != NSP_OK)
		abort();

	static const struct {
		const ProtobufCMessageDescriptor *req, *resp;
	} hooks[3] = {
		{&neosync__plugin__v1__describe_request__descriptor, &neosync__plugin__v1__describe_response__descriptor},
		{&neosync__plugin__v1__pre_sync_request__descriptor, &neosync__plugin__v1__pre_sync_response__descriptor},
		{&neosync__plugin__v1__post_sync_request__descriptor, &neosync__plugin__v1__post_sync_response__descriptor},
	};
	unsigned which = data[0] % 3;
	const uint8_t *in = data + 1;
	size_t in_len = size - 1;
	size_t safe_len = 0;
	uint8_t *safe = sanitize(hooks[which].req, in, in_len, &safe_len);
	/* a copy of exactly in_len bytes when the bytes do not decode (out-of-bounds reads show) */
	uint8_t *raw = NULL;
	if (safe == NULL && in_len > 0) {
		raw = malloc(in_len);
		if (raw == NULL)
			abort();
		memcpy(raw, in, in_len);
	}
	const uint8_t *req = safe ? safe : raw;
	size_t req_len = safe ? safe_len : in_len;

	uint8_t *out = NULL;
	size_t out_len = 0;
	nsp_hook_fn fn = which == 0 ? desc->describe : which == 1 ? desc->pre_sync : desc->post_sync;
	int status = fn(h, req, req_len, &out, &out_len);
	if (status < NSP_OK || status > NSP_ERR_PARTIAL)
		abort();
	if (status != NSP_ERR_NOMEM) {
		if (out == NULL)
			abort();
		ProtobufCMessage *resp = protobuf_c_message_unpack(hooks[which].resp, NULL, out_len, out);
		if (resp == NULL)
			abort();
		if (which == 1 || which == 2) {
			const Neosync__Plugin__V1__Error *e =
				which == 1 ? ((Neosync__Plugin__V1__PreSyncResponse *)resp)->error
					   : ((Neosync__Plugin__V1__PostSyncResponse *)resp)->error;
			/* nothing can succeed without a database: every call ends with an error */
			if (e == NULL || e->message == NULL || e->message[0] == '\0' || status == NSP_OK)
				abort();
		}
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	desc->free_buffer(out);
	free(safe);
	free(raw);
	desc->close(h);
	return 0;
}
