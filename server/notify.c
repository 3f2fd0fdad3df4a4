/* notify.c - the notification queue's state machine over SQLite. Every change happens
 * inside a writer job, so the queue moves with the verdicts that caused it in one
 * transaction, and every change leaves a row in notification_events. Delivery itself
 * (HTTP, retries, the per-owner rate limit) is dispatch.c's. */
#include "notify.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "codeowners.h"
#include "log.h"
#include "store_notify.h"
#include "utf8.h"
#include "utf8json.h"

void notify_options_default(struct notify_options *opts)
{
    *opts = (struct notify_options){
        .group_wait = 30,
        .repeat_interval = 24 * 3600,
        .resolve_after = 3600,
        .rate_per_hour = 20,
        .reopen_after = 3600,
    };
}

bool notify_state_valid(const char *state)
{
    static const char *const states[] = { "pending",      "delivered", "unrouted",
                                          "acknowledged", "snoozed",   "resolved" };
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(state, states[i]) == 0)
            return true;
    return false;
}

/* Records a change in the notification's history, and logs it as one line (inside the
 * writer's transaction: a job that fails is logged with its error after it); actor (NULL
 * for the queue itself) is the token's name that took the action, a field of its own in
 * the log line. */
static int add_event_by(struct store_conn *conn, int64_t id, int64_t now, const char *event,
                        const char *detail, const char *actor, struct lf_error *err)
{
    int rc = store_exec(conn, NOTIFY_SQL_EVENT_ADD, err, "iitt", id, now, event, detail);
    if (rc == LF_OK) {
        char text[24];
        snprintf(text, sizeof(text), "%lld", (long long)id);
        log_fields(LOG_LEVEL_INFO, "notification", "id", text, "event", event, "actor", actor,
                   "detail", detail, (const char *)NULL);
    }
    return rc;
}

static int add_event(struct store_conn *conn, int64_t id, int64_t now, const char *event,
                     const char *detail, struct lf_error *err)
{
    return add_event_by(conn, id, now, event, detail, NULL, err);
}

/* The reason of an active silence matching the site, copied into reason; false if none. */
static int find_silence(struct store_conn *conn, const char *service, int64_t location_id,
                        const char *owner, int64_t now, char *reason, size_t size, bool *silenced,
                        struct lf_error *err)
{
    struct store_rows rows;
    *silenced = false;
    int rc = store_query(conn, NOTIFY_SQL_SILENCE_FIND, &rows, err, "itti", now, service, owner,
                         location_id);
    if (rc == LF_OK && store_row(&rows)) {
        const char *text = store_col_text(&rows, 0);
        utf8_snprintf(reason, size, "%s", text ? text : "");
        *silenced = true;
    }
    return store_rows_end(&rows, rc, "database", err);
}

struct current {
    bool found;
    int64_t id;
    char state[16];
    bool has_send;
    int64_t delivered_at, reminded_at, snoozed_until, resolved_at;
    bool resolved_manual;
    bool has_resolved_version;
    char resolved_version[512];
    char send_kind[16]; /* "" when none */
    bool regression;
};

/* The notification that stands for (service, location) under owner: a manually
 * reassigned one first, then the one of this owner. */
static int find_current(struct store_conn *conn, int64_t service_id, int64_t location_id,
                        const char *owner, struct current *cur, struct lf_error *err)
{
    struct store_rows rows;
    *cur = (struct current){ 0 };
    int rc = store_query(conn, NOTIFY_SQL_CURRENT_FIND, &rows, err, "iit", service_id, location_id,
                         owner);
    if (rc == LF_OK && store_row(&rows)) {
        cur->found = true;
        cur->id = store_col_int(&rows, 0);
        snprintf(cur->state, sizeof(cur->state), "%s", store_col_text(&rows, 1));
        cur->has_send = store_col_int(&rows, 2) != 0;
        cur->delivered_at = store_col_int(&rows, 3);
        cur->reminded_at = store_col_int(&rows, 4);
        cur->snoozed_until = store_col_int(&rows, 5);
        cur->resolved_at = store_col_int(&rows, 6);
        cur->resolved_manual = store_col_int(&rows, 7) != 0;
        const char *version = store_col_text(&rows, 8);
        cur->has_resolved_version = version != NULL;
        utf8_snprintf(cur->resolved_version, sizeof(cur->resolved_version), "%s",
                      version ? version : "");
        const char *kind = store_col_text(&rows, 9);
        snprintf(cur->send_kind, sizeof(cur->send_kind), "%s", kind ? kind : "");
        cur->regression = store_col_int(&rows, 10) != 0;
    }
    return store_rows_end(&rows, rc, "database", err);
}

