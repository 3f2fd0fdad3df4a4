/* writer.c - the single writer thread and its bounded queue (group commit). Owns the
 * store's write connection while it runs; knows nothing of what a job writes. Cost
 * model: one BEGIN/COMMIT (one WAL fsync with synchronous=FULL) per batch, and a batch
 * is everything that queued while the previous batch committed, so the number of
 * commits falls as concurrency rises. A caller is woken only after COMMIT returned. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "writer.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

struct writer_job {
    writer_fn fn;
    void *ctx;
    int result;
    bool done;
    struct lf_error err;
    pthread_cond_t done_cond;
    struct writer_job *next;
};

struct writer {
    struct store *store;
    struct writer_options opts;
    pthread_mutex_t lock;
    pthread_cond_t queued; /* the queue became non-empty, or stopping */
    struct writer_job *head, *tail;
    size_t depth;
    bool stopping;
    pthread_t thread;
    struct writer_stats stats;
};

void writer_options_default(struct writer_options *opts)
{
    opts->queue_cap = 4096;
    opts->max_batch = 512;
}

/* Ends the batch's transaction after its jobs ran: COMMIT when rc is LF_OK, else ROLLBACK.
 * Returns the transaction's result. */
static int end_batch(struct store_conn *conn, int rc, struct lf_error *txn_err)
{
    if (rc == LF_OK)
        rc = store_commit(conn, txn_err);
    if (rc != LF_OK) {
        struct lf_error ignored;
        store_rollback(conn, &ignored);
    }
    return rc;
}

/* The fast path: every job of the batch straight inside one transaction, no savepoints
 * (a savepoint copies each page it dirties into its journal, which was the writer's
 * largest cost). Sets *job_failed and returns LF_OK, with the transaction rolled back,
 * when a job failed: the batch must then run again job by job. Otherwise returns the
 * transaction's result (LF_OK: every job succeeded and the batch committed), with txn_err
 * set when it failed. */
static int run_batch_together(struct store_conn *conn, struct writer_job *batch, bool *job_failed,
                              struct lf_error *txn_err)
{
    *job_failed = false;
    int rc = store_begin(conn, txn_err);
    if (rc != LF_OK)
        return rc;
    for (struct writer_job *job = batch; job != NULL && !*job_failed; job = job->next) {
        lf_error_clear(&job->err);
        job->result = job->fn(conn, job->ctx, &job->err);
        *job_failed = job->result != LF_OK;
    }
    if (*job_failed) {
        struct lf_error ignored;
        store_rollback(conn, &ignored);
        return LF_OK;
    }
    return end_batch(conn, LF_OK, txn_err);
}

/* The careful path, after a job failed on the fast one: one transaction again, each job
 * inside its own savepoint so that a failing job is undone alone. Returns the
 * transaction's result, with txn_err set when it failed. */
static int run_batch_one_by_one(struct store_conn *conn, struct writer_job *batch,
                                struct lf_error *txn_err)
{
    int rc = store_begin(conn, txn_err);
    if (rc != LF_OK)
        return rc;
    for (struct writer_job *job = batch; job != NULL && rc == LF_OK; job = job->next) {
        rc = store_savepoint(conn, txn_err);
        if (rc != LF_OK)
            break;
        lf_error_clear(&job->err);
        job->result = job->fn(conn, job->ctx, &job->err);
        if (job->result == LF_OK) {
            rc = store_savepoint_release(conn, txn_err);
        } else {
            if (job->err.code == LF_OK)
                lf_fail(&job->err, job->result, "write failed");
            rc = store_savepoint_rollback(conn, txn_err);
            if (rc != LF_OK) {
                /* SQLite already rolled the whole transaction back (a full disk,
                 * an I/O error): the job's own error says why */
                *txn_err = job->err;
                rc = job->err.code;
            }
        }
    }
    return end_batch(conn, rc, txn_err);
}

/* Runs the n jobs of one batch (a NULL-terminated list) in one transaction, filling
 * each job's result and err; when the transaction fails, every job gets its error.
 * Jobs may therefore run twice (the first run rolled back): a job's effects are its
 * writes and the outputs it sets in its ctx, nothing else. */
static void run_batch(struct writer *writer, struct writer_job *batch, size_t n, bool *committed,
                      bool *reran)
{
    struct store_conn *conn = store_writer_conn(writer->store);
    struct lf_error txn_err = { LF_OK, "" };
    bool job_failed = false;
    int rc = run_batch_together(conn, batch, &job_failed, &txn_err);
    *reran = rc == LF_OK && job_failed;
    if (*reran) {
        lf_error_clear(&txn_err);
        rc = run_batch_one_by_one(conn, batch, &txn_err);
    }
    *committed = rc == LF_OK;
    if (*committed)
        return;
    /* the transaction is gone: no job of the batch is stored */
    lf_error_prefix(&txn_err, "store transaction of %zu writes", n);
    log_error("writer: %s", txn_err.msg);
    for (struct writer_job *job = batch; job != NULL; job = job->next) {
        job->result = txn_err.code;
        job->err = txn_err;
    }
}

