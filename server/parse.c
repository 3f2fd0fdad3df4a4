/* parse.c - the front door of the parsers: detects gzip from the first two bytes and
 * inflates as the input streams in, sniffs the format from the first decoded bytes, then
 * hands the rest to the debug=1 or debug=2 push parser, or buffers it for the pprof
 * parser, which needs the whole message. It owns no grammar of its own beyond the sniff.
 * A text dump may sit inside other output (a service's log, a test runner's report, every
 * line indented alike): the sniff scans the first 16 MiB line by line for where it starts
 * and the text parser begins there, told how many lines came before and what indentation
 * to remove. Memory: a 4 KiB head and the first 4 KiB of the line being scanned, plus, for
 * pprof only, the decoded message; text streams through, so nothing here grows with the
 * number of goroutines or the length of the lines before a dump. Hence max_decoded_bytes
 * bounds what gunzip may produce (a gzip bomb stops there) and the pprof message, not
 * plain text, which may be as long as it likes. */
#include "parse.h"

#include <string.h>

#include "alloc.h"
#include "decode.h"
#include "linereader.h"
#include "parse_debug1.h"
#include "parse_debug2.h"
#include "parse_pprof.h"
#include "str.h"
#include "utf8.h"

/* The pprof sniff looks at the first SNIFF_HEAD decoded bytes. Text is then scanned line by
 * line for the start of a dump within the first SCAN_MAX bytes; only the first SCAN_LINE
 * bytes of each line are kept (a header is far shorter), and an indentation of up to
 * LINEREADER_MAX_INDENT bytes is accepted. */
#define SNIFF_HEAD      4096
#define SCAN_LINE       4096
#define SCAN_MAX        ((size_t)16 << 20)
#define PPROF_FIRST_CAP ((size_t)64 << 10) /* the pprof buffer's first size, then doubled */

struct parser {
    enum parse_format requested;
    enum parse_format format; /* chosen once dispatched */
    struct parse_limits limits;
    stack_sink_fn sink;
    void *ctx;
    bool sink_failed; /* the error came from the sink: pass it on without a prefix */

    unsigned char magic[2]; /* the first raw bytes, until gzip is decided */
    size_t magic_len;
    bool gzip_known;
    bool gzipped;
    struct decode *decode;
    size_t decoded; /* bytes after gunzip */

    char *head; /* the first SNIFF_HEAD decoded bytes, held for the pprof sniff */
    size_t head_len;
    bool head_done;           /* the head was sniffed: the input is text, scanned by lines */
    char *line;               /* the first SCAN_LINE bytes of the line being scanned */
    size_t line_len;          /* bytes of that line so far (may exceed SCAN_LINE) */
    int64_t lines;            /* complete lines scanned */
    size_t scanned;           /* bytes scanned */
    bool seen_text;           /* a line that is not blank was scanned */
    int64_t crash_line;       /* an unindented panic, fatal error or signal line; 0 = none */
    struct parse_crash crash; /* what the crash says, from the lines before the dump */
    bool dispatched;

    struct parse_debug1 *debug1;
    struct parse_debug2 *debug2;
    char *pprof; /* the whole decoded message */
    size_t pprof_len;
    size_t pprof_cap;

    bool finished;
    struct lf_error failed; /* sticky first error; LF_OK while none */
};

struct parse_limits parse_limits_default(void)
{
    struct parse_limits limits = {
        .max_decoded_bytes = (size_t)64 << 20,
        .max_line_bytes = (size_t)1 << 20,
        .max_frames = 1024,
        .max_labels = 64,
    };
    return limits;
}

const char *parse_format_name(enum parse_format format)
{
    switch (format) {
    case PARSE_FORMAT_PPROF:
        return "pprof";
    case PARSE_FORMAT_DEBUG1:
        return "debug1";
    case PARSE_FORMAT_DEBUG2:
        return "debug2";
    case PARSE_FORMAT_AUTO:
        break;
    }
    return "auto";
}

bool parse_format_from_name(const char *name, enum parse_format *out)
{
    static const struct {
        const char *name;
        enum parse_format format;
    } names[] = {
        { "auto", PARSE_FORMAT_AUTO },     { "pprof", PARSE_FORMAT_PPROF },
        { "debug0", PARSE_FORMAT_PPROF },  { "debug1", PARSE_FORMAT_DEBUG1 },
        { "debug2", PARSE_FORMAT_DEBUG2 },
    };
    if (name == NULL)
        return false;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            if (out != NULL)
                *out = names[i].format;
            return true;
        }
    }
    return false;
}

