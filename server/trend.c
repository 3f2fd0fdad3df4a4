/* trend.c - per-instance growth verdicts for one site: segments from restarts, running
 * medians against outliers, load taken out by least squares, Mann–Kendall and Theil–Sen
 * per instance, Holm across instances, the comparison with the same hours a day before, a
 * ramp (onset and stop) that takes a leak out of the load fit, a hinge fit for the onset
 * (trend.h says why).
 * Both pair statistics look at every pair of points, so a segment longer than
 * max_segment_points is thinned evenly first: the cost per instance is bounded by
 * O(max_segment_points^2) whatever the window holds. */
#include "trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct trend_params trend_params_default(void)
{
    return (struct trend_params){
        .min_samples = 6,
        .min_growth_per_hour = 1.0,
        .min_relative_growth = 0.005,
        .min_growth_per_instance = 0.5,
        .alpha = 0.001,
        .recent_alpha = 0.05,
        .pooled_alpha = 1e-6,
        .recent = 3600,
        .slope_span = 6 * 3600,
        .restart_drop = 0.5,
        .load_collinear = 0.95,
        .load_min_variation = 0.01,
        .max_segment_points = 400,
        .window = 0,
        .load_min_span = 12 * 3600,
        .load_step = 1500,
        .load_min_share = 0.5,
        .day_like_load = 0.2,
    };
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0, n), v reordered: Hoare's selection of the upper middle, then the
 * largest below it for an even n. O(n) on average where sorting is O(n log n). */
static double median_select(double *v, size_t n)
{
    if (n == 0)
        return 0;
    size_t k = n / 2, lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    if (n % 2 == 1)
        return v[k];
    double below = v[0];
    for (size_t i = 1; i < k; i++)
        if (v[i] > below)
            below = v[i];
    return (below + v[k]) / 2;
}

static double median3(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b > c)
        b = c;
    return a > b ? a : b;
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
    double slope = median_select(slopes, n_slopes);
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
        memcpy(sorted, values, n * sizeof(*sorted));
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

double trend_p_up(const struct trend_mk *mk)
{
    if (mk->var_s <= 0)
        return 1;
    return 0.5 * erfc(mk->z / sqrt(2.0));
}

/* The spread of a series' noise, robustly: 1.4826 * median |x[i] - x[i-1]| / sqrt 2
 * (the MAD of successive differences; a trend shifts it by no more than its step). */
static double noise_scale(const double *in, size_t n)
{
    if (n < 2)
        return 0;
    double *d = lf_malloc((n - 1) * sizeof(*d));
    if (!d)
        return 0;
    for (size_t i = 1; i < n; i++)
        d[i - 1] = fabs(in[i] - in[i - 1]);
    double mad = median_select(d, n - 1);
    lf_free(d);
    return 1.4826 * mad / sqrt(2.0);
}

void trend_despike(const double *in, size_t n, double *out)
{
    if (n == 0)
        return;
    memcpy(out, in, n * sizeof(*out));
    if (n < 3)
        return;
    /* A Hampel filter: only a value far from the median of itself and its neighbours is
     * replaced by that median. Ordinary noise stays as it was, so the pair statistics
     * keep their null distribution (a plain running median would correlate neighbours
     * and make noise look like a trend). */
    double scale = noise_scale(in, n);
    double limit = 4 * scale > 2 ? 4 * scale : 2;
    for (size_t i = 1; i + 1 < n; i++) {
        double m = median3(in[i - 1], in[i], in[i + 1]);
        if (fabs(in[i] - m) > limit)
            out[i] = m;
    }
    double last = median3(in[n - 3], in[n - 2], in[n - 1]);
    if (fabs(in[n - 1] - last) > limit)
        out[n - 1] = last;
}

/* The despiked total at i: the median of its neighbours and itself. */
static double total_at(const struct trend_series *series, size_t i)
{
    const struct trend_sample *s = series->samples;
    size_t n = series->n_samples;
    if (n < 3)
        return s[i].total;
    if (i == 0)
        return median3(s[0].total, s[1].total, s[2].total);
    if (i + 1 == n)
        return median3(s[n - 3].total, s[n - 2].total, s[n - 1].total);
    return median3(s[i - 1].total, s[i].total, s[i + 1].total);
}

