/* utf8json.h - JSON strings from bytes that may not be UTF-8 (text columns an older
 * version stored, C strings from a config): jansson refuses such bytes and returns NULL,
 * which dropped keys and whole messages; these repair them to U+FFFD instead, so a NULL
 * means only that allocation failed. */
#ifndef LF_UTF8JSON_H
#define LF_UTF8JSON_H

#include <stddef.h>

#include <jansson.h>

/* A new JSON string of (p, len), ill-formed sequences replaced as by utf8_sanitize
 * (caller owns the reference); JSON null when p is NULL. NULL only when allocation
 * fails, never because of the bytes. */
json_t *utf8json_string(const char *p, size_t len);

/* utf8json_string of the C string s; JSON null when s is NULL. */
json_t *utf8json_cstr(const char *s);

#endif
