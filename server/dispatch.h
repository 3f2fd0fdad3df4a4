/* dispatch.h - delivers the notification queue: a thread that takes every message due
 * (notify.c schedules them), groups them by owner, posts one JSON body per owner to the
 * owner's webhook route (else the default one) with libcurl, and records the outcome:
 * delivered, or failed with the error and a retry after exponential backoff. A per-owner
 * rate limit (keyed by the whole owner name, for any number of owners) holds back the
 * rest of a burst. Without any route for the owner, a message is written to the log only
 * and its notification becomes 'unrouted', not 'delivered': nobody was told (unless
 * notify.alertmanager is set: Alertmanager then carries it, and it is 'delivered'). Webhooks are
 * posted over http or https only. */
#ifndef LF_DISPATCH_H
#define LF_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"
#include "writer.h"

struct attributor;

struct dispatch_route {
    const char *owner; /* "@acme/payments" */
    const char *url;
};

struct dispatch_options {
    const char *webhook;                 /* notify.webhook: the default route; NULL none */
    const struct dispatch_route *routes; /* notify.routes: per owner */
    size_t n_routes;
    const char *dashboard_url;           /* links in messages ("http://host:8080") */
    int64_t rate_per_hour;               /* messages per owner per hour (20) */
    int64_t backoff_base;                /* first retry after this many seconds (30) */
    int64_t backoff_max;                 /* retries at most this far apart (3600) */
    int64_t interval_ms;                 /* how often the thread looks (1000) */
    long timeout_ms;                     /* per HTTP attempt (10000) */
    int64_t projection_target;           /* "reaches N in H hours" uses this N (10000) */
    bool alertmanager;                   /* notify.alertmanager is set: a message without a
                                            webhook route counts as delivered there */
    const struct attributor *attributor; /* repo.roots: the culprit's repo-relative path;
                                            NULL = none (the site's is the stored one) */
    const char *source_url;              /* web.source_url: source links; NULL = none */
};

struct dispatch_stats {
    uint64_t delivered; /* messages posted with a 2xx */
    uint64_t failed;    /* attempts that failed */
    uint64_t limited;   /* messages held back by the rate limit */
    uint64_t skipped;   /* owner groups a pass skipped: not built, or outcome not recorded */
    uint64_t unrouted;  /* messages with no route, written to the log only */
};

struct dispatch;

void dispatch_options_default(struct dispatch_options *opts);

/* Creates the dispatcher (opts copied, its strings borrowed; store and writer borrowed).
 * It does nothing until dispatch_start or dispatch_run_once. */
int dispatch_create(struct store *store, struct writer *writer, const struct dispatch_options *opts,
                    struct dispatch **out, struct lf_error *err);

/* Delivers every message due at now (0 = the clock); *sent gets the number of messages
 * (owner groups) that went out: posted with a 2xx, or logged for want of a route
 * (dispatch_stats tells the two apart). For the thread and for tests. One owner's failure
 * does not stop the pass: a group whose message cannot be built (recorded as a failed
 * attempt), or whose outcome cannot be recorded, is logged, counted in stats.skipped and
 * held back in memory with backoff, and the other owners are delivered. Fails only when
 * the due rows cannot be read. */
int dispatch_run_once(struct dispatch *dispatch, int64_t now, size_t *sent, struct lf_error *err);

int dispatch_start(struct dispatch *dispatch, struct lf_error *err);

void dispatch_get_stats(struct dispatch *dispatch, struct dispatch_stats *out);

/* Stops the thread (finishing the delivery in flight) and frees; NULL does nothing. */
void dispatch_free(struct dispatch *dispatch);

#endif
