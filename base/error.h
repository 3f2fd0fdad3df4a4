/* error.h - the one error type of leakfleet: a code and a message, caller-allocated. */
#ifndef LF_ERROR_H
#define LF_ERROR_H

#include <stddef.h>

/* Result codes. Functions that can fail return LF_OK (0) or one of these (negative).
 * They become outcomes in two tables only: HTTP status (server/http.c) and exit
 * status (server/main.c). */
enum lf_code {
    LF_OK = 0,
    LF_EINVAL = -1,     /* malformed input: 400, exit 1 */
    LF_ENOMEM = -2,     /* allocation failed: 500, exit 1 */
    LF_EIO = -3,        /* file or socket error: 500, exit 1 */
    LF_ETOOBIG = -4,    /* input over a configured cap: 413, exit 1 */
    LF_ENOTFOUND = -5,  /* no such thing: 404, exit 1 */
    LF_EAUTH = -6,      /* no or unknown credentials: 401 */
    LF_EFORBIDDEN = -7, /* credentials not good for this: 403 */
    LF_ECONFLICT = -8,  /* state does not allow it: 409 */
    LF_EUSAGE = -9,     /* bad command-line usage: exit 2 */
    LF_EDB = -10,       /* database error: 500 */
    LF_EUNAVAIL = -11,  /* temporarily unable (disk full, shutting down): 503 */
    LF_EINTERNAL = -12, /* programmer error that was caught: 500 */
    LF_EMISMATCH = -13, /* contradicts an earlier request under the same key: 422 */
};

struct lf_error {
    enum lf_code code;
    char msg[256];
};

/* Sets err (which may be NULL) to code and the formatted message; returns code, so a
 * failure is one line: `rc = lf_fail(err, LF_EINVAL, "bad '%s'", x); goto out;`.
 * Messages are lower case without a final period. */
int lf_fail(struct lf_error *err, enum lf_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prepends a context prefix and ": " to err->msg (err may be NULL: nothing is done).
 * Returns nothing: the caller returns the code it already holds, which a NULL err
 * cannot tell. */
void lf_error_prefix(struct lf_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Resets err to LF_OK with an empty message. */
void lf_error_clear(struct lf_error *err);

/* A short, stable name for a code ("invalid", "too big", ...); never NULL. */
const char *lf_code_name(enum lf_code code);

#endif
