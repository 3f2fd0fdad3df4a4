/* test_detect.c - unit tests of detect, notify and dispatch over a real SQLite store:
 * profiles written as ingest writes them, detection passes at chosen times, the
 * notification queue's states, and delivery through the log route and a dead webhook;
 * one owner's failing row among healthy ones, rows an older version stored with bytes
 * that are not UTF-8, message texts cut on a character boundary, webhooks over http(s)
 * only, and the rate limit of more than 512 owners and of long owner names. */
#include <sqlite3.h>
#include <string.h>

#include "attribute.h"
#include "check_main.h"
#include "detect.h"
#include "dispatch.h"
#include "log.h"
#include "notify.h"
#include "sqlbind.h"
#include "store.h"
#include "suppress.h"
#include "utf8.h"
#include "writer.h"

#define T0 1700000000

struct fixture {
    struct store *store;
    struct writer *writer;
    struct detect *detect;
    struct notify_options notify;
    struct lf_error err;
};

static struct fixture fx;

static void setup(void)
{
    memset(&fx, 0, sizeof(fx));
    ck_assert_int_eq(store_open(":memory:", NULL, &fx.store, &fx.err), LF_OK);
    ck_assert_int_eq(writer_create(fx.store, NULL, &fx.writer, &fx.err), LF_OK);
    notify_options_default(&fx.notify);
    fx.notify.group_wait = 30;
    fx.notify.resolve_after = 3600;
    fx.notify.repeat_interval = 6 * 3600;
    struct detect_options opts;
    detect_options_default(&opts);
    opts.threshold = 100;
    opts.window = 6 * 3600;
    opts.live_window = 600;
    opts.after_pass = notify_update;
    opts.after_ctx = &fx.notify;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
}

static void teardown(void)
{
    detect_free(fx.detect);
    writer_free(fx.writer);
    store_close(fx.store);
}

/* One push of one instance: a leaking in-repo send, a flat in-repo receive, a growing
 * library select. */
struct push {
    const char *instance;
    int64_t ts;
    int64_t leak, flat, library;
    const char *version; /* the `version` label at the leaking site; NULL = none */
};

static int put_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct push *p = ctx;
    struct store_frame leak_frames[] = { { STR_LIT("runtime.gopark"), STR_LIT("proc.go"), 363 },
                                         { STR_LIT("main.ncast.func1"),
                                           STR_LIT("/build/leaky/main.go"), 51 } };
    struct store_site sites[] = {
        { .op = STR_LIT("chan send"),
          .is_channel = true,
          .function = STR_LIT("main.ncast.func1"),
          .file = STR_LIT("/build/leaky/main.go"),
          .line = 51,
          .in_repo = true,
          .repo_path = STR_LIT("main.go"),
          .owner = STR_LIT("@acme/core"),
          .count = p->leak,
          .max_wait_minutes = -1,
          .frames = leak_frames,
          .n_frames = 2,
          .version = p->version ? str_from_cstr(p->version) : STR_NULL },
        { .op = STR_LIT("chan receive"),
          .is_channel = true,
          .function = STR_LIT("main.worker"),
          .file = STR_LIT("/build/leaky/main.go"),
          .line = 80,
          .in_repo = true,
          .repo_path = STR_LIT("main.go"),
          .owner = STR_LIT("@acme/core"),
          .count = p->flat,
          .max_wait_minutes = -1 },
        { .op = STR_LIT("select"),
          .is_channel = true,
          .function = STR_LIT("net/http.(*conn).serve"),
          .file = STR_LIT("/usr/lib/go/src/net/http/server.go"),
          .line = 1990,
          .count = p->library,
          .max_wait_minutes = -1 },
    };
    struct store_profile profile = {
        .service = STR_LIT("shop"),
        .instance = str_from_cstr(p->instance),
        .ts = p->ts,
        .received = p->ts,
        .format = STR_LIT("pprof"),
        .goroutines = p->leak + p->flat + p->library + 10,
        .sites = sites,
        .n_sites = 3,
    };
    struct store_put_result result;
    return store_put_profile(conn, &profile, &result, err);
}

static void push(const char *instance, int64_t ts, int64_t leak, int64_t flat, int64_t library)
{
    struct push p = { instance, ts, leak, flat, library, NULL };
    ck_assert_msg(writer_run(fx.writer, put_job, &p, &fx.err) == LF_OK, "%s", fx.err.msg);
}

static int64_t location_of(const char *function)
{
    struct store_conn *conn;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    int64_t id = -1;
    bool found = false;
    ck_assert_int_eq(sqlbind_int(store_conn_db(conn), &id, &found, &fx.err,
                                 "SELECT id FROM locations WHERE function = ?1", "t", function),
                     LF_OK);
    store_reader_release(fx.store, conn);
    ck_assert(found);
    return id;
}

static const char *notification_state(int64_t location_id, char *buf, size_t size)
{
    struct store_conn *conn;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    sqlite3_stmt *stmt;
    ck_assert_int_eq(sqlbind_prepare(store_conn_db(conn), &stmt, &fx.err,
                                     "SELECT state FROM notifications WHERE location_id = ?1", "i",
                                     location_id),
                     LF_OK);
    buf[0] = '\0';
    if (sqlite3_step(stmt) == SQLITE_ROW)
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    store_reader_release(fx.store, conn);
    return buf;
}

static int64_t notification_id(int64_t location_id)
{
    struct store_conn *conn;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    int64_t id = 0;
    bool found = false;
    ck_assert_int_eq(sqlbind_int(store_conn_db(conn), &id, &found, &fx.err,
                                 "SELECT id FROM notifications WHERE location_id = ?1", "i",
                                 location_id),
                     LF_OK);
    store_reader_release(fx.store, conn);
    return found ? id : 0;
}

