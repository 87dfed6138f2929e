#include "plugin_commands.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "grpc_server.h"
#include "host_api.h"
#include "json_proto.h"
#include "loader.h"

const char nsp_describe_command_usage[] =
	"describe --plugin PATH [--json]\n"
	"\n"
	"Load the plugin's shared object (dlopen RTLD_NOW|RTLD_LOCAL), negotiate the C ABI and\n"
	"print its name, version, ABI version (the plugin's and this host's) and capabilities.\n"
	"A plugin built for another ABI major version is refused (exit status 1).\n"
	"\n"
	"Options:\n"
	"  --plugin PATH   the plugin's shared object (a path; relative to the working directory)\n"
	"  --json          print the DescribeResponse as JSON (proto3 JSON mapping)\n"
	"  -h, --help      show this help\n";

const char nsp_serve_command_usage[] =
	"serve --plugin PATH --listen ADDR [OPTIONS]\n"
	"\n"
	"Load the plugin once and serve it behind the gRPC service neosync.plugin.v1.SchemaPlugin\n"
	"(Describe; PreSync and PostSync stream progress events, then the response) and the\n"
	"standard health check grpc.health.v1.Health/Check, for job hooks that name an `address`\n"
	"and for `run --remote`. Every call runs on its own thread with its own plugin handle.\n"
	"Logs are JSON lines on stderr. SIGTERM or SIGINT: no new calls, calls in flight finish\n"
	"or are cancelled after the grace period, exit status 0.\n"
	"\n"
	"Options:\n"
	"  --plugin PATH              the plugin's shared object\n"
	"  --listen ADDR              unix:/path/to.sock (created mode 0600; a stale socket file is\n"
	"                             replaced, a live one refused), HOST:PORT, [V6]:PORT or :PORT\n"
	"                             (127.0.0.1); port 0 picks a free port (see the log)\n"
	"  --tls-cert FILE            PEM certificate chain (TLS on; with --tls-key)\n"
	"  --tls-key FILE             PEM private key\n"
	"  --tls-client-ca FILE       require client certificates signed by this CA (mutual TLS)\n"
	"  --allow-insecure-remote    allow a non-loopback TCP address without TLS\n"
	"  --max-message-bytes N      largest message received or sent (default 67108864 = 64 MiB)\n"
	"  --grace-seconds N          on SIGTERM, how long calls in flight may finish (default 10)\n"
	"  -v, --verbose              log debug lines too (or NSP_LOG_LEVEL=debug|info|warning|error)\n"
	"  -h, --help                 show this help\n";

/* --- describe ------------------------------------------------------------------------------ */

static void print_describe(const nsp_loaded_plugin *p,
			   const Neosync__Plugin__V1__DescribeResponse *d)
{
	const Neosync__Plugin__V1__PluginInfo *info = d->info;
	printf("name:          %s\n", info != NULL && info->name != NULL && info->name[0]
					  ? info->name
					  : (p->desc.name != NULL ? p->desc.name : "(unnamed)"));
	printf("version:       %s\n", info != NULL && info->version != NULL && info->version[0]
					  ? info->version
					  : (p->desc.version != NULL ? p->desc.version : "(none)"));
	if (info != NULL && info->description != NULL && info->description[0])
		printf("description:   %s\n", info->description);
	printf("ABI:           plugin %u.%u, host %d.%d\n", (unsigned)p->desc.abi_major,
	       (unsigned)p->desc.abi_minor, NSP_ABI_MAJOR, NSP_ABI_MINOR);
	if (info != NULL && (info->abi_major != p->desc.abi_major ||
			     info->abi_minor != p->desc.abi_minor))
		printf("               (its describe response says ABI %u.%u)\n",
		       (unsigned)info->abi_major, (unsigned)info->abi_minor);
	printf("capabilities:  ");
	if (info == NULL || info->n_capabilities == 0)
		printf("(none)");
	for (size_t i = 0; info != NULL && i < info->n_capabilities; i++)
		printf("%s%s", i > 0 ? ", " : "", info->capabilities[i]);
	printf("\n");
	printf("path:          %s\n", p->path);
}

