/* trend.h - growth statistics for one blocked site, instance by instance.
 *
 * Why this method. A leaked goroutine never leaves: a leak raises its site's count and
 * the count never comes back down, in one instance at a time (a leak can live in one
 * replica of many). Three things make a rising count that is not a leak, and each is
 * taken out before any test; the day before then checks what taking out the load left:
 *  - restarts and deploys: a new process starts a new segment. The push says when its
 *    process started and which version runs (`started`, `version`); only pushes that say
 *    neither fall back to a drop of the instance's total by more than restart_drop.
 *  - outliers: a count or load far from the median of itself and its neighbours is
 *    replaced by that median (a Hampel filter; ordinary noise is left alone, so the tests
 *    keep their null distribution), and the fallback restart rule reads totals through
 *    a running median of three: one sample's spike neither starts a segment nor moves
 *    a slope.
 *  - load: goroutines that serve requests come and go with traffic. Each profile also
 *    carries its instance's busy goroutines (running, runnable, IO wait, syscall), the
 *    load proxy. Within a few hours a morning ramp and a leak look alike; over a day they
 *    do not (the load comes back down, a leak never does). So each site's load coefficient
 *    is fitted over the history the caller gives (detect.load_history, 30 h), across all
 *    its instances and segments: the count and the busy goroutines, each less its line in
 *    time, regressed on each other, the busy count's noise (measured from neighbouring
 *    samples) taken out of its variance, as noise in a regressor would bias the
 *    coefficient towards zero; then fitted again with each instance that rises in the
 *    window taken as flat up to its onset, linear after, and flat again once it stopped (a
 *    level and a ramp instead of the line; onset and stop fitted together with the
 *    instance's own load coefficient, as a ramp read on the count alone would take a
 *    daily wave's flank for a leak), so a leak that began inside the history does not
 *    lean on it, nor one that stopped (a ramp run on through a plateau reads the next
 *    morning's rising load against a flat count, and the coefficient comes out low).
 *    Which instances rise over the window is asked of the counts, then of the counts less
 *    the load fitted before, also where no count rose: at night a leak's count falls with
 *    the load, and the leak leans on the coefficient all the same.
 *    Not a line and a hinge:
 *    together they follow a daily wave bent at its trough, and a leak that begins there
 *    would leave too little load to measure. The load part is taken out before the
 *    trend test, with the busy count as it is (an average's noise runs over neighbouring
 *    samples, and the test would read it as a trend). A rise must show in the count
 *    itself too: a coefficient a little off then cannot make growth out of a plateau as
 *    the load falls, nor out of a morning ramp. With too little history, the window's
 *    own regression on time and load is used only when its coefficient, or its growth
 *    beside the load, stands clear of three times its uncertainty (else no verdict:
 *    "insufficient history: load varies"); a leak on a flat-load service, or on a site that
 *    does not follow the load, is seen at once (unless load and time move together: a ramp).
 *  - the day before: a load that reaches the site through a lag or a curve (sessions held
 *    an hour, or longer when busy) leaves part of its shape in the count less a straight
 *    coefficient, which can look like growth near the daily peak. That part comes back at
 *    the same hour every day, a leak does not. Where a leaking instance's latest segment
 *    covers the window's hours a day before (the caller reads them in full) at a load alike
 *    (day_like_load: not a Sunday's for a Monday), its count less the load is compared with
 *    them: the window's mean and its last `recent` seconds' mean against the same spans a
 *    day before, in units of the sample noise (an old leak stands higher), and Mann–Kendall
 *    on each point less the day before at that time, interpolated, over the window (a new
 *    one rises away, faster than the minimum growth per instance: traffic that grows a
 *    few percent a day lifts what a lag leaves of the load towards the peak as much).
 *    Pooled over those instances (Stouffer for the levels, the statistics summed for the
 *    rise), when none of the three reaches alpha, each of them is cleared unless its own
 *    score reaches alpha over their number; when one does, they step down strongest
 *    first, each kept while the pooled scores of it and every weaker one still reach
 *    recent_alpha, so one strong instance carries no lagging ones with it. A cleared
 *    instance adds nothing to the site's growth. Instances without a day before
 *    (restarted, deployed) keep their verdict; a site left with no leaking instance is "no
 *    higher than a day before". A
 *    burst at the same hours a day before, larger than what a new leak has added, delays
 *    it until the window has passed the burst.
 * Then per instance: Mann–Kendall on the adjusted count of the latest segment within the
 * window (one-sided p), Holm's step-down across the instances at alpha (one strong
 * instance is not diluted by many flat ones, and twenty instances do not get twenty
 * chances; once one leaks, every instance rising at alpha leaks with it), or, when every
 * instance rises a little, the statistics of all instances pooled, at pooled_alpha and
 * only where the load is known or flat (small misfits of the load add up). The leaking
 * instances must still rise over the last `recent` seconds (a plateau stops being growth
 * within that span). The onset is a hinge (flat, then linear) fitted by least squares per
 * leaking instance, over as much of its latest segment as the series holds (history before
 * the window too: a leak that began before the window is not dated at its start); the
 * median over them is `since`. The growth is the fleet's: the Theil–Sen slope of each
 * leaking instance since its onset (at most slope_span back) and of every other judged
 * instance over the window, and the instances present but not judged (too few samples since
 * a restart, a load not learned) at the mean of the judged ones that do not leak (or, when
 * every judged one leaks and they are several, of those); it must reach an absolute
 * minimum, one per leaking instance, and a relative one: a fraction per hour of the count
 * the instances had before they began to grow, so traffic that grows a few percent a day is
 * not a leak however large the site. Where the site does not grow, its growth is what the
 * test read: each instance's over the window (on at most 72 of its points), or, on a
 * plateau, each leaking instance's since the plateau began and the others' over the
 * window (a last hour's slope of a count less a noisy load is mostly that noise). Pure
 * arithmetic: no SQL, no I/O; scratch memory per call. Cost per instance: one O(m^2) pair
 * statistic over at most max_segment_points, and O(m^2) for the onset and, with a day
 * before, for the rise away from it. */
