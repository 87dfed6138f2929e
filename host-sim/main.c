/* neosync-host-sim - runs Neosync schema plugins the way a Neosync sync worker does.
 *
 *   neosync-host-sim describe --plugin PATH [--json]
 *   neosync-host-sim run --config JOB.json [--remote ADDR] [--json] [--verbose]
 *   neosync-host-sim plan --config JOB.json --out DIR
 *   neosync-host-sim pre-sync --config JOB.json --plan-out PLAN.bin [--hydrate]
 *   neosync-host-sim post-sync --config JOB.json [--plan PLAN.bin]
 *   neosync-host-sim serve --plugin PATH --listen ADDR [--tls-cert F --tls-key F ...]
 *   neosync-host-sim help [COMMAND]
 *   neosync-host-sim --help | --version
 *
 * Reports go to stdout; logs, progress and errors to stderr. Exit status: 0 success; 1 fatal
 * error or bad usage; 2 (run) the job finished with failed or skipped steps.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_server.h"
#include "host_api.h"
#include "job_runner.h"
#include "json_proto.h"
#include "loader.h"
#include "plan_command.h"
#include "report.h"

#define PROG "neosync-host-sim"

typedef struct command {
	const char *name;
	const char *summary;
	const char *usage; /* full help text */
	int (*run)(int argc, char **argv);
} command;

static int cmd_describe(int argc, char **argv);
static int cmd_run(int argc, char **argv);
static int cmd_serve(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const command commands[] = {
	{"describe", "load a plugin, negotiate the ABI and print what it is",
	 "Usage: " PROG " describe --plugin PATH [--json]\n"
	 "\n"
	 "Load the plugin's shared object (dlopen RTLD_NOW|RTLD_LOCAL), negotiate the C ABI and\n"
	 "print its name, version, ABI version (the plugin's and this host's) and capabilities.\n"
	 "A plugin built for another ABI major version is refused (exit status 1).\n"
	 "\n"
	 "Options:\n"
	 "  --plugin PATH   the plugin's shared object (a path; relative to the working directory)\n"
	 "  --json          print the DescribeResponse as JSON (proto3 JSON mapping)\n"
	 "  -h, --help      show this help\n",
	 cmd_describe},
	{"run", "run a sync job: pre-sync hooks, data step, post-sync hooks",
	 "Usage: " PROG " run --config JOB.json [--remote ADDR] [--json] [--verbose]\n"
	 "\n"
	 "Run the job in JOB.json (proto3 JSON of neosync.plugin.v1.JobConfig): the enabled hooks'\n"
	 "pre-sync in ascending priority (ties by name), then the data step (rows copied from the\n"
	 "source to the destination with COPY, in parallel, from one snapshot), then the hooks'\n"
	 "post-sync in the same order. Prints a per-phase summary.\n"
	 "\n"
	 "Options:\n"
	 "  --config PATH   the job config (JSON)\n"
	 "  --remote ADDR   call every hook over gRPC at ADDR (a `serve` host: unix:/path or\n"
	 "                  host:port) instead of loading its plugin in-process; a hook whose\n"
	 "                  plugin names an `address` is always called there\n"
	 "  --json          print one JSON document {preSync, hydration, postSync, ...} instead\n"
	 "  -v, --verbose   log debug lines too (or set NSP_LOG_LEVEL=debug|info|warning|error)\n"
	 "                  (NSP_LOG_FORMAT=json: log lines as JSON objects with time, level,\n"
	 "                  msg, job_id, run_id, hook)\n"
	 "  -h, --help      show this help\n"
	 "\n"
	 "Exit status: 0 every step applied (or unchanged) and every table copied; 2 the job\n"
	 "finished with failed, skipped or conflicting steps or tables not copied; 1 a fatal error\n"
	 "(bad config, plugin not loadable, a hook that failed as a whole, cancelled by a signal).\n"
	 "Ctrl-C (SIGINT) or SIGTERM asks the running hook to stop; a second one ends at once.\n",
	 cmd_run},
	{"plan", "dry run: write the plan as pre-sync.sql and post-sync.sql, touch nothing",
	 nsp_plan_command_usage, nsp_plan_command},
	{"pre-sync", "run only the hooks' pre-sync (and --hydrate: the data step), save the plan",
	 nsp_pre_sync_command_usage, nsp_pre_sync_command},
	{"post-sync", "run only the hooks' post-sync with a saved plan (idempotent re-runs)",
	 nsp_post_sync_command_usage, nsp_post_sync_command},
	{"serve", "serve a plugin over gRPC (neosync.plugin.v1.SchemaPlugin)",
	 "Usage: " PROG " serve --plugin PATH --listen ADDR [OPTIONS]\n"
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
	 "  -h, --help                 show this help\n",
	 cmd_serve},
	{"help", "show help for a command", "Usage: " PROG " help [COMMAND]\n", cmd_help},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " COMMAND [OPTIONS]\n"
		"\n"
		"Runs Neosync schema plugins as a Neosync sync worker does (host ABI %d.%d).\n"
		"\n"
		"Commands:\n",
		NSP_ABI_MAJOR, NSP_ABI_MINOR);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n"
		     "Options:\n"
		     "  -h, --help     show this help (COMMAND --help: the command's help)\n"
		     "  --version      show the version\n");
}

