/* trend.c - Theil–Sen slopes and Mann–Kendall tests over restart-free segments,
 * pooled across instances. Both statistics look at every pair of points, so a
 * segment longer than max_segment_points is thinned evenly first: the cost per site
 * is bounded by O(max_segment_points^2) per segment whatever the window holds. */
#include "trend.h"

#include <math.h>
#include <stdlib.h>

#include "alloc.h"

struct trend_params trend_params_default(void)
{
    return (struct trend_params){
        .min_samples = 6,
        .min_growth_per_hour = 1.0,
        .alpha = 0.01,
        .recent_alpha = 0.05,
        .restart_drop = 0.5,
        .max_segment_points = 400,
    };
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *v, size_t n)
{
    if (n == 0)
        return 0;
    if (n % 2 == 1)
        return v[n / 2];
    return (v[n / 2 - 1] + v[n / 2]) / 2;
}

double trend_theil_sen(const int64_t *ts, const double *values, size_t n)
{
    if (n < 2)
        return 0;
    size_t cap = n * (n - 1) / 2;
    double *slopes = lf_malloc(cap * sizeof(*slopes));
    if (!slopes)
        return 0;
    size_t n_slopes = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (ts[j] == ts[i])
                continue;
            slopes[n_slopes++] = (values[j] - values[i]) / (double)(ts[j] - ts[i]);
        }
    }
    qsort(slopes, n_slopes, sizeof(*slopes), compare_double);
    double slope = median_sorted(slopes, n_slopes);
    lf_free(slopes);
    return slope;
}

static struct trend_mk mk_from_s(double s, double var_s)
{
    struct trend_mk mk = { .s = s, .var_s = var_s, .z = 0, .p_value = 1 };
    if (var_s <= 0)
        return mk;
    if (s > 0)
        mk.z = (s - 1) / sqrt(var_s);
    else if (s < 0)
        mk.z = (s + 1) / sqrt(var_s);
    mk.p_value = erfc(fabs(mk.z) / sqrt(2.0));
    return mk;
}

struct trend_mk trend_mann_kendall(const double *values, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            s += (values[j] > values[i]) - (values[j] < values[i]);

    /* Ties shrink the variance: sum t(t-1)(2t+5) over groups of equal values. */
    double dn = (double)n;
    double var_s = dn * (dn - 1) * (2 * dn + 5);
    double *sorted = n ? lf_malloc(n * sizeof(*sorted)) : NULL;
    if (sorted) {
        for (size_t i = 0; i < n; i++)
            sorted[i] = values[i];
        qsort(sorted, n, sizeof(*sorted), compare_double);
        for (size_t i = 0; i < n;) {
            size_t j = i + 1;
            while (j < n && sorted[j] == sorted[i])
                j++;
            double t = (double)(j - i);
            var_s -= t * (t - 1) * (2 * t + 5);
            i = j;
        }
        lf_free(sorted);
    }
    return mk_from_s(s, var_s / 18);
}

struct trend_mk trend_mk_pool(const struct trend_mk *parts, size_t n_parts)
{
    double s = 0, var_s = 0;
    for (size_t i = 0; i < n_parts; i++) {
        s += parts[i].s;
        var_s += parts[i].var_s;
    }
    return mk_from_s(s, var_s);
}

size_t trend_segments(const struct trend_series *series, const struct trend_params *params,
        size_t *starts, size_t cap)
{
    size_t n_segments = 0;
    for (size_t i = 0; i < series->n_samples; i++) {
        bool starts_segment = i == 0;
        if (i > 0) {
            double prev = series->samples[i - 1].total, cur = series->samples[i].total;
            if (prev > 0 && cur >= 0 && cur < prev * (1 - params->restart_drop))
                starts_segment = true;
        }
        if (starts_segment) {
            if (n_segments < cap)
                starts[n_segments] = i;
            n_segments++;
        }
    }
    return n_segments < cap ? n_segments : cap;
}

