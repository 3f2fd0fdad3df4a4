/* test_store.c - unit tests of store and writer: migrations from empty and on re-open,
 * integrity of the migrated schema, hand-built profiles written through the writer,
 * idempotency, survival across close and re-open, savepoint isolation of a failing job,
 * the bounded queue, and group commit under 8 concurrent threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "check_main.h"
#include "embedded.h"
#include "store.h"
#include "testutil.h"
#include "store_detect.h"
#include "store_retention.h"
#include "store_stmt.h"
#include "store_timeline.h"
#include "testutil.h"
#include "writer.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* Runs sql on a raw connection to path; returns the first column of the first row as
 * an integer (or -1 when there is no row). */
static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    long long v = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

static void raw_text(const char *path, const char *sql, char *buf, size_t size)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    buf[0] = '\0';
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL)
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

static const struct store_frame frames_leak[] = {
    { STR_LIT("main.leak"), STR_LIT("/build/shop/main.go"), 10, false },
    { STR_LIT("main.main"), STR_LIT("/build/shop/main.go"), 40, false },
};

static struct store_site site_leak(int64_t count)
{
    struct store_site s = {
        .op = STR_LIT("chan send"),
        .is_channel = true,
        .function = STR_LIT("main.leak"),
        .file = STR_LIT("/build/shop/main.go"),
        .line = 10,
        .in_repo = true,
        .repo_path = STR_LIT("main.go"),
        .owner = STR_LIT("@acme/core"),
        .count = count,
        .max_wait_minutes = -1,
        .frames = frames_leak,
        .n_frames = 2,
    };
    return s;
}

static struct store_profile profile_of(const char *service, const char *instance, int64_t ts,
                                       const struct store_site *sites, size_t n_sites,
                                       const char *key)
{
    struct store_profile p = {
        .service = str_from_cstr(service),
        .instance = str_from_cstr(instance),
        .ts = ts,
        .received = (int64_t)time(NULL),
        .format = STR_LIT("pprof"),
        .goroutines = 0,
        .idempotency_key = str_from_cstr(key),
        .request_hash = STR_LIT("request 1"), /* what the key stands for */
        .sites = sites,
        .n_sites = n_sites,
    };
    for (size_t i = 0; i < n_sites; i++)
        p.goroutines += sites[i].count;
    return p;
}

struct put_job {
    const struct store_profile *profile;
    struct store_put_result result;
};

static int put_job_run(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct put_job *job = ctx;
    return store_put_profile(conn, job->profile, &job->result, err);
}

static struct store *open_ok(const char *path)
{
    struct store *store = NULL;
    struct lf_error err = { LF_OK, "" };
    int rc = store_open(path, NULL, &store, &err);
    ck_assert_msg(rc == LF_OK, "store_open: %s", err.msg);
    return store;
}

/* A fresh file database with its writer running: where most writing tests start. */
static void open_with_writer(struct testutil_db *t, struct store **store, struct writer **writer)
{
    struct lf_error err = { LF_OK, "" };
    testutil_db_init(t, "store");
    *store = open_ok(t->path);
    ck_assert_int_eq(writer_create(*store, NULL, writer, &err), LF_OK);
}

/* ---- migrations ----------------------------------------------------------------------- */

