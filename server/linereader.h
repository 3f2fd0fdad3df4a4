/* linereader.h - splits a byte stream fed in arbitrary chunks into lines, for the text
 * profile parsers. Lines that lie whole inside a chunk are handed out as views into the
 * chunk (no copy); only a line split across chunks is carried, in a buffer capped at
 * max_line_bytes, so memory is bounded by one line whatever the input size. */
#ifndef LF_LINEREADER_H
#define LF_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "str.h"

/* Receives one line without its "\n" (and without a "\r" before it); line_no is
 * 1-based. The view is borrowed: valid only during the call. Returns LF_OK to go on, or
 * a negative code (with err set) to stop; linereader_feed then returns that code. */
typedef int (*linereader_fn)(void *ctx, struct str line, int64_t line_no, struct lf_error *err);

/* The longest indentation linereader_embed keeps. */
#define LINEREADER_MAX_INDENT 64

/* Embedded by its user; the fields are private to linereader.c. */
struct linereader {
    size_t max_line_bytes;              /* longest line accepted, without its "\n" */
    int64_t line_no;                    /* lines delivered (or skipped before the text) so far */
    char indent[LINEREADER_MAX_INDENT]; /* removed from the front of every line */
    size_t indent_len;
    char *carry; /* start of a line split across chunks (lf_malloc'd) */
    size_t carry_len;
    size_t carry_cap;
    int failed;    /* the first error, LF_OK while healthy */
    bool finished; /* linereader_finish succeeded: nothing more may come */
};

/* Initializes an empty reader accepting lines of up to max_line_bytes bytes (0 is
 * taken as 1 MiB). Allocates nothing until a line is split across chunks. */
void linereader_init(struct linereader *reader, size_t max_line_bytes);

/* For a text embedded in other output (a dump inside a test runner's log): line numbers
 * continue after lines_before lines that came before the first byte fed, and indent
 * (indent_len bytes, at most LINEREADER_MAX_INDENT, copied), the indentation of every line
 * of the text, is removed from the front of each line; a line that does not start with it
 * is not part of the text and is delivered as an empty line. Call before the first feed.
 * Returns false (and changes nothing) when indent is too long. */
bool linereader_embed(struct linereader *reader, int64_t lines_before, const char *indent,
                      size_t indent_len);

/* Frees the carry buffer; the reader may be initialized again afterwards. */
void linereader_release(struct linereader *reader);

/* Splits (buf, len) and calls fn for every line it completes, in order. Returns LF_OK,
 * the first code fn returned, LF_EINVAL ("line N: longer than M bytes", raised as soon
 * as the line passes the cap, not at its end: no profile format has such lines, so it
 * is malformed input, not a body too large) or LF_ENOMEM. An error stops the reader:
 * every later feed or finish fails with its code ("parser stopped by an earlier error");
 * after a successful linereader_finish they fail with LF_EINVAL ("input already
 * finished"), so the parsers above need no guards of their own. */
int linereader_feed(struct linereader *reader, const char *buf, size_t len, linereader_fn fn,
                    void *ctx, struct lf_error *err);

/* Ends the input: delivers a last line that has no "\n". Returns as linereader_feed. */
int linereader_finish(struct linereader *reader, linereader_fn fn, void *ctx, struct lf_error *err);

/* Stops the reader with code, an error its user found after the lines (at the end of
 * the input, say), as if fn had returned it: later feeds and finishes fail with it.
 * Returns code. */
int linereader_fail(struct linereader *reader, int code);

/* The number of lines delivered so far (the 1-based number of the last one). */
int64_t linereader_line_no(const struct linereader *reader);

#endif
