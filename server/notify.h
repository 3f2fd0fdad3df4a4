/* notify.h - the durable owner-notification queue: one notification per (service,
 * location, owner) while a site is suspect, and its life: pending -> delivered ->
 * acknowledged / snoozed until T / resolved, with 'unrouted' instead of 'delivered' when
 * the message had no route and went to the log only; reminders while still growing and
 * unacknowledged, automatic resolve once the site has stayed quiet, re-opening as a
 * regression, silences, manual owner reassignment that detection never overrides, and
 * the admin actions, each recorded with its actor. A resolve by hand means "fixed": the
 * site re-opens only when it grows in a newer version (or, with no versions known, when
 * it is still suspect notify.reopen_after later). The queue lives in SQLite
 * (schema/0002_detect.sql); this module decides what changes, the dispatcher (dispatch.h) delivers.
 */
#ifndef LF_NOTIFY_H
#define LF_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "detect.h"
#include "error.h"
#include "store.h"

struct notify_options {
    int64_t group_wait;      /* a new finding waits this long so one owner's findings go
                                out together (30 s) */
    int64_t repeat_interval; /* remind after this while still growing, unacknowledged (24 h) */
    int64_t resolve_after;   /* resolve once not suspect for this long (1 h) */
    int64_t rate_per_hour;   /* messages per owner per hour at most (20) */
    int64_t reopen_after;    /* a site resolved by hand with no versions known re-opens
                                when still suspect this long after the resolve (1 h) */
};

void notify_options_default(struct notify_options *opts);

/* A detect_after_fn (ctx = a const struct notify_options *): brings the queue in line
 * with a pass's verdicts on conn, inside the pass's transaction. */
int notify_update(void *ctx, struct store_conn *conn, const struct detect_verdict *verdicts,
                  size_t n_verdicts, int64_t now, struct lf_error *err);

/* Admin actions on notification id, each a writer job (conn is the write connection in
 * a transaction). LF_ENOTFOUND for no such notification, LF_EINVAL for a bad argument
 * (snooze until in the past, empty owner), LF_ECONFLICT when the state forbids it
 * (acknowledging a resolved notification). The actor is kept in the notification's
 * `actor` and in the event's detail. NOTIFY_RESOLVE records the service's version at the
 * time (the site's `version` label, else the push's, of the latest profile naming one):
 * the notification stays resolved until the site grows in another version that began
 * after the resolve; with no version known, until it is still suspect reopen_after
 * later. */
enum notify_action {
    NOTIFY_ACK,
    NOTIFY_SNOOZE,
    NOTIFY_RESOLVE,
    NOTIFY_REASSIGN,
};

struct notify_request {
    enum notify_action action;
    int64_t id;
    int64_t until;     /* NOTIFY_SNOOZE */
    const char *owner; /* NOTIFY_REASSIGN */
    const char *actor; /* recorded in the history; may be NULL */
    int64_t now;       /* 0 = the clock */
};

int notify_apply(struct store_conn *conn, const struct notify_request *req, struct lf_error *err);

/* notify_apply as a writer_fn: ctx is a const struct notify_request *. */
int notify_apply_job(struct store_conn *conn, void *ctx, struct lf_error *err);

/* A silence: suppresses messages for matching suspects until expires. NULL fields match
 * anything; at least one must be set. Writer job; *id_out gets the new id. */
struct notify_silence {
    const char *service;
    const char *function;
    const char *owner;
    const char *reason;
    int64_t expires;
    int64_t now;
    const char *actor; /* who set it; may be NULL */
};

int notify_add_silence(struct store_conn *conn, const struct notify_silence *silence,
                       int64_t *id_out, struct lf_error *err);

/* notify_add_silence as a writer_fn: ctx is a struct notify_silence_job *. */
struct notify_silence_job {
    struct notify_silence silence;
    int64_t id;
};
int notify_add_silence_job(struct store_conn *conn, void *ctx, struct lf_error *err);

/* GET /api/v1/notifications[?state=S]: {"notifications":[{"id","service","location_id",
 * "function","file","line","op","owner","owner_manual","state","regression","created",
 * "updated","attempts","last_error","snoozed_until","delivered_at","resolved_at",
 * "send_due","send_kind","message","count","growth_per_hour","actor","resolved_manual",
 * "resolved_version","repo_path"}]} newest first (state NULL = all); repo_path is the
 * site's repo-relative path (null outside the repo); count and growth_per_hour are
 * the latest verdict's (null when none). With id > 0 only that one, with its
 * "events":[{"ts","event","detail"}]. On a reader connection. *out new (json_decref). */
int notify_list(struct store_conn *conn, const char *state, int64_t id, json_t **out,
                struct lf_error *err);

/* GET /api/v1/silences: {"silences":[{"id","service","function","owner","reason",
 * "created","expires","active","created_by"}]}. */
int notify_list_silences(struct store_conn *conn, int64_t now, json_t **out, struct lf_error *err);

/* true for "pending", "delivered", "unrouted", "acknowledged", "snoozed", "resolved". */
bool notify_state_valid(const char *state);

#endif
