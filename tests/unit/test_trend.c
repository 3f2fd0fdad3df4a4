/* test_trend.c - unit tests of trend: each statistical piece on known values (Theil–Sen,
 * Mann–Kendall, pooling, running medians, segments, Holm, the onset hinge) and the
 * verdict on synthetic fleets: flat, noisy flat, linear growth, a leak in one instance
 * of twenty, restarts and deploys named by the push, spikes, load waves and ramps, a
 * plateau, a slow rise on a large count, a few points only. */
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
        samples[i].busy = -1;
        samples[i].started = 0;
        samples[i].version = 0;
    }
    return (struct trend_series){ samples, n };
}

static double flat(size_t i)
{
    (void)i;
    return 500;
}

static double linear(size_t i)
{
    return 100 + 2.0 * (double)i; /* 2 per minute at one sample a minute: 120/h */
}

static double noisy_linear(size_t i)
{
    return 100 + 0.5 * (double)i + round(noise(10)); /* 30/h under +-10 noise */
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

/* A fleet of n_instances instances, n samples each, every step seconds, from f(instance,
 * i, &busy); each with its own noise. */
typedef double (*fleet_fn)(size_t instance, size_t i, double *busy);

struct fleet {
    struct trend_sample samples[200][400];
    struct trend_series series[200];
};

static struct fleet *make_fleet(size_t n_instances, size_t n, int64_t step, fleet_fn f)
{
    static struct fleet fleet;
    ck_assert(n_instances <= 200 && n <= 400);
    for (size_t k = 0; k < n_instances; k++) {
        for (size_t i = 0; i < n; i++) {
            struct trend_sample *s = &fleet.samples[k][i];
            double busy = -1;
            s->ts = 1700000000 + (int64_t)i * step;
            s->count = f(k, i, &busy);
            s->busy = busy;
            s->total = 200 + s->count + (busy > 0 ? busy : 0);
            s->started = 1600000000;
            s->version = 7;
        }
        fleet.series[k] = (struct trend_series){ fleet.samples[k], n };
    }
    return &fleet;
}

/* Each of the first n_instances series of f made its samples [first, first + n). */
static void fleet_slice(struct fleet *f, size_t n_instances, size_t first, size_t n)
{
    for (size_t k = 0; k < n_instances; k++) {
        f->series[k].samples = f->samples[k] + first;
        f->series[k].n_samples = n;
    }
}

static struct trend_result analyze(const struct trend_series *series, size_t n,
                                   const struct trend_params *params)
{
    struct trend_result r;
    ck_assert_int_eq(trend_analyze(series, n, params, &r, NULL), LF_OK);
    ck_assert_uint_eq(r.n_instances, n);
    return r;
}

/* analyze() over the server's default window, the last six hours. */
static struct trend_result analyze_window(const struct trend_series *series, size_t n)
{
    struct trend_params params = trend_params_default();
    params.window = 6 * 3600;
    return analyze(series, n, &params);
}

START_TEST(test_despike)
{
    double in[] = { 10, 11, 5000, 12, 13, 14 };
    double out[6];
    trend_despike(in, 6, out);
    ck_assert_double_eq(out[0], 10);
    ck_assert_double_eq(out[2], 12); /* the spike is gone */
    ck_assert_double_eq(out[5], 14); /* ordinary values stay as they are */
    double end[] = { 10, 11, 12, 9000 };
    trend_despike(end, 4, out);
    ck_assert_double_eq(out[3], 12); /* a spike at the very end does not count yet */
}
END_TEST

START_TEST(test_segments_from_started_version_and_total)
{
    static struct trend_sample a[12];
    for (size_t i = 0; i < 12; i++)
        a[i] = (struct trend_sample){ .ts = (int64_t)i * 60,
                                      .count = 10,
                                      .total = 100,
                                      .busy = -1,
                                      .started = i < 4 ? 1000 : 2000,
                                      .version = i < 8 ? 1 : 2 };
    struct trend_params params = trend_params_default();
    struct trend_series one = { a, 12 };
    size_t starts[8];
    /* a new start at 4, a new version at 8: whatever the totals say */
    ck_assert_uint_eq(trend_segments(&one, &params, starts, 8), 3);
    ck_assert_uint_eq(starts[1], 4);
    ck_assert_uint_eq(starts[2], 8);

    /* Not named: the total-drop fallback, where one low sample is not a restart ... */
    for (size_t i = 0; i < 12; i++) {
        a[i].started = 0;
        a[i].version = 0;
        a[i].total = 1000;
    }
    a[5].total = 10;
    ck_assert_uint_eq(trend_segments(&one, &params, starts, 8), 1);
    /* ... nor one high sample (the drop after a spike), but a lasting drop is. */
    a[5].total = 50000;
    ck_assert_uint_eq(trend_segments(&one, &params, starts, 8), 1);
    a[5].total = 1000;
    for (size_t i = 7; i < 12; i++)
        a[i].total = 100;
    ck_assert_uint_eq(trend_segments(&one, &params, starts, 8), 2);
    ck_assert_uint_eq(starts[1], 7);
}
END_TEST

START_TEST(test_holm)
{
    /* m = 4, alpha 0.05: sorted 0.01 <= 0.05/4, 0.015 <= 0.05/3, 0.03 > 0.05/2: stop. */
    double p[] = { 0.03, 0.01, 0.5, 0.015 };
    bool rejected[4];
    double min_adjusted;
    ck_assert_uint_eq(trend_holm(p, 4, 0.05, rejected, &min_adjusted), 2);
    ck_assert(rejected[1] && rejected[3] && !rejected[0] && !rejected[2]);
    ck_assert_double_eq_tol(min_adjusted, 0.04, 1e-12);
    ck_assert_uint_eq(trend_holm(p, 0, 0.05, rejected, &min_adjusted), 0);
}
END_TEST

START_TEST(test_onset)
{
    int64_t ts[40];
    double v[40];
    for (int i = 0; i < 40; i++) {
        ts[i] = 1000 + i * 300;
        v[i] = i < 25 ? 50 : 50 + 3.0 * (i - 24);
    }
    ck_assert_int_eq(trend_onset(ts, v, 40), 1000 + 24 * 300);
    for (int i = 0; i < 40; i++)
        v[i] = 10 + i;
    ck_assert_int_eq(trend_onset(ts, v, 40), 1000);
}
END_TEST

START_TEST(test_ramp)
{
    int64_t ts[60];
    double v[60], load[60];
    int64_t onset, stop;
    /* flat at 50, +3 per sample from sample 15 to 40, flat again */
    for (int i = 0; i < 60; i++) {
        ts[i] = 1000 + i * 300;
        v[i] = 50 + 3.0 * (i < 15 ? 0 : i < 40 ? i - 15 : 25);
    }
    trend_ramp(ts, v, NULL, 60, &onset, &stop);
    ck_assert_int_eq(onset, ts[15]);
    ck_assert_int_eq(stop, ts[40]);
    /* a rise that runs to the end stops at the last sample */
    for (int i = 0; i < 60; i++)
        v[i] = 50 + (i < 15 ? 0 : 3.0 * (i - 15));
    trend_ramp(ts, v, NULL, 60, &onset, &stop);
    ck_assert_int_eq(onset, ts[15]);
    ck_assert_int_eq(stop, ts[59]);
    /* the same ramp on 5 x a wave: found beside it, where the wave alone would pull a
     * ramp onto its rising flank */
    for (int i = 0; i < 60; i++) {
        load[i] = 100 + 80 * sin(i * 2 * M_PI / 40);
        v[i] = 5 * load[i] + 3.0 * (i < 15 ? 0 : i < 40 ? i - 15 : 25);
    }
    trend_ramp(ts, v, load, 60, &onset, &stop);
    ck_assert_int_eq(onset, ts[15]);
    ck_assert_int_eq(stop, ts[40]);
}
END_TEST

START_TEST(test_flat_never_alerts)
{
    static struct trend_sample s[MAX_POINTS];
    struct trend_series one = make_series(s, 240, 1000, 60, flat, 50);
    struct trend_result r = analyze(&one, 1, NULL);
    ck_assert_uint_eq(r.n_segments, 1);
    ck_assert(!r.significant);
    ck_assert(!r.growing);
    ck_assert_int_eq(r.reason, TREND_NOT_GROWING);
    ck_assert_double_eq(r.growth_per_hour, 0);
    ck_assert_int_eq(r.since, 0);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_linear_growth_found)
{
    static struct trend_sample a[MAX_POINTS], b[MAX_POINTS];
    struct trend_series fleet[2] = {
        make_series(a, 120, 0, 60, linear, 40),
        make_series(b, 120, 0, 60, linear, 40),
    };
    struct trend_result r = analyze(fleet, 2, NULL);
    ck_assert(r.growing);
    ck_assert_int_eq(r.reason, TREND_GROWING);
    ck_assert_uint_eq(r.n_leaking, 2);
    ck_assert_double_eq_tol(r.growth_per_hour, 240, 1e-6); /* 120/h each */
    ck_assert_int_eq(r.since, 0);
    trend_result_release(&r);
    /* A handful of idle goroutines in IO wait (6 or 7) is counting noise, not load: it
     * is neither adjusted for nor taken for a ramp. */
    for (size_t i = 0; i < 120; i++)
        a[i].busy = b[i].busy = i % 3 == 0 ? 7 : 6;
    r = analyze(fleet, 2, NULL);
    ck_assert(r.growing);
    ck_assert(!r.instances[0].load_adjusted && !r.instances[0].load_ramp);
    ck_assert_double_eq_tol(r.growth_per_hour, 240, 1e-6);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_noisy_linear_growth_found)
{
    static struct trend_sample a[MAX_POINTS];
    noise_state = 7;
    struct trend_series one = make_series(a, 360, 0, 60, noisy_linear, 40);
    struct trend_result r = analyze(&one, 1, NULL);
    ck_assert(r.growing);
    ck_assert_double_eq_tol(r.growth_per_hour, 30, 6);
    trend_result_release(&r);
}
END_TEST

static double one_of_twenty(size_t instance, size_t i, double *busy)
{
    (void)busy;
    double base = 60 + round(noise(6));
    return instance == 13 ? base + 50.0 * (double)i / 12 : base; /* +50/h at 5 min */
}

START_TEST(test_one_leaking_instance_of_twenty)
{
    noise_state = 3;
    struct fleet *f = make_fleet(20, 72, 300, one_of_twenty);
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(r.growing);
    ck_assert_uint_eq(r.n_leaking, 1);
    ck_assert(r.instances[13].leaking);
    ck_assert_double_eq_tol(r.growth_per_hour, 50, 12.5);
    trend_result_release(&r);
}
END_TEST

static double noisy_fleet(size_t instance, size_t i, double *busy)
{
    (void)instance;
    (void)i;
    (void)busy;
    return 300 + round(noise(40));
}

START_TEST(test_noisy_fleet_not_growing)
{
    noise_state = 11;
    struct fleet *f = make_fleet(200, 72, 300, noisy_fleet);
    struct trend_result r = analyze(f->series, 200, NULL);
    ck_assert(!r.growing);
    ck_assert_int_eq(r.reason, TREND_NOT_GROWING);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_deploy_step_is_not_growth)
{
    /* Every instance restarts with a new version at sample 40 and its pool sits at 128
     * instead of 64 from then on: the push names the restart, so no segment holds the step. */
    noise_state = 5;
    struct fleet *f = make_fleet(20, 72, 300, noisy_fleet);
    for (size_t k = 0; k < 20; k++) {
        for (size_t i = 0; i < 72; i++) {
            f->samples[k][i].count = (i < 40 ? 64 : 128) + round(noise(2));
            if (i >= 40) {
                f->samples[k][i].started = 1700000000 + 40 * 300;
                f->samples[k][i].version = 8;
            }
        }
    }
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(!r.growing);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_spikes_are_not_growth)
{
    noise_state = 9;
    struct fleet *f = make_fleet(20, 72, 300, noisy_fleet);
    for (size_t k = 0; k < 20; k++)
        f->samples[k][60 + k % 10].count = 5000; /* one sample each, late in the window */
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(!r.growing);
    trend_result_release(&r);
}
END_TEST

/* A daily wave of load: busy goroutines and the site both follow it. */
static double load_at(size_t i)
{
    double hours = (double)i * 300 / 3600;
    return 0.53 - 0.47 * cos((hours - 3) * 2 * M_PI / 24);
}

static double load_following(size_t instance, size_t i, double *busy)
{
    (void)instance;
    double load = load_at(i);
    *busy = round(2000 * load + noise(60));
    return round(800 * load + noise(25));
}

START_TEST(test_load_wave_is_not_growth)
{
    /* Six hours past the trough and over the peak: the site rises steeply with load. */
    noise_state = 21;
    struct fleet *f = make_fleet(20, 300, 300, load_following);
    fleet_slice(f, 20, 100, 100);
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(!r.growing);
    trend_result_release(&r);

    /* The morning ramp, five to eleven hours: with the load proxy no verdict of growth ... */
    fleet_slice(f, 20, 60, 72);
    r = analyze(f->series, 20, NULL);
    ck_assert(!r.growing);
    trend_result_release(&r);
    /* ... where without it the same counts would be taken for a leak. */
    for (size_t k = 0; k < 20; k++)
        for (size_t i = 0; i < 300; i++)
            f->samples[k][i].busy = -1;
    r = analyze(f->series, 20, NULL);
    ck_assert(r.growing);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_load_ramp_is_insufficient)
{
    /* Four hours of the steepest part of the morning ramp: load and time move together. */
    noise_state = 23;
    struct fleet *f = make_fleet(20, 300, 300, load_following);
    fleet_slice(f, 20, 84, 48);
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(!r.growing);
    ck_assert_int_eq(r.reason, TREND_LOAD_RAMP);
    trend_result_release(&r);
}
END_TEST

static double leak_on_load(size_t instance, size_t i, double *busy)
{
    double count = load_following(instance, i, busy);
    return i >= 150 ? count + 20.0 * (double)(i - 150) / 12 : count;
}

START_TEST(test_leak_on_top_of_load_found)
{
    /* 11:00 to 17:00, over the peak, the leak from 12:30, and no history: the window's own
     * regression finds the rising instances, but the count itself no longer rises over the
     * last hour (the load falls faster than the leak adds): with no history to learn the
     * load from, that is not claimed as growth. The history test below finds it. */
    noise_state = 29;
    struct fleet *f = make_fleet(20, 300, 300, leak_on_load);
    fleet_slice(f, 20, 132, 72);
    struct trend_params params = trend_params_default();
    params.load_min_span = INT64_MAX; /* no history: the window's own regression */
    struct trend_result r = analyze(f->series, 20, &params);
    ck_assert(r.significant);
    ck_assert(!r.growing);
    ck_assert_int_eq(r.reason, TREND_PLATEAU);
    trend_result_release(&r);
}
END_TEST

/* A site that does not follow the load: a publisher leaking 20/h from 2, the instance's
 * load varying as any service's does. */
static double leak_beside_load(size_t instance, size_t i, double *busy)
{
    (void)instance;
    *busy = round(2000 * load_at(i) + noise(60));
    return round(2 + 20.0 * (double)i / 12 + noise(1));
}

START_TEST(test_leak_beside_load_without_history)
{
    /* 13:00 to 19:00, over the load's peak, with no history to learn the load from: the
     * window's regression cannot say what the load does to the count (nothing, within
     * its uncertainty), but the growth stands clear of its own: found, not "load varies". */
    noise_state = 43;
    struct fleet *f = make_fleet(20, 300, 300, leak_beside_load);
    fleet_slice(f, 20, 156, 72);
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(!r.load.known);
    ck_assert(r.growing);
    ck_assert_uint_eq(r.n_leaking, 20);
    ck_assert_double_eq_tol(r.growth_per_hour, 400, 40);
    trend_result_release(&r);
}
END_TEST

/* One sample every ten minutes: load_at() counts five-minute steps. */
static double load_every_ten_minutes(size_t instance, size_t i, double *busy)
{
    return load_following(instance, 2 * i, busy);
}

static double leak_on_second_morning(size_t instance, size_t i, double *busy)
{
    double count = load_every_ten_minutes(instance, i, busy);
    return i >= 180 ? count + 20.0 * (double)(i - 180) / 6 : count;
}

START_TEST(test_load_fit_over_history)
{
    /* From midnight to 11:00 the next day, tested over the last six hours (the morning
     * ramp, where the window alone cannot tell load from growth): the load coefficient
     * comes from the whole history, so the ramp is no growth ... */
    noise_state = 31;
    struct fleet *f = make_fleet(20, 210, 600, load_every_ten_minutes);
    struct trend_params params = trend_params_default();
    params.window = 6 * 3600;
    struct trend_result r = analyze(f->series, 20, &params);
    ck_assert(r.load.known);
    ck_assert_double_eq_tol(r.load.beta, 800.0 / 2000.0, 0.04);
    ck_assert(!r.growing);
    ck_assert_int_ne(r.reason, TREND_LOAD_RAMP);
    trend_result_release(&r);

    /* ... and a leak that starts at 06:00 on the second day, on the ramp, is found. */
    f = make_fleet(20, 210, 600, leak_on_second_morning);
    r = analyze(f->series, 20, &params);
    ck_assert(r.load.known);
    ck_assert(r.growing);
    ck_assert_double_eq_tol(r.growth_per_hour, 20 * 20, 100);
    trend_result_release(&r);
}
END_TEST

static double plateau_at_peak(size_t instance, size_t i, double *busy)
{
    (void)instance;
    *busy = round(2000 * load_at(i) + noise(60));
    double grown = i < 36 ? 0 : i < 180 ? 30.0 * (double)(i - 36) / 12 : 360;
    return round(100 + grown + noise(5));
}

/* A pool of sixteen workers: the idle ones wait, so it fills as the load falls. */
static double idle_workers(size_t instance, size_t i, double *busy)
{
    (void)instance;
    double load = load_at(i);
    *busy = round(2000 * load + noise(60));
    double idle = round(16 - 12 * load + noise(1.5));
    return idle < 0 ? 0 : idle;
}

START_TEST(test_pool_filling_as_load_falls)
{
    /* 14:00 to 20:00 with no history before them: every instance's pool fills as the
     * load falls after its peak. The count follows the load: no leak, and no verdict of
     * growth (each instance's rise is significant on its own). */
    noise_state = 41;
    struct fleet *f = make_fleet(20, 300, 300, idle_workers);
    fleet_slice(f, 20, 168, 72);
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(!r.growing);
    trend_result_release(&r);
}
END_TEST

static double leak_at_evening(size_t instance, size_t i, double *busy)
{
    (void)instance;
    *busy = fmax(0, round(60 * load_at(i) + noise(8)));
    return round(2 + noise(1.5) + (i >= 216 ? 20.0 * (double)(i - 216) / 12 : 0));
}
START_TEST(test_leak_inside_history_not_read_as_load)
{
    /* A site that does not follow the load, leaking from 18:00 of a 25-hour history, the
     * load falling from its peak: fitted with a line alone, the leak leans on the load
     * coefficient (-1.4 here for a truth of 0), and the growth read is half the truth.
     * With the onset taken out, neither. */
    noise_state = 51;
    struct fleet *f = make_fleet(20, 300, 300, leak_at_evening);
    struct trend_params params = trend_params_default();
    params.window = 6 * 3600;
    struct trend_load line_only = trend_load_fit(f->series, 20, NULL, NULL, &params);
    ck_assert(line_only.known);
    ck_assert(line_only.beta < -1);
    struct trend_result r = analyze(f->series, 20, &params);
    ck_assert(r.load.known);
    ck_assert_double_eq_tol(r.load.beta, 0, 0.1);
    ck_assert(r.growing);
    ck_assert_double_eq_tol(r.growth_per_hour, 20 * 20, 40);
    trend_result_release(&r);
}
END_TEST

/* 400 x the load, a busy count of 55 x the load (a coefficient of 7.27), counting noise in
 * both (uniform, of a Poisson count's spread); a day from 11:00, +20/h from 05:00, two
 * hours after the load's trough. */
static double site_on_load(size_t j, double leaked, double *busy)
{
    double load = load_at(j);
    *busy = fmax(0, round(55 * load + noise(sqrt(3 * 55 * load))));
    return fmax(0, round(400 * load + noise(sqrt(3 * 400 * load)) + leaked));
}

static double leak_after_trough(size_t instance, size_t i, double *busy)
{
    (void)instance;
    size_t j = i + 132;
    return site_on_load(j, j >= 348 ? 20.0 * (double)(j - 348) / 12 : 0, busy);
}

START_TEST(test_leak_after_load_trough)
{
    /* A site that follows the load, leaking from two hours after the load's trough, the
     * window the six hours of the morning ramp since. A line and a hinge at the onset bend
     * with the daily wave at its trough and leave too little load to measure (the
     * coefficient read with the leak in it then stays: 9 and more for 7.27, and the growth
     * read is a third low); a level and the hinge, flat before the onset, leave the whole
     * descent to the trough to measure it. */
    noise_state = 71;
    struct fleet *f = make_fleet(20, 288, 300, leak_after_trough);
    struct trend_result r = analyze_window(f->series, 20);
    ck_assert(r.load.known);
    ck_assert_double_eq_tol(r.load.beta, 400.0 / 55, 0.5);
    ck_assert(r.growing);
    ck_assert_double_eq_tol(r.growth_per_hour, 20 * 20, 60);
    trend_result_release(&r);
}
END_TEST

/* 400 x the load as in leak_after_trough, +30/h from 04:00 to 16:00 of the first day, flat
 * since; 400 samples from 00:40 to 10:00 of the next morning. */
static double stopped_leak_on_load(size_t instance, size_t i, double *busy)
{
    (void)instance;
    double hours = (double)(i + 8) / 12;
    return site_on_load(i + 8, 30 * (hours < 4 ? 0 : hours < 16 ? hours - 4 : 12), busy);
}

START_TEST(test_stopped_leak_not_read_as_load)
{
    /* A site that follows the load and grew 360 from 04:00 to 16:00, read the next morning
     * (18 h flat since). A hinge at the onset runs on through the plateau, which it then
     * reads as a fall against the rising load: the coefficient came out 15 % low, and
     * the morning ramp, less too little load, a leak in every instance. A ramp that stops
     * takes the leak out as it was: the coefficient is the load's, the site not growing. */
    noise_state = 73;
    struct fleet *f = make_fleet(20, 400, 300, stopped_leak_on_load);
    struct trend_result r = analyze_window(f->series, 20);
    ck_assert(r.load.known);
    ck_assert_double_eq_tol(r.load.beta, 400.0 / 55, 0.35);
    ck_assert(!r.growing);
    trend_result_release(&r);
}
END_TEST

/* 400 x the load as in leak_after_trough, +20/h from 06:00 of the second day on; 361 samples
 * (30 h) to leak_end_hour, in hours from the first day's midnight (46: 22:00 of the second). */
static int leak_end_hour;

static double leak_from_morning(size_t instance, size_t i, double *busy)
{
    (void)instance;
    size_t j = i + (size_t)(leak_end_hour - 30) * 12;
    return site_on_load(j, j >= 360 ? 20.0 * (double)(j - 360) / 12 : 0, busy);
}

/* Of draws of leak_from_morning read at end_hour, how many give a growth within 25 % of the
 * fleet's 400/h, and how many a coefficient within 10 % of 400/55. */
static void growth_of_draws(int end_hour, size_t draws, size_t *growth_ok, size_t *beta_ok)
{
    leak_end_hour = end_hour;
    *growth_ok = *beta_ok = 0;
    for (uint32_t draw = 1; draw <= draws; draw++) {
        noise_state = 2000 + draw;
        struct fleet *f = make_fleet(20, 361, 300, leak_from_morning);
        struct trend_result r = analyze_window(f->series, 20);
        *growth_ok += fabs(r.growth_per_hour / 400 - 1) <= 0.25;
        *beta_ok += r.load.known && fabs(r.load.beta / (400.0 / 55) - 1) <= 0.1;
        trend_result_release(&r);
    }
}

START_TEST(test_growth_of_a_leak_as_the_load_falls)
{
    /* 16 h into a leak of 20/h per instance on a site that follows the load, at 22:00: the
     * count falls with the load, so no instance rises in the count itself (no verdict of
     * growth: the count must rise), but the leak is in the history all the same. Taken
     * out of the load fit only where an instance rose in the count, it was not, and the
     * coefficient came out a third high; the growth, each instance's last hour, was noise.
     * Now the counts less the first fit are asked too, and the growth of a site that does
     * not grow is over the window. Of 20 draws, the coefficient within 10 %: 0 before, 20
     * now; the growth within 25 %: 5 before, 20 now. */
    size_t growth_ok, beta_ok;
    growth_of_draws(46, 20, &growth_ok, &beta_ok);
    ck_assert_uint_ge(beta_ok, 18);
    ck_assert_uint_ge(growth_ok, 18);
}
END_TEST

START_TEST(test_growth_of_a_leak_at_the_peak)
{
    /* The same leak 10 h old, at the load's peak: the last hour of a count less a noisy load
     * rises too little to say, so the site may read as a plateau; its growth is then each
     * instance's since the plateau began, not the last hour's noise. Of 20 draws, the growth
     * within 25 %: 7 before, 20 now. */
    size_t growth_ok, beta_ok;
    growth_of_draws(40, 20, &growth_ok, &beta_ok);
    ck_assert_uint_ge(growth_ok, 18);
}
END_TEST

/* +20/h from the start; instances 0-7 restart 20 minutes before the end (sample 68 of
 * 72) and leak from 0 again. */
static double leak_with_restarts(size_t instance, size_t i, double *busy)
{
    *busy = -1;
    size_t from = instance < 8 && i >= 68 ? 68 : 0;
    return round(2 + noise(1) + 20.0 * (double)(i - from) / 12);
}

START_TEST(test_growth_counts_fresh_instances)
{
    /* Twenty instances leak 20 an hour; eight restarted twenty minutes ago and have too
     * few samples to be judged. The fleet still leaks 400 an hour, not the twelve judged
     * instances' 240. */
    noise_state = 61;
    struct fleet *f = make_fleet(20, 72, 300, leak_with_restarts);
    for (size_t k = 0; k < 8; k++)
        for (size_t i = 68; i < 72; i++)
            f->samples[k][i].started = 1600000000 + 3600 * 24 * 365;
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(r.growing);
    ck_assert_uint_eq(r.n_segments, 12);
    ck_assert_double_eq_tol(r.growth_per_hour, 20 * 20, 40);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_plateau_as_load_falls)
{
    /* Growth with the morning (03:00-15:00), flat since: as the load falls in the evening,
     * a count less a load coefficient misread from that morning would rise; the count
     * itself does not, so it is no leak. */
    noise_state = 37;
    struct fleet *f = make_fleet(20, 264, 300, plateau_at_peak);
    struct trend_result r = analyze_window(f->series, 20);
    ck_assert(!r.growing);
    trend_result_release(&r);
}
END_TEST

static double plateau_on_load(size_t instance, size_t i, double *busy)
{
    double count = load_every_ten_minutes(instance, i, busy);
    double hours = (double)i / 6;
    return count + (hours < 27 ? 0 : hours < 39 ? 30 * (hours - 27) : 360);
}

START_TEST(test_plateau_on_load_is_not_growth)
{
    /* A site that follows the load grew with the second morning (03:00-15:00) and stopped:
     * tested over 16:00-22:00, as the load falls. A load coefficient that takes up some of
     * the plateau (a hinge cannot stop) makes the count less the load rise; the count
     * itself does not, so it is no leak. */
    noise_state = 47;
    struct fleet *f = make_fleet(20, 276, 600, plateau_on_load);
    struct trend_result r = analyze_window(f->series, 20);
    ck_assert(r.load.known);
    ck_assert(!r.growing);
    trend_result_release(&r);
}
END_TEST

static double plateau(size_t instance, size_t i, double *busy)
{
    (void)instance;
    (void)busy;
    double rise = i < 48 ? 30.0 * (double)i / 12 : 120; /* +30/h for 4 h, then flat */
    return 20 + rise + round(noise(2));
}

static double noisy_plateau(size_t instance, size_t i, double *busy)
{
    (void)instance;
    (void)busy;
    double rise = i < 48 ? 30.0 * (double)i / 12 : 120; /* +30/h for 4 h, then flat */
    return round(20 + rise + noise(20));
}

/* A site that follows a power of the load (sessions held longer when busy), sampled every
 * ten minutes, with a leak of leak_per_hour per instance from sample leak_from on. */
static double curve_leak_per_hour;
static size_t curve_leak_from;

static double load_curve(size_t instance, size_t i, double *busy)
{
    (void)instance;
    double load = load_at(2 * i);
    *busy = round(2000 * load + noise(30));
    double leaked =
            i >= curve_leak_from ? curve_leak_per_hour * (double)(i - curve_leak_from) / 6 : 0;
    return round(800 * pow(load, 1.3) + noise(10) + leaked);
}

START_TEST(test_load_curve_repeats_its_day)
{
    /* A straight load coefficient leaves part of a curved load's shape in the count less
     * the load, which rises on some evenings of the second day (20 instances, the server's
     * 30 hours of history, the last six tested). Against the same hours a day before, it stands no
     * higher and does not rise away from them: no leak at any cut-off of the second day. */
    noise_state = 59;
    curve_leak_per_hour = 0;
    struct fleet *f = make_fleet(20, 396, 600, load_curve);
    size_t n_day_before = 0;
    for (size_t end = 288; end <= 396; end += 6) {
        fleet_slice(f, 20, end - 180, 180);
        struct trend_result r = analyze_window(f->series, 20);
        ck_assert_msg(!r.growing, "growing at sample %zu", end);
        n_day_before += r.reason == TREND_AS_DAY_BEFORE;
        trend_result_release(&r);
    }
    ck_assert_uint_gt(n_day_before, 0);

    /* A leak of 20/h on the same site is found two hours after it began at 13:00 (it rises
     * away from the day before), and one that began at 12:40 the day before is found at
     * 08:00 (it stands higher than the day before). */
    curve_leak_per_hour = 20;
    size_t froms[] = { 366, 220 }, ends[] = { 378, 336 };
    for (size_t k = 0; k < 2; k++) {
        curve_leak_from = froms[k];
        f = make_fleet(20, 396, 600, load_curve);
        fleet_slice(f, 20, ends[k] - 180, 180);
        struct trend_result r = analyze_window(f->series, 20);
        ck_assert_msg(r.growing, "missed at sample %zu: %s", ends[k], trend_reason_name(r.reason));
        trend_result_release(&r);
    }
}
END_TEST

/* A site that follows the load through an hour's lag (sessions held about an hour), the
 * traffic growing 3 % a day, sampled every ten minutes. */
static double lagging_session;

static double lag_with_traffic_growth(size_t instance, size_t i, double *busy)
{
    (void)instance;
    double load = load_at(2 * i) * (1 + 0.03 * (double)i / 144);
    if (i == 0)
        lagging_session = load;
    lagging_session += (load - lagging_session) * (1 - exp(-1.0 / 6));
    *busy = round(2000 * load + noise(30));
    return round(800 * lagging_session + noise(10));
}

START_TEST(test_lag_with_growing_traffic_repeats_its_day)
{
    /* What the lag leaves of the load in the count is 3 % smaller the day before, and the
     * difference grows towards the peak: twenty instances pooled find it rising away from
     * the day before, certain. Rising away by less than the minimum growth per instance is
     * none. Every cut-off of the second day, 20 draws: 9 of 380 flagged before, 2 now. */
    size_t flagged = 0;
    for (uint32_t draw = 1; draw <= 20; draw++) {
        noise_state = draw;
        struct fleet *f = make_fleet(20, 396, 600, lag_with_traffic_growth);
        for (size_t end = 288; end <= 396; end += 6) {
            fleet_slice(f, 20, end - 180, 180);
            struct trend_result r = analyze_window(f->series, 20);
            flagged += r.growing;
            trend_result_release(&r);
        }
    }
    ck_assert_uint_le(flagged, 2);
}
END_TEST

/* The curved site of test_load_curve_repeats_its_day (no leak of its own), its instances
 * [0, n_leaking) leaking per_hour from sample from on, restarted there when restarted (a
 * deploy); sliced to 30 h ending at 13:00 of the third day. */
static struct fleet *curve_with_leaks(size_t n_leaking, size_t from, double per_hour,
                                      bool restarted)
{
    curve_leak_per_hour = 0;
    struct fleet *f = make_fleet(20, 396, 600, load_curve);
    for (size_t k = 0; k < n_leaking; k++)
        for (size_t i = from; i < 396; i++) {
            if (restarted)
                f->samples[k][i].started = 1600000000 + 3600;
            f->samples[k][i].count += round(per_hour * (double)(i - from) / 6);
        }
    fleet_slice(f, 20, 366 - 180, 180);
    return f;
}

START_TEST(test_deployed_leak_beside_a_repeated_day)
{
    /* The curved site at 13:00 of the third day, where every instance rises beside the day
     * before's same hours and is cleared; ten instances deployed four hours before leak
     * 20/h since. They have no day before to compare with (a new process), so they keep
     * their verdict: the site leaks, in those ten. */
    noise_state = 67;
    struct fleet *f = curve_with_leaks(10, 342, 20, true);
    struct trend_result r = analyze_window(f->series, 20);
    ck_assert_msg(r.growing, "%s", trend_reason_name(r.reason));
    ck_assert_uint_eq(r.n_leaking, 10);
    for (size_t k = 0; k < 20; k++)
        ck_assert(r.instances[k].leaking == (k < 10));
    trend_result_release(&r);
}
END_TEST

START_TEST(test_one_leak_among_repeated_days)
{
    /* The curved site at 13:00 of the third day, where every instance rises beside the day
     * before's same hours; instance 0 also leaks 50/h since six hours. Holm takes the
     * others with it; the day before keeps the strongest and clears the rest, so the leak
     * is named in instance 0 alone and its growth is its own, not the others' load. */
    noise_state = 83;
    struct fleet *f = curve_with_leaks(1, 330, 50, false);
    struct trend_result r = analyze_window(f->series, 20);
    ck_assert_msg(r.growing, "%s", trend_reason_name(r.reason));
    ck_assert_uint_eq(r.n_leaking, 1);
    ck_assert(r.instances[0].leaking);
    ck_assert_double_eq_tol(r.growth_per_hour, 50, 20);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_noisy_plateau_stops_being_growth)
{
    /* A count whose noise (+-20) hides an hour's growth: from three hours into the plateau
     * on, however long ago the growth was, it is no leak (a rule that keeps a noisy leak
     * suspect while the last hour stays on the growth line before it would keep this one
     * too, once the plateau fills most of that line's span). */
    noise_state = 53;
    struct fleet *f = make_fleet(20, 120, 300, noisy_plateau);
    for (size_t n = 84; n <= 120; n += 6) {
        for (size_t k = 0; k < 20; k++)
            f->series[k].n_samples = n;
        struct trend_result r = analyze(f->series, 20, NULL);
        ck_assert_msg(!r.growing, "growing %.1f h into the plateau", (double)(n - 48) / 12);
        trend_result_release(&r);
    }
}
END_TEST

START_TEST(test_plateau_stops_being_growth)
{
    noise_state = 31;
    struct fleet *f = make_fleet(20, 72, 300, plateau);
    /* still growing at 4 h */
    for (size_t k = 0; k < 20; k++)
        f->series[k].n_samples = 48;
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(r.growing);
    ck_assert_double_eq_tol(r.growth_per_hour, 600, 150);
    trend_result_release(&r);
    /* an hour and a quarter into the plateau */
    for (size_t k = 0; k < 20; k++)
        f->series[k].n_samples = 63;
    r = analyze(f->series, 20, NULL);
    ck_assert(!r.growing);
    ck_assert_int_eq(r.reason, TREND_PLATEAU);
    ck_assert_int_eq(r.plateau_since, 1700000000 + 48 * 300);
    trend_result_release(&r);
}
END_TEST

static double late_onset(size_t instance, size_t i, double *busy)
{
    (void)busy;
    double onset = 30 + (double)(instance % 5); /* 2.5 h in, a few minutes apart */
    return 40 + ((double)i > onset ? 20.0 * ((double)i - onset) / 12 : 0) + round(noise(1));
}

START_TEST(test_onset_is_the_median_change_point)
{
    noise_state = 37;
    struct fleet *f = make_fleet(20, 72, 300, late_onset);
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(r.growing);
    ck_assert_int_ge(r.since, 1700000000 + 29 * 300);
    ck_assert_int_le(r.since, 1700000000 + 35 * 300);
    trend_result_release(&r);

    /* Twelve hours of history and a six-hour window: the leak began 2.5 h into the
     * history, before the window, and `since` says so (not the window's start). */
    f = make_fleet(20, 144, 300, late_onset);
    r = analyze_window(f->series, 20);
    ck_assert(r.growing);
    ck_assert_int_ge(r.since, 1700000000 + 29 * 300);
    ck_assert_int_le(r.since, 1700000000 + 35 * 300);
    ck_assert_double_eq_tol(r.growth_per_hour, 20 * 20, 40);
    trend_result_release(&r);
}
END_TEST

static double slow_on_large(size_t instance, size_t i, double *busy)
{
    (void)instance;
    (void)busy;
    return 4000 + 5.0 * (double)i / 12; /* +5/h on 4,000: 0.125 %/h */
}

START_TEST(test_relative_minimum)
{
    struct fleet *f = make_fleet(20, 72, 300, slow_on_large);
    struct trend_result r = analyze(f->series, 20, NULL);
    ck_assert(r.significant);
    ck_assert(!r.growing);
    ck_assert_int_eq(r.reason, TREND_BELOW_MINIMUM);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_few_points_never_decide)
{
    static struct trend_sample a[MAX_POINTS];
    struct trend_series one = make_series(a, 5, 0, 60, linear, 40);
    struct trend_result r = analyze(&one, 1, NULL);
    ck_assert_uint_eq(r.n_segments, 0);
    ck_assert(!r.growing);
    ck_assert_int_eq(r.reason, TREND_NO_DATA);
    trend_result_release(&r);
    r = analyze(NULL, 0, NULL);
    ck_assert(!r.growing);
    trend_result_release(&r);
}
END_TEST

START_TEST(test_long_series_thinned)
{
    static struct trend_sample a[MAX_POINTS];
    struct trend_series one = make_series(a, MAX_POINTS, 0, 60, linear, 40);
    struct trend_result r = analyze(&one, 1, NULL);
    ck_assert(r.growing);
    ck_assert_uint_eq(r.n_samples, MAX_POINTS);
    ck_assert_double_eq_tol(r.growth_per_hour, 120, 1e-6);
    trend_result_release(&r);
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
    tcase_add_test(stats, test_despike);
    tcase_add_test(stats, test_segments_from_started_version_and_total);
    tcase_add_test(stats, test_holm);
    tcase_add_test(stats, test_onset);
    tcase_add_test(stats, test_ramp);
    tcase_add_test(stats, test_projection);
    suite_add_tcase(suite, stats);
    TCase *verdict = tcase_create("verdict");
    tcase_set_timeout(verdict, 60);
    tcase_add_test(verdict, test_flat_never_alerts);
    tcase_add_test(verdict, test_linear_growth_found);
    tcase_add_test(verdict, test_noisy_linear_growth_found);
    tcase_add_test(verdict, test_one_leaking_instance_of_twenty);
    tcase_add_test(verdict, test_noisy_fleet_not_growing);
    tcase_add_test(verdict, test_deploy_step_is_not_growth);
    tcase_add_test(verdict, test_spikes_are_not_growth);
    tcase_add_test(verdict, test_load_wave_is_not_growth);
    tcase_add_test(verdict, test_load_ramp_is_insufficient);
    tcase_add_test(verdict, test_leak_on_top_of_load_found);
    tcase_add_test(verdict, test_leak_beside_load_without_history);
    tcase_add_test(verdict, test_load_fit_over_history);
    tcase_add_test(verdict, test_plateau_as_load_falls);
    tcase_add_test(verdict, test_plateau_on_load_is_not_growth);
    tcase_add_test(verdict, test_noisy_plateau_stops_being_growth);
    tcase_add_test(verdict, test_load_curve_repeats_its_day);
    tcase_add_test(verdict, test_lag_with_growing_traffic_repeats_its_day);
    tcase_add_test(verdict, test_deployed_leak_beside_a_repeated_day);
    tcase_add_test(verdict, test_one_leak_among_repeated_days);
    tcase_add_test(verdict, test_growth_counts_fresh_instances);
    tcase_add_test(verdict, test_leak_inside_history_not_read_as_load);
    tcase_add_test(verdict, test_leak_after_load_trough);
    tcase_add_test(verdict, test_stopped_leak_not_read_as_load);
    tcase_add_test(verdict, test_growth_of_a_leak_as_the_load_falls);
    tcase_add_test(verdict, test_growth_of_a_leak_at_the_peak);
    tcase_add_test(verdict, test_pool_filling_as_load_falls);
    tcase_add_test(verdict, test_plateau_stops_being_growth);
    tcase_add_test(verdict, test_onset_is_the_median_change_point);
    tcase_add_test(verdict, test_relative_minimum);
    tcase_add_test(verdict, test_few_points_never_decide);
    tcase_add_test(verdict, test_long_series_thinned);
    suite_add_tcase(suite, verdict);
    return suite;
}

LF_CHECK_MAIN(trend_suite)
