/* plugin_commands - the commands both host programs have: `describe` (load a plugin and say what
 * it is) and `serve` (the production gRPC daemon). neosync-plugin-host is these two commands;
 * neosync-host-sim has them too (`serve` there for compatibility), next to its job commands. */
#ifndef NSP_HOST_PLUGIN_COMMANDS_H
#define NSP_HOST_PLUGIN_COMMANDS_H

/* The commands' help, after "Usage: PROG " (see cli.h). */
extern const char nsp_describe_command_usage[];
extern const char nsp_serve_command_usage[];

/* prog: the program's name for messages; argv[0] is the command's name. Return the exit status. */
int nsp_describe_command(const char *prog, int argc, char **argv);
int nsp_serve_command(const char *prog, int argc, char **argv);

#endif
