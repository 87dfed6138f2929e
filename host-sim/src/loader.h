/* loader - loads a plugin's shared object, negotiates the ABI and calls its hooks.
 *
 * nsp_loader_open(): dlopen(RTLD_NOW | RTLD_LOCAL), dlsym(NSP_ENTRY_SYMBOL), entry(host ABI),
 * negotiation (abi.h), then open() for a handle. Every failure names the path and what is
 * wrong: the file is missing or unreadable, not a shared object, does not export the entry
 * symbol, refused the host's ABI (with the plugin's own message), has an incompatible ABI,
 * or could not open a handle.
 *
 * A relative path without a slash is taken relative to the working directory (as "./name"),
 * never searched for in the library path.
 *
 * The hook wrappers pack a request message, call the hook, unpack the response and release
 * the plugin's buffer with its free_buffer. One nsp_loaded_plugin is used by one thread at a
 * time (plugin.h's rule for handles).
 */
#ifndef NSP_HOST_LOADER_H
#define NSP_HOST_LOADER_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

typedef struct nsp_loaded_plugin {
	char *path;                 /* as given */
	void *dl;                   /* dlopen handle */
	nsp_plugin_descriptor desc; /* the host's negotiated copy of the descriptor */
	nsp_plugin *handle;         /* from desc.open */
} nsp_loaded_plugin;

/* Load the plugin at path and open a handle with the host API `host` (its host_ctx must
 * outlive the plugin). On success *out is the plugin (nsp_loader_close() it); on failure
 * returns non-zero with a message in err and *out NULL. */
int nsp_loader_open(const char *path, const nsp_host_api *host, nsp_loaded_plugin **out,
		    char *err, size_t errlen);

/* Close the handle and unload the object. NULL is accepted. */
void nsp_loader_close(nsp_loaded_plugin *p);

/* Call `hook` (one of p->desc's hooks, named hook_name in messages) with `request`, and unpack
 * its response as `response_type`. Returns 0 when a response was obtained (also when the hook
 * reported a failure: its status is in *hook_status and the response says why); non-zero with
 * a message in err when there is no usable response (none returned, or not decodable). */
int nsp_loader_call(nsp_loaded_plugin *p, nsp_hook_fn hook, const char *hook_name,
		    const ProtobufCMessage *request, const ProtobufCMessageDescriptor *response_type,
		    ProtobufCMessage **response, int *hook_status, char *err, size_t errlen);

/* Typed wrappers. describe also requires NSP_OK from the plugin. */
int nsp_loader_describe(nsp_loaded_plugin *p, Neosync__Plugin__V1__DescribeResponse **out,
			char *err, size_t errlen);
int nsp_loader_pre_sync(nsp_loaded_plugin *p, const Neosync__Plugin__V1__PreSyncRequest *req,
			Neosync__Plugin__V1__PreSyncResponse **out, int *hook_status, char *err,
			size_t errlen);
int nsp_loader_post_sync(nsp_loaded_plugin *p, const Neosync__Plugin__V1__PostSyncRequest *req,
			 Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status, char *err,
			 size_t errlen);
/* The same with the request packed already: the job runner drops the plan's unpacked copy
 * between packing and the call (the largest allocation of a job at thousands of tables). */
int nsp_loader_post_sync_packed(nsp_loaded_plugin *p, const uint8_t *req, size_t req_len,
			 Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status, char *err,
			 size_t errlen);

/* "NSP_OK", "NSP_ERR_ABI", ... ("status N" for unknown values). */
const char *nsp_loader_status_name(int status);

#endif