/* ---- sniff ---------------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

/* "goroutine profile: total N", "goroutineleak profile: total N" (debug=1 headers). */
static bool is_debug1_header(struct str line)
{
    if (!str_has_prefix_cstr(line, "goroutine"))
        return false;
    size_t i = 9;
    while (i < line.len && line.p[i] != ' ')
        i++;
    return str_has_prefix_cstr(str_make(line.p + i, line.len - i), " profile: total ");
}

/* "goroutine 18 [" or, with GOTRACEBACK=system on newer runtimes, "goroutine 18 gp=". */
static bool is_goroutine_header(struct str line)
{
    if (!str_has_prefix_cstr(line, "goroutine "))
        return false;
    size_t i = 10;
    if (i >= line.len || !is_digit(line.p[i]))
        return false;
    while (i < line.len && is_digit(line.p[i]))
        i++;
    struct str rest = str_make(line.p + i, line.len - i);
    return str_has_prefix_cstr(rest, " [") || str_has_prefix_cstr(rest, " gp=");
}

/* "SIGQUIT: quit", "SIGSEGV: segmentation violation", ... */
static bool is_signal_line(struct str line)
{
    if (!str_has_prefix_cstr(line, "SIG"))
        return false;
    size_t i = 3;
    while (i < line.len && is_upper(line.p[i]))
        i++;
    return i > 3 && str_has_prefix_cstr(str_make(line.p + i, line.len - i), ": ");
}

/* Lines that open a panic or fatal-error dump anywhere in the input. */
static bool is_crash_line(struct str line)
{
    return str_has_prefix_cstr(line, "panic: ") || str_has_prefix_cstr(line, "fatal error: ") ||
           is_signal_line(line);
}

#define CRASH_MAX_LINES 8

void parse_crash_scan(struct parse_crash *crash, struct str line)
{
    if (crash->done)
        return;
    if (line.len > 0 && line.p[line.len - 1] == '\r')
        line.len--;
    if (is_goroutine_header(line) || (crash->open && line.len == 0)) {
        crash->done = true;
        return;
    }
    if (!crash->open && !is_crash_line(line))
        return;
    crash->open = true;
    if (crash->lines == CRASH_MAX_LINES)
        return;
    /* sanitized and cut to what is left, on a character boundary */
    char repaired[PARSE_CRASH_MAX * 3];
    size_t room = sizeof(crash->text) - 1 - crash->len;
    size_t in = line.len < PARSE_CRASH_MAX ? line.len : PARSE_CRASH_MAX;
    size_t n = utf8_sanitize(line.p, in, repaired);
    size_t sep = crash->lines > 0;
    if (room <= sep)
        return;
    n = utf8_cut(repaired, n, room - sep);
    if (sep)
        crash->text[crash->len++] = '\n';
    memcpy(crash->text + crash->len, repaired, n);
    crash->len += n;
    crash->text[crash->len] = '\0';
    crash->lines++;
}

/* Lines the runtime prints first in a crash, before any goroutine header. */
static bool is_crash_first_line(struct str line)
{
    return is_crash_line(line) || str_has_prefix_cstr(line, "fatal: ") ||
           str_has_prefix_cstr(line, "runtime: ") ||
           str_has_prefix_cstr(line, "unexpected fault address ") ||
           str_has_prefix_cstr(line, "[signal ");
}

/* What a line says about where a dump starts. */
enum line_kind {
    LINE_OTHER,
    LINE_BLANK,
    LINE_DEBUG1,    /* "goroutine profile: total N", indented or not */
    LINE_GOROUTINE, /* "goroutine N [", indented or not */
    LINE_CRASH,     /* an unindented panic / fatal error / signal line */
};

/* Classifies line (without its "\n"); first: the first line that is not blank, where the
 * runtime's other crash openers count too. *indent receives the length of the leading
 * run of spaces and tabs. */
static enum line_kind classify_line(struct str line, bool first, size_t *indent)
{
    size_t i = 0;
    while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    *indent = i;
    struct str rest = str_make(line.p + i, line.len - i);
    if (rest.len == 0 || (rest.len == 1 && rest.p[0] == '\r'))
        return LINE_BLANK;
    if (i <= LINEREADER_MAX_INDENT) {
        if (is_debug1_header(rest))
            return LINE_DEBUG1;
        if (is_goroutine_header(rest))
            return LINE_GOROUTINE;
    }
    if (i == 0 && (first ? is_crash_first_line(rest) : is_crash_line(rest)))
        return LINE_CRASH;
    return LINE_OTHER;
}

