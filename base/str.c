/* str.c - comparisons, hashing and integer parsing over (ptr, len) views. Never reads
 * past len and never needs a terminating NUL. */
#include "str.h"

#include <string.h>

#include "utf8.h"

struct str str_from_cstr(const char *s)
{
    struct str view = { s, s == NULL ? 0 : strlen(s) };
    return view;
}

struct str str_make(const char *p, size_t len)
{
    struct str view = { p, len };
    return view;
}

bool str_eq(struct str a, struct str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool str_eq_cstr(struct str a, const char *s)
{
    return str_eq(a, str_from_cstr(s));
}

bool str_has_prefix(struct str s, struct str prefix)
{
    return s.len >= prefix.len && (prefix.len == 0 || memcmp(s.p, prefix.p, prefix.len) == 0);
}

bool str_has_prefix_cstr(struct str s, const char *prefix)
{
    return str_has_prefix(s, str_from_cstr(prefix));
}

bool str_has_suffix_cstr(struct str s, const char *suffix)
{
    size_t len = strlen(suffix);
    return s.len >= len && (len == 0 || memcmp(s.p + s.len - len, suffix, len) == 0);
}

bool str_is_empty(struct str s)
{
    return s.len == 0;
}

bool str_to_int64(struct str s, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    if (s.len > 0 && s.p[0] == '-') {
        negative = true;
        i = 1;
    }
    if (i == s.len)
        return false;
    uint64_t value = 0;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.len; i++) {
        char c = s.p[i];
        if (c < '0' || c > '9')
            return false;
        uint64_t digit = (uint64_t)(c - '0');
        if (value > (limit - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    if (negative)
        *out = value == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)value;
    else
        *out = (int64_t)value;
    return true;
}

uint64_t str_hash(struct str s, uint64_t seed)
{
    uint64_t hash = seed;
    for (size_t i = 0; i < s.len; i++) {
        hash ^= (unsigned char)s.p[i];
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

bool str_copy_to(struct str s, char *buf, size_t size)
{
    size_t n = utf8_cut(s.p, s.len, size - 1);
    if (n > 0)
        memcpy(buf, s.p, n);
    buf[n] = '\0';
    return n == s.len;
}
