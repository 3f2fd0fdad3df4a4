/* utf8.h - UTF-8 as leakfleet keeps and sends it: a validity test, repair of ill-formed
 * bytes to U+FFFD, and cuts on character boundaries. Every string that enters from a
 * profile is repaired once, when the aggregate copies it (aggregate.c), so the store, the
 * API, the analyzer's output and webhooks see valid UTF-8 only; utf8json.h repairs again
 * on output, for rows an older version stored. No jansson here: the agent links it. */
#ifndef LF_UTF8_H
#define LF_UTF8_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* U+FFFD REPLACEMENT CHARACTER, which stands for every ill-formed sequence. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* True when (p, len) is well-formed UTF-8: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing past U+10FFFF, no sequence cut short. NUL bytes are valid.
 * The empty view is valid. */
bool utf8_valid(const char *p, size_t len);

/* The bytes utf8_sanitize writes for (p, len): len when it is valid, at most 3 * len. */
size_t utf8_sanitized_len(const char *p, size_t len);

/* Writes (p, len) to out with each maximal ill-formed subpart replaced by one U+FFFD
 * (Unicode's recommended practice, as Python's and WHATWG's decoders do: "\xe6\x97" cut
 * short is one U+FFFD, "\xff\xfe" two). out must hold utf8_sanitized_len(p, len) bytes
 * and may not overlap p; nothing is NUL-terminated. Returns the bytes written. */
size_t utf8_sanitize(const char *p, size_t len, char *out);

/* The length of the longest prefix of (p, len) of at most max bytes that does not end
 * inside a character: len when len <= max, else max less the 1 to 3 bytes of a character
 * that the cut at max would split. Reads only p[0..min(len, max)), so p may be a buffer
 * that a truncating snprintf filled with max bytes of a longer output of len. */
size_t utf8_cut(const char *p, size_t len, size_t max);

/* vsnprintf/snprintf that cut on a character boundary: when the output does not fit in
 * size bytes, it ends before the character that would have been split, never inside it
 * (so it may be up to 3 bytes shorter than size - 1). Returns what vsnprintf returns:
 * the untruncated length (>= size when cut) or -1. size must be > 0. */
int utf8_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
int utf8_snprintf(char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
