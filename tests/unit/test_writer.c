/* test_writer.c - unit tests of the writer thread (writer.c) over a store in memory: jobs
 * that queued while a batch ran commit together, max_batch jobs at most a transaction; a
 * failing job is undone alone (the batch runs again job by job) and only its caller gets
 * its error; a full queue refuses at once; stopping refuses new jobs and finishes every
 * queued one. A gate job holds the writer thread while the test queues behind it. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "sqlbind.h"
#include "store.h"
#include "testutil.h"
#include "writer.h"

static struct store *store;
static struct writer *writer;

/* ---- a job that holds the writer thread until the test opens the gate -------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_entered, gate_open;

static int gate_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    (void)conn;
    (void)ctx;
    (void)err;
    pthread_mutex_lock(&gate_lock);
    gate_entered = true;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return LF_OK;
}

static void gate_wait_entered(void)
{
    pthread_mutex_lock(&gate_lock);
    while (!gate_entered)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void gate_release(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* ---- callers on their own threads -------------------------------------------------------- */

/* Inserts value into t; fails (after its insert) when fail is set. runs counts its runs. */
struct insert {
    int64_t value;
    bool fail;
    int runs;
};

static int insert_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct insert *ins = ctx;
    ins->runs++;
    int rc = sqlbind_exec(store_conn_db(conn), err, "INSERT INTO t (x) VALUES (?1)", "i",
                          ins->value);
    if (rc == LF_OK && ins->fail)
        rc = lf_fail(err, LF_EINVAL, "job %lld refused", (long long)ins->value);
    return rc;
}

struct caller {
    pthread_t thread;
    writer_fn fn;
    void *ctx;
    int rc;
    struct lf_error err;
};

static void *caller_main(void *arg)
{
    struct caller *c = arg;
    c->rc = writer_run(writer, c->fn, c->ctx, &c->err);
    return NULL;
}

static void wait_depth(size_t depth)
{
    struct writer_stats stats;
    for (int i = 0; i < 5000; i++) {
        writer_get_stats(writer, &stats);
        if (stats.depth == depth)
            return;
        sleep_ms(1);
    }
    ck_abort_msg("the queue never held %zu jobs (%zu)", depth, stats.depth);
}

/* Starts a caller of fn(ctx) and waits until its job is queued (the queue then holds
 * depth jobs), so that callers queue in the order they were started. */
static void start(struct caller *c, writer_fn fn, void *ctx, size_t depth)
{
    memset(c, 0, sizeof(*c));
    c->fn = fn;
    c->ctx = ctx;
    ck_assert_int_eq(pthread_create(&c->thread, NULL, caller_main, c), 0);
    wait_depth(depth);
}

static void finish(struct caller *c)
{
    ck_assert_int_eq(pthread_join(c->thread, NULL), 0);
}

static struct caller gate;

/* Holds the writer thread in the gate job, so that what is queued next waits. */
static void hold(void)
{
    start(&gate, gate_job, NULL, 0);
    gate_wait_entered();
}

static int create_table(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    (void)ctx;
    return sqlbind_exec(store_conn_db(conn), err, "CREATE TABLE t (x INTEGER)", "");
}

static void open_writer(size_t queue_cap, size_t max_batch)
{
    struct lf_error err;
    struct writer_options opts;
    writer_options_default(&opts);
    opts.queue_cap = queue_cap;
    opts.max_batch = max_batch;
    ck_assert_int_eq(store_open(":memory:", NULL, &store, &err), LF_OK);
    ck_assert_int_eq(writer_create(store, &opts, &writer, &err), LF_OK);
    ck_assert_msg(writer_run(writer, create_table, NULL, &err) == LF_OK, "%s", err.msg);
    gate_entered = gate_open = false;
}

static void teardown(void)
{
    writer_free(writer);
    writer = NULL;
    store_close(store);
}

/* The values stored in t, in order, as "1,3" (for the assertions' messages). */
static const char *rows(char *buf, size_t size)
{
    struct store_conn *conn;
    struct lf_error err;
    ck_assert_int_eq(store_reader_acquire(store, &conn, &err), LF_OK);
    sqlite3_stmt *stmt;
    ck_assert_int_eq(
            sqlbind_prepare(store_conn_db(conn), &stmt, &err, "SELECT x FROM t ORDER BY x", ""),
            LF_OK);
    size_t len = 0;
    buf[0] = '\0';
    while (sqlite3_step(stmt) == SQLITE_ROW && len < size)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", len ? "," : "",
                                (long long)sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    store_reader_release(store, conn);
    return buf;
}

/* Ten jobs queued behind a running batch go in max_batch (4) at a time: three
 * transactions (4, 4, 2) after the gate's own, every caller answered after its commit. */
START_TEST(test_batching)
{
    open_writer(0, 4);
    hold();
    struct caller callers[10];
    struct insert ins[10];
    for (size_t i = 0; i < 10; i++) {
        ins[i] = (struct insert){ .value = (int64_t)i + 1 };
        start(&callers[i], insert_job, &ins[i], i + 1);
    }
    struct writer_stats stats;
    writer_get_stats(writer, &stats);
    ck_assert_uint_eq(stats.commits, 1); /* the table's */
    gate_release();
    finish(&gate);
    for (size_t i = 0; i < 10; i++) {
        finish(&callers[i]);
        ck_assert_int_eq(callers[i].rc, LF_OK);
        ck_assert_int_eq(ins[i].runs, 1);
    }
    writer_get_stats(writer, &stats);
    ck_assert_uint_eq(stats.commits, 1 + 1 + 3);
    ck_assert_uint_eq(stats.jobs, 1 + 1 + 10);
    ck_assert_uint_eq(stats.largest_batch, 4);
    ck_assert_uint_eq(stats.reruns, 0);
    ck_assert_uint_eq(stats.depth, 0);
    char buf[64];
    ck_assert_str_eq(rows(buf, sizeof(buf)), "1,2,3,4,5,6,7,8,9,10");
}
END_TEST

