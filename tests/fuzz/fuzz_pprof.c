/* fuzz_pprof.c - libFuzzer target of the pprof protobuf parser, fed a gunzipped Profile
 * message; the sink reads every byte of every view it gets. */
#include <stdint.h>

#include "parse_pprof.h"

static int read_all_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    (void)err;
    unsigned *sum = ctx;
    for (size_t i = 0; i < stack->n_frames; i++) {
        for (size_t j = 0; j < stack->frames[i].function.len; j++)
            *sum += (unsigned char)stack->frames[i].function.p[j];
        for (size_t j = 0; j < stack->frames[i].file.len; j++)
            *sum += (unsigned char)stack->frames[i].file.p[j];
    }
    return LF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parse_limits limits = { .max_frames = 64, .max_labels = 4 };
    struct lf_error err;
    unsigned sum = 0;
    (void)parse_pprof_sniff((const char *)data, size);
    (void)parse_pprof((const char *)data, size, &limits, read_all_sink, &sum, NULL, &err);
    return 0;
}
