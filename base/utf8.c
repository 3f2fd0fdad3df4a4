/* utf8.c - UTF-8 validity, repair and cutting over (ptr, len) views. One decoder of the
 * well-formed byte sequences of Unicode's table 3-7 serves all of them; ASCII runs are
 * tested a word at a time, so checking a name costs about as much as hashing it. Never
 * reads past len. */
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REPLACEMENT_LEN 3

/* The length of the well-formed sequence at p[0..len) (1 to 4), or 0 when it is
 * ill-formed; then *subpart gets the length of its maximal subpart (at least 1): the
 * lead byte and the continuation bytes that could still have begun a valid sequence. */
static size_t sequence(const unsigned char *p, size_t len, size_t *subpart)
{
    unsigned char c = p[0];
    *subpart = 1;
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0; /* overlong below U+0800 */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates U+D800..U+DFFF */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1 (overlong ASCII) or F5..FF */
    }
    size_t i = 1;
    for (; i <= need && i < len; i++) {
        unsigned char b = p[i];
        if (i == 1 ? (b < lo || b > hi) : (b & 0xc0) != 0x80)
            break;
    }
    if (i == need + 1)
        return i;
    *subpart = i;
    return 0;
}

/* Bytes at p[0..len) below 0x80, a word at a time. */
static size_t ascii_prefix(const unsigned char *p, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if ((w & UINT64_C(0x8080808080808080)) != 0)
            break;
    }
    while (i < len && p[i] < 0x80)
        i++;
    return i;
}

bool utf8_valid(const char *p, size_t len)
{
    if (len == 0)
        return true; /* p may be NULL */
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < len) {
        i += ascii_prefix(u + i, len - i);
        if (i == len)
            break;
        size_t subpart;
        size_t n = sequence(u + i, len - i, &subpart);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t utf8_sanitized_len(const char *p, size_t len)
{
    if (len == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0, out = 0;
    while (i < len) {
        size_t ascii = ascii_prefix(u + i, len - i);
        i += ascii;
        out += ascii;
        if (i == len)
            break;
        size_t subpart;
        size_t n = sequence(u + i, len - i, &subpart);
        out += n > 0 ? n : REPLACEMENT_LEN;
        i += n > 0 ? n : subpart;
    }
    return out;
}

size_t utf8_sanitize(const char *p, size_t len, char *out)
{
    if (len == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t ascii = ascii_prefix(u + i, len - i);
        memcpy(out + o, p + i, ascii);
        i += ascii;
        o += ascii;
        if (i == len)
            break;
        size_t subpart;
        size_t n = sequence(u + i, len - i, &subpart);
        if (n > 0) {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, UTF8_REPLACEMENT, REPLACEMENT_LEN);
            o += REPLACEMENT_LEN;
            i += subpart;
        }
    }
    return o;
}

/* len less a character at the end of p[0..len) that is cut short: the last lead byte
 * within the last 4 bytes whose sequence needs more bytes than are left. */
static size_t drop_partial_tail(const unsigned char *p, size_t len)
{
    for (size_t back = 1; back <= 4 && back <= len; back++) {
        unsigned char c = p[len - back];
        if ((c & 0xc0) == 0x80)
            continue; /* a continuation byte: look further back */
        size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return want > back ? len - back : len;
    }
    return len;
}

size_t utf8_cut(const char *p, size_t len, size_t max)
{
    if (len <= max)
        return len;
    return drop_partial_tail((const unsigned char *)p, max);
}

int utf8_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, size, fmt, ap);
    if (n >= 0 && (size_t)n >= size) {
        size_t kept = drop_partial_tail((const unsigned char *)buf, size - 1);
        buf[kept] = '\0';
    }
    return n;
}

int utf8_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = utf8_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