/* Two instances for two hours at one push a minute: the in-repo send grows by 2 per
 * minute on each, the in-repo receive is flat at 150, the library select grows. */
static int64_t fill_two_hours(void)
{
    int64_t ts = T0;
    for (int i = 0; i < 120; i++, ts += 60) {
        push("a", ts, 10 + 2 * i, 150, 5 + i);
        push("b", ts + 5, 20 + 2 * i, 150, 5 + i);
    }
    return ts;
}

START_TEST(test_growing_in_repo_channel_site_is_suspect)
{
    int64_t now = fill_two_hours();
    ck_assert_msg(detect_run(fx.detect, now, &fx.err) == LF_OK, "%s", fx.err.msg);

    struct detect_verdict v;
    int64_t leak = location_of("main.ncast.func1");
    ck_assert(detect_lookup(fx.detect, "shop", leak, &v));
    ck_assert_int_eq(v.count, (10 + 238) + (20 + 238));
    ck_assert(v.growing);
    ck_assert(v.suspect);
    ck_assert_double_eq_tol(v.growth_per_hour, 240, 1e-6);
    ck_assert_int_eq(v.since, T0);
    ck_assert_str_eq(v.owner, "@acme/core");

    int64_t flat = location_of("main.worker");
    ck_assert(detect_lookup(fx.detect, "shop", flat, &v));
    ck_assert_int_eq(v.count, 300);
    ck_assert(!v.growing);
    ck_assert(!v.suspect); /* over the threshold, but a flat plateau */

    int64_t library = location_of("net/http.(*conn).serve");
    ck_assert(detect_lookup(fx.detect, "shop", library, &v));
    ck_assert(v.growing);
    ck_assert(!v.suspect); /* growing, but not our code */

    json_t *trends = NULL;
    ck_assert_int_eq(detect_trends(fx.detect, now, 3600, 2, &trends, &fx.err), LF_OK);
    json_t *list = json_object_get(trends, "trends");
    ck_assert_uint_eq(json_array_size(list), 2);
    json_t *top = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(top, "function")), "main.ncast.func1");
    ck_assert_double_eq_tol(json_real_value(json_object_get(top, "growth_per_hour")), 240, 1e-6);
    ck_assert(json_is_true(json_object_get(top, "suspect")));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "function")),
                     "net/http.(*conn).serve");
    json_decref(trends);

    size_t verdicts, suspects;
    detect_counts(fx.detect, &verdicts, &suspects);
    ck_assert_uint_eq(verdicts, 3);
    ck_assert_uint_eq(suspects, 1);

    /* The judge answers the query layer from the same verdicts. */
    struct query_leak row = { .location_id = leak, .service = "shop" };
    struct query_verdict qv;
    detect_judge(fx.detect, &row, &qv);
    ck_assert(qv.suspect);
    ck_assert(qv.has_growth);
    /* ... with the leaking instances and no reason */
    json_t *instances = json_object_get(qv.detail, "instances");
    ck_assert_uint_eq(json_array_size(instances), 2);
    ck_assert_str_eq(json_string_value(json_array_get(instances, 0)), "a");
    ck_assert(json_is_null(json_object_get(qv.detail, "reason")));
    json_decref(qv.detail);

    /* Every other site says why it is not suspect. */
    ck_assert(detect_lookup(fx.detect, "shop", flat, &v));
    ck_assert_str_eq(v.reason, "not growing (p=1)");
    ck_assert(detect_lookup(fx.detect, "shop", location_of("net/http.(*conn).serve"), &v));
    ck_assert_str_eq(v.reason, "not in the repo");
}
END_TEST

START_TEST(test_under_threshold_is_not_suspect)
{
    int64_t ts = T0;
    for (int i = 0; i < 60; i++, ts += 60)
        push("a", ts, 1 + i / 2, 1, 1);
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.growing);
    ck_assert_int_eq(v.count, 30);
    ck_assert(!v.suspect);
    ck_assert_str_eq(v.reason, "below threshold (30 < 100)");
}
END_TEST

START_TEST(test_queue_lifecycle)
{
    char state[32];
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    ck_assert_str_eq(notification_state(location_of("main.worker"), state, sizeof(state)), "");

    /* A second pass does not duplicate it. */
    ck_assert_int_eq(detect_run(fx.detect, now + 10, &fx.err), LF_OK);
    struct store_conn *conn;
    int64_t n = 0;
    bool found;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(sqlbind_int(store_conn_db(conn), &n, &found, &fx.err,
                                 "SELECT COUNT(*) FROM notifications", ""),
                     LF_OK);
    store_reader_release(fx.store, conn);
    ck_assert_int_eq(n, 1);

    /* Grouping: nothing is due before group_wait has passed; then the log route
     * delivers it. */
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 10, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 31, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    /* no webhook and no route: logged, and nobody was told */
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "unrouted");

    /* Acknowledged: no reminder however long it keeps growing. */
    int64_t id = notification_id(leak);
    struct notify_request ack = { .action = NOTIFY_ACK, .id = id, .now = now + 40 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &ack, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "acknowledged");

    /* Snooze in the past is refused; in the future it holds. */
    struct notify_request snooze = {
        .action = NOTIFY_SNOOZE, .id = id, .until = now, .now = now + 50
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &snooze, &fx.err), LF_EINVAL);
    snooze.until = now + 600;
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &snooze, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "snoozed");

    /* Resolved by hand; acknowledging it now conflicts; unknown ids are not found. */
    struct notify_request resolve = { .action = NOTIFY_RESOLVE, .id = id, .now = now + 60 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");
    ack.now = now + 70;
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &ack, &fx.err), LF_ECONFLICT);
    struct notify_request missing = { .action = NOTIFY_ACK, .id = 9999 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &missing, &fx.err), LF_ENOTFOUND);

    /* Still suspect at the next pass, and re-opening at once (reopen_after 0): it comes
     * back as a regression, due after the grouping wait, and goes out as such. */
    fx.notify.reopen_after = 0;
    ck_assert_int_eq(detect_run(fx.detect, now + 100, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 131, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    json_t *list = NULL;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, NULL, id, &list, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    ck_assert(json_is_true(json_object_get(list, "regression")));
    ck_assert_str_eq(json_string_value(json_object_get(list, "state")), "unrouted");
    ck_assert_int_eq(json_integer_value(json_object_get(list, "attempts")), 2);
    json_t *events = json_object_get(list, "events");
    const char *expected[] = { "created",  "no route",   "acknowledged", "snoozed",
                               "resolved", "regression", "no route" };
    ck_assert_uint_eq(json_array_size(events), 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, i), "event")),
                         expected[i]);
    json_decref(list);

    /* The leak stops: pushes go flat and the instances restart lower. An hour after
     * the last suspect pass it resolves itself, with a resolve message. */
    int64_t ts = now + 200;
    for (int i = 0; i < 90; i++, ts += 60) {
        push("a", ts, 5, 150, 5);
        push("b", ts + 5, 5, 150, 5);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");
    ck_assert_int_eq(dispatch_run_once(dispatch, ts, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    dispatch_free(dispatch);
}
END_TEST

START_TEST(test_reminder_and_silence)
{
    char state[32];
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);

    /* Still growing, unacknowledged, six hours on: a reminder. */
    int64_t ts = now;
    for (int i = 0; i < 362; i++, ts += 60) {
        push("a", ts, 250 + 2 * i, 150, 5);
        push("b", ts + 5, 260 + 2 * i, 150, 5);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "unrouted");
    ck_assert_int_eq(dispatch_run_once(dispatch, ts, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);

    /* A silence on the owner keeps the next finding quiet (re-opening at once). */
    fx.notify.reopen_after = 0;
    struct notify_silence_job silence = { .silence = { .owner = "@acme/core",
                                                       .reason = "known, fix in review",
                                                       .expires = ts + 86400,
                                                       .now = ts } };
    ck_assert_int_eq(writer_run(fx.writer, notify_add_silence_job, &silence, &fx.err), LF_OK);
    ck_assert_int_gt(silence.id, 0);
    struct notify_request resolve = { .action = NOTIFY_RESOLVE,
                                      .id = notification_id(leak),
                                      .now = ts + 1 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    ck_assert_int_eq(detect_run(fx.detect, ts + 2, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    ck_assert_int_eq(dispatch_run_once(dispatch, ts + 100, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);

    struct notify_silence_job bad = { .silence = { .reason = "x", .expires = ts + 5, .now = ts } };
    ck_assert_int_eq(writer_run(fx.writer, notify_add_silence_job, &bad, &fx.err), LF_EINVAL);

    /* Owners that are not owners are refused by the queue itself, whoever calls it. */
    static const char *const not_owners[] = { "", "@te\377am", "@team\n\x1B[31m", "x y@a.io" };
    for (size_t i = 0; i < sizeof(not_owners) / sizeof(not_owners[0]); i++) {
        struct notify_request to = { .action = NOTIFY_REASSIGN,
                                     .id = notification_id(leak),
                                     .owner = not_owners[i],
                                     .now = ts + 3 };
        ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &to, &fx.err), LF_EINVAL);
        bad.silence.owner = not_owners[i];
        ck_assert_int_eq(writer_run(fx.writer, notify_add_silence_job, &bad, &fx.err), LF_EINVAL);
    }
    struct notify_request to_unowned = {
        .action = NOTIFY_REASSIGN, .id = notification_id(leak), .owner = "unowned", .now = ts + 3
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &to_unowned, &fx.err), LF_OK);
    dispatch_free(dispatch);
}
END_TEST

START_TEST(test_failed_webhook_retries_with_backoff)
{
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.webhook = "http://127.0.0.1:9/hook"; /* discard port: refused */
    opts.timeout_ms = 2000;
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    size_t sent = 1;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);

    struct store_conn *conn;
    json_t *one = NULL;
    int64_t id = notification_id(leak);
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, "pending", id, &one, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    ck_assert_int_eq(json_integer_value(json_object_get(one, "attempts")), 1);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(one, "last_error")));
    json_int_t due = json_integer_value(json_object_get(one, "send_due"));
    ck_assert_int_ge(due, now + 30 + 30);
    ck_assert_int_le(due, now + 30 + 36);
    json_decref(one);

    /* Not due again before the backoff has passed. */
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 40, &sent, &fx.err), LF_OK);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.failed, 1);
    dispatch_free(dispatch);
}
END_TEST

START_TEST(test_rate_limit_per_owner)
{
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.rate_per_hour = 1;
    int64_t now = fill_two_hours();
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    struct notify_request resolve = { .action = NOTIFY_RESOLVE,
                                      .id = notification_id(location_of("main.ncast.func1")),
                                      .now = now + 31 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    fx.notify.reopen_after = 0;
    ck_assert_int_eq(detect_run(fx.detect, now + 32, &fx.err), LF_OK);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 70, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.limited, 1);
    dispatch_free(dispatch);
}
END_TEST

