/* hash.h - the one non-cryptographic hash of in-memory keys (aggregation of stacks, the
 * writer's caches): a word at a time, since a byte-wise hash of keys that are mostly
 * function names and file paths cost more than the work the tables save. Not for
 * anything an attacker could aim collisions at beyond slowing one table down. */
#ifndef LF_HASH_H
#define LF_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Mixes len bytes at p into h and returns the new hash. */
static inline uint64_t hash_mix(const void *p, size_t len, uint64_t h)
{
    const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
    const unsigned char *b = p;
    size_t n = len;
    uint64_t w;
    for (; n >= 8; b += 8, n -= 8) {
        memcpy(&w, b, 8);
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    w = 0;
    if (n > 0)
        memcpy(&w, b, n);
    h = (h ^ w ^ (uint64_t)len) * k;
    return h ^ (h >> 29);
}

#endif
