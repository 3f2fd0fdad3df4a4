/* recordbuf.h - the buffers the text parsers (parse_debug1, parse_debug2) hold one record
 * in while they read it: its text (functions, files, labels, reason) copied into one
 * growing buffer, its frames as offsets into that text (the buffer moves as it grows),
 * and the stack_frame array built from them when the record is emitted. Reused from
 * record to record, so memory grows with the deepest stack, never with the input. */
#ifndef LF_RECORDBUF_H
#define LF_RECORDBUF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "stack.h"
#include "str.h"

/* A frame as offsets into the text. */
struct recordbuf_frame {
    size_t function_off;
    size_t function_len;
    size_t file_off;
    size_t file_len;
    int64_t line;
};

/* Embedded in its parser; the fields are read (and text_len and n_frames set back) by it. */
struct recordbuf {
    const char *what; /* the record's name in errors: "record", "goroutine" */
    char *text;
    size_t text_len;
    size_t text_cap;
    size_t max_text; /* cap of text: 8 MiB plus two lines */
    struct recordbuf_frame *refs;
    size_t n_refs;
    size_t refs_cap;
    struct stack_frame *frames; /* built from refs by recordbuf_frames */
    size_t frames_cap;
};

/* Sets up an empty buffer for lines of up to max_line_bytes; what (a literal) names the
 * record in errors. Allocates nothing. */
void recordbuf_init(struct recordbuf *rb, const char *what, size_t max_line_bytes);

/* Frees what rb holds (it may be initialised again after). */
void recordbuf_release(struct recordbuf *rb);

/* Empties rb for the next record, keeping its memory. */
void recordbuf_clear(struct recordbuf *rb);

/* Makes room for len more bytes of text at rb->text + rb->text_len (the caller writes them
 * and adds len to text_len). LF_EINVAL "line N: WHAT text over M bytes" past max_text,
 * LF_ENOMEM "line N: out of memory". */
int recordbuf_reserve(struct recordbuf *rb, size_t len, int64_t line_no, struct lf_error *err);

/* Copies s to the text; *off receives its offset. Errors as recordbuf_reserve. */
int recordbuf_add_text(struct recordbuf *rb, struct str s, size_t *off, int64_t line_no,
                       struct lf_error *err);

/* Makes room for one more frame at rb->refs[rb->n_refs] (the caller fills it and adds one
 * to n_refs). LF_ENOMEM "line N: out of memory". */
int recordbuf_reserve_frame(struct recordbuf *rb, int64_t line_no, struct lf_error *err);

/* The view of (off, len) in the text: borrowed, valid until the text next grows. */
struct str recordbuf_str(const struct recordbuf *rb, size_t off, size_t len);

/* Builds rb->frames[0..n_refs) from the refs, borrowing the text (valid until the next
 * change to rb). LF_ENOMEM "line N: out of memory". */
int recordbuf_frames(struct recordbuf *rb, int64_t line_no, struct lf_error *err);

#endif
