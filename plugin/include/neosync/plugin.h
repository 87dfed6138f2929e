/*
 * neosync/plugin.h - the C ABI between a Neosync sync-job host and a plugin.
 *
 * A plugin is a shared object that exports exactly one symbol, NSP_ENTRY_SYMBOL, of type
 * nsp_entry_fn. The host calls it with its own ABI version; the plugin returns a constant,
 * versioned descriptor of its functions, or NULL with a message when it refuses the host.
 *
 * Data crosses the ABI as serialized protobuf messages of package neosync.plugin.v1
 * (the .proto files under proto/neosync/plugin/v1): each hook takes request bytes and returns response bytes
 * that the plugin allocates and the host releases with the descriptor's free_buffer.
 *
 * Versioning (as libgit2's versioned structs): every struct starts with struct_size and the
 * ABI version it was built with. A different major is refused by both sides with a message
 * naming both versions. Minor versions only append members; each side reads
 * min(struct_size, sizeof(its own struct)) and treats members past that as absent (NULL/0).
 *
 * Thread safety: a handle (nsp_plugin) is used by one thread at a time; calls on one handle
 * must be serialized by the host. Different handles are independent and may be used from
 * different threads at once. The plugin keeps no state outside its handles.
 *
 * The plugin never calls exit() or abort() and never writes to stdout; it reports through
 * the host's log callback and its return values.
 */
#ifndef NEOSYNC_PLUGIN_H
#define NEOSYNC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NSP_ABI_MAJOR 1
#define NSP_ABI_MINOR 0

/* Name of the one symbol a plugin exports. */
#define NSP_ENTRY_SYMBOL "neosync_plugin_entry"

/* Return status of every ABI function. */
typedef enum nsp_status {
	NSP_OK = 0,
	NSP_ERR_INVALID_ARGUMENT = 1, /* malformed or invalid request; a response says why */
	NSP_ERR_ABI = 2,              /* incompatible ABI versions */
	NSP_ERR_FAILED = 3,           /* the hook failed; the response says why */
	NSP_ERR_CANCELLED = 4,        /* the host's cancellation probe said stop */
	NSP_ERR_NOMEM = 5,            /* out of memory; no response could be built */
	NSP_ERR_PARTIAL = 6           /* the hook finished with failed or skipped steps */
} nsp_status;

typedef enum nsp_log_level {
	NSP_LOG_DEBUG = 0,
	NSP_LOG_INFO = 1,
	NSP_LOG_WARNING = 2,
	NSP_LOG_ERROR = 3
} nsp_log_level;

/* What the host gives the plugin. All callbacks may be NULL; they may be called from any
 * thread that runs a hook of the handle, and must be safe for that. */
typedef struct nsp_host_api {
	size_t struct_size; /* sizeof(nsp_host_api) as the host was built */
	uint32_t abi_major;
	uint32_t abi_minor;
	void *host_ctx; /* passed back to every callback */
	/* One log line, without secrets and without a trailing newline. */
	void (*log)(void *host_ctx, nsp_log_level level, const char *message);
	/* A serialized neosync.plugin.v1.ProgressEvent. */
	void (*progress)(void *host_ctx, const uint8_t *event, size_t event_len);
	/* Non-zero when the host wants the running hook to stop as soon as it can. */
	int (*is_cancelled)(void *host_ctx);
} nsp_host_api;

/* Opaque per-use state of a plugin. */
typedef struct nsp_plugin nsp_plugin;

/* A hook: request bytes in, response bytes out. On return *out holds a response (also on
 * failure, whenever one could be built) that the host releases with free_buffer. */
typedef int (*nsp_hook_fn)(nsp_plugin *handle, const uint8_t *in, size_t in_len, uint8_t **out,
			   size_t *out_len);

typedef struct nsp_plugin_descriptor {
	size_t struct_size; /* sizeof(nsp_plugin_descriptor) as the plugin was built */
	uint32_t abi_major;
	uint32_t abi_minor;
	const char *name;    /* e.g. "neosync-schema" */
	const char *version; /* the plugin's own version, e.g. "0.1.0" */

	/* Make a handle. The host API is copied; host_ctx must outlive the handle. On failure
	 * returns non-zero and, if err is not NULL, a message in err (errlen bytes, terminated). */
	int (*open)(const nsp_host_api *host, nsp_plugin **out_handle, char *err, size_t errlen);
	void (*close)(nsp_plugin *handle);

	nsp_hook_fn describe;  /* DescribeRequest  -> DescribeResponse */
	nsp_hook_fn pre_sync;  /* PreSyncRequest   -> PreSyncResponse  */
	nsp_hook_fn post_sync; /* PostSyncRequest  -> PostSyncResponse */

	/* Release a buffer returned by a hook. NULL is accepted. */
	void (*free_buffer)(uint8_t *buffer);
} nsp_plugin_descriptor;

/* The entry point. Returns the plugin's descriptor, or NULL when the plugin refuses the host's
 * ABI major; then a message naming both versions is written to err (errlen bytes). */
typedef const nsp_plugin_descriptor *(*nsp_entry_fn)(uint32_t host_abi_major,
						     uint32_t host_abi_minor, char *err,
						     size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* NEOSYNC_PLUGIN_H */
