/* opt.h - the one reader of command-line options, for every command of leakfleet and for
 * leakfleet-agent: "--name VALUE" and "--name=VALUE", "-h" and "--help", "--" before
 * operands, "-" as an operand. No abbreviations, no permutation surprises: operands may
 * stand anywhere and come back in order. */
#ifndef LF_OPT_H
#define LF_OPT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* One option a command takes: its full spelling ("--rules"), whether it takes a value,
 * and the id opt_next returns for it (> 0). */
struct opt_spec {
    const char *name;
    bool has_value;
    int id;
};

/* What opt_next returns besides an option's id. */
enum {
    OPT_END = 0,      /* every argument is read */
    OPT_OPERAND = -1, /* *value is an operand */
    OPT_HELP = -2,    /* -h or --help */
    OPT_ERROR = -3,   /* err says what: an unknown option, a missing or unwanted value */
};

/* The state of one pass over argv; argv[0] is the program and is skipped. */
struct opt_reader {
    int argc;
    char **argv;
    int next;
    bool operands_only; /* after "--" */
};

void opt_init(struct opt_reader *reader, int argc, char **argv);

/* Reads the next argument: an option of specs (returns its id; *value is its value,
 * borrowed from argv, or NULL for one without), an operand (OPT_OPERAND: an argument not
 * starting with '-', "-" alone, or anything after "--"), -h or --help (OPT_HELP), or the
 * end (OPT_END). OPT_ERROR with LF_EUSAGE in err: "unknown option '--x'", "--x needs a
 * value", "--x takes no value, not '--x=y'". "--name VALUE" takes the next argument
 * whatever it starts with ("--min -1" is a bad count, not a missing value). */
int opt_next(struct opt_reader *reader, const struct opt_spec *specs, size_t n_specs,
             const char **value, struct lf_error *err);

#endif