static int due_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const int64_t *args = ctx;
    return sqlbind_exec(store_conn_db(conn), err,
                        "UPDATE notifications SET send_due = ?2, send_kind = 'reminder'"
                        " WHERE location_id = ?1",
                        "ii", args[0], args[1]);
}

/* Makes the notification of location_id due again at due (a reminder). */
static void add_event_due(int64_t location_id, int64_t due)
{
    int64_t args[2] = { location_id, due };
    ck_assert_int_eq(writer_run(fx.writer, due_job, args, &fx.err), LF_OK);
}

/* The notification of a location as the API lists it (with its events); caller decrefs. */
static json_t *notification_json(int64_t location_id)
{
    struct store_conn *conn;
    json_t *one = NULL;
    int64_t id = notification_id(location_id);
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, NULL, id, &one, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    return one;
}

static const char *last_event(json_t *one, const char *field)
{
    json_t *events = json_object_get(one, "events");
    return json_string_value(
            json_object_get(json_array_get(events, json_array_size(events) - 1), field));
}

START_TEST(test_no_route_is_not_delivered)
{
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.unrouted, 1);
    ck_assert_uint_eq(stats.delivered, 0);
    json_t *one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "unrouted");
    ck_assert_str_eq(last_event(one, "event"), "no route");
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "no notify.webhook"));
    /* the queue lists the verdict's count and growth beside it */
    ck_assert_int_eq(json_integer_value(json_object_get(one, "count")), (10 + 238) + (20 + 238));
    ck_assert_double_eq_tol(json_real_value(json_object_get(one, "growth_per_hour")), 240, 1e-6);
    json_decref(one);
    ck_assert(notify_state_valid("unrouted"));

    /* With Alertmanager configured, a message without a webhook route is told there. */
    struct dispatch_options am_opts;
    dispatch_options_default(&am_opts);
    am_opts.alertmanager = true;
    struct dispatch *am = NULL;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &am_opts, &am, &fx.err), LF_OK);
    add_event_due(leak, now + 35);
    ck_assert_int_eq(dispatch_run_once(am, now + 35, &sent, &fx.err), LF_OK);
    dispatch_get_stats(am, &stats);
    ck_assert_uint_eq(stats.delivered, 1);
    ck_assert_uint_eq(stats.unrouted, 0);
    one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "delivered");
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "alertmanager"));
    json_decref(one);
    dispatch_free(am);

    /* Acknowledging works from there, and names who did it. */
    struct notify_request ack = {
        .action = NOTIFY_ACK, .id = notification_id(leak), .actor = "alice", .now = now + 40
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &ack, &fx.err), LF_OK);
    one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "acknowledged");
    ck_assert_str_eq(json_string_value(json_object_get(one, "actor")), "alice");
    ck_assert_str_eq(last_event(one, "detail"), "by alice");
    json_decref(one);
    dispatch_free(dispatch);
}
END_TEST

/* Resolved by hand with no versions: "fixed" holds while the site keeps growing for less
 * than reopen_after, then it re-opens as a regression. */
START_TEST(test_resolve_without_versions_waits_reopen_after)
{
    char state[32];
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct notify_request resolve = {
        .action = NOTIFY_RESOLVE, .id = notification_id(leak), .actor = "bob", .now = now
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    json_t *one = notification_json(leak);
    ck_assert(json_is_true(json_object_get(one, "resolved_manual")));
    ck_assert(json_is_null(json_object_get(one, "resolved_version")));
    ck_assert_str_eq(last_event(one, "detail"), "by bob, no version known");
    json_decref(one);

    /* Still growing: the old code re-opened at the next pass, seconds later. */
    int64_t ts = now;
    for (int i = 120; i < 120 + 65; i++, ts += 60) {
        push("a", ts, 10 + 2 * i, 150, 5);
        push("b", ts + 5, 20 + 2 * i, 150, 5);
        if (i == 121 || i == 150) {
            ck_assert_int_eq(detect_run(fx.detect, ts + 10, &fx.err), LF_OK);
            ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");
        }
    }
    ck_assert_int_ge(ts, now + fx.notify.reopen_after);
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    one = notification_json(leak);
    ck_assert(json_is_true(json_object_get(one, "regression")));
    ck_assert_str_eq(last_event(one, "event"), "regression");
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "after the resolve"));
    json_decref(one);
}
END_TEST

/* Resolved by hand in v1: growth that goes on in v1 does not re-open it, growth in v2
 * after the deploy does. A resolve by the queue itself (quiet for resolve_after) re-opens
 * at the first suspect pass. */