static int schedule(struct store_conn *conn, int64_t id, const char *state, const char *kind,
                    int64_t due, bool silenced, int64_t now, struct lf_error *err)
{
    if (silenced)
        return store_exec(conn, NOTIFY_SQL_WITHHOLD, err, "itti", id, state, kind, now);
    return store_exec(conn, NOTIFY_SQL_SCHEDULE, err, "ittii", id, state, kind, due, now);
}

/* Whether a resolved notification re-opens on a suspect verdict, with why in text. One
 * the queue resolved itself (the site went quiet) re-opens at once: the site grows again.
 * One resolved by hand was declared fixed: it re-opens on growth in a version other than
 * the one it was resolved in, which began after the resolve (Sentry's "resolved in next
 * release"); with no version known, once still suspect reopen_after after the resolve
 * (detection only calls a site suspect while it still rises over detect.recent, so that
 * is growth after the resolve when reopen_after >= detect.recent). */
static bool reopens(const struct notify_options *opts, const struct current *cur,
                    const struct detect_verdict *v, int64_t now, char *text, size_t size)
{
    text[0] = '\0';
    if (!cur->resolved_manual)
        return true;
    if (cur->has_resolved_version) {
        if (!v->since_version || v->since <= cur->resolved_at ||
            strcmp(v->since_version, cur->resolved_version) == 0)
            return false;
        utf8_snprintf(text, size, "growing in %s since %lld, resolved in %s", v->since_version,
                      (long long)v->since, cur->resolved_version);
        return true;
    }
    if (now - cur->resolved_at < opts->reopen_after)
        return false;
    snprintf(text, size, "still growing %llds after the resolve",
             (long long)(now - cur->resolved_at));
    return true;
}

/* One suspect verdict: create, re-open, remind or wake from a snooze. */
static int on_suspect(struct store_conn *conn, const struct notify_options *opts,
                      const struct detect_verdict *v, int64_t now, struct lf_error *err)
{
    const char *owner = v->owner && v->owner[0] ? v->owner : CODEOWNERS_UNOWNED;
    char reason[256];
    bool silenced;
    int rc = find_silence(conn, v->service, v->location_id, owner, now, reason, sizeof(reason),
                          &silenced, err);
    if (rc != LF_OK)
        return rc;
    struct current cur;
    rc = find_current(conn, v->service_id, v->location_id, owner, &cur, err);
    if (rc != LF_OK)
        return rc;

    if (!cur.found) {
        int64_t id = 0;
        rc = store_exec(conn, NOTIFY_SQL_INSERT, err, "iitiit", v->service_id, v->location_id,
                        owner, now, silenced ? (int64_t)0 : now + opts->group_wait, "new");
        if (rc == LF_OK)
            id = store_last_insert_id(conn);
        if (rc == LF_OK && silenced)
            rc = store_exec(conn, NOTIFY_SQL_UNSCHEDULE, err, "i", id);
        if (rc == LF_OK)
            rc = add_event(conn, id, now, "created", silenced ? reason : NULL, err);
        return rc;
    }

    if (!silenced && strcmp(cur.state, "pending") == 0 && !cur.has_send) {
        /* Held back by a silence that has ended: the message goes out as if found now
         * (rows from before the kind was kept: a regression or a new finding). */
        const char *kind = cur.send_kind[0] ? cur.send_kind : cur.regression ? "regression" : "new";
        rc = schedule(conn, cur.id, "pending", kind, now + opts->group_wait, false, now, err);
        if (rc == LF_OK)
            rc = add_event(conn, cur.id, now, "silence ended", NULL, err);
        return rc;
    }
    if (strcmp(cur.state, "resolved") == 0) {
        char why[256];
        if (!reopens(opts, &cur, v, now, why, sizeof(why)))
            return LF_OK;
        rc = store_exec(conn, NOTIFY_SQL_REOPEN, err, "i", cur.id);
        if (rc == LF_OK)
            rc = schedule(conn, cur.id, "pending", "regression", now + opts->group_wait, silenced,
                          now, err);
        if (rc == LF_OK)
            rc = add_event(conn, cur.id, now, "regression", silenced ? reason : why, err);
        return rc;
    }
    if (strcmp(cur.state, "snoozed") == 0 && now >= cur.snoozed_until) {
        /* pending until the reminder is out: only then is anyone told again */
        rc = schedule(conn, cur.id, "pending", "reminder", now, silenced, now, err);
        if (rc == LF_OK)
            rc = add_event(conn, cur.id, now, "snooze ended", NULL, err);
        return rc;
    }
    if ((strcmp(cur.state, "delivered") == 0 || strcmp(cur.state, "unrouted") == 0) && v->growing &&
        !cur.has_send) {
        int64_t last = cur.reminded_at > cur.delivered_at ? cur.reminded_at : cur.delivered_at;
        if (now - last >= opts->repeat_interval) {
            rc = schedule(conn, cur.id, cur.state, "reminder", now, silenced, now, err);
            if (rc == LF_OK)
                rc = store_exec(conn, NOTIFY_SQL_REMINDED, err, "ii", cur.id, now);
            if (rc == LF_OK)
                rc = add_event(conn, cur.id, now, "reminder", NULL, err);
        }
    }
    return rc;
}

