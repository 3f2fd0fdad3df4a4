/* file.c - reading a whole file, capped. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

int file_load(const char *path, size_t max, char **out, size_t *out_len, struct lf_error *err)
{
    *out = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lf_fail(err, errno == ENOENT ? LF_ENOTFOUND : LF_EIO, "%s", strerror(errno));
    int rc = LF_OK;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                rc = lf_fail(err, LF_ETOOBIG, "larger than %zu bytes", max);
                break;
            }
            /* one byte past max tells a file of max bytes from a larger one */
            cap = cap == 0 ? 16384 : cap * 2;
            if (cap > max + 1)
                cap = max + 1;
            char *grown = lf_realloc(buf, cap + 1);
            if (grown == NULL) {
                rc = lf_fail(err, LF_ENOMEM, "out of memory");
                break;
            }
            buf = grown;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = lf_fail(err, LF_EIO, "%s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (rc == LF_OK && len > max)
        rc = lf_fail(err, LF_ETOOBIG, "larger than %zu bytes", max);
    if (rc != LF_OK) {
        lf_free(buf);
        return rc;
    }
    if (buf == NULL && (buf = lf_malloc(1)) == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return LF_OK;
}