START_TEST(test_resolve_in_version_reopens_in_next_version)
{
    char state[32];
    int64_t ts = T0;
    for (int i = 0; i < 120; i++, ts += 60) {
        struct push p = { "a", ts, 10 + 4 * i, 1, 1, "v1" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    int64_t resolved_at = ts;
    struct notify_request resolve = {
        .action = NOTIFY_RESOLVE, .id = notification_id(leak), .actor = "carol", .now = resolved_at
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    json_t *one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "resolved_version")), "v1");
    ck_assert_str_eq(last_event(one, "detail"), "by carol in version v1");
    json_decref(one);

    /* v1 keeps leaking for two more hours: longer than reopen_after, still resolved. */
    for (int i = 120; i < 240; i++, ts += 60) {
        struct push p = { "a", ts, 10 + 4 * i, 1, 1, "v1" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", leak, &v));
    ck_assert(v.suspect);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");

    /* v2 is deployed (the process restarts low) and leaks again. */
    for (int i = 0; i < 90; i++, ts += 60) {
        struct push p = { "a", ts, 10 + 4 * i, 1, 1, "v2" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert(detect_lookup(fx.detect, "shop", leak, &v));
    ck_assert(v.suspect);
    ck_assert_str_eq(v.since_version, "v2");
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    one = notification_json(leak);
    ck_assert(json_is_true(json_object_get(one, "regression")));
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "growing in v2"));
    ck_assert(json_is_false(json_object_get(one, "resolved_manual")));
    json_decref(one);
}
END_TEST

START_TEST(test_message_body)
{
    json_t *findings = json_pack(
            "[{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:I, s:f, s:{s:I, s:f}, s:s}]", "kind", "new",
            "service", "shop", "location_id", (json_int_t)7, "function", "main.ncast.func1", "file",
            "main.go", "line", (json_int_t)51, "op", "chan send", "count", (json_int_t)1200,
            "growth_per_hour", 340.0, "projection", "target", (json_int_t)10000, "hours", 25.9,
            "link", "http://lf/#/location/7");
    json_t *message = dispatch_message("@acme/core", findings, "http://lf");
    ck_assert_ptr_nonnull(message);
    ck_assert_str_eq(json_string_value(json_object_get(message, "owner")), "@acme/core");
    ck_assert_str_eq(json_string_value(json_object_get(message, "service")), "shop");
    ck_assert_str_eq(json_string_value(json_object_get(message, "op")), "chan send");
    ck_assert_int_eq(json_integer_value(json_object_get(message, "count")), 1200);
    ck_assert_str_eq(json_string_value(json_object_get(message, "link")), "http://lf/#/location/7");
    ck_assert_str_eq(json_string_value(json_object_get(message, "text")),
                     "leakfleet: 1 goroutine leak suspect for @acme/core\n"
                     "• shop: main.ncast.func1 at main.go:51 (chan send): 1200 goroutines, +340/h, "
                     "reaches 10000 in 26 h http://lf/#/location/7");
    json_decref(message);
    json_decref(findings);
}
END_TEST

START_TEST(test_suppressed_site_is_visible_not_suspect)
{
    static const char rules[] = "# known sites\nNcastFanout mentions main.ncast\n"
                                "Workers function main.worker\n";
    const char *classes[] = { "NcastFanout" };
    const char *reasons[] = { "bounded by the subscriber count" };
    int64_t untils[] = { 0 };
    struct suppress *suppress = NULL;
    ck_assert_msg(suppress_create(rules, sizeof(rules) - 1, "rules.txt", classes, reasons, untils,
                                  1, &suppress, &fx.err) == LF_OK,
                  "%s", fx.err.msg);
    detect_free(fx.detect);
    struct detect_options opts;
    detect_options_default(&opts);
    opts.suppress = suppress_site;
    opts.suppress_ctx = suppress;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);

    int64_t now = fill_two_hours();
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.growing);
    ck_assert(!v.suspect);
    ck_assert_str_eq(v.suppressed, "NcastFanout: bounded by the subscriber count");

    /* An expected class with no rule is a configuration error. */
    const char *unknown[] = { "Nope" };
    struct suppress *bad = NULL;
    ck_assert_int_eq(suppress_create(rules, sizeof(rules) - 1, "rules.txt", unknown, reasons,
                                     untils, 1, &bad, &fx.err),
                     LF_EINVAL);
    ck_assert_ptr_null(bad);

    /* Expired: the site is suspect again. */
    detect_free(fx.detect);
    fx.detect = NULL;
    suppress_free(suppress);
    int64_t expired[] = { now - 1 };
    ck_assert_int_eq(suppress_create(rules, sizeof(rules) - 1, "rules.txt", classes, reasons,
                                     expired, 1, &suppress, &fx.err),
                     LF_OK);
    opts.suppress_ctx = suppress;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.suspect);
    ck_assert_ptr_null(v.suppressed);
    detect_free(fx.detect);
    fx.detect = NULL;
    suppress_free(suppress);
}
END_TEST

START_TEST(test_since_version)
{
    /* Flat at 10 under v1.4.2 for an hour, then growing under v1.5.0. */
    int64_t ts = T0;
    for (int i = 0; i < 120; i++, ts += 60) {
        struct push p = { "a", ts, i < 60 ? 10 : 10 + 4 * (i - 60),
                          1,   1,  i < 60 ? "v1.4.2" : "v1.5.0" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.growing);
    ck_assert_int_eq(v.since, T0 + 60 * 60);
    ck_assert_str_eq(v.since_version, "v1.5.0");
}
END_TEST

/* A goroutine of the organisation's code stuck inside a client library's lock. */
static int put_library_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct push *p = ctx;
    struct store_frame frames[] = {
        { STR_LIT("sync.(*Mutex).Lock"), STR_LIT("/usr/lib/go/src/sync/mutex.go"), 81 },
        { STR_LIT("github.com/lib/pq.(*conn).send"), STR_LIT("/root/go/pkg/mod/pq/conn.go"), 40 },
        { STR_LIT("main.publish"), STR_LIT("/build/leaky/publish.go"), 99 },
    };
    struct store_site site = { .op = STR_LIT("sync.Mutex.Lock"),
                               .function = STR_LIT("github.com/lib/pq.(*conn).send"),
                               .file = STR_LIT("/root/go/pkg/mod/pq/conn.go"),
                               .line = 40,
                               .count = p->leak,
                               .max_wait_minutes = -1,
                               .frames = frames,
                               .n_frames = 3 };
    struct store_profile profile = { .service = STR_LIT("shop"),
                                     .service_owner = STR_LIT("@acme/shop"),
                                     .instance = str_from_cstr(p->instance),
                                     .ts = p->ts,
                                     .received = p->ts,
                                     .format = STR_LIT("pprof"),
                                     .goroutines = p->leak + 10,
                                     .busy = 5,
                                     .sites = &site,
                                     .n_sites = 1 };
    struct store_put_result result;
    return store_put_profile(conn, &profile, &result, err);
}

