/* cli.h - what the commands (cmd_*.c) share to read their arguments: "--name VALUE" and
 * "--name=VALUE" options, and the one-line usage error with a pointer to --help. */
#ifndef LF_CLI_H
#define LF_CLI_H

#include <stdbool.h>

/* The value of option name at argv[*i] ("--name VALUE" advances *i past the value, or
 * "--name=VALUE"); NULL when argv[*i] is not this option, or when its value is missing
 * (then *missing is set). Borrowed from argv. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name, bool *missing);

/* Prints "leakfleet COMMAND: MESSAGE" and "(see leakfleet COMMAND --help)" to stderr;
 * returns LF_EUSAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif
