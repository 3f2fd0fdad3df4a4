/* arena.h - a bump allocator for per-profile and per-request memory: many small
 * allocations, freed together in one call. */
#ifndef LF_ARENA_H
#define LF_ARENA_H

#include <stddef.h>

#include "str.h"

struct arena_block;

struct arena {
    struct arena_block *head; /* newest block first */
    size_t used;              /* bytes handed out, for caps and reports */
    size_t cap;               /* 0 = no cap; past it allocations return NULL */
};

/* Initializes an empty arena; cap (0 for none) bounds the bytes it will hand out. */
void arena_init(struct arena *arena, size_t cap);

/* Frees every block; the arena is empty and reusable afterwards. */
void arena_release(struct arena *arena);

/* Returns size bytes aligned for any type, valid until arena_release, or NULL when
 * allocation fails or the cap would be passed. */
void *arena_alloc(struct arena *arena, size_t size);

/* Copies (p, len) into the arena with a trailing NUL; the view's p is NULL on failure
 * (len is 0 then). */
struct str arena_strdup(struct arena *arena, const char *p, size_t len);

#endif
