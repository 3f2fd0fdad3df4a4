/* regress_main.c - replays every file under tests/fuzz/regress/, the fixtures and the
 * target's own corpus (tests/fuzz/corpus/NAME, LF_FUZZ_CORPUS from the Makefile) through
 * a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so crashers found once stay
 * fixed under the sanitizers of `make test`. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            unsigned char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                break;
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL)
        return 0;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int count = 0;
    struct dirent *entry;
    char path[4096];
    while ((entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        int w = snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
        if (w > 0 && (size_t)w < sizeof(path))
            count += replay_file(path);
    }
    closedir(d);
    return count;
}

int main(void)
{
#ifndef LF_FUZZ_CORPUS
#define LF_FUZZ_CORPUS "tests/fuzz/corpus/none"
#endif
    int count = replay_dir("tests/fuzz/regress") + replay_dir("tests/fixtures") +
                replay_dir(LF_FUZZ_CORPUS);
    printf("replayed %d inputs\n", count);
    return 0;
}
