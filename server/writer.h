/* writer.h - the single writer thread of the store, with group commit: callers queue
 * jobs and block; the thread takes every queued job (up to a batch size), runs them in
 * one transaction, commits once, then wakes each caller with its own result. When a job
 * fails, that transaction is rolled back and the batch runs again with each job inside
 * its own savepoint, so one failing job does not undo the others. A caller is answered
 * only after COMMIT has returned, so an acknowledged push is on disk. */
#ifndef LF_WRITER_H
#define LF_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

struct writer;

/* A job: runs on the writer thread, on the write connection, inside the batch's open
 * transaction. Returns LF_OK, or a negative code with err set, which undoes the job's
 * writes and is returned to its caller. A job may run twice (its first run rolled back
 * because another job of the batch failed): its only effects are its writes and the
 * outputs it sets in ctx, and it sets them afresh on every run. */
typedef int (*writer_fn)(struct store_conn *conn, void *ctx, struct lf_error *err);

struct writer_options {
    size_t queue_cap; /* jobs waiting at most; past it writer_run is LF_EUNAVAIL (4096) */
    size_t max_batch; /* jobs per transaction at most (512) */
};

struct writer_stats {
    uint64_t jobs;           /* jobs run (committed or failed) */
    uint64_t commits;        /* transactions committed */
    uint64_t failed_commits; /* transactions whose COMMIT failed (every job failed) */
    uint64_t rejected;       /* writer_run answered LF_EUNAVAIL: queue full or stopping */
    uint64_t reruns;         /* batches run again job by job because a job failed */
    size_t largest_batch;    /* most jobs in one transaction */
    size_t depth;            /* jobs waiting now */
};

/* Fills opts with the defaults above. */
void writer_options_default(struct writer_options *opts);

/* Starts the writer thread over store (borrowed; must outlive the writer). opts may be
 * NULL. Returns LF_OK with *out set (caller stops it with writer_free), or LF_ENOMEM /
 * LF_EINTERNAL (thread creation failed). */
int writer_create(struct store *store, const struct writer_options *opts, struct writer **out,
                  struct lf_error *err);

/* Queues fn(conn, ctx, err) and waits until the transaction holding it has committed.
 * Returns fn's result when the commit succeeded; the commit's error (LF_EDB, LF_EUNAVAIL
 * for a full disk) when it failed; LF_EUNAVAIL at once when the queue is full or the
 * writer is stopping. ctx is borrowed until the call returns. Thread-safe; must not be
 * called from the writer thread itself. */
int writer_run(struct writer *writer, writer_fn fn, void *ctx, struct lf_error *err);

/* A snapshot of the counters. Thread-safe. */
void writer_get_stats(struct writer *writer, struct writer_stats *out);

/* Stops accepting jobs, finishes every queued one, joins the thread and frees the
 * writer; NULL does nothing. */
void writer_free(struct writer *writer);

#endif