size_t trend_segments(const struct trend_series *series, const struct trend_params *params,
                      size_t *starts, size_t cap)
{
    size_t n_segments = 0;
    for (size_t i = 0; i < series->n_samples; i++) {
        bool starts_segment = i == 0;
        if (i > 0) {
            const struct trend_sample *prev = &series->samples[i - 1];
            const struct trend_sample *cur = &series->samples[i];
            if (prev->started != 0 && cur->started != 0) {
                starts_segment = prev->started != cur->started;
            } else {
                double before = total_at(series, i - 1), now = total_at(series, i);
                starts_segment =
                        before > 0 && now >= 0 && now < before * (1 - params->restart_drop);
            }
            if (prev->version != 0 && cur->version != 0 && prev->version != cur->version)
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

struct holm_item {
    double p;
    size_t index;
};

static int compare_holm(const void *a, const void *b)
{
    const struct holm_item *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

size_t trend_holm(const double *p, size_t n, double alpha, bool *rejected, double *min_adjusted)
{
    *min_adjusted = 1;
    for (size_t i = 0; i < n; i++)
        rejected[i] = false;
    if (n == 0)
        return 0;
    struct holm_item *items = lf_malloc(n * sizeof(*items));
    if (!items) {
        /* Bonferroni needs no order and is never less strict */
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            double adjusted = p[i] * (double)n;
            if (adjusted < *min_adjusted)
                *min_adjusted = adjusted;
            if (adjusted <= alpha) {
                rejected[i] = true;
                k++;
            }
        }
        return k;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = (struct holm_item){ p[i], i };
    qsort(items, n, sizeof(*items), compare_holm);
    double adjusted = items[0].p * (double)n;
    *min_adjusted = adjusted < 1 ? adjusted : 1;
    size_t k = 0;
    while (k < n && items[k].p * (double)(n - k) <= alpha) {
        rejected[items[k].index] = true;
        k++;
    }
    lf_free(items);
    return k;
}

int64_t trend_onset(const int64_t *ts, const double *values, size_t n)
{
    if (n < 3)
        return n ? ts[0] : 0;
    /* For each candidate hinge tau = ts[k], fit values = a + g * max(0, t - tau) by least
     * squares; keep the tau with the smallest residual sum of squares. */
    double sum_y = 0, sum_yy = 0;
    for (size_t i = 0; i < n; i++) {
        sum_y += values[i];
        sum_yy += values[i] * values[i];
    }
    double dn = (double)n;
    double best_sse = INFINITY;
    int64_t best = ts[0];
    for (size_t k = 0; k + 2 < n; k++) {
        double sx = 0, sxx = 0, sxy = 0;
        for (size_t i = k + 1; i < n; i++) {
            double x = (double)(ts[i] - ts[k]) / 3600.0;
            sx += x;
            sxx += x * x;
            sxy += x * values[i];
        }
        double var_x = sxx - sx * sx / dn;
        if (var_x <= 0)
            continue;
        double cov = sxy - sx * sum_y / dn;
        double g = cov / var_x;
        if (g <= 0)
            continue;
        double sse = (sum_yy - sum_y * sum_y / dn) - cov * cov / var_x;
        if (sse < best_sse - 1e-9) {
            best_sse = sse;
            best = ts[k];
        }
    }
    return best;
}

static double mean_of(const double *v, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return n ? sum / (double)n : 0;
}

void trend_ramp(const int64_t *ts, const double *values, const double *load, size_t n,
                int64_t *onset, int64_t *stop)
{
    *onset = n ? ts[0] : 0;
    *stop = n ? ts[n - 1] : 0;
    if (n < 4)
        return;
    /* For each onset ts[k] and stop ts[j] (k < j), least squares of values = a + beta *
     * load + g * x with x = min(max(0, t - ts[k]), ts[j] - ts[k]); each pair in constant
     * time from prefix sums (t in hours from ts[0]). Kept: the largest sum of squares
     * explained with g > 0. Without load, beta = 0. */
    enum { T, TT, Y, TY, B, TB, N_SUMS };
    double *sum = lf_calloc(N_SUMS * (n + 1), sizeof(*sum));
    if (!sum)
        return;
    double sbb = 0, sby = 0, syy = 0, mean_y = mean_of(values, n);
    double mean_b = load ? mean_of(load, n) : 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)(ts[i] - ts[0]) / 3600.0, y = values[i] - mean_y;
        double b = load ? load[i] - mean_b : 0;
        double *prev = sum + N_SUMS * i, *next = sum + N_SUMS * (i + 1);
        next[T] = prev[T] + t;
        next[TT] = prev[TT] + t * t;
        next[Y] = prev[Y] + y;
        next[TY] = prev[TY] + t * y;
        next[B] = prev[B] + b;
        next[TB] = prev[TB] + t * b;
        sbb += b * b;
        sby += b * y;
        syy += y * y;
    }
    double dn = (double)n, best = -INFINITY;
    const double *all = sum + N_SUMS * n;
    for (size_t k = 0; k + 2 < n; k++) {
        double a = (double)(ts[k] - ts[0]) / 3600.0;
        const double *from = sum + N_SUMS * (k + 1);
        for (size_t j = n - 1; j >= k + 2; j--) {
            if (ts[j] <= ts[k])
                break; /* no ramp between samples of one time */
            /* the ramp over (k, j], flat at cap from j on */
            const double *to = sum + N_SUMS * (j + 1);
            double cap = (double)(ts[j] - ts[k]) / 3600.0;
            double cnt = (double)(j - k), tail = (double)(n - 1 - j);
            double rt = to[T] - from[T];
            double sx = rt - a * cnt + cap * tail;
            double sxx = to[TT] - from[TT] - 2 * a * rt + a * a * cnt + cap * cap * tail;
            double sxy = to[TY] - from[TY] - a * (to[Y] - from[Y]) + cap * (all[Y] - to[Y]);
            double sxb = to[TB] - from[TB] - a * (to[B] - from[B]) + cap * (all[B] - to[B]);
            sxx -= sx * sx / dn;
            sxb -= sx * all[B] / dn;
            sxy -= sx * all[Y] / dn;
            double explained, g;
            if (sbb > 0) {
                double det = sbb * sxx - sxb * sxb;
                if (det <= 1e-12 * sbb * sxx)
                    continue;
                g = (sbb * sxy - sxb * sby) / det;
                explained = (sxx * sby * sby - 2 * sxb * sby * sxy + sbb * sxy * sxy) / det;
            } else {
                if (sxx <= 1e-12)
                    continue;
                g = sxy / sxx;
                explained = sxy * sxy / sxx;
            }
            if (g > 0 && explained > best + 1e-9 * syy) {
                best = explained;
                *onset = ts[k];
                *stop = ts[j];
            }
        }
    }
    lf_free(sum);
}

/* ---- the site's load coefficient --------------------------------------------------- */

/* Takes the least-squares line in time out of values, in place: what stays is what a
 * steady trend cannot explain. (A line, not a curve: over a day a parabola would take
 * most of the daily wave with it.) */
static void detrend(const int64_t *ts, double *values, size_t n)
{
    double mean_t = 0, mean_v = 0;
    for (size_t i = 0; i < n; i++) {
        mean_t += (double)(ts[i] - ts[0]) / 3600.0;
        mean_v += values[i];
    }
    mean_t /= (double)n;
    mean_v /= (double)n;
    double stt = 0, stv = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)(ts[i] - ts[0]) / 3600.0 - mean_t;
        stt += t * t;
        stv += t * (values[i] - mean_v);
    }
    double g = stt > 0 ? stv / stt : 0;
    for (size_t i = 0; i < n; i++)
        values[i] -= mean_v + g * ((double)(ts[i] - ts[0]) / 3600.0 - mean_t);
}

/* Takes out of values, in place, what a leak can explain: a line in time, or, when onset
 * is inside (ts[0], ts[n-1]) or stop before ts[n-1], a level and a ramp from onset to stop
 * (flat before, linear after, flat again from stop on). Not a line and a hinge:
 * together they follow a daily wave bent at its trough or peak closely enough to leave
 * little load to measure, and a leak that began at the trough would then still be read as
 * load. Before its onset a leak adds nothing: the instance is flat there but for the load;
 * after it stopped, too (a ramp run on through a plateau would leave the plateau's morning
 * as a fall against a rising load, and the coefficient low). h is scratch of n values. */
static void detrend_ramp(const int64_t *ts, double *values, size_t n, int64_t onset, int64_t stop,
                         double *h)
{
    if (onset >= ts[n - 1] || (onset <= ts[0] && stop >= ts[n - 1])) {
        detrend(ts, values, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t t = ts[i] < stop ? ts[i] : stop;
        h[i] = t > onset ? (double)(t - onset) / 3600.0 : 0;
    }
    double mean_v = mean_of(values, n), mean_h = mean_of(h, n);
    double shh = 0, shv = 0;
    for (size_t i = 0; i < n; i++) {
        values[i] -= mean_v;
        h[i] -= mean_h;
        shh += h[i] * h[i];
        shv += h[i] * values[i];
    }
    for (size_t i = 0; i < n && shh > 0; i++)
        values[i] -= shv / shh * h[i];
}

/* The busy count's noise in one instance, as its variance per busy goroutine (1 for a
 * Poisson count): from the differences between samples at most close_gap apart (load moves
 * over hours, noise from one profile to the next), each scaled by the root of its level, as
 * a count's noise grows with the count; 1 when fewer than six such pairs exist. */
static double busy_dispersion(const struct trend_sample *s, size_t n, int64_t close_gap,
                              double *scratch)
{
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        double level = (s[i].busy + s[i - 1].busy) / 2;
        if (s[i].busy >= 0 && s[i - 1].busy >= 0 && level >= 1 &&
            s[i].ts - s[i - 1].ts <= close_gap)
            scratch[k++] = fabs(s[i].busy - s[i - 1].busy) / sqrt(level);
    }
    if (k < 6)
        return 1;
    double sd = 1.4826 * median_select(scratch, k) / sqrt(2.0);
    return sd * sd;
}

