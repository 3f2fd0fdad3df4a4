/* alloc.c - thin wrappers over the C allocator with optional failure injection.
 * The counters are plain globals: failure injection is for single-threaded unit
 * tests; with it off (the default) the only cost is one branch. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static long fail_after = -1;
static long attempts;

static int should_fail(void)
{
    if (fail_after < 0)
        return 0;
    return attempts++ >= fail_after;
}

void *lf_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size == 0 ? 1 : size);
}

void *lf_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    if (count == 0 || size == 0)
        return calloc(1, 1);
    return calloc(count, size);
}

void *lf_realloc(void *ptr, size_t size)
{
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (should_fail())
        return NULL;
    return realloc(ptr, size);
}

void lf_free(void *ptr)
{
    free(ptr);
}

bool lf_alloc_grow(void *array_ptr, size_t *cap, size_t need, size_t initial, size_t max,
                   size_t item_size)
{
    if (need <= *cap)
        return true;
    size_t limit = SIZE_MAX / item_size;
    if (max < limit)
        limit = max;
    if (need > limit)
        return false;
    size_t grown = *cap == 0 ? initial : *cap;
    if (grown == 0)
        grown = 1;
    while (grown < need)
        grown = grown > limit / 2 ? limit : grown * 2;
    if (grown > limit)
        grown = limit;
    void *array;
    memcpy(&array, array_ptr, sizeof(array));
    void *moved = lf_realloc(array, grown * item_size);
    if (moved == NULL)
        return false;
    memcpy(array_ptr, &moved, sizeof(moved));
    *cap = grown;
    return true;
}

char *lf_strndup(const char *p, size_t len)
{
    char *copy = lf_malloc(len + 1);
    if (copy == NULL)
        return NULL;
    if (len > 0)
        memcpy(copy, p, len);
    copy[len] = '\0';
    return copy;
}

char *lf_strdup(const char *s)
{
    return lf_strndup(s, strlen(s));
}

void lf_alloc_fail_after(long n)
{
    fail_after = n;
    attempts = 0;
}

long lf_alloc_count(void)
{
    return attempts;
}