static void *writer_main(void *arg)
{
    struct writer *writer = arg;
    pthread_setname_np(pthread_self(), "lf-writer");
    pthread_mutex_lock(&writer->lock);
    for (;;) {
        while (writer->head == NULL && !writer->stopping)
            pthread_cond_wait(&writer->queued, &writer->lock);
        if (writer->head == NULL)
            break;
        /* take up to max_batch jobs: everything that queued while we were committing */
        struct writer_job *batch = writer->head, *last = batch;
        size_t n = 1;
        while (last->next != NULL && n < writer->opts.max_batch) {
            last = last->next;
            n++;
        }
        writer->head = last->next;
        if (writer->head == NULL)
            writer->tail = NULL;
        last->next = NULL;
        writer->depth -= n;
        pthread_mutex_unlock(&writer->lock);

        bool committed = false, reran = false;
        run_batch(writer, batch, n, &committed, &reran);

        pthread_mutex_lock(&writer->lock);
        writer->stats.jobs += n;
        if (reran)
            writer->stats.reruns++;
        if (committed)
            writer->stats.commits++;
        else
            writer->stats.failed_commits++;
        if (n > writer->stats.largest_batch)
            writer->stats.largest_batch = n;
        for (struct writer_job *job = batch; job != NULL;) {
            struct writer_job *next = job->next; /* the waiter may return at once */
            job->done = true;
            pthread_cond_signal(&job->done_cond);
            job = next;
        }
    }
    pthread_mutex_unlock(&writer->lock);
    return NULL;
}

int writer_create(struct store *store, const struct writer_options *opts, struct writer **out,
                  struct lf_error *err)
{
    *out = NULL;
    struct writer *writer = lf_calloc(1, sizeof(*writer));
    if (writer == NULL)
        return lf_fail(err, LF_ENOMEM, "writer: out of memory");
    writer->store = store;
    writer_options_default(&writer->opts);
    if (opts != NULL) {
        if (opts->queue_cap > 0)
            writer->opts.queue_cap = opts->queue_cap;
        if (opts->max_batch > 0)
            writer->opts.max_batch = opts->max_batch;
    }
    if (pthread_mutex_init(&writer->lock, NULL) != 0) {
        lf_free(writer);
        return lf_fail(err, LF_EINTERNAL, "writer: mutex");
    }
    if (pthread_cond_init(&writer->queued, NULL) != 0) {
        pthread_mutex_destroy(&writer->lock);
        lf_free(writer);
        return lf_fail(err, LF_EINTERNAL, "writer: condition variable");
    }
    if (pthread_create(&writer->thread, NULL, writer_main, writer) != 0) {
        pthread_cond_destroy(&writer->queued);
        pthread_mutex_destroy(&writer->lock);
        lf_free(writer);
        return lf_fail(err, LF_EINTERNAL, "writer: cannot start thread");
    }
    *out = writer;
    return LF_OK;
}

int writer_run(struct writer *writer, writer_fn fn, void *ctx, struct lf_error *err)
{
    struct writer_job job;
    memset(&job, 0, sizeof(job));
    job.fn = fn;
    job.ctx = ctx;
    if (pthread_cond_init(&job.done_cond, NULL) != 0)
        return lf_fail(err, LF_EINTERNAL, "writer: condition variable");

    pthread_mutex_lock(&writer->lock);
    if (writer->stopping || writer->depth >= writer->opts.queue_cap) {
        bool stopping = writer->stopping;
        writer->stats.rejected++;
        pthread_mutex_unlock(&writer->lock);
        pthread_cond_destroy(&job.done_cond);
        return lf_fail(err, LF_EUNAVAIL, stopping ? "server is stopping" : "write queue is full");
    }
    if (writer->tail != NULL)
        writer->tail->next = &job;
    else
        writer->head = &job;
    writer->tail = &job;
    writer->depth++;
    pthread_cond_signal(&writer->queued);
    while (!job.done)
        pthread_cond_wait(&job.done_cond, &writer->lock);
    pthread_mutex_unlock(&writer->lock);
    pthread_cond_destroy(&job.done_cond);

    if (job.result != LF_OK && err != NULL)
        *err = job.err;
    return job.result;
}

void writer_get_stats(struct writer *writer, struct writer_stats *out)
{
    pthread_mutex_lock(&writer->lock);
    *out = writer->stats;
    out->depth = writer->depth;
    pthread_mutex_unlock(&writer->lock);
}

void writer_free(struct writer *writer)
{
    if (writer == NULL)
        return;
    pthread_mutex_lock(&writer->lock);
    writer->stopping = true;
    pthread_cond_signal(&writer->queued);
    pthread_mutex_unlock(&writer->lock);
    pthread_join(writer->thread, NULL);
    pthread_cond_destroy(&writer->queued);
    pthread_mutex_destroy(&writer->lock);
    lf_free(writer);
}
