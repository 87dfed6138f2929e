/* cli - the command lines of the host programs (neosync-host-sim, neosync-plugin-host): each
 * command's options parsed by getopt_long(3), with the programs' own messages on stderr:
 *
 *   PROG CMD: option --plugin needs a value        (then the command's help)
 *   PROG CMD: option --json takes no value
 *   PROG CMD: unknown argument: --bogus
 *
 * Both "--name VALUE" and "--name=VALUE" are accepted (and unambiguous abbreviations, as GNU
 * programs do). Every command takes options only: a stray word is an unknown argument. */
#ifndef NSP_HOST_CLI_H
#define NSP_HOST_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct nsp_cli {
	const char *prog;  /* the program's name, as every message starts */
	const char *cmd;   /* the command's name (NULL: the program itself) */
	const char *usage; /* the command's help, after "Usage: PROG " */
	bool started;      /* nsp_cli_next has reset getopt for this command line */
} nsp_cli;

enum {
	NSP_CLI_DONE = -1,  /* no more options: go on */
	NSP_CLI_HELP = -2,  /* -h/--help: the help was printed on stdout, exit 0 */
	NSP_CLI_ERROR = -3, /* a usage error was printed on stderr, exit 1 */
};

/* The next option of argv[0..argc) (argv[0] is the command's name): its `val` (its value in
 * optarg), or one of NSP_CLI_*. shortopts lists the short options without a leading ':' (it is
 * added); longopts ends with a zero entry and should have {"help", no_argument, NULL, 'h'}. */
int nsp_cli_next(nsp_cli *c, int argc, char **argv, const char *shortopts,
		 const struct option *longopts);

/* "Usage: PROG " and the command's help. */
void nsp_cli_print_usage(const nsp_cli *c, FILE *out);

/* "PROG CMD: message", a blank line and the command's help on stderr. Returns 1 (exit status). */
int nsp_cli_usage_error(const nsp_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* value as a whole number in [min, max] into *out; else a usage error naming opt (returns -1). */
int nsp_cli_parse_long(const nsp_cli *c, const char *opt, const char *value, long min, long max,
		       long *out);

/* A program of commands: `PROG COMMAND [OPTIONS]`, `PROG help [COMMAND]`, `PROG --help`,
 * `PROG --version`. */
typedef struct nsp_cli_command {
	const char *name;
	const char *summary; /* one line for the program's help */
	const char *usage;   /* the command's help, after "Usage: PROG " */
	int (*run)(const char *prog, int argc, char **argv); /* argv[0] is the command's name */
} nsp_cli_command;

typedef struct nsp_cli_program {
	const char *prog;  /* its name */
	const char *about; /* what it does, one sentence without the final period */
	const nsp_cli_command *commands;
	size_t ncommands;
} nsp_cli_program;

/* Run the command argv[1] names (or help, --help, --version). Returns the exit status. */
int nsp_cli_main(const nsp_cli_program *p, int argc, char **argv);

#endif
