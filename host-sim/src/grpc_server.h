/* grpc_server - `neosync-host-sim serve`: a plugin behind the gRPC service
 * neosync.plugin.v1.SchemaPlugin (and grpc.health.v1.Health/Check), built on the gRPC C core API.
 *
 * The plugin is loaded once (and described, to validate it) at start. Every call then runs on its
 * own thread with its own plugin handle (descriptor->open per call: plugin.h's thread-safety rule),
 * so calls run at once. One dispatcher thread (the caller of nsp_grpc_serve) polls the server's
 * completion queue: new calls, batch completions (handed to the call's thread through a condition
 * variable) and the close of each call (a client cancel, a deadline, a reset connection), which the
 * hook sees through the ABI's cancellation probe. Requests go to the plugin as the bytes received;
 * PreSync/PostSync send each ProgressEvent the plugin reports as a PreSyncEvent/PostSyncEvent
 * {progress}, then the response as the final {response} event. Statuses: grpc_common.h.
 *
 * Listening: unix:/path (socket mode 0600; a stale socket file is replaced, a live one refused),
 * or host:port (loopback only, unless TLS is configured or allow_insecure_remote is set).
 * SIGTERM/SIGINT: stop accepting calls, let in-flight calls finish for grace_seconds, then cancel
 * them through their hooks' cancellation probe (they stop their statements and still send their
 * response, with status CANCELLED), and 5 s later through gRPC (the client sees UNAVAILABLE);
 * wait for them and return 0. A second signal starts the cancellation at once.
 *
 * Logs: JSON lines on stderr (grpc_common.h: nsp_grpc_log), never a connection string.
 */
#ifndef NSP_HOST_GRPC_SERVER_H
#define NSP_HOST_GRPC_SERVER_H

#include <stdbool.h>

typedef struct nsp_grpc_server_options {
	const char *plugin_path;   /* required */
	const char *listen;        /* required: unix:/path or host:port */
	const char *tls_cert;      /* PEM certificate chain (with tls_key) */
	const char *tls_key;       /* PEM private key */
	const char *tls_client_ca; /* PEM CA: require and verify client certificates */
	bool allow_insecure_remote;
	long max_message_bytes; /* <= 0: NSP_GRPC_DEFAULT_MAX_MESSAGE */
	int grace_seconds;      /* < 0: 10 */
} nsp_grpc_server_options;

/* Serve until SIGTERM/SIGINT. Returns the process exit status: 0 after a graceful shutdown,
 * 1 when the server could not start (the reason is logged). */
int nsp_grpc_serve(const nsp_grpc_server_options *opts);

#endif
