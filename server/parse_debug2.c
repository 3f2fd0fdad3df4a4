/* parse_debug2.c - the ?debug=2 text, panics and SIGQUIT dumps: one block per goroutine,
 * parsed line by line as a small state machine and emitted when its block ends. Holds one
 * goroutine at a time (its text copied into a reusable buffer), so memory grows with the
 * deepest stack, never with the number of goroutines. Preambles, register dumps and other
 * lines between goroutines are skipped; inside a goroutine only broken frames fail. */
#include "parse_debug2.h"

#include <string.h>

#include "alloc.h"
#include "linereader.h"
#include "recordbuf.h"

enum d2_state {
    D2_OUTSIDE,       /* before the first header, or after a block ended */
    D2_FRAMES,        /* after a header or a frame: a function line may come */
    D2_FILE,          /* after a function line: its "\tFILE:LINE" must come */
    D2_CREATED_FILE,  /* after "created by": its file line must come */
    D2_AFTER_CREATED, /* the block is complete; ancestors may follow */
    D2_ANCESTORS,     /* "[originating from goroutine N]:" blocks: skipped */
};

struct parse_debug2 {
    struct parse_limits limits;
    stack_sink_fn sink;
    void *ctx;
    struct linereader reader;
    enum d2_state state;

    /* the goroutine being read */
    int64_t goroutine_id;
    int64_t wait_minutes;
    bool locked;
    bool leaked;
    bool truncated;
    bool at_root;     /* its latest frame is where a goroutine's stack starts */
    bool unavailable; /* "stack unavailable": the runtime printed all it had */
    size_t reason_off;
    size_t reason_len;
    bool pending_keep;       /* the pending function line is stored (not dropped) */
    bool pending_has_args;   /* it ended with "(...)": a Go frame, a file line must follow */
    bool pending_root;       /* it names a function where stacks start (main.main, ...) */
    int64_t pending_line_no; /* its line number */
    size_t pending_off;
    size_t pending_len;
    struct recordbuf_frame creator; /* "created by": function and file in text */
    bool has_creator;

    struct recordbuf rb;      /* reason, functions and files of the current goroutine */
    struct parse_crash crash; /* a panic's or signal's preamble before the first goroutine */

    int64_t stacks;
    int64_t goroutines;

    bool sink_failed; /* the sink refused a stack: its error is not the input's */
    bool cut;         /* the input stops inside a goroutine */
    int64_t cut_line; /* the line where it stops */
};

#define D2_DEFAULT_LINE   ((size_t)1 << 20)
#define D2_DEFAULT_FRAMES 1024

struct parse_debug2 *parse_debug2_create(const struct parse_limits *limits, stack_sink_fn sink,
                                         void *ctx)
{
    struct parse_debug2 *parser = lf_calloc(1, sizeof(*parser));
    if (parser == NULL)
        return NULL;
    if (limits != NULL)
        parser->limits = *limits;
    if (parser->limits.max_line_bytes == 0)
        parser->limits.max_line_bytes = D2_DEFAULT_LINE;
    if (parser->limits.max_frames == 0)
        parser->limits.max_frames = D2_DEFAULT_FRAMES;
    parser->sink = sink;
    parser->ctx = ctx;
    recordbuf_init(&parser->rb, "goroutine", parser->limits.max_line_bytes);
    linereader_init(&parser->reader, parser->limits.max_line_bytes);
    parser->state = D2_OUTSIDE;
    return parser;
}

void parse_debug2_free(struct parse_debug2 *parser)
{
    if (parser == NULL)
        return;
    linereader_release(&parser->reader);
    recordbuf_release(&parser->rb);
    lf_free(parser);
}

/* ---- the per-goroutine buffers ------------------------------------------------------ */