#ifndef LF_TREND_H
#define LF_TREND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* One observation of one instance. */
struct trend_sample {
    int64_t ts;       /* unix seconds */
    double count;     /* goroutines blocked at the site */
    double total;     /* all goroutines of the instance; <= 0 when unknown */
    double busy;      /* the instance's running/runnable/IO wait/syscall goroutines (the
                         load proxy); < 0 when unknown */
    int64_t started;  /* the process start the push named; 0 = not named */
    uint64_t version; /* a hash of the version the push named; 0 = not named */
};

/* One instance's samples, in increasing ts. */
struct trend_series {
    const struct trend_sample *samples;
    size_t n_samples;
};

/* How far before the window the same hours a day before lie: the caller reads them in full,
 * [window start - TREND_DAY_BEFORE, end - TREND_DAY_BEFORE], as it reads the window. */
#define TREND_DAY_BEFORE (24 * 3600)

/* Knobs of the verdict; trend_params_default() gives the values documented there. */
struct trend_params {
    size_t min_samples;             /* in an instance's latest segment, to judge it (6) */
    double min_growth_per_hour;     /* fleet growth under this is flat (1.0) */
    double min_relative_growth;     /* ... and under this fraction of the leaking
                                       instances' count per hour (0.005: +12 %/day) */
    double min_growth_per_instance; /* ... and under this many per leaking instance and
                                       hour (0.5: a pool whose idle workers drift up by
                                       one as the load falls is not a leak) */
    double alpha;                   /* family-wise level of the per-instance tests (0.001) */
    double pooled_alpha;            /* level of the pooled test, when no instance leaks on
                                       its own (1e-6: twenty small biases add up, and a
                                       slight misfit of the load in each is one) */
    double recent_alpha;            /* level of the "still rising" test (0.05) */
    int64_t recent;                 /* seconds at the end that must still rise (3600) */
    int64_t slope_span;             /* a leak's growth is measured from its onset, at most
                                       this many seconds back (6 h) */
    double restart_drop;            /* fallback restart: the total falls by more than this
                                       fraction of the previous total (0.5) */
    double load_collinear;          /* |corr(load, time)| above which load and growth cannot
                                       be told apart (0.95) */
    double load_min_variation;      /* load varying less than this fraction of its mean is
                                       not adjusted for (0.01) */
    size_t max_segment_points;      /* longer segments are thinned evenly (400) */
    int64_t window;                 /* seconds before the latest sample that are tested; the
                                       series may reach further back, for the load fit and a
                                       leak's onset only (0: every sample is tested) */
    int64_t load_min_span;          /* the load fit needs one instance at least whose
                                       segments cover this many seconds (12 h) */
    int64_t load_step;              /* the load fit takes one sample per this many seconds, so
                                       that the densely read window weighs no more than the
                                       history before it (1500) */
    double load_min_share;          /* the load fit is used when at least this share of the busy
                                       goroutines' variation is load, not noise (0.5) */
    double day_like_load;           /* the day before is compared with where its mean busy count
                                       over the window's hours is within this fraction of the
                                       window's (0.2: not a Sunday's for a Monday) */
};

