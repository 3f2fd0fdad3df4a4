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
#include "sqlbind.h"
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
 * writer's transaction: a job that fails is logged with its error after it). */
static int add_event(sqlite3 *db, int64_t id, int64_t now, const char *event, const char *detail,
                     struct lf_error *err)
{
    int rc =
            sqlbind_exec(db, err,
                         "INSERT INTO notification_events (notification_id, seq, ts, event, detail)"
                         " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM notification_events"
                         " WHERE notification_id = ?1), ?2, ?3, ?4)",
                         "iitt", id, now, event, detail);
    if (rc == LF_OK) {
        char text[24];
        snprintf(text, sizeof(text), "%lld", (long long)id);
        log_fields(LOG_LEVEL_INFO, "notification", "id", text, "event", event, "detail", detail,
                   (const char *)NULL);
    }
    return rc;
}

/* The reason of an active silence matching the site, copied into reason; false if none. */
static int find_silence(sqlite3 *db, const char *service, int64_t location_id, const char *owner,
                        int64_t now, char *reason, size_t size, bool *silenced,
                        struct lf_error *err)
{
    sqlite3_stmt *stmt;
    *silenced = false;
    int rc = sqlbind_prepare(
            db, &stmt, err,
            "SELECT reason FROM silences WHERE expires > ?1"
            " AND (service IS NULL OR service = ?2)"
            " AND (owner IS NULL OR owner = ?3)"
            " AND (function IS NULL OR function = (SELECT function FROM locations WHERE id = ?4))"
            " ORDER BY id LIMIT 1",
            "itti", now, service, owner, location_id);
    if (rc != LF_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        utf8_snprintf(reason, size, "%s", text ? text : "");
        *silenced = true;
    }
    sqlite3_finalize(stmt);
    return LF_OK;
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
};

/* The notification that stands for (service, location) under owner: a manually
 * reassigned one first, then the one of this owner. */
static int find_current(sqlite3 *db, int64_t service_id, int64_t location_id, const char *owner,
                        struct current *cur, struct lf_error *err)
{
    sqlite3_stmt *stmt;
    *cur = (struct current){ 0 };
    int rc = sqlbind_prepare(
            db, &stmt, err,
            "SELECT id, state, send_due IS NOT NULL, COALESCE(delivered_at, 0),"
            " COALESCE(reminded_at, 0), COALESCE(snoozed_until, 0), COALESCE(resolved_at, 0),"
            " resolved_manual, resolved_version"
            " FROM notifications WHERE service_id = ?1 AND location_id = ?2"
            " AND (owner_manual = 1 OR owner = ?3) ORDER BY owner_manual DESC LIMIT 1",
            "iit", service_id, location_id, owner);
    if (rc != LF_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        cur->found = true;
        cur->id = sqlite3_column_int64(stmt, 0);
        snprintf(cur->state, sizeof(cur->state), "%s", (const char *)sqlite3_column_text(stmt, 1));
        cur->has_send = sqlite3_column_int(stmt, 2) != 0;
        cur->delivered_at = sqlite3_column_int64(stmt, 3);
        cur->reminded_at = sqlite3_column_int64(stmt, 4);
        cur->snoozed_until = sqlite3_column_int64(stmt, 5);
        cur->resolved_at = sqlite3_column_int64(stmt, 6);
        cur->resolved_manual = sqlite3_column_int(stmt, 7) != 0;
        const char *version = (const char *)sqlite3_column_text(stmt, 8);
        cur->has_resolved_version = version != NULL;
        utf8_snprintf(cur->resolved_version, sizeof(cur->resolved_version), "%s",
                      version ? version : "");
    }
    sqlite3_finalize(stmt);
    return LF_OK;
}

