/* commands.h - the subcommands of bin/leakfleet, each a thin client of the library.
 * Every command parses its own options (and answers --help on stdout with 0), prints
 * its own one-line errors on stderr as "leakfleet: ...", and returns LF_OK or a
 * negative enum lf_code (LF_EUSAGE for bad usage); main.c turns that into the exit
 * status (0, 2 for LF_EUSAGE, 1 for every other error). */
#ifndef LF_COMMANDS_H
#define LF_COMMANDS_H

/* leakfleet analyze [--format F] [--config FILE] [--repo PREFIX]... [--owners FILE]
 *                   [--min N] [--json] FILE|- */
int cmd_analyze(int argc, char **argv);

/* leakfleet classify --rules RULES [--out DIR] FILE|- */
int cmd_classify(int argc, char **argv);

/* leakfleet serve [--config FILE] [--listen ADDR:PORT] [--db PATH] */
int cmd_serve(int argc, char **argv);

#endif