struct trend_load trend_load_fit(const struct trend_series *series, size_t n_series,
                                 const int64_t *onsets, const int64_t *stops,
                                 const struct trend_params *params)
{
    struct trend_load fit = { 0 };
    size_t most = 0;
    for (size_t i = 0; i < n_series; i++)
        if (series[i].n_samples > most)
            most = series[i].n_samples;
    if (most == 0)
        return fit;
    size_t *starts = lf_malloc((most + 1) * sizeof(*starts));
    int64_t *ts = lf_malloc(most * sizeof(*ts));
    double *raw = lf_malloc(most * sizeof(*raw));
    double *count = lf_malloc(most * sizeof(*count));
    double *busy = lf_malloc(most * sizeof(*busy));
    double *ramp = lf_malloc(most * sizeof(*ramp));
    if (!starts || !ts || !raw || !count || !busy || !ramp)
        goto out;
    double scb = 0, sbb = 0, noise = 0, sum_b = 0;
    int64_t span = 0;
    for (size_t s = 0; s < n_series; s++) {
        const struct trend_series *one = &series[s];
        double dispersion = busy_dispersion(one->samples, one->n_samples, 900, raw);
        int64_t series_span = 0;
        size_t n_segments = trend_segments(one, params, starts, most + 1);
        starts[n_segments] = one->n_samples;
        for (size_t k = 0; k < n_segments; k++) {
            const struct trend_sample *seg = one->samples + starts[k];
            size_t len = starts[k + 1] - starts[k];
            /* every part of the segment weighs the same however densely it was read: one
             * sample per load_step */
            size_t m = 0;
            bool known = true;
            for (size_t i = 0; i < len && known; i++) {
                known = seg[i].busy >= 0;
                if (m > 0 && seg[i].ts < ts[m - 1] + params->load_step)
                    continue;
                ts[m] = seg[i].ts;
                raw[m] = seg[i].count;
                busy[m++] = seg[i].busy;
            }
            if (!known || m < params->min_samples)
                continue;
            trend_despike(raw, m, count);
            memcpy(raw, busy, m * sizeof(*raw));
            trend_despike(raw, m, busy);
            double mean_b = mean_of(busy, m);
            int64_t onset = onsets && k + 1 == n_segments ? onsets[s] : 0;
            int64_t stop = stops && onset ? stops[s] : INT64_MAX;
            detrend_ramp(ts, count, m, onset, stop, ramp);
            detrend_ramp(ts, busy, m, onset, stop, ramp);
            for (size_t i = 0; i < m; i++) {
                scb += count[i] * busy[i];
                sbb += busy[i] * busy[i];
            }
            /* the noise's variance follows the level; the line (or level and ramp) took
             * two degrees of freedom of it */
            noise += (double)(m - 2) * dispersion * mean_b;
            sum_b += mean_b * (double)m;
            fit.n += m;
            series_span += ts[m - 1] - ts[0];
        }
        if (series_span > span)
            span = series_span;
    }
    if (fit.n == 0 || sbb <= 0)
        goto out;
    double signal = sbb - noise;
    fit.share = signal > 0 ? signal / sbb : 0;
    double sd = signal > 0 ? sqrt(signal / (double)fit.n) : 0;
    double mean_b = sum_b / (double)fit.n;
    /* Known only when the load moved, apart from any trend, more than its noise, over
     * segments long enough to hold part of a daily cycle: then the load and a leak are
     * told apart by their shapes, not by a guess. */
    if (span >= params->load_min_span && fit.share >= params->load_min_share &&
        sd >= params->load_min_variation * mean_b) {
        fit.known = true;
        fit.beta = scb / signal;
    }
out:
    lf_free(starts);
    lf_free(ts);
    lf_free(raw);
    lf_free(count);
    lf_free(busy);
    lf_free(ramp);
    return fit;
}

/* ---- one instance ---------------------------------------------------------------- */

struct scratch {
    int64_t *ts;
    double *raw;
    double *count;
    double *busy;
    double *load; /* the busy count despiked, not averaged */
    double *adjusted;
};

/* Picks up to max points of samples evenly into the scratch arrays; returns how many. */
static size_t thin(const struct trend_sample *samples, size_t n, size_t max, struct scratch *w,
                   bool *busy_known)
{
    size_t m = n <= max ? n : max;
    *busy_known = true;
    for (size_t k = 0; k < m; k++) {
        size_t i = m == n ? k : (size_t)((double)k * (double)(n - 1) / (double)(m - 1));
        w->ts[k] = samples[i].ts;
        w->raw[k] = samples[i].count;
        w->busy[k] = samples[i].busy;
        if (samples[i].busy < 0)
            *busy_known = false;
    }
    return m;
}

/* The load proxy without its outliers into w->load, and that averaged over up to five
 * neighbouring samples into w->busy: load moves over hours, and noise in a regressor would
 * bias its coefficient towards zero (leaving part of the load in the count). The average
 * only serves to estimate a coefficient: the load taken out of the count is w->load, whose
 * noise is independent from one sample to the next as the trend tests assume (an average's
 * is not, and would make noise look like a trend). */
static void smooth_load(struct scratch *w, size_t m)
{
    trend_despike(w->busy, m, w->load);
    for (size_t i = 0; i < m; i++) {
        /* centred, narrower at the ends: a one-sided average would lag a ramp there and
         * leave a step in the adjusted count */
        size_t half = i < 2 ? i : 2;
        if (m - 1 - i < half)
            half = m - 1 - i;
        size_t from = i - half, to = i + half + 1;
        double sum = 0;
        for (size_t j = from; j < to; j++)
            sum += w->load[j];
        w->busy[i] = sum / (double)(to - from);
    }
}

/* Takes the load part out of w->count into w->adjusted: least squares of the count on
 * (1, t, busy); false when load and time move together (no evidence either way). */
