/* aggregate.c - locations of one profile in an open-addressing hash table keyed by
 * (op words, function, file, line). Each location and its representative stack live in
 * the aggregate's arena, copied once when the location is first seen; later stacks at
 * the same location cost a hash and a compare. Memory: O(unique locations).
 * Every string kept is valid UTF-8: bytes that are not are repaired to U+FFFD when
 * copied, and a key is stored repaired, so two names that differ only in invalid bytes
 * are one location (as they will be one row in the store). */
#include "aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "arena.h"
#include "utf8.h"

struct loc_entry {
    struct agg_location pub;
    uint64_t hash;
    size_t op_len, function_len, file_len;
};

struct aggregate {
    struct arena arena;
    struct loc_entry **slots; /* hash table, capacity a power of two, load <= 1/2 */
    size_t n_slots;
    struct loc_entry **order; /* every location, insertion order or sorted */
    size_t n_order, cap_order;
    int64_t goroutines;
    int64_t stacks;
    char *scratch; /* the repaired key of a stack whose key is not valid UTF-8 */
    size_t scratch_cap;
};

struct aggregate *aggregate_create(void)
{
    struct aggregate *agg = lf_calloc(1, sizeof(*agg));
    if (agg == NULL)
        return NULL;
    arena_init(&agg->arena, 0);
    agg->n_slots = 64;
    agg->slots = lf_calloc(agg->n_slots, sizeof(*agg->slots));
    if (agg->slots == NULL) {
        lf_free(agg);
        return NULL;
    }
    return agg;
}

void aggregate_free(struct aggregate *agg)
{
    if (agg == NULL)
        return;
    arena_release(&agg->arena);
    lf_free(agg->scratch);
    lf_free(agg->slots);
    lf_free(agg->order);
    lf_free(agg);
}

/* Hashes a word at a time (hash.h): the key is hashed once per stack, 250,000 times
 * for a large debug=2 dump. */
static uint64_t hash_bytes(struct str s, uint64_t h)
{
    return hash_mix(s.p, s.len, h);
}

static uint64_t key_hash(struct str op, struct str function, struct str file, int64_t line)
{
    uint64_t h = hash_bytes(op, STR_HASH_SEED);
    h = hash_bytes(function, h);
    h = hash_bytes(file, h);
    h = (h ^ (uint64_t)line) * UINT64_C(0x9e3779b97f4a7c15);
    return h ^ (h >> 31);
}

static bool entry_matches(const struct loc_entry *e, uint64_t hash, struct str op,
                          struct str function, struct str file, int64_t line)
{
    return e->hash == hash && e->pub.line == line &&
           str_eq(str_make(e->pub.op_text, e->op_len), op) &&
           str_eq(str_make(e->pub.function, e->function_len), function) &&
           str_eq(str_make(e->pub.file, e->file_len), file);
}

static int grow_slots(struct aggregate *agg)
{
    size_t n = agg->n_slots * 2;
    struct loc_entry **slots = lf_calloc(n, sizeof(*slots));
    if (slots == NULL)
        return LF_ENOMEM;
    for (size_t i = 0; i < agg->n_slots; i++) {
        struct loc_entry *e = agg->slots[i];
        if (e == NULL)
            continue;
        size_t j = (size_t)e->hash & (n - 1);
        while (slots[j] != NULL)
            j = (j + 1) & (n - 1);
        slots[j] = e;
    }
    lf_free(agg->slots);
    agg->slots = slots;
    agg->n_slots = n;
    return LF_OK;
}

/* A NUL-terminated copy of s in arena, repaired to valid UTF-8; .p is NULL when
 * allocation fails. */
static struct str copy_text(struct arena *arena, struct str s)
{
    if (utf8_valid(s.p, s.len))
        return arena_strdup(arena, s.p, s.len);
    size_t len = utf8_sanitized_len(s.p, s.len);
    char *copy = arena_alloc(arena, len + 1);
    if (copy == NULL)
        return STR_NULL;
    utf8_sanitize(s.p, s.len, copy);
    copy[len] = '\0';
    return str_make(copy, len);
}

/* Copies the stack into the arena as the location's representative. */
static int copy_stack(struct arena *arena, struct agg_location *loc, const struct stack *stack)
{
    if (stack->n_frames > 0) {
        struct stack_frame *frames = arena_alloc(arena, stack->n_frames * sizeof(*frames));
        if (frames == NULL)
            return LF_ENOMEM;
        for (size_t i = 0; i < stack->n_frames; i++) {
            frames[i].function = copy_text(arena, stack->frames[i].function);
            frames[i].file = copy_text(arena, stack->frames[i].file);
            frames[i].line = stack->frames[i].line;
            if (frames[i].function.p == NULL || frames[i].file.p == NULL)
                return LF_ENOMEM;
        }
        loc->frames = frames;
        loc->n_frames = stack->n_frames;
    }
    if (stack->n_labels > 0) {
        struct stack_label *labels = arena_alloc(arena, stack->n_labels * sizeof(*labels));
        if (labels == NULL)
            return LF_ENOMEM;
        for (size_t i = 0; i < stack->n_labels; i++) {
            labels[i].key = copy_text(arena, stack->labels[i].key);
            labels[i].value = copy_text(arena, stack->labels[i].value);
            if (labels[i].key.p == NULL || labels[i].value.p == NULL)
                return LF_ENOMEM;
        }
        loc->labels = labels;
        loc->n_labels = stack->n_labels;
    }
    if (stack->creator.function.len > 0) {
        loc->creator.function = copy_text(arena, stack->creator.function);
        loc->creator.file = copy_text(arena, stack->creator.file);
        loc->creator.line = stack->creator.line;
        if (loc->creator.function.p == NULL || loc->creator.file.p == NULL)
            return LF_ENOMEM;
    }
    loc->truncated = stack->truncated;
    return LF_OK;
}

/* Returns the new location keyed by (op, function, file, line), all valid UTF-8, or NULL
 * with err set. */
static struct loc_entry *add_location(struct aggregate *agg, uint64_t hash, const struct site *site,
                                      struct str op, struct str function, struct str file,
                                      int64_t line, const struct stack *stack, struct lf_error *err)
{
    if (agg->n_order >= AGGREGATE_MAX_LOCATIONS) {
        lf_fail(err, LF_ETOOBIG, "more than %zu blocked locations", AGGREGATE_MAX_LOCATIONS);
        return NULL;
    }
    if ((agg->n_order + 1) * 2 > agg->n_slots && grow_slots(agg) != LF_OK)
        goto out_nomem;
    if (!LF_ALLOC_GROW(agg->order, agg->n_order + 1, agg->cap_order, 64))
        goto out_nomem;
    struct loc_entry *e = arena_alloc(&agg->arena, sizeof(*e));
    if (e == NULL)
        goto out_nomem;
    memset(e, 0, sizeof(*e));
    e->hash = hash;
    e->op_len = op.len;
    e->function_len = function.len;
    e->file_len = file.len;
    e->pub.op = site->op;
    e->pub.op_text = arena_strdup(&agg->arena, op.p, op.len).p;
    e->pub.function = arena_strdup(&agg->arena, function.p, function.len).p;
    e->pub.file = arena_strdup(&agg->arena, file.p, file.len).p;
    e->pub.line = line;
    e->pub.max_wait_minutes = -1;
    if (e->pub.op_text == NULL || e->pub.function == NULL || e->pub.file == NULL ||
        copy_stack(&agg->arena, &e->pub, stack) != LF_OK)
        goto out_nomem;
    e->pub.site_frame = site->frame < stack->n_frames ? site->frame : e->pub.n_frames;
    size_t j = (size_t)hash & (agg->n_slots - 1);
    while (agg->slots[j] != NULL)
        j = (j + 1) & (agg->n_slots - 1);
    agg->slots[j] = e;
    agg->order[agg->n_order++] = e;
    return e;
out_nomem:
    lf_fail(err, LF_ENOMEM, "out of memory aggregating locations");
    return NULL;
}

static struct loc_entry *find_location(const struct aggregate *agg, uint64_t hash, struct str op,
                                       struct str function, struct str file, int64_t line)
{
    for (size_t j = (size_t)hash & (agg->n_slots - 1); agg->slots[j] != NULL;
         j = (j + 1) & (agg->n_slots - 1)) {
        if (entry_matches(agg->slots[j], hash, op, function, file, line))
            return agg->slots[j];
    }
    return NULL;
}

/* Repairs the key (op, function, file) into agg->scratch when any part is not valid
 * UTF-8; the views then point into the scratch (valid until the next call). */
