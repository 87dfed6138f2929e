/* grpc_client - calls a plugin host (`neosync-host-sim serve`, or any server of the service
 * neosync.plugin.v1.SchemaPlugin) over gRPC, with the same results as loader.h's in-process calls.
 *
 * The typed calls mirror loader.h: 0 when a response was obtained (also when the plugin reported
 * a failure: its status is in *hook_status, taken from the trailing metadata "nsp-hook-status", or
 * derived from the response's Error code when a server does not send it), non-zero with a message
 * when there is no usable response (unreachable host, a non-OK status without a response, bytes
 * that do not decode). Progress events received on the stream go to the host API's progress
 * callback, as in-process. The host API's cancellation probe is polled (every 100 ms) while a call
 * runs; when it says stop, the call is cancelled (the server's hook sees its own probe say stop).
 *
 * TLS (optional, from the environment): NSP_GRPC_TLS_CA (PEM roots; turns TLS on),
 * NSP_GRPC_TLS_CERT and NSP_GRPC_TLS_KEY (a client certificate, for servers that require one).
 *
 * One client is used by one thread at a time.
 */
#ifndef NSP_HOST_GRPC_CLIENT_H
#define NSP_HOST_GRPC_CLIENT_H

#include <grpc/grpc.h>
#include <stddef.h>
#include <stdint.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

typedef struct nsp_grpc_client nsp_grpc_client;

/* Connect lazily to address (grpc_common.h's forms). host: callbacks for progress and the
 * cancellation probe (copied; may be NULL). max_message_bytes <= 0: the default (64 MiB). */
int nsp_grpc_client_open(const char *address, const nsp_host_api *host, long max_message_bytes,
			 nsp_grpc_client **out, char *err, size_t errlen);
void nsp_grpc_client_close(nsp_grpc_client *c);
/* The address as given. */
const char *nsp_grpc_client_address(const nsp_grpc_client *c);

typedef struct nsp_grpc_call_result {
	grpc_status_code status;
	char details[1024];
	int hook_status; /* from the trailing metadata; -1 when absent */
	size_t messages; /* messages received */
} nsp_grpc_call_result;

/* Called for each message received; a non-zero return cancels the call. */
typedef int (*nsp_grpc_on_message)(void *ctx, const uint8_t *msg, size_t len);

/* One call of any method with raw request bytes. deadline_ms <= 0: no deadline. Returns 0 when
 * the call ran to a status (in res, whatever it is); -1 with a message in err when it could not
 * be started. */
int nsp_grpc_client_call(nsp_grpc_client *c, const char *method, const uint8_t *req,
			 size_t req_len, long deadline_ms, nsp_grpc_on_message on_message,
			 void *ctx, nsp_grpc_call_result *res, char *err, size_t errlen);

int nsp_grpc_client_describe(nsp_grpc_client *c, Neosync__Plugin__V1__DescribeResponse **out,
			     char *err, size_t errlen);
int nsp_grpc_client_pre_sync(nsp_grpc_client *c, const Neosync__Plugin__V1__PreSyncRequest *req,
			     Neosync__Plugin__V1__PreSyncResponse **out, int *hook_status,
			     char *err, size_t errlen);
int nsp_grpc_client_post_sync(nsp_grpc_client *c,
			      const Neosync__Plugin__V1__PostSyncRequest *req,
			      Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status,
			      char *err, size_t errlen);
/* The request packed already, as nsp_loader_post_sync_packed (loader.h says why). */
int nsp_grpc_client_post_sync_packed(nsp_grpc_client *c, const uint8_t *req, size_t req_len,
			      Neosync__Plugin__V1__PostSyncResponse **out, int *hook_status,
			      char *err, size_t errlen);

/* The nsp_status for a response's Error code (for servers that send no "nsp-hook-status"). */
int nsp_grpc_hook_status_from_error(const Neosync__Plugin__V1__Error *e);

#endif