static bool adjust_for_load(const struct trend_params *params, const struct trend_load *load,
                            struct scratch *w, size_t m, bool busy_known,
                            struct trend_instance *inst)
{
    memcpy(w->adjusted, w->count, m * sizeof(*w->adjusted));
    if (!busy_known || m < 4)
        return true;
    if (load && load->known) {
        /* the site's own coefficient, from its history: no guess on a ramp */
        double mean_b = mean_of(w->load, m);
        for (size_t i = 0; i < m; i++)
            w->adjusted[i] = w->count[i] - load->beta * (w->load[i] - mean_b);
        inst->load_adjusted = load->beta != 0;
        return true;
    }
    double t0 = (double)w->ts[0];
    double mean_t = 0;
    for (size_t i = 0; i < m; i++)
        mean_t += ((double)w->ts[i] - t0) / 3600.0;
    mean_t /= (double)m;
    double mean_b = mean_of(w->busy, m), mean_c = mean_of(w->count, m);
    double stt = 0, sbb = 0, stb = 0, stc = 0, sbc = 0;
    for (size_t i = 0; i < m; i++) {
        double t = ((double)w->ts[i] - t0) / 3600.0 - mean_t;
        double b = w->busy[i] - mean_b, c = w->count[i] - mean_c;
        stt += t * t;
        sbb += b * b;
        stb += t * b;
        stc += t * c;
        sbc += b * c;
    }
    /* Load that varies no more than counting noise (a Poisson count's spread, shrunk by
     * the five-sample average) is not load: a few idle goroutines in IO wait. */
    double sd_b = sqrt(sbb / (double)m);
    double noise_var = mean_b / 5;
    if (mean_b <= 0 || sd_b < params->load_min_variation * mean_b || sd_b < 2 * sqrt(noise_var) ||
        stt <= 0)
        return true;
    inst->load_varies = true;
    /* Noise in a regressor biases its coefficient towards zero (part of the load would
     * stay in the count and look like a trend): the counting noise's share of the load's
     * spread is taken out of it (the errors-in-variables correction). */
    sbb -= (double)m * noise_var;
    if (sbb <= 0)
        return true;
    double corr = stb / sqrt(stt * sbb);
    if (fabs(corr) > params->load_collinear) {
        inst->load_ramp = true;
        return false;
    }
    /* Normal equations of c = g t + beta b (centred): solve the 2x2 system. */
    double det = stt * sbb - stb * stb;
    if (det <= 0)
        return true;
    double beta = (stt * sbc - stb * stc) / det;
    double g = (sbb * stc - stb * sbc) / det;
    /* The window alone must show what the load does to the count: a coefficient that
     * its own uncertainty covers three times over would put its error into the count as
     * a trend (a ramp's few idle goroutines, read against a noisy load), so with the load
     * varying and no history to learn it from, the instance gives no verdict; unless the
     * growth beside the load stands clear of three times its own uncertainty (a site
     * that leaks and does not follow the load at all: whatever the coefficient, the
     * count rises apart from it). */
    double sse = 0;
    for (size_t i = 0; i < m; i++) {
        double t = ((double)w->ts[i] - t0) / 3600.0 - mean_t;
        double e = (w->count[i] - mean_c) - g * t - beta * (w->busy[i] - mean_b);
        sse += e * e;
    }
    double se_beta = m > 3 ? sqrt(sse / (double)(m - 3) * stt / det) : INFINITY;
    double se_g = m > 3 ? sqrt(sse / (double)(m - 3) * sbb / det) : INFINITY;
    if (!(fabs(beta) >= 3 * se_beta) && !(g >= 3 * se_g)) {
        inst->load_ramp = true;
        return false;
    }
    for (size_t i = 0; i < m; i++)
        w->adjusted[i] = w->count[i] - beta * (w->load[i] - mean_b);
    inst->load_adjusted = true;
    return true;
}

/* First index of the points at or after ts[m-1] - span, leaving at least min_points. */
static size_t tail_start(const int64_t *ts, size_t m, int64_t span, size_t min_points)
{
    size_t first = m;
    while (first > 0 && ts[first - 1] >= ts[m - 1] - span)
        first--;
    if (m - first < min_points)
        first = m > min_points ? m - min_points : 0;
    return first;
}

/* One instance against the same hours a day before. */
struct day_before {
    bool read;            /* compared (known or not) */
    bool known;           /* its latest segment holds the window's hours a day before,
                             at a load alike */
    double z_window;      /* the window's mean of the count less the load against the
                             same span a day before, in units of the sample noise */
    double z_recent;      /* the same for the window's last `recent` seconds */
    struct trend_mk rise; /* Mann–Kendall over the window of each point less the day
                             before at that time */
    bool cleared;         /* rose, but no more than the day before: no part of the growth */
};

/* The mean and variance of values over the points whose ts fall in [from, to]; false when
 * fewer than min_points lie there. */
static bool span_moments(const int64_t *ts, const double *values, size_t m, int64_t from,
                         int64_t to, size_t min_points, double *mean, double *var, double *n_points)
{
    double sum = 0, sum2 = 0, n = 0;
    for (size_t i = 0; i < m; i++) {
        if (ts[i] < from || ts[i] > to)
            continue;
        sum += values[i];
        sum2 += values[i] * values[i];
        n++;
    }
    if (n < (double)min_points)
        return false;
    *mean = sum / n;
    *var = n > 1 ? fmax(0, (sum2 - n * *mean * *mean) / (n - 1)) : 0;
    *n_points = n;
    return true;
}

/* Whether the points of w cover [from, to] but for a tenth of it at either end. */
static bool span_covered(const struct scratch *w, size_t m, int64_t from, int64_t to)
{
    int64_t slack = (to - from) / 10;
    size_t i = 0;
    while (i < m && w->ts[i] < from)
        i++;
    if (i == m || w->ts[i] > from + slack)
        return false;
    while (i + 1 < m && w->ts[i + 1] <= to)
        i++;
    return w->ts[i] >= to - slack && w->ts[i] <= to;
}

/* Compares one instance's latest segment, read into w (m points, the count less the
 * load), over [window_from, end] with the same hours a day before (detect.c reads every
 * profile of those hours, as of the window). Known when the segment covers those hours and
 * the busy count's mean over them is within day_like_load of the window's: only a day whose
 * load was alike says what the load leaves in the count at that hour (not a Sunday's for a
 * Monday). Each point of the window is compared with the day before interpolated between
 * the two points around that time, at most `recent` apart. */
