/* parse.h - the front door to every goroutine-profile parser: sniffs the format,
 * undoes one layer of gzip, and streams stacks to a sink. Used alike by the offline
 * analyzer (fed from a file in chunks) and by ingest (fed one request body). */
#ifndef LF_PARSE_H
#define LF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "stack.h"

enum parse_format {
    PARSE_FORMAT_AUTO,
    PARSE_FORMAT_PPROF,  /* ?debug=0: pprof protobuf, gzipped or not */
    PARSE_FORMAT_DEBUG1, /* ?debug=1: counts per unique stack, text */
    PARSE_FORMAT_DEBUG2, /* ?debug=2, panic and SIGQUIT tracebacks */
};

/* Caps fixed before parsing. Past max_decoded_bytes a parse fails with LF_ETOOBIG (the
 * input is too large); a line or a record past its cap, and a debug=1 record with more
 * than max_labels labels, is malformed input: LF_EINVAL. pprof drops labels past
 * max_labels; every format drops frames past max_frames. Zero fields take the defaults
 * of parse_limits_default(). */
struct parse_limits {
    size_t max_decoded_bytes; /* after gunzip (pprof is held whole) */
    size_t max_line_bytes;    /* one text line */
    size_t max_frames;        /* frames kept per stack; deeper stacks are truncated */
    size_t max_labels;        /* labels kept per stack */
};

/* Size of parse_info.crash, NUL included. */
#define PARSE_CRASH_MAX 1024

/* What the parse learned about the profile as a whole. */
struct parse_info {
    enum parse_format format;    /* the format actually parsed */
    bool gzipped;                /* the input was gzip-compressed */
    bool leak_profile;           /* a goroutineleak profile: every stack is leaked */
    int64_t declared_total;      /* "total N" of debug=1 headers; -1 where absent */
    int64_t goroutines;          /* sum of the counts of the stacks emitted */
    int64_t stacks;              /* number of stacks emitted */
    int64_t time_nanos;          /* pprof time_nanos; 0 where absent */
    bool truncated;              /* debug=2: the input stops inside a goroutine (a cut dump) */
    int64_t truncated_line;      /* the 1-based line where it stops; 0 when not truncated */
    char crash[PARSE_CRASH_MAX]; /* debug=2: what a panic, fatal error or signal dump says
                                    before its first goroutine ("panic: boom" and the
                                    lines under it up to a blank line, at most 8), lines
                                    joined by '\n', UTF-8 repaired, cut on a character
                                    boundary; "" when the dump has none */
};

/* The crash preamble of a dump, gathered line by line before its first goroutine. */
struct parse_crash {
    char text[PARSE_CRASH_MAX];
    size_t len;
    int lines;
    bool open; /* a crash line was seen: the lines under it belong to it */
    bool done; /* a blank line or a goroutine header ended it */
};

/* Looks at the next line (without its newline) of the input before its first goroutine:
 * an unindented "panic: ", "fatal error: " or signal line ("SIGQUIT: ", "SIGSEGV: ", ...) opens the
 * preamble and the lines after it join it until a blank line or a goroutine header; a goroutine
 * header ends the search. */
void parse_crash_scan(struct parse_crash *crash, struct str line);

struct parser;

/* The default caps: 64 MiB decoded, 1 MiB per line, 1024 frames, 64 labels. */
struct parse_limits parse_limits_default(void);

/* Returns a new parser for format (PARSE_FORMAT_AUTO sniffs the first bytes), sending
 * stacks to sink(ctx, ...); limits may be NULL for the defaults. Caller frees with
 * parser_free. NULL when allocation fails. */
struct parser *parser_create(enum parse_format format, const struct parse_limits *limits,
                             stack_sink_fn sink, void *ctx);

/* Feeds the next (buf, len) bytes of the input, in order; chunks may split lines and
 * gzip members anywhere. Stacks are emitted as soon as they are complete. Returns LF_OK
 * or the first error (malformed input: LF_EINVAL, with the 1-based line number for
 * text formats, a line or a record over its cap too; max_decoded_bytes: LF_ETOOBIG; or
 * the sink's own error). After an error the
 * parser accepts nothing more. */
int parser_feed(struct parser *parser, const char *buf, size_t len, struct lf_error *err);

/* Ends the input: emits what is still pending, checks that the input was complete
 * (a truncated gzip stream or protobuf is LF_EINVAL), and fills *info (may be NULL). */
int parser_finish(struct parser *parser, struct parse_info *info, struct lf_error *err);

/* Frees the parser; NULL is allowed. */
void parser_free(struct parser *parser);

/* One-shot convenience: create, feed (buf, len), finish, free. */
int parse_buffer(enum parse_format format, const char *buf, size_t len,
                 const struct parse_limits *limits, stack_sink_fn sink, void *ctx,
                 struct parse_info *info, struct lf_error *err);

/* Sniffs the format of the first len bytes (after gunzip if they are gzip: the caller
 * passes decoded bytes); returns PARSE_FORMAT_AUTO when it cannot tell. */
enum parse_format parse_sniff(const char *buf, size_t len);

/* "pprof", "debug1", "debug2" or "auto". */
const char *parse_format_name(enum parse_format format);

/* Parses a --format / ?format= word ("auto", "pprof", "debug0", "debug1", "debug2");
 * false for anything else. */
bool parse_format_from_name(const char *name, enum parse_format *out);

#endif