START_TEST(test_culprit_frame)
{
    const char *roots[] = { "/build/leaky/" };
    struct attributor *attributor = attributor_create(roots, 1, NULL);
    ck_assert_ptr_nonnull(attributor);
    detect_free(fx.detect);
    struct detect_options opts;
    detect_options_default(&opts);
    opts.attributor = attributor;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
    int64_t ts = T0;
    for (int i = 0; i < 60; i++, ts += 60) {
        struct push p = { "a", ts, 100 + 3 * i, 0, 0, NULL };
        ck_assert_int_eq(writer_run(fx.writer, put_library_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("github.com/lib/pq.(*conn).send"), &v));
    ck_assert(!v.in_repo);
    ck_assert(v.suspect);
    ck_assert_str_eq(v.culprit_function, "main.publish");
    ck_assert_int_eq(v.culprit_line, 99);
    ck_assert_str_eq(v.owner, "@acme/shop"); /* no CODEOWNERS rule: the service's owner */

    /* Without an attributor the same site is not the organisation's. */
    detect_free(fx.detect);
    detect_options_default(&opts);
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert(detect_lookup(fx.detect, "shop", location_of("github.com/lib/pq.(*conn).send"), &v));
    ck_assert(!v.suspect);
    ck_assert_str_eq(v.reason, "not in the repo");
    attributor_free(attributor);
}
END_TEST

/* ---- one owner's trouble stays that owner's ---------------------------------------------- */

/* Runs one statement as a writer job: ?1 and ?2 are texts, ?3 and ?4 integers; types is
 * the prefix of "ttii" the statement uses. */
struct exec_job {
    const char *sql;
    const char *types;
    const char *t1, *t2;
    int64_t i1, i2;
};

static int exec_run(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct exec_job *job = ctx;
    return sqlbind_exec(store_conn_db(conn), err, job->sql, job->types, job->t1, job->t2, job->i1,
                        job->i2);
}

static void exec_sql(const char *sql, const char *types, const char *t1, const char *t2, int64_t i1,
                     int64_t i2)
{
    struct exec_job job = { sql, types, t1, t2, i1, i2 };
    ck_assert_msg(writer_run(fx.writer, exec_run, &job, &fx.err) == LF_OK, "%s: %s", sql,
                  fx.err.msg);
}

/* A notification of owner at location, due at due. */
static void add_due(const char *owner, int64_t location_id, int64_t due)
{
    exec_sql("INSERT INTO notifications (service_id, location_id, owner, state, created,"
             " updated, send_due, send_kind) VALUES ((SELECT id FROM services WHERE name = ?2),"
             " ?3, ?1, 'pending', ?4, ?4, ?4, 'new')",
             "ttii", owner, "shop", location_id, due);
}

static json_t *notification_of(const char *owner)
{
    struct store_conn *conn;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    int64_t id = 0;
    bool found = false;
    ck_assert_int_eq(sqlbind_int(store_conn_db(conn), &id, &found, &fx.err,
                                 "SELECT id FROM notifications WHERE owner = ?1", "t", owner),
                     LF_OK);
    ck_assert_msg(found, "no notification of %s", owner);
    json_t *one = NULL;
    ck_assert_msg(notify_list(conn, NULL, id, &one, &fx.err) == LF_OK, "%s", fx.err.msg);
    store_reader_release(fx.store, conn);
    return one;
}

static const char *state_of(const char *owner, char *buf, size_t size)
{
    json_t *one = notification_of(owner);
    snprintf(buf, size, "%s", json_string_value(json_object_get(one, "state")));
    json_decref(one);
    return buf;
}

/* The first owner's outcome cannot be recorded (a trigger refuses its row): the pass
 * goes on, the owners behind it are delivered, the skip is counted, and the failing
 * owner is held back (not posted again every pass) until its backoff has passed. */
START_TEST(test_failing_owner_does_not_block_the_others)
{
    char state[32];
    push("a", T0, 10, 150, 5);
    int64_t leak = location_of("main.ncast.func1");
    int64_t now = T0 + 60;
    add_due("@acme/a-poisoned", leak, now);
    add_due("@acme/b-healthy", leak, now);
    add_due("@acme/c-healthy", leak, now);
    exec_sql("CREATE TRIGGER poison BEFORE UPDATE ON notifications"
             " WHEN OLD.owner = '@acme/a-poisoned'"
             " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
             "", NULL, NULL, 0, 0);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_msg(dispatch_run_once(dispatch, now, &sent, &fx.err) == LF_OK, "%s", fx.err.msg);
    ck_assert_uint_eq(sent, 2);
    /* out through the log route: no webhook here, so unrouted rather than delivered */
    ck_assert_str_eq(state_of("@acme/b-healthy", state, sizeof(state)), "unrouted");
    ck_assert_str_eq(state_of("@acme/c-healthy", state, sizeof(state)), "unrouted");
    ck_assert_str_eq(state_of("@acme/a-poisoned", state, sizeof(state)), "pending");
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.skipped, 1);
    ck_assert_uint_eq(stats.unrouted, 3); /* its message went out; recording it failed */
    ck_assert_uint_eq(stats.delivered, 0);

    /* The next passes leave it alone until the backoff (30 s plus up to a fifth) ends. */
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 1, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 29, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.skipped, 1);
    ck_assert_uint_eq(stats.unrouted, 3);

    /* Once the row can be written again it goes out. */
    exec_sql("DROP TRIGGER poison", "", NULL, NULL, 0, 0);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 37, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    ck_assert_str_eq(state_of("@acme/a-poisoned", state, sizeof(state)), "unrouted");
    dispatch_free(dispatch);
}
END_TEST

