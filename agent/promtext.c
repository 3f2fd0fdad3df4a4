/* promtext.c - the Prometheus text exposition format, one line at a time, in place: a
 * sample's name and label values are views into the text (label values keep their
 * escapes until promtext_unescape), so parsing allocates only the label array, reused
 * from line to line. Cost: one pass over the text; a sample is checked against its own
 * earlier labels for duplicates, at most PROMTEXT_MAX_LABELS of them. Values go through
 * strtod, and the agent never calls setlocale, so '.' is the decimal point. */
#include "promtext.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define PROMTEXT_MAX_LABELS 1024 /* per sample; more is an error, not a truncation */
#define NUMBER_MAX          64   /* longest value or timestamp token */

struct parser {
    const char *line_start;
    const char *p;   /* the next byte of the line */
    const char *end; /* the end of the line, without its "\n" or "\r\n" */
    size_t line;
    struct promtext_label *labels;
    size_t cap_labels;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void skip_blanks(struct parser *ps)
{
    while (ps->p < ps->end && is_blank(*ps->p))
        ps->p++;
}

static int fail_at(const struct parser *ps, struct lf_error *err, const char *why)
{
    return lf_fail(err, LF_EINVAL, "line %zu column %zu: %s", ps->line,
                   (size_t)(ps->p - ps->line_start) + 1, why);
}

/* A metric name [a-zA-Z_:][a-zA-Z0-9_:]* or a label name [a-zA-Z_][a-zA-Z0-9_]*. */
static bool read_name(struct parser *ps, bool metric, struct str *out)
{
    const char *start = ps->p;
    while (ps->p < ps->end &&
           (is_letter(*ps->p) || (metric && *ps->p == ':') || (ps->p > start && is_digit(*ps->p))))
        ps->p++;
    *out = str_make(start, (size_t)(ps->p - start));
    return ps->p > start;
}

/* The bytes up to the next blank or the end of the line. */
static struct str read_token(struct parser *ps)
{
    const char *start = ps->p;
    while (ps->p < ps->end && !is_blank(*ps->p))
        ps->p++;
    return str_make(start, (size_t)(ps->p - start));
}

/* ---- comments, HELP and TYPE -------------------------------------------------------- */

static int parse_comment(struct parser *ps, struct lf_error *err)
{
    ps->p++; /* '#' */
    skip_blanks(ps);
    struct str word = read_token(ps);
    bool help = str_eq_cstr(word, "HELP");
    if (!help && !str_eq_cstr(word, "TYPE"))
        return LF_OK; /* a comment */
    skip_blanks(ps);
    struct str name;
    if (!read_name(ps, true, &name))
        return fail_at(ps, err,
                       help ? "expected a metric name after HELP"
                            : "expected a metric name after TYPE");
    if (ps->p < ps->end && !is_blank(*ps->p))
        return fail_at(ps, err, "bad character in a metric name");
    skip_blanks(ps);
    if (!help) {
        struct str type = read_token(ps);
        static const char *const types[] = { "counter", "gauge", "histogram", "summary",
                                             "untyped" };
        bool known = false;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            known = known || str_eq_cstr(type, types[i]);
        if (!known)
            return fail_at(ps, err, "expected counter, gauge, histogram, summary or untyped");
        skip_blanks(ps);
        if (ps->p < ps->end)
            return fail_at(ps, err, "unexpected text after the type");
        return LF_OK;
    }
    /* the docstring: any text, with \\ and \n as its only escapes */
    for (; ps->p < ps->end; ps->p++) {
        if (*ps->p != '\\')
            continue;
        if (ps->p + 1 >= ps->end || (ps->p[1] != '\\' && ps->p[1] != 'n'))
            return fail_at(ps, err, "invalid escape sequence in a HELP text (\\\\ and \\n only)");
        ps->p++;
    }
    return LF_OK;
}

/* ---- samples ------------------------------------------------------------------------ */

static int add_label(struct parser *ps, struct str name, struct str raw_value, size_t n,
                     struct lf_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (str_eq(ps->labels[i].name, name)) {
            ps->p = name.p;
            return fail_at(ps, err, "duplicate label name");
        }
    }
    if (n == PROMTEXT_MAX_LABELS) {
        ps->p = name.p;
        return fail_at(ps, err, "more than 1024 labels");
    }
    if (!LF_ALLOC_GROW(ps->labels, n + 1, ps->cap_labels, 16))
        return lf_fail(err, LF_ENOMEM, "line %zu: out of memory", ps->line);
    ps->labels[n].name = name;
    ps->labels[n].raw_value = raw_value;
    return LF_OK;
}

