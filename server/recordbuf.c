/* recordbuf.c - one record's text and frames for the text parsers. The text grows by
 * doubling from 4 KiB up to max_text, which caps a record far above any real stack
 * (1024 frames take ~200 KiB) although max_frames lines of max_line_bytes could take
 * gigabytes; the frame offsets and the frame array grow with the deepest stack. */
#include "recordbuf.h"

#include <string.h>

#include "alloc.h"

void recordbuf_init(struct recordbuf *rb, const char *what, size_t max_line_bytes)
{
    memset(rb, 0, sizeof(*rb));
    rb->what = what;
    rb->max_text = ((size_t)8 << 20) + 2 * max_line_bytes;
}

void recordbuf_release(struct recordbuf *rb)
{
    lf_free(rb->text);
    lf_free(rb->refs);
    lf_free(rb->frames);
}

void recordbuf_clear(struct recordbuf *rb)
{
    rb->text_len = 0;
    rb->n_refs = 0;
}

static int oom(int64_t line_no, struct lf_error *err)
{
    return lf_fail(err, LF_ENOMEM, "line %lld: out of memory", (long long)line_no);
}

int recordbuf_reserve(struct recordbuf *rb, size_t len, int64_t line_no, struct lf_error *err)
{
    if (len <= rb->text_cap - rb->text_len)
        return LF_OK;
    if (len > rb->max_text - rb->text_len)
        return lf_fail(err, LF_EINVAL, "line %lld: %s text over %zu bytes", (long long)line_no,
                       rb->what, rb->max_text);
    if (!lf_alloc_grow(&rb->text, &rb->text_cap, rb->text_len + len, 4096, rb->max_text, 1))
        return oom(line_no, err);
    return LF_OK;
}

int recordbuf_add_text(struct recordbuf *rb, struct str s, size_t *off, int64_t line_no,
                       struct lf_error *err)
{
    int rc = recordbuf_reserve(rb, s.len, line_no, err);
    if (rc != LF_OK)
        return rc;
    *off = rb->text_len;
    if (s.len > 0)
        memcpy(rb->text + rb->text_len, s.p, s.len);
    rb->text_len += s.len;
    return LF_OK;
}

int recordbuf_reserve_frame(struct recordbuf *rb, int64_t line_no, struct lf_error *err)
{
    if (!LF_ALLOC_GROW(rb->refs, rb->n_refs + 1, rb->refs_cap, 64))
        return oom(line_no, err);
    return LF_OK;
}

struct str recordbuf_str(const struct recordbuf *rb, size_t off, size_t len)
{
    return str_make(rb->text + off, len);
}

int recordbuf_frames(struct recordbuf *rb, int64_t line_no, struct lf_error *err)
{
    if (rb->n_refs > rb->frames_cap) {
        size_t cap = rb->n_refs < 64 ? 64 : rb->n_refs;
        struct stack_frame *grown = lf_realloc(rb->frames, cap * sizeof(*grown));
        if (grown == NULL)
            return oom(line_no, err);
        rb->frames = grown;
        rb->frames_cap = cap;
    }
    for (size_t i = 0; i < rb->n_refs; i++) {
        const struct recordbuf_frame *ref = &rb->refs[i];
        rb->frames[i].function = recordbuf_str(rb, ref->function_off, ref->function_len);
        rb->frames[i].file = recordbuf_str(rb, ref->file_off, ref->file_len);
        rb->frames[i].line = ref->line;
    }
    return LF_OK;
}