/* A database written by an older version: a function name with a byte that is not UTF-8,
 * an owner cut inside a character, a growth no JSON number can hold. Every owner is
 * delivered with U+FFFD in place of the bad bytes, and the listings keep every key. */
START_TEST(test_old_rows_with_invalid_bytes_are_delivered)
{
    char state[32];
    int64_t now = fill_two_hours();
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    int64_t leak = location_of("main.ncast.func1");
    int64_t flat = location_of("main.worker");
    exec_sql("UPDATE locations SET function = CAST(X'6d61696e2e6e63617374ff' AS TEXT)"
             " WHERE function = ?1",
             "t", "main.ncast.func1", NULL, 0, 0);
    exec_sql("UPDATE detections SET growth_per_hour = 9e999 WHERE location_id = ?3", "tti", NULL,
             NULL, leak, 0);
    add_due("@acme/a-\xe6\xbc", flat, now); /* sorts before @acme/core */
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_msg(dispatch_run_once(dispatch, now + 31, &sent, &fx.err) == LF_OK, "%s", fx.err.msg);
    ck_assert_uint_eq(sent, 2);
    /* out through the log route: no webhook here, so unrouted rather than delivered */
    ck_assert_str_eq(state_of("@acme/core", state, sizeof(state)), "unrouted");
    ck_assert_str_eq(state_of("@acme/a-\xe6\xbc", state, sizeof(state)), "unrouted");
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.skipped, 0);

    json_t *one = notification_of("@acme/core");
    ck_assert_str_eq(json_string_value(json_object_get(one, "function")), "main.ncast\xef\xbf\xbd");
    const char *message = json_string_value(json_object_get(one, "message"));
    ck_assert_ptr_nonnull(message);
    ck_assert_msg(strstr(message, "main.ncast\xef\xbf\xbd at") != NULL, "%s", message);
    json_decref(one);
    one = notification_of("@acme/a-\xe6\xbc");
    ck_assert_str_eq(json_string_value(json_object_get(one, "owner")), "@acme/a-\xef\xbf\xbd");
    message = json_string_value(json_object_get(one, "message"));
    ck_assert_msg(strstr(message, "for @acme/a-\xef\xbf\xbd\n") != NULL, "%s", message);
    json_decref(one);

    /* The whole listing keeps the function key of every row. */
    struct store_conn *conn;
    json_t *list = NULL;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, NULL, 0, &list, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(list, "notifications"), i, row)
        ck_assert(json_is_string(json_object_get(row, "function")));
    ck_assert_uint_eq(i, 2);
    json_decref(list);

    /* Trends read the same names from the table. */
    ck_assert_int_eq(detect_run(fx.detect, now + 40, &fx.err), LF_OK);
    json_t *trends = NULL;
    ck_assert_int_eq(detect_trends(fx.detect, now + 40, 3600, 10, &trends, &fx.err), LF_OK);
    bool seen = false;
    json_array_foreach(json_object_get(trends, "trends"), i, row)
        seen = seen || strcmp(json_string_value(json_object_get(row, "function")),
                              "main.ncast\xef\xbf\xbd") == 0;
    ck_assert(seen);
    json_decref(trends);
    dispatch_free(dispatch);
}
END_TEST

/* A route that is not http or https fails like a dead webhook (retried later), and the
 * server reads no file and speaks no other protocol for it. */
START_TEST(test_webhook_routes_are_http_only)
{
    push("a", T0, 10, 150, 5);
    int64_t leak = location_of("main.ncast.func1");
    int64_t now = T0 + 60;
    add_due("@acme/a-file", leak, now);
    add_due("@acme/b-gopher", leak, now);
    static const struct dispatch_route routes[] = {
        { "@acme/a-file", "file:///etc/passwd" },
        { "@acme/b-gopher", "gopher://127.0.0.1:9/" },
    };
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.routes = routes;
    opts.n_routes = 2;
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    size_t sent = 1;
    ck_assert_int_eq(dispatch_run_once(dispatch, now, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.failed, 2);
    ck_assert_uint_eq(stats.delivered, 0);
    const char *owners[] = { "@acme/a-file", "@acme/b-gopher" };
    for (size_t i = 0; i < 2; i++) {
        json_t *one = notification_of(owners[i]);
        const char *error = json_string_value(json_object_get(one, "last_error"));
        ck_assert_msg(error != NULL && strstr(error, "rotocol") != NULL, "%s: %s", owners[i],
                      error ? error : "(none)");
        ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "pending");
        json_decref(one);
    }
    dispatch_free(dispatch);
}
END_TEST

/* A legal Go name of 1,500 CJK characters: the text stops at 4,095 bytes at most, on a
 * character boundary, so the message is built (json_pack refused the cut one). */
