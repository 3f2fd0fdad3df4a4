/* fuzz_debug1.c - libFuzzer target of the debug=1 parser: each input is parsed whole, then
 * in three chunks cut where its first two bytes say; both runs must end with the same code
 * after emitting the same stacks (compared by a hash of every field the sink receives). */
#include <stdint.h>
#include <stdlib.h>

#include "parse_debug1.h"

static int hash_sink(void *ctx, const struct stack *s, struct lf_error *err)
{
    uint64_t *h = ctx;
    *h = str_hash(s->wait_reason,
                  *h * 31 + (uint64_t)s->count + (uint64_t)s->goroutine_id * 7 +
                          (uint64_t)s->wait_minutes +
                          (uint64_t)(s->leaked + 2 * s->locked_to_thread + 4 * s->truncated));
    for (size_t i = 0; i < s->n_frames; i++)
        *h = str_hash(s->frames[i].file,
                      str_hash(s->frames[i].function, *h) + (uint64_t)s->frames[i].line);
    for (size_t i = 0; i < s->n_labels; i++)
        *h = str_hash(s->labels[i].value, str_hash(s->labels[i].key, *h));
    return err == NULL ? LF_EINTERNAL : LF_OK;
}

static int run(const char *data, const size_t cuts[4], uint64_t *h)
{
    struct parse_limits limits = { .max_line_bytes = 4096, .max_frames = 16, .max_labels = 4 };
    struct lf_error err;
    struct parse_debug1 *parser = parse_debug1_create(&limits, hash_sink, h);
    int rc = parser == NULL ? LF_ENOMEM : LF_OK;
    for (int i = 0; i < 3 && rc == LF_OK; i++)
        rc = parse_debug1_feed(parser, data + cuts[i], cuts[i + 1] - cuts[i], &err);
    rc = rc != LF_OK ? rc : parse_debug1_finish(parser, NULL, &err);
    parse_debug1_free(parser);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t whole = STR_HASH_SEED, split = STR_HASH_SEED;
    size_t cut1 = size > 0 ? data[0] % (size + 1) : 0;
    size_t cut2 = size > 1 ? cut1 + data[1] % (size - cut1 + 1) : cut1;
    const size_t one[4] = { 0, size, size, size }, three[4] = { 0, cut1, cut2, size };
    if (run((const char *)data, one, &whole) != run((const char *)data, three, &split) ||
        whole != split)
        abort();
    return 0;
}
