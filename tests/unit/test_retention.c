/* test_retention.c - unit tests of retention: hourly rollups hold exactly what the raw
 * samples held and the fleet's value at each hour's end, raw profiles past the retention
 * go in batches (kept a live window longer), each instance keeps its latest profile, the
 * database stays consistent, and a series across rolled-up and raw hours follows one
 * rule: a fleet that does not change draws a flat line. */
#include <sqlite3.h>
#include <string.h>

#include "check_main.h"
#include "query.h"
#include "retention.h"
#include "sqlbind.h"
#include "store.h"
#include "testutil.h"
#include "writer.h"

#define DAY 86400
#define T0  1700006400 /* an hour boundary */

static struct store *store;
static struct writer *writer;
static struct lf_error err;

struct push {
    const char *instance;
    int64_t ts;
    int64_t count;
};

static int put_job(struct store_conn *conn, void *ctx, struct lf_error *e)
{
    const struct push *p = ctx;
    struct store_site site = { .op = STR_LIT("chan send"),
                               .is_channel = true,
                               .function = STR_LIT("main.leak"),
                               .file = STR_LIT("/build/x/main.go"),
                               .line = 9,
                               .in_repo = true,
                               .count = p->count,
                               .max_wait_minutes = -1 };
    struct store_profile profile = { .service = STR_LIT("svc"),
                                     .instance = str_from_cstr(p->instance),
                                     .ts = p->ts,
                                     .received = p->ts,
                                     .format = STR_LIT("pprof"),
                                     .goroutines = p->count + 5,
                                     .sites = &site,
                                     .n_sites = 1 };
    struct store_put_result result;
    return store_put_profile(conn, &profile, &result, e);
}

/* Rows SQLite stepped through in full-table scans on the writer's connection: retention
 * must reach what it rolls up and deletes through indexes and the ids it chose, so its
 * scans stay near the number of rows it deletes however large the tables are. */
static uint64_t fullscan_steps;