static void goroutine_reset(struct parse_debug2 *parser)
{
    parser->goroutine_id = -1;
    parser->wait_minutes = 0;
    parser->locked = false;
    parser->leaked = false;
    parser->truncated = false;
    parser->at_root = false;
    parser->unavailable = false;
    parser->reason_off = 0;
    parser->reason_len = 0;
    parser->pending_keep = false;
    parser->pending_has_args = false;
    recordbuf_clear(&parser->rb);
    parser->has_creator = false;
}

/* Sends the goroutine read so far to the sink. */
static int emit(struct parse_debug2 *parser, struct lf_error *err)
{
    int64_t line_no = linereader_line_no(&parser->reader);
    int rc = recordbuf_frames(&parser->rb, line_no, err);
    if (rc != LF_OK)
        return rc;
    struct stack stack = {
        .count = 1,
        .goroutine_id = parser->goroutine_id,
        .wait_reason = recordbuf_str(&parser->rb, parser->reason_off, parser->reason_len),
        .wait_minutes = parser->wait_minutes,
        .locked_to_thread = parser->locked,
        .leaked = parser->leaked,
        .truncated = parser->truncated,
        .frames = parser->rb.n_refs > 0 ? parser->rb.frames : NULL,
        .n_frames = parser->rb.n_refs,
        .labels = NULL,
        .n_labels = 0,
    };
    if (parser->has_creator) {
        const struct recordbuf_frame *ref = &parser->creator;
        stack.creator.function = recordbuf_str(&parser->rb, ref->function_off, ref->function_len);
        stack.creator.file = recordbuf_str(&parser->rb, ref->file_off, ref->file_len);
        stack.creator.line = ref->line;
    }
    parser->stacks++;
    parser->goroutines++;
    goroutine_reset(parser);
    parser->state = D2_OUTSIDE;
    rc = parser->sink(parser->ctx, &stack, err);
    if (rc != LF_OK)
        parser->sink_failed = true;
    return rc;
}

/* ---- line grammar ------------------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static struct str str_slice(struct str s, size_t from, size_t to)
{
    return str_make(s.p + from, to - from);
}

/* Prefix test against a literal, inlined (this runs for every line of the dump). */
#define STARTS_WITH(s, lit) ((s).len >= sizeof(lit) - 1 && memcmp((s).p, lit, sizeof(lit) - 1) == 0)
#define ENDS_WITH(s, lit)                                                                          \
    ((s).len >= sizeof(lit) - 1 &&                                                                 \
     memcmp((s).p + (s).len - (sizeof(lit) - 1), lit, sizeof(lit) - 1) == 0)

/* True when line starts a goroutine header: "goroutine " and a digit. */
static bool looks_like_header(struct str line)
{
    return line.len > 10 && memcmp(line.p, "goroutine ", 10) == 0 && is_digit(line.p[10]);
}

/* Strips the literal suffix (with its leading space) from *s when it is there. */
#define STRIP_SUFFIX(s, lit) (ENDS_WITH(s, lit) ? ((s).len -= sizeof(lit) - 1, true) : false)

/* "goroutine ID( gp=0x… m=N mp=0x…)? [STATUS( (scan)| (leaked))*(, N minutes)?(, locked
 * to thread)?(, other)*]:" starts a new goroutine. */
static int parse_header(struct parse_debug2 *parser, struct str line, int64_t line_no,
                        struct lf_error *err)
{
    size_t i = 10;
    while (i < line.len && is_digit(line.p[i]))
        i++;
    int64_t id;
    if (!str_to_int64(str_slice(line, 10, i), &id))
        goto bad;
    /* Newer runtimes put " gp=0x… m=N mp=0x…" (or " m=nil") before the bracket. */
    const char *open = memchr(line.p + i, '[', line.len - i);
    if (open == NULL || (open > line.p + i && line.p[i] != ' ') || open[-1] != ' ')
        goto bad;
    if (!ENDS_WITH(line, "]:"))
        goto bad;
    size_t inner_from = (size_t)(open - line.p) + 1;
    if (inner_from > line.len - 2)
        goto bad;
    struct str inner = str_slice(line, inner_from, line.len - 2);

