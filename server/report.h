/* report.h - the output of `leakfleet analyze`: a readable table or the JSON object of
 * docs/api.md, built from a sorted aggregate and attributed per location. */
#ifndef LF_REPORT_H
#define LF_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "aggregate.h"
#include "attribute.h"
#include "error.h"

struct report_options {
    const char *format;                  /* "pprof", "debug1", "debug2" */
    int64_t goroutines;                  /* the profile's goroutines */
    int64_t min_count;                   /* locations with fewer goroutines are left out */
    const struct attributor *attributor; /* NULL: nothing is in-repo or owned */
    bool truncated;                      /* the input was cut off (parse_info.truncated) */
    bool stacks;       /* --stacks: each location's representative stack, and the crash */
    const char *crash; /* parse_info.crash: a panic's or signal's message; NULL or "" none */
};

/* Returns a new JSON object {"format", "goroutines", "truncated"?, "locations": [{"op",
 * "function", "file", "line", "count", "in_repo", "owner", "max_wait_minutes"?,
 * "confirmed"?}]} in the order of agg (sort it first); truncated (true) is present only
 * for a cut-off input, max_wait_minutes only where the format carries wait times,
 * confirmed only where the runtime's leak verdict says so. With options->stacks, also
 * "crash" (the dump's panic or signal message, when it has one) and per location "stack"
 * ([{"function", "file", "line"}], innermost first, with "stack_truncated": true when
 * frames were elided) and "created_by" ({"function", "file", "line"} of the debug=2
 * "created by" line, or null). Caller owns the reference (json_decref). NULL with err
 * set (LF_ENOMEM) on failure. */
json_t *report_json(const struct aggregate *agg, const struct report_options *options,
                    struct lf_error *err);

/* Writes report_json's object to out, indented, with a final newline. Returns LF_OK,
 * LF_ENOMEM or LF_EIO. */
int report_write_json(FILE *out, const struct aggregate *agg, const struct report_options *options,
                      struct lf_error *err);

/* Writes the table: a header line ("pprof: 279 goroutines, 15 locations"), a column
 * line, then one line per location, largest first:
 *     COUNT  OP  FUNCTION  FILE:LINE  OWNER  REPO  [WAIT]  [LEAKED]
 * OWNER is "-" when none, REPO is "yes" for in-repo sites, WAIT ("12m") appears when
 * some goroutine has waited a minute or more, LEAKED when the runtime confirmed a leak.
 * With options->stacks, the crash message follows the header line, and after the table
 * each location's representative stack, innermost first, the site marked with '>':
 *     #1  25 goroutines  chan send  main.leak  /build/shop/main.go:23
 *         runtime.gopark
 *             /usr/lib/go/src/runtime/proc.go:363
 *       > main.leak
 *             /build/shop/main.go:23
 *         created by main.main
 *             /build/shop/main.go:70
 * Returns LF_OK or LF_EIO. */
int report_write_text(FILE *out, const struct aggregate *agg, const struct report_options *options,
                      struct lf_error *err);

#endif
