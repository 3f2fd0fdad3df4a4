/* units.h - the one grammar of durations and sizes, used by the server's YAML, the HTTP
 * parameters, and the agent's flags and YAML alike (docs/config.md, "Durations and
 * sizes"). */
#ifndef LF_UNITS_H
#define LF_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a duration may be, for messages: "expected " UNITS_DURATION_EXPECTED. */
#define UNITS_DURATION_EXPECTED                                                                    \
    "a duration such as 90s, 500ms, 5m, 1h30m or 2d (units ms, s, m, h, d, w; a bare number is "   \
    "seconds)"

/* The same for values kept in whole seconds (HTTP parameters, most server settings). */
#define UNITS_SECONDS_EXPECTED                                                                     \
    "a whole number of seconds such as 90, 90s, 5m, 1h30m or 2d (units ms, s, m, h, d, w)"

/* What a size may be, for messages: "expected " UNITS_SIZE_EXPECTED. */
#define UNITS_SIZE_EXPECTED                                                                        \
    "a size such as 65536, 64K, 256M or 1G (units K, M, G: 1024, 1024^2, 1024^3)"

/* Parses len bytes of s as a duration in milliseconds: one or more parts of ASCII digits
 * followed by a unit, ms, s, m, h, d (24 h) or w (7 d), as in "1h30m" or "2s500ms"; or
 * digits alone, which are seconds ("90"). No sign, no blanks, no fractions. false on
 * anything else or when the total passes INT64_MAX; 0 is accepted (callers check
 * their range). */
bool units_duration_ms(const char *s, size_t len, int64_t *out_ms);

/* Parses len bytes of s as a size in bytes: ASCII digits, optionally followed by one
 * unit K (or k), M or G, binary (1K = 1024). No sign, no blanks. false on anything else
 * or when the value passes UINT64_MAX; 0 is accepted (callers check their range). */
bool units_size(const char *s, size_t len, uint64_t *out);

#endif