/* A site's load coefficient, fitted over every segment of every instance. */
struct trend_load {
    bool known;   /* the load varied enough, apart from trends, to measure it */
    double beta;  /* goroutines at the site per busy goroutine */
    double share; /* of the busy goroutines' variation that is load, not counting noise */
    size_t n;     /* samples in the fit */
};

/* Mann–Kendall statistic of one series, or of several pooled. */
struct trend_mk {
    double s;       /* sum of signs of all later-minus-earlier pairs */
    double var_s;   /* its variance under no trend, corrected for ties */
    double z;       /* continuity-corrected normal score */
    double p_value; /* two-sided */
};

/* Why a site is not growing (TREND_GROWING when it is). */
enum trend_reason {
    TREND_GROWING,
    TREND_NO_DATA,       /* no instance has a judgeable segment: too few samples
                            since the latest start */
    TREND_LOAD_RAMP,     /* the instances with data all ramp with load */
    TREND_NOT_GROWING,   /* no instance rises significantly */
    TREND_PLATEAU,       /* rose, but not over the last `recent` seconds */
    TREND_BELOW_MINIMUM, /* rises, slower than the minimum growth */
    TREND_AS_DAY_BEFORE, /* rises, but where the load was taken out stands no higher than
                            the same hours a day before, nor rises away from them */
};

/* The verdict of one instance (in the order the series were given). */
struct trend_instance {
    bool judged;                   /* its latest segment had min_samples */
    bool load_ramp;                /* judged = false because load and time moved together */
    bool load_adjusted;            /* the count was adjusted for load */
    bool load_varies;              /* with no known coefficient, the load varied within the
                                      window more than its noise */
    bool leaking;                  /* among the site's leaking instances */
    struct trend_mk mk;            /* over the latest segment (adjusted count) */
    double p_up;                   /* one-sided p of a rise */
    struct trend_mk recent;        /* over the last `recent` seconds */
    double recent_growth_per_hour; /* Theil–Sen over the last `recent` seconds */
    double growth_per_hour;        /* leaking: Theil–Sen since the onset (at most slope_span);
                                      else over the window */
    double count;                  /* the latest count, despiked */
    int64_t segment_start;         /* ts of the latest segment's first sample */
    int64_t onset;                 /* change-point of the growth; 0 unless leaking */
};

