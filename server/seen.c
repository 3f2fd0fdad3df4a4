/* seen.c - open hashing (hash.h) with chains; entries own a copy of their key. */
#include "seen.h"

#include <string.h>

#include "alloc.h"
#include "hash.h"

struct seen_entry {
    struct seen_entry *next;
    uint64_t hash;
    int64_t a, b;
    size_t len;
    unsigned char key[];
};

struct seen {
    struct seen_entry **buckets;
    size_t n_buckets; /* a power of two */
    size_t len, max;
};

static uint64_t hash_bytes(const void *key, size_t len)
{
    return hash_mix(key, len, UINT64_C(1469598103934665603));
}

struct seen *seen_create(size_t max_entries)
{
    struct seen *seen = lf_calloc(1, sizeof(*seen));
    if (!seen)
        return NULL;
    size_t n = 64;
    while (n < max_entries && n < ((size_t)1 << 24))
        n *= 2;
    seen->buckets = lf_calloc(n, sizeof(*seen->buckets));
    if (!seen->buckets) {
        lf_free(seen);
        return NULL;
    }
    seen->n_buckets = n;
    seen->max = max_entries > 0 ? max_entries : 1;
    return seen;
}

static struct seen_entry *find(const struct seen *seen, const void *key, size_t len, uint64_t hash)
{
    for (struct seen_entry *e = seen->buckets[hash & (seen->n_buckets - 1)]; e; e = e->next)
        if (e->hash == hash && e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    return NULL;
}

bool seen_get(const struct seen *seen, const void *key, size_t len, int64_t *a, int64_t *b)
{
    if (!seen)
        return false;
    const struct seen_entry *e = find(seen, key, len, hash_bytes(key, len));
    if (!e)
        return false;
    *a = e->a;
    *b = e->b;
    return true;
}

void seen_put(struct seen *seen, const void *key, size_t len, int64_t a, int64_t b)
{
    if (!seen)
        return;
    uint64_t hash = hash_bytes(key, len);
    struct seen_entry *e = find(seen, key, len, hash);
    if (e) {
        e->a = a;
        e->b = b;
        return;
    }
    if (seen->len >= seen->max)
        seen_clear(seen);
    e = lf_malloc(sizeof(*e) + len);
    if (!e)
        return;
    e->hash = hash;
    e->a = a;
    e->b = b;
    e->len = len;
    memcpy(e->key, key, len);
    size_t slot = hash & (seen->n_buckets - 1);
    e->next = seen->buckets[slot];
    seen->buckets[slot] = e;
    seen->len++;
}

void seen_clear(struct seen *seen)
{
    if (!seen)
        return;
    for (size_t i = 0; i < seen->n_buckets; i++) {
        struct seen_entry *e = seen->buckets[i];
        while (e) {
            struct seen_entry *next = e->next;
            lf_free(e);
            e = next;
        }
        seen->buckets[i] = NULL;
    }
    seen->len = 0;
}

void seen_free(struct seen *seen)
{
    if (!seen)
        return;
    seen_clear(seen);
    lf_free(seen->buckets);
    lf_free(seen);
}