/* The line starting at buf[*pos] (without its '\n'); advances *pos past it. */
static struct str next_line(const char *buf, size_t len, size_t *pos)
{
    size_t start = *pos;
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl != NULL ? (size_t)(nl - buf) : len;
    *pos = nl != NULL ? end + 1 : len;
    return str_make(buf + start, end - start);
}

static enum parse_format text_format(enum line_kind kind)
{
    return kind == LINE_DEBUG1                            ? PARSE_FORMAT_DEBUG1
           : kind == LINE_GOROUTINE || kind == LINE_CRASH ? PARSE_FORMAT_DEBUG2
                                                          : PARSE_FORMAT_AUTO;
}

/* The format the first line that is not blank announces, or AUTO. */
static enum parse_format first_line_format(const char *buf, size_t len)
{
    size_t pos = 0, indent = 0;
    while (pos < len) {
        enum line_kind kind = classify_line(next_line(buf, len, &pos), true, &indent);
        if (kind != LINE_BLANK)
            return text_format(kind);
    }
    return PARSE_FORMAT_AUTO;
}

enum parse_format parse_sniff(const char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return PARSE_FORMAT_AUTO;
    enum parse_format first = first_line_format(buf, len);
    if (first != PARSE_FORMAT_AUTO)
        return first;
    if (parse_pprof_sniff(buf, len))
        return PARSE_FORMAT_PPROF;
    /* text after other output, such as the log lines a crashing service printed */
    size_t pos = 0, indent = 0;
    while (pos < len) {
        enum parse_format format =
                text_format(classify_line(next_line(buf, len, &pos), false, &indent));
        if (format != PARSE_FORMAT_AUTO)
            return format;
    }
    return PARSE_FORMAT_AUTO;
}

/* ---- the push parser ------------------------------------------------------------------ */

static int parser_fail(struct parser *parser, struct lf_error *err)
{
    parser->failed = *err;
    if (parser->failed.code == LF_OK)
        parser->failed.code = LF_EINTERNAL;
    return parser->failed.code;
}

/* Sits between the format parsers and the caller's sink to tell the sink's own errors
 * apart from parse errors. */
static int forward_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    struct parser *parser = ctx;
    if (parser->sink == NULL)
        return LF_OK;
    int rc = parser->sink(parser->ctx, stack, err);
    if (rc != LF_OK)
        parser->sink_failed = true;
    return rc;
}

/* Puts the format's name before a parse error, not before a sink error. */
static int format_error(struct parser *parser, int rc, struct lf_error *err)
{
    if (rc != LF_OK && !parser->sink_failed) {
        const char *prefix = parser->format == PARSE_FORMAT_PPROF    ? "pprof"
                             : parser->format == PARSE_FORMAT_DEBUG1 ? "debug=1"
                                                                     : "debug=2";
        lf_error_prefix(err, "%s", prefix);
    }
    return rc;
}

struct parser *parser_create(enum parse_format format, const struct parse_limits *limits,
                             stack_sink_fn sink, void *ctx)
{
    struct parser *parser = lf_calloc(1, sizeof(*parser));
    if (parser == NULL)
        return NULL;
    parser->limits = parse_limits_default();
    if (limits != NULL) {
        if (limits->max_decoded_bytes != 0)
            parser->limits.max_decoded_bytes = limits->max_decoded_bytes;
        if (limits->max_line_bytes != 0)
            parser->limits.max_line_bytes = limits->max_line_bytes;
        if (limits->max_frames != 0)
            parser->limits.max_frames = limits->max_frames;
        if (limits->max_labels != 0)
            parser->limits.max_labels = limits->max_labels;
    }
    parser->requested = format;
    parser->format = PARSE_FORMAT_AUTO;
    parser->sink = sink;
    parser->ctx = ctx;
    lf_error_clear(&parser->failed);
    return parser;
}

