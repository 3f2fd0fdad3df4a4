/* alertmanager.c - posts the notification queue to Alertmanager's API v2 every interval.
 * Reading runs on a reader connection, posting outside any transaction; nothing is
 * written back: the queue's states are the truth and each pass restates them whole
 * (open ones firing until four intervals ahead, ones closed in the last three intervals
 * with their close as endsAt), so a lost post is repaired by the next pass and a restart
 * loses nothing. Cost per pass: one query over the open and recently closed
 * notifications, one JSON body per 1,000 of them. */
#include "alertmanager.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "periodic.h"
#include "store_alertmanager.h"
#include "trend.h"
#include "utf8.h"
#include "utf8json.h"
#include "webhook.h"

#define POST_BATCH       1000  /* alerts per request */
#define MAX_ALERTS       50000 /* alerts per pass: the queue holds one per suspect site */
#define FIRING_INTERVALS 4     /* a firing alert's endsAt, in intervals ahead */
#define CLOSED_INTERVALS 3     /* how long a close is restated, in intervals */

struct alertmanager {
    struct store *store;
    struct alertmanager_options opts;
    char *endpoint; /* url + /api/v2/alerts */
    pthread_mutex_t lock;
    struct alertmanager_stats stats;
    struct periodic thread;
};

static const char *const fixed_labels[] = { "alertname", "service", "owner", "function",
                                            "file",      "line",    "op" };

void alertmanager_options_default(struct alertmanager_options *opts)
{
    *opts = (struct alertmanager_options){
        .interval = 60,
        .projection_target = 10000,
        .timeout_ms = 10000,
    };
}