/* Picks up to max points of samples[first, first+n) evenly into ts/values. */
static size_t thin_segment(const struct trend_sample *samples, size_t n, size_t max,
        int64_t *ts, double *values)
{
    size_t m = n <= max ? n : max;
    for (size_t k = 0; k < m; k++) {
        size_t i = m == n ? k : (size_t)((double)k * (double)(n - 1) / (double)(m - 1));
        ts[k] = samples[i].ts;
        values[k] = samples[i].count;
    }
    return m;
}

/* The start of a segment's growth: the last time it stood at its minimum. */
static int64_t growth_start(const int64_t *ts, const double *values, size_t n)
{
    size_t at = 0;
    for (size_t i = 1; i < n; i++)
        if (values[i] <= values[at])
            at = i;
    return ts[at];
}

int trend_analyze(const struct trend_series *series, size_t n_series,
        const struct trend_params *params, struct trend_result *out, struct lf_error *err)
{
    struct trend_params defaults = trend_params_default();
    if (!params)
        params = &defaults;
    size_t max_points = params->max_segment_points < 2 ? 2 : params->max_segment_points;
    *out = (struct trend_result){ 0 };

    size_t total_samples = 0;
    for (size_t i = 0; i < n_series; i++)
        total_samples += series[i].n_samples;

    int rc = LF_OK;
    size_t *starts = lf_malloc((total_samples + 1) * sizeof(*starts));
    struct trend_mk *parts = lf_malloc((total_samples + 1) * sizeof(*parts));
    struct trend_mk *recent = lf_malloc((total_samples + 1) * sizeof(*recent));
    int64_t *ts = lf_malloc(max_points * sizeof(*ts));
    double *values = lf_malloc(max_points * sizeof(*values));
    if (!starts || !parts || !recent || !ts || !values) {
        rc = lf_fail(err, LF_ENOMEM, "trend: out of memory");
        goto out;
    }

    size_t n_parts = 0;
    int64_t since = 0;
    bool have_since = false;
    for (size_t s = 0; s < n_series; s++) {
        const struct trend_series *one = &series[s];
        size_t n_segments = trend_segments(one, params, starts, total_samples + 1);
        double latest_slope = 0;
        int64_t latest_start = 0;
        bool have_latest = false;
        for (size_t g = 0; g < n_segments; g++) {
            size_t first = starts[g];
            size_t end = g + 1 < n_segments ? starts[g + 1] : one->n_samples;
            size_t n = end - first;
            if (n < params->min_samples || n < 2)
                continue;
            size_t m = thin_segment(one->samples + first, n, max_points, ts, values);
            recent[n_parts] = trend_mann_kendall(values + m / 2, m - m / 2);
            parts[n_parts++] = trend_mann_kendall(values, m);
            out->n_samples += n;
            latest_slope = trend_theil_sen(ts, values, m);
            latest_start = growth_start(ts, values, m);
            have_latest = true;
        }
        if (have_latest) {
            out->growth_per_hour += latest_slope * 3600.0;
            if (latest_slope > 0 && (!have_since || latest_start < since)) {
                since = latest_start;
                have_since = true;
            }
        }
    }
    out->n_segments = n_parts;
    out->pooled = trend_mk_pool(parts, n_parts);
    out->significant = n_parts > 0 && out->pooled.s > 0 && out->pooled.p_value < params->alpha;
    out->recent = trend_mk_pool(recent, n_parts);
    out->growing = out->significant && out->recent.s > 0 &&
            out->recent.p_value < params->recent_alpha &&
            out->growth_per_hour >= params->min_growth_per_hour;
    out->since = out->growing ? since : 0;

out:
    lf_free(starts);
    lf_free(parts);
    lf_free(recent);
    lf_free(ts);
    lf_free(values);
    return rc;
}

double trend_hours_to_reach(double current, double growth_per_hour, double target)
{
    if (current >= target)
        return 0;
    if (growth_per_hour <= 0)
        return -1;
    return (target - current) / growth_per_hour;
}
