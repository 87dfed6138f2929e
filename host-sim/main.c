/* neosync-host-sim - runs Neosync schema plugins the way a Neosync sync worker does: the local
 * job runner. (The production gRPC daemon is neosync-plugin-host, plugin_host.c; `serve` is here
 * too, the same code, for compatibility.)
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
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "host_api.h"
#include "job_runner.h"
#include "plan_command.h"
#include "plugin_commands.h"
#include "report.h"

static const char run_usage[] =
	"run --config JOB.json [--remote ADDR] [--json] [--verbose]\n"
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
	"Ctrl-C (SIGINT) or SIGTERM asks the running hook to stop; a second one ends at once.\n";

static int cmd_run(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"remote", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	nsp_cli cli = {prog, "run", run_usage, false};
	const char *config = NULL;
	const char *remote = NULL;
	bool json = false;
	int o;
	while ((o = nsp_cli_next(&cli, argc, argv, "hv", opts)) >= 0) {
		if (o == 'c')
			config = optarg;
		else if (o == 'r')
			remote = optarg;
		else if (o == 'j')
			json = true;
		else if (o == 'v')
			nsp_host_set_log_level(NSP_LOG_DEBUG);
	}
	if (o != NSP_CLI_DONE)
		return o == NSP_CLI_HELP ? 0 : 1;
	if (config == NULL || config[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--config JOB.json is required");
	if (remote != NULL && remote[0] == '\0')
		return nsp_cli_usage_error(&cli, "%s", "--remote needs an address");
	nsp_job_set_remote(remote);
	if (json)
		nsp_host_set_progress(false); /* --json: plain log lines, no live line */

	char err[256];
	if (nsp_host_signals_install(err, sizeof(err)) != 0) {
		fprintf(stderr, "%s run: %s\n", prog, err);
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
				fprintf(stderr, "%s run: %s\n", prog, jerr);
				status = 1;
			}
		} else {
			nsp_report_print_text(&report, stdout);
		}
	}
	if (report.fatal[0] != '\0')
		fprintf(stderr, "%s run: %s\n", prog, report.fatal);
	nsp_report_free(&report);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s run: stdout: %s\n", prog, strerror(errno));
		status = 1;
	}
	return status;
}

static const nsp_cli_command commands[] = {
	{"describe", "load a plugin, negotiate the ABI and print what it is",
	 nsp_describe_command_usage, nsp_describe_command},
	{"run", "run a sync job: pre-sync hooks, data step, post-sync hooks", run_usage, cmd_run},
	{"plan", "dry run: write the plan as pre-sync.sql and post-sync.sql, touch nothing",
	 nsp_plan_command_usage, nsp_plan_command},
	{"pre-sync", "run only the hooks' pre-sync (and --hydrate: the data step), save the plan",
	 nsp_pre_sync_command_usage, nsp_pre_sync_command},
	{"post-sync", "run only the hooks' post-sync with a saved plan (idempotent re-runs)",
	 nsp_post_sync_command_usage, nsp_post_sync_command},
	{"serve", "serve a plugin over gRPC (as neosync-plugin-host serve, the daemon)",
	 nsp_serve_command_usage, nsp_serve_command},
};

int main(int argc, char **argv)
{
	static const nsp_cli_program program = {
		"neosync-host-sim", "Runs Neosync schema plugins as a Neosync sync worker does",
		commands, sizeof(commands) / sizeof(commands[0])};
	return nsp_cli_main(&program, argc, argv);
}