static int count_fullscans(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx;
    (void)x;
    /* reset as read: the statements are prepared once and run again and again */
    if (type == SQLITE_TRACE_PROFILE)
        fullscan_steps += (uint64_t)sqlite3_stmt_status(p, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
    return 0;
}

static int64_t scalar(const char *sql)
{
    struct store_conn *conn;
    ck_assert_int_eq(store_reader_acquire(store, &conn, &err), LF_OK);
    int64_t v = -1;
    bool found = false;
    ck_assert_msg(sqlbind_int(store_conn_db(conn), &v, &found, &err, sql, "") == LF_OK, "%s",
                  err.msg);
    store_reader_release(store, conn);
    return v;
}

START_TEST(test_rollup_then_delete)
{
    ck_assert_int_eq(store_open(":memory:", NULL, &store, &err), LF_OK);
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    /* Ten days, two pushes an hour per instance: counts h and h+1 on "a", 2h on "b". */
    int64_t hours = 10 * 24;
    for (int64_t h = 0; h < hours; h++) {
        struct push a1 = { "a", T0 + h * 3600, h }, a2 = { "a", T0 + h * 3600 + 1800, h + 1 };
        struct push b1 = { "b", T0 + h * 3600 + 60, 2 * h };
        ck_assert_int_eq(writer_run(writer, put_job, &a1, &err), LF_OK);
        ck_assert_int_eq(writer_run(writer, put_job, &a2, &err), LF_OK);
        ck_assert_int_eq(writer_run(writer, put_job, &b1, &err), LF_OK);
    }
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM profiles"), hours * 3);

    struct retention_options opts;
    retention_options_default(&opts);
    opts.raw_retention = 7 * DAY;
    opts.batch = 100;
    opts.live_window = 3600; /* each instance pushes within every hour */
    struct retention *retention;
    ck_assert_int_eq(retention_create(store, writer, &opts, &retention, &err), LF_OK);
    int64_t now = T0 + hours * 3600; /* the end of day ten */
    sqlite3_trace_v2(store_conn_db(store_writer_conn(store)), SQLITE_TRACE_PROFILE, count_fullscans,
                     NULL);
    ck_assert_msg(retention_run(retention, now, &err) == LF_OK, "%s", err.msg);
    sqlite3_trace_v2(store_conn_db(store_writer_conn(store)), 0, NULL, NULL);
    /* 213 profiles deleted: scanning the chosen ids, the two instances and the hour ends
     * rolled up (72 hours, 24 per job, two instances each) is fine; a scan of the 720
     * profiles per batch (or per instance) is not */
    ck_assert_msg(fullscan_steps <= 2 * 213 + 64 + 4 * 72 * 2,
                  "retention stepped %llu rows in full scans", (unsigned long long)fullscan_steps);

    /* Three days are older than seven: 72 hours rolled; their profiles but the last
     * hour's (the next hour's end may need them: the live window) gone. */
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM rollups"), 72);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM profiles"), (hours - 71) * 3);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM samples"), (hours - 71) * 3);
    ck_assert_int_eq(scalar("SELECT MIN(ts) FROM profiles"), T0 + 71 * 3600);
    ck_assert_int_eq(scalar("SELECT SUM(profiles) FROM instances"), (hours - 71) * 3);
    /* Hour 10: a max 11 + b 20 = 31; means 10.5 + 20 = 30.5; three samples. */
    ck_assert_int_eq(scalar("SELECT max_count FROM rollups WHERE hour = 1700042400"), 31);
    ck_assert_int_eq(scalar("SELECT CAST(mean_count * 10 AS INTEGER) FROM rollups"
                            " WHERE hour = 1700042400"),
                     305);
    ck_assert_int_eq(scalar("SELECT samples FROM rollups WHERE hour = 1700042400"), 3);
    /* at its end: a's latest (11) + b's (20), both live */
    ck_assert_int_eq(scalar("SELECT end_count FROM rollups WHERE hour = 1700042400"), 31);
    ck_assert_int_eq(scalar("SELECT instances FROM rollup_live WHERE hour = 1700042400"), 2);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM rollup_live"), 72);
    ck_assert_int_eq(scalar("SELECT rolled_until FROM retention_state"), T0 + 72 * 3600);

    struct retention_stats stats;
    retention_get_stats(retention, &stats);
    ck_assert_uint_eq(stats.hours_rolled, 72);
    ck_assert_uint_eq(stats.profiles_deleted, 213);
    ck_assert_uint_ge(stats.batches, 3);

    /* A ten-day series, each point the value at its hour's end: the rolled-up hours, then
     * the raw buckets (each live instance's latest profile). */
    int64_t location = scalar("SELECT id FROM locations");
    struct query_options query;
    query_options_default(&query);
    query.live_window = 3600;
    json_t *series = NULL;
    ck_assert_msg(query_series(store, &query, location, "svc", T0, now - 1, 3600, &series, &err) ==
                          LF_OK,
                  "%s", err.msg);
    json_t *points = json_object_get(series, "series");
    ck_assert_uint_eq(json_array_size(points), (size_t)hours);
    json_t *p10 = json_array_get(points, 10), *p100 = json_array_get(points, 100);
    ck_assert_int_eq(json_integer_value(json_array_get(p10, 0)), T0 + 10 * 3600);
    ck_assert_int_eq(json_integer_value(json_array_get(p10, 1)), 31);   /* 11 + 20 */
    ck_assert_int_eq(json_integer_value(json_array_get(p100, 1)), 301); /* 101 + 200 */
    json_decref(series);
    ck_assert_int_eq(query_series_instance(store, &query, location, "svc", "b", T0, now - 1, 3600,
                                           &series, &err),
                     LF_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(series, "series")), (size_t)(hours - 71));
    json_decref(series);

    /* A second pass at the same time changes nothing. */
    ck_assert_int_eq(retention_run(retention, now, &err), LF_OK);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM rollups"), 72);

    /* Far in the future everything raw goes but each instance's latest profile, and
     * rollups past their own retention go too. */
    opts.rollup_retention = 2 * DAY;
    retention_free(retention);
    ck_assert_int_eq(retention_create(store, writer, &opts, &retention, &err), LF_OK);
    ck_assert_int_eq(retention_run(retention, now + 30 * DAY, &err), LF_OK);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM profiles"), 2);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM profiles p JOIN instances i"
                            " ON i.latest_profile_id = p.id"),
                     2);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM rollups"), 0);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM rollup_live"), 0);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
    retention_free(retention);
    writer_free(writer);
    store_close(store);
}
END_TEST

