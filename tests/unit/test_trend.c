/* test_trend.c - unit tests of trend: Theil–Sen, Mann–Kendall and the pooled verdict
 * on synthetic series: flat, noisy flat, linear growth, step, restarts, sawtooth,
 * a few points only. */
#include <math.h>
#include <stdint.h>

#include "check_main.h"
#include "trend.h"

#define MAX_POINTS 2000

/* A small deterministic generator, so the noisy series are the same on every run. */
static uint32_t noise_state;

static double noise(double amplitude)
{
    noise_state = noise_state * 1664525u + 1013904223u;
    return ((double)(noise_state >> 8) / (double)(1u << 24) * 2 - 1) * amplitude;
}

/* Fills n samples every step seconds from t0 with count = f(i) and a total of
 * base + count. */
static struct trend_series make_series(struct trend_sample *samples, size_t n, int64_t t0,
        int64_t step, double (*f)(size_t), double base)
{
    for (size_t i = 0; i < n; i++) {
        samples[i].ts = t0 + (int64_t)i * step;
        samples[i].count = f(i);
        samples[i].total = base + samples[i].count;
    }
    return (struct trend_series){ samples, n };
}

static double flat(size_t i)
{
    (void)i;
    return 500;
}

static double noisy_flat(size_t i)
{
    (void)i;
    return 500 + round(noise(40));
}

static double linear(size_t i)
{
    return 100 + 2.0 * (double)i; /* 2 per minute at one sample a minute: 120/h */
}

static double noisy_linear(size_t i)
{
    return 100 + 0.5 * (double)i + round(noise(10)); /* 30/h under +-10 noise */
}

static double step(size_t i)
{
    return i < 60 ? 100 : 400;
}

static double sawtooth(size_t i)
{
    return 100 + (double)(i % 20) * 10; /* fills and drains every 20 minutes */
}

START_TEST(test_theil_sen_exact_and_robust)
{
    int64_t ts[] = { 0, 60, 120, 180, 240, 300, 360 };
    double v[] = { 10, 12, 14, 16, 18, 20, 22 };
    ck_assert_double_eq_tol(trend_theil_sen(ts, v, 7), 2.0 / 60, 1e-12);
    /* One wild outlier does not move the median slope. */
    v[3] = 10000;
    ck_assert_double_eq_tol(trend_theil_sen(ts, v, 7), 2.0 / 60, 1e-12);
    ck_assert_double_eq(trend_theil_sen(ts, v, 1), 0);
    int64_t same[] = { 5, 5, 5 };
    ck_assert_double_eq(trend_theil_sen(same, v, 3), 0);
}
END_TEST

START_TEST(test_mann_kendall_values)
{
    /* 1..10 strictly increasing: S = 45, Var = 10*9*25/18 = 125. */
    double up[10];
    for (int i = 0; i < 10; i++)
        up[i] = i + 1;
    struct trend_mk mk = trend_mann_kendall(up, 10);
    ck_assert_double_eq(mk.s, 45);
    ck_assert_double_eq_tol(mk.var_s, 125, 1e-9);
    ck_assert_double_eq_tol(mk.z, 44 / sqrt(125), 1e-9);
    ck_assert(mk.p_value < 0.001);

    /* All ties: no variance, no trend. */
    double tie[6] = { 3, 3, 3, 3, 3, 3 };
    mk = trend_mann_kendall(tie, 6);
    ck_assert_double_eq(mk.s, 0);
    ck_assert_double_eq(mk.var_s, 0);
    ck_assert_double_eq(mk.p_value, 1);

    /* Ties correction: {1,2,2,3}: S = 5, Var = (4*3*13 - 2*1*9)/18 = 138/18. */
    double some[4] = { 1, 2, 2, 3 };
    mk = trend_mann_kendall(some, 4);
    ck_assert_double_eq(mk.s, 5);
    ck_assert_double_eq_tol(mk.var_s, 138.0 / 18, 1e-9);
}
END_TEST

START_TEST(test_pool_adds)
{
    struct trend_mk parts[2] = { { .s = 10, .var_s = 20 }, { .s = 6, .var_s = 5 } };
    struct trend_mk pooled = trend_mk_pool(parts, 2);
    ck_assert_double_eq(pooled.s, 16);
    ck_assert_double_eq(pooled.var_s, 25);
    ck_assert_double_eq_tol(pooled.z, 15.0 / 5, 1e-12);
}
END_TEST

START_TEST(test_flat_never_alerts)
{
    static struct trend_sample s[MAX_POINTS];
    struct trend_series one = make_series(s, 240, 1000, 60, flat, 50);
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(&one, 1, NULL, &r, NULL), LF_OK);
    ck_assert(!r.significant);
    ck_assert(!r.growing);
    ck_assert_double_eq(r.growth_per_hour, 0);
    ck_assert_int_eq(r.since, 0);
    ck_assert_uint_eq(r.n_segments, 1);
    ck_assert_uint_eq(r.n_samples, 240);
}
END_TEST

START_TEST(test_noisy_flat_not_growing)
{
    static struct trend_sample a[MAX_POINTS], b[MAX_POINTS], c[MAX_POINTS];
    noise_state = 42;
    struct trend_series fleet[3] = {
        make_series(a, 300, 0, 60, noisy_flat, 80),
        make_series(b, 300, 30, 60, noisy_flat, 80),
        make_series(c, 300, 45, 60, noisy_flat, 80),
    };
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(fleet, 3, NULL, &r, NULL), LF_OK);
    ck_assert_uint_eq(r.n_segments, 3);
    ck_assert(!r.growing);
    ck_assert(fabs(r.growth_per_hour) < 5);
}
END_TEST