/* Resolves every open notification whose site has not been suspect for resolve_after. */
static int resolve_quiet(struct store_conn *conn, const struct notify_options *opts, int64_t now,
                         struct lf_error *err)
{
    struct store_rows rows;
    int rc = store_query(conn, NOTIFY_SQL_QUIET, &rows, err, "i", now - opts->resolve_after);
    int64_t ids[256];
    bool delivered[256];
    size_t n = 0;
    while (rc == LF_OK && n < 256 && store_row(&rows)) {
        ids[n] = store_col_int(&rows, 0);
        delivered[n++] = store_col_int(&rows, 1) != 0;
    }
    rc = store_rows_end(&rows, rc, "database", err);
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        /* A message goes out only to owners who were told of the leak. */
        if (delivered[i])
            rc = store_exec(conn, NOTIFY_SQL_RESOLVE_TELL, err, "ii", ids[i], now);
        else
            rc = store_exec(conn, NOTIFY_SQL_RESOLVE_QUIETLY, err, "ii", ids[i], now);
        if (rc == LF_OK)
            rc = add_event(conn, ids[i], now, "resolved", "no longer suspect", err);
    }
    return rc;
}

int notify_update(void *ctx, struct store_conn *conn, const struct detect_verdict *verdicts,
                  size_t n_verdicts, int64_t now, struct lf_error *err)
{
    struct notify_options defaults;
    const struct notify_options *opts = ctx;
    if (!opts) {
        notify_options_default(&defaults);
        opts = &defaults;
    }
    int rc = LF_OK;
    for (size_t i = 0; i < n_verdicts && rc == LF_OK; i++)
        if (verdicts[i].suspect)
            rc = on_suspect(conn, opts, &verdicts[i], now, err);
    if (rc == LF_OK)
        rc = resolve_quiet(conn, opts, now, err);
    return rc;
}

/* ---- admin actions ---------------------------------------------------------------- */

/* The version the notification's service runs: of its instances' latest profiles, the
 * newest naming one; the site's `version` label, else the push's version (the rule of
 * the verdict's since_version, so the two compare). One row per instance is read. */
static int service_version(struct store_conn *conn, int64_t id, char *version, size_t size,
                           bool *found, struct lf_error *err)
{
    struct store_rows rows;
    *found = false;
    int rc = store_query(conn, NOTIFY_SQL_SERVICE_VERSION, &rows, err, "i", id);
    if (rc == LF_OK && store_row(&rows)) {
        utf8_snprintf(version, size, "%s", store_col_text(&rows, 0));
        *found = true;
    }
    return store_rows_end(&rows, rc, "database", err);
}

