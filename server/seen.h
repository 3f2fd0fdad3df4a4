/* seen.h - a bounded map from byte strings to two integers: what the writer thread knows
 * is already stored (a location's id with its attributes, a service's first and last
 * sighting of a location), so a push of known sites skips the look-ups that would find
 * nothing to change. The map is only a shortcut: cleared whole when full or when a
 * transaction rolls back, and every miss takes the full path. One thread only. */
#ifndef LF_SEEN_H
#define LF_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seen;

/* Returns a new map holding at most max_entries (caller frees with seen_free), or NULL. */
struct seen *seen_create(size_t max_entries);

/* true with *a and *b set when key (len bytes) is in the map. */
bool seen_get(const struct seen *seen, const void *key, size_t len, int64_t *a, int64_t *b);

/* Sets key to (a, b); when the map is full it is cleared first. Allocation failure just
 * leaves the key out. */
void seen_put(struct seen *seen, const void *key, size_t len, int64_t a, int64_t b);

/* Forgets everything. */
void seen_clear(struct seen *seen);

/* NULL does nothing. */
void seen_free(struct seen *seen);

#endif
