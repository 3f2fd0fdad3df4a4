/* test_file.c - the capped whole-file loader (file.h): a file of exactly the cap, one
 * byte more, an empty file, a file larger than the first read, a missing file and a
 * directory. */
#include "file.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "check_main.h"

static char path[64];

static void write_bytes(size_t n)
{
    snprintf(path, sizeof(path), "/tmp/lf_file_%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(fputc('a' + (int)(i % 26), f), 'a' + (int)(i % 26));
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_sizes_around_the_cap)
{
    static const struct {
        size_t size, max;
        int rc;
    } cases[] = {
        { 0, 10, LF_OK },
        { 10, 10, LF_OK },
        { 11, 10, LF_ETOOBIG },
        { 100000, 100000, LF_OK },
        { 100001, 100000, LF_ETOOBIG },
        { 1, 0, LF_ETOOBIG },
        { 0, 0, LF_OK },
        { 40000, 1 << 20, LF_OK },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_bytes(cases[i].size);
        char unset[] = "unset";
        char *buf = unset;
        size_t len = 7;
        struct lf_error err = { LF_OK, "" };
        int rc = file_load(path, cases[i].max, &buf, &len, &err);
        ck_assert_msg(rc == cases[i].rc, "%zu bytes, cap %zu: %d (%s)", cases[i].size, cases[i].max,
                      rc, err.msg);
        if (rc == LF_OK) {
            ck_assert_uint_eq(len, cases[i].size);
            ck_assert_uint_eq(strlen(buf), cases[i].size);
            if (len > 0)
                ck_assert_int_eq(buf[len - 1], 'a' + (int)((len - 1) % 26));
            lf_free(buf);
        } else {
            ck_assert_ptr_null(buf);
            ck_assert_uint_eq(len, 0);
            char want[64];
            snprintf(want, sizeof(want), "larger than %zu bytes", cases[i].max);
            ck_assert_str_eq(err.msg, want);
        }
        unlink(path);
    }
}
END_TEST

START_TEST(test_missing_and_directory)
{
    char *buf = NULL;
    size_t len = 0;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(file_load("/nonexistent/lf_file", 100, &buf, &len, &err), LF_ENOTFOUND);
    ck_assert_str_eq(err.msg, "No such file or directory");
    ck_assert_ptr_null(buf);
    ck_assert_int_eq(file_load("/tmp", 100, &buf, &len, &err), LF_EIO);
    ck_assert_ptr_null(buf);
}
END_TEST

static Suite *file_suite(void)
{
    Suite *s = suite_create("file");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_sizes_around_the_cap);
    tcase_add_test(tc, test_missing_and_directory);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(file_suite)
