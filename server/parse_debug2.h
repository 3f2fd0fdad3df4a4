/* parse_debug2.h - push parser for the ?debug=2 text and panic / SIGQUIT tracebacks (one
 * block per goroutine); grammar in docs/formats.md. Fed in arbitrary chunks; emits each goroutine
 * to the sink as soon as its block ends, holding only that one goroutine in memory.
 *
 * What each stack carries: count 1; goroutine_id from "goroutine N"; wait_reason is the
 * status verbatim ("chan send", "running", "idle", unknown reasons kept as printed) without
 * ", N minutes", ", locked to thread", other ", ..." attributes (", synctest group N") or the
 * " (leaked)" / " (scan)" marks; wait_minutes is N or 0 when not shown; leaked is set by
 * " (leaked)" (Go 1.26+ goroutine-leak detection); truncated by "...additional frames
 * elided..." / "...N frames elided..." or by frames past limits->max_frames; no labels.
 * Frames are the goroutine's own stack, innermost first, with the "(ARGS)" and the
 * " +0x.. fp=.. sp=.. pc=.." suffixes removed; file lines may be indented by spaces
 * instead of the tab (dumps pasted through an editor). The "created by F (in goroutine N)" frame is
 * NOT a frame of the stack: it names where the goroutine was started, not where it blocks,
 * and pprof and debug=1 have no such frame, so it is parsed and dropped; so are
 * "[originating from goroutine N]:" ancestor stacks (GODEBUG=tracebackancestors).
 * Header forms: "goroutine N [STATUS...]:" and Go 1.23+'s "goroutine N gp=0x.. m=N
 * mp=0x.. [STATUS...]:" (or "m=nil"). Lines outside goroutine blocks ("panic: ...",
 * "[signal ...]", "fatal error: ...", "runtime stack:" and its frames, "SIGQUIT: quit",
 * "PC=...", register dumps, "exit status 2") are skipped, and so are function lines
 * without parentheses that no file line follows (cgo "non-Go function at pc=..."). A
 * goroutine block ends at a blank line, at the next header or at the end of the input.
 * Malformed input fails with LF_EINVAL naming the 1-based line: a broken header, a Go
 * function line "F(...)" without its "\tFILE:LINE", a file line with no function, a
 * missing file line after "created by", an input with no goroutine at all.
 * A dump cut off inside a goroutine is not an error: the input ends after a function line
 * without its file line, after "created by" without its file line, in the middle of a
 * line that then fails to parse, or after a frame of a goroutine that has had no
 * "created by" line and whose bottom frame is not main.main, runtime.main or
 * runtime.goexit (goroutine 0, a thread's system stack, excepted). That goroutine is
 * emitted as far as it goes (truncated where frames are missing) and finish reports the
 * cut in info->truncated and truncated_line. A dump cut exactly between two goroutines
 * cannot be told from a whole one. */
#ifndef LF_PARSE_DEBUG2_H
#define LF_PARSE_DEBUG2_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "parse.h"
#include "stack.h"

struct parse_debug2;

/* Returns a new parser (caller frees with parse_debug2_free), or NULL when allocation
 * fails. Uses limits->max_line_bytes and max_frames; limits may be NULL and zero fields
 * take 1 MiB and 1024. sink(ctx, ...) receives views valid only during the call. */
struct parse_debug2 *parse_debug2_create(const struct parse_limits *limits, stack_sink_fn sink,
                                         void *ctx);

/* Feeds the next chunk; chunks may split lines anywhere. Returns LF_OK or the first
 * error: LF_EINVAL ("line 812: malformed goroutine header", "line 9: longer than 1048576
 * bytes", a goroutine's text over its cap), LF_ENOMEM, or the sink's own code and
 * message. After an error every later call fails with the same code. */
int parse_debug2_feed(struct parse_debug2 *parser, const char *buf, size_t len,
                      struct lf_error *err);

/* Ends the input, emits the last stack, and fills info's format (PARSE_FORMAT_DEBUG2),
 * leak_profile (false: a debug=2 dump marks leaked goroutines one by one),
 * declared_total (-1), goroutines, stacks, truncated, truncated_line and crash (the
 * preamble of a panic or signal dump before the first goroutine; info may be NULL);
 * other fields are left alone. After it, feed and finish fail with LF_EINVAL. */
int parse_debug2_finish(struct parse_debug2 *parser, struct parse_info *info, struct lf_error *err);

/* The dump is embedded in other output: see linereader_embed (lines_before lines came
 * before the first byte fed, every line of the dump carries indent). Call before the
 * first feed; false when indent is longer than LINEREADER_MAX_INDENT. */
bool parse_debug2_embed(struct parse_debug2 *parser, int64_t lines_before, struct str indent);

/* Frees the parser; NULL is allowed. */
void parse_debug2_free(struct parse_debug2 *parser);

#endif
