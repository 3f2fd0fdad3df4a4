/* retention.c - rollups and deletion in writer jobs small enough that a push queued
 * behind one waits milliseconds: at most one day of hours rolled up per job, at most
 * `batch` profiles deleted per job. Each instance's latest profile is never deleted, so
 * the inventory and the services listing keep their last word on dead instances. */
#include "retention.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "periodic.h"
#include "sqlbind.h"

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
static int rollup_ends(sqlite3 *db, int64_t from, int64_t until, int64_t window,
                       struct lf_error *err)
{
    int rc = sqlbind_exec(db, err,
                          "CREATE TEMP TABLE IF NOT EXISTS retention_ends (hour INTEGER NOT NULL,"
                          " service_id INTEGER NOT NULL, profile_id INTEGER NOT NULL)",
                          "");
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err, "DELETE FROM retention_ends", "");
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err,
                          "INSERT INTO retention_ends (hour, service_id, profile_id)"
                          " WITH RECURSIVE hours(hour) AS (SELECT ?1 UNION ALL"
                          "  SELECT hour + 3600 FROM hours WHERE hour + 3600 < ?2)"
                          " SELECT hour, service_id, id FROM ("
                          "  SELECT h.hour AS hour, p.service_id AS service_id, p.id AS id,"
                          "   row_number() OVER (PARTITION BY h.hour, p.instance_id"
                          "    ORDER BY p.ts DESC, p.id DESC) AS n"
                          "  FROM hours h JOIN profiles p"
                          "   ON p.ts BETWEEN h.hour + 3599 - ?3 AND h.hour + 3599)"
                          " WHERE n = 1",
                          "iii", from, until, window);
    if (rc == LF_OK)
        rc = sqlbind_exec(
                db, err,
                "INSERT INTO rollup_live (service_id, hour, instances)"
                " SELECT service_id, hour, COUNT(*) FROM retention_ends GROUP BY service_id, hour"
                " ON CONFLICT (service_id, hour) DO UPDATE SET instances = excluded.instances",
                "");
    if (rc == LF_OK)
        rc = sqlbind_exec(
                db, err,
                "INSERT INTO rollups (service_id, location_id, hour, max_count, mean_count,"
                "  samples, end_count)"
                " SELECT e.service_id, s.location_id, e.hour, 0, 0, 0, SUM(s.count)"
                " FROM retention_ends e JOIN samples s ON s.profile_id = e.profile_id"
                " GROUP BY e.service_id, s.location_id, e.hour"
                " ON CONFLICT (location_id, service_id, hour) DO UPDATE SET"
                "  end_count = excluded.end_count",
                "");
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err,
                          "UPDATE rollups SET end_count = 0"
                          " WHERE hour >= ?1 AND hour < ?2 AND end_count IS NULL",
                          "ii", from, until);
    return rc;
}

