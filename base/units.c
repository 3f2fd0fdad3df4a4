/* units.c - durations ("1h30m", "500ms", "90") and sizes ("64M"): one grammar for every
 * place that reads them, so a value that works as a flag works in a file and in a URL.
 * Overflow is an error, never a wrap; nothing is allocated. */
#include "units.h"

/* Reads ASCII digits at s[*i..len) into *out; false when there are none or they overflow. */
static bool read_digits(const char *s, size_t len, size_t *i, uint64_t *out)
{
    size_t start = *i;
    uint64_t value = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        uint64_t digit = (uint64_t)(s[*i] - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
        (*i)++;
    }
    *out = value;
    return *i > start;
}

bool units_duration_ms(const char *s, size_t len, int64_t *out_ms)
{
    uint64_t total = 0;
    size_t i = 0;
    if (s == NULL || len == 0)
        return false;
    while (i < len) {
        size_t start = i;
        uint64_t value = 0, scale = 0;
        if (!read_digits(s, len, &i, &value))
            return false;
        if (i == len) {
            if (start != 0)
                return false; /* "1h30": digits alone only as the whole value */
            scale = 1000;
        } else if (s[i] == 'm' && i + 1 < len && s[i + 1] == 's') {
            scale = 1;
            i++;
        } else if (s[i] == 's') {
            scale = 1000;
        } else if (s[i] == 'm') {
            scale = 60 * 1000;
        } else if (s[i] == 'h') {
            scale = 3600 * 1000;
        } else if (s[i] == 'd') {
            scale = 86400 * 1000;
        } else if (s[i] == 'w') {
            scale = 7 * 86400 * 1000;
        } else {
            return false;
        }
        if (i < len)
            i++;
        if (value > (uint64_t)INT64_MAX / scale || total > (uint64_t)INT64_MAX - value * scale)
            return false;
        total += value * scale;
    }
    *out_ms = (int64_t)total;
    return true;
}

bool units_size(const char *s, size_t len, uint64_t *out)
{
    size_t i = 0;
    uint64_t value = 0;
    if (s == NULL || !read_digits(s, len, &i, &value))
        return false;
    unsigned shift = 0;
    if (i + 1 == len && (s[i] == 'K' || s[i] == 'k'))
        shift = 10;
    else if (i + 1 == len && s[i] == 'M')
        shift = 20;
    else if (i + 1 == len && s[i] == 'G')
        shift = 30;
    else if (i != len)
        return false;
    if (value > (UINT64_MAX >> shift))
        return false;
    *out = value << shift;
    return true;
}