static int schedule(sqlite3 *db, int64_t id, const char *state, const char *kind, int64_t due,
                    bool silenced, int64_t now, struct lf_error *err)
{
    if (silenced)
        return sqlbind_exec(db, err,
                            "UPDATE notifications SET state = ?2, updated = ?3 WHERE id = ?1",
                            "iti", id, state, now);
    return sqlbind_exec(
            db, err,
            "UPDATE notifications SET state = ?2, send_kind = ?3, send_due = ?4, updated = ?5"
            " WHERE id = ?1",
            "ittii", id, state, kind, due, now);
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
static int on_suspect(sqlite3 *db, const struct notify_options *opts,
                      const struct detect_verdict *v, int64_t now, struct lf_error *err)
{
    const char *owner = v->owner && v->owner[0] ? v->owner : CODEOWNERS_UNOWNED;
    char reason[256];
    bool silenced;
    int rc = find_silence(db, v->service, v->location_id, owner, now, reason, sizeof(reason),
                          &silenced, err);
    if (rc != LF_OK)
        return rc;
    struct current cur;
    rc = find_current(db, v->service_id, v->location_id, owner, &cur, err);
    if (rc != LF_OK)
        return rc;

    if (!cur.found) {
        int64_t id = 0;
        bool found;
        rc = sqlbind_exec(
                db, err,
                "INSERT INTO notifications (service_id, location_id, owner, state, created,"
                " updated, send_due, send_kind) VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?5, ?6)",
                "iitiit", v->service_id, v->location_id, owner, now,
                silenced ? (int64_t)0 : now + opts->group_wait, silenced ? NULL : "new");
        if (rc == LF_OK)
            rc = sqlbind_int(db, &id, &found, err, "SELECT last_insert_rowid()", "");
        if (rc == LF_OK && silenced)
            rc = sqlbind_exec(db, err, "UPDATE notifications SET send_due = NULL WHERE id = ?1",
                              "i", id);
        if (rc == LF_OK)
            rc = add_event(db, id, now, "created", silenced ? reason : NULL, err);
        return rc;
    }

    if (strcmp(cur.state, "resolved") == 0) {
        char why[256];
        if (!reopens(opts, &cur, v, now, why, sizeof(why)))
            return LF_OK;
        rc = sqlbind_exec(db, err,
                          "UPDATE notifications SET regression = 1, resolved_at = NULL,"
                          " resolved_manual = 0, resolved_version = NULL WHERE id = ?1",
                          "i", cur.id);
        if (rc == LF_OK)
            rc = schedule(db, cur.id, "pending", "regression", now + opts->group_wait, silenced,
                          now, err);
        if (rc == LF_OK)
            rc = add_event(db, cur.id, now, "regression", silenced ? reason : why, err);
        return rc;
    }
    if (strcmp(cur.state, "snoozed") == 0 && now >= cur.snoozed_until) {
        /* pending until the reminder is out: only then is anyone told again */
        rc = schedule(db, cur.id, "pending", "reminder", now, silenced, now, err);
        if (rc == LF_OK)
            rc = add_event(db, cur.id, now, "snooze ended", NULL, err);
        return rc;
    }
    if ((strcmp(cur.state, "delivered") == 0 || strcmp(cur.state, "unrouted") == 0) && v->growing &&
        !cur.has_send) {
        int64_t last = cur.reminded_at > cur.delivered_at ? cur.reminded_at : cur.delivered_at;
        if (now - last >= opts->repeat_interval) {
            rc = schedule(db, cur.id, cur.state, "reminder", now, silenced, now, err);
            if (rc == LF_OK)
                rc = sqlbind_exec(db, err,
                                  "UPDATE notifications SET reminded_at = ?2 WHERE id = ?1", "ii",
                                  cur.id, now);
            if (rc == LF_OK)
                rc = add_event(db, cur.id, now, "reminder", NULL, err);
        }
    }
    return rc;
}

/* Resolves every open notification whose site has not been suspect for resolve_after. */
static int resolve_quiet(sqlite3 *db, const struct notify_options *opts, int64_t now,
                         struct lf_error *err)
{
    sqlite3_stmt *stmt;
    int rc = sqlbind_prepare(db, &stmt, err,
                             "SELECT n.id, n.delivered_at IS NOT NULL FROM notifications n"
                             " LEFT JOIN detections d ON d.service_id = n.service_id"
                             " AND d.location_id = n.location_id"
                             " WHERE n.state <> 'resolved' AND COALESCE(d.suspect, 0) = 0"
                             " AND COALESCE(d.last_suspect, n.updated) <= ?1",
                             "i", now - opts->resolve_after);
    if (rc != LF_OK)
        return rc;
    int64_t ids[256];
    bool delivered[256];
    size_t n = 0;
    while (n < 256 && sqlite3_step(stmt) == SQLITE_ROW) {
        ids[n] = sqlite3_column_int64(stmt, 0);
        delivered[n++] = sqlite3_column_int(stmt, 1) != 0;
    }
    sqlite3_finalize(stmt);
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        /* A message goes out only to owners who were told of the leak. */
        if (delivered[i])
            rc = sqlbind_exec(
                    db, err,
                    "UPDATE notifications SET state = 'resolved', resolved_at = ?2, updated = ?2,"
                    " resolved_manual = 0, resolved_version = NULL,"
                    " send_kind = 'resolve', send_due = ?2 WHERE id = ?1",
                    "ii", ids[i], now);
        else
            rc = sqlbind_exec(
                    db, err,
                    "UPDATE notifications SET state = 'resolved', resolved_at = ?2, updated = ?2,"
                    " resolved_manual = 0, resolved_version = NULL,"
                    " send_kind = NULL, send_due = NULL WHERE id = ?1",
                    "ii", ids[i], now);
        if (rc == LF_OK)
            rc = add_event(db, ids[i], now, "resolved", "no longer suspect", err);
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
    sqlite3 *db = store_conn_db(conn);
    int rc = LF_OK;
    for (size_t i = 0; i < n_verdicts && rc == LF_OK; i++)
        if (verdicts[i].suspect)
            rc = on_suspect(db, opts, &verdicts[i], now, err);
    if (rc == LF_OK)
        rc = resolve_quiet(db, opts, now, err);
    return rc;
}

/* ---- admin actions ---------------------------------------------------------------- */

/* The version the notification's service runs: of its instances' latest profiles, the
 * newest naming one; the site's `version` label, else the push's version (the rule of
 * the verdict's since_version, so the two compare). One row per instance is read. */
static int service_version(sqlite3 *db, int64_t id, char *version, size_t size, bool *found,
                           struct lf_error *err)
{
    sqlite3_stmt *stmt;
    *found = false;
    int rc = sqlbind_prepare(
            db, &stmt, err,
            "SELECT COALESCE(sm.version, p.version) FROM notifications n"
            " JOIN instances i ON i.service_id = n.service_id"
            " JOIN profiles p ON p.id = i.latest_profile_id"
            " LEFT JOIN samples sm ON sm.profile_id = p.id AND sm.location_id = n.location_id"
            " WHERE n.id = ?1 AND COALESCE(sm.version, p.version) IS NOT NULL"
            " ORDER BY p.ts DESC, p.id DESC LIMIT 1",
            "i", id);
    if (rc != LF_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        utf8_snprintf(version, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
        *found = true;
    }
    sqlite3_finalize(stmt);
    return LF_OK;
}

int notify_apply(struct store_conn *conn, const struct notify_request *req, struct lf_error *err)
{
    sqlite3 *db = store_conn_db(conn);
    int64_t now = req->now ? req->now : (int64_t)time(NULL);
    struct current cur = { 0 };
    sqlite3_stmt *stmt;
    int rc = sqlbind_prepare(db, &stmt, err, "SELECT state FROM notifications WHERE id = ?1", "i",
                             req->id);
    if (rc != LF_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        cur.found = true;
        snprintf(cur.state, sizeof(cur.state), "%s", (const char *)sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (!cur.found)
        return lf_fail(err, LF_ENOTFOUND, "no notification %lld", (long long)req->id);

    const char *actor = req->actor ? req->actor : "";
    char detail[400];
    /* the history holds at most this much, cut on a character boundary */
    utf8_snprintf(detail, sizeof(detail), "by %s", actor);
    rc = sqlbind_exec(db, err, "UPDATE notifications SET actor = ?2 WHERE id = ?1", "it", req->id,
                      req->actor);
    if (rc != LF_OK)
        return rc;
    switch (req->action) {
    case NOTIFY_ACK:
        if (strcmp(cur.state, "resolved") == 0)
            return lf_fail(err, LF_ECONFLICT, "notification %lld is resolved", (long long)req->id);
        rc = sqlbind_exec(db, err,
                          "UPDATE notifications SET state = 'acknowledged', send_due = NULL,"
                          " send_kind = NULL, updated = ?2 WHERE id = ?1",
                          "ii", req->id, now);
        if (rc == LF_OK)
            rc = add_event(db, req->id, now, "acknowledged", detail, err);
        return rc;
    case NOTIFY_SNOOZE:
        if (req->until <= now)
            return lf_fail(err, LF_EINVAL, "snooze 'until' must be in the future");
        if (strcmp(cur.state, "resolved") == 0)
            return lf_fail(err, LF_ECONFLICT, "notification %lld is resolved", (long long)req->id);
        rc = sqlbind_exec(
                db, err,
                "UPDATE notifications SET state = 'snoozed', snoozed_until = ?2, send_due = NULL,"
                " send_kind = NULL, updated = ?3 WHERE id = ?1",
                "iii", req->id, req->until, now);
        utf8_snprintf(detail, sizeof(detail), "until %lld by %s", (long long)req->until, actor);
        if (rc == LF_OK)
            rc = add_event(db, req->id, now, "snoozed", detail, err);
        return rc;
    case NOTIFY_RESOLVE: {
        char version[512];
        bool has_version = false;
        rc = service_version(db, req->id, version, sizeof(version), &has_version, err);
        if (rc == LF_OK)
            rc = sqlbind_exec(db, err,
                              "UPDATE notifications SET state = 'resolved', resolved_at = ?2,"
                              " resolved_manual = 1, resolved_version = ?3, send_due = NULL,"
                              " send_kind = NULL, updated = ?2 WHERE id = ?1",
                              "iit", req->id, now, has_version ? version : NULL);
        if (has_version)
            utf8_snprintf(detail, sizeof(detail), "by %s in version %s", actor, version);
        else
            utf8_snprintf(detail, sizeof(detail), "by %s, no version known", actor);
        if (rc == LF_OK)
            rc = add_event(db, req->id, now, "resolved", detail, err);
        return rc;
    }
    case NOTIFY_REASSIGN:
        if (!req->owner || !req->owner[0])
            return lf_fail(err, LF_EINVAL, "reassign needs an 'owner'");
        if (!codeowners_owner_valid(req->owner, strlen(req->owner), true))
            return lf_fail(err, LF_EINVAL, "reassign: the owner must be " CODEOWNERS_OWNER_FORM);
        rc = sqlbind_exec(
                db, err,
                "UPDATE notifications SET owner = ?2, owner_manual = 1, updated = ?3 WHERE id = ?1",
                "iti", req->id, req->owner, now);
        if (rc == LF_EDB && sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE)
            return lf_fail(err, LF_ECONFLICT, "'%s' already has a notification for this site",
                           req->owner);
        utf8_snprintf(detail, sizeof(detail), "to %s by %s", req->owner, actor);
        if (rc == LF_OK)
            rc = add_event(db, req->id, now, "reassigned", detail, err);
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
    sqlite3 *db = store_conn_db(conn);
    int rc =
            sqlbind_exec(db, err,
                         "INSERT INTO silences (service, function, owner, reason, created, expires,"
                         " created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         "ttttiit", silence->service, silence->function, silence->owner,
                         silence->reason, now, silence->expires, silence->actor);
    bool found;
    if (rc == LF_OK)
        rc = sqlbind_int(db, id_out, &found, err, "SELECT last_insert_rowid()", "");
    return rc;
}

/* ---- listings --------------------------------------------------------------------- */

static json_t *column_json(sqlite3_stmt *stmt, int i)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT: {
        /* JSON has no infinity or NaN (a verdict's growth can overflow): null */
        double v = sqlite3_column_double(stmt, i);
        return isfinite(v) ? json_real(v) : json_null();
    }
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
        /* rows an older version stored may hold bytes that are not UTF-8: repaired, so
         * the key is kept rather than dropped */
        const char *text = (const char *)sqlite3_column_text(stmt, i);
        return utf8json_string(text != NULL ? text : "", (size_t)sqlite3_column_bytes(stmt, i));
    }
    default:
        return json_null();
    }
}

/* Appends one object per row, keyed by the column names, to array. */
static int rows_to_json(sqlite3 *db, sqlite3_stmt *stmt, json_t *array, const char *bool_cols,
                        struct lf_error *err)
{
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *row = json_object();
        if (!row || json_array_append_new(array, row) != 0)
            return lf_fail(err, LF_ENOMEM, "out of memory");
        for (int i = 0; i < sqlite3_column_count(stmt); i++) {
            const char *name = sqlite3_column_name(stmt, i);
            json_t *value = column_json(stmt, i);
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
    if (step != SQLITE_DONE)
        return lf_fail(err, LF_EDB, "database: %s", sqlite3_errmsg(db));
    return LF_OK;
}

int notify_list(struct store_conn *conn, const char *state, int64_t id, json_t **out,
                struct lf_error *err)
{
    sqlite3 *db = store_conn_db(conn);
    *out = NULL;
    json_t *list = json_array();
    sqlite3_stmt *stmt = NULL;
    if (!list)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    int rc = sqlbind_prepare(
            db, &stmt, err,
            "SELECT n.id, s.name AS service, n.location_id, l.function, l.file, l.line, l.op,"
            " n.owner, n.owner_manual, n.state, n.regression, n.created, n.updated, n.attempts,"
            " n.last_error, n.snoozed_until, n.delivered_at, n.resolved_at, n.send_due,"
            " n.send_kind, n.message, d.count, d.growth_per_hour, n.actor, n.resolved_manual,"
            " n.resolved_version"
            " FROM notifications n JOIN services s ON s.id = n.service_id"
            " JOIN locations l ON l.id = n.location_id"
            " LEFT JOIN detections d ON d.service_id = n.service_id"
            " AND d.location_id = n.location_id"
            " WHERE (?1 IS NULL OR n.state = ?1) AND (?2 = 0 OR n.id = ?2)"
            " ORDER BY n.updated DESC, n.id DESC LIMIT 1000",
            "ti", state, id);
    if (rc == LF_OK)
        rc = rows_to_json(db, stmt, list, "owner_manual regression resolved_manual", err);
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (rc == LF_OK && id > 0) {
        if (json_array_size(list) == 0) {
            rc = lf_fail(err, LF_ENOTFOUND, "no notification %lld", (long long)id);
        } else {
            json_t *events = json_array();
            rc = sqlbind_prepare(db, &stmt, err,
                                 "SELECT ts, event, detail FROM notification_events"
                                 " WHERE notification_id = ?1 ORDER BY seq",
                                 "i", id);
            if (rc == LF_OK && !events)
                rc = lf_fail(err, LF_ENOMEM, "out of memory");
            if (rc == LF_OK)
                rc = rows_to_json(db, stmt, events, NULL, err);
            sqlite3_finalize(stmt);
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
    sqlite3 *db = store_conn_db(conn);
    *out = NULL;
    json_t *list = json_array();
    sqlite3_stmt *stmt = NULL;
    if (!list)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    int rc = sqlbind_prepare(
            db, &stmt, err,
            "SELECT id, service, function, owner, reason, created, expires,"
            " expires > ?1 AS active, created_by FROM silences ORDER BY id DESC LIMIT 1000",
            "i", now ? now : (int64_t)time(NULL));
    if (rc == LF_OK)
        rc = rows_to_json(db, stmt, list, "active", err);
    sqlite3_finalize(stmt);
    if (rc != LF_OK) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o}", "silences", list);
    return *out ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}
