/* arena.c - bump allocation in growing blocks. Blocks double up to 1 MiB; an
 * allocation larger than a block gets a block of its own. Nothing is freed singly. */
#include "arena.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

#define ARENA_FIRST_BLOCK 4096
#define ARENA_MAX_BLOCK   (1u << 20)
#define ARENA_ALIGN       16

struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(struct arena *arena, size_t cap)
{
    arena->head = NULL;
    arena->used = 0;
    arena->cap = cap;
}

void arena_release(struct arena *arena)
{
    struct arena_block *block = arena->head;
    while (block != NULL) {
        struct arena_block *next = block->next;
        lf_free(block);
        block = next;
    }
    arena->head = NULL;
    arena->used = 0;
}

void *arena_alloc(struct arena *arena, size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded == 0)
        rounded = ARENA_ALIGN;
    if (arena->cap != 0 && arena->used + rounded > arena->cap)
        return NULL;
    struct arena_block *block = arena->head;
    if (block == NULL || block->size - block->used < rounded) {
        size_t next_size = block == NULL ? ARENA_FIRST_BLOCK : block->size * 2;
        if (next_size > ARENA_MAX_BLOCK)
            next_size = ARENA_MAX_BLOCK;
        if (next_size < rounded)
            next_size = rounded;
        struct arena_block *fresh = lf_malloc(sizeof(*fresh) + next_size);
        if (fresh == NULL)
            return NULL;
        fresh->size = next_size;
        fresh->used = 0;
        if (block != NULL && rounded > block->size / 2 && block->size - block->used > rounded / 4) {
            /* a big allocation: keep filling the current block afterwards */
            fresh->next = block->next;
            block->next = fresh;
        } else {
            fresh->next = block;
            arena->head = fresh;
        }
        block = fresh;
    }
    void *p = block->data + block->used;
    block->used += rounded;
    arena->used += rounded;
    return p;
}

struct str arena_strdup(struct arena *arena, const char *p, size_t len)
{
    char *copy = arena_alloc(arena, len + 1);
    if (copy == NULL)
        return STR_NULL;
    if (len > 0)
        memcpy(copy, p, len);
    copy[len] = '\0';
    return str_make(copy, len);
}