/* The verdict for one site over all its instances. */
struct trend_result {
    size_t n_segments;      /* instances judged (each on its latest segment) */
    size_t n_samples;       /* samples in those segments */
    size_t n_leaking;       /* instances found leaking */
    struct trend_mk pooled; /* all judged instances pooled */
    struct trend_mk recent; /* the leaking instances' recent spans pooled */
    double p_value;         /* the smallest Holm-adjusted per-instance p (or the pooled
                               one-sided p when the pooled route decided) */
    double growth_per_hour; /* summed over the leaking instances since their onsets
                               (and the others over the window); TREND_PLATEAU: the
                               leaking ones since plateau_since, the others over the
                               window; none leaking: every judged one over the window */
    bool significant;       /* at least one instance leaks (before the recent and
                               minimum-growth checks) */
    bool growing;           /* significant, still rising, over both minimums */
    enum trend_reason reason;
    int64_t plateau_since;  /* TREND_PLATEAU: the latest onset of the flat end */
    double day_before_z;    /* TREND_AS_DAY_BEFORE: the largest pooled normal score
                               against the day before (under the level alpha's) */
    int64_t since;          /* median onset over the leaking instances; 0 if not growing */
    struct trend_load load; /* the site's load coefficient */
    struct trend_instance *instances; /* n_series verdicts, owned by the result */
    size_t n_instances;
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

/* One-sided p of a rise from a Mann–Kendall statistic. */
double trend_p_up(const struct trend_mk *mk);

/* Outliers out of n values into out: a value further than four noise scales (the robust
 * spread of successive differences; at least 2) from the median of itself and its two
 * neighbours becomes that median (the last value: the median of the last three); every
 * other value is kept as it is. in and out may not overlap. */
void trend_despike(const double *in, size_t n, double *out);

/* Splits an instance's samples into segments: a new segment where `started` or
 * `version` changes (both named), else, between samples that do not both name a start,
 * where the despiked total falls by more than params->restart_drop. Writes the start
 * index of each segment to starts (capacity cap) and returns their number. */
size_t trend_segments(const struct trend_series *series, const struct trend_params *params,
                      size_t *starts, size_t cap);

/* The site's load coefficient: in each segment of each instance (at least min_samples,
 * every sample with its busy count), the despiked count and busy goroutines less their best
 * line in time (in the latest segment of series s, when onsets is not NULL and onsets[s] is
 * not 0, less a level and a ramp instead: flat before a leak's onset, linear after, flat
 * again from stops[s] on when stops is not NULL); the coefficient of what is left is the
 * least-squares one, with the busy count's Poisson noise taken out of its variance (errors
 * in variables). Known when that variation is at least half load, at
 * least load_min_variation of the mean, and one instance's segments cover load_min_span. */
struct trend_load trend_load_fit(const struct trend_series *series, size_t n_series,
                                 const int64_t *onsets, const int64_t *stops,
                                 const struct trend_params *params);

/* Holm's step-down at level alpha over n one-sided p values: rejected[i] for each
 * rejected hypothesis; returns how many; *min_adjusted the smallest adjusted p. */
size_t trend_holm(const double *p, size_t n, double alpha, bool *rejected, double *min_adjusted);

/* Least-squares hinge: the ts after which values rise linearly from a flat start.
 * n >= 3; returns ts[0] when a straight line fits best from the start. */
int64_t trend_onset(const int64_t *ts, const double *values, size_t n);

/* Least-squares ramp beside the load: values = a + beta * load + g * ramp, the ramp flat,
 * rising linearly from *onset, flat again from *stop (ts[n-1] when the rise runs to the
 * end), g > 0, beta fitted with it (0 when load is NULL). n >= 4; else the first and last
 * ts. O(n^2). */
void trend_ramp(const int64_t *ts, const double *values, const double *load, size_t n,
                int64_t *onset, int64_t *stop);

/* The verdict over n_series instances. params may be NULL for the defaults. Returns
 * LF_OK with out filled (release with trend_result_release), or LF_ENOMEM. */
int trend_analyze(const struct trend_series *series, size_t n_series,
                  const struct trend_params *params, struct trend_result *out,
                  struct lf_error *err);

/* Frees out->instances. */
void trend_result_release(struct trend_result *out);

/* A short English phrase for reason ("not growing", ...). Static storage. */
const char *trend_reason_name(enum trend_reason reason);

/* Hours until a count growing at growth_per_hour reaches target; a negative value
 * when it never will (no growth) and 0 when it already has. */
double trend_hours_to_reach(double current, double growth_per_hour, double target);

#endif