int nsp_describe_command(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{"plugin", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	nsp_cli cli = {prog, "describe", nsp_describe_command_usage, false};
	const char *path = NULL;
	bool json = false;
	int o;
	while ((o = nsp_cli_next(&cli, argc, argv, "h", opts)) >= 0) {
		if (o == 'p')
			path = optarg;
		else if (o == 'j')
			json = true;
	}
	if (o != NSP_CLI_DONE)
		return o == NSP_CLI_HELP ? 0 : 1;
	if (path == NULL || path[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--plugin PATH is required");

	nsp_host_ctx ctx;
	nsp_host_api api;
	nsp_loaded_plugin *p = NULL;
	Neosync__Plugin__V1__DescribeResponse *d = NULL;
	char err[1024];
	int rc = 1;

	nsp_host_api_make(&api, &ctx, "describe", nsp_host_log_level());
	if (nsp_loader_open(path, &api, &p, err, sizeof(err)) != 0 ||
	    nsp_loader_describe(p, &d, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s describe: %s\n", prog, err);
		goto done;
	}
	if (json) {
		char *text = nsp_proto_to_json(&d->base, true);
		if (text == NULL) {
			fprintf(stderr, "%s describe: out of memory rendering JSON\n", prog);
			goto done;
		}
		printf("%s\n", text);
		free(text);
	} else {
		print_describe(p, d);
	}
	rc = 0;
done:
	if (d != NULL)
		neosync__plugin__v1__describe_response__free_unpacked(d, NULL);
	nsp_loader_close(p);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "%s describe: stdout: %s\n", prog, strerror(errno));
		rc = 1;
	}
	return rc;
}

/* --- serve --------------------------------------------------------------------------------- */

enum { OPT_TLS_CERT = 256, OPT_TLS_KEY, OPT_TLS_CLIENT_CA, OPT_INSECURE, OPT_MAX_MSG, OPT_GRACE };

int nsp_serve_command(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{"plugin", required_argument, NULL, 'p'},
		{"listen", required_argument, NULL, 'l'},
		{"tls-cert", required_argument, NULL, OPT_TLS_CERT},
		{"tls-key", required_argument, NULL, OPT_TLS_KEY},
		{"tls-client-ca", required_argument, NULL, OPT_TLS_CLIENT_CA},
		{"allow-insecure-remote", no_argument, NULL, OPT_INSECURE},
		{"max-message-bytes", required_argument, NULL, OPT_MAX_MSG},
		{"grace-seconds", required_argument, NULL, OPT_GRACE},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	nsp_cli cli = {prog, "serve", nsp_serve_command_usage, false};
	nsp_grpc_server_options o;
	const char *max_msg = NULL, *grace = NULL;

	memset(&o, 0, sizeof(o));
	o.grace_seconds = -1;
	int c;
	while ((c = nsp_cli_next(&cli, argc, argv, "hv", opts)) >= 0) {
		switch (c) {
		case 'p': o.plugin_path = optarg; break;
		case 'l': o.listen = optarg; break;
		case OPT_TLS_CERT: o.tls_cert = optarg; break;
		case OPT_TLS_KEY: o.tls_key = optarg; break;
		case OPT_TLS_CLIENT_CA: o.tls_client_ca = optarg; break;
		case OPT_INSECURE: o.allow_insecure_remote = true; break;
		case OPT_MAX_MSG: max_msg = optarg; break;
		case OPT_GRACE: grace = optarg; break;
		case 'v': nsp_host_set_log_level(NSP_LOG_DEBUG); break;
		default: break;
		}
	}
	if (c != NSP_CLI_DONE)
		return c == NSP_CLI_HELP ? 0 : 1;
	if (o.plugin_path == NULL || o.plugin_path[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--plugin PATH is required");
	if (o.listen == NULL || o.listen[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--listen ADDR is required");
	long n;
	if (max_msg != NULL) {
		if (nsp_cli_parse_long(&cli, "--max-message-bytes", max_msg, 1024, 0x7fffffffL, &n) != 0)
			return 1;
		o.max_message_bytes = n;
	}
	if (grace != NULL) {
		if (nsp_cli_parse_long(&cli, "--grace-seconds", grace, 0, 86400, &n) != 0)
			return 1;
		o.grace_seconds = (int)n;
	}
	return nsp_grpc_serve(&o);
}
