/* dispatch.c - the delivery thread of the notification queue. Reading what is due runs
 * on a reader connection; posting runs outside any transaction (a slow webhook never
 * holds the writer); the outcome of each post is one writer job. A message that failed
 * stays due at a later time, so a restart loses nothing: the queue is the table. */
#include "dispatch.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "periodic.h"
#include "sqlbind.h"
#include "trend.h"

#define MAX_DUE 500
#define MAX_OWNERS 512

struct owner_budget {
    char owner[128];
    int64_t window_start;
    int64_t sent;
};

struct dispatch {
    struct store *store;
    struct writer *writer;
    struct dispatch_options opts;
    struct owner_budget budgets[MAX_OWNERS];
    size_t n_budgets;
    struct dispatch_stats stats;
    pthread_mutex_t lock; /* stats and budgets; passes are on the one thread */
    pthread_mutex_t run_lock;
    struct periodic thread; /* delivers every opts.interval_ms */
};

void dispatch_options_default(struct dispatch_options *opts)
{
    *opts = (struct dispatch_options){
        .rate_per_hour = 20,
        .backoff_base = 30,
        .backoff_max = 3600,
        .interval_ms = 1000,
        .timeout_ms = 10000,
        .projection_target = 10000,
    };
}

/* ---- the message ------------------------------------------------------------------ */

static const char *finding_kind(json_t *finding)
{
    const char *kind = json_string_value(json_object_get(finding, "kind"));
    return kind ? kind : "new";
}

static void append_line(char *text, size_t size, size_t *len, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void append_line(char *text, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

json_t *dispatch_message(const char *owner, json_t *findings, const char *dashboard_url)
{
    size_t n = json_array_size(findings);
    if (n == 0)
        return NULL;
    char text[4096];
    size_t len = 0;
    text[0] = '\0';
    json_t *first = json_array_get(findings, 0);
    const char *kind = finding_kind(first);
    if (strcmp(kind, "resolve") == 0)
        append_line(text, sizeof(text), &len, "leakfleet: %zu goroutine leak%s resolved for %s",
                n, n == 1 ? "" : "s", owner);
    else
        append_line(text, sizeof(text), &len, "leakfleet: %zu goroutine leak suspect%s for %s",
                n, n == 1 ? "" : "s", owner);
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f) {
        const char *fkind = finding_kind(f);
        json_t *growth = json_object_get(f, "growth_per_hour");
        json_t *hours = json_object_get(json_object_get(f, "projection"), "hours");
        char growth_text[64] = "";
        if (json_is_number(growth))
            snprintf(growth_text, sizeof(growth_text), ", %+.0f/h", json_number_value(growth));
        char projection_text[96] = "";
        if (json_is_number(hours))
            snprintf(projection_text, sizeof(projection_text), ", reaches %lld in %.0f h",
                    (long long)json_integer_value(
                            json_object_get(json_object_get(f, "projection"), "target")),
                    json_number_value(hours));
        bool plain = strcmp(fkind, "new") == 0;
        append_line(text, sizeof(text), &len, "\n• %s%s%s: %s at %s:%lld (%s): %lld goroutines%s%s",
                plain ? "" : fkind, plain ? "" : ": ",
                json_string_value(json_object_get(f, "service")),
                json_string_value(json_object_get(f, "function")),
                json_string_value(json_object_get(f, "file")),
                (long long)json_integer_value(json_object_get(f, "line")),
                json_string_value(json_object_get(f, "op")),
                (long long)json_integer_value(json_object_get(f, "count")), growth_text,
                projection_text);
        const char *since_version = json_string_value(json_object_get(f, "since_version"));
        if (since_version)
            append_line(text, sizeof(text), &len, ", growing since %s", since_version);
        const char *link = json_string_value(json_object_get(f, "link"));
        if (link)
            append_line(text, sizeof(text), &len, " %s", link);
    }
    json_t *message = json_pack("{s:s, s:s, s:s%, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
            "owner", owner, "kind", kind, "text", text, len, "service",
            json_object_get(first, "service"), "location_id",
            json_object_get(first, "location_id"), "function", json_object_get(first, "function"),
            "file", json_object_get(first, "file"), "line", json_object_get(first, "line"), "op",
            json_object_get(first, "op"), "count", json_object_get(first, "count"),
            "growth_per_hour", json_object_get(first, "growth_per_hour"), "projection",
            json_object_get(first, "projection"));
    if (!message)
        return NULL;
    json_t *link = json_object_get(first, "link");
    json_object_set(message, "link", link ? link : json_null());
    json_object_set(message, "findings", findings);
    (void)dashboard_url;
    return message;
}

/* ---- reading what is due ----------------------------------------------------------- */

struct due {
    int64_t id;
    int64_t attempts;
    char *owner;
    json_t *finding;
};

static void due_release(struct due *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lf_free(items[i].owner);
        json_decref(items[i].finding);
    }
}

