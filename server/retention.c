/* retention.c - rollups and deletion in writer jobs small enough that a push queued
 * behind one waits milliseconds: at most one day of hours rolled up per job, at most
 * `batch` profiles deleted per job. Each instance's latest profile is never deleted, so
 * the inventory and the services listing keep their last word on dead instances. */
#include "retention.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "periodic.h"
#include "store_retention.h"

#define HOUR          3600
#define HOURS_PER_JOB 24

struct retention {
    struct store *store;
    struct writer *writer;
    struct retention_options opts;
    struct retention_stats stats;
    pthread_mutex_t lock;   /* guards stats */
    struct periodic thread; /* a pass every opts.interval */
};

void retention_options_default(struct retention_options *opts)
{
    *opts = (struct retention_options){
        .raw_retention = 7 * 86400,
        .rollup_retention = 400 * 86400,
        .interval = 300,
        .batch = 500,
        .live_window = 300,
    };
}

static bool is_stopping(struct retention *retention)
{
    return periodic_stopping(&retention->thread);
}

/* ---- rolling up ------------------------------------------------------------------- */

struct rollup_job {
    int64_t cutoff;  /* roll up hours before this (hour-aligned) */
    int64_t window;  /* live_window */
    int64_t done_to; /* out: rolled_until after the job */
    int64_t hours;   /* out: hours folded in */
};

/* The end of each hour in [from, until): each instance's latest profile at or before it
 * and within window (the series' and the inventory's rule) gives the services live then
 * (rollup_live) and each location's value then (rollups.end_count, 0 for a location seen
 * in the hour but not in those profiles). Reads the profiles in the last window seconds
 * of each hour through profiles_ts: the cost grows with window / 1 h. */
static int rollup_ends(struct store_conn *conn, int64_t from, int64_t until, int64_t window,
                       struct lf_error *err)
{
    int rc = store_exec(conn, RETENTION_SQL_ENDS_CLEAR, err, "");
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_ENDS_FILL, err, "iii", from, until, window);
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_ENDS_LIVE, err, "");
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_ENDS_COUNT, err, "");
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_ENDS_ZERO, err, "ii", from, until);
    return rc;
}

static int rollup_some(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct rollup_job *job = ctx;
    int64_t rolled = 0, oldest = 0;
    bool found = false;
    int rc = store_int(conn, RETENTION_SQL_ROLLED_UNTIL, &rolled, &found, err, "");
    if (rc != LF_OK)
        return rc;
    job->done_to = rolled;
    job->hours = 0;
    if (rolled >= job->cutoff)
        return LF_OK;
    if (rolled == 0) {
        /* First pass: start at the oldest profile's hour. */
        rc = store_int(conn, RETENTION_SQL_OLDEST, &oldest, &found, err, "");
        if (rc != LF_OK)
            return rc;
        if (!found || oldest == 0 || oldest >= job->cutoff) {
            job->done_to = job->cutoff;
            return store_exec(conn, RETENTION_SQL_ROLLED_SET, err, "i", job->cutoff);
        }
        rolled = oldest / HOUR * HOUR;
    }
    int64_t until = rolled + HOURS_PER_JOB * HOUR;
    if (until > job->cutoff)
        until = job->cutoff;
    rc = store_exec(conn, RETENTION_SQL_ROLLUP_HOURS, err, "ii", rolled, until);
    if (rc == LF_OK)
        rc = rollup_ends(conn, rolled, until, job->window, err);
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_ROLLED_SET, err, "i", until);
    if (rc == LF_OK) {
        job->done_to = until;
        job->hours = (until - rolled) / HOUR;
    }
    return rc;
}

/* ---- deleting --------------------------------------------------------------------- */

struct delete_job {
    int64_t before;
    int64_t batch;
    int64_t deleted; /* out */
};

static int delete_profiles(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct delete_job *job = ctx;
    int rc = store_exec(conn, RETENTION_SQL_DOOMED_CLEAR, err, "");
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_DOOMED_FILL, err, "ii", job->before, job->batch);
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_DOOMED_UNCOUNT, err, "");
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_DOOMED_SAMPLES, err, "");
    if (rc == LF_OK)
        rc = store_exec(conn, RETENTION_SQL_DOOMED_PROFILES, err, "");
    if (rc == LF_OK)
        job->deleted = store_changes(conn);
    return rc;
}

