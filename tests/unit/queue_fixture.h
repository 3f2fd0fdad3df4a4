/* queue_fixture.h - the fixture the detect, notify, dispatch, suppress and api suites share:
 * a store in memory with its writer and a detection whose passes feed the notification
 * queue; profiles pushed as ingest writes them (a leaking in-repo send, a flat in-repo
 * receive, a growing library select), and readers and writers of the queue's rows. */
#ifndef LF_QUEUE_FIXTURE_H
#define LF_QUEUE_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "detect.h"
#include "notify.h"
#include "sqlbind.h"
#include "store.h"
#include "testutil.h"
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

static inline void setup(void)
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

static inline void teardown(void)
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

static inline int put_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct push *p = ctx;
    struct store_frame leak_frames[] = {
        { STR_LIT("runtime.gopark"), STR_LIT("proc.go"), 363, false },
        { STR_LIT("main.ncast.func1"), STR_LIT("/build/leaky/main.go"), 51, false }
    };
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

static inline void push(const char *instance, int64_t ts, int64_t leak, int64_t flat,
                        int64_t library)
{
    struct push p = { instance, ts, leak, flat, library, NULL };
    ck_assert_msg(writer_run(fx.writer, put_job, &p, &fx.err) == LF_OK, "%s", fx.err.msg);
}

static inline int64_t location_of(const char *function)
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

static inline const char *notification_state(int64_t location_id, char *buf, size_t size)
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

static inline int64_t notification_id(int64_t location_id)
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
static inline int64_t fill_two_hours(void)
{
    int64_t ts = T0;
    for (int i = 0; i < 120; i++, ts += 60) {
        push("a", ts, 10 + 2 * i, 150, 5 + i);
        push("b", ts + 5, 20 + 2 * i, 150, 5 + i);
    }
    return ts;
}

static inline int due_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const int64_t *args = ctx;
    return sqlbind_exec(store_conn_db(conn), err,
                        "UPDATE notifications SET send_due = ?2, send_kind = 'reminder'"
                        " WHERE location_id = ?1",
                        "ii", args[0], args[1]);
}

/* Makes the notification of location_id due again at due (a reminder). */
static inline void add_event_due(int64_t location_id, int64_t due)
{
    int64_t args[2] = { location_id, due };
    ck_assert_int_eq(writer_run(fx.writer, due_job, args, &fx.err), LF_OK);
}

/* The notification of a location as the API lists it (with its events); caller decrefs. */
static inline json_t *notification_json(int64_t location_id)
{
    struct store_conn *conn;
    json_t *one = NULL;
    int64_t id = notification_id(location_id);
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, NULL, id, &one, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    return one;
}

static inline const char *last_event(json_t *one, const char *field)
{
    json_t *events = json_object_get(one, "events");
    return json_string_value(
            json_object_get(json_array_get(events, json_array_size(events) - 1), field));
}

/* Runs one statement as a writer job: ?1 and ?2 are texts, ?3 and ?4 integers; types is
 * the prefix of "ttii" the statement uses. */
struct exec_job {
    const char *sql;
    const char *types;
    const char *t1, *t2;
    int64_t i1, i2;
};

static inline int exec_run(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct exec_job *job = ctx;
    return sqlbind_exec(store_conn_db(conn), err, job->sql, job->types, job->t1, job->t2, job->i1,
                        job->i2);
}

static inline void exec_sql(const char *sql, const char *types, const char *t1, const char *t2,
                            int64_t i1, int64_t i2)
{
    struct exec_job job = { sql, types, t1, t2, i1, i2 };
    ck_assert_msg(writer_run(fx.writer, exec_run, &job, &fx.err) == LF_OK, "%s: %s", sql,
                  fx.err.msg);
}

/* A notification of owner at location, due at due. */
static inline void add_due(const char *owner, int64_t location_id, int64_t due)
{
    exec_sql("INSERT INTO notifications (service_id, location_id, owner, state, created,"
             " updated, send_due, send_kind) VALUES ((SELECT id FROM services WHERE name = ?2),"
             " ?3, ?1, 'pending', ?4, ?4, ?4, 'new')",
             "ttii", owner, "shop", location_id, due);
}

static inline json_t *notification_of(const char *owner)
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

static inline const char *state_of(const char *owner, char *buf, size_t size)
{
    json_t *one = notification_of(owner);
    snprintf(buf, size, "%s", json_string_value(json_object_get(one, "state")));
    json_decref(one);
    return buf;
}

#endif
