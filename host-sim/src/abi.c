#include "abi.h"

#include <stdio.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

int nsp_abi_negotiate_as(const nsp_plugin_descriptor *theirs, uint32_t host_major,
			 uint32_t host_minor, nsp_plugin_descriptor *out, char *err, size_t errlen)
{
	char msg[512];

	memset(out, 0, sizeof(*out));
	if (theirs == NULL) {
		set_err(err, errlen, "the plugin returned no descriptor");
		return -1;
	}
	/* Only the header is readable before its size is known to cover it. */
	if (theirs->struct_size < NSP_ABI_HEADER_SIZE) {
		snprintf(msg, sizeof(msg),
			 "the plugin's descriptor declares struct_size %zu, too small to hold even "
			 "the version header (%zu bytes): not a Neosync plugin descriptor",
			 theirs->struct_size, (size_t)NSP_ABI_HEADER_SIZE);
		set_err(err, errlen, msg);
		return -1;
	}
	if (theirs->abi_major != host_major) {
		snprintf(msg, sizeof(msg),
			 "plugin ABI %u.%u is not compatible with host ABI %u.%u: the major "
			 "versions differ; use a plugin built for ABI %u.x or a host built for ABI %u.x",
			 (unsigned)theirs->abi_major, (unsigned)theirs->abi_minor,
			 (unsigned)host_major, (unsigned)host_minor, (unsigned)host_major,
			 (unsigned)theirs->abi_major);
		set_err(err, errlen, msg);
		return -1;
	}
	if (theirs->struct_size < NSP_ABI_V1_0_DESCRIPTOR_SIZE) {
		snprintf(msg, sizeof(msg),
			 "plugin ABI %u.%u declares a descriptor of %zu bytes, smaller than the "
			 "%zu bytes every ABI %u.x descriptor has: the plugin is broken or was built "
			 "against a different header",
			 (unsigned)theirs->abi_major, (unsigned)theirs->abi_minor, theirs->struct_size,
			 (size_t)NSP_ABI_V1_0_DESCRIPTOR_SIZE, (unsigned)host_major);
		set_err(err, errlen, msg);
		return -1;
	}
	if (theirs->struct_size > NSP_ABI_MAX_DESCRIPTOR_SIZE) {
		snprintf(msg, sizeof(msg),
			 "plugin ABI %u.%u declares a descriptor of %zu bytes, more than the %zu a "
			 "descriptor can credibly have: the descriptor is corrupt",
			 (unsigned)theirs->abi_major, (unsigned)theirs->abi_minor, theirs->struct_size,
			 (size_t)NSP_ABI_MAX_DESCRIPTOR_SIZE);
		set_err(err, errlen, msg);
		return -1;
	}

	size_t n = theirs->struct_size < sizeof(*out) ? theirs->struct_size : sizeof(*out);
	memcpy(out, theirs, n);

	const char *missing[6];
	size_t nmissing = 0;
	if (out->open == NULL)
		missing[nmissing++] = "open";
	if (out->close == NULL)
		missing[nmissing++] = "close";
	if (out->describe == NULL)
		missing[nmissing++] = "describe";
	if (out->pre_sync == NULL)
		missing[nmissing++] = "pre_sync";
	if (out->post_sync == NULL)
		missing[nmissing++] = "post_sync";
	if (out->free_buffer == NULL)
		missing[nmissing++] = "free_buffer";
	if (nmissing > 0) {
		size_t len = (size_t)snprintf(msg, sizeof(msg),
					      "plugin ABI %u.%u descriptor lacks required member%s ",
					      (unsigned)out->abi_major, (unsigned)out->abi_minor,
					      nmissing > 1 ? "s" : "");
		for (size_t i = 0; i < nmissing && len < sizeof(msg); i++)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
						i == 0 ? "" : ", ", missing[i]);
		if (len < sizeof(msg))
			snprintf(msg + len, sizeof(msg) - len, " (NULL)");
		set_err(err, errlen, msg);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

int nsp_abi_negotiate(const nsp_plugin_descriptor *theirs, nsp_plugin_descriptor *out, char *err,
		      size_t errlen)
{
	return nsp_abi_negotiate_as(theirs, NSP_ABI_MAJOR, NSP_ABI_MINOR, out, err, errlen);
}

void nsp_abi_host_api_init(nsp_host_api *api, void *host_ctx,
			   void (*log)(void *, nsp_log_level, const char *),
			   void (*progress)(void *, const uint8_t *, size_t),
			   int (*is_cancelled)(void *))
{
	memset(api, 0, sizeof(*api));
	api->struct_size = sizeof(*api);
	api->abi_major = NSP_ABI_MAJOR;
	api->abi_minor = NSP_ABI_MINOR;
	api->host_ctx = host_ctx;
	api->log = log;
	api->progress = progress;
	api->is_cancelled = is_cancelled;
}