/* Two instances of 10 and 20 goroutines pushing every 10 minutes, up to 2 minutes early
 * or late, for ten days; seven kept raw: every hour, rolled up or raw, says 30. */
START_TEST(test_rolled_up_series_stay_flat)
{
    ck_assert_int_eq(store_open(":memory:", NULL, &store, &err), LF_OK);
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    int64_t hours = 10 * 24, now = T0 + hours * 3600;
    uint32_t x = 7;
    for (int64_t t = T0; t < now; t += 600) {
        for (int i = 0; i < 2; i++) {
            x = x * 1103515245u + 12345u;
            int64_t ts = t + (int64_t)((x >> 8) % 241) - 120;
            struct push p = { i == 0 ? "a" : "b", ts > T0 ? ts : T0, 10 * (i + 1) };
            ck_assert_int_eq(writer_run(writer, put_job, &p, &err), LF_OK);
        }
    }
    struct retention_options opts;
    retention_options_default(&opts);
    opts.raw_retention = 7 * DAY;
    opts.live_window = 900; /* longer than the longest gap, 14 minutes */
    struct retention *retention;
    ck_assert_int_eq(retention_create(store, writer, &opts, &retention, &err), LF_OK);
    ck_assert_msg(retention_run(retention, now, &err) == LF_OK, "%s", err.msg);
    ck_assert_int_eq(scalar("SELECT rolled_until FROM retention_state"), T0 + 72 * 3600);
    ck_assert_int_eq(scalar("SELECT COUNT(*) FROM rollups WHERE end_count <> 30"), 0);

    int64_t location = scalar("SELECT id FROM locations");
    struct query_options query;
    query_options_default(&query);
    query.live_window = 900;
    query.now = now;
    static const struct {
        int64_t step;
        size_t points;
    } steps[] = {
        { 3600, 240 },         /* one a hour */
        { 86400, 10 },         /* one a day */
        { 600, 72 + 168 * 6 }, /* rolled-up hours have one value each, raw ones six */
    };
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        json_t *series = NULL;
        ck_assert_msg(query_series(store, &query, location, NULL, T0, now - 1, steps[s].step,
                                   &series, &err) == LF_OK,
                      "%s", err.msg);
        json_t *points = json_object_get(series, "series");
        ck_assert_msg(json_array_size(points) == steps[s].points, "step %lld: %zu points",
                      (long long)steps[s].step, json_array_size(points));
        json_int_t previous = -1;
        for (size_t i = 0; i < json_array_size(points); i++) {
            json_t *point = json_array_get(points, i);
            json_int_t at = json_integer_value(json_array_get(point, 0));
            ck_assert_msg(json_integer_value(json_array_get(point, 1)) == 30,
                          "step %lld at %lld: %lld", (long long)steps[s].step, (long long)at,
                          (long long)json_integer_value(json_array_get(point, 1)));
            ck_assert_int_gt(at, previous);
            previous = at;
        }
        json_decref(series);
    }
    retention_free(retention);
    writer_free(writer);
    store_close(store);
}
END_TEST

static Suite *retention_suite(void)
{
    Suite *suite = suite_create("retention");
    TCase *tc = tcase_create("retention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rollup_then_delete);
    tcase_add_test(tc, test_rolled_up_series_stay_flat);
    suite_add_tcase(suite, tc);
    return suite;
}

LF_CHECK_MAIN(retention_suite)
