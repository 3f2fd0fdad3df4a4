/* retention.h - bounds the database: raw per-push profiles and samples are kept for
 * raw_retention, their full hours rolled up into hourly rows first (rollups table, kept
 * for rollup_retention), then deleted in small batches, each its own writer job, so
 * ingest waits at most one batch. A rolled-up hour keeps the fleet's value at its end by
 * the inventory's rule (each live instance's latest count within live_window) and the
 * services live then (rollup_live), so long series follow the raw series' rule. A thread
 * runs a pass every interval. */
#ifndef LF_RETENTION_H
#define LF_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"
#include "writer.h"

struct retention_options {
    int64_t raw_retention;    /* retention.raw: seconds of raw samples (7 d) */
    int64_t rollup_retention; /* retention.rollups: seconds of hourly rollups (400 d) */
    int64_t interval;         /* seconds between passes (300) */
    size_t batch;             /* profiles deleted per writer job (500) */
    int64_t live_window;      /* detect.live_window: an hour's end value reaches back that
                                 far, so raw profiles stay that much past their hour (300) */
};

struct retention_stats {
    uint64_t hours_rolled; /* hours folded into rollups */
    uint64_t profiles_deleted;
    uint64_t rollups_deleted;
    uint64_t batches; /* writer jobs spent deleting */
};

struct retention;

void retention_options_default(struct retention_options *opts);

int retention_create(struct store *store, struct writer *writer,
                     const struct retention_options *opts, struct retention **out,
                     struct lf_error *err);

/* One pass at now (0 = the clock): roll up every full hour older than the raw
 * retention that is not rolled up yet, delete the raw profiles of those hours in
 * batches, delete rollups past theirs. */
int retention_run(struct retention *retention, int64_t now, struct lf_error *err);

int retention_start(struct retention *retention, struct lf_error *err);

void retention_get_stats(struct retention *retention, struct retention_stats *out);

/* Stops the thread (after the batch in flight) and frees; NULL does nothing. */
void retention_free(struct retention *retention);

#endif