/* Hands decoded bytes to the chosen format's parser. */
static int forward(struct parser *parser, const char *buf, size_t len, struct lf_error *err)
{
    int rc = LF_OK;
    switch (parser->format) {
    case PARSE_FORMAT_DEBUG1:
        rc = parse_debug1_feed(parser->debug1, buf, len, err);
        break;
    case PARSE_FORMAT_DEBUG2:
        rc = parse_debug2_feed(parser->debug2, buf, len, err);
        break;
    case PARSE_FORMAT_PPROF:
        if (len > parser->limits.max_decoded_bytes - parser->pprof_len)
            return lf_fail(err, LF_ETOOBIG, "pprof message is over the %zu-byte limit",
                           parser->limits.max_decoded_bytes);
        /* doubling, but never past the cap, which pprof_len + len is within */
        if (!lf_alloc_grow(&parser->pprof, &parser->pprof_cap, parser->pprof_len + len,
                           PPROF_FIRST_CAP, parser->limits.max_decoded_bytes, 1))
            return lf_fail(err, LF_ENOMEM, "out of memory buffering the pprof message");
        memcpy(parser->pprof + parser->pprof_len, buf, len);
        parser->pprof_len += len;
        return LF_OK;
    case PARSE_FORMAT_AUTO:
        return lf_fail(err, LF_EINTERNAL, "parse: no format chosen");
    }
    return format_error(parser, rc, err);
}

/* Fixes the format and creates its parser; for text found after lines_before lines of
 * other output with every line indented by indent, tells the parser so. */
