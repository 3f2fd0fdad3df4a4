/* fuzz_parse.c - libFuzzer target of the parse front door (sniff, gunzip, every format):
 * the input is fed in two chunks cut where its last byte says, with the format sniffed. */
#include <stdint.h>

#include "parse.h"

static int read_all_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    (void)err;
    for (size_t i = 0; i < stack->n_frames; i++) {
        for (size_t j = 0; j < stack->frames[i].function.len; j++)
            *(unsigned *)ctx += (unsigned char)stack->frames[i].function.p[j];
    }
    return LF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parse_limits limits = { .max_decoded_bytes = 1 << 22, .max_frames = 64 };
    struct lf_error err;
    unsigned sum = 0;
    size_t cut = size > 0 ? data[size - 1] % (size + 1) : 0;
    struct parser *parser = parser_create(PARSE_FORMAT_AUTO, &limits, read_all_sink, &sum);
    if (parser != NULL && parser_feed(parser, (const char *)data, cut, &err) == LF_OK &&
        parser_feed(parser, (const char *)data + cut, size - cut, &err) == LF_OK)
        (void)parser_finish(parser, NULL, &err);
    parser_free(parser);
    return 0;
}