START_TEST(test_migrate_memory)
{
    struct store *store = open_ok(":memory:");
    ck_assert_int_ge(store_schema_latest(), 1);
    ck_assert_int_eq(store_schema_version(store), store_schema_latest());
    /* one connection, shared by the writer and the readers */
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    struct store_site sites[] = { site_leak(9) };
    struct store_profile p = profile_of("checkout", "pod-1", 1000, sites, 1, "k");
    struct put_job job = { &p, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
    bool found = false;
    struct store_put_result r;
    ck_assert_int_eq(store_find_idempotent(store, STR_LIT("checkout"), STR_LIT("k"),
                                           STR_LIT("request 1"), &r, &found, &err),
                     LF_OK);
    ck_assert(found);
    ck_assert_int_eq(r.profile_id, job.result.profile_id);
    writer_free(writer);
    store_close(store);
    store_close(NULL);
}
END_TEST

/* Every module's statement table is complete and every statement prepares on the
 * migrated schema (store_open prepares them all, on each connection that runs them; here
 * each one is prepared alone, so a broken one is named). A table prepared on the writer
 * only is refused on a reader. */
START_TEST(test_every_statement_prepares)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    struct store *store = open_ok(t.path);
    struct lf_error err = { LF_OK, "" };
    struct store_conn *conn = NULL;
    ck_assert_int_eq(store_reader_acquire(store, &conn, &err), LF_OK);
    int64_t v = 0;
    bool found = true;
    ck_assert_int_eq(store_int(conn, TIMELINE_SQL_SERVICE_ID, &v, &found, &err, "t", "none"),
                     LF_OK);
    ck_assert(!found);
    ck_assert_int_eq(store_int(conn, RETENTION_SQL_ROLLED_UNTIL, &v, &found, &err, ""),
                     LF_EINTERNAL);
    /* the detection pass reads on a reader */
    struct store_rows rows;
    ck_assert_int_eq(store_query(conn, DETECT_SQL_CANDIDATES, &rows, &err, "i", (int64_t)0), LF_OK);
    ck_assert(!store_row(&rows));
    ck_assert_int_eq(store_rows_end(&rows, LF_OK, "candidates", &err), LF_OK);
    store_reader_release(store, conn);
    ck_assert_int_eq(
            store_int(store_writer_conn(store), RETENTION_SQL_ROLLED_UNTIL, &v, &found, &err, ""),
            LF_OK);
    ck_assert(found);
    store_close(store);

    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(t.path, &db), SQLITE_OK);
    size_t total = 0;
    for (size_t i = 0; i < STORE_N_TABLES; i++) {
        const struct store_table *table = store_tables[i];
        ck_assert_ptr_nonnull(table);
        ck_assert_ptr_nonnull(table->name);
        ck_assert_uint_gt(table->n, 0);
        if (table->setup != NULL)
            ck_assert_int_eq(sqlite3_exec(db, table->setup, NULL, NULL, NULL), SQLITE_OK);
        for (size_t j = 0; j < table->n; j++) {
            ck_assert_msg(table->sql[j] != NULL, "%s statement %zu has no SQL", table->name, j);
            sqlite3_stmt *stmt = NULL;
            ck_assert_msg(sqlite3_prepare_v2(db, table->sql[j], -1, &stmt, NULL) == SQLITE_OK,
                          "%s statement %zu: %s", table->name, j, sqlite3_errmsg(db));
            sqlite3_finalize(stmt);
            total++;
        }
    }
    ck_assert_uint_ge(total, 46);
    sqlite3_close(db);
    testutil_db_release(&t);
}
END_TEST

START_TEST(test_migrate_file_then_reopen_is_noop)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    struct store *store = open_ok(t.path);
    ck_assert_int_eq(store_schema_version(store), store_schema_latest());
    store_close(store);

    char text[64];
    raw_text(t.path, "PRAGMA integrity_check", text, sizeof(text));
    ck_assert_str_eq(text, "ok");
    ck_assert_int_eq(raw_int(t.path, "PRAGMA foreign_key_check"), -1);
    raw_text(t.path, "PRAGMA journal_mode", text, sizeof(text));
    ck_assert_str_eq(text, "wal");
    ck_assert_int_eq(raw_int(t.path, "PRAGMA user_version"), store_schema_latest());
    long long objects = raw_int(t.path, "SELECT count(*) FROM sqlite_master");
    ck_assert_int_ge(objects, 7 + 6); /* 7 tables, 6 named indexes at least */

    /* a second open applies nothing and changes nothing */
    store = open_ok(t.path);
    ck_assert_int_eq(store_schema_version(store), store_schema_latest());
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM sqlite_master"), objects);
    ck_assert_int_eq(raw_int(t.path, "PRAGMA user_version"), store_schema_latest());
    testutil_db_release(&t);
}
END_TEST

/* 0009 rebuilds the notifications table (a new state in its CHECK): a database with a
 * queue and its history at version 6 keeps both, and the references still hold. */
