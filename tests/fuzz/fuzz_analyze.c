/* fuzz_analyze.c - libFuzzer target of the analyze pipeline behind the parsers: any
 * profile the front door accepts goes through classify, aggregate and the JSON report
 * (with --stacks: representative stacks, created-by frames, the crash message). */
#include <stdlib.h>

#include "aggregate.h"
#include "parse.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parse_limits limits = { .max_decoded_bytes = 1 << 22, .max_frames = 64 };
    const char *roots[] = { "main.", "/srv/build/shop/" };
    struct attributor *attributor = attributor_create(roots, 2, NULL);
    struct aggregate *agg = aggregate_create();
    struct lf_error err;
    struct parse_info info;
    if (attributor != NULL && agg != NULL &&
        parse_buffer(PARSE_FORMAT_AUTO, (const char *)data, size, &limits, aggregate_sink, agg,
                     &info, &err) == LF_OK) {
        aggregate_sort(agg);
        /* with the stacks and the crash message: every string of the input reaches it */
        struct report_options options = { .format = "fuzz",
                                          .goroutines = aggregate_goroutines(agg),
                                          .min_count = 1,
                                          .attributor = attributor,
                                          .stacks = true,
                                          .crash = info.crash };
        json_t *json = report_json(agg, &options, &err);
        free(json_dumps(json, JSON_COMPACT));
        json_decref(json);
    }
    aggregate_free(agg);
    attributor_free(attributor);
    return 0;
}
