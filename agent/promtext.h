/* promtext.h - a parser of the Prometheus text exposition format (version 0.0.4, what
 * a Go service's /metrics serves): `# HELP` / `# TYPE` lines, comments, samples with
 * labels (escaped quotes, backslashes and newlines in values), values in Go's float
 * syntax (exponents, NaN, +Inf, -Inf) and optional millisecond timestamps. The agent
 * reads a target's start time and version from it. */
#ifndef LF_PROMTEXT_H
#define LF_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "str.h"

struct promtext_label {
    struct str name;
    struct str raw_value; /* between the quotes, escapes kept: see promtext_unescape */
};

/* One sample line. Every view points into the parsed text. */
struct promtext_sample {
    struct str name;
    const struct promtext_label *labels; /* n_labels, in the order written */
    size_t n_labels;
    double value;
    bool has_timestamp;
    int64_t timestamp_ms;
    size_t line; /* 1-based */
};

/* Called for each sample; anything but LF_OK stops the parse and is returned. The
 * sample and its labels are borrowed for the call only. */
typedef int (*promtext_sample_fn)(void *ctx, const struct promtext_sample *sample,
                                  struct lf_error *err);

/* Parses (text, len) line by line (a last line without '\n' and a "\r\n" ending are
 * fine) and calls fn for every sample. Checks the syntax of every line: metric and
 * label names, quoting and escapes, duplicate label names, the value, the timestamp,
 * nothing after it, the type of a TYPE line and the escapes of a HELP line. It does
 * not check rules across lines (one TYPE per metric, before its samples; histogram
 * suffixes). Returns LF_OK; LF_EINVAL at the first bad line ("line N: why"); LF_ENOMEM;
 * or what fn returned. No memory is kept after it returns. */
int promtext_parse(const char *text, size_t len, promtext_sample_fn fn, void *ctx,
                   struct lf_error *err);

/* The first label of sample named name, or NULL when it has none of that name. */
const struct promtext_label *promtext_label(const struct promtext_sample *sample, const char *name);

/* Writes the value of a raw label value (as promtext_parse checked it) without its
 * escapes into out[size], NUL-terminated, and its length into *out_len (which may be
 * NULL). false when it does not fit (out then holds a truncated prefix). */
bool promtext_unescape(struct str raw, char *out, size_t size, size_t *out_len);

#endif