START_TEST(test_migrate_keeps_notification_history)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(t.path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
    for (const struct embedded_file *f = embedded_schema; f->name != NULL; f++) {
        if (strncmp(f->name, "0007", 4) >= 0)
            break;
        ck_assert_msg(sqlite3_exec(db, (const char *)f->data, NULL, NULL, NULL) == SQLITE_OK,
                      "%s: %s", f->name, sqlite3_errmsg(db));
    }
    ck_assert_int_eq(
            sqlite3_exec(db,
                         "INSERT INTO services (id, name, first_seen) VALUES (1, 'shop', 1);"
                         "INSERT INTO locations (id, op, function, file, line, first_seen)"
                         " VALUES (1, 'chan send', 'main.leak', 'main.go', 10, 1);"
                         "INSERT INTO notifications (id, service_id, location_id, owner,"
                         " state, created, updated, delivered_at)"
                         " VALUES (7, 1, 1, '@acme/core', 'delivered', 1, 2, 2);"
                         "INSERT INTO notification_events VALUES (7, 1, 1, 'created', NULL);"
                         "INSERT INTO notification_events VALUES (7, 2, 2, 'delivered', 'log');"
                         "PRAGMA user_version = 6;",
                         NULL, NULL, NULL),
            SQLITE_OK);
    sqlite3_close(db);

    struct store *store = open_ok(t.path);
    ck_assert_int_eq(store_schema_version(store), store_schema_latest());
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM notifications WHERE id = 7"
                                     " AND state = 'delivered' AND delivered_at = 2"),
                     1);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM notification_events"
                                     " WHERE notification_id = 7"),
                     2);
    ck_assert_int_eq(raw_int(t.path, "PRAGMA foreign_key_check"), -1);
    char text[256];
    raw_text(t.path, "SELECT sql FROM sqlite_master WHERE name = 'notification_events'", text,
             sizeof(text));
    ck_assert_msg(strstr(text, "REFERENCES \"notifications\"") ||
                          strstr(text, "REFERENCES notifications"),
                  "%s", text);
    /* the new state is allowed, and deleting a notification still takes its history */
    ck_assert_int_eq(raw_int(t.path, "UPDATE notifications SET state = 'unrouted' WHERE id = 7"
                                     " RETURNING id"),
                     7);
    sqlite3_open(t.path, &db);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "PRAGMA foreign_keys = ON;"
                                  " DELETE FROM notifications WHERE id = 7",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM notification_events"), 0);
    testutil_db_release(&t);
}
END_TEST

START_TEST(test_newer_database_refused)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    store_close(open_ok(t.path));
    ck_assert_int_eq(raw_int(t.path, "PRAGMA user_version = 9999"), -1);
    struct store *store = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(store_open(t.path, NULL, &store, &err), LF_EDB);
    ck_assert_ptr_null(store);
    ck_assert_msg(strstr(err.msg, "newer than this binary") != NULL, "%s", err.msg);
    testutil_db_release(&t);
}
END_TEST

/* ---- writing ---------------------------------------------------------------------------- */

START_TEST(test_idempotent_thrice_is_one_profile)
{
    struct testutil_db t;
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    open_with_writer(&t, &store, &writer);

    struct store_site sites[] = { site_leak(42) };
    struct store_profile p = profile_of("checkout", "pod-1", 1000, sites, 1, "push-7");
    int64_t first_id = 0;
    for (int i = 0; i < 3; i++) {
        struct put_job job = { &p, { 0, 0, 0, false } };
        ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
        ck_assert(job.result.replayed == (i > 0));
        ck_assert_int_eq(job.result.goroutines, 42);
        ck_assert_int_eq(job.result.locations, 1);
        if (i == 0)
            first_id = job.result.profile_id;
        ck_assert_int_eq(job.result.profile_id, first_id);
    }
    /* the same key for another service is another push */
    struct store_profile other = profile_of("search", "pod-1", 1000, sites, 1, "push-7");
    struct put_job job = { &other, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
    ck_assert(!job.result.replayed);
    ck_assert_int_ne(job.result.profile_id, first_id);

    bool found = false;
    struct store_put_result r;
    ck_assert_int_eq(store_find_idempotent(store, STR_LIT("checkout"), STR_LIT("push-7"),
                                           STR_LIT("request 1"), &r, &found, &err),
                     LF_OK);
    ck_assert(found);
    ck_assert_int_eq(r.profile_id, first_id);
    ck_assert_int_eq(store_find_idempotent(store, STR_LIT("checkout"), STR_LIT("push-8"),
                                           STR_LIT("request 1"), &r, &found, &err),
                     LF_OK);
    ck_assert(!found);

    writer_free(writer);
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), 2);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM samples"), 2);
    ck_assert_int_eq(raw_int(t.path, "SELECT profiles FROM instances WHERE name = 'pod-1' AND "
                                     "service_id = (SELECT id FROM services WHERE name = "
                                     "'checkout')"),
                     1);
    testutil_db_release(&t);
}
END_TEST

/* A stored key answers only the request it was first used with: another request under
 * it (here: another instance and body) is LF_EMISMATCH and leaves nothing behind, in the
 * writer and in the look-up ingest does before parsing. Keys stored before fingerprints
 * were kept answer as they did. */