START_TEST(test_message_text_cut_on_a_character_boundary)
{
    char function[5 + 3 * 1500 + 1] = "main.";
    for (int i = 0; i < 1500; i++)
        memcpy(function + 5 + 3 * i, "\xe6\xbc\x8f", 4);
    /* for every alignment of the cut against the characters */
    const char *owners[] = { "@acme/x", "@acme/xy", "@acme/xyz", "@acme/\xff" };
    for (size_t k = 0; k < sizeof(owners) / sizeof(owners[0]); k++) {
        json_t *findings = json_pack("[{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:I}]", "kind", "new",
                                     "service", "shop", "location_id", (json_int_t)7, "function",
                                     function, "file", "main.go", "line", (json_int_t)51, "op",
                                     "chan send", "count", (json_int_t)1200);
        ck_assert_ptr_nonnull(findings);
        json_t *message = dispatch_message(owners[k], findings, NULL);
        ck_assert_msg(message != NULL, "owner %s", owners[k]);
        const char *text = json_string_value(json_object_get(message, "text"));
        size_t len = json_string_length(json_object_get(message, "text"));
        ck_assert_uint_le(len, 4095);
        ck_assert_uint_ge(len, 4092);
        ck_assert(utf8_valid(text, len));
        ck_assert_mem_eq(text + len - 3, "\xe6\xbc\x8f", 3);
        ck_assert_str_eq(json_string_value(json_object_get(message, "function")), function);
        char *body = json_dumps(message, JSON_COMPACT);
        ck_assert_ptr_nonnull(body);
        free(body);
        json_decref(message);
        json_decref(findings);
    }
}
END_TEST

/* The rate limit counts per whole owner name, for any number of owners: two names equal
 * in their first 127 bytes are two owners, and past 512 owners each is still limited. */
START_TEST(test_rate_limit_per_whole_owner_for_many_owners)
{
    enum { OWNERS = 600 };
    push("a", T0, 10, 150, 5);
    int64_t leak = location_of("main.ncast.func1");
    int64_t now = T0 + 60;
    char owner[200];
    for (int i = 0; i < OWNERS; i++) {
        snprintf(owner, sizeof(owner), "@acme/team-%04d", i);
        add_due(owner, leak, now);
    }
    char long_name[160];
    memset(long_name, 'x', sizeof(long_name));
    memcpy(long_name, "@acme/", 6);
    for (int i = 0; i < 2; i++) {
        snprintf(long_name + 140, sizeof(long_name) - 140, "-%d", i);
        add_due(long_name, leak, now);
    }
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.rate_per_hour = 1;
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    log_set_level(LOG_LEVEL_ERROR);
    size_t sent = 0, total = 0;
    for (int pass = 0; pass < 3; pass++) {
        ck_assert_int_eq(dispatch_run_once(dispatch, now, &sent, &fx.err), LF_OK);
        total += sent;
    }
    ck_assert_uint_eq(total, OWNERS + 2);

    /* Every one of them is due again within the hour: every one is held back. */
    exec_sql("UPDATE notifications SET send_due = ?3, send_kind = 'reminder'", "tti", NULL, NULL,
             now + 10, 0);
    total = 0;
    for (int pass = 0; pass < 3; pass++) {
        ck_assert_int_eq(dispatch_run_once(dispatch, now + 10, &sent, &fx.err), LF_OK);
        total += sent;
    }
    log_set_level(LOG_LEVEL_INFO);
    ck_assert_uint_eq(total, 0);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.limited, OWNERS + 2);
    ck_assert_uint_eq(stats.skipped, 0);

    /* An hour on, their windows are over. */
    log_set_level(LOG_LEVEL_ERROR);
    total = 0;
    for (int pass = 0; pass < 3; pass++) {
        ck_assert_int_eq(dispatch_run_once(dispatch, now + 3600, &sent, &fx.err), LF_OK);
        total += sent;
    }
    log_set_level(LOG_LEVEL_INFO);
    ck_assert_uint_eq(total, OWNERS + 2);
    dispatch_free(dispatch);
}
END_TEST

static Suite *detect_suite(void)
{
    Suite *suite = suite_create("detect");
    TCase *verdicts = tcase_create("verdicts");
    tcase_add_checked_fixture(verdicts, setup, teardown);
    tcase_set_timeout(verdicts, 60);
    tcase_add_test(verdicts, test_growing_in_repo_channel_site_is_suspect);
    tcase_add_test(verdicts, test_under_threshold_is_not_suspect);
    tcase_add_test(verdicts, test_suppressed_site_is_visible_not_suspect);
    tcase_add_test(verdicts, test_since_version);
    tcase_add_test(verdicts, test_culprit_frame);
    suite_add_tcase(suite, verdicts);
    TCase *queue = tcase_create("queue");
    tcase_add_checked_fixture(queue, setup, teardown);
    tcase_set_timeout(queue, 60);
    tcase_add_test(queue, test_queue_lifecycle);
    tcase_add_test(queue, test_reminder_and_silence);
    tcase_add_test(queue, test_failed_webhook_retries_with_backoff);
    tcase_add_test(queue, test_rate_limit_per_owner);
    tcase_add_test(queue, test_message_body);
    tcase_add_test(queue, test_no_route_is_not_delivered);
    tcase_add_test(queue, test_resolve_without_versions_waits_reopen_after);
    tcase_add_test(queue, test_resolve_in_version_reopens_in_next_version);
    suite_add_tcase(suite, queue);
    TCase *isolation = tcase_create("isolation");
    tcase_add_checked_fixture(isolation, setup, teardown);
    tcase_set_timeout(isolation, 120);
    tcase_add_test(isolation, test_failing_owner_does_not_block_the_others);
    tcase_add_test(isolation, test_old_rows_with_invalid_bytes_are_delivered);
    tcase_add_test(isolation, test_message_text_cut_on_a_character_boundary);
    tcase_add_test(isolation, test_webhook_routes_are_http_only);
    tcase_add_test(isolation, test_rate_limit_per_whole_owner_for_many_owners);
    suite_add_tcase(suite, isolation);
    return suite;
}

LF_CHECK_MAIN(detect_suite)