int notify_apply(struct store_conn *conn, const struct notify_request *req, struct lf_error *err)
{
    int64_t now = req->now ? req->now : (int64_t)time(NULL);
    struct current cur = { 0 };
    struct store_rows rows;
    int rc = store_query(conn, NOTIFY_SQL_STATE_GET, &rows, err, "i", req->id);
    if (rc == LF_OK && store_row(&rows)) {
        cur.found = true;
        snprintf(cur.state, sizeof(cur.state), "%s", store_col_text(&rows, 0));
    }
    rc = store_rows_end(&rows, rc, "database", err);
    if (rc != LF_OK)
        return rc;
    if (!cur.found)
        return lf_fail(err, LF_ENOTFOUND, "no notification %lld", (long long)req->id);

    const char *actor = req->actor ? req->actor : "";
    char detail[400];
    /* the history holds at most this much, cut on a character boundary */
    utf8_snprintf(detail, sizeof(detail), "by %s", actor);
    rc = store_exec(conn, NOTIFY_SQL_ACTOR_SET, err, "it", req->id, req->actor);
    if (rc != LF_OK)
        return rc;
    switch (req->action) {
    case NOTIFY_ACK:
        if (strcmp(cur.state, "resolved") == 0)
            return lf_fail(err, LF_ECONFLICT, "notification %lld is resolved", (long long)req->id);
        rc = store_exec(conn, NOTIFY_SQL_ACK, err, "ii", req->id, now);
        if (rc == LF_OK)
            rc = add_event_by(conn, req->id, now, "acknowledged", detail, req->actor, err);
        return rc;
    case NOTIFY_SNOOZE:
        if (req->until <= now)
            return lf_fail(err, LF_EINVAL, "snooze 'until' must be in the future");
        if (strcmp(cur.state, "resolved") == 0)
            return lf_fail(err, LF_ECONFLICT, "notification %lld is resolved", (long long)req->id);
        rc = store_exec(conn, NOTIFY_SQL_SNOOZE, err, "iii", req->id, req->until, now);
        utf8_snprintf(detail, sizeof(detail), "until %lld by %s", (long long)req->until, actor);
        if (rc == LF_OK)
            rc = add_event_by(conn, req->id, now, "snoozed", detail, req->actor, err);
        return rc;
    case NOTIFY_RESOLVE: {
        char version[512];
        bool has_version = false;
        rc = service_version(conn, req->id, version, sizeof(version), &has_version, err);
        if (rc == LF_OK)
            rc = store_exec(conn, NOTIFY_SQL_RESOLVE_MANUAL, err, "iit", req->id, now,
                            has_version ? version : NULL);
        if (has_version)
            utf8_snprintf(detail, sizeof(detail), "by %s in version %s", actor, version);
        else
            utf8_snprintf(detail, sizeof(detail), "by %s, no version known", actor);
        if (rc == LF_OK)
            rc = add_event_by(conn, req->id, now, "resolved", detail, req->actor, err);
        return rc;
    }
    case NOTIFY_REASSIGN:
        if (!req->owner || !req->owner[0])
            return lf_fail(err, LF_EINVAL, "reassign needs an 'owner'");
        if (!codeowners_owner_valid(req->owner, strlen(req->owner), true))
            return lf_fail(err, LF_EINVAL, "reassign: the owner must be " CODEOWNERS_OWNER_FORM);
        rc = store_exec(conn, NOTIFY_SQL_REASSIGN, err, "iti", req->id, req->owner, now);
        if (rc == LF_EDB && store_unique_violation(conn))
            return lf_fail(err, LF_ECONFLICT, "'%s' already has a notification for this site",
                           req->owner);
        utf8_snprintf(detail, sizeof(detail), "to %s by %s", req->owner, actor);
        if (rc == LF_OK)
            rc = add_event_by(conn, req->id, now, "reassigned", detail, req->actor, err);
        return rc;
    }
    return lf_fail(err, LF_EINTERNAL, "unknown notification action");
}

int notify_apply_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    return notify_apply(conn, ctx, err);
}

int notify_add_silence_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct notify_silence_job *job = ctx;
    return notify_add_silence(conn, &job->silence, &job->id, err);
}

int notify_add_silence(struct store_conn *conn, const struct notify_silence *silence,
                       int64_t *id_out, struct lf_error *err)
{
    if (!silence->service && !silence->function && !silence->owner)
        return lf_fail(err, LF_EINVAL, "a silence needs a 'service', 'function' or 'owner'");
    if (silence->owner && !codeowners_owner_valid(silence->owner, strlen(silence->owner), true))
        return lf_fail(err, LF_EINVAL, "a silence's 'owner' must be " CODEOWNERS_OWNER_FORM);
    if (!silence->reason || !silence->reason[0])
        return lf_fail(err, LF_EINVAL, "a silence needs a 'reason'");
    int64_t now = silence->now ? silence->now : (int64_t)time(NULL);
    if (silence->expires <= now)
        return lf_fail(err, LF_EINVAL, "a silence's 'until' must be in the future");
    int rc = store_exec(conn, NOTIFY_SQL_SILENCE_ADD, err, "ttttiit", silence->service,
                        silence->function, silence->owner, silence->reason, now, silence->expires,
                        silence->actor);
    if (rc == LF_OK)
        *id_out = store_last_insert_id(conn);
    return rc;
}

