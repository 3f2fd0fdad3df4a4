/* chunked.h - what the fuzz targets of the streaming text parsers (fuzz_debug1,
 * fuzz_debug2) share: each input is parsed whole, then in three chunks cut where its first
 * two bytes say; both runs must end with the same code after emitting the same stacks
 * (compared by a hash of every field the sink receives). Header-only: each target includes
 * it once and defines only how its parser runs. */
#ifndef LF_FUZZ_CHUNKED_H
#define LF_FUZZ_CHUNKED_H

#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "stack.h"
#include "str.h"

/* Parses data in the three chunks [cuts[0], cuts[1]), [cuts[1], cuts[2]), [cuts[2],
 * cuts[3]) with chunked_sink and h as its sink, and returns the parser's final code. */
typedef int (*chunked_run_fn)(const char *data, const size_t cuts[4], uint64_t *h);

/* The limits both runs parse with: small, so the fuzzer reaches every cap. */
#define CHUNKED_LIMITS                                                                             \
    {                                                                                              \
        .max_line_bytes = 4096, .max_frames = 16, .max_labels = 4                                  \
    }

/* A stack sink that folds every field of each stack into the uint64_t at ctx. */
static int chunked_sink(void *ctx, const struct stack *s, struct lf_error *err)
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

/* Runs the input whole and in three chunks; aborts (a finding) when the two runs differ. */
static void chunked_check(const uint8_t *data, size_t size, chunked_run_fn run)
{
    uint64_t whole = STR_HASH_SEED, split = STR_HASH_SEED;
    size_t cut1 = size > 0 ? data[0] % (size + 1) : 0;
    size_t cut2 = size > 1 ? cut1 + data[1] % (size - cut1 + 1) : cut1;
    const size_t one[4] = { 0, size, size, size }, three[4] = { 0, cut1, cut2, size };
    if (run((const char *)data, one, &whole) != run((const char *)data, three, &split) ||
        whole != split)
        abort();
}

#endif
