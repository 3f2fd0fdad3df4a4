/* fuzz_debug2.c - libFuzzer target of the debug=2 parser: each input is parsed whole, then
 * in three chunks cut where its first two bytes say, and both runs must agree (chunked.h). */
#include "parse_debug2.h"

#include "chunked.h"

static int run(const char *data, const size_t cuts[4], uint64_t *h)
{
    struct parse_limits limits = CHUNKED_LIMITS;
    struct lf_error err;
    struct parse_debug2 *parser = parse_debug2_create(&limits, chunked_sink, h);
    int rc = parser == NULL ? LF_ENOMEM : LF_OK;
    for (int i = 0; i < 3 && rc == LF_OK; i++)
        rc = parse_debug2_feed(parser, data + cuts[i], cuts[i + 1] - cuts[i], &err);
    rc = rc != LF_OK ? rc : parse_debug2_finish(parser, NULL, &err);
    parse_debug2_free(parser);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    chunked_check(data, size, run);
    return 0;
}
