/* textbuf.c - printf-style appends into one growing buffer. Each append formats in place
 * when it fits, else grows the buffer to fit and formats again: at most two passes. */
#include "textbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "alloc.h"

void textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2 && !t->failed; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p != NULL ? t->p + t->len : NULL, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            break;
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        if ((size_t)n >= SIZE_MAX - t->len ||
            !LF_ALLOC_GROW(t->p, t->len + (size_t)n + 1, t->cap, 4096))
            break;
    }
    /* not appended: a bad format, out of memory, or failed before */
    t->failed = true;
    if (t->p != NULL && t->len < t->cap)
        t->p[t->len] = '\0'; /* a cut-off pass may have written a part */
}
