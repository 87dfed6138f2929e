/* entry - the plugin's one exported symbol and its descriptor. */
#include <stdio.h>

#include "handle.h"
#include "hooks.h"
#include "neosync/plugin.h"

static int plugin_open(const nsp_host_api *host, nsp_plugin **out, char *err, size_t errlen)
{
	char scratch[8];
	if (err == NULL) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	return nsp_handle_open(host, out, err, errlen);
}

static const nsp_plugin_descriptor descriptor = {
	.struct_size = sizeof(nsp_plugin_descriptor),
	.abi_major = NSP_ABI_MAJOR,
	.abi_minor = NSP_ABI_MINOR,
	.name = NSP_PLUGIN_NAME,
	.version = NSP_PLUGIN_VERSION,
	.open = plugin_open,
	.close = nsp_handle_close,
	.describe = nsp_hook_describe,
	.pre_sync = nsp_hook_pre_sync,
	.post_sync = nsp_hook_post_sync,
	.free_buffer = nsp_hook_free_buffer,
};

__attribute__((visibility("default"))) const nsp_plugin_descriptor *
neosync_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor, char *err, size_t errlen);

const nsp_plugin_descriptor *neosync_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
						  char *err, size_t errlen)
{
	if (host_abi_major != NSP_ABI_MAJOR) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
				 "plugin %s %s implements ABI %u.%u; the host speaks ABI %u.%u: major "
				 "versions differ, use a plugin built for ABI %u",
				 NSP_PLUGIN_NAME, NSP_PLUGIN_VERSION, NSP_ABI_MAJOR, NSP_ABI_MINOR,
				 host_abi_major, host_abi_minor, host_abi_major);
		return NULL;
	}
	return &descriptor;
}
