/* parse_debug1.h - push parser for the ?debug=1 text (counts per unique stack); grammar in
 * docs/formats.md. Fed in arbitrary chunks; emits each record to the sink as soon as it is
 * complete, holding only that one record in memory.
 *
 * The first non-blank line must be "goroutine profile: total N" or, for Go 1.26+'s leak
 * profile, "goroutineleak profile: total N" (then every stack is leaked). Each record is
 * "COUNT @ PC..." (count), an optional "# labels: {"k":"v", ...}" line (Go-quoted keys
 * and values, decoded), and "#\tPC\tFUNC+0xOFF\tFILE:LINE" frame lines (innermost first,
 * runtime frames as the runtime chose to print them); a blank line or the next record
 * ends it. A frame printed as "#\tPC" alone (not symbolized) becomes a frame whose
 * function is the PC text ("0x4b70a4"), with an empty file and line 0. truncated is set
 * when the record lists exactly 32 PCs (the runtime's depth limit to Go 1.22) or 128
 * (Go 1.23+), or has more frames than limits->max_frames. goroutine_id is -1,
 * wait_reason empty, wait_minutes -1. Other "# ..." lines are skipped; any other
 * unexpected line fails with LF_EINVAL naming its 1-based line. */
#ifndef LF_PARSE_DEBUG1_H
#define LF_PARSE_DEBUG1_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "parse.h"
#include "stack.h"

struct parse_debug1;

/* Returns a new parser (caller frees with parse_debug1_free), or NULL when allocation
 * fails. Uses limits->max_line_bytes, max_frames and max_labels; limits may be NULL and
 * zero fields take 1 MiB, 1024 and 64. sink(ctx, ...) receives views valid only during
 * the call. */
struct parse_debug1 *parse_debug1_create(const struct parse_limits *limits, stack_sink_fn sink,
                                         void *ctx);

/* Feeds the next chunk; chunks may split lines anywhere. Returns LF_OK or the first
 * error: LF_EINVAL ("line 3: malformed frame line, ...", and a line over
 * max_line_bytes, a record's text over its cap or more labels than max_labels),
 * LF_ENOMEM, or the sink's own code and message. After an error every later call fails
 * with the same code. */
int parse_debug1_feed(struct parse_debug1 *parser, const char *buf, size_t len,
                      struct lf_error *err);

/* Ends the input, emits the last stack, and fills info's format (PARSE_FORMAT_DEBUG1),
 * leak_profile, declared_total (the header's N), goroutines (the sum of the counts) and
 * stacks (info may be NULL); other fields are left alone. An input without the header
 * fails with LF_EINVAL. After it, feed and finish fail with LF_EINVAL. */
int parse_debug1_finish(struct parse_debug1 *parser, struct parse_info *info, struct lf_error *err);

/* The profile is embedded in other output: see linereader_embed (lines_before lines came
 * before the first byte fed, every line of the profile carries indent). Call before the
 * first feed; false when indent is longer than LINEREADER_MAX_INDENT. */
bool parse_debug1_embed(struct parse_debug1 *parser, int64_t lines_before, struct str indent);

/* Frees the parser; NULL is allowed. */
void parse_debug1_free(struct parse_debug1 *parser);

#endif
