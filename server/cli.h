/* cli.h - what the commands (cmd_*.c) share: the one-line usage error with a pointer to
 * --help, and streaming one input file (or stdin) through the parser. Options are read
 * by opt.h, as the agent's are. */
#ifndef LF_CLI_H
#define LF_CLI_H

#include <stdbool.h>

#include "error.h"
#include "parse.h"
#include "stack.h"

/* Prints "leakfleet COMMAND: MESSAGE" and "(see leakfleet COMMAND --help)" to stderr;
 * returns LF_EUSAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Streams the file at path ("-" = stdin) through a parser of format into sink(ctx, …), in
 * 64 KiB reads; fills *info (may be NULL). LF_EIO when it cannot be opened or read,
 * otherwise the parser's result. A dump cut off inside a goroutine parses (LF_OK) with
 * one warning line on stderr naming the file and the line where it stops. */
int cli_parse_input(const char *path, enum parse_format format, stack_sink_fn sink, void *ctx,
                    struct parse_info *info, struct lf_error *err);

#endif
