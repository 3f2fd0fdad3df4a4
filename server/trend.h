/* trend.h - growth statistics for one blocked site: robust slopes (Theil–Sen) and
 * significance (Mann–Kendall) per restart-free segment of each instance's series,
 * pooled over all segments of all instances into one fleet-level verdict (as the
 * regional Kendall test pools sites). Pure arithmetic: no SQL, no I/O, no allocation
 * beyond one scratch buffer per call. */
#ifndef LF_TREND_H
#define LF_TREND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* One observation of one instance: the site's count and the instance's total
 * goroutines in the same profile (the total reveals restarts). */
struct trend_sample {
    int64_t ts;    /* unix seconds */
    double count;  /* goroutines blocked at the site */
    double total;  /* all goroutines of the instance; <= 0 when unknown */
};

/* One instance's samples, in increasing ts. */
struct trend_series {
    const struct trend_sample *samples;
    size_t n_samples;
};

/* Knobs of the verdict; trend_params_default() gives the values documented there. */
struct trend_params {
    size_t min_samples;         /* per segment, to be used at all (default 6) */
    double min_growth_per_hour; /* fleet growth under this is flat (default 1.0) */
    double alpha;               /* two-sided significance level (default 0.01) */
    double recent_alpha;        /* level for the latest half of each segment, which
                                   must still rise: a past step is not growth
                                   (default 0.05) */
    double restart_drop;        /* a total dropping by more than this fraction of the
                                   previous total starts a new segment (default 0.5) */
    size_t max_segment_points;  /* longer segments are thinned evenly before the
                                   O(n^2) pair statistics (default 400) */
};

/* Mann–Kendall statistic of one series, or of several pooled. */
struct trend_mk {
    double s;        /* sum of signs of all later-minus-earlier pairs */
    double var_s;    /* its variance under no trend, corrected for ties */
    double z;        /* continuity-corrected normal score */
    double p_value;  /* two-sided */
};

/* The verdict for one site over all its instances. */
struct trend_result {
    size_t n_segments;        /* segments with at least min_samples */
    size_t n_samples;         /* samples in those segments */
    struct trend_mk pooled;   /* pooled over those segments */
    struct trend_mk recent;   /* pooled over the latest half of each segment */
    double growth_per_hour;   /* sum over instances of the latest segment's Theil–Sen
                                 slope: the growth of the summed count */
    bool significant;         /* pooled p_value < alpha and pooled S > 0 */
    bool growing;             /* significant, still rising in the recent halves, and
                                 growth_per_hour >= the minimum */
    int64_t since;            /* when the growth began: the earliest start of growth
                                 among the instances' latest segments; 0 if not growing */
};

/* The documented defaults. */
struct trend_params trend_params_default(void);

/* Theil–Sen slope (per second) of n points (ts, value): the median of the slopes of
 * all pairs with distinct ts. 0 when fewer than two distinct ts. */
double trend_theil_sen(const int64_t *ts, const double *values, size_t n);

/* Mann–Kendall statistic of n values in time order. */
struct trend_mk trend_mann_kendall(const double *values, size_t n);

/* Pools statistics of independent series: S and Var(S) add. */
struct trend_mk trend_mk_pool(const struct trend_mk *parts, size_t n_parts);

/* Splits an instance's samples at restarts (the total falling by more than
 * params->restart_drop of the previous total); writes the start index of each
 * segment to starts (capacity cap) and returns the number of segments. */
size_t trend_segments(const struct trend_series *series, const struct trend_params *params,
        size_t *starts, size_t cap);

/* The verdict over n_series instances. params may be NULL for the defaults. Returns
 * LF_OK, or LF_ENOMEM. */
int trend_analyze(const struct trend_series *series, size_t n_series,
        const struct trend_params *params, struct trend_result *out, struct lf_error *err);

/* Hours until a count growing at growth_per_hour reaches target; a negative value
 * when it never will (no growth) and 0 when it already has. */
double trend_hours_to_reach(double current, double growth_per_hour, double target);

#endif