/* Reads {name="value", ...} (a trailing comma is fine) from the '{'. */
static int parse_labels(struct parser *ps, size_t *n_labels, struct lf_error *err)
{
    size_t n = 0;
    ps->p++; /* '{' */
    for (;;) {
        skip_blanks(ps);
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            break;
        }
        struct str name;
        if (!read_name(ps, false, &name))
            return fail_at(ps, err, "expected a label name");
        skip_blanks(ps);
        if (ps->p >= ps->end || *ps->p != '=')
            return fail_at(ps, err, "expected '=' after a label name");
        ps->p++;
        skip_blanks(ps);
        if (ps->p >= ps->end || *ps->p != '"')
            return fail_at(ps, err, "expected '\"' to open a label value");
        const char *start = ++ps->p;
        while (ps->p < ps->end && *ps->p != '"') {
            if (*ps->p != '\\') {
                ps->p++;
                continue;
            }
            if (ps->p + 1 >= ps->end) {
                ps->p = ps->end; /* a '\\' that ends the line escapes nothing */
                break;
            }
            if (ps->p[1] != '\\' && ps->p[1] != '"' && ps->p[1] != 'n')
                return fail_at(
                        ps, err,
                        "invalid escape sequence in a label value (\\\\, \\\" and \\n only)");
            ps->p += 2;
        }
        if (ps->p >= ps->end)
            return fail_at(ps, err, "label value not closed by '\"'");
        int rc = add_label(ps, name, str_make(start, (size_t)(ps->p - start)), n, err);
        if (rc != LF_OK)
            return rc;
        n++;
        ps->p++; /* the closing quote */
        skip_blanks(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            break;
        }
        return fail_at(ps, err, "expected ',' or '}' after a label");
    }
    *n_labels = n;
    return LF_OK;
}

/* Copies a number token into buf[NUMBER_MAX] as a C string; false when too long. */
static bool number_text(struct str token, char buf[NUMBER_MAX])
{
    if (token.len == 0 || token.len >= NUMBER_MAX)
        return false;
    memcpy(buf, token.p, token.len);
    buf[token.len] = '\0';
    return true;
}

static int parse_sample(struct parser *ps, promtext_sample_fn fn, void *ctx, struct lf_error *err)
{
    struct promtext_sample sample;
    memset(&sample, 0, sizeof(sample));
    sample.line = ps->line;
    if (!read_name(ps, true, &sample.name))
        return fail_at(ps, err, "expected a metric name");
    if (ps->p < ps->end && !is_blank(*ps->p) && *ps->p != '{')
        return fail_at(ps, err, "bad character in a metric name");
    skip_blanks(ps);
    if (ps->p < ps->end && *ps->p == '{') {
        int rc = parse_labels(ps, &sample.n_labels, err);
        if (rc != LF_OK)
            return rc;
        sample.labels = ps->labels;
        skip_blanks(ps);
    }
    char buf[NUMBER_MAX];
    const char *at = ps->p;
    struct str token = read_token(ps);
    if (token.len == 0)
        return fail_at(ps, err, "expected a value");
    char *end = NULL;
    errno = 0;
    sample.value = number_text(token, buf) ? strtod(buf, &end) : 0;
    if (end == NULL || end != buf + token.len || (errno == ERANGE && isinf(sample.value))) {
        ps->p = at;
        return fail_at(ps, err, "bad value (a float, NaN, +Inf or -Inf)");
    }
    skip_blanks(ps);
    if (ps->p < ps->end) {
        at = ps->p;
        token = read_token(ps);
        errno = 0;
        end = NULL;
        long long ts = number_text(token, buf) ? strtoll(buf, &end, 10) : 0;
        if (end == NULL || end != buf + token.len || errno == ERANGE) {
            ps->p = at;
            return fail_at(ps, err, "bad timestamp (integer milliseconds)");
        }
        sample.has_timestamp = true;
        sample.timestamp_ms = (int64_t)ts;
        skip_blanks(ps);
        if (ps->p < ps->end)
            return fail_at(ps, err, "unexpected text after the timestamp");
    }
    return fn(ctx, &sample, err);
}

int promtext_parse(const char *text, size_t len, promtext_sample_fn fn, void *ctx,
                   struct lf_error *err)
{
    struct parser ps;
    memset(&ps, 0, sizeof(ps));
    int rc = LF_OK;
    const char *pos = text;
    const char *stop = text + len;
    while (rc == LF_OK && pos < stop) {
        const char *nl = memchr(pos, '\n', (size_t)(stop - pos));
        const char *eol = nl != NULL ? nl : stop;
        if (eol > pos && eol[-1] == '\r')
            eol--;
        ps.line++;
        ps.line_start = pos;
        ps.p = pos;
        ps.end = eol;
        skip_blanks(&ps);
        if (ps.p == ps.end)
            rc = LF_OK; /* an empty line */
        else if (*ps.p == '#')
            rc = parse_comment(&ps, err);
        else
            rc = parse_sample(&ps, fn, ctx, err);
        pos = nl != NULL ? nl + 1 : stop;
    }
    lf_free(ps.labels);
    return rc;
}

const struct promtext_label *promtext_label(const struct promtext_sample *sample, const char *name)
{
    for (size_t i = 0; i < sample->n_labels; i++) {
        if (str_eq_cstr(sample->labels[i].name, name))
            return &sample->labels[i];
    }
    return NULL;
}

bool promtext_unescape(struct str raw, char *out, size_t size, size_t *out_len)
{
    size_t n = 0;
    bool fits = size > 0;
    for (size_t i = 0; fits && i < raw.len; i++) {
        char c = raw.p[i];
        if (c == '\\' && i + 1 < raw.len) {
            char e = raw.p[++i];
            c = e == 'n' ? '\n' : e;
        }
        if (n + 1 >= size) {
            fits = false;
            break;
        }
        out[n++] = c;
    }
    if (size > 0)
        out[n] = '\0';
    if (out_len != NULL)
        *out_len = n;
    return fits;
}
