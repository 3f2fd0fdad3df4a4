/* alloc.h - the allocation functions every leakfleet module uses, so a test build can
 * make the Nth allocation fail and prove that every path cleans up. */
#ifndef LF_ALLOC_H
#define LF_ALLOC_H

#include <stddef.h>

/* Like malloc/calloc/realloc/free, but may be made to fail by lf_alloc_fail_after().
 * lf_realloc(p, 0) frees p and returns NULL. lf_free(NULL) does nothing. */
void *lf_malloc(size_t size);
void *lf_calloc(size_t count, size_t size);
void *lf_realloc(void *ptr, size_t size);
void lf_free(void *ptr);

/* Returns a new NUL-terminated copy of (p, len) (caller frees with lf_free), or NULL
 * when allocation fails. */
char *lf_strndup(const char *p, size_t len);

/* Returns a new copy of the C string s (caller frees with lf_free), or NULL. */
char *lf_strdup(const char *s);

/* Tests only: the (n+1)th allocation from now on fails, and every one after it;
 * n < 0 switches failure injection off (the default). Not thread-safe by design. */
void lf_alloc_fail_after(long n);

/* Tests only: how many allocations have been attempted since the last
 * lf_alloc_fail_after(n) call with n >= 0 (nothing is counted while injection is off;
 * call lf_alloc_fail_after(LONG_MAX) to count without failing). */
long lf_alloc_count(void);

#endif