static int delete_rollups(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct delete_job *job = ctx;
    int rc = store_exec(conn, RETENTION_SQL_ROLLUPS_DELETE, err, "ii", job->before, job->batch);
    if (rc != LF_OK)
        return rc;
    job->deleted = store_changes(conn);
    rc = store_exec(conn, RETENTION_SQL_LIVE_DELETE, err, "ii", job->before, job->batch);
    if (rc == LF_OK && store_changes(conn) > job->deleted)
        job->deleted = store_changes(conn); /* go on while either table had a full batch */
    return rc;
}

int retention_run(struct retention *retention, int64_t now, struct lf_error *err)
{
    if (now == 0)
        now = (int64_t)time(NULL);
    int64_t cutoff = (now - retention->opts.raw_retention) / HOUR * HOUR;
    int rc = LF_OK;

    /* Roll up, a day of hours per job, until caught up. */
    int64_t window = retention->opts.live_window > 0 ? retention->opts.live_window : 300;
    struct rollup_job roll = { .cutoff = cutoff, .window = window };
    do {
        rc = writer_run(retention->writer, rollup_some, &roll, err);
        if (rc != LF_OK)
            return rc;
        pthread_mutex_lock(&retention->lock);
        retention->stats.hours_rolled += (uint64_t)roll.hours;
        pthread_mutex_unlock(&retention->lock);
    } while (roll.done_to < cutoff && roll.hours > 0 && !is_stopping(retention));

    /* Delete only what the rollups already hold and the next hour's end no longer needs. */
    struct delete_job del = { .before = roll.done_to - window,
                              .batch = (int64_t)retention->opts.batch };
    do {
        rc = writer_run(retention->writer, delete_profiles, &del, err);
        if (rc != LF_OK)
            return rc;
        pthread_mutex_lock(&retention->lock);
        retention->stats.profiles_deleted += (uint64_t)del.deleted;
        retention->stats.batches++;
        pthread_mutex_unlock(&retention->lock);
    } while (del.deleted == del.batch && !is_stopping(retention));

    struct delete_job old = { .before = now - retention->opts.rollup_retention,
                              .batch = (int64_t)retention->opts.batch };
    do {
        rc = writer_run(retention->writer, delete_rollups, &old, err);
        if (rc != LF_OK)
            return rc;
        pthread_mutex_lock(&retention->lock);
        retention->stats.rollups_deleted += (uint64_t)old.deleted;
        pthread_mutex_unlock(&retention->lock);
    } while (old.deleted == old.batch && !is_stopping(retention));
    return LF_OK;
}

/* ---- thread and lifecycle --------------------------------------------------------- */

static void retention_pass(void *ctx)
{
    struct lf_error err;
    lf_error_clear(&err);
    if (retention_run(ctx, 0, &err) != LF_OK)
        log_warn("retention: pass failed: %s", err.msg);
}

int retention_create(struct store *store, struct writer *writer,
                     const struct retention_options *opts, struct retention **out,
                     struct lf_error *err)
{
    *out = NULL;
    struct retention *retention = lf_calloc(1, sizeof(*retention));
    if (!retention)
        return lf_fail(err, LF_ENOMEM, "retention: out of memory");
    retention->store = store;
    retention->writer = writer;
    if (opts)
        retention->opts = *opts;
    else
        retention_options_default(&retention->opts);
    if (retention->opts.batch == 0)
        retention->opts.batch = 500;
    pthread_mutex_init(&retention->lock, NULL);
    *out = retention;
    return LF_OK;
}

int retention_start(struct retention *retention, struct lf_error *err)
{
    int64_t seconds = retention->opts.interval > 0 ? retention->opts.interval : 300;
    return periodic_start(&retention->thread, "lf-retention", seconds * 1000, retention_pass,
                          retention, err);
}

void retention_get_stats(struct retention *retention, struct retention_stats *out)
{
    pthread_mutex_lock(&retention->lock);
    *out = retention->stats;
    pthread_mutex_unlock(&retention->lock);
}

void retention_free(struct retention *retention)
{
    if (!retention)
        return;
    periodic_stop(&retention->thread);
    pthread_mutex_destroy(&retention->lock);
    lf_free(retention);
}