static json_t *text_or_null(sqlite3_stmt *stmt, int col)
{
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    return text ? json_string(text) : json_null();
}

static int read_due(struct dispatch *dispatch, int64_t now, struct due *items, size_t *n,
        struct lf_error *err)
{
    struct store_conn *conn = NULL;
    *n = 0;
    int rc = store_reader_acquire(dispatch->store, &conn, err);
    if (rc != LF_OK)
        return rc;
    sqlite3 *db = store_conn_db(conn);
    sqlite3_stmt *stmt = NULL;
    rc = sqlbind_prepare(db, &stmt, err,
            "SELECT n.id, n.owner, n.attempts, COALESCE(n.send_kind, 'new'), s.name, l.id,"
            " l.function, l.file, l.line, l.op, COALESCE(d.count, 0), d.growth_per_hour,"
            " d.since, d.since_version"
            " FROM notifications n JOIN services s ON s.id = n.service_id"
            " JOIN locations l ON l.id = n.location_id"
            " LEFT JOIN detections d ON d.service_id = n.service_id"
            " AND d.location_id = n.location_id"
            " WHERE n.send_due IS NOT NULL AND n.send_due <= ?1"
            " ORDER BY n.owner, n.id LIMIT ?2",
            "ii", now, (int64_t)MAX_DUE);
    int step = SQLITE_DONE;
    while (rc == LF_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct due *d = &items[*n];
        d->id = sqlite3_column_int64(stmt, 0);
        d->owner = lf_strdup((const char *)sqlite3_column_text(stmt, 1));
        d->attempts = sqlite3_column_int64(stmt, 2);
        int64_t location_id = sqlite3_column_int64(stmt, 5);
        int64_t count = sqlite3_column_int64(stmt, 10);
        json_t *growth = sqlite3_column_type(stmt, 11) == SQLITE_NULL
                ? json_null()
                : json_real(sqlite3_column_double(stmt, 11));
        json_t *projection = json_null();
        if (json_is_real(growth)) {
            double hours = trend_hours_to_reach((double)count, json_real_value(growth),
                    (double)dispatch->opts.projection_target);
            if (hours > 0)
                projection = json_pack("{s:I, s:f}", "target",
                        (json_int_t)dispatch->opts.projection_target, "hours",
                        round(hours * 10) / 10);
        }
        json_t *link = json_null();
        if (dispatch->opts.dashboard_url) {
            char url[512];
            snprintf(url, sizeof(url), "%s/#/location/%lld", dispatch->opts.dashboard_url,
                    (long long)location_id);
            link = json_string(url);
        }
        d->finding = json_pack("{s:I, s:s, s:o, s:I, s:o, s:o, s:I, s:o, s:I, s:o, s:o, s:o,"
                               " s:o, s:o}",
                "notification_id", (json_int_t)d->id, "kind",
                (const char *)sqlite3_column_text(stmt, 3), "service", text_or_null(stmt, 4),
                "location_id", (json_int_t)location_id, "function", text_or_null(stmt, 6),
                "file", text_or_null(stmt, 7), "line",
                (json_int_t)sqlite3_column_int64(stmt, 8), "op", text_or_null(stmt, 9), "count",
                (json_int_t)count, "growth_per_hour", growth, "projection", projection, "link",
                link, "since",
                sqlite3_column_type(stmt, 12) == SQLITE_NULL
                        ? json_null()
                        : json_integer(sqlite3_column_int64(stmt, 12)),
                "since_version", text_or_null(stmt, 13));
        if (!d->owner || !d->finding) {
            due_release(d, 1);
            rc = lf_fail(err, LF_ENOMEM, "dispatch: out of memory");
            break;
        }
        (*n)++;
    }
    if (rc == LF_OK && step != SQLITE_DONE)
        rc = lf_fail(err, LF_EDB, "dispatch: %s", sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    store_reader_release(dispatch->store, conn);
    return rc;
}

/* ---- recording outcomes ------------------------------------------------------------ */

struct outcome_job {
    const struct due *items;
    size_t n;
    bool delivered;
    bool unrouted;    /* no route: written to the log, nobody told */
    bool postponed;   /* rate-limited: only moved later */
    int64_t now;
    int64_t retry_at;
    const char *error;
    const char *text;
    const char *route;
};

static int record_outcome(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct outcome_job *job = ctx;
    sqlite3 *db = store_conn_db(conn);
    int rc = LF_OK;
    for (size_t i = 0; i < job->n && rc == LF_OK; i++) {
        int64_t id = job->items[i].id;
        const char *event = NULL;
        if (job->postponed) {
            rc = sqlbind_exec(db, err, "UPDATE notifications SET send_due = ?2 WHERE id = ?1",
                    "ii", id, job->retry_at);
            event = "rate limited";
        } else if (job->unrouted) {
            rc = sqlbind_exec(db, err,
                    "UPDATE notifications SET attempts = attempts + 1, last_error = NULL,"
                    " delivered_at = ?2, updated = ?2, send_due = NULL, send_kind = NULL,"
                    " message = ?3,"
                    " state = CASE WHEN state IN ('pending', 'delivered') THEN 'unrouted'"
                    " ELSE state END"
                    " WHERE id = ?1",
                    "iit", id, job->now, job->text);
            event = "no route";
        } else if (job->delivered) {
            rc = sqlbind_exec(db, err,
                    "UPDATE notifications SET attempts = attempts + 1, last_error = NULL,"
                    " delivered_at = ?2, updated = ?2, send_due = NULL, send_kind = NULL,"
                    " message = ?3,"
                    " state = CASE WHEN state IN ('pending', 'unrouted') THEN 'delivered'"
                    " ELSE state END"
                    " WHERE id = ?1",
                    "iit", id, job->now, job->text);
            event = "delivered";
        } else {
            rc = sqlbind_exec(db, err,
                    "UPDATE notifications SET attempts = attempts + 1, last_error = ?2,"
                    " send_due = ?3, updated = ?4 WHERE id = ?1",
                    "itii", id, job->error, job->retry_at, job->now);
            event = "failed";
        }
        const char *detail = job->delivered || job->unrouted ? job->route : job->error;
        if (rc == LF_OK)
            rc = sqlbind_exec(db, err,
                    "INSERT INTO notification_events (notification_id, seq, ts, event, detail)"
                    " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM notification_events"
                    " WHERE notification_id = ?1), ?2, ?3, ?4)",
                    "iitt", id, job->now, event, detail);
        if (rc == LF_OK && !job->postponed) {
            char text[24];
            snprintf(text, sizeof(text), "%lld", (long long)id);
            log_fields(LOG_LEVEL_INFO, "notification", "id", text, "event", event, "owner",
                    job->items[i].owner, "detail", detail, (const char *)NULL);
        }
    }
    return rc;
}

/* ---- posting ------------------------------------------------------------------------ */

static const char *route_for(const struct dispatch *dispatch, const char *owner)
{
    for (size_t i = 0; i < dispatch->opts.n_routes; i++)
        if (strcmp(dispatch->opts.routes[i].owner, owner) == 0)
            return dispatch->opts.routes[i].url;
    return dispatch->opts.webhook;
}

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

/* Posts body to url: LF_OK on a 2xx, else LF_EIO with the reason in err. */
static int post_json(const struct dispatch *dispatch, const char *url, const char *body,
        struct lf_error *err)
{
    CURL *curl = curl_easy_init();
    if (!curl)
        return lf_fail(err, LF_ENOMEM, "curl init failed");
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, dispatch->opts.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, dispatch->opts.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "leakfleet");
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK)
        return lf_fail(err, LF_EIO, "%s", curl_error[0] ? curl_error : curl_easy_strerror(code));
    if (status < 200 || status > 299)
        return lf_fail(err, LF_EIO, "webhook answered HTTP %ld", status);
    return LF_OK;
}