START_TEST(test_key_answers_only_its_request)
{
    struct testutil_db t;
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    open_with_writer(&t, &store, &writer);
    struct store_site sites_a[] = { site_leak(42) }, sites_b[] = { site_leak(7) };
    struct store_profile a = profile_of("checkout", "host-a", 1000, sites_a, 1, "K");
    struct put_job job = { &a, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
    int64_t id_a = job.result.profile_id;

    struct store_profile b = profile_of("checkout", "host-b", 1000, sites_b, 1, "K");
    b.request_hash = STR_LIT("request 2");
    struct put_job job_b = { &b, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job_b, &err), LF_EMISMATCH);
    ck_assert_str_eq(err.msg, STORE_KEY_REUSED);
    ck_assert_str_eq(err.msg, "Idempotency-Key reused with a different request");
    ck_assert(!job_b.result.replayed);
    ck_assert_int_eq(job_b.result.profile_id, 0);

    bool found = false;
    struct store_put_result r = { 0, 0, 0, false };
    ck_assert_int_eq(store_find_idempotent(store, STR_LIT("checkout"), STR_LIT("K"),
                                           STR_LIT("request 2"), &r, &found, &err),
                     LF_EMISMATCH);
    ck_assert(found);
    ck_assert_str_eq(err.msg, STORE_KEY_REUSED);
    ck_assert_int_eq(store_find_idempotent(store, STR_LIT("checkout"), STR_LIT("K"),
                                           STR_LIT("request 1"), &r, &found, &err),
                     LF_OK);
    ck_assert(found && r.replayed);
    ck_assert_int_eq(r.profile_id, id_a);
    ck_assert_int_eq(r.goroutines, 42);
    /* the same request again: the first answer */
    struct put_job again = { &a, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &again, &err), LF_OK);
    ck_assert(again.result.replayed);
    ck_assert_int_eq(again.result.profile_id, id_a);

    /* a key without the request it stands for is refused, not stored */
    struct store_profile bare = profile_of("checkout", "host-c", 1000, sites_b, 1, "K2");
    bare.request_hash = STR_NULL;
    struct put_job job_bare = { &bare, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job_bare, &err), LF_EINVAL);

    writer_free(writer);
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), 1);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM instances"), 1);
    ck_assert_int_eq(raw_int(t.path, "SELECT length(request_hash) FROM profiles"), 9);

    /* a key stored before migration 0007 has no hash: any request under it replays */
    raw_int(t.path, "UPDATE profiles SET request_hash = NULL");
    store = open_ok(t.path);
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    ck_assert_int_eq(store_find_idempotent(store, STR_LIT("checkout"), STR_LIT("K"),
                                           STR_LIT("request 2"), &r, &found, &err),
                     LF_OK);
    ck_assert(found);
    ck_assert_int_eq(r.profile_id, id_a);
    struct put_job legacy = { &b, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &legacy, &err), LF_OK);
    ck_assert(legacy.result.replayed);
    ck_assert_int_eq(legacy.result.profile_id, id_a);
    writer_free(writer);
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), 1);
    testutil_db_release(&t);
}
END_TEST

/* A reader taken without waiting leaves keep readers free for others, and a ":memory:"
 * database never gives its one connection that way. */
START_TEST(test_reader_try_acquire_keeps_readers)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    struct lf_error err = { LF_OK, "" };
    struct store_options opts;
    store_options_default(&opts);
    opts.n_readers = 3;
    struct store *store = NULL;
    ck_assert_int_eq(store_open(t.path, &opts, &store, &err), LF_OK);
    struct store_conn *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    ck_assert_int_eq(store_reader_acquire(store, &a, &err), LF_OK);
    ck_assert(store_reader_try_acquire(store, 1, &b)); /* two free: one taken, one left */
    ck_assert_ptr_nonnull(b);
    ck_assert(!store_reader_try_acquire(store, 1, &c)); /* the last one stays */
    ck_assert_ptr_null(c);
    ck_assert(store_reader_try_acquire(store, 0, &c));
    ck_assert(!store_reader_try_acquire(store, 0, &d));
    store_reader_release(store, b);
    ck_assert(!store_reader_try_acquire(store, 1, &d));
    ck_assert(store_reader_try_acquire(store, 0, &d));
    ck_assert(d == b);
    store_reader_release(store, a);
    store_reader_release(store, c);
    store_reader_release(store, d);
    store_close(store);
    testutil_db_release(&t);

    ck_assert_int_eq(store_open(":memory:", NULL, &store, &err), LF_OK);
    ck_assert(!store_reader_try_acquire(store, 0, &a));
    ck_assert_ptr_null(a);
    store_close(store);
}
END_TEST

