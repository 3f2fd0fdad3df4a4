/* parse_debug2.h - push parser for the ?debug=2 text and panic / SIGQUIT tracebacks (one block per goroutine); grammar in FORMATS.md.
 * Fed in arbitrary chunks; emits each stack to the sink as soon as it is complete. */
#ifndef LF_PARSE_DEBUG2_H
#define LF_PARSE_DEBUG2_H

#include <stddef.h>

#include "error.h"
#include "parse.h"
#include "stack.h"

struct parse_debug2;

/* Returns a new parser (caller frees with parse_debug2_free), or NULL when allocation
 * fails. limits must not be NULL (take parse_limits_default()). */
struct parse_debug2 *parse_debug2_create(const struct parse_limits *limits, stack_sink_fn sink,
        void *ctx);

/* Feeds the next chunk; chunks may split lines anywhere. Returns LF_OK or the first
 * error; messages name the 1-based line: "line 812: missing goroutine header". */
int parse_debug2_feed(struct parse_debug2 *parser, const char *buf, size_t len,
        struct lf_error *err);

/* Ends the input, emits the last stack, and fills info's format, leak_profile,
 * declared_total, goroutines and stacks (info may be NULL). */
int parse_debug2_finish(struct parse_debug2 *parser, struct parse_info *info,
        struct lf_error *err);

/* Frees the parser; NULL is allowed. */
void parse_debug2_free(struct parse_debug2 *parser);

#endif