static const command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static int usage_error(const command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG "%s%s: ", cmd != NULL ? " " : "", cmd != NULL ? cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	if (cmd != NULL)
		fputs(cmd->usage, stderr);
	else
		print_usage(stderr);
	return 1;
}

/* Accepts "--name VALUE" and "--name=VALUE". Returns 1 when argv[*i] is that option (value in
 * *value, *i advanced), 0 when not, -1 when the value is missing (usage printed). */
static int take_value(const command *cmd, int argc, char **argv, int *i, const char *name,
		      const char **value)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		usage_error(cmd, "option %s needs a value", name);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

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

static int cmd_describe(int argc, char **argv)
{
	const command *cmd = find_command("describe");
	const char *path = NULL;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		int t;
		if (is_help(argv[i])) {
			fputs(cmd->usage, stdout);
			return 0;
		}
		if ((t = take_value(cmd, argc, argv, &i, "--plugin", &path)) != 0) {
			if (t < 0)
				return 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			return usage_error(cmd, "unknown argument: %s", argv[i]);
		}
	}
	if (path == NULL || path[0] == '\0')
		return usage_error(cmd, "%s", "--plugin PATH is required");

	nsp_host_ctx ctx;
	nsp_host_api api;
	nsp_loaded_plugin *p = NULL;
	Neosync__Plugin__V1__DescribeResponse *d = NULL;
	char err[1024];
	int rc = 1;

	nsp_host_api_make(&api, &ctx, "describe", nsp_host_log_level());
	if (nsp_loader_open(path, &api, &p, err, sizeof(err)) != 0 ||
	    nsp_loader_describe(p, &d, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG " describe: %s\n", err);
		goto done;
	}
	if (json) {
		char *text = nsp_proto_to_json(&d->base, true);
		if (text == NULL) {
			fprintf(stderr, PROG " describe: out of memory rendering JSON\n");
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
		perror(PROG " describe: stdout");
		rc = 1;
	}
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	const command *cmd = find_command("run");
	const char *config = NULL;
	const char *remote = NULL;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		int t;
		if (is_help(argv[i])) {
			fputs(cmd->usage, stdout);
			return 0;
		}
		if ((t = take_value(cmd, argc, argv, &i, "--config", &config)) != 0) {
			if (t < 0)
				return 1;
		} else if ((t = take_value(cmd, argc, argv, &i, "--remote", &remote)) != 0) {
			if (t < 0)
				return 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			nsp_host_set_log_level(NSP_LOG_DEBUG);
		} else {
			return usage_error(cmd, "unknown argument: %s", argv[i]);
		}
	}
	if (config == NULL || config[0] == '\0')
		return usage_error(cmd, "%s", "--config JOB.json is required");
	if (remote != NULL && remote[0] == '\0')
		return usage_error(cmd, "%s", "--remote needs an address");
	nsp_job_set_remote(remote);
	if (json)
		nsp_host_set_progress(false); /* --json: plain log lines, no live line */

	char err[256];
	if (nsp_host_signals_install(err, sizeof(err)) != 0) {
		fprintf(stderr, PROG " run: %s\n", err);
		return 1;
	}

	nsp_report report;
	int status = nsp_job_run(config, &report);
	/* With --json a document whenever the config loaded; the text report once anything ran. */
	bool ran = report.hydration_ran;
	for (size_t i = 0; i < report.nhooks; i++)
		ran = ran || report.hooks[i].pre != NULL;
	if (report.job_id != NULL && (json || ran)) {
		if (json) {
			char jerr[256];
			if (nsp_report_print_json(&report, stdout, true, jerr, sizeof(jerr)) != 0) {
				fprintf(stderr, PROG " run: %s\n", jerr);
				status = 1;
			}
		} else {
			nsp_report_print_text(&report, stdout);
		}
	}
	if (report.fatal[0] != '\0')
		fprintf(stderr, PROG " run: %s\n", report.fatal);
	nsp_report_free(&report);
	if (fflush(stdout) != 0) {
		perror(PROG " run: stdout");
		status = 1;
	}
	return status;
}

