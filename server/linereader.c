/* linereader.c - line splitting over chunked input. Owns only the carry buffer for a
 * line split across chunks; it never interprets the bytes beyond removing the fixed
 * indentation of an embedded text. Cost: one memchr pass per
 * chunk, plus a copy of the bytes of lines that straddle a chunk boundary. */
#include "linereader.h"

#include <string.h>

#include "alloc.h"

#define LINEREADER_DEFAULT_MAX ((size_t)1 << 20)

void linereader_init(struct linereader *reader, size_t max_line_bytes)
{
    reader->max_line_bytes = max_line_bytes == 0 ? LINEREADER_DEFAULT_MAX : max_line_bytes;
    reader->line_no = 0;
    reader->indent_len = 0;
    reader->carry = NULL;
    reader->carry_len = 0;
    reader->carry_cap = 0;
    reader->failed = LF_OK;
    reader->finished = false;
}

bool linereader_embed(struct linereader *reader, int64_t lines_before, const char *indent,
                      size_t indent_len)
{
    if (indent_len > sizeof(reader->indent) || lines_before < 0)
        return false;
    reader->line_no = lines_before;
    if (indent_len > 0)
        memcpy(reader->indent, indent, indent_len);
    reader->indent_len = indent_len;
    return true;
}

void linereader_release(struct linereader *reader)
{
    lf_free(reader->carry);
    reader->carry = NULL;
    reader->carry_len = 0;
    reader->carry_cap = 0;
}

int64_t linereader_line_no(const struct linereader *reader)
{
    return reader->line_no;
}

static int too_long(struct linereader *reader, struct lf_error *err)
{
    return lf_fail(err, LF_EINVAL, "line %lld: longer than %zu bytes",
                   (long long)(reader->line_no + 1), reader->max_line_bytes);
}

/* Hands one complete line to fn, dropping a trailing "\r". */
static int deliver(struct linereader *reader, const char *p, size_t len, linereader_fn fn,
                   void *ctx, struct lf_error *err)
{
    if (len > 0 && p[len - 1] == '\r')
        len--;
    if (len > reader->max_line_bytes)
        return too_long(reader, err);
    reader->line_no++;
    if (reader->indent_len > 0) {
        /* the text's own lines carry the indentation; others are output around it */
        if (len < reader->indent_len || memcmp(p, reader->indent, reader->indent_len) != 0)
            return fn(ctx, str_make(p, 0), reader->line_no, err);
        p += reader->indent_len;
        len -= reader->indent_len;
    }
    return fn(ctx, str_make(p, len), reader->line_no, err);
}

/* Appends (p, len) to the carry, refusing to grow it past the line cap (+1 for a
 * possible "\r" that is dropped on delivery). */
static int carry_append(struct linereader *reader, const char *p, size_t len, struct lf_error *err)
{
    size_t limit = reader->max_line_bytes + 1;
    if (len > limit - reader->carry_len)
        return too_long(reader, err);
    size_t need = reader->carry_len + len;
    if (!LF_ALLOC_GROW_MAX(reader->carry, need, reader->carry_cap, 256, limit))
        return lf_fail(err, LF_ENOMEM, "line %lld: out of memory",
                       (long long)(reader->line_no + 1));
    if (len > 0)
        memcpy(reader->carry + reader->carry_len, p, len);
    reader->carry_len = need;
    return LF_OK;
}

static int feed_lines(struct linereader *reader, const char *buf, size_t len, linereader_fn fn,
                      void *ctx, struct lf_error *err)
{
    const char *p = buf;
    const char *end = buf + len;
    int rc;
    if (len == 0)
        return LF_OK;
    if (reader->carry_len > 0) {
        const char *nl = memchr(p, '\n', len);
        if (nl == NULL)
            return carry_append(reader, p, len, err);
        if ((rc = carry_append(reader, p, (size_t)(nl - p), err)) != LF_OK)
            return rc;
        size_t carried = reader->carry_len;
        reader->carry_len = 0;
        if ((rc = deliver(reader, reader->carry, carried, fn, ctx, err)) != LF_OK)
            return rc;
        p = nl + 1;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return carry_append(reader, p, (size_t)(end - p), err);
        if ((rc = deliver(reader, p, (size_t)(nl - p), fn, ctx, err)) != LF_OK)
            return rc;
        p = nl + 1;
    }
    return LF_OK;
}

static int finish_lines(struct linereader *reader, linereader_fn fn, void *ctx,
                        struct lf_error *err)
{
    if (reader->carry_len == 0)
        return LF_OK;
    size_t carried = reader->carry_len;
    reader->carry_len = 0;
    return deliver(reader, reader->carry, carried, fn, ctx, err);
}

/* LF_OK while more input may come; else the error that stopped the reader. */
static int refuse_after_end(const struct linereader *reader, struct lf_error *err)
{
    if (reader->failed != LF_OK)
        return lf_fail(err, reader->failed, "parser stopped by an earlier error");
    if (reader->finished)
        return lf_fail(err, LF_EINVAL, "input already finished");
    return LF_OK;
}

int linereader_feed(struct linereader *reader, const char *buf, size_t len, linereader_fn fn,
                    void *ctx, struct lf_error *err)
{
    int rc = refuse_after_end(reader, err);
    if (rc != LF_OK)
        return rc;
    rc = feed_lines(reader, buf, len, fn, ctx, err);
    return rc == LF_OK ? LF_OK : linereader_fail(reader, rc);
}

int linereader_finish(struct linereader *reader, linereader_fn fn, void *ctx, struct lf_error *err)
{
    int rc = refuse_after_end(reader, err);
    if (rc != LF_OK)
        return rc;
    rc = finish_lines(reader, fn, ctx, err);
    if (rc != LF_OK)
        return linereader_fail(reader, rc);
    reader->finished = true;
    return LF_OK;
}

int linereader_fail(struct linereader *reader, int code)
{
    if (reader->failed == LF_OK)
        reader->failed = code;
    return code;
}
