/* periodic.c - the sleep is a timed wait on a condition variable, so a stop request
 * never waits out an interval. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "periodic.h"

#include <stdio.h>
#include <time.h>

static void *periodic_main(void *arg)
{
    struct periodic *p = arg;
    pthread_setname_np(pthread_self(), p->name);
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        pthread_mutex_unlock(&p->lock);
        p->fn(p->ctx);
        pthread_mutex_lock(&p->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += p->interval_ms / 1000;
        until.tv_nsec += (long)(p->interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int periodic_start(struct periodic *p, const char *name, int64_t interval_ms, periodic_fn fn,
                   void *ctx, struct lf_error *err)
{
    if (p->started)
        return LF_OK;
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->fn = fn;
    p->ctx = ctx;
    p->interval_ms = interval_ms < 10 ? 10 : interval_ms;
    p->stopping = false;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, periodic_main, p) != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        return lf_fail(err, LF_EINTERNAL, "cannot start a background thread");
    }
    p->started = true;
    return LF_OK;
}

bool periodic_stopping(struct periodic *p)
{
    if (!p->started)
        return false;
    pthread_mutex_lock(&p->lock);
    bool stopping = p->stopping;
    pthread_mutex_unlock(&p->lock);
    return stopping;
}

void periodic_stop(struct periodic *p)
{
    if (!p->started)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    p->started = false;
}
