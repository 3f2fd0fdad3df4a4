/* fuzz_promtext.c - libFuzzer target for a target's /metrics body: promtext_parse with
 * every label value unescaped, then target_meta_parse, whose kept values must be usable
 * (they go on the wire and into log lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"
#include "target_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_sample(void *ctx, const struct promtext_sample *sample, struct lf_error *err)
{
    (void)err;
    size_t *total = ctx;
    char value[64];
    for (size_t i = 0; i < sample->n_labels; i++) {
        size_t len = 0;
        promtext_unescape(sample->labels[i].raw_value, value, sizeof(value), &len);
        *total += len + (promtext_label(sample, "version") != NULL);
    }
    return LF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lf_error err;
    size_t total = 0;
    (void)promtext_parse((const char *)data, size, on_sample, &total, &err);
    struct target_meta meta;
    if (target_meta_parse((const char *)data, size, &meta, &err) != LF_OK)
        return 0;
    if ((meta.version[0] != '\0' && !target_meta_version_ok(meta.version, strlen(meta.version))) ||
        (meta.go_version[0] != '\0' &&
         !target_meta_version_ok(meta.go_version, strlen(meta.go_version))) ||
        meta.started < 0 || (meta.started == 0) != (meta.start_seconds == 0))
        abort();
    return 0;
}
