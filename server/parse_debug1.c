/* parse_debug1.c - the ?debug=1 text: a "goroutine profile: total N" (or "goroutineleak
 * profile: total N") header, then one record per unique stack ("COUNT @ PC…", an optional
 * "# labels: {…}" line, "#\tPC\tFUNC+0xOFF\tFILE:LINE" frames, a blank line). Holds one
 * record at a time in reusable buffers, so memory grows with the deepest stack, never with
 * the number of records or goroutines. The grammar is strict: an unexpected line fails. */
#include "parse_debug1.h"

#include <string.h>

#include "alloc.h"
#include "linereader.h"
#include "recordbuf.h"

enum d1_state {
    D1_START,   /* before the header */
    D1_BETWEEN, /* after the header or a blank line: a record or a blank line may come */
    D1_RECORD,  /* inside a record */
};

struct d1_label_ref {
    size_t key_off;
    size_t key_len;
    size_t value_off;
    size_t value_len;
};

struct parse_debug1 {
    struct parse_limits limits;
    stack_sink_fn sink;
    void *ctx;
    struct linereader reader;
    enum d1_state state;
    bool leak_profile;
    int64_t declared_total;

    /* the record being read */
    int64_t count;
    bool truncated;
    bool has_labels;
    struct recordbuf rb; /* functions, files and labels of the current record */
    struct d1_label_ref *label_refs;
    size_t n_labels;
    size_t labels_cap;
    struct stack_label *labels;

    int64_t stacks;
    int64_t goroutines;
};

#define D1_DEFAULT_LINE   ((size_t)1 << 20)
#define D1_DEFAULT_FRAMES 1024
#define D1_DEFAULT_LABELS 64

struct parse_debug1 *parse_debug1_create(const struct parse_limits *limits, stack_sink_fn sink,
                                         void *ctx)
{
    struct parse_debug1 *parser = lf_calloc(1, sizeof(*parser));
    if (parser == NULL)
        return NULL;
    if (limits != NULL)
        parser->limits = *limits;
    if (parser->limits.max_line_bytes == 0)
        parser->limits.max_line_bytes = D1_DEFAULT_LINE;
    if (parser->limits.max_frames == 0)
        parser->limits.max_frames = D1_DEFAULT_FRAMES;
    if (parser->limits.max_labels == 0)
        parser->limits.max_labels = D1_DEFAULT_LABELS;
    parser->sink = sink;
    parser->ctx = ctx;
    recordbuf_init(&parser->rb, "record", parser->limits.max_line_bytes);
    linereader_init(&parser->reader, parser->limits.max_line_bytes);
    parser->state = D1_START;
    parser->declared_total = -1;
    return parser;
}

bool parse_debug1_embed(struct parse_debug1 *parser, int64_t lines_before, struct str indent)
{
    return linereader_embed(&parser->reader, lines_before, indent.p, indent.len);
}

void parse_debug1_free(struct parse_debug1 *parser)
{
    if (parser == NULL)
        return;
    linereader_release(&parser->reader);
    recordbuf_release(&parser->rb);
    lf_free(parser->label_refs);
    lf_free(parser->labels);
    lf_free(parser);
}

/* ---- the per-record buffers -------------------------------------------------------- */

static int oom(int64_t line_no, struct lf_error *err)
{
    return lf_fail(err, LF_ENOMEM, "line %lld: out of memory", (long long)line_no);
}

static void record_reset(struct parse_debug1 *parser)
{
    parser->count = 0;
    parser->truncated = false;
    parser->has_labels = false;
    recordbuf_clear(&parser->rb);
    parser->n_labels = 0;
}

