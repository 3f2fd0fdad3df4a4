/* fuzz_codeowners.c - libFuzzer target for CODEOWNERS parsing and matching: the input is
 * parsed as a file, then its first 64 words are looked up as paths (O(rules) each). */
#include <stdint.h>
#include <string.h>

#include "codeowners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct codeowners *co = codeowners_parse((const char *)data, size, NULL);
    if (co == NULL)
        return 0;
    char path[512];
    size_t start = 0, lookups = 0;
    for (size_t i = 0; i <= size && start < size && lookups < 64; i++) {
        if (i < size && data[i] != '\n' && data[i] != ' ')
            continue;
        size_t len = i - start < sizeof(path) - 1 ? i - start : sizeof(path) - 1;
        memcpy(path, data + start, len);
        path[len] = '\0';
        codeowners_match(co, path);
        lookups++;
        start = i + 1;
    }
    codeowners_free(co);
    return 0;
}