START_TEST(test_linear_growth_found)
{
    static struct trend_sample a[MAX_POINTS], b[MAX_POINTS];
    struct trend_series fleet[2] = {
        make_series(a, 120, 0, 60, linear, 40),
        make_series(b, 120, 10, 60, linear, 40),
    };
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(fleet, 2, NULL, &r, NULL), LF_OK);
    ck_assert(r.significant);
    ck_assert(r.growing);
    /* 120/h on each of two instances. */
    ck_assert_double_eq_tol(r.growth_per_hour, 240, 1e-6);
    ck_assert_int_eq(r.since, 0);
    ck_assert(r.pooled.p_value < 1e-6);
}
END_TEST

START_TEST(test_noisy_linear_growth_found)
{
    static struct trend_sample a[MAX_POINTS];
    noise_state = 7;
    struct trend_series one = make_series(a, 360, 0, 60, noisy_linear, 40);
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(&one, 1, NULL, &r, NULL), LF_OK);
    ck_assert(r.growing);
    ck_assert_double_eq_tol(r.growth_per_hour, 30, 3);
}
END_TEST

START_TEST(test_step_is_not_growth)
{
    static struct trend_sample a[MAX_POINTS];
    struct trend_series one = make_series(a, 120, 0, 60, step, 40);
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(&one, 1, NULL, &r, NULL), LF_OK);
    ck_assert(r.significant); /* the step itself is a significant rise ... */
    ck_assert(!r.growing);    /* ... but the latest half is flat: no growth now */
}
END_TEST

START_TEST(test_restarts_are_segments)
{
    /* A leak of 2/min that a restart resets every 40 minutes: without segments
     * the series would look like a sawtooth; with them, three growing segments. */
    static struct trend_sample a[MAX_POINTS];
    for (size_t i = 0; i < 120; i++) {
        a[i].ts = (int64_t)i * 60;
        a[i].count = 2.0 * (double)(i % 40);
        a[i].total = 30 + a[i].count;
    }
    struct trend_series one = { a, 120 };
    struct trend_params params = trend_params_default();
    size_t starts[8];
    ck_assert_uint_eq(trend_segments(&one, &params, starts, 8), 3);
    ck_assert_uint_eq(starts[0], 0);
    ck_assert_uint_eq(starts[1], 40);
    ck_assert_uint_eq(starts[2], 80);

    struct trend_result r;
    ck_assert_int_eq(trend_analyze(&one, 1, &params, &r, NULL), LF_OK);
    ck_assert_uint_eq(r.n_segments, 3);
    ck_assert(r.growing);
    ck_assert_double_eq_tol(r.growth_per_hour, 120, 1e-6);
    ck_assert_int_eq(r.since, 80 * 60); /* the latest segment's start */
}
END_TEST

START_TEST(test_sawtooth_without_restart_is_flat)
{
    /* The site fills and drains while the process keeps running (its total holds up
     * through other goroutines), so there is no segment break and no trend. */
    static struct trend_sample a[MAX_POINTS];
    struct trend_series one = make_series(a, 200, 0, 60, sawtooth, 1000);
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(&one, 1, NULL, &r, NULL), LF_OK);
    ck_assert_uint_eq(r.n_segments, 1);
    ck_assert(!r.growing);
}
END_TEST

START_TEST(test_few_points_never_decide)
{
    static struct trend_sample a[MAX_POINTS];
    struct trend_series one = make_series(a, 5, 0, 60, linear, 40);
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(&one, 1, NULL, &r, NULL), LF_OK);
    ck_assert_uint_eq(r.n_segments, 0);
    ck_assert(!r.growing);
    ck_assert_int_eq(trend_analyze(NULL, 0, NULL, &r, NULL), LF_OK);
    ck_assert(!r.growing);
}
END_TEST

START_TEST(test_long_series_thinned)
{
    static struct trend_sample a[MAX_POINTS];
    struct trend_series one = make_series(a, MAX_POINTS, 0, 60, linear, 40);
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(&one, 1, NULL, &r, NULL), LF_OK);
    ck_assert(r.growing);
    ck_assert_uint_eq(r.n_samples, MAX_POINTS);
    ck_assert_double_eq_tol(r.growth_per_hour, 120, 1e-6);
}
END_TEST

START_TEST(test_projection)
{
    ck_assert_double_eq(trend_hours_to_reach(100, 50, 1000), 18);
    ck_assert_double_eq(trend_hours_to_reach(2000, 50, 1000), 0);
    ck_assert(trend_hours_to_reach(100, 0, 1000) < 0);
}
END_TEST

static Suite *trend_suite(void)
{
    Suite *suite = suite_create("trend");
    TCase *stats = tcase_create("statistics");
    tcase_add_test(stats, test_theil_sen_exact_and_robust);
    tcase_add_test(stats, test_mann_kendall_values);
    tcase_add_test(stats, test_pool_adds);
    tcase_add_test(stats, test_projection);
    suite_add_tcase(suite, stats);
    TCase *verdict = tcase_create("verdict");
    tcase_add_test(verdict, test_flat_never_alerts);
    tcase_add_test(verdict, test_noisy_flat_not_growing);
    tcase_add_test(verdict, test_linear_growth_found);
    tcase_add_test(verdict, test_noisy_linear_growth_found);
    tcase_add_test(verdict, test_step_is_not_growth);
    tcase_add_test(verdict, test_restarts_are_segments);
    tcase_add_test(verdict, test_sawtooth_without_restart_is_flat);
    tcase_add_test(verdict, test_few_points_never_decide);
    tcase_add_test(verdict, test_long_series_thinned);
    suite_add_tcase(suite, verdict);
    return suite;
}

LF_CHECK_MAIN(trend_suite)
