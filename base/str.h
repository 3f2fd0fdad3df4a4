/* str.h - byte-range views. Strings from the wire are (ptr, len) views, never assumed
 * NUL-terminated or valid UTF-8; they are converted at the edges (jansson, SQL binds). */
#ifndef LF_STR_H
#define LF_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str {
    const char *p;
    size_t len;
};

#define STR_LIT(s) ((struct str){ (s), sizeof(s) - 1 })
#define STR_NULL   ((struct str){ NULL, 0 })

/* A view of the C string s (NULL gives the empty view). */
struct str str_from_cstr(const char *s);

/* A view of (p, len). */
struct str str_make(const char *p, size_t len);

bool str_eq(struct str a, struct str b);
bool str_eq_cstr(struct str a, const char *s);
bool str_has_prefix(struct str s, struct str prefix);
bool str_has_prefix_cstr(struct str s, const char *prefix);
bool str_has_suffix_cstr(struct str s, const char *suffix);
bool str_is_empty(struct str s);

/* Parses a whole view as a decimal integer (an optional '-' then digits); returns
 * false on anything else, an empty view, or overflow. */
bool str_to_int64(struct str s, int64_t *out);

/* A 64-bit FNV-1a hash of the bytes, continued from seed (start with STR_HASH_SEED). */
#define STR_HASH_SEED UINT64_C(14695981039346656037)
uint64_t str_hash(struct str s, uint64_t seed);

/* Copies s into buf as a NUL-terminated string, truncating to at most size-1 bytes on a
 * UTF-8 character boundary (utf8_cut); returns false when it had to truncate. size must
 * be > 0. */
bool str_copy_to(struct str s, char *buf, size_t size);

#endif
