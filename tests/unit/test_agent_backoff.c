/* test_agent_backoff.c - unit tests of agent/backoff.c: the capped exponential ceiling,
 * full jitter within it, reset, and no overflow however long the outage. */
#include <stdint.h>

#include "backoff.h"
#include "check_main.h"

START_TEST(test_ceiling_doubles_then_caps)
{
    struct backoff b;
    backoff_init(&b, 1000, 300000, 42);
    static const uint64_t want[] = { 1000,  2000,   4000,   8000,   16000,  32000,
                                     64000, 128000, 256000, 300000, 300000, 300000 };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_uint_eq(backoff_ceiling_ms(&b), want[i]);
        uint64_t wait = backoff_next_ms(&b);
        ck_assert_uint_le(wait, want[i]);
    }
    ck_assert_uint_eq(b.attempt, 12);
    backoff_reset(&b);
    ck_assert_uint_eq(b.attempt, 0);
    ck_assert_uint_eq(backoff_ceiling_ms(&b), 1000);
}
END_TEST

START_TEST(test_no_overflow_after_long_outage)
{
    struct backoff b;
    backoff_init(&b, UINT64_C(1) << 40, UINT64_MAX - 1, 7);
    for (int i = 0; i < 200; i++)
        (void)backoff_next_ms(&b);
    ck_assert_uint_eq(b.attempt, 64);
    ck_assert_uint_eq(backoff_ceiling_ms(&b), UINT64_MAX - 1);
    /* a cap below the base is raised to the base */
    backoff_init(&b, 500, 100, 7);
    ck_assert_uint_eq(b.cap_ms, 500);
    ck_assert_uint_eq(backoff_ceiling_ms(&b), 500);
    (void)backoff_next_ms(&b);
    ck_assert_uint_eq(backoff_ceiling_ms(&b), 500);
}
END_TEST

START_TEST(test_full_jitter_spreads_uniformly)
{
    /* full jitter: waits cover [0, ceiling], mean near ceiling / 2, both ends reached */
    struct backoff b;
    backoff_init(&b, 1000, 1000, 12345);
    uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
    unsigned buckets[10] = { 0 };
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        uint64_t w = backoff_next_ms(&b);
        ck_assert_uint_le(w, 1000);
        sum += w;
        lo = w < lo ? w : lo;
        hi = w > hi ? w : hi;
        buckets[w >= 1000 ? 9 : w / 100]++;
    }
    ck_assert_uint_le(lo, 5);
    ck_assert_uint_ge(hi, 995);
    ck_assert_uint_ge(sum / (uint64_t)n, 480);
    ck_assert_uint_le(sum / (uint64_t)n, 520);
    for (int i = 0; i < 10; i++) {
        ck_assert_uint_ge(buckets[i], 1800); /* 2000 expected in each tenth */
        ck_assert_uint_le(buckets[i], 2200);
    }
}
END_TEST

START_TEST(test_random_bounds_and_seeds)
{
    struct backoff a, b;
    backoff_init(&a, 1, 1, 99);
    backoff_init(&b, 1, 1, 99);
    for (int i = 0; i < 100; i++) {
        ck_assert_uint_eq(backoff_random(&a, 0), 0);
        ck_assert_uint_eq(backoff_random(&b, 0), 0);
    }
    /* the same seed gives the same sequence; seed 0 still works */
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(backoff_random(&a, 1000000), backoff_random(&b, 1000000));
    backoff_init(&a, 1, 1, 0);
    ck_assert_uint_ne(a.rng, 0);
    ck_assert_uint_ne(backoff_random(&a, UINT64_MAX), backoff_random(&a, UINT64_MAX));
}
END_TEST

static Suite *backoff_suite(void)
{
    Suite *s = suite_create("agent_backoff");
    TCase *tc = tcase_create("backoff");
    tcase_add_test(tc, test_ceiling_doubles_then_caps);
    tcase_add_test(tc, test_no_overflow_after_long_outage);
    tcase_add_test(tc, test_full_jitter_spreads_uniformly);
    tcase_add_test(tc, test_random_bounds_and_seeds);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(backoff_suite)
