/* fuzz_pyroscope_push.c - libFuzzer target of the Connect PushRequest decoders: the first
 * byte picks the codec (even: protobuf, odd: JSON), the rest is the body; every series'
 * labels go through pyroscope_identity and every profile's first sample type is read. */
#include <stdint.h>

#include "parse_pprof.h"
#include "parse_pyroscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *body = (const char *)data + 1;
    struct pyroscope_push push;
    struct lf_error err;
    int rc = data[0] % 2 == 0 ? pyroscope_push_decode(body, size - 1, &push, &err)
                              : pyroscope_push_decode_json(body, size - 1, &push, &err);
    for (size_t i = 0; rc == LF_OK && i < push.n_series; i++) {
        const struct pyroscope_series *s = &push.series[i];
        struct pyroscope_identity who;
        (void)pyroscope_identity(s->labels, s->n_labels, STR_LIT("app"), &who, &err);
        for (size_t k = 0; k < s->n_samples; k++) {
            struct str type, unit;
            int64_t nanos;
            if (parse_pprof_sample_type(s->samples[k].profile.p, s->samples[k].profile.len, &type,
                                        &unit, &nanos, &err) == LF_OK)
                (void)pyroscope_is_goroutine(type, unit);
        }
    }
    pyroscope_push_release(&push);
    return 0;
}