bool alertmanager_label_name_valid(const char *name)
{
    if (name == NULL || name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (const char *c = name; *c != '\0'; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_';
        if (!ok)
            return false;
    }
    for (size_t i = 0; i < sizeof(fixed_labels) / sizeof(fixed_labels[0]); i++) {
        if (strcmp(name, fixed_labels[i]) == 0)
            return false;
    }
    return true;
}

int alertmanager_create(struct store *store, const struct alertmanager_options *opts,
                        struct alertmanager **out, struct lf_error *err)
{
    *out = NULL;
    if (opts->url == NULL || opts->url[0] == '\0')
        return lf_fail(err, LF_EINVAL, "notify.alertmanager.url is empty");
    struct alertmanager *am = lf_calloc(1, sizeof(*am));
    if (am == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    am->store = store;
    am->opts = *opts;
    if (am->opts.interval <= 0)
        am->opts.interval = 60;
    size_t len = strlen(opts->url);
    while (len > 0 && opts->url[len - 1] == '/')
        len--;
    static const char path[] = "/api/v2/alerts";
    am->endpoint = lf_malloc(len + sizeof(path));
    if (am->endpoint == NULL) {
        lf_free(am);
        return lf_fail(err, LF_ENOMEM, "out of memory");
    }
    memcpy(am->endpoint, opts->url, len);
    memcpy(am->endpoint + len, path, sizeof(path));
    pthread_mutex_init(&am->lock, NULL);
    *out = am;
    return LF_OK;
}

/* ---- the alerts ---------------------------------------------------------------------- */

/* RFC 3339 in UTC of unix seconds t, as Alertmanager reads it. */
static json_t *rfc3339(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return NULL;
    return json_string(buf);
}

/* Text column col repaired to valid UTF-8 into buf (cut on a character boundary). */
static const char *column_text(const struct store_rows *rows, int col, char *buf, size_t size)
{
    const char *text = store_col_text(rows, col);
    size_t len = store_col_bytes(rows, col);
    if (text == NULL)
        len = 0;
    char *repaired = lf_malloc(utf8_sanitized_len(text != NULL ? text : "", len) + 1);
    if (repaired == NULL) {
        buf[0] = '\0';
        return buf;
    }
    size_t n = utf8_sanitize(text != NULL ? text : "", len, repaired);
    size_t cut = utf8_cut(repaired, n, size - 1);
    memcpy(buf, repaired, cut);
    buf[cut] = '\0';
    lf_free(repaired);
    return buf;
}

/* Sets key of obj to a new JSON string of text (valid UTF-8); false on failure. */
static bool set_text(json_t *obj, const char *key, const char *text)
{
    return json_object_set_new(obj, key, utf8json_cstr(text)) == 0;
}

/* The alert of the current row, or NULL when allocation fails. */
static json_t *row_alert(const struct alertmanager *am, const struct store_rows *rows, int64_t now)
{
    char service[256], owner[256], function[512], file[512], op[64], state[16], version[128];
    column_text(rows, 1, owner, sizeof(owner));
    column_text(rows, 2, state, sizeof(state));
    column_text(rows, 5, service, sizeof(service));
    int64_t location_id = store_col_int(rows, 6);
    column_text(rows, 7, function, sizeof(function));
    column_text(rows, 8, file, sizeof(file));
    int64_t line = store_col_int(rows, 9);
    column_text(rows, 10, op, sizeof(op));
    int64_t count = store_col_int(rows, 11);
    double growth = store_col_double(rows, 12);
    bool has_growth = store_col_type(rows, 12) != STORE_NULL && isfinite(growth);
    column_text(rows, 13, version, sizeof(version));
    bool open = strcmp(state, "pending") == 0 || strcmp(state, "delivered") == 0 ||
                strcmp(state, "unrouted") == 0;
    int64_t created = store_col_int(rows, 3);
    int64_t updated = store_col_int(rows, 4);

    char line_text[24];
    snprintf(line_text, sizeof(line_text), "%lld", (long long)line);
    char summary[1024], description[2048], growth_text[64] = "", projection[96] = "";
    if (has_growth) {
        snprintf(growth_text, sizeof(growth_text), ", growing %.1f an hour", growth);
        double hours =
                trend_hours_to_reach((double)count, growth, (double)am->opts.projection_target);
        if (hours > 0 && isfinite(hours))
            snprintf(projection, sizeof(projection), ", reaches %lld in %.0f h",
                     (long long)am->opts.projection_target, hours);
    }
    utf8_snprintf(summary, sizeof(summary), "Goroutine leak in %s at %s", service, function);
    utf8_snprintf(description, sizeof(description),
                  "%lld goroutines blocked in %s at %s (%s:%lld)%s%s%s%s; state %s",
                  (long long)count, op, function, file, (long long)line, growth_text, projection,
                  version[0] != '\0' ? "; since version " : "", version, state);

    json_t *alert = json_object();
    json_t *labels = json_object();
    json_t *annotations = json_object();
    bool ok = alert != NULL && labels != NULL && annotations != NULL &&
              set_text(labels, "alertname", "GoroutineLeak") &&
              set_text(labels, "service", service) && set_text(labels, "owner", owner) &&
              set_text(labels, "function", function) && set_text(labels, "file", file) &&
              set_text(labels, "line", line_text) && set_text(labels, "op", op) &&
              set_text(annotations, "summary", summary) &&
              set_text(annotations, "description", description);
    for (size_t i = 0; ok && i < am->opts.n_labels; i++)
        ok = set_text(labels, am->opts.labels[i].name, am->opts.labels[i].value);
    if (ok && am->opts.dashboard_url != NULL) {
        char link[1024];
        utf8_snprintf(link, sizeof(link), "%s/#/location/%lld", am->opts.dashboard_url,
                      (long long)location_id);
        ok = set_text(annotations, "dashboard", link) && set_text(alert, "generatorURL", link);
    }
    if (ok)
        ok = json_object_set_new(alert, "labels", labels) == 0;
    labels = NULL;
    if (ok)
        ok = json_object_set_new(alert, "annotations", annotations) == 0;
    annotations = NULL;
    if (ok)
        ok = json_object_set_new(alert, "startsAt", rfc3339(created)) == 0 &&
             json_object_set_new(
                     alert, "endsAt",
                     rfc3339(open ? now + FIRING_INTERVALS * am->opts.interval : updated)) == 0;
    json_decref(labels);
    json_decref(annotations);
    if (!ok) {
        json_decref(alert);
        return NULL;
    }
    return alert;
}

int alertmanager_alerts(struct alertmanager *am, int64_t now, json_t **out, struct lf_error *err)
{
    *out = NULL;
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(am->store, &conn, err);
    if (rc != LF_OK)
        return rc;
    struct store_rows rows;
    json_t *alerts = json_array();
    if (alerts == NULL) {
        store_reader_release(am->store, conn);
        return lf_fail(err, LF_ENOMEM, "out of memory");
    }
    rc = store_query(conn, ALERTMANAGER_SQL_ALERTS, &rows, err, "ii",
                     now - CLOSED_INTERVALS * am->opts.interval, (int64_t)MAX_ALERTS);
    while (rc == LF_OK && store_row(&rows)) {
        json_t *alert = row_alert(am, &rows, now);
        if (alert == NULL || json_array_append_new(alerts, alert) != 0)
            rc = lf_fail(err, LF_ENOMEM, "out of memory building alerts");
    }
    rc = store_rows_end(&rows, rc, "alertmanager", err);
    store_reader_release(am->store, conn);
    if (rc != LF_OK) {
        json_decref(alerts);
        return rc;
    }
    *out = alerts;
    return LF_OK;
}

/* ---- posting ------------------------------------------------------------------------- */

int alertmanager_run_once(struct alertmanager *am, int64_t now, size_t *posted,
                          struct lf_error *err)
{
    *posted = 0;
    if (now == 0)
        now = (int64_t)time(NULL);
    json_t *alerts = NULL;
    int rc = alertmanager_alerts(am, now, &alerts, err);
    size_t n = json_array_size(alerts);
    for (size_t start = 0; rc == LF_OK && start < n; start += POST_BATCH) {
        json_t *batch = json_array();
        for (size_t i = start; batch != NULL && i < n && i < start + POST_BATCH; i++) {
            if (json_array_append(batch, json_array_get(alerts, i)) != 0) {
                json_decref(batch);
                batch = NULL;
            }
        }
        char *body = batch != NULL ? json_dumps(batch, JSON_COMPACT) : NULL;
        size_t n_batch = json_array_size(batch);
        json_decref(batch);
        if (body == NULL) {
            rc = lf_fail(err, LF_ENOMEM, "out of memory building the alerts' body");
            break;
        }
        long status = 0;
        rc = webhook_post_json(am->endpoint, body, am->opts.timeout_ms, "alertmanager", &status,
                               err);
        if (rc == LF_EIO && status == 0)
            lf_error_prefix(err, "alertmanager"); /* libcurl's reason: name who failed */
        free(body);
        pthread_mutex_lock(&am->lock);
        if (rc == LF_OK)
            am->stats.posted += n_batch;
        else
            am->stats.failed++;
        pthread_mutex_unlock(&am->lock);
        if (rc == LF_OK)
            *posted += n_batch;
    }
    json_decref(alerts);
    return rc;
}

static void alertmanager_pass(void *ctx)
{
    struct alertmanager *am = ctx;
    struct lf_error err;
    lf_error_clear(&err);
    size_t posted = 0;
    if (alertmanager_run_once(am, 0, &posted, &err) != LF_OK)
        log_warn("alertmanager: %s (posted again in %lld s)", err.msg,
                 (long long)am->opts.interval);
    else
        log_debug("alertmanager: %zu alerts posted", posted);
}

int alertmanager_start(struct alertmanager *am, struct lf_error *err)
{
    return periodic_start(&am->thread, "lf-alertmgr", am->opts.interval * 1000, alertmanager_pass,
                          am, err);
}

void alertmanager_get_stats(struct alertmanager *am, struct alertmanager_stats *out)
{
    pthread_mutex_lock(&am->lock);
    *out = am->stats;
    pthread_mutex_unlock(&am->lock);
}

void alertmanager_free(struct alertmanager *am)
{
    if (am == NULL)
        return;
    periodic_stop(&am->thread);
    pthread_mutex_destroy(&am->lock);
    lf_free(am->endpoint);
    lf_free(am);
}