static struct day_before compare_day_before(const struct trend_params *params, struct scratch *w,
                                            size_t m, int64_t window_from, int64_t end)
{
    const int64_t day = TREND_DAY_BEFORE;
    struct day_before out = { 0 };
    /* a window of a day or more holds the day before itself */
    if (end - window_from >= day || !span_covered(w, m, window_from - day, end - day))
        return out;
    int64_t recent_from = end - params->recent;
    double mean_w, var_w, n_w, mean_r, var_r, n_r, mean_dw, var_dw, n_dw, mean_dr, var_dr, n_dr;
    const double *a = w->adjusted;
    if (!span_moments(w->ts, a, m, window_from, end, 3, &mean_w, &var_w, &n_w) ||
        !span_moments(w->ts, a, m, recent_from, end, 2, &mean_r, &var_r, &n_r) ||
        !span_moments(w->ts, a, m, window_from - day, end - day, 3, &mean_dw, &var_dw, &n_dw) ||
        !span_moments(w->ts, a, m, recent_from - day, end - day, 2, &mean_dr, &var_dr, &n_dr))
        return out;
    double load_w, load_dw, unused_var, unused_n;
    if (!span_moments(w->ts, w->load, m, window_from, end, 3, &load_w, &unused_var, &unused_n) ||
        !span_moments(w->ts, w->load, m, window_from - day, end - day, 3, &load_dw, &unused_var,
                      &unused_n) ||
        !(fabs(load_w - load_dw) <= params->day_like_load * fmax(load_w, load_dw)))
        return out;
    /* the noise of one sample: the smaller of today's variances, as growth inflates them;
     * at least one goroutine's (a count that does not move at all is no certainty) */
    double noise = fmax(fmin(var_w, var_r), 1);
    out.z_window = (mean_w - mean_dw) / sqrt(noise / n_w + noise / n_dw);
    out.z_recent = (mean_r - mean_dr) / sqrt(noise / n_r + noise / n_dr);
    /* The difference from the day before, point by point, into w->raw (unused once read),
     * less what the minimum growth per instance adds since the window's start: rising away
     * by less is none. Traffic that grows a few percent a day lifts what a lag or a curve
     * leaves of the load towards the peak as much, and twenty instances pooled would find
     * that certain. (Not the relative minimum: on a site of hundreds it is a few an hour,
     * and a leak that began inside the window would then fall first and rise after.) */
    double slowest = params->min_growth_per_instance;
    size_t n = 0, j = 0;
    for (size_t i = 0; i < m; i++) {
        if (w->ts[i] < window_from)
            continue;
        int64_t then = w->ts[i] - day;
        while (j + 1 < m && w->ts[j + 1] <= then)
            j++;
        if (w->ts[j] > then || j + 1 >= m || w->ts[j + 1] - w->ts[j] > params->recent)
            continue;
        double f = (double)(then - w->ts[j]) / (double)(w->ts[j + 1] - w->ts[j]);
        w->raw[n++] = w->adjusted[i] -
                      (w->adjusted[j] + f * (w->adjusted[j + 1] - w->adjusted[j])) -
                      slowest * (double)(w->ts[i] - window_from) / 3600.0;
    }
    if (n < 4)
        return out;
    out.rise = trend_mann_kendall(w->raw, n);
    out.known = true;
    return out;
}

/* Theil–Sen per hour over at most WINDOW_SLOPE_POINTS of the n points, picked evenly: the
 * slope shown for an instance of a site that does not grow, at a cost that does not grow
 * with the push rate (every judged instance of every site gets one; 72: about the 6 h
 * window read every 5 minutes). What a growing site's minimums weigh reads every point. */
#define WINDOW_SLOPE_POINTS 72

static double window_growth(const int64_t *ts, const double *values, size_t n)
{
    if (n <= WINDOW_SLOPE_POINTS)
        return trend_theil_sen(ts, values, n) * 3600.0;
    int64_t picked_ts[WINDOW_SLOPE_POINTS];
    double picked[WINDOW_SLOPE_POINTS];
    for (size_t k = 0; k < WINDOW_SLOPE_POINTS; k++) {
        size_t i = (size_t)((double)k * (double)(n - 1) / (WINDOW_SLOPE_POINTS - 1));
        picked_ts[k] = ts[i];
        picked[k] = values[i];
    }
    return trend_theil_sen(picked_ts, picked, WINDOW_SLOPE_POINTS) * 3600.0;
}

/* Judges one instance's latest segment samples[0, n). */
static void judge_instance(const struct trend_params *params, const struct trend_load *load,
                           const struct trend_sample *samples, size_t n, size_t max_points,
                           struct scratch *w, struct trend_instance *inst)
{
    memset(inst, 0, sizeof(*inst));
    if (n == 0)
        return;
    inst->segment_start = samples[0].ts;
    bool busy_known;
    size_t m = thin(samples, n, max_points, w, &busy_known);
    trend_despike(w->raw, m, w->count);
    inst->count = w->count[m - 1];
    if (n < params->min_samples || m < 3)
        return;
    if (busy_known)
        smooth_load(w, m);
    if (!adjust_for_load(params, load, w, m, busy_known, inst))
        return;
    inst->judged = true;
    inst->mk = trend_mann_kendall(w->adjusted, m);
    inst->p_up = trend_p_up(&inst->mk);
    size_t r = tail_start(w->ts, m, params->recent, 4);
    inst->recent = trend_mann_kendall(w->adjusted + r, m - r);
    if (inst->load_adjusted) {
        /* A leak raises the count itself, not only the count less the load: both must
         * rise, so a load coefficient a little off cannot make a rise out of a flat count
         * (a plateau as the load falls) or out of the load (a morning ramp). */
        struct trend_mk raw = trend_mann_kendall(w->count, m);
        if (trend_p_up(&raw) > inst->p_up) {
            inst->mk = raw;
            inst->p_up = trend_p_up(&raw);
        }
        struct trend_mk raw_recent = trend_mann_kendall(w->count + r, m - r);
        if (raw_recent.z < inst->recent.z)
            inst->recent = raw_recent;
    }
    size_t g = tail_start(w->ts, m, params->recent, 3);
    inst->recent_growth_per_hour = trend_theil_sen(w->ts + g, w->adjusted + g, m - g) * 3600.0;
    /* over the window, as the test: an hour's slope of a count less a noisy load is mostly
     * that noise */
    inst->growth_per_hour = window_growth(w->ts, w->adjusted, m);
}

/* Reads samples[0, n) into the scratch, thinned, despiked and less the load (the count
 * as it is where the load cannot be taken out, and when load is NULL); returns the points
 * read, and in *busy_known whether each of them has its busy count. */
static size_t read_adjusted(const struct trend_params *params, const struct trend_load *load,
                            const struct trend_sample *samples, size_t n, size_t max_points,
                            struct scratch *w, bool *busy_known)
{
    size_t m = thin(samples, n, max_points, w, busy_known);
    trend_despike(w->raw, m, w->count);
    if (*busy_known)
        smooth_load(w, m);
    struct trend_instance scratch_inst = { 0 };
    if (load)
        adjust_for_load(params, load, w, m, *busy_known, &scratch_inst);
    else
        memcpy(w->adjusted, w->count, m * sizeof(*w->adjusted));
    return m;
}

/* Whether one instance's latest segment samples[0, n), read into the scratch, rises from
 * window_from on at the per-instance level: the count less the load (the count itself when
 * load is NULL). */
static bool rising_in_window(const struct trend_params *params, const struct trend_load *load,
                             const struct trend_sample *samples, size_t n, int64_t window_from,
                             size_t max_points, struct scratch *w, size_t *m)
{
    *m = 0;
    if (n < params->min_samples)
        return false;
    bool busy_known;
    *m = read_adjusted(params, load, samples, n, max_points, w, &busy_known);
    if (*m < 3 || !busy_known)
        return false;
    size_t from = 0;
    while (from < *m && w->ts[from] < window_from)
        from++;
    if (*m - from < 3)
        return false;
    struct trend_mk mk = trend_mann_kendall(w->adjusted + from, *m - from);
    return trend_p_up(&mk) <= params->alpha;
}

/* Theil–Sen per hour of the adjusted count in the scratch from `from` on (its last three
 * points at least). */
static double growth_since(const struct scratch *w, size_t m, int64_t from)
{
    size_t g = 0;
    while (g < m && w->ts[g] < from)
        g++;
    if (m - g < 3)
        g = m >= 3 ? m - 3 : 0;
    return trend_theil_sen(w->ts + g, w->adjusted + g, m - g) * 3600.0;
}