static struct owner_budget *budget_for(struct dispatch *dispatch, const char *owner,
        int64_t now)
{
    for (size_t i = 0; i < dispatch->n_budgets; i++) {
        struct owner_budget *b = &dispatch->budgets[i];
        if (strcmp(b->owner, owner) == 0) {
            if (now - b->window_start >= 3600) {
                b->window_start = now;
                b->sent = 0;
            }
            return b;
        }
    }
    struct owner_budget *b = &dispatch->budgets[dispatch->n_budgets < MAX_OWNERS
                    ? dispatch->n_budgets++
                    : (size_t)(now % MAX_OWNERS)];
    snprintf(b->owner, sizeof(b->owner), "%s", owner);
    b->window_start = now;
    b->sent = 0;
    return b;
}

static int64_t backoff(const struct dispatch *dispatch, int64_t attempts)
{
    double delay = (double)dispatch->opts.backoff_base * pow(2.0, (double)(attempts < 20 ? attempts : 20));
    if (delay > (double)dispatch->opts.backoff_max)
        delay = (double)dispatch->opts.backoff_max;
    /* Up to a fifth more, so failing owners do not retry in lockstep. */
    delay += delay * 0.2 * ((double)rand() / (double)RAND_MAX);
    return (int64_t)delay;
}