START_TEST(test_data_survives_reopen)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    struct lf_error err = { LF_OK, "" };
    for (int round = 0; round < 2; round++) {
        struct store *store = open_ok(t.path);
        struct writer *writer = NULL;
        ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
        for (int i = 0; i < 3; i++) {
            struct store_site sites[] = { site_leak(10 + i) };
            struct store_profile p =
                    profile_of("checkout", "pod-1", 1000 + 60 * (3 * round + i), sites, 1, NULL);
            struct put_job job = { &p, { 0, 0, 0, false } };
            ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
            ck_assert_int_eq(job.result.profile_id, 3 * round + i + 1);
        }
        writer_free(writer);
        store_close(store);
    }
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), 6);
    ck_assert_int_eq(raw_int(t.path, "SELECT profiles FROM instances"), 6);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM locations"), 1);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM stacks"), 2);
    ck_assert_int_eq(raw_int(t.path, "SELECT latest_ts FROM instances"), 1000 + 60 * 5);
    ck_assert_int_eq(raw_int(t.path, "SELECT s.count FROM samples s JOIN instances i ON "
                                     "i.latest_profile_id = s.profile_id"),
                     12);
    ck_assert_int_eq(raw_int(t.path, "SELECT first_seen FROM locations"), 1000);
    testutil_db_release(&t);
}
END_TEST

static int put_then_fail(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct put_job *job = ctx;
    int rc = store_put_profile(conn, job->profile, &job->result, err);
    ck_assert_int_eq(rc, LF_OK);
    return lf_fail(err, LF_EINVAL, "rejected after writing");
}

START_TEST(test_failing_job_rolls_back_only_itself)
{
    struct testutil_db t;
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    open_with_writer(&t, &store, &writer);
    struct store_site sites[] = { site_leak(5) };
    struct store_profile bad = profile_of("checkout", "pod-bad", 1000, sites, 1, "k1");
    struct put_job job = { &bad, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_then_fail, &job, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "rejected after writing");
    struct store_profile good = profile_of("checkout", "pod-good", 1000, sites, 1, "k1");
    struct put_job job2 = { &good, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job2, &err), LF_OK);
    ck_assert(!job2.result.replayed); /* the failed push left no key behind */

    /* an empty name is refused by the store itself */
    struct store_profile empty = profile_of("", "pod", 1000, sites, 1, NULL);
    struct put_job job3 = { &empty, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job3, &err), LF_EINVAL);
    writer_free(writer);
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM instances"), 1);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), 1);
    testutil_db_release(&t);
}
END_TEST

/* A full disk (simulated with max_page_count) fails the push with LF_EUNAVAIL, keeps
 * every earlier push, and the store recovers once there is room again. */
START_TEST(test_disk_full_is_unavailable_then_recovers)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    struct store *store = open_ok(t.path);
    struct lf_error err = { LF_OK, "" };
    sqlite3 *db = store_conn_db(store_writer_conn(store));
    long long pages = raw_int(t.path, "PRAGMA page_count");
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %lld", pages + 3);
    ck_assert_int_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    struct writer *writer = NULL;
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);

    /* many distinct sites per push fill the few pages left */
    enum { N_SITES = 40 };
    struct store_site sites[N_SITES];
    char names[N_SITES][48];
    int stored = 0, rc = LF_OK;
    for (int push = 0; push < 200 && rc == LF_OK; push++) {
        for (int i = 0; i < N_SITES; i++) {
            snprintf(names[i], sizeof(names[i]), "main.fill_%d_%d", push, i);
            sites[i] = site_leak(i + 1);
            sites[i].function = str_from_cstr(names[i]);
        }
        struct store_profile p = profile_of("checkout", "pod-1", 1000 + push, sites, N_SITES, NULL);
        struct put_job job = { &p, { 0, 0, 0, false } };
        rc = writer_run(writer, put_job_run, &job, &err);
        if (rc == LF_OK)
            stored++;
    }
    ck_assert_int_eq(rc, LF_EUNAVAIL);
    ck_assert_msg(strstr(err.msg, "full") != NULL, "%s", err.msg);
    ck_assert_int_ge(stored, 1);

    /* room again: the next push is stored */
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA max_page_count = 1000000", NULL, NULL, NULL),
                     SQLITE_OK);
    struct store_site one[] = { site_leak(3) };
    struct store_profile p = profile_of("checkout", "pod-1", 5000, one, 1, NULL);
    struct put_job job = { &p, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
    writer_free(writer);
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), stored + 1);
    char text[64];
    raw_text(t.path, "PRAGMA integrity_check", text, sizeof(text));
    ck_assert_str_eq(text, "ok");
    testutil_db_release(&t);
}
END_TEST

/* ---- the bounded queue ----------------------------------------------------------------- */

struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool entered, open;
};

