/* minimal_plugin.c - the smallest complete Neosync sync-job plugin: it describes itself and
 * answers pre-sync and post-sync with an empty response ("nothing to do, all fine").
 *
 *   make PKG_CONFIG_PATH=PREFIX/lib/pkgconfig        # -> minimal_plugin.so
 *   neosync-host-sim describe --plugin ./minimal_plugin.so
 *
 * It uses nothing but the installed ABI header (pkg-config neosync-schema-plugin). Hooks take and
 * return serialized protobuf (PREFIX/share/neosync/proto/neosync/plugin/v1/plugin.proto); a real
 * plugin compiles those .proto files with protoc-c and links libprotobuf-c. This one writes its one
 * response by hand, which shows the wire format: each field is a key (field_number << 3 | wire_type)
 * then a varint (wire type 0) or a length-prefixed string/message (wire type 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <neosync/plugin.h>

#define NAME "minimal-example"
#define VERSION "1.0.0"

struct nsp_plugin {
	nsp_host_api host; /* the host's API, as much of it as both sides know */
};

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

/* A length-delimited field (wire type 2): string or embedded message. */
static size_t put_bytes(uint8_t *p, unsigned field, const void *data, size_t len)
{
	size_t n = put_varint(p, (uint64_t)field << 3 | 2);
	n += put_varint(p + n, len);
	memcpy(p + n, data, len);
	return n + len;
}

static int open_plugin(const nsp_host_api *host, nsp_plugin **out, char *err, size_t errlen)
{
	nsp_plugin *h = calloc(1, sizeof *h);
	if (h == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "%s: out of memory", NAME);
		return NSP_ERR_NOMEM;
	}
	/* Versioned struct: copy min(their size, our size); newer members we do not know stay 0. */
	if (host != NULL)
		memcpy(&h->host, host, host->struct_size < sizeof h->host ? host->struct_size : sizeof h->host);
	*out = h;
	return NSP_OK;
}

static void close_plugin(nsp_plugin *h) { free(h); }

/* DescribeResponse { info = 1: PluginInfo { name = 1, version = 2, abi_major = 3, abi_minor = 4,
 * capabilities = 5 (repeated) } } */
static int describe(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	uint8_t info[128], *resp = malloc(sizeof info + 8);
	size_t n = 0;
	(void)h, (void)in, (void)in_len; /* DescribeRequest has no fields */
	if (resp == NULL)
		return NSP_ERR_NOMEM;
	n += put_bytes(info + n, 1, NAME, strlen(NAME));
	n += put_bytes(info + n, 2, VERSION, strlen(VERSION));
	n += put_varint(info + n, 3 << 3 | 0);
	n += put_varint(info + n, NSP_ABI_MAJOR);
	if (NSP_ABI_MINOR != 0) { /* proto3 leaves zero values out */
		n += put_varint(info + n, 4 << 3 | 0);
		n += put_varint(info + n, NSP_ABI_MINOR);
	}
	n += put_bytes(info + n, 5, "pre_sync", strlen("pre_sync"));
	n += put_bytes(info + n, 5, "post_sync", strlen("post_sync"));
	*out_len = put_bytes(resp, 1, info, n);
	*out = resp;
	return NSP_OK;
}

/* PreSyncResponse / PostSyncResponse with every field at its default (error.code OK): zero
 * bytes. A real hook decodes `in` first and answers INVALID_ARGUMENT with an error when it can't. */
static int nothing_to_do(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	(void)in, (void)in_len;
	if (h->host.log != NULL)
		h->host.log(h->host.host_ctx, NSP_LOG_INFO, NAME ": nothing to do");
	if (h->host.is_cancelled != NULL && h->host.is_cancelled(h->host.host_ctx))
		return NSP_ERR_CANCELLED;
	*out = malloc(1); /* a buffer the host frees with free_buffer, holding 0 bytes */
	*out_len = 0;
	return *out != NULL ? NSP_OK : NSP_ERR_NOMEM;
}

static void free_buffer(uint8_t *buffer) { free(buffer); }

static const nsp_plugin_descriptor descriptor = {
	.struct_size = sizeof(nsp_plugin_descriptor),
	.abi_major = NSP_ABI_MAJOR,
	.abi_minor = NSP_ABI_MINOR,
	.name = NAME,
	.version = VERSION,
	.open = open_plugin,
	.close = close_plugin,
	.describe = describe,
	.pre_sync = nothing_to_do,
	.post_sync = nothing_to_do,
	.free_buffer = free_buffer,
};

/* The one exported symbol (build with -fvisibility=hidden; see the Makefile). */
__attribute__((visibility("default"))) const nsp_plugin_descriptor *
neosync_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor, char *err, size_t errlen)
{
	if (host_abi_major != NSP_ABI_MAJOR) {
		if (err != NULL)
			snprintf(err, errlen, "%s %s is built for plugin ABI %d.%d, the host speaks ABI %u.%u",
			 NAME, VERSION, NSP_ABI_MAJOR, NSP_ABI_MINOR, (unsigned)host_abi_major,
			 (unsigned)host_abi_minor);
		return NULL;
	}
	return &descriptor;
}