/* Delivers one owner's group items[0..n). */
static int deliver_group(struct dispatch *dispatch, const struct due *items, size_t n,
        int64_t now, bool *sent, struct lf_error *err)
{
    *sent = false;
    const char *owner = items[0].owner;
    struct outcome_job job = { .items = items, .n = n, .now = now };

    pthread_mutex_lock(&dispatch->lock);
    struct owner_budget *budget = budget_for(dispatch, owner, now);
    bool limited = dispatch->opts.rate_per_hour > 0 && budget->sent >= dispatch->opts.rate_per_hour;
    if (limited) {
        dispatch->stats.limited += n;
        job.retry_at = budget->window_start + 3600;
    } else {
        budget->sent++;
    }
    pthread_mutex_unlock(&dispatch->lock);
    if (limited) {
        job.postponed = true;
        log_warn("dispatch: %s is over %lld messages an hour; %zu held back", owner,
                (long long)dispatch->opts.rate_per_hour, n);
        return writer_run(dispatch->writer, record_outcome, &job, err);
    }

    json_t *findings = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(findings, items[i].finding);
    json_t *message = dispatch_message(owner, findings, dispatch->opts.dashboard_url);
    json_decref(findings);
    char *body = message ? json_dumps(message, JSON_COMPACT) : NULL;
    const char *text = message ? json_string_value(json_object_get(message, "text")) : NULL;
    if (!body) {
        json_decref(message);
        return lf_fail(err, LF_ENOMEM, "dispatch: out of memory");
    }

    const char *url = route_for(dispatch, owner);
    struct lf_error post_err;
    lf_error_clear(&post_err);
    int post_rc = LF_OK;
    if (url) {
        post_rc = post_json(dispatch, url, body, &post_err);
        job.route = url;
    } else {
        log_warn("notify %s: no route (set notify.webhook or notify.routes): %s", owner, text);
        job.route = "logged only: no notify.webhook and no notify.routes entry for the owner";
        job.unrouted = true;
    }
    job.text = text;
    if (job.unrouted) {
        *sent = true;
    } else if (post_rc == LF_OK) {
        job.delivered = true;
        *sent = true;
    } else {
        job.error = post_err.msg;
        int64_t max_attempts = 0;
        for (size_t i = 0; i < n; i++)
            if (items[i].attempts > max_attempts)
                max_attempts = items[i].attempts;
        job.retry_at = now + backoff(dispatch, max_attempts);
        log_warn("dispatch: %s: %s (retry in %llds)", owner, post_err.msg,
                (long long)(job.retry_at - now));
    }
    pthread_mutex_lock(&dispatch->lock);
    if (job.unrouted)
        dispatch->stats.unrouted++;
    else if (job.delivered)
        dispatch->stats.delivered++;
    else
        dispatch->stats.failed++;
    pthread_mutex_unlock(&dispatch->lock);
    int rc = writer_run(dispatch->writer, record_outcome, &job, err);
    free(body);
    json_decref(message);
    return rc;
}

