/* error.c - formatting of struct lf_error. Owns nothing but the message buffer
 * inside the caller's struct; truncates rather than overflowing it, on a UTF-8
 * character boundary (messages quote input, and end up in JSON and logs). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

int lf_fail(struct lf_error *err, enum lf_code code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    utf8_vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void lf_error_prefix(struct lf_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char prefix[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    utf8_vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    /* assemble by hand: a truncated message is fine, a warning about it is not */
    char joined[sizeof(err->msg)];
    size_t prefix_len = strnlen(prefix, sizeof(prefix));
    size_t msg_len = strnlen(err->msg, sizeof(err->msg));
    size_t n = 0;
    for (size_t i = 0; i < prefix_len && n < sizeof(joined) - 1; i++)
        joined[n++] = prefix[i];
    for (size_t i = 0; i < 2 && n < sizeof(joined) - 1; i++)
        joined[n++] = ": "[i];
    for (size_t i = 0; i < msg_len && n < sizeof(joined) - 1; i++)
        joined[n++] = err->msg[i];
    if (prefix_len + 2 + msg_len > n)
        n = utf8_cut(joined, prefix_len + 2 + msg_len, n); /* cut: not inside a character */
    joined[n] = '\0';
    memcpy(err->msg, joined, n + 1);
}

void lf_error_clear(struct lf_error *err)
{
    if (err == NULL)
        return;
    err->code = LF_OK;
    err->msg[0] = '\0';
}

const char *lf_code_name(enum lf_code code)
{
    switch (code) {
    case LF_OK:
        return "ok";
    case LF_EINVAL:
        return "invalid";
    case LF_ENOMEM:
        return "out of memory";
    case LF_EIO:
        return "i/o error";
    case LF_ETOOBIG:
        return "too big";
    case LF_ENOTFOUND:
        return "not found";
    case LF_EAUTH:
        return "unauthorized";
    case LF_EFORBIDDEN:
        return "forbidden";
    case LF_ECONFLICT:
        return "conflict";
    case LF_EUSAGE:
        return "usage";
    case LF_EDB:
        return "database error";
    case LF_EUNAVAIL:
        return "unavailable";
    case LF_EINTERNAL:
        return "internal error";
    case LF_EMISMATCH:
        return "mismatch";
    }
    return "unknown error";
}
