/* test_str.c - unit tests of str, arena, error and alloc: the base every module uses. */
#include <limits.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "check_main.h"
#include "error.h"
#include "str.h"

START_TEST(test_str_to_int64)
{
    int64_t v = 0;
    ck_assert(str_to_int64(STR_LIT("12345"), &v));
    ck_assert_int_eq(v, 12345);
    ck_assert(str_to_int64(STR_LIT("-9223372036854775808"), &v));
    ck_assert(v == INT64_MIN);
    ck_assert(str_to_int64(STR_LIT("9223372036854775807"), &v));
    ck_assert(v == INT64_MAX);
    ck_assert(!str_to_int64(STR_LIT("9223372036854775808"), &v));
    ck_assert(!str_to_int64(STR_LIT(""), &v));
    ck_assert(!str_to_int64(STR_LIT("-"), &v));
    ck_assert(!str_to_int64(STR_LIT("12a"), &v));
}
END_TEST

START_TEST(test_str_prefix_and_eq)
{
    struct str s = STR_LIT("github.com/acme/shop/main.go");
    ck_assert(str_has_prefix_cstr(s, "github.com/acme/"));
    ck_assert(!str_has_prefix_cstr(s, "github.com/acme/shopx"));
    ck_assert(str_has_suffix_cstr(s, ".go"));
    ck_assert(str_eq(STR_LIT("a"), str_from_cstr("a")));
    ck_assert(!str_eq(STR_LIT("a"), STR_LIT("ab")));
    ck_assert(str_eq(STR_NULL, STR_LIT("")));
    char buf[4];
    ck_assert(!str_copy_to(s, buf, sizeof(buf)));
    ck_assert_str_eq(buf, "git");
}
END_TEST

START_TEST(test_arena_many_and_big)
{
    struct arena arena;
    arena_init(&arena, 0);
    for (int i = 0; i < 10000; i++) {
        struct str copy = arena_strdup(&arena, "frame", 5);
        ck_assert_ptr_nonnull(copy.p);
        ck_assert_str_eq(copy.p, "frame");
    }
    unsigned char *big = arena_alloc(&arena, 3u << 20);
    ck_assert_ptr_nonnull(big);
    memset(big, 1, 3u << 20);
    arena_release(&arena);
    ck_assert_ptr_null(arena.head);
}
END_TEST

START_TEST(test_arena_cap)
{
    struct arena arena;
    arena_init(&arena, 1024);
    ck_assert_ptr_nonnull(arena_alloc(&arena, 1000));
    ck_assert_ptr_null(arena_alloc(&arena, 100));
    arena_release(&arena);
}
END_TEST

START_TEST(test_error_prefix)
{
    struct lf_error err;
    lf_error_clear(&err);
    int rc = lf_fail(&err, LF_EINVAL, "missing goroutine header");
    ck_assert_int_eq(rc, LF_EINVAL);
    lf_error_prefix(&err, "parse debug=2 line %d", 812);
    lf_error_prefix(&err, "ingest '%s'", "checkout");
    ck_assert_str_eq(err.msg,
                     "ingest 'checkout': parse debug=2 line 812: missing goroutine header");
    ck_assert_int_eq(lf_fail(NULL, LF_ETOOBIG, "x"), LF_ETOOBIG);
}
END_TEST

START_TEST(test_alloc_fail_after)
{
    lf_alloc_fail_after(1);
    void *a = lf_malloc(8);
    void *b = lf_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(lf_alloc_count(), 2);
    lf_alloc_fail_after(-1);
    lf_free(a);
}
END_TEST

/* lf_alloc_grow: initial, then doubling, clamped at max; need over max, a size that
 * overflows and a failed allocation each leave the array and its capacity as they were. */
START_TEST(test_alloc_grow)
{
    int64_t *items = NULL;
    size_t cap = 0;
    ck_assert(LF_ALLOC_GROW(items, 1, cap, 8));
    ck_assert_uint_eq(cap, 8);
    items[7] = 42;
    ck_assert(LF_ALLOC_GROW(items, 8, cap, 8)); /* it holds 8: nothing moves */
    ck_assert_uint_eq(cap, 8);
    ck_assert(LF_ALLOC_GROW(items, 9, cap, 8));
    ck_assert_uint_eq(cap, 16);
    ck_assert(LF_ALLOC_GROW(items, 100, cap, 8));
    ck_assert_uint_eq(cap, 128);
    ck_assert_int_eq(items[7], 42);
    ck_assert(lf_alloc_grow(&items, &cap, 129, 8, 200, sizeof(*items)));
    ck_assert_uint_eq(cap, 200);
    ck_assert(!lf_alloc_grow(&items, &cap, 201, 8, 200, sizeof(*items)));
    ck_assert(!LF_ALLOC_GROW(items, SIZE_MAX / 4, cap, 8));
    ck_assert_uint_eq(cap, 200);
    lf_alloc_fail_after(0);
    bool grown = LF_ALLOC_GROW(items, 201, cap, 8);
    lf_alloc_fail_after(-1);
    ck_assert(!grown);
    ck_assert_uint_eq(cap, 200);
    ck_assert_int_eq(items[7], 42);
    lf_free(items);
}
END_TEST

static Suite *str_suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("str");
    tcase_add_test(tc, test_str_to_int64);
    tcase_add_test(tc, test_str_prefix_and_eq);
    suite_add_tcase(s, tc);
    tc = tcase_create("arena");
    tcase_add_test(tc, test_arena_many_and_big);
    tcase_add_test(tc, test_arena_cap);
    suite_add_tcase(s, tc);
    tc = tcase_create("error");
    tcase_add_test(tc, test_error_prefix);
    tcase_add_test(tc, test_alloc_fail_after);
    tcase_add_test(tc, test_alloc_grow);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(str_suite)