static int wait_at_gate(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    (void)conn;
    (void)err;
    struct gate *gate = ctx;
    pthread_mutex_lock(&gate->lock);
    gate->entered = true;
    pthread_cond_broadcast(&gate->cond);
    while (!gate->open)
        pthread_cond_wait(&gate->cond, &gate->lock);
    pthread_mutex_unlock(&gate->lock);
    return LF_OK;
}

static int do_nothing(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    (void)conn;
    (void)ctx;
    (void)err;
    return LF_OK;
}

struct runner {
    struct writer *writer;
    writer_fn fn;
    void *ctx;
    int rc;
};

static void *run_in_thread(void *arg)
{
    struct runner *r = arg;
    struct lf_error err;
    r->rc = writer_run(r->writer, r->fn, r->ctx, &err);
    return NULL;
}

START_TEST(test_queue_full_is_unavailable)
{
    struct store *store = open_ok(":memory:");
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    struct writer_options opts = { .queue_cap = 1, .max_batch = 1 };
    ck_assert_int_eq(writer_create(store, &opts, &writer, &err), LF_OK);

    struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };
    struct runner blocked = { writer, wait_at_gate, &gate, -100 };
    struct runner queued = { writer, do_nothing, NULL, -100 };
    pthread_t t1, t2;
    ck_assert_int_eq(pthread_create(&t1, NULL, run_in_thread, &blocked), 0);
    pthread_mutex_lock(&gate.lock);
    while (!gate.entered)
        pthread_cond_wait(&gate.cond, &gate.lock);
    pthread_mutex_unlock(&gate.lock);
    ck_assert_int_eq(pthread_create(&t2, NULL, run_in_thread, &queued), 0);
    struct writer_stats stats;
    do {
        writer_get_stats(writer, &stats);
    } while (stats.depth < 1);

    ck_assert_int_eq(writer_run(writer, do_nothing, NULL, &err), LF_EUNAVAIL);
    ck_assert_str_eq(err.msg, "write queue is full");

    pthread_mutex_lock(&gate.lock);
    gate.open = true;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    ck_assert_int_eq(blocked.rc, LF_OK);
    ck_assert_int_eq(queued.rc, LF_OK);
    writer_get_stats(writer, &stats);
    ck_assert_uint_eq(stats.jobs, 2);
    ck_assert_uint_eq(stats.rejected, 1);
    ck_assert_uint_eq(stats.commits, 2);
    writer_free(writer);
    store_close(store);
}
END_TEST

/* Sites of one location merge into one sample (counts add, the longest wait and any
 * leak verdict win); a site without wait times stores NULL even right after one with. */
START_TEST(test_samples_merge_and_keep_no_wait_null)
{
    struct testutil_db t;
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    open_with_writer(&t, &store, &writer);

    struct store_site waited[] = { site_leak(3), site_leak(4) };
    waited[0].max_wait_minutes = 7;
    waited[1].max_wait_minutes = 12;
    waited[1].confirmed = true;
    struct store_profile first = profile_of("checkout", "pod-1", 1000, waited, 2, NULL);
    struct put_job job = { &first, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
    ck_assert_int_eq(job.result.locations, 1);

    struct store_site plain[] = { site_leak(9) };
    struct store_profile second = profile_of("checkout", "pod-1", 1060, plain, 1, NULL);
    struct put_job job2 = { &second, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job2, &err), LF_OK);
    writer_free(writer);
    store_close(store);

    ck_assert_int_eq(raw_int(t.path, "SELECT count FROM samples WHERE profile_id = 1"), 7);
    ck_assert_int_eq(raw_int(t.path, "SELECT max_wait FROM samples WHERE profile_id = 1"), 12);
    ck_assert_int_eq(raw_int(t.path, "SELECT confirmed FROM samples WHERE profile_id = 1"), 1);
    ck_assert_int_eq(raw_int(t.path, "SELECT locations FROM profiles WHERE id = 1"), 1);
    ck_assert_int_eq(raw_int(t.path, "SELECT max_wait IS NULL FROM samples WHERE profile_id = 2"),
                     1);
    ck_assert_int_eq(raw_int(t.path, "SELECT confirmed FROM samples WHERE profile_id = 2"), 0);
    ck_assert_int_eq(raw_int(t.path, "SELECT latest_profile_id FROM instances"), 2);
    ck_assert_int_eq(raw_int(t.path, "SELECT profiles FROM instances"), 2);
    testutil_db_release(&t);
}
END_TEST