    goroutine_reset(parser);
    parser->goroutine_id = id;
    /* the status ends at the first ", " (no wait reason contains one) */
    size_t cut = 0;
    while (cut + 1 < inner.len && !(inner.p[cut] == ',' && inner.p[cut + 1] == ' '))
        cut++;
    if (cut + 1 >= inner.len)
        cut = inner.len;
    struct str status = str_slice(inner, 0, cut);
    for (;;) {
        if (STRIP_SUFFIX(status, " (leaked)"))
            parser->leaked = true;
        else if (!STRIP_SUFFIX(status, " (scan)"))
            break;
    }
    if (status.len == 0)
        goto bad;
    int rc = recordbuf_add_text(&parser->rb, status, &parser->reason_off, line_no, err);
    if (rc != LF_OK)
        return rc;
    parser->reason_len = status.len;
    /* the attributes after it, each after ", " */
    size_t at = cut;
    while (at < inner.len) {
        at += 2; /* ", " */
        size_t next = at;
        while (next + 1 < inner.len && !(inner.p[next] == ',' && inner.p[next + 1] == ' '))
            next++;
        if (next + 1 >= inner.len)
            next = inner.len;
        struct str attr = str_slice(inner, at, next);
        int64_t minutes;
        if (str_eq_cstr(attr, "locked to thread"))
            parser->locked = true;
        else if (ENDS_WITH(attr, " minutes") &&
                 str_to_int64(str_slice(attr, 0, attr.len - 8), &minutes) && minutes >= 0)
            parser->wait_minutes = minutes;
        /* other attributes (", synctest group N", ...) carry nothing we keep */
        at = next;
    }
    parser->state = D2_FRAMES;
    return LF_OK;
bad:
    return lf_fail(err, LF_EINVAL, "line %lld: malformed goroutine header", (long long)line_no);
}

/* True for the tokens the runtime may print after FILE:LINE: "+0x1f", "fp=0x…",
 * "sp=0x…", "pc=0x…". */
static bool is_suffix_token(const char *t, size_t len)
{
    if (len < 3)
        return false;
    if (t[0] == '+')
        return t[1] == '0' && t[2] == 'x';
    if (t[0] == 'p')
        return t[1] == 'c' && t[2] == '=';
    return (t[0] == 'f' || t[0] == 's') && t[1] == 'p' && t[2] == '=';
}

/* True for a line indented the way file lines are: by a tab, or by spaces in a dump that
 * went through an editor or a chat window on its way here. */
static bool is_indented(struct str line)
{
    return line.len > 0 && (line.p[0] == '\t' || line.p[0] == ' ');
}

/* "\tFILE:LINE( +0xOFF)?( fp=0x… sp=0x…)?( pc=0x…)?" -> file and line. The suffix tokens
 * are peeled from the right, so a file path may contain spaces and colons. */
static bool parse_file_line(struct str line, struct str *file, int64_t *line_number)
{
    const char *start = line.p;
    const char *end = line.p + line.len;
    while (start < end && (*start == '\t' || *start == ' '))
        start++;
    if (start == line.p || start == end)
        return false;
    for (;;) {
        /* a suffix token is short ("fp=0x" and 16 digits): look no further back */
        const char *space = end;
        const char *floor = end - start > 32 ? end - 32 : start;
        while (space > floor && space[-1] != ' ')
            space--;
        if (space == floor || !is_suffix_token(space, (size_t)(end - space)))
            break;
        space--;
        end = space;
    }
    const char *digits = end;
    while (digits > start && is_digit(digits[-1]))
        digits--;
    if (digits == end || end - digits > 18 || digits - start < 2 || digits[-1] != ':')
        return false;
    int64_t number = 0;
    for (const char *d = digits; d < end; d++)
        number = number * 10 + (*d - '0');
    *line_number = number;
    *file = str_make(start, (size_t)(digits - 1 - start));
    return true;
}

