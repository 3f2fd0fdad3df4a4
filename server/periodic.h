/* periodic.h - a background thread that runs one function now and then every interval
 * until stopped: detection passes, notification delivery and retention use it. Stopping
 * wakes the sleep at once and waits for a run in progress to end. */
#ifndef LF_PERIODIC_H
#define LF_PERIODIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef void (*periodic_fn)(void *ctx);

/* Embedded in its owner; zero-initialized until periodic_start. */
struct periodic {
    periodic_fn fn;
    void *ctx;
    int64_t interval_ms;
    char name[16]; /* the thread's name in top -H, perf and /proc */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    bool started;
    pthread_t thread;
};

/* Starts the thread named name (at most 15 bytes kept): fn(ctx) at once, then every
 * interval_ms (at least 10). Returns LF_OK, or LF_EINTERNAL when the thread cannot start. */
int periodic_start(struct periodic *p, const char *name, int64_t interval_ms, periodic_fn fn,
                   void *ctx, struct lf_error *err);

/* True once periodic_stop has been called: long runs check it to end early. */
bool periodic_stopping(struct periodic *p);

/* Stops and joins the thread; does nothing when it never started. */
void periodic_stop(struct periodic *p);

#endif
