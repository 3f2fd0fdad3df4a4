/* fuzz_rules.c - libFuzzer target for classifier rule files: rules_parse on arbitrary
 * bytes, then every parsed rule matched against a fixed stack. */
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lf_error err;
    struct rules *rules = rules_parse((const char *)data, size, "fuzz", &err);
    if (rules == NULL)
        return 0;
    struct stack_frame frames[] = {
        { STR_LIT("runtime.gopark"), STR_LIT("runtime/proc.go"), 363 },
        { STR_LIT("runtime.chansend1"), STR_LIT("runtime/chan.go"), 145 },
        { STR_LIT("main.nilSend"), STR_LIT("/srv/build/shop/main.go"), 23 },
    };
    struct stack stack = {
        .count = 2, .goroutine_id = -1, .wait_minutes = -1, .frames = frames, .n_frames = 3
    };
    (void)rules_classify(rules, &stack);
    stack.wait_reason = STR_LIT("chan send (nil chan)");
    (void)rules_classify(rules, &stack);
    rules_free(rules);
    return 0;
}