/* Stores the file line of the pending function as a frame (or drops it past the cap). */
static int add_frame(struct parse_debug2 *parser, struct str file, int64_t line_number,
                     int64_t line_no, struct lf_error *err)
{
    parser->at_root = parser->pending_root;
    if (!parser->pending_keep)
        return LF_OK;
    int rc = recordbuf_reserve_frame(&parser->rb, line_no, err);
    if (rc != LF_OK)
        return rc;
    struct recordbuf_frame *ref = &parser->rb.refs[parser->rb.n_refs];
    rc = recordbuf_add_text(&parser->rb, file, &ref->file_off, line_no, err);
    if (rc != LF_OK)
        return rc;
    ref->function_off = parser->pending_off;
    ref->function_len = parser->pending_len;
    ref->file_len = file.len;
    ref->line = line_number;
    parser->rb.n_refs++;
    parser->pending_keep = false;
    return LF_OK;
}

/* True for the functions at the bottom of a goroutine that has no "created by" line: the
 * main goroutine's main.main (runtime.main under GOTRACEBACK=system) and runtime.goexit
 * (system tracebacks, cgo callback goroutines). */
static bool is_root_function(struct str function)
{
#define IS(s, lit) ((s).len == sizeof(lit) - 1 && memcmp((s).p, lit, sizeof(lit) - 1) == 0)
    return IS(function, "main.main") || IS(function, "runtime.main") ||
           IS(function, "runtime.goexit");
#undef IS
}

/* A function line: "pkg.(*T).fn(ARGS)", or a bare name (cgo symbolizer output). The name
 * ends at the last '(' since ARGS hold no parentheses but method names do. */
static int begin_frame(struct parse_debug2 *parser, struct str line, int64_t line_no,
                       struct lf_error *err)
{
    struct str function = line;
    parser->pending_has_args = false;
    if (line.len > 0 && line.p[line.len - 1] == ')') {
        size_t open = line.len - 1;
        while (open > 0 && line.p[open] != '(')
            open--;
        if (open > 0) {
            function = str_slice(line, 0, open);
            parser->pending_has_args = true;
        }
    }
    parser->pending_line_no = line_no;
    parser->pending_keep = false;
    parser->pending_root = is_root_function(function);
    parser->state = D2_FILE;
    if (parser->rb.n_refs >= parser->limits.max_frames) {
        parser->truncated = true;
        return LF_OK;
    }
    int rc = recordbuf_add_text(&parser->rb, function, &parser->pending_off, line_no, err);
    if (rc != LF_OK)
        return rc;
    parser->pending_len = function.len;
    parser->pending_keep = true;
    return LF_OK;
}

static bool is_elided(struct str line)
{
    /* "...additional frames elided..." (to Go 1.20) or "...N frames elided..." (1.21+) */
    return STARTS_WITH(line, "...") && ENDS_WITH(line, " elided...");
}

static int on_line(void *ctx, struct str line, int64_t line_no, struct lf_error *err);

