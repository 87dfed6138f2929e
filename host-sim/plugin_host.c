/* neosync-plugin-host - the production host daemon: serves a Neosync schema plugin over gRPC
 * (neosync.plugin.v1.SchemaPlugin) for sync workers that are not written in C; the systemd unit,
 * the container image and the Kubernetes sidecar run `neosync-plugin-host serve`. A small program
 * of the host's shared modules only (loader, ABI, host API, gRPC server): no job runner, no data
 * step. The local job runner is neosync-host-sim (main.c).
 *
 *   neosync-plugin-host serve --plugin PATH --listen ADDR [--tls-cert F --tls-key F ...]
 *   neosync-plugin-host describe --plugin PATH [--json]
 *   neosync-plugin-host help [COMMAND] | --help | --version
 */
#include "cli.h"
#include "plugin_commands.h"

static const nsp_cli_command commands[] = {
	{"serve", "serve a plugin over gRPC (neosync.plugin.v1.SchemaPlugin)", nsp_serve_command_usage,
	 nsp_serve_command},
	{"describe", "load a plugin, negotiate the ABI and print what it is",
	 nsp_describe_command_usage, nsp_describe_command},
};

int main(int argc, char **argv)
{
	static const nsp_cli_program program = {
		"neosync-plugin-host", "Serves a Neosync schema plugin over gRPC to sync workers",
		commands, sizeof(commands) / sizeof(commands[0])};
	return nsp_cli_main(&program, argc, argv);
}