static int parse_long(const command *cmd, const char *opt, const char *v, long min, long max,
		      long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
		usage_error(cmd, "%s: expected a whole number from %ld to %ld, got \"%s\"", opt, min,
			    max, v);
		return -1;
	}
	*out = n;
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	const command *cmd = find_command("serve");
	nsp_grpc_server_options o;
	const char *max_msg = NULL, *grace = NULL;

	memset(&o, 0, sizeof(o));
	o.grace_seconds = -1;
	for (int i = 1; i < argc; i++) {
		int t = 0;
		if (is_help(argv[i])) {
			fputs(cmd->usage, stdout);
			return 0;
		}
		if ((t = take_value(cmd, argc, argv, &i, "--plugin", &o.plugin_path)) != 0 ||
		    (t = take_value(cmd, argc, argv, &i, "--listen", &o.listen)) != 0 ||
		    (t = take_value(cmd, argc, argv, &i, "--tls-cert", &o.tls_cert)) != 0 ||
		    (t = take_value(cmd, argc, argv, &i, "--tls-key", &o.tls_key)) != 0 ||
		    (t = take_value(cmd, argc, argv, &i, "--tls-client-ca", &o.tls_client_ca)) != 0 ||
		    (t = take_value(cmd, argc, argv, &i, "--max-message-bytes", &max_msg)) != 0 ||
		    (t = take_value(cmd, argc, argv, &i, "--grace-seconds", &grace)) != 0) {
			if (t < 0)
				return 1;
		} else if (strcmp(argv[i], "--allow-insecure-remote") == 0) {
			o.allow_insecure_remote = true;
		} else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			nsp_host_set_log_level(NSP_LOG_DEBUG);
		} else {
			return usage_error(cmd, "unknown argument: %s", argv[i]);
		}
	}
	if (o.plugin_path == NULL || o.plugin_path[0] == '\0')
		return usage_error(cmd, "%s", "--plugin PATH is required");
	if (o.listen == NULL || o.listen[0] == '\0')
		return usage_error(cmd, "%s", "--listen ADDR is required");
	long n;
	if (max_msg != NULL) {
		if (parse_long(cmd, "--max-message-bytes", max_msg, 1024, 0x7fffffffL, &n) != 0)
			return 1;
		o.max_message_bytes = n;
	}
	if (grace != NULL) {
		if (parse_long(cmd, "--grace-seconds", grace, 0, 86400, &n) != 0)
			return 1;
		o.grace_seconds = (int)n;
	}
	return nsp_grpc_serve(&o);
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2 || is_help(argv[1])) {
		print_usage(stdout);
		return 0;
	}
	if (argc > 2)
		return usage_error(find_command("help"), "unexpected argument: %s", argv[2]);
	const command *cmd = find_command(argv[1]);
	if (cmd == NULL)
		return usage_error(NULL, "unknown command: %s", argv[1]);
	fputs(cmd->usage, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error(NULL, "%s", "a command is required");
	if (is_help(argv[1])) {
		print_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf(PROG " %s (host ABI %d.%d)\n", NSP_HOST_VERSION, NSP_ABI_MAJOR, NSP_ABI_MINOR);
		return 0;
	}
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option: %s", argv[1]);
	const command *cmd = find_command(argv[1]);
	if (cmd == NULL)
		return usage_error(NULL, "unknown command: %s", argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
