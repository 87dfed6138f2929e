#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "neosync/plugin.h"

void nsp_cli_print_usage(const nsp_cli *c, FILE *out)
{
	fprintf(out, "Usage: %s %s", c->prog, c->usage);
}

int nsp_cli_usage_error(const nsp_cli *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s%s%s: ", c->prog, c->cmd != NULL ? " " : "", c->cmd != NULL ? c->cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	nsp_cli_print_usage(c, stderr);
	return 1;
}

int nsp_cli_next(nsp_cli *c, int argc, char **argv, const char *shortopts,
		 const struct option *longopts)
{
	/* ':' first: a missing value is reported as ':' (not '?'), and getopt prints nothing. The
	 * commands have a few short options each (-h, -v): the buffer holds them. */
	char spec[16];
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	if (!c->started) {
		optind = 0; /* GNU: start over (another command line may have been parsed before) */
		c->started = true;
	}
	opterr = 0;
	int o = getopt_long(argc, argv, spec, longopts, NULL);
	if (o == -1) {
		if (optind < argc) {
			nsp_cli_usage_error(c, "unknown argument: %s", argv[optind]);
			return NSP_CLI_ERROR;
		}
		return NSP_CLI_DONE;
	}
	const char *arg = argv[optind - 1];
	if (o == ':') {
		nsp_cli_usage_error(c, "option %s needs a value", arg);
		return NSP_CLI_ERROR;
	}
	if (o == '?') {
		if (strncmp(arg, "--", 2) == 0 && optopt != 0) /* a known long option given a value */
			nsp_cli_usage_error(c, "option %.*s takes no value", (int)strcspn(arg, "="), arg);
		else if (optopt != 0)
			nsp_cli_usage_error(c, "unknown argument: -%c", optopt);
		else
			nsp_cli_usage_error(c, "unknown argument: %s", arg);
		return NSP_CLI_ERROR;
	}
	if (o == 'h') {
		nsp_cli_print_usage(c, stdout);
		return NSP_CLI_HELP;
	}
	return o;
}

int nsp_cli_parse_long(const nsp_cli *c, const char *opt, const char *value, long min, long max,
		       long *out)
{
	char *end;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || n < min || n > max) {
		nsp_cli_usage_error(c, "%s: expected a whole number from %ld to %ld, got \"%s\"", opt,
				    min, max, value);
		return -1;
	}
	*out = n;
	return 0;
}

/* --- a program of commands ----------------------------------------------------------------- */

static const char help_usage[] = "help [COMMAND]\n";

static void print_program_usage(const nsp_cli_program *p, FILE *out)
{
	fprintf(out,
		"Usage: %s COMMAND [OPTIONS]\n"
		"\n"
		"%s (host ABI %d.%d).\n"
		"\n"
		"Commands:\n",
		p->prog, p->about, NSP_ABI_MAJOR, NSP_ABI_MINOR);
	for (size_t i = 0; i < p->ncommands; i++)
		fprintf(out, "  %-9s %s\n", p->commands[i].name, p->commands[i].summary);
	fprintf(out, "  %-9s %s\n", "help", "show help for a command");
	fprintf(out, "\n"
		     "Options:\n"
		     "  -h, --help     show this help (COMMAND --help: the command's help)\n"
		     "  --version      show the version\n");
}

static int program_usage_error(const nsp_cli_program *p, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s\n\n", p->prog, what, arg);
	print_program_usage(p, stderr);
	return 1;
}

static const nsp_cli_command *find_command(const nsp_cli_program *p, const char *name)
{
	for (size_t i = 0; i < p->ncommands; i++)
		if (strcmp(p->commands[i].name, name) == 0)
			return &p->commands[i];
	return NULL;
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* `help [COMMAND]`: the program's help, or the command's. */
static int help_command(const nsp_cli_program *p, int argc, char **argv)
{
	if (argc < 2 || is_help(argv[1])) {
		print_program_usage(p, stdout);
		return 0;
	}
	nsp_cli cli = {p->prog, "help", help_usage, false};
	if (argc > 2)
		return nsp_cli_usage_error(&cli, "unexpected argument: %s", argv[2]);
	if (strcmp(argv[1], "help") == 0) {
		nsp_cli_print_usage(&cli, stdout);
		return 0;
	}
	const nsp_cli_command *cmd = find_command(p, argv[1]);
	if (cmd == NULL)
		return program_usage_error(p, "unknown command: ", argv[1]);
	nsp_cli shown = {p->prog, cmd->name, cmd->usage, false};
	nsp_cli_print_usage(&shown, stdout);
	return 0;
}

int nsp_cli_main(const nsp_cli_program *p, int argc, char **argv)
{
	if (argc < 2)
		return program_usage_error(p, "a command is required", "");
	if (is_help(argv[1])) {
		print_program_usage(p, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s (host ABI %d.%d)\n", p->prog, NSP_HOST_VERSION, NSP_ABI_MAJOR,
		       NSP_ABI_MINOR);
		return 0;
	}
	if (argv[1][0] == '-')
		return program_usage_error(p, "unknown option: ", argv[1]);
	if (strcmp(argv[1], "help") == 0)
		return help_command(p, argc - 1, argv + 1);
	const nsp_cli_command *cmd = find_command(p, argv[1]);
	if (cmd == NULL)
		return program_usage_error(p, "unknown command: ", argv[1]);
	return cmd->run(p->prog, argc - 1, argv + 1);
}