static int emit(struct parse_debug1 *parser, struct lf_error *err)
{
    int64_t line_no = linereader_line_no(&parser->reader);
    int rc = recordbuf_frames(&parser->rb, line_no, err);
    if (rc != LF_OK)
        return rc;
    if (parser->n_labels > 0 && parser->labels == NULL) {
        parser->labels = lf_malloc(parser->limits.max_labels * sizeof(*parser->labels));
        if (parser->labels == NULL)
            return oom(line_no, err);
    }
    for (size_t i = 0; i < parser->n_labels; i++) {
        const struct d1_label_ref *ref = &parser->label_refs[i];
        parser->labels[i].key = recordbuf_str(&parser->rb, ref->key_off, ref->key_len);
        parser->labels[i].value = recordbuf_str(&parser->rb, ref->value_off, ref->value_len);
    }
    struct stack stack = {
        .count = parser->count,
        .goroutine_id = -1,
        .wait_reason = STR_LIT(""),
        .wait_minutes = -1,
        .locked_to_thread = false,
        .leaked = parser->leak_profile,
        .truncated = parser->truncated,
        .frames = parser->rb.n_refs > 0 ? parser->rb.frames : NULL,
        .n_frames = parser->rb.n_refs,
        .labels = parser->n_labels > 0 ? parser->labels : NULL,
        .n_labels = parser->n_labels,
    };
    parser->stacks++;
    parser->goroutines += parser->count;
    record_reset(parser);
    parser->state = D1_BETWEEN;
    return parser->sink(parser->ctx, &stack, err);
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

static int malformed(int64_t line_no, const char *what, struct lf_error *err)
{
    return lf_fail(err, LF_EINVAL, "line %lld: %s", (long long)line_no, what);
}

/* "goroutine profile: total N" or "goroutineleak profile: total N". */
static int parse_header(struct parse_debug1 *parser, struct str line, int64_t line_no,
                        struct lf_error *err)
{
    static const char plain[] = "goroutine profile: total ";
    static const char leak[] = "goroutineleak profile: total ";
    struct str rest;
    if (str_has_prefix_cstr(line, plain)) {
        rest = str_slice(line, sizeof(plain) - 1, line.len);
    } else if (str_has_prefix_cstr(line, leak)) {
        rest = str_slice(line, sizeof(leak) - 1, line.len);
        parser->leak_profile = true;
    } else {
        return malformed(line_no, "expected 'goroutine profile: total N'", err);
    }
    if (!str_to_int64(rest, &parser->declared_total) || parser->declared_total < 0)
        return malformed(line_no, "bad total in the profile header", err);
    parser->state = D1_BETWEEN;
    return LF_OK;
}

/* True when line looks like "COUNT @ ..." (digits, then " @"). */
static bool looks_like_record(struct str line)
{
    size_t i = 0;
    while (i < line.len && is_digit(line.p[i]))
        i++;
    return i > 0 && i + 1 < line.len && line.p[i] == ' ' && line.p[i + 1] == '@';
}

/* "COUNT @ 0x… 0x…" opens a record. The runtime records at most 32 PCs (Go 1.22 and
 * older) or 128 (Go 1.23+), so a record with exactly that many was cut there. */
static int parse_record(struct parse_debug1 *parser, struct str line, int64_t line_no,
                        struct lf_error *err)
{
    size_t i = 0;
    while (i < line.len && is_digit(line.p[i]))
        i++;
    int64_t count;
    if (!str_to_int64(str_slice(line, 0, i), &count))
        return malformed(line_no, "bad count in 'COUNT @ PC...'", err);
    size_t n_pcs = 0;
    for (size_t j = i + 2; j < line.len; j++) {
        if (line.p[j] == ' ' && j + 1 < line.len && line.p[j + 1] != ' ')
            n_pcs++;
        else if (line.p[j] != ' ' && !(line.p[j] == 'x' || is_digit(line.p[j]) ||
                                       (line.p[j] >= 'a' && line.p[j] <= 'f')))
            return malformed(line_no, "bad PC in 'COUNT @ PC...'", err);
    }
    record_reset(parser);
    parser->count = count;
    parser->truncated = n_pcs == 32 || n_pcs == 128;
    parser->state = D1_RECORD;
    return LF_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends code point cp as UTF-8 to out (room for 4 bytes is there). */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the Go-quoted string (%q) starting at s.p[*pos] == '"' into the text buffer;
 * *pos moves past the closing quote. The decoded form is never longer than the quoted. */
static bool unquote(struct parse_debug1 *parser, struct str s, size_t *pos, size_t *off,
                    size_t *len)
{
    size_t i = *pos;
    if (i >= s.len || s.p[i] != '"')
        return false;
    i++;
    *off = parser->rb.text_len;
    char *out = parser->rb.text + parser->rb.text_len;
    size_t n = 0;
    while (i < s.len && s.p[i] != '"') {
        char c = s.p[i++];
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (i >= s.len)
            return false;
        char e = s.p[i++];
        switch (e) {
        case 'a':
            out[n++] = '\a';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'v':
            out[n++] = '\v';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '"':
            out[n++] = '"';
            break;
        case '\'':
            out[n++] = '\'';
            break;
        case 'x':
        case 'u':
        case 'U': {
            size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t value = 0;
            if (s.len - i < digits)
                return false;
            for (size_t d = 0; d < digits; d++) {
                int h = hex_value(s.p[i + d]);
                if (h < 0)
                    return false;
                value = value * 16 + (uint32_t)h;
            }
            i += digits;
            if (e == 'x')
                out[n++] = (char)value;
            else if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
                return false;
            else
                n += put_utf8(out + n, value); /* 4 bytes from >= 6 quoted ones */
            break;
        }
        default:
            if (e >= '0' && e <= '7') { /* \ooo */
                if (s.len - i < 2 || s.p[i] < '0' || s.p[i] > '7' || s.p[i + 1] < '0' ||
                    s.p[i + 1] > '7')
                    return false;
                uint32_t value = (uint32_t)(e - '0') * 64 + (uint32_t)(s.p[i] - '0') * 8 +
                                 (uint32_t)(s.p[i + 1] - '0');
                if (value > 255)
                    return false;
                out[n++] = (char)value;
                i += 2;
                break;
            }
            return false;
        }
    }
    if (i >= s.len)
        return false;
    *pos = i + 1;
    *len = n;
    parser->rb.text_len += n;
    return true;
}

/* "# labels: {"k":"v", "k2":"v2"}": keys and values are Go-quoted, pairs sorted. */
static int parse_labels(struct parse_debug1 *parser, struct str line, int64_t line_no,
                        struct lf_error *err)
{
    static const char prefix[] = "# labels: {";
    if (parser->has_labels)
        return malformed(line_no, "a second '# labels:' line in one record", err);
    if (parser->rb.n_refs > 0)
        return malformed(line_no, "'# labels:' after frame lines", err);
    parser->has_labels = true;
    /* decoded text is never longer than the line: reserve once, unquote in place */
    int rc = recordbuf_reserve(&parser->rb, line.len, line_no, err);
    if (rc != LF_OK)
        return rc;
    size_t pos = sizeof(prefix) - 1;
    if (pos < line.len && line.p[pos] == '}' && pos + 1 == line.len)
        return LF_OK;
    for (;;) {
        struct d1_label_ref ref;
        if (!unquote(parser, line, &pos, &ref.key_off, &ref.key_len))
            return malformed(line_no, "malformed label key", err);
        if (pos >= line.len || line.p[pos] != ':')
            return malformed(line_no, "expected ':' after a label key", err);
        pos++;
        if (!unquote(parser, line, &pos, &ref.value_off, &ref.value_len))
            return malformed(line_no, "malformed label value", err);
        if (parser->n_labels == parser->limits.max_labels)
            return lf_fail(err, LF_EINVAL, "line %lld: more than %zu labels", (long long)line_no,
                           parser->limits.max_labels);
        if (!lf_alloc_grow(&parser->label_refs, &parser->labels_cap, parser->n_labels + 1, 8,
                           parser->limits.max_labels, sizeof(*parser->label_refs)))
            return oom(line_no, err);
        parser->label_refs[parser->n_labels++] = ref;
        if (pos + 1 == line.len && line.p[pos] == '}')
            return LF_OK;
        if (line.len - pos < 2 || line.p[pos] != ',' || line.p[pos + 1] != ' ')
            return malformed(line_no, "expected ', ' or '}' after a label", err);
        pos += 2;
    }
}

/* "#\t0xPC\tFUNC+0xOFF\tFILE:LINE" (tabs, possibly several before FILE). A frame the
 * runtime could not symbolize is printed as "#\t0xPC" alone: it becomes a frame whose
 * function is the PC text, with an empty file and line 0. */
static int parse_frame(struct parse_debug1 *parser, struct str line, int64_t line_no,
                       struct lf_error *err)
{
    size_t i = 2; /* after "#\t" */
    size_t pc_from = i;
    while (i < line.len && line.p[i] != '\t')
        i++;
    struct str pc = str_slice(line, pc_from, i);
    if (!str_has_prefix_cstr(pc, "0x") || pc.len < 3)
        return malformed(line_no, "malformed frame line, expected '#\\t0xPC\\tFUNC\\tFILE:LINE'",
                         err);
    struct str function = pc;
    struct str file = STR_LIT("");
    int64_t number = 0;
    if (i < line.len) {
        size_t fn_from = ++i;
        while (i < line.len && line.p[i] != '\t')
            i++;
        function = str_slice(line, fn_from, i);
        size_t plus = function.len;
        while (plus > 0 && function.p[plus - 1] != '+')
            plus--;
        if (plus > 1 && str_has_prefix_cstr(str_slice(function, plus, function.len), "0x"))
            function.len = plus - 1;
        while (i < line.len && line.p[i] == '\t')
            i++;
        struct str where = str_slice(line, i, line.len);
        size_t colon = where.len;
        while (colon > 0 && where.p[colon - 1] != ':')
            colon--;
        if (function.len == 0 || colon < 2 ||
            !str_to_int64(str_slice(where, colon, where.len), &number) || number < 0)
            return malformed(line_no,
                             "malformed frame line, expected '#\\t0xPC\\tFUNC\\tFILE:LINE'", err);
        file = str_slice(where, 0, colon - 1);
    }
    if (parser->rb.n_refs >= parser->limits.max_frames) {
        parser->truncated = true;
        return LF_OK;
    }
    int rc = recordbuf_reserve_frame(&parser->rb, line_no, err);
    if (rc != LF_OK)
        return rc;
    struct recordbuf_frame *ref = &parser->rb.refs[parser->rb.n_refs];
    rc = recordbuf_add_text(&parser->rb, function, &ref->function_off, line_no, err);
    if (rc == LF_OK)
        rc = recordbuf_add_text(&parser->rb, file, &ref->file_off, line_no, err);
    if (rc != LF_OK)
        return rc;
    ref->function_len = function.len;
    ref->file_len = file.len;
    ref->line = number;
    parser->rb.n_refs++;
    return LF_OK;
}

static int on_line(void *ctx, struct str line, int64_t line_no, struct lf_error *err)
{
    struct parse_debug1 *parser = ctx;
    switch (parser->state) {
    case D1_START:
        if (line.len == 0)
            return LF_OK;
        return parse_header(parser, line, line_no, err);
    case D1_BETWEEN:
        if (line.len == 0)
            return LF_OK;
        if (!looks_like_record(line))
            return malformed(line_no, "expected 'COUNT @ PC...'", err);
        return parse_record(parser, line, line_no, err);
    case D1_RECORD:
        if (line.len == 0)
            return emit(parser, err);
        if (str_has_prefix_cstr(line, "#\t"))
            return parse_frame(parser, line, line_no, err);
        if (str_has_prefix_cstr(line, "# labels: {"))
            return parse_labels(parser, line, line_no, err);
        if (looks_like_record(line)) {
            int rc = emit(parser, err);
            return rc != LF_OK ? rc : parse_record(parser, line, line_no, err);
        }
        if (line.p[0] == '#')
            return LF_OK; /* a comment this version does not know */
        return malformed(line_no, "expected a '#' frame line or a blank line", err);
    }
    return lf_fail(err, LF_EINTERNAL, "line %lld: bad parser state", (long long)line_no);
}

int parse_debug1_feed(struct parse_debug1 *parser, const char *buf, size_t len,
                      struct lf_error *err)
{
    return linereader_feed(&parser->reader, buf, len, on_line, parser, err);
}

int parse_debug1_finish(struct parse_debug1 *parser, struct parse_info *info, struct lf_error *err)
{
    int rc = linereader_finish(&parser->reader, on_line, parser, err);
    if (rc != LF_OK)
        return rc; /* the reader refused it or a line failed: it is stopped already */
    int64_t last = linereader_line_no(&parser->reader);
    if (rc == LF_OK && parser->state == D1_RECORD)
        rc = emit(parser, err);
    if (rc == LF_OK && parser->state == D1_START)
        rc = lf_fail(err, LF_EINVAL, "line %lld: %s", (long long)(last == 0 ? 1 : last),
                     last == 0 ? "empty input" : "no 'goroutine profile: total N' header");
    if (rc != LF_OK)
        return linereader_fail(&parser->reader, rc);
    if (info != NULL) {
        info->format = PARSE_FORMAT_DEBUG1;
        info->leak_profile = parser->leak_profile;
        info->declared_total = parser->declared_total;
        info->goroutines = parser->goroutines;
        info->stacks = parser->stacks;
    }
    return LF_OK;
}
