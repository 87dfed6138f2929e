/* grpc_common - what the gRPC plugin host (grpc_server.h) and its client (grpc_client.h) share:
 * method paths, addresses, message limits, the mapping of plugin status to gRPC status, the
 * framing of streamed events, byte buffers and JSON-lines logging.
 *
 * Addresses (`serve --listen`, `run --remote`, a hook's plugin.address):
 *   unix:/abs/path  unix:rel/path  unix:///abs/path   a Unix domain socket
 *   HOST:PORT  [V6]:PORT                              TCP (HOST a name or a literal address)
 *   :PORT  PORT                                       TCP on 127.0.0.1 (loopback by default)
 * Loopback means "localhost", 127.0.0.0/8 and ::1; anything else (0.0.0.0 included) is remote.
 *
 * Status on the wire (server side; the client maps back):
 *   plugin NSP_OK, NSP_ERR_PARTIAL, NSP_ERR_FAILED -> OK, and the final response carries the
 *       plugin's Error (code, message, SQLSTATE), so the caller gets the full report;
 *   NSP_ERR_INVALID_ARGUMENT -> INVALID_ARGUMENT with the Error's message (the response is
 *       still sent first, as the final stream message);
 *   NSP_ERR_CANCELLED -> CANCELLED (DEADLINE_EXCEEDED when the call's deadline passed);
 *   NSP_ERR_NOMEM -> RESOURCE_EXHAUSTED; NSP_ERR_ABI -> FAILED_PRECONDITION;
 *   no response from the plugin -> INTERNAL; unknown method -> UNIMPLEMENTED; a request larger
 *   than the receive limit -> RESOURCE_EXHAUSTED (by gRPC itself).
 * The plugin's own status travels in the trailing metadata key NSP_GRPC_MD_HOOK_STATUS
 * ("nsp-hook-status", decimal), so a remote run reports exactly what an in-process one does.
 */
#ifndef NSP_HOST_GRPC_COMMON_H
#define NSP_HOST_GRPC_COMMON_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "neosync/plugin.h"

#define NSP_GRPC_SERVICE "neosync.plugin.v1.SchemaPlugin"
#define NSP_GRPC_METHOD_DESCRIBE "/neosync.plugin.v1.SchemaPlugin/Describe"
#define NSP_GRPC_METHOD_PRE_SYNC "/neosync.plugin.v1.SchemaPlugin/PreSync"
#define NSP_GRPC_METHOD_POST_SYNC "/neosync.plugin.v1.SchemaPlugin/PostSync"
#define NSP_GRPC_METHOD_HEALTH_CHECK "/grpc.health.v1.Health/Check"

#define NSP_GRPC_MD_HOOK_STATUS "nsp-hook-status"

/* Default message size limit, both directions: 64 MiB. */
#define NSP_GRPC_DEFAULT_MAX_MESSAGE (64 * 1024 * 1024)

typedef enum nsp_grpc_addr_kind { NSP_GRPC_ADDR_UNIX = 1, NSP_GRPC_ADDR_TCP = 2 } nsp_grpc_addr_kind;

typedef struct nsp_grpc_addr {
	nsp_grpc_addr_kind kind;
	char path[108];   /* UNIX: the socket's path (as given; sun_path's size) */
	char host[256];   /* TCP: the host, without brackets */
	unsigned port;    /* TCP: 0..65535 (0: any free port, server only) */
	bool loopback;    /* TCP: host is localhost, 127.0.0.0/8 or ::1; UNIX: always true */
	char target[400]; /* what gRPC is given: "unix:/path", "host:port" or "[v6]:port" */
} nsp_grpc_addr;

/* Parse an address (see above). Returns 0, or -1 with a message in err. */
int nsp_grpc_addr_parse(const char *text, nsp_grpc_addr *out, char *err, size_t errlen);

/* The gRPC status for a plugin status (see above); deadline_passed turns CANCELLED into
 * DEADLINE_EXCEEDED. */
grpc_status_code nsp_grpc_status_for_hook(int hook_status, bool deadline_passed);

/* "OK", "CANCELLED", ... for a gRPC status code. */
const char *nsp_grpc_status_name(grpc_status_code code);

/* Frame `len` bytes as field `field` (length-delimited) of a message: tag, varint length, bytes.
 * PreSyncEvent/PostSyncEvent: field 1 progress, field 2 response. Returns a malloc'd buffer
 * (*out_len bytes) or NULL when memory ran out. */
uint8_t *nsp_grpc_frame_field(uint32_t field, const uint8_t *bytes, size_t len, size_t *out_len);

/* Find the first top-level length-delimited field `field` of a serialized message. Returns 1
 * and sets *val and *val_len (pointing into msg), 0 when absent, -1 when msg is not well-formed
 * at the top level. Never reads outside msg. */
int nsp_grpc_find_field(const uint8_t *msg, size_t len, uint32_t field, const uint8_t **val,
			size_t *val_len);

/* Copy a string field (as above) into out (outlen bytes, NUL-terminated, cut, non-printable
 * bytes replaced by '?'); out is "" when absent or malformed. */
void nsp_grpc_string_field(const uint8_t *msg, size_t len, uint32_t field, char *out,
			   size_t outlen);

/* A byte buffer's payload as one malloc'd block (*len bytes; at least 1 byte allocated).
 * NULL when memory ran out. */
uint8_t *nsp_grpc_buffer_flatten(grpc_byte_buffer *bb, size_t *len);
/* A new byte buffer holding a copy of bytes. */
grpc_byte_buffer *nsp_grpc_buffer_from(const uint8_t *bytes, size_t len);

/* JSON-lines logging to stderr: one object per line with time (RFC 3339 UTC, ms), level
 * ("debug", "info", "warning", "error"), msg, and job_id, run_id, hook when given (NULL or ""
 * omits them); extra members from a NULL-terminated list of key/value string pairs.
 * Lines below the host's level (host_api.h: nsp_host_log_level) are dropped. Thread-safe. */
void nsp_grpc_log(nsp_log_level level, const char *hook, const char *job_id, const char *run_id,
		  const char *msg, ...);
/* Same, printf-style message, no extra members. */
void nsp_grpc_logf(nsp_log_level level, const char *hook, const char *job_id, const char *run_id,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
