/* main.c - the leakfleet command: dispatches to serve, analyze and classify, and turns
 * error codes into exit statuses (the one table of them). Nothing below main.c exits. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "version.h"

typedef int (*command_fn)(int argc, char **argv);

/* The subcommands; each gets argv from its own name on. */
static const struct command {
    const char *name;
    command_fn run;
    const char *summary;
} commands[] = {
    { "serve", cmd_serve, "run the collection server and dashboard" },
    { "analyze", cmd_analyze, "list the blocked locations of one goroutine profile" },
    { "classify", cmd_classify, "sort the stacks of one profile into classes by rules" },
};

static void print_usage(FILE *out)
{
    fputs("usage: leakfleet COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n`leakfleet COMMAND --help` describes each command; `leakfleet --version` prints "
          "the version.\n",
          out);
}

/* The exit status of a command's result: LF_OK 0, bad usage 2, any other error 1. A
 * positive result is already an exit status. */
static int exit_status(int rc)
{
    if (rc >= 0)
        return rc;
    switch ((enum lf_code)rc) {
    case LF_EUSAGE:
        return 2;
    default:
        return 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        puts("leakfleet " LEAKFLEET_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(name, commands[i].name) == 0)
            return exit_status(commands[i].run(argc - 1, argv + 1));
    }
    fprintf(stderr, "leakfleet: unknown command '%s'\n", name);
    print_usage(stderr);
    return 2;
}