static int dispatch(struct parser *parser, enum parse_format format, int64_t lines_before,
                    struct str indent, struct lf_error *err)
{
    parser->format = format;
    parser->dispatched = true;
    if (format == PARSE_FORMAT_DEBUG1) {
        parser->debug1 = parse_debug1_create(&parser->limits, forward_sink, parser);
        if (parser->debug1 == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory for the debug=1 parser");
        if (!parse_debug1_embed(parser->debug1, lines_before, indent))
            return lf_fail(err, LF_EINTERNAL, "debug=1: indentation too long");
    } else if (format == PARSE_FORMAT_DEBUG2) {
        parser->debug2 = parse_debug2_create(&parser->limits, forward_sink, parser);
        if (parser->debug2 == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory for the debug=2 parser");
        if (!parse_debug2_embed(parser->debug2, lines_before, indent))
            return lf_fail(err, LF_EINTERNAL, "debug=2: indentation too long");
    }
    return LF_OK;
}

static int unrecognized(struct parser *parser, struct lf_error *err)
{
    size_t bytes = parser->scanned > parser->head_len ? parser->scanned : parser->head_len;
    return lf_fail(err, LF_EINVAL,
                   "unrecognized profile format: no pprof message, goroutine profile header or "
                   "goroutine dump in the first %zu bytes",
                   bytes < SCAN_MAX ? bytes : SCAN_MAX);
}

/* The scanned line is complete (terminated: it had its "\n"). A debug=1 or goroutine
 * header starts the text parser there, with that line; a crash line is remembered, the
 * dump proper (and its indentation) being the goroutine header after it. */
static int scan_line_done(struct parser *parser, bool terminated, struct lf_error *err)
{
    bool whole = parser->line_len <= SCAN_LINE;
    struct str line = str_make(parser->line, whole ? parser->line_len : SCAN_LINE);
    size_t indent = 0;
    enum line_kind kind = classify_line(line, !parser->seen_text, &indent);
    int64_t line_no = ++parser->lines;
    parser->line_len = 0;
    if (kind != LINE_BLANK)
        parser->seen_text = true;
    if (kind == LINE_CRASH && parser->crash_line == 0)
        parser->crash_line = line_no;
    if (whole)
        parse_crash_scan(&parser->crash, line);
    if ((kind != LINE_DEBUG1 && kind != LINE_GOROUTINE) || !whole)
        return LF_OK;
    int rc = dispatch(parser, text_format(kind), line_no - 1, str_make(line.p, indent), err);
    if (rc == LF_OK)
        rc = forward(parser, line.p, line.len, err);
    if (rc == LF_OK && terminated)
        rc = forward(parser, "\n", 1, err);
    return rc;
}

/* Scans (buf, len) for the start of a dump. When it finds one it dispatches and feeds
 * that line; *used is then the bytes of buf taken (the caller forwards the rest), else
 * len. */
static int scan(struct parser *parser, const char *buf, size_t len, size_t *used,
                struct lf_error *err)
{
    size_t pos = 0;
    *used = len;
    while (pos < len && !parser->dispatched) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        if (parser->line_len < SCAN_LINE) {
            size_t keep = SCAN_LINE - parser->line_len;
            if (keep > end - pos)
                keep = end - pos;
            memcpy(parser->line + parser->line_len, buf + pos, keep);
        }
        parser->line_len += end - pos;
        parser->scanned += end - pos + (nl != NULL);
        if (nl == NULL)
            break;
        pos = end + 1;
        int rc = scan_line_done(parser, true, err);
        if (rc != LF_OK)
            return rc;
        if (parser->dispatched)
            *used = pos;
    }
    if (!parser->dispatched && parser->scanned > SCAN_MAX)
        return unrecognized(parser, err);
    return LF_OK;
}

/* The head is complete (or the input ended): pprof when it says so, else text, scanned
 * from its first byte. */
static int sniff_head(struct parser *parser, struct lf_error *err)
{
    parser->head_done = true;
    if (first_line_format(parser->head, parser->head_len) == PARSE_FORMAT_AUTO &&
        parse_pprof_sniff(parser->head, parser->head_len)) {
        int rc = dispatch(parser, PARSE_FORMAT_PPROF, 0, str_make(NULL, 0), err);
        return rc != LF_OK ? rc : forward(parser, parser->head, parser->head_len, err);
    }
    if (decode_is_gzip(parser->head, parser->head_len))
        return lf_fail(err, LF_EINVAL, "profile is gzipped twice");
    size_t used = 0;
    int rc = scan(parser, parser->head, parser->head_len, &used, err);
    if (rc == LF_OK && parser->dispatched && used < parser->head_len)
        rc = forward(parser, parser->head + used, parser->head_len - used, err);
    return rc;
}

/* The input ended before the format was known: the last line, then a crash without a
 * goroutine header (the debug=2 parser names what is missing), else an error. */
static int sniff_end(struct parser *parser, struct lf_error *err)
{
    int rc = LF_OK;
    if (!parser->head_done && (rc = sniff_head(parser, err)) != LF_OK)
        return rc;
    if (!parser->dispatched && parser->line_len > 0 &&
        (rc = scan_line_done(parser, false, err)) != LF_OK)
        return rc;
    if (parser->dispatched)
        return LF_OK;
    if (parser->crash_line > 0)
        return dispatch(parser, PARSE_FORMAT_DEBUG2, parser->lines, str_make(NULL, 0), err);
    if (!parser->seen_text)
        return lf_fail(err, LF_EINVAL, "empty profile");
    return unrecognized(parser, err);
}

/* Receives decoded bytes (from zlib, or the raw input when it is not gzipped). */
static int on_decoded(void *ctx, const char *buf, size_t len, struct lf_error *err)
{
    struct parser *parser = ctx;
    parser->decoded += len;
    if (!parser->dispatched && parser->requested != PARSE_FORMAT_AUTO) {
        int rc = dispatch(parser, parser->requested, 0, str_make(NULL, 0), err);
        if (rc != LF_OK)
            return rc;
    }
    if (!parser->dispatched && parser->head == NULL) {
        parser->head = lf_malloc(SNIFF_HEAD + SCAN_LINE);
        if (parser->head == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory for the format sniff");
        parser->line = parser->head + SNIFF_HEAD;
    }
    if (!parser->dispatched && !parser->head_done) {
        size_t take = SNIFF_HEAD - parser->head_len;
        if (take > len)
            take = len;
        memcpy(parser->head + parser->head_len, buf, take);
        parser->head_len += take;
        buf += take;
        len -= take;
        if (parser->head_len == SNIFF_HEAD) {
            int rc = sniff_head(parser, err);
            if (rc != LF_OK)
                return rc;
        }
    }
    if (!parser->dispatched && len > 0) {
        size_t used = 0;
        int rc = scan(parser, buf, len, &used, err);
        if (rc != LF_OK)
            return rc;
        buf += used;
        len -= used;
    }
    if (len == 0 || !parser->dispatched)
        return LF_OK;
    return forward(parser, buf, len, err);
}

/* Decides gzip from the first two raw bytes, then routes raw bytes accordingly. */
static int route_raw(struct parser *parser, const char *buf, size_t len, struct lf_error *err)
{
    if (len == 0)
        return LF_OK;
    if (parser->gzipped)
        return decode_feed(parser->decode, buf, len, err);
    return on_decoded(parser, buf, len, err);
}

static int decide_gzip(struct parser *parser, struct lf_error *err)
{
    parser->gzip_known = true;
    parser->gzipped = decode_is_gzip((const char *)parser->magic, parser->magic_len);
    if (parser->gzipped) {
        parser->decode = decode_create(parser->limits.max_decoded_bytes, on_decoded, parser);
        if (parser->decode == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory for gunzip");
    }
    return route_raw(parser, (const char *)parser->magic, parser->magic_len, err);
}

/* LF_OK while parser takes input; else its earlier failure again, or LF_EINTERNAL with
 * misuse once it has finished. */
static int still_open(const struct parser *parser, const char *misuse, struct lf_error *err)
{
    if (parser->failed.code != LF_OK) {
        *err = parser->failed;
        return err->code;
    }
    if (parser->finished)
        return lf_fail(err, LF_EINTERNAL, "%s", misuse);
    return LF_OK;
}

int parser_feed(struct parser *parser, const char *buf, size_t len, struct lf_error *err)
{
    struct lf_error local;
    if (err == NULL)
        err = &local;
    int rc = still_open(parser, "parser fed after finish", err);
    if (rc != LF_OK)
        return rc;
    if (!parser->gzip_known) {
        while (len > 0 && parser->magic_len < sizeof(parser->magic)) {
            parser->magic[parser->magic_len++] = (unsigned char)*buf++;
            len--;
        }
        if (parser->magic_len < sizeof(parser->magic))
            return LF_OK;
        rc = decide_gzip(parser, err);
    }
    if (rc == LF_OK)
        rc = route_raw(parser, buf, len, err);
    if (rc != LF_OK)
        return parser_fail(parser, err);
    return LF_OK;
}

int parser_finish(struct parser *parser, struct parse_info *info, struct lf_error *err)
{
    struct lf_error local;
    if (err == NULL)
        err = &local;
    int rc = still_open(parser, "parser finished twice", err);
    if (rc != LF_OK)
        return rc;
    parser->finished = true;
    struct parse_info result = { 0 };
    if (!parser->gzip_known) {
        if (parser->magic_len == 0) {
            rc = lf_fail(err, LF_EINVAL, "empty profile");
            goto out;
        }
        if ((rc = decide_gzip(parser, err)) != LF_OK)
            goto out;
    }
    if (parser->gzipped && (rc = decode_finish(parser->decode, err)) != LF_OK)
        goto out;
    if (parser->decoded == 0) {
        rc = lf_fail(err, LF_EINVAL, "empty profile%s",
                     parser->gzipped ? " (gzip of nothing)" : "");
        goto out;
    }
    if (!parser->dispatched && (rc = sniff_end(parser, err)) != LF_OK)
        goto out;
    switch (parser->format) {
    case PARSE_FORMAT_DEBUG1:
        rc = parse_debug1_finish(parser->debug1, &result, err);
        break;
    case PARSE_FORMAT_DEBUG2:
        rc = parse_debug2_finish(parser->debug2, &result, err);
        break;
    case PARSE_FORMAT_PPROF:
        rc = parse_pprof(parser->pprof, parser->pprof_len, &parser->limits, forward_sink, parser,
                         &result, err);
        break;
    case PARSE_FORMAT_AUTO:
        rc = lf_fail(err, LF_EINTERNAL, "parse: no format chosen");
        break;
    }
    if (rc != LF_OK) {
        format_error(parser, rc, err);
        goto out;
    }
    result.format = parser->format;
    result.gzipped = parser->gzipped;
    if (parser->crash.len > 0) /* sniffed: the preamble never reached the text parser */
        memcpy(result.crash, parser->crash.text, parser->crash.len + 1);
    if (parser->format != PARSE_FORMAT_PPROF)
        result.time_nanos = 0;
    if (info != NULL)
        *info = result;
out:
    if (rc != LF_OK)
        return parser_fail(parser, err);
    return LF_OK;
}

void parser_free(struct parser *parser)
{
    if (parser == NULL)
        return;
    decode_free(parser->decode);
    parse_debug1_free(parser->debug1);
    parse_debug2_free(parser->debug2);
    lf_free(parser->head);
    lf_free(parser->pprof);
    lf_free(parser);
}

int parse_buffer(enum parse_format format, const char *buf, size_t len,
                 const struct parse_limits *limits, stack_sink_fn sink, void *ctx,
                 struct parse_info *info, struct lf_error *err)
{
    struct parser *parser = parser_create(format, limits, sink, ctx);
    if (parser == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory for the parser");
    int rc = parser_feed(parser, buf, len, err);
    if (rc == LF_OK)
        rc = parser_finish(parser, info, err);
    parser_free(parser);
    return rc;
}