static int rollup_some(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct rollup_job *job = ctx;
    sqlite3 *db = store_conn_db(conn);
    int64_t rolled = 0, oldest = 0;
    bool found = false;
    int rc = sqlbind_int(db, &rolled, &found, err,
                         "SELECT rolled_until FROM retention_state WHERE id = 1", "");
    if (rc != LF_OK)
        return rc;
    job->done_to = rolled;
    job->hours = 0;
    if (rolled >= job->cutoff)
        return LF_OK;
    if (rolled == 0) {
        /* First pass: start at the oldest profile's hour. */
        rc = sqlbind_int(db, &oldest, &found, err, "SELECT MIN(ts) FROM profiles", "");
        if (rc != LF_OK)
            return rc;
        if (!found || oldest == 0 || oldest >= job->cutoff) {
            job->done_to = job->cutoff;
            return sqlbind_exec(db, err, "UPDATE retention_state SET rolled_until = ?1", "i",
                                job->cutoff);
        }
        rolled = oldest / HOUR * HOUR;
    }
    int64_t until = rolled + HOURS_PER_JOB * HOUR;
    if (until > job->cutoff)
        until = job->cutoff;
    rc = sqlbind_exec(
            db, err,
            "INSERT INTO rollups (service_id, location_id, hour, max_count, mean_count, samples)"
            " SELECT service_id, location_id, hour, SUM(mx), SUM(av), SUM(n) FROM ("
            "  SELECT p.service_id, s.location_id, p.ts / 3600 * 3600 AS hour, p.instance_id,"
            "   MAX(s.count) AS mx, AVG(s.count) AS av, COUNT(*) AS n"
            "  FROM profiles p JOIN samples s ON s.profile_id = p.id"
            "  WHERE p.ts >= ?1 AND p.ts < ?2"
            "  GROUP BY p.service_id, s.location_id, hour, p.instance_id)"
            " GROUP BY service_id, location_id, hour"
            " ON CONFLICT (location_id, service_id, hour) DO UPDATE SET"
            "  max_count = max(rollups.max_count, excluded.max_count),"
            "  mean_count = excluded.mean_count, samples = rollups.samples + excluded.samples",
            "ii", rolled, until);
    if (rc == LF_OK)
        rc = rollup_ends(db, rolled, until, job->window, err);
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err, "UPDATE retention_state SET rolled_until = ?1", "i", until);
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
    sqlite3 *db = store_conn_db(conn);
    int rc = sqlbind_exec(
            db, err, "CREATE TEMP TABLE IF NOT EXISTS retention_doomed (id INTEGER PRIMARY KEY)",
            "");
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err, "DELETE FROM retention_doomed", "");
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err,
                          "INSERT INTO retention_doomed (id) SELECT id FROM profiles WHERE ts < ?1"
                          " AND id NOT IN (SELECT latest_profile_id FROM instances"
                          "  WHERE latest_profile_id IS NOT NULL)"
                          " ORDER BY ts LIMIT ?2",
                          "ii", job->before, job->batch);
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err,
                          /* driven from the doomed ids (CROSS JOIN fixes the order): no index
                           * reads profiles by instance */
                          "UPDATE instances SET profiles = profiles - gone.n FROM"
                          " (SELECT p.instance_id AS instance_id, COUNT(*) AS n"
                          "  FROM retention_doomed d CROSS JOIN profiles p ON p.id = d.id"
                          "  GROUP BY p.instance_id) AS gone"
                          " WHERE instances.id = gone.instance_id",
                          "");
    /* samples first, by hand: the writer's connection does not cascade */
    if (rc == LF_OK)
        rc = sqlbind_exec(
                db, err,
                "DELETE FROM samples WHERE profile_id IN (SELECT id FROM retention_doomed)", "");
    if (rc == LF_OK)
        rc = sqlbind_exec(db, err,
                          "DELETE FROM profiles WHERE id IN (SELECT id FROM retention_doomed)", "");
    if (rc == LF_OK)
        job->deleted = sqlite3_changes(db);
    return rc;
}

static int delete_rollups(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct delete_job *job = ctx;
    sqlite3 *db = store_conn_db(conn);
    int rc = sqlbind_exec(
            db, err,
            "DELETE FROM rollups WHERE (location_id, service_id, hour) IN"
            " (SELECT location_id, service_id, hour FROM rollups WHERE hour < ?1 LIMIT ?2)",
            "ii", job->before, job->batch);
    if (rc != LF_OK)
        return rc;
    job->deleted = sqlite3_changes(db);
    rc = sqlbind_exec(db, err,
                      "DELETE FROM rollup_live WHERE (service_id, hour) IN"
                      " (SELECT service_id, hour FROM rollup_live WHERE hour < ?1 LIMIT ?2)",
                      "ii", job->before, job->batch);
    if (rc == LF_OK && sqlite3_changes(db) > job->deleted)
        job->deleted = sqlite3_changes(db); /* go on while either table had a full batch */
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
