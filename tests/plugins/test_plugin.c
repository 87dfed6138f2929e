/* A minimal plugin for the loader's tests, compiled once per variant (NSP_TEST_VARIANT_*; see
 * CMakeLists.txt). The working parts answer describe with a fixed PluginInfo and pre/post-sync
 * with an empty, successful response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

#define EXPORT __attribute__((visibility("default")))

/* The ABI version this variant claims. */
#if defined(NSP_TEST_VARIANT_NEWER_MINOR)
#define TEST_ABI_MAJOR NSP_ABI_MAJOR
#define TEST_ABI_MINOR (NSP_ABI_MINOR + 1)
#elif defined(NSP_TEST_VARIANT_WRONG_MAJOR)
#define TEST_ABI_MAJOR 2
#define TEST_ABI_MINOR 0
#else
#define TEST_ABI_MAJOR NSP_ABI_MAJOR
#define TEST_ABI_MINOR NSP_ABI_MINOR
#endif

struct nsp_plugin {
	nsp_host_api host;
};

static int t_open(const nsp_host_api *host, nsp_plugin **out, char *err, size_t errlen)
{
#ifdef NSP_TEST_VARIANT_OPEN_FAILS
	(void)host;
	*out = NULL;
	if (err != NULL && errlen > 0) {
		strncpy(err, "test plugin: open always fails", errlen - 1);
		err[errlen - 1] = '\0';
	}
	return NSP_ERR_FAILED;
#else
	(void)err;
	(void)errlen;
	nsp_plugin *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NSP_ERR_NOMEM;
	size_t n = host->struct_size < sizeof(h->host) ? host->struct_size : sizeof(h->host);
	memcpy(&h->host, host, n);
	*out = h;
	return NSP_OK;
#endif
}

static void t_close(nsp_plugin *h)
{
	free(h);
}

static int pack(const ProtobufCMessage *msg, uint8_t **out, size_t *out_len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	*out = malloc(n > 0 ? n : 1);
	if (*out == NULL)
		return NSP_ERR_NOMEM;
	*out_len = protobuf_c_message_pack(msg, *out);
	return NSP_OK;
}

static int t_describe(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out,
		      size_t *out_len)
{
	(void)h;
	(void)in;
	(void)in_len;
	static char *caps[] = {"pre_sync", "post_sync"};
	Neosync__Plugin__V1__PluginInfo info = NEOSYNC__PLUGIN__V1__PLUGIN_INFO__INIT;
	Neosync__Plugin__V1__DescribeResponse resp = NEOSYNC__PLUGIN__V1__DESCRIBE_RESPONSE__INIT;
	info.name = "nsp-test";
	info.version = "9.9.9";
	info.abi_major = TEST_ABI_MAJOR;
	info.abi_minor = TEST_ABI_MINOR;
	info.n_capabilities = 2;
	info.capabilities = caps;
	resp.info = &info;
	return pack(&resp.base, out, out_len);
}

static int t_pre_sync(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out,
		      size_t *out_len)
{
	(void)h;
	(void)in;
	(void)in_len;
	Neosync__Plugin__V1__PreSyncResponse resp = NEOSYNC__PLUGIN__V1__PRE_SYNC_RESPONSE__INIT;
	return pack(&resp.base, out, out_len);
}

static int t_post_sync(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out,
		       size_t *out_len)
{
	(void)h;
	(void)in;
	(void)in_len;
	Neosync__Plugin__V1__PostSyncResponse resp = NEOSYNC__PLUGIN__V1__POST_SYNC_RESPONSE__INIT;
	return pack(&resp.base, out, out_len);
}

static void t_free_buffer(uint8_t *b)
{
	free(b);
}

/* A descriptor of a future minor version: today's members, then members this host lacks. */
typedef struct future_descriptor {
	nsp_plugin_descriptor base;
	int (*plan)(nsp_plugin *, const uint8_t *, size_t, uint8_t **, size_t *);
	const char *homepage;
	uint64_t flags;
} future_descriptor;

static const future_descriptor descriptor __attribute__((unused)) = {
	.base = {
#if defined(NSP_TEST_VARIANT_NEWER_MINOR)
		.struct_size = sizeof(future_descriptor),
#elif defined(NSP_TEST_VARIANT_TOO_SMALL)
		.struct_size = offsetof(nsp_plugin_descriptor, free_buffer),
#else
		.struct_size = sizeof(nsp_plugin_descriptor),
#endif
		.abi_major = TEST_ABI_MAJOR,
		.abi_minor = TEST_ABI_MINOR,
		.name = "nsp-test",
		.version = "9.9.9",
		.open = t_open,
		.close = t_close,
		.describe = t_describe,
#ifdef NSP_TEST_VARIANT_MISSING_MEMBER
		.pre_sync = NULL,
#else
		.pre_sync = t_pre_sync,
#endif
		.post_sync = t_post_sync,
		.free_buffer = t_free_buffer,
	},
	.plan = t_pre_sync,
	.homepage = "https://example.invalid/",
	.flags = ~(uint64_t)0,
};

#ifdef NSP_TEST_VARIANT_MISSING_SYMBOL
/* Exported, but under another name than NSP_ENTRY_SYMBOL. */
EXPORT const nsp_plugin_descriptor *not_the_entry(uint32_t host_abi_major,
						  uint32_t host_abi_minor, char *err,
						  size_t errlen);
EXPORT const nsp_plugin_descriptor *not_the_entry(uint32_t host_abi_major,
						  uint32_t host_abi_minor, char *err,
						  size_t errlen)
#else
EXPORT const nsp_plugin_descriptor *neosync_plugin_entry(uint32_t host_abi_major,
							 uint32_t host_abi_minor, char *err,
							 size_t errlen);
EXPORT const nsp_plugin_descriptor *neosync_plugin_entry(uint32_t host_abi_major,
							 uint32_t host_abi_minor, char *err,
							 size_t errlen)
#endif
{
#ifdef NSP_TEST_VARIANT_REFUSES
	/* As a plugin built for ABI 2.0 would answer any 1.x host. */
	if (err != NULL && errlen > 0)
		snprintf(err, errlen,
			 "plugin ABI 2.0 is not compatible with host ABI %u.%u: this plugin needs a "
			 "host of ABI 2.x",
			 (unsigned)host_abi_major, (unsigned)host_abi_minor);
	return NULL;
#else
	(void)host_abi_major;
	(void)host_abi_minor;
	(void)err;
	(void)errlen;
	return &descriptor.base;
#endif
}
