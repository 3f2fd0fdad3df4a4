/* test_textbuf.c - unit tests of textbuf: appends that fit, appends that grow the buffer,
 * and a failed append that leaves the text as it was and stops every later one. */
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "textbuf.h"

START_TEST(test_appends)
{
    struct textbuf t = { 0 };
    textbuf_printf(&t, "%s", "");
    ck_assert(!t.failed);
    ck_assert_uint_eq(t.len, 0);
    textbuf_printf(&t, "a=%d ", 1);
    textbuf_printf(&t, "b=%s", "two");
    ck_assert(!t.failed);
    ck_assert_uint_eq(t.len, 9);
    ck_assert_str_eq(t.p, "a=1 b=two");
    ck_assert_uint_eq(t.cap, 4096);
    lf_free(t.p);
}
END_TEST

START_TEST(test_growth)
{
    static char line[5000];
    memset(line, 'x', sizeof(line) - 1);
    struct textbuf t = { 0 };
    for (int i = 0; i < 20; i++)
        textbuf_printf(&t, "%d:%s\n", i % 10, line);
    ck_assert(!t.failed);
    ck_assert_uint_eq(t.len, 20 * (2 + sizeof(line) - 1 + 1));
    ck_assert_uint_eq(strlen(t.p), t.len);
    ck_assert(t.cap > t.len);
    for (size_t i = 0; i < 20; i++) {
        const char *at = t.p + i * (sizeof(line) + 2);
        ck_assert_int_eq(at[0], '0' + (int)(i % 10));
        ck_assert_int_eq(at[1], ':');
        ck_assert_int_eq(at[sizeof(line) + 1], '\n');
    }
    lf_free(t.p);
}
END_TEST

START_TEST(test_failure_is_sticky)
{
    static char line[5000];
    memset(line, 'y', sizeof(line) - 1);
    /* nothing allocated yet */
    struct textbuf t = { 0 };
    lf_alloc_fail_after(0);
    textbuf_printf(&t, "a");
    lf_alloc_fail_after(-1);
    ck_assert(t.failed);
    ck_assert_ptr_null(t.p);
    textbuf_printf(&t, "b");
    ck_assert(t.failed);
    ck_assert_ptr_null(t.p);
    /* growth refused: the text so far stays, cut where it was */
    struct textbuf u = { 0 };
    textbuf_printf(&u, "kept");
    lf_alloc_fail_after(0);
    textbuf_printf(&u, "%s", line);
    lf_alloc_fail_after(-1);
    ck_assert(u.failed);
    ck_assert_uint_eq(u.len, 4);
    ck_assert_str_eq(u.p, "kept");
    textbuf_printf(&u, "more");
    ck_assert_str_eq(u.p, "kept");
    lf_free(u.p);
}
END_TEST

static Suite *textbuf_suite(void)
{
    Suite *s = suite_create("textbuf");
    TCase *tc = tcase_create("textbuf");
    tcase_add_test(tc, test_appends);
    tcase_add_test(tc, test_growth);
    tcase_add_test(tc, test_failure_is_sticky);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(textbuf_suite)
