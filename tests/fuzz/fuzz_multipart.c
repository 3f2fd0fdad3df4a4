/* fuzz_multipart.c - libFuzzer target of POST /ingest's inputs: the first line is the
 * Content-Type header (its boundary), the second the name= parameter, the rest the
 * multipart body; the profile part found is read to its last byte. */
#include <stdint.h>
#include <string.h>

#include "parse_pyroscope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char type[256];
    const char *p = (const char *)data, *end = p + size;
    const char *nl = memchr(p, '\n', size);
    const char *name_end = nl != NULL ? memchr(nl + 1, '\n', (size_t)(end - nl - 1)) : NULL;
    if (nl == NULL || name_end == NULL || (size_t)(nl - p) >= sizeof(type))
        return 0;
    memcpy(type, p, (size_t)(nl - p));
    type[nl - p] = '\0';
    struct str app, profile;
    struct pyroscope_label labels[8];
    size_t n = 0;
    struct lf_error err;
    (void)pyroscope_name_parse(nl + 1, (size_t)(name_end - nl - 1), &app, labels, 8, &n, &err);
    static volatile unsigned sum;
    if (pyroscope_multipart_profile(type, name_end + 1, (size_t)(end - name_end - 1), &profile,
                                    &err) == LF_OK)
        for (size_t i = 0; i < profile.len; i++)
            sum += (unsigned char)profile.p[i];
    return 0;
}
