/* fuzz_debug1.c - libFuzzer target of the debug=1 parser: each input is parsed whole, then
 * in three chunks cut where its first two bytes say, and both runs must agree (chunked.h). */
#include "parse_debug1.h"

#include "chunked.h"

static int run(const char *data, const size_t cuts[4], uint64_t *h)
{
    struct parse_limits limits = CHUNKED_LIMITS;
    struct lf_error err;
    struct parse_debug1 *parser = parse_debug1_create(&limits, chunked_sink, h);
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
    chunked_check(data, size, run);
    return 0;
}