/* Many sites in one profile go in by statements of several rows: every one is stored. */
START_TEST(test_many_sites_all_stored)
{
    struct store *store = open_ok(":memory:");
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    enum { N = 100 }; /* 64 + 32 + 4 rows */
    struct store_site sites[N];
    for (int i = 0; i < N; i++) {
        sites[i] = site_leak(i + 1);
        sites[i].line = 1000 + i;
    }
    struct store_profile p = profile_of("checkout", "pod-1", 1000, sites, N, NULL);
    struct put_job job = { &p, { 0, 0, 0, false } };
    ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
    ck_assert_int_eq(job.result.locations, N);
    sqlite3 *db = store_conn_db(store_writer_conn(store));
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(
            sqlite3_prepare_v2(db, "SELECT count(*), sum(count) FROM samples", -1, &stmt, NULL),
            SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(stmt, 0), N);
    ck_assert_int_eq(sqlite3_column_int(stmt, 1), N * (N + 1) / 2);
    sqlite3_finalize(stmt);
    writer_free(writer);
    store_close(store);
}
END_TEST

static uint64_t ingest_fullscan_steps;

static int count_ingest_fullscans(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx;
    (void)x;
    if (type == SQLITE_TRACE_PROFILE)
        ingest_fullscan_steps +=
                (uint64_t)sqlite3_stmt_status(p, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
    return 0;
}

/* Writing a push reaches every row through a key: no statement of the write path steps
 * through a whole table, whatever the tables hold. */
START_TEST(test_pushes_scan_no_table)
{
    struct store *store = open_ok(":memory:");
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    sqlite3_trace_v2(store_conn_db(store_writer_conn(store)), SQLITE_TRACE_PROFILE,
                     count_ingest_fullscans, NULL);
    for (int i = 0; i < 200; i++) {
        char instance[32], key[32];
        snprintf(instance, sizeof(instance), "pod-%d", i % 7);
        snprintf(key, sizeof(key), "k-%d", i);
        struct store_site sites[] = { site_leak(i + 1), site_leak(2) };
        sites[1].line = 20 + i % 3;
        struct store_profile p = profile_of("checkout", instance, 1000 + i, sites, 2, key);
        struct put_job job = { &p, { 0, 0, 0, false } };
        ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
        if (i % 50 == 0) /* a retry: answered from the first push */
            ck_assert_int_eq(writer_run(writer, put_job_run, &job, &err), LF_OK);
    }
    writer_free(writer);
    ck_assert_uint_eq(ingest_fullscan_steps, 0);
    store_close(store);
}
END_TEST

/* A batch runs without savepoints; when one of its jobs fails, the batch runs again with
 * a savepoint per job: the others are stored once, the failing one not at all. */
START_TEST(test_failing_job_in_a_batch_reruns_the_others)
{
    struct testutil_db t;
    struct store *store = NULL;
    struct writer *writer = NULL;
    open_with_writer(&t, &store, &writer);

    /* hold the writer on a gate so that the next three jobs queue into one batch */
    struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };
    struct runner blocked = { writer, wait_at_gate, &gate, -100 };
    pthread_t t0;
    ck_assert_int_eq(pthread_create(&t0, NULL, run_in_thread, &blocked), 0);
    pthread_mutex_lock(&gate.lock);
    while (!gate.entered)
        pthread_cond_wait(&gate.cond, &gate.lock);
    pthread_mutex_unlock(&gate.lock);

    struct store_site sites[] = { site_leak(7) };
    struct store_profile first = profile_of("checkout", "pod-1", 1000, sites, 1, "a");
    struct store_profile bad = profile_of("checkout", "pod-bad", 1000, sites, 1, "b");
    struct store_profile last = profile_of("checkout", "pod-2", 1000, sites, 1, "c");
    struct put_job jobs[3] = { { &first, { 0, 0, 0, false } },
                               { &bad, { 0, 0, 0, false } },
                               { &last, { 0, 0, 0, false } } };
    struct runner runners[3] = { { writer, put_job_run, &jobs[0], -100 },
                                 { writer, put_then_fail, &jobs[1], -100 },
                                 { writer, put_job_run, &jobs[2], -100 } };
    pthread_t threads[3];
    struct writer_stats stats;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(pthread_create(&threads[i], NULL, run_in_thread, &runners[i]), 0);
        do {
            writer_get_stats(writer, &stats);
        } while (stats.depth < (size_t)i + 1);
    }
    pthread_mutex_lock(&gate.lock);
    gate.open = true;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
    pthread_join(t0, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(threads[i], NULL);

    ck_assert_int_eq(runners[0].rc, LF_OK);
    ck_assert_int_eq(runners[1].rc, LF_EINVAL);
    ck_assert_int_eq(runners[2].rc, LF_OK);
    writer_get_stats(writer, &stats);
    ck_assert_uint_eq(stats.largest_batch, 3);
    ck_assert_uint_eq(stats.reruns, 1);
    ck_assert_uint_eq(stats.commits, 2);
    /* the answers are those of the run that committed */
    ck_assert_int_eq(jobs[2].result.profile_id, jobs[0].result.profile_id + 1);
    writer_free(writer);
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), 2);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM instances"), 2);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles WHERE idempotency_key = 'b'"),
                     0);
    ck_assert_int_eq(raw_int(t.path, "SELECT sum(profiles) FROM instances"), 2);
    testutil_db_release(&t);
}
END_TEST

