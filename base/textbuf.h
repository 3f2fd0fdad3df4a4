/* textbuf.h - text built by printf-style appends into one growing buffer, for the
 * Prometheus expositions of the server and the agent. A failed append (out of memory, a
 * bad format) marks the buffer failed and every later append does nothing, so a caller
 * checks once, at the end. */
#ifndef LF_TEXTBUF_H
#define LF_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialised is empty. p (lf_malloc'd, NULL while nothing was appended) holds len
 * bytes and a NUL, in cap bytes; the caller frees p with lf_free, or takes it over. */
struct textbuf {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
};

/* Appends the printf output of fmt to t, growing it (doubling, 4 KiB first); on failure
 * sets t->failed and leaves the text as it was. Nothing once t->failed is set. */
void textbuf_printf(struct textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