/* One failing job in a batch of three: the batch runs again job by job, the failing
 * job's write is undone alone, its caller gets its own error and the others LF_OK. */
START_TEST(test_failure_reruns_the_batch_job_by_job)
{
    open_writer(0, 0);
    hold();
    struct insert ins[3] = { { .value = 1 }, { .value = 2, .fail = true }, { .value = 3 } };
    struct caller callers[3];
    for (size_t i = 0; i < 3; i++)
        start(&callers[i], insert_job, &ins[i], i + 1);
    gate_release();
    finish(&gate);
    for (size_t i = 0; i < 3; i++)
        finish(&callers[i]);
    ck_assert_int_eq(callers[0].rc, LF_OK);
    ck_assert_int_eq(callers[1].rc, LF_EINVAL);
    ck_assert_str_eq(callers[1].err.msg, "job 2 refused");
    ck_assert_int_eq(callers[2].rc, LF_OK);
    /* the first ran on the fast path and again; the one behind the failure only again */
    ck_assert_int_eq(ins[0].runs, 2);
    ck_assert_int_eq(ins[1].runs, 2);
    ck_assert_int_eq(ins[2].runs, 1);
    struct writer_stats stats;
    writer_get_stats(writer, &stats);
    ck_assert_uint_eq(stats.reruns, 1);
    ck_assert_uint_eq(stats.commits, 1 + 1 + 1);
    ck_assert_uint_eq(stats.failed_commits, 0);
    char buf[64];
    ck_assert_str_eq(rows(buf, sizeof(buf)), "1,3");

    /* A job alone that fails commits nothing and answers its error. */
    struct insert alone = { .value = 4, .fail = true };
    struct lf_error err;
    ck_assert_int_eq(writer_run(writer, insert_job, &alone, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "job 4 refused");
    ck_assert_str_eq(rows(buf, sizeof(buf)), "1,3");
}
END_TEST

/* Past queue_cap waiting jobs, writer_run refuses at once. */
START_TEST(test_full_queue_refuses)
{
    open_writer(2, 0);
    hold();
    struct insert ins[2] = { { .value = 1 }, { .value = 2 } };
    struct caller callers[2];
    for (size_t i = 0; i < 2; i++)
        start(&callers[i], insert_job, &ins[i], i + 1);
    struct insert over = { .value = 3 };
    struct lf_error err;
    ck_assert_int_eq(writer_run(writer, insert_job, &over, &err), LF_EUNAVAIL);
    ck_assert_str_eq(err.msg, "write queue is full");
    ck_assert_int_eq(over.runs, 0);
    struct writer_stats stats;
    writer_get_stats(writer, &stats);
    ck_assert_uint_eq(stats.rejected, 1);
    gate_release();
    finish(&gate);
    for (size_t i = 0; i < 2; i++) {
        finish(&callers[i]);
        ck_assert_int_eq(callers[i].rc, LF_OK);
    }
    char buf[64];
    ck_assert_str_eq(rows(buf, sizeof(buf)), "1,2");
}
END_TEST

static void *free_main(void *arg)
{
    (void)arg;
    writer_free(writer);
    return NULL;
}

/* writer_free refuses new jobs ("server is stopping") and finishes every queued one
 * before it returns. */
START_TEST(test_stop_finishes_queued_jobs)
{
    open_writer(3, 0);
    hold();
    struct insert ins[3] = { { .value = 1 }, { .value = 2 }, { .value = 3 } };
    struct caller callers[3];
    for (size_t i = 0; i < 3; i++)
        start(&callers[i], insert_job, &ins[i], i + 1);
    pthread_t stopper;
    ck_assert_int_eq(pthread_create(&stopper, NULL, free_main, NULL), 0);
    /* the queue is full until the stop begins; from then on the answer is the stop */
    struct insert late = { .value = 4 };
    struct lf_error err;
    bool stopping = false;
    for (int i = 0; i < 5000 && !stopping; i++) {
        ck_assert_int_eq(writer_run(writer, insert_job, &late, &err), LF_EUNAVAIL);
        stopping = strcmp(err.msg, "server is stopping") == 0;
        if (!stopping)
            sleep_ms(1);
    }
    ck_assert_msg(stopping, "%s", err.msg);
    ck_assert_int_eq(late.runs, 0);
    gate_release();
    finish(&gate);
    ck_assert_int_eq(pthread_join(stopper, NULL), 0);
    writer = NULL;
    for (size_t i = 0; i < 3; i++) {
        finish(&callers[i]);
        ck_assert_int_eq(callers[i].rc, LF_OK);
        ck_assert_int_eq(ins[i].runs, 1);
    }
    char buf[64];
    ck_assert_str_eq(rows(buf, sizeof(buf)), "1,2,3");
}
END_TEST

static Suite *writer_suite(void)
{
    Suite *suite = suite_create("writer");
    TCase *tc = tcase_create("writer");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_batching);
    tcase_add_test(tc, test_failure_reruns_the_batch_job_by_job);
    tcase_add_test(tc, test_full_queue_refuses);
    tcase_add_test(tc, test_stop_finishes_queued_jobs);
    suite_add_tcase(suite, tc);
    return suite;
}

LF_CHECK_MAIN(writer_suite)