/* A line inside a goroutine block, where a function line may come. */
static int on_frames_line(struct parse_debug2 *parser, struct str line, int64_t line_no,
                          struct lf_error *err)
{
    if (line.len == 0)
        return emit(parser, err);
    if (looks_like_header(line)) {
        int rc = emit(parser, err);
        return rc != LF_OK ? rc : parse_header(parser, line, line_no, err);
    }
    switch (line.p[0]) {
    case '\t':
    case ' ':
        if (ENDS_WITH(line, "goroutine running on other thread; stack unavailable")) {
            parser->unavailable = true;
            return LF_OK;
        }
        return lf_fail(err, LF_EINVAL, "line %lld: file line without a function line",
                       (long long)line_no);
    case 'c':
        if (STARTS_WITH(line, "created by ")) {
            /* "created by pkg.fn in goroutine N" (Go 1.21+) or "created by pkg.fn" */
            struct str function = str_slice(line, strlen("created by "), line.len);
            for (size_t i = function.len; i >= 4; i--) {
                if (memcmp(function.p + i - 4, " in ", 4) == 0) {
                    function.len = i - 4;
                    break;
                }
            }
            parser->state = D2_CREATED_FILE;
            parser->has_creator = false;
            int rc = recordbuf_add_text(&parser->rb, function, &parser->creator.function_off,
                                        line_no, err);
            parser->creator.function_len = function.len;
            return rc;
        }
        break;
    case '.':
        if (is_elided(line)) {
            parser->truncated = true;
            return LF_OK;
        }
        break;
    case '[':
        if (STARTS_WITH(line, "[originating from goroutine ")) {
            parser->state = D2_ANCESTORS;
            return LF_OK;
        }
        break;
    default:
        break;
    }
    return begin_frame(parser, line, line_no, err);
}

static int on_line(void *ctx, struct str line, int64_t line_no, struct lf_error *err)
{
    struct parse_debug2 *parser = ctx;
    switch (parser->state) {
    case D2_OUTSIDE:
        parse_crash_scan(&parser->crash, line);
        if (looks_like_header(line))
            return parse_header(parser, line, line_no, err);
        return LF_OK; /* preambles, "runtime stack:", register dumps, "exit status 2" */
    case D2_FRAMES:
        return on_frames_line(parser, line, line_no, err);
    case D2_FILE: {
        struct str file;
        int64_t number;
        if (is_indented(line)) {
            if (!parse_file_line(line, &file, &number))
                return lf_fail(err, LF_EINVAL,
                               "line %lld: malformed file line, expected "
                               "'\\tFILE:LINE'",
                               (long long)line_no);
            parser->state = D2_FRAMES;
            return add_frame(parser, file, number, line_no, err);
        }
        if (parser->pending_has_args)
            return lf_fail(err, LF_EINVAL,
                           "line %lld: expected '\\tFILE:LINE' after the "
                           "function on line %lld",
                           (long long)line_no, (long long)parser->pending_line_no);
        /* a bare line with no file line after it was not a frame: forget it */
        if (parser->pending_keep)
            parser->rb.text_len = parser->pending_off;
        parser->pending_keep = false;
        parser->state = D2_FRAMES;
        return on_frames_line(parser, line, line_no, err);
    }
    case D2_CREATED_FILE: {
        struct str file;
        int64_t number;
        if (!parse_file_line(line, &file, &number))
            return lf_fail(err, LF_EINVAL,
                           "line %lld: expected '\\tFILE:LINE' after "
                           "'created by'",
                           (long long)line_no);
        parser->state = D2_AFTER_CREATED;
        int rc = recordbuf_add_text(&parser->rb, file, &parser->creator.file_off, line_no, err);
        parser->creator.file_len = file.len;
        parser->creator.line = number;
        parser->has_creator = rc == LF_OK;
        return rc;
    }
    case D2_AFTER_CREATED:
        if (STARTS_WITH(line, "[originating from goroutine ")) {
            parser->state = D2_ANCESTORS;
            return LF_OK;
        }
        if (line.len == 0)
            return emit(parser, err);
        /* the block ended without a blank line ("exit status 2" after a panic, say) */
        {
            int rc = emit(parser, err);
            return rc != LF_OK ? rc : on_line(parser, line, line_no, err);
        }
    case D2_ANCESTORS:
        if (line.len == 0)
            return emit(parser, err);
        if (looks_like_header(line)) {
            int rc = emit(parser, err);
            return rc != LF_OK ? rc : parse_header(parser, line, line_no, err);
        }
        return LF_OK;
    }
    return lf_fail(err, LF_EINTERNAL, "line %lld: bad parser state", (long long)line_no);
}

int parse_debug2_feed(struct parse_debug2 *parser, const char *buf, size_t len,
                      struct lf_error *err)
{
    return linereader_feed(&parser->reader, buf, len, on_line, parser, err);
}

