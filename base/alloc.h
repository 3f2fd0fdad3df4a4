/* alloc.h - the allocation functions every leakfleet module uses, so a test build can
 * make the Nth allocation fail and prove that every path cleans up. */
#ifndef LF_ALLOC_H
#define LF_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Like malloc/calloc/realloc/free, but may be made to fail by lf_alloc_fail_after().
 * lf_realloc(p, 0) frees p and returns NULL. lf_free(NULL) does nothing. */
void *lf_malloc(size_t size);
void *lf_calloc(size_t count, size_t size);
void *lf_realloc(void *ptr, size_t size);
void lf_free(void *ptr);

/* Grows the array that array_ptr points to (the address of a T *, with *cap items of
 * item_size bytes) so that it holds at least need items, as Git's ALLOC_GROW: to initial
 * items at first, then doubling, never past max items. Returns true when it holds need
 * items (nothing moves when it did already); false when need is over max, the size
 * overflows or allocation fails, with the array and *cap unchanged (still the caller's to
 * free). The T * is read and written as a void * (the same representation on every
 * platform leakfleet builds on). */
bool lf_alloc_grow(void *array_ptr, size_t *cap, size_t need, size_t initial, size_t max,
                   size_t item_size);

/* LF_ALLOC_GROW(array, need, cap, initial): lf_alloc_grow of the array pointer array
 * (an lvalue of type T *) and its capacity cap (a size_t lvalue), with no cap of its own. */
#define LF_ALLOC_GROW(array, need, cap, initial)                                                   \
    lf_alloc_grow(&(array), &(cap), (need), (initial), SIZE_MAX, sizeof(*(array)))

/* LF_ALLOC_GROW_MAX(array, need, cap, initial, max): LF_ALLOC_GROW never past max items. */
#define LF_ALLOC_GROW_MAX(array, need, cap, initial, max)                                          \
    lf_alloc_grow(&(array), &(cap), (need), (initial), (max), sizeof(*(array)))

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
