/* detect.h - turns stored counts into verdicts: for every in-repo (service, location)
 * seen within the window, the per-instance series go through trend.h; a site is suspect
 * when its op is a blocking synchronisation op (channel ops and select, sync.Mutex,
 * sync.RWMutex, sync.WaitGroup, sync.Cond; detect.ops changes the set), its count summed
 * over live instances is at or over the threshold, and it grows in at least one instance
 * — or, at any size, when the runtime's goroutine-leak profile confirmed it. Every other
 * verdict carries the reason it is not suspect. A suppression keeps a
 * known site out of the suspects and records why. Each pass writes the verdicts to the
 * detections table through the writer and keeps them in memory for the query judge. */
#ifndef LF_DETECT_H
#define LF_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "query.h"
#include "stack.h"
#include "store.h"
#include "trend.h"
#include "writer.h"

/* Decides whether a site is a known, expected one: returns its reason (static or owned
 * by ctx, valid until the next call) or NULL. rep is the site's representative stack. */
typedef const char *(*detect_suppress_fn)(void *ctx, const char *service, const struct stack *rep,
                                          const char *op, int64_t now);

struct detect_verdict;

/* Runs inside the pass's writer job, after the detections table is written: the
 * notification queue plugs in here, so verdicts and queue change in one transaction. */
typedef int (*detect_after_fn)(void *ctx, struct store_conn *conn,
                               const struct detect_verdict *verdicts, size_t n_verdicts,
                               int64_t now, struct lf_error *err);

/* The most threads detect.threads asks for. */
#define DETECT_MAX_THREADS 16

struct detect_options {
    int64_t threshold;      /* detect.threshold: count summed over live instances (100) */
    int64_t window;         /* detect.window: samples tested, seconds (6 h) */
    int64_t load_history;   /* detect.load_history: how far back the load fit reads
                               (24 h; one minute in seven before the window) */
    int64_t live_window;    /* an instance is live while it pushed within this (300 s) */
    int64_t interval;       /* seconds between passes of the detection thread (30 s) */
    size_t threads;         /* detect.threads: threads judging a pass's services, at most
                               DETECT_MAX_THREADS; 0 = the CPUs online, at most 4 */
    const char *const *ops; /* detect.ops: the op words that can be suspect; NULL = the
                               blocking synchronisation ops (op_can_leak) */
    size_t n_ops;
    struct trend_params trend;
    detect_suppress_fn suppress; /* NULL = nothing is suppressed */
    void *suppress_ctx;
    const struct attributor *attributor; /* finds the culprit frame of a site outside the
                                           repo; NULL = none (borrowed) */
    detect_after_fn after_pass;          /* NULL = none */
    void *after_ctx;
};

/* One (service, location) verdict. */
struct detect_verdict {
    int64_t service_id;
    int64_t location_id;
    char *service;  /* owned by the detector, as the strings below */
    char *function; /* the site */
    char *file;
    int64_t line;
    char *op;
    bool is_channel;
    bool monitored; /* the op is one detect.ops watches */
    int64_t count;  /* summed over the latest profile of each live instance */
    bool in_repo;
    const char *owner; /* location owner, else the service's; NULL = none (owned
                          by the detector) */
    bool has_growth;   /* enough samples for a slope */
    double growth_per_hour;
    double p_value;
    bool growing;
    bool confirmed;
    bool suspect;
    const char *suppressed; /* reason; NULL = not suppressed (owned by the detector) */
    int64_t since;          /* 0 = not growing */
    char *since_version;    /* the version running when the growth began: the site's
                               `version` label, else the push's ?version=; NULL = none */
    size_t segments;        /* instances judged */
    size_t samples;
    char *reason;           /* why not suspect ("below threshold (40 < 100)", "plateau
                               since ...", ...); NULL when suspect */
    json_t *instances;      /* the leaking instances' names (a JSON array); NULL = none */
    char *culprit_function; /* a site outside the repo: the first in-repo frame of its
                               stack; NULL = none. owner is then the culprit's owner */
    char *culprit_file;
    int64_t culprit_line;
    char *culprit_owner; /* the culprit frame's owner, else the service's */
};

struct detect;

/* Fills opts with the defaults above. */
void detect_options_default(struct detect_options *opts);

/* The threads a pass judges on: opts->threads (at most DETECT_MAX_THREADS), or when 0 the
 * CPUs online, at most 4. Each needs a reader connection (store.h) of its own. */
size_t detect_threads(const struct detect_options *opts);

/* Creates a detector over store and writer (borrowed, must outlive it); opts is copied
 * (its pointers are borrowed). Returns LF_OK with *out set (free with detect_free). */
int detect_create(struct store *store, struct writer *writer, const struct detect_options *opts,
                  struct detect **out, struct lf_error *err);

/* Runs one pass at time now (0 = the clock): reads, decides, writes the detections
 * table in one writer job, swaps the in-memory verdicts. Thread-safe against the judge
 * and against itself (passes are serialised). */
int detect_run(struct detect *detect, int64_t now, struct lf_error *err);

/* Starts the thread that runs a pass every interval seconds (first pass at once);
 * detect_free stops it. */
int detect_start(struct detect *detect, struct lf_error *err);

/* A query_judge_fn (ctx = the detector): the latest verdict for the row, else the
 * threshold rule for a confirmed leak only. */
void detect_judge(void *ctx, const struct query_leak *row, struct query_verdict *out);

/* Copies the latest verdict for (service, location) into *out (its pointers stay owned by
 * the detector and valid until the next pass: use under no other thread's pass, i.e. for
 * tests and reports); false when there is none. */
bool detect_lookup(struct detect *detect, const char *service, int64_t location_id,
                   struct detect_verdict *out);

/* GET /api/v1/trends: verdicts over the last window seconds (0 = the detection window)
 * at now (0 = the clock), fastest-growing first, at most limit (0 = 100):
 * {"window":S, "trends":[{"location_id","service","function","file","line","op","count",
 * "growth_per_hour","p_value","growing","suspect","since","since_version","owner","in_repo",
 * "reason","instances","culprit"}]} (culprit: {"function","file","line","owner"} or null).
 * Reads only;
 * *out new (json_decref). */
int detect_trends(struct detect *detect, int64_t now, int64_t window, size_t limit, json_t **out,
                  struct lf_error *err);

/* Number of verdicts and of suspects of the latest pass. */
void detect_counts(struct detect *detect, size_t *verdicts, size_t *suspects);

/* Stops the thread (waiting for a running pass) and frees; NULL does nothing. */
void detect_free(struct detect *detect);

#endif