int dispatch_run_once(struct dispatch *dispatch, int64_t now, size_t *sent,
        struct lf_error *err)
{
    if (now == 0)
        now = (int64_t)time(NULL);
    size_t dummy;
    if (!sent)
        sent = &dummy;
    *sent = 0;
    struct due *items = lf_calloc(MAX_DUE, sizeof(*items));
    if (!items)
        return lf_fail(err, LF_ENOMEM, "dispatch: out of memory");
    pthread_mutex_lock(&dispatch->run_lock);
    size_t n = 0;
    int rc = read_due(dispatch, now, items, &n, err);
    for (size_t start = 0; rc == LF_OK && start < n;) {
        size_t end = start + 1;
        while (end < n && strcmp(items[end].owner, items[start].owner) == 0)
            end++;
        bool group_sent = false;
        rc = deliver_group(dispatch, items + start, end - start, now, &group_sent, err);
        *sent += group_sent;
        start = end;
    }
    pthread_mutex_unlock(&dispatch->run_lock);
    due_release(items, n);
    lf_free(items);
    return rc;
}

static void dispatch_pass(void *ctx)
{
    struct lf_error err;
    lf_error_clear(&err);
    if (dispatch_run_once(ctx, 0, NULL, &err) != LF_OK)
        log_warn("dispatch: %s", err.msg);
}

int dispatch_create(struct store *store, struct writer *writer,
        const struct dispatch_options *opts, struct dispatch **out, struct lf_error *err)
{
    *out = NULL;
    struct dispatch *dispatch = lf_calloc(1, sizeof(*dispatch));
    if (!dispatch)
        return lf_fail(err, LF_ENOMEM, "dispatch: out of memory");
    dispatch->store = store;
    dispatch->writer = writer;
    if (opts)
        dispatch->opts = *opts;
    else
        dispatch_options_default(&dispatch->opts);
    pthread_mutex_init(&dispatch->lock, NULL);
    pthread_mutex_init(&dispatch->run_lock, NULL);
    *out = dispatch;
    return LF_OK;
}

int dispatch_start(struct dispatch *dispatch, struct lf_error *err)
{
    int64_t ms = dispatch->opts.interval_ms > 0 ? dispatch->opts.interval_ms : 1000;
    return periodic_start(&dispatch->thread, "lf-dispatch", ms, dispatch_pass, dispatch, err);
}

void dispatch_get_stats(struct dispatch *dispatch, struct dispatch_stats *out)
{
    pthread_mutex_lock(&dispatch->lock);
    *out = dispatch->stats;
    pthread_mutex_unlock(&dispatch->lock);
}

void dispatch_free(struct dispatch *dispatch)
{
    if (!dispatch)
        return;
    periodic_stop(&dispatch->thread);
    pthread_mutex_destroy(&dispatch->lock);
    pthread_mutex_destroy(&dispatch->run_lock);
    lf_free(dispatch);
}