/* ---- group commit --------------------------------------------------------------------- */

#define GC_THREADS 8
#define GC_PUSHES  200

struct pusher {
    struct writer *writer;
    int index;
    int failures;
};

static void *push_many(void *arg)
{
    struct pusher *p = arg;
    char instance[32];
    snprintf(instance, sizeof(instance), "pod-%d", p->index);
    for (int i = 0; i < GC_PUSHES; i++) {
        struct store_site sites[] = { site_leak(i + 1) };
        struct store_profile prof = profile_of("checkout", instance, 1000 + i, sites, 1, NULL);
        struct put_job job = { &prof, { 0, 0, 0, false } };
        struct lf_error err;
        if (writer_run(p->writer, put_job_run, &job, &err) != LF_OK)
            p->failures++;
    }
    return NULL;
}

START_TEST(test_group_commit_8_threads)
{
    struct testutil_db t;
    testutil_db_init(&t, "store");
    struct store *store = open_ok(t.path); /* synchronous=FULL: one fsync per commit */
    struct writer *writer = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t threads[GC_THREADS];
    struct pusher pushers[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        pushers[i] = (struct pusher){ writer, i, 0 };
        ck_assert_int_eq(pthread_create(&threads[i], NULL, push_many, &pushers[i]), 0);
    }
    for (int i = 0; i < GC_THREADS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(pushers[i].failures, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct writer_stats stats;
    writer_get_stats(writer, &stats);
    printf("group commit: %d threads x %d pushes = %llu jobs in %llu commits (largest batch "
           "%zu), %.0f pushes/s\n",
           GC_THREADS, GC_PUSHES, (unsigned long long)stats.jobs, (unsigned long long)stats.commits,
           stats.largest_batch, (double)stats.jobs / seconds);
    ck_assert_uint_eq(stats.jobs, GC_THREADS * GC_PUSHES);
    ck_assert_uint_eq(stats.failed_commits, 0);
    /* 8 waiting threads: batches hold several of them, not one commit per push (how many
     * depends on the scheduler: a loaded machine runs the threads less in parallel) */
    ck_assert_uint_lt(stats.commits, GC_THREADS * GC_PUSHES * 9 / 10);
    ck_assert_uint_ge(stats.largest_batch, 2);
    writer_free(writer);
    store_close(store);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(*) FROM profiles"), GC_THREADS * GC_PUSHES);
    ck_assert_int_eq(raw_int(t.path, "SELECT sum(profiles) FROM instances"),
                     GC_THREADS * GC_PUSHES);
    ck_assert_int_eq(raw_int(t.path, "SELECT count(DISTINCT latest_ts) FROM instances"), 1);
    testutil_db_release(&t);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("migrate");
    tcase_add_test(tc, test_migrate_memory);
    tcase_add_test(tc, test_every_statement_prepares);
    tcase_add_test(tc, test_migrate_file_then_reopen_is_noop);
    tcase_add_test(tc, test_newer_database_refused);
    tcase_add_test(tc, test_migrate_keeps_notification_history);
    suite_add_tcase(s, tc);
    tc = tcase_create("write");
    tcase_add_test(tc, test_idempotent_thrice_is_one_profile);
    tcase_add_test(tc, test_key_answers_only_its_request);
    tcase_add_test(tc, test_data_survives_reopen);
    tcase_add_test(tc, test_reader_try_acquire_keeps_readers);
    tcase_add_test(tc, test_failing_job_rolls_back_only_itself);
    tcase_add_test(tc, test_disk_full_is_unavailable_then_recovers);
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_queue_full_is_unavailable);
    tcase_add_test(tc, test_samples_merge_and_keep_no_wait_null);
    tcase_add_test(tc, test_many_sites_all_stored);
    tcase_add_test(tc, test_pushes_scan_no_table);
    tcase_add_test(tc, test_failing_job_in_a_batch_reruns_the_others);
    tcase_add_test(tc, test_group_commit_8_threads);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(store_suite)