static int repair_key(struct aggregate *agg, struct str *op, struct str *function, struct str *file)
{
    if (utf8_valid(op->p, op->len) && utf8_valid(function->p, function->len) &&
        utf8_valid(file->p, file->len))
        return LF_OK;
    size_t op_len = utf8_sanitized_len(op->p, op->len);
    size_t function_len = utf8_sanitized_len(function->p, function->len);
    size_t file_len = utf8_sanitized_len(file->p, file->len);
    size_t need = op_len + function_len + file_len;
    if (need > agg->scratch_cap) {
        char *grown = lf_realloc(agg->scratch, need);
        if (grown == NULL)
            return LF_ENOMEM;
        agg->scratch = grown;
        agg->scratch_cap = need;
    }
    char *p = agg->scratch;
    utf8_sanitize(op->p, op->len, p);
    utf8_sanitize(function->p, function->len, p + op_len);
    utf8_sanitize(file->p, file->len, p + op_len + function_len);
    *op = str_make(p, op_len);
    *function = str_make(p + op_len, function_len);
    *file = str_make(p + op_len + function_len, file_len);
    return LF_OK;
}

int aggregate_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    struct aggregate *agg = ctx;
    struct site site;
    classify_stack(stack, &site);
    struct str op = site.op_words, function = STR_NULL, file = STR_NULL;
    int64_t line = 0;
    if (site.frame < stack->n_frames) {
        function = stack->frames[site.frame].function;
        file = stack->frames[site.frame].file;
        line = stack->frames[site.frame].line;
    }
    uint64_t hash = key_hash(op, function, file, line);
    struct loc_entry *e = find_location(agg, hash, op, function, file, line);
    if (e == NULL) {
        /* Stored keys are valid UTF-8, so a key with invalid bytes never matches one
         * as it is: it is looked up again repaired, and a new location keeps it so. */
        struct str raw_op = op, raw_function = function, raw_file = file;
        if (repair_key(agg, &op, &function, &file) != LF_OK)
            return lf_fail(err, LF_ENOMEM, "out of memory aggregating locations");
        if (op.p != raw_op.p || function.p != raw_function.p || file.p != raw_file.p) {
            hash = key_hash(op, function, file, line);
            e = find_location(agg, hash, op, function, file, line);
        }
        if (e == NULL)
            e = add_location(agg, hash, &site, op, function, file, line, stack, err);
    }
    if (e == NULL)
        return err != NULL ? err->code : LF_ENOMEM;
    int64_t count = stack->count > 0 ? stack->count : 0;
    e->pub.count += count;
    e->pub.n_stacks++;
    if (stack->wait_minutes > e->pub.max_wait_minutes)
        e->pub.max_wait_minutes = stack->wait_minutes;
    e->pub.confirmed = e->pub.confirmed || stack->leaked;
    e->pub.locked_to_thread = e->pub.locked_to_thread || stack->locked_to_thread;
    agg->goroutines += count;
    agg->stacks++;
    return LF_OK;
}

static int compare_locations(const void *a, const void *b)
{
    const struct agg_location *x = &(*(struct loc_entry *const *)a)->pub;
    const struct agg_location *y = &(*(struct loc_entry *const *)b)->pub;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = strcmp(x->function, y->function);
    if (c != 0)
        return c;
    c = strcmp(x->file, y->file);
    if (c != 0)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->op_text, y->op_text);
}

void aggregate_sort(struct aggregate *agg)
{
    if (agg->n_order > 1)
        qsort(agg->order, agg->n_order, sizeof(*agg->order), compare_locations);
}

size_t aggregate_size(const struct aggregate *agg)
{
    return agg->n_order;
}

const struct agg_location *aggregate_at(const struct aggregate *agg, size_t i)
{
    return i < agg->n_order ? &agg->order[i]->pub : NULL;
}

int64_t aggregate_goroutines(const struct aggregate *agg)
{
    return agg->goroutines;
}

int64_t aggregate_stacks(const struct aggregate *agg)
{
    return agg->stacks;
}

void agg_location_stack(const struct agg_location *loc, struct stack *out)
{
    memset(out, 0, sizeof(*out));
    out->count = loc->count;
    out->goroutine_id = -1;
    out->wait_reason = loc->op == OP_UNKNOWN ? STR_NULL : str_from_cstr(loc->op_text);
    out->wait_minutes = loc->max_wait_minutes;
    out->locked_to_thread = loc->locked_to_thread;
    out->leaked = loc->confirmed;
    out->truncated = loc->truncated;
    out->frames = loc->frames;
    out->n_frames = loc->n_frames;
    out->labels = loc->labels;
    out->n_labels = loc->n_labels;
    out->creator = loc->creator;
}