/* ---- listings --------------------------------------------------------------------- */

static json_t *column_json(const struct store_rows *rows, int i)
{
    switch (store_col_type(rows, i)) {
    case STORE_INTEGER:
        return json_integer(store_col_int(rows, i));
    case STORE_FLOAT: {
        /* JSON has no infinity or NaN (a verdict's growth can overflow): null */
        double v = store_col_double(rows, i);
        return isfinite(v) ? json_real(v) : json_null();
    }
    case STORE_TEXT:
    case STORE_BLOB: {
        /* rows an older version stored may hold bytes that are not UTF-8: repaired, so
         * the key is kept rather than dropped */
        const char *text = store_col_text(rows, i);
        return utf8json_string(text != NULL ? text : "", store_col_bytes(rows, i));
    }
    default:
        return json_null();
    }
}

/* Appends one object per row, keyed by the column names, to array. */
static int rows_to_json(struct store_rows *rows, json_t *array, const char *bool_cols,
                        struct lf_error *err)
{
    while (store_row(rows)) {
        json_t *row = json_object();
        if (!row || json_array_append_new(array, row) != 0)
            return lf_fail(err, LF_ENOMEM, "out of memory");
        for (int i = 0; i < store_col_count(rows); i++) {
            const char *name = store_col_name(rows, i);
            json_t *value = column_json(rows, i);
            if (bool_cols && strstr(bool_cols, name) && json_is_integer(value)) {
                json_t *b = json_boolean(json_integer_value(value) != 0);
                json_decref(value);
                value = b;
            }
            /* a value that cannot be made is an error, never a missing key */
            if (name == NULL || value == NULL || json_object_set_new(row, name, value) != 0)
                return lf_fail(err, LF_ENOMEM, "out of memory listing notifications");
        }
    }
    return LF_OK;
}

int notify_list(struct store_conn *conn, const char *state, int64_t id, json_t **out,
                struct lf_error *err)
{
    *out = NULL;
    json_t *list = json_array();
    struct store_rows rows;
    if (!list)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    int rc = store_query(conn, NOTIFY_SQL_LIST, &rows, err, "ti", state, id);
    if (rc == LF_OK)
        rc = rows_to_json(&rows, list, "owner_manual regression resolved_manual", err);
    rc = store_rows_end(&rows, rc, "database", err);
    if (rc == LF_OK && id > 0) {
        if (json_array_size(list) == 0) {
            rc = lf_fail(err, LF_ENOTFOUND, "no notification %lld", (long long)id);
        } else {
            json_t *events = json_array();
            rc = store_query(conn, NOTIFY_SQL_EVENTS, &rows, err, "i", id);
            if (rc == LF_OK && !events)
                rc = lf_fail(err, LF_ENOMEM, "out of memory");
            if (rc == LF_OK)
                rc = rows_to_json(&rows, events, NULL, err);
            rc = store_rows_end(&rows, rc, "database", err);
            if (rc == LF_OK && json_object_set_new(json_array_get(list, 0), "events", events) != 0)
                rc = lf_fail(err, LF_ENOMEM, "out of memory");
            else if (rc != LF_OK)
                json_decref(events);
        }
    }
    if (rc != LF_OK) {
        json_decref(list);
        return rc;
    }
    if (id > 0) {
        *out = json_incref(json_array_get(list, 0));
        json_decref(list);
    } else {
        *out = json_pack("{s:o}", "notifications", list);
    }
    if (!*out)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    return LF_OK;
}

int notify_list_silences(struct store_conn *conn, int64_t now, json_t **out, struct lf_error *err)
{
    *out = NULL;
    json_t *list = json_array();
    struct store_rows rows;
    if (!list)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    int rc = store_query(conn, NOTIFY_SQL_SILENCES, &rows, err, "i",
                         now ? now : (int64_t)time(NULL));
    if (rc == LF_OK)
        rc = rows_to_json(&rows, list, "active", err);
    rc = store_rows_end(&rows, rc, "database", err);
    if (rc != LF_OK) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o}", "silences", list);
    return *out ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}