/* When a leaking instance's count stopped rising: the first time it reached the level it
 * holds over the recent span (that span's median). */
static int64_t reached_level(const struct trend_params *params, const struct scratch *w, size_t m)
{
    size_t r = tail_start(w->ts, m, params->recent, 4);
    double *tail = lf_malloc((m - r) * sizeof(*tail));
    if (!tail)
        return w->ts[r];
    memcpy(tail, w->adjusted + r, (m - r) * sizeof(*tail));
    double level = median_select(tail, m - r);
    lf_free(tail);
    for (size_t i = 0; i < m; i++)
        if (w->adjusted[i] >= level)
            return w->ts[i];
    return w->ts[r];
}

/* The onset of the growth in one instance's latest segment samples[0, n), of the count less
 * the load: the hinge fitted over all of it. */
static int64_t segment_onset(const struct trend_params *params, const struct trend_load *load,
                             const struct trend_sample *samples, size_t n, size_t max_points,
                             struct scratch *w)
{
    bool busy_known;
    size_t m = read_adjusted(params, load, samples, n, max_points, w, &busy_known);
    return m >= 3 ? trend_onset(w->ts, w->adjusted, m) : w->ts[0];
}

/* Compares series one's latest segment (from segment_first on) with the day before into
 * *before, unless that was done. */
static void read_day_before(const struct trend_params *params, const struct trend_load *load,
                            const struct trend_series *one, size_t segment_first,
                            int64_t window_from, int64_t end, size_t max_points, struct scratch *w,
                            struct day_before *before)
{
    if (before->read)
        return;
    bool busy_known;
    size_t m = read_adjusted(params, load, one->samples + segment_first,
                             one->n_samples - segment_first, max_points, w, &busy_known);
    if (busy_known)
        *before = compare_day_before(params, w, m, window_from, end);
    before->read = true;
}

/* One leaking instance compared with its day before, by its strongest score. */
struct compared {
    double own; /* the largest of its three scores */
    size_t k;   /* its index among the judged instances */
};

static int compare_own_descending(const void *a, const void *b)
{
    double x = ((const struct compared *)a)->own, y = ((const struct compared *)b)->own;
    return (x < y) - (x > y);
}

/* Whether the pooled scores of befores over compared[from, n) reach the one-sided level:
 * the level scores summed over the root of their number (Stouffer), the rises' statistics
 * summed; *z the largest of the three. */
static bool pooled_day_before(double level, const struct day_before *befores,
                              const size_t *judged_index, const struct compared *compared,
                              size_t from, size_t n, double *z)
{
    double sum_window = 0, sum_recent = 0, rise_s = 0, rise_var = 0;
    for (size_t i = from; i < n; i++) {
        const struct day_before *one = &befores[judged_index[compared[i].k]];
        sum_window += one->z_window;
        sum_recent += one->z_recent;
        rise_s += one->rise.s;
        rise_var += one->rise.var_s;
    }
    double root = sqrt((double)(n - from));
    struct trend_mk rise = mk_from_s(rise_s, rise_var);
    *z = fmax(fmax(sum_window / root, sum_recent / root), rise.z);
    return 0.5 * erfc(*z / sqrt(2.0)) < level;
}

/* Clears the leaking instances that stand no higher than the same hours a day before and
 * do not rise away from them, where the count was taken less the load (server/trend.h).
 * Over the leaking instances with a day before: when their pooled scores do not reach
 * alpha, all of them are cleared; when they do, they step down strongest first, each
 * keeping its verdict while the pooled scores of it and every weaker one still reach
 * recent_alpha, and the rest are cleared. An instance whose own score reaches alpha over
 * their number is never cleared. So one strong instance carries no lagging ones with it,
 * and a leak in every instance keeps all but its weakest. Instances without a day before
 * (restarted, deployed, not adjusted) keep their verdict. Marks the cleared ones; returns
 * how many instances leak after it; *z is the largest pooled score over all of them. */
static size_t clear_as_day_before(const struct trend_params *params,
                                  const struct trend_instance *instances,
                                  struct day_before *befores, const size_t *judged_index,
                                  size_t n_judged, bool *rejected, size_t n_leaking, double *z)
{
    struct compared *compared = lf_malloc((n_judged + 1) * sizeof(*compared));
    if (!compared)
        return n_leaking; /* no memory to compare: every verdict stands */
    size_t n = 0;
    for (size_t k = 0; k < n_judged; k++) {
        const struct day_before *one = &befores[judged_index[k]];
        if (!rejected[k] || !instances[judged_index[k]].load_adjusted || !one->known)
            continue;
        compared[n++] = (struct compared){
            .own = fmax(fmax(one->z_window, one->z_recent), one->rise.z),
            .k = k,
        };
    }
    if (n > 0) {
        qsort(compared, n, sizeof(*compared), compare_own_descending);
        /* all of them reaching alpha keeps the strongest; each next one is kept while it
         * and the weaker ones still reach recent_alpha */
        double rest_z;
        size_t kept =
                pooled_day_before(params->alpha, befores, judged_index, compared, 0, n, z) ? 1 : 0;
        while (kept > 0 && kept < n &&
               pooled_day_before(params->recent_alpha, befores, judged_index, compared, kept, n,
                                 &rest_z))
            kept++;
        for (size_t i = kept; i < n; i++) {
            if (0.5 * erfc(compared[i].own / sqrt(2.0)) < params->alpha / (double)n)
                continue;
            rejected[compared[i].k] = false;
            befores[judged_index[compared[i].k]].cleared = true;
            n_leaking--;
        }
    }
    lf_free(compared);
    return n_leaking;
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t median_int64(int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), compare_int64);
    return v[(n - 1) / 2];
}