/* True when the goroutine being read could end here: it had its "created by" line (state
 * D2_AFTER_CREATED, not asked here), its bottom frame is a root function, its stack was
 * unavailable, or it is goroutine 0 (a thread's system stack in crash dumps). */
static bool block_complete(const struct parse_debug2 *parser)
{
    return parser->goroutine_id == 0 || parser->at_root || parser->unavailable;
}

/* The last line of the input, which had no "\n": a dump cut off in the middle of a line
 * fails to parse there, which is a cut, not a malformed dump; so is the start of a header
 * after a whole goroutine. */
static int on_final_line(void *ctx, struct str line, int64_t line_no, struct lf_error *err)
{
    struct parse_debug2 *parser = ctx;
    int rc = on_line(parser, line, line_no, err);
    if (rc == LF_EINVAL && !parser->sink_failed) {
        lf_error_clear(err);
        parser->cut = true;
        return LF_OK;
    }
    /* between goroutines: the first bytes of the next header ("gorout") */
    if (rc == LF_OK && parser->state == D2_OUTSIDE && line.len > 0 && line.len <= 10 &&
        memcmp(line.p, "goroutine ", line.len) == 0)
        parser->cut = true;
    return rc;
}

/* Ends the goroutine still open at the end of the input; sets cut when the input stops
 * inside it (its stack is emitted as far as it goes, marked truncated). */
static int finish_block(struct parse_debug2 *parser, struct lf_error *err)
{
    switch (parser->state) {
    case D2_OUTSIDE:
        return LF_OK;
    case D2_FILE:
        /* a function line without its file line: a Go frame "f(...)" was cut; a bare
         * line is not a frame (trailing output) and is forgotten */
        if (parser->pending_has_args || !block_complete(parser))
            parser->cut = parser->truncated = true;
        parser->pending_keep = false;
        return emit(parser, err);
    case D2_CREATED_FILE:
        parser->cut = true; /* the frames are whole; only the creator's file is missing */
        return emit(parser, err);
    case D2_FRAMES:
        if (!block_complete(parser))
            parser->cut = parser->truncated = true;
        return emit(parser, err);
    case D2_AFTER_CREATED:
    case D2_ANCESTORS:
        return emit(parser, err);
    }
    return lf_fail(err, LF_EINTERNAL, "bad parser state at the end");
}

int parse_debug2_finish(struct parse_debug2 *parser, struct parse_info *info, struct lf_error *err)
{
    int rc = linereader_finish(&parser->reader, on_final_line, parser, err);
    if (rc != LF_OK)
        return rc; /* the reader refused it or a line failed: it is stopped already */
    int64_t last = linereader_line_no(&parser->reader);
    if (rc == LF_OK)
        rc = finish_block(parser, err);
    if (rc == LF_OK && parser->stacks == 0) {
        if (last == 0)
            rc = lf_fail(err, LF_EINVAL, "line 1: empty input");
        else
            rc = lf_fail(err, LF_EINVAL, "line %lld: no 'goroutine N [STATUS]:' header",
                         (long long)last);
    }
    if (rc != LF_OK)
        return linereader_fail(&parser->reader, rc);
    if (info != NULL) {
        info->format = PARSE_FORMAT_DEBUG2;
        info->leak_profile = false;
        info->declared_total = -1;
        info->goroutines = parser->goroutines;
        info->stacks = parser->stacks;
        info->truncated = parser->cut;
        info->truncated_line = parser->cut ? last : 0;
        memcpy(info->crash, parser->crash.text, parser->crash.len);
        info->crash[parser->crash.len] = '\0';
    }
    return LF_OK;
}

bool parse_debug2_embed(struct parse_debug2 *parser, int64_t lines_before, struct str indent)
{
    return linereader_embed(&parser->reader, lines_before, indent.p, indent.len);
}