int trend_analyze(const struct trend_series *series, size_t n_series,
                  const struct trend_params *params, struct trend_result *out, struct lf_error *err)
{
    struct trend_params defaults = trend_params_default();
    if (!params)
        params = &defaults;
    size_t max_points = params->max_segment_points < 3 ? 3 : params->max_segment_points;
    *out = (struct trend_result){ .reason = TREND_NO_DATA, .p_value = 1 };

    size_t most = 0;
    for (size_t i = 0; i < n_series; i++)
        if (series[i].n_samples > most)
            most = series[i].n_samples;

    int rc = LF_OK;
    size_t *starts = lf_malloc((most + 1) * sizeof(*starts));
    size_t *firsts = lf_malloc((n_series + 1) * sizeof(*firsts));
    size_t *segment_firsts = lf_malloc((n_series + 1) * sizeof(*segment_firsts));
    double *p = lf_malloc((n_series + 1) * sizeof(*p));
    bool *rejected = lf_malloc((n_series + 1) * sizeof(*rejected));
    size_t *judged_index = lf_malloc((n_series + 1) * sizeof(*judged_index));
    int64_t *times = lf_malloc((n_series + 1) * sizeof(*times));
    int64_t *stops = lf_malloc((n_series + 1) * sizeof(*stops));
    int64_t *ramp_onsets = lf_calloc(n_series + 1, sizeof(*ramp_onsets)); /* 0: not fitted */
    int64_t *ramp_stops = lf_malloc((n_series + 1) * sizeof(*ramp_stops));
    struct trend_mk *parts = lf_malloc((n_series + 1) * sizeof(*parts));
    struct day_before *befores = lf_calloc(n_series + 1, sizeof(*befores));
    struct scratch w = {
        .ts = lf_malloc(max_points * sizeof(int64_t)),
        .raw = lf_malloc(max_points * sizeof(double)),
        .count = lf_malloc(max_points * sizeof(double)),
        .busy = lf_malloc(max_points * sizeof(double)),
        .load = lf_malloc(max_points * sizeof(double)),
        .adjusted = lf_malloc(max_points * sizeof(double)),
    };
    out->instances = lf_calloc(n_series + 1, sizeof(*out->instances));
    if (!starts || !firsts || !segment_firsts || !p || !rejected || !judged_index || !times ||
        !stops || !ramp_onsets || !ramp_stops || !parts || !befores || !w.ts || !w.raw ||
        !w.count || !w.busy || !w.load || !w.adjusted || !out->instances) {
        rc = lf_fail(err, LF_ENOMEM, "trend: out of memory");
        goto out;
    }
    out->n_instances = n_series;

    /* The site's load coefficient from every segment of every instance; then each
     * instance on the part of its latest segment inside the window. */
    int64_t end = 0;
    for (size_t s = 0; s < n_series; s++)
        if (series[s].n_samples && series[s].samples[series[s].n_samples - 1].ts > end)
            end = series[s].samples[series[s].n_samples - 1].ts;
    int64_t window_from = params->window > 0 ? end - params->window : 0;
    struct trend_load load = trend_load_fit(series, n_series, NULL, NULL, params);
    if (load.known) {
        /* Fitted again with each rising instance's leak (a ramp from its onset to its stop)
         * taken out of its latest segment: a leak that began or stopped inside the fitted
         * history leans on the coefficient otherwise (a ramp is no line). Which instances
         * rise is asked first of the counts themselves (a coefficient the leak leant on
         * would hide it: a count less a wrong load rises from the load's trough), then of
         * the counts less the load fitted before (refitted with the first round's ramps,
         * or the first fit where no count rose). */
        for (int round = 0; round < 2; round++) {
            size_t n_ramps = 0;
            for (size_t s = 0; s < n_series; s++) {
                size_t n_segments = trend_segments(&series[s], params, starts, most + 1);
                size_t first = n_segments ? starts[n_segments - 1] : 0;
                /* rising where the instance is judged, the window; its leak looked for over
                 * the whole segment (a day of a site that follows the load rises no more than
                 * it falls), beside the instance's own load: the load left in the count would
                 * put part of a daily wave's flank into the ramp. Fitted once: the ramp does
                 * not depend on the site's coefficient. */
                size_t m;
                if (!rising_in_window(params, round == 0 ? NULL : &load, series[s].samples + first,
                                      series[s].n_samples - first, window_from, max_points, &w,
                                      &m)) {
                    times[s] = 0;
                    continue;
                }
                if (ramp_onsets[s] == 0) {
                    trend_ramp(w.ts, w.count, w.busy, m, &ramp_onsets[s], &ramp_stops[s]);
                    if (ramp_stops[s] >= w.ts[m - 1])
                        ramp_stops[s] = INT64_MAX;
                }
                times[s] = ramp_onsets[s];
                stops[s] = ramp_stops[s];
                n_ramps++;
            }
            /* none rising in the counts themselves may still rise less the load: at night
             * a leak's count falls with the load, and the leak leans on the coefficient all
             * the same (30 % high, 16 h into a leak of 20/h on 400 x the load) */
            if (n_ramps == 0 && round == 0)
                continue;
            if (n_ramps == 0)
                break;
            struct trend_load refit = trend_load_fit(series, n_series, times, stops, params);
            if (!refit.known)
                break;
            load = refit;
        }
    }
    out->load = load;
    size_t n_judged = 0, n_ramp = 0, n_varying = 0;
    for (size_t s = 0; s < n_series; s++) {
        const struct trend_series *one = &series[s];
        size_t n_segments = trend_segments(one, params, starts, most + 1);
        size_t first = n_segments ? starts[n_segments - 1] : 0;
        segment_firsts[s] = first;
        while (params->window > 0 && first < one->n_samples && one->samples[first].ts < window_from)
            first++;
        firsts[s] = first;
        struct trend_instance *inst = &out->instances[s];
        judge_instance(params, &load, one->samples + first, one->n_samples - first, max_points, &w,
                       inst);
        n_ramp += inst->load_ramp;
        n_varying += inst->load_varies;
        if (!inst->judged)
            continue;
        p[n_judged] = inst->p_up;
        parts[n_judged] = inst->mk;
        judged_index[n_judged++] = s;
        out->n_samples += one->n_samples - first;
    }
    out->n_segments = n_judged;
    if (n_judged == 0) {
        out->reason = n_ramp > 0 ? TREND_LOAD_RAMP : TREND_NO_DATA;
        goto out;
    }
    out->pooled = trend_mk_pool(parts, n_judged);

    /* Which instances leak: Holm over the instances, else every rising one when the
     * pooled statistic says the fleet rises as a whole. */
    double min_adjusted = 1;
    size_t n_leaking = trend_holm(p, n_judged, params->alpha, rejected, &min_adjusted);
    out->p_value = min_adjusted;
    double pooled_p = trend_p_up(&out->pooled);
    if (n_leaking > 0) {
        /* the site leaks: every instance that rises at the per-instance level leaks with
         * it (the correction guards the site's verdict, not the count of its leakers) */
        for (size_t k = 0; k < n_judged; k++) {
            if (rejected[k] || p[k] > params->alpha)
                continue;
            rejected[k] = true;
            n_leaking++;
        }
    } else if (pooled_p < params->pooled_alpha && (load.known || n_varying == 0)) {
        /* Pooled only where the load is known or flat: the sum of twenty small rises is
         * significant however small they are, and what is left of a load the window alone
         * could not take out (a ramp, a pool that fills as the load falls) is one. */
        for (size_t k = 0; k < n_judged; k++) {
            const struct trend_instance *inst = &out->instances[judged_index[k]];
            rejected[k] = inst->mk.s > 0 && inst->recent_growth_per_hour > 0;
            n_leaking += rejected[k];
        }
        out->p_value = pooled_p;
    }

    bool cleared = false;
    if (n_leaking > 0 && load.known) {
        for (size_t k = 0; k < n_judged; k++) {
            size_t s = judged_index[k];
            if (rejected[k] && out->instances[s].load_adjusted)
                read_day_before(params, &load, &series[s], segment_firsts[s], window_from, end,
                                max_points, &w, &befores[s]);
        }
        size_t before_clearing = n_leaking;
        n_leaking = clear_as_day_before(params, out->instances, befores, judged_index, n_judged,
                                        rejected, n_leaking, &out->day_before_z);
        cleared = n_leaking < before_clearing;
    }

    double growth = 0, recent_growth = 0, baseline = 0, all_growth = 0, others_growth = 0;
    size_t n_others = 0;
    size_t n_recent = 0;
    for (size_t k = 0; k < n_judged; k++) {
        struct trend_instance *inst = &out->instances[judged_index[k]];
        all_growth += inst->growth_per_hour;
        if (!rejected[k])
            continue;
        inst->leaking = true;
        recent_growth += inst->recent_growth_per_hour;
        parts[n_recent++] = inst->recent;
    }
    out->n_leaking = n_leaking;
    out->significant = n_leaking > 0;
    out->growth_per_hour = all_growth;
    if (n_leaking == 0) {
        out->reason = cleared ? TREND_AS_DAY_BEFORE : TREND_NOT_GROWING;
        goto out;
    }
    out->recent = trend_mk_pool(parts, n_recent);

    /* Onsets, the baseline the relative minimum is measured from, plateau times, the
     * growth: each judged instance's segment is read again (the scratch holds one at a
     * time). */
    size_t n_times = 0, n_levels = 0;
    int64_t *levels = lf_malloc((n_series + 1) * sizeof(*levels));
    if (!levels) {
        rc = lf_fail(err, LF_ENOMEM, "trend: out of memory");
        goto out;
    }
    for (size_t s = 0; s < n_series; s++) {
        struct trend_instance *inst = &out->instances[s];
        if (!inst->judged)
            continue;
        /* the onset over as much of the latest segment as the series holds, before the
         * window too: a leak that began before the window is not dated at its start, and
         * its growth is measured from there (within the window, at most slope_span back),
         * not from a flat stretch of the window on */
        if (inst->leaking) {
            inst->onset = segment_onset(params, &load, series[s].samples + segment_firsts[s],
                                        series[s].n_samples - segment_firsts[s], max_points, &w);
            times[n_times++] = inst->onset;
        }
        if (!inst->leaking && befores[s].cleared) {
            /* its rise is what the load left, as on the day before: none of the growth */
            inst->growth_per_hour = 0;
            continue;
        }
        bool busy_known;
        size_t m = read_adjusted(params, &load, series[s].samples + firsts[s],
                                 series[s].n_samples - firsts[s], max_points, &w, &busy_known);
        if (!inst->leaking) {
            /* The site leaks: the fleet's growth is every instance's, also those too
             * short or too noisy to name (a restart an hour ago), each over its window;
             * a flat one adds its noise around zero. */
            inst->growth_per_hour = trend_theil_sen(w.ts, w.adjusted, m) * 3600.0;
            growth += inst->growth_per_hour;
            others_growth += inst->growth_per_hour;
            n_others++;
            continue;
        }
        /* the growth since the onset (at most slope_span back): more points than the
         * recent span, none from before the leak began */
        int64_t from = inst->onset > w.ts[m - 1] - params->slope_span
                               ? inst->onset
                               : w.ts[m - 1] - params->slope_span;
        inst->growth_per_hour = growth_since(&w, m, from);
        growth += inst->growth_per_hour;
        double lowest = w.count[0];
        for (size_t i = 1; i < m; i++)
            if (w.count[i] < lowest)
                lowest = w.count[i];
        baseline += lowest > 1 ? lowest : 1;
        levels[n_levels++] = reached_level(params, &w, m);
    }
    bool still_rising = out->recent.s > 0 && trend_p_up(&out->recent) < params->recent_alpha &&
                        recent_growth > 0;
    if (!still_rising) {
        /* the growth is the plateau's: each leaking instance's since the site reached it,
         * the others' over the window as when it grows (an hour's slope of a count less a
         * noisy load is mostly that noise) */
        out->reason = TREND_PLATEAU;
        out->plateau_since = median_int64(levels, n_levels);
        lf_free(levels);
        out->growth_per_hour = others_growth;
        for (size_t s = 0; s < n_series; s++) {
            if (!out->instances[s].leaking)
                continue;
            bool busy_known;
            size_t m = read_adjusted(params, &load, series[s].samples + firsts[s],
                                     series[s].n_samples - firsts[s], max_points, &w, &busy_known);
            out->growth_per_hour += growth_since(&w, m, out->plateau_since);
        }
        goto out;
    }
    lf_free(levels);
    /* Instances with samples in the window that gave no verdict (a segment too short since
     * a restart, a load the window could not tell from time) are the same code under the
     * same traffic: the fleet's growth counts them too ... */
    size_t n_present = 0;
    for (size_t s = 0; s < n_series; s++)
        n_present += firsts[s] < series[s].n_samples;
    if (n_present > n_judged && (n_others > 0 || n_leaking >= 2)) {
        /* ... at the mean of the judged instances that do not leak, when there are some
         * (one leaking instance among flat ones says nothing of the unjudged); else, when
         * every judged instance leaks and they are more than one, at their mean */
        double each = n_others > 0 ? others_growth / (double)n_others
                                   : (growth - others_growth) / (double)n_leaking;
        growth += each * (double)(n_present - n_judged);
    }
    out->growth_per_hour = growth;
    if (growth < params->min_growth_per_hour || growth < params->min_relative_growth * baseline ||
        growth < params->min_growth_per_instance * (double)n_leaking) {
        out->reason = TREND_BELOW_MINIMUM;
        goto out;
    }
    out->growing = true;
    out->reason = TREND_GROWING;
    out->since = median_int64(times, n_times);

out:
    /* a thousandth of a goroutine an hour is below anything the data can say; rounding
     * keeps the float error of the load adjustment out of what users read */
    out->growth_per_hour = round(out->growth_per_hour * 1000) / 1000;
    lf_free(starts);
    lf_free(firsts);
    lf_free(segment_firsts);
    lf_free(p);
    lf_free(rejected);
    lf_free(judged_index);
    lf_free(times);
    lf_free(stops);
    lf_free(ramp_onsets);
    lf_free(ramp_stops);
    lf_free(parts);
    lf_free(befores);
    lf_free(w.ts);
    lf_free(w.raw);
    lf_free(w.count);
    lf_free(w.busy);
    lf_free(w.load);
    lf_free(w.adjusted);
    if (rc != LF_OK)
        trend_result_release(out);
    return rc;
}

void trend_result_release(struct trend_result *out)
{
    lf_free(out->instances);
    out->instances = NULL;
    out->n_instances = 0;
}

const char *trend_reason_name(enum trend_reason reason)
{
    switch (reason) {
    case TREND_GROWING:
        return "growing";
    case TREND_NO_DATA:
        return "insufficient history";
    case TREND_LOAD_RAMP:
        return "insufficient history: load varies";
    case TREND_NOT_GROWING:
        return "not growing";
    case TREND_PLATEAU:
        return "plateau";
    case TREND_BELOW_MINIMUM:
        return "growth below the minimum";
    case TREND_AS_DAY_BEFORE:
        return "no higher than a day before";
    }
    return "unknown";
}

double trend_hours_to_reach(double current, double growth_per_hour, double target)
{
    if (current >= target)
        return 0;
    if (growth_per_hour <= 0)
        return -1;
    return (target - current) / growth_per_hour;
}
