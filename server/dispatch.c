/* dispatch.c - the delivery thread of the notification queue. Reading what is due runs
 * on a reader connection; posting runs outside any transaction (a slow webhook never
 * holds the writer); the outcome of each post is one writer job. A message that failed
 * stays due at a later time, so a restart loses nothing: the queue is the table.
 * One owner's trouble stays that owner's: a row or message that cannot be built, or an
 * outcome that cannot be recorded, is logged, counted (stats.skipped) and held back in
 * memory with backoff, and the pass goes on with the other owners. */
#include "dispatch.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "attribute.h"
#include "log.h"
#include "message.h"
#include "periodic.h"
#include "store_dispatch.h"
#include "store_notify.h"
#include "trend.h"
#include "utf8.h"
#include "utf8json.h"
#include "webhook.h"

#define MAX_DUE       500
#define BUDGET_WINDOW 3600 /* seconds of a rate-limit window */

/* Messages sent to one owner in the current window, keyed by the whole owner name. */
struct owner_budget {
    char *owner;
    int64_t window_start;
    int64_t sent;
};

/* A notification whose group could not be built or recorded: not read again before
 * until, so a failing owner is neither retried every second nor in the way of others. */
struct held {
    int64_t id;
    int64_t until;
    int64_t failures;
};

struct dispatch {
    struct store *store;
    struct writer *writer;
    struct dispatch_options opts;
    struct owner_budget *budgets; /* sorted by owner; expired ones pruned as it grows */
    size_t n_budgets, cap_budgets;
    struct dispatch_stats stats;
    pthread_mutex_t lock;     /* stats and budgets; passes are on the one thread */
    pthread_mutex_t run_lock; /* one pass at a time; guards held */
    struct held *held;
    size_t n_held, cap_held;
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

/* ---- holding back what failed --------------------------------------------------------- */

static struct held *held_find(struct dispatch *dispatch, int64_t id)
{
    for (size_t i = 0; i < dispatch->n_held; i++)
        if (dispatch->held[i].id == id)
            return &dispatch->held[i];
    return NULL;
}

static bool held_now(struct dispatch *dispatch, int64_t id, int64_t now)
{
    struct held *h = dispatch->n_held > 0 ? held_find(dispatch, id) : NULL;
    return h != NULL && h->until > now;
}

/* Active holds: rows the read skips, so it reads that many more. Drops holds whose time
 * is long past (their rows were delivered, resolved or deleted since). */
static size_t held_prune(struct dispatch *dispatch, int64_t now)
{
    size_t kept = 0, active = 0;
    for (size_t i = 0; i < dispatch->n_held; i++) {
        struct held *h = &dispatch->held[i];
        if (h->until + dispatch->opts.backoff_max + BUDGET_WINDOW < now)
            continue;
        active += h->until > now;
        dispatch->held[kept++] = *h;
    }
    dispatch->n_held = kept;
    return active;
}

/* ---- reading what is due ----------------------------------------------------------- */

struct due {
    int64_t id;
    int64_t attempts;
    char *owner;       /* repaired to valid UTF-8; NULL when it could not be copied */
    json_t *finding;   /* NULL when the row could not be built: see error */
    const char *error; /* why finding or owner is NULL (static text) */
};

static void due_release(struct due *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lf_free(items[i].owner);
        json_decref(items[i].finding);
    }
}

/* A JSON string of text column col, repaired to valid UTF-8 (rows an older version stored
 * may hold any bytes); JSON null for SQL NULL; NULL only when allocation fails. */
static json_t *column_text(const struct store_rows *rows, int col)
{
    if (store_col_type(rows, col) == STORE_NULL)
        return json_null();
    const char *text = store_col_text(rows, col);
    return utf8json_string(text != NULL ? text : "", store_col_bytes(rows, col));
}

/* A new copy of text column col repaired to valid UTF-8 (caller frees), or NULL. */
static char *column_copy(const struct store_rows *rows, int col)
{
    const char *text = store_col_text(rows, col);
    size_t len = store_col_bytes(rows, col);
    if (text == NULL)
        return lf_strdup("");
    char *copy = lf_malloc(utf8_sanitized_len(text, len) + 1);
    if (copy != NULL)
        copy[utf8_sanitize(text, len, copy)] = '\0';
    return copy;
}

/* The dashboard link of location id, or JSON null without a dashboard_url. */
static json_t *location_link(const char *dashboard_url, int64_t id)
{
    if (dashboard_url == NULL)
        return json_null();
    int n = snprintf(NULL, 0, "%s/#/location/%lld", dashboard_url, (long long)id);
    char *url = n >= 0 ? lf_malloc((size_t)n + 1) : NULL;
    if (url == NULL)
        return NULL;
    snprintf(url, (size_t)n + 1, "%s/#/location/%lld", dashboard_url, (long long)id);
    json_t *link = utf8json_string(url, (size_t)n);
    lf_free(url);
    return link;
}

/* The source link of path at line from web.source_url, or JSON null when there is none. */
static json_t *source_link(const struct dispatch *dispatch, const char *path, int64_t line)
{
    char url[ATTRIBUTE_URL_MAX];
    if (!attribute_source_url(dispatch->opts.source_url, path, line, url, sizeof(url)))
        return json_null();
    return utf8json_cstr(url);
}

/* The site's repo-relative path: as the ingest stored it, or JSON null. */
static json_t *site_repo_path(const struct store_rows *rows)
{
    const char *path = store_col_text(rows, DUE_REPO_PATH);
    if (path == NULL || path[0] == '\0')
        return json_null();
    return utf8json_string(path, store_col_bytes(rows, DUE_REPO_PATH));
}

/* The culprit of the row's detection (the first in-repo frame of a site outside the repo)
 * with its repo-relative path and source link, or JSON null. */
static json_t *row_culprit(const struct dispatch *dispatch, const struct store_rows *rows)
{
    if (store_col_type(rows, DUE_CULPRIT_FUNCTION) == STORE_NULL)
        return json_null();
    const char *function = store_col_text(rows, DUE_CULPRIT_FUNCTION);
    const char *file = store_col_text(rows, DUE_CULPRIT_FILE);
    size_t function_len = store_col_bytes(rows, DUE_CULPRIT_FUNCTION);
    size_t file_len = store_col_bytes(rows, DUE_CULPRIT_FILE);
    int64_t line = store_col_int(rows, DUE_CULPRIT_LINE);
    struct attribution attr;
    attribute_site(dispatch->opts.attributor, str_make(function ? function : "", function_len),
                   str_make(file ? file : "", file_len), &attr);
    bool has_path = attr.in_repo && attr.path[0] != '\0';
    return json_pack("{s:o, s:o, s:I, s:o, s:o}", "function",
                     utf8json_string(function ? function : "", function_len), "file",
                     utf8json_string(file ? file : "", file_len), "line", (json_int_t)line,
                     "repo_path", has_path ? utf8json_cstr(attr.path) : json_null(), "source_url",
                     has_path ? source_link(dispatch, attr.path, line) : json_null());
}

/* The finding of the current row, or NULL when allocation fails. */
static json_t *row_finding(const struct dispatch *dispatch, const struct store_rows *rows,
                           int64_t id)
{
    int64_t location_id = store_col_int(rows, DUE_LOCATION_ID);
    int64_t count = store_col_int(rows, DUE_COUNT);
    double growth_value = store_col_double(rows, DUE_GROWTH);
    /* jansson has no NaN or infinity: a growth it cannot hold is unknown */
    bool has_growth = store_col_type(rows, DUE_GROWTH) != STORE_NULL && isfinite(growth_value);
    json_t *projection = json_null();
    if (has_growth) {
        double hours = trend_hours_to_reach((double)count, growth_value,
                                            (double)dispatch->opts.projection_target);
        if (hours > 0 && isfinite(hours))
            projection =
                    json_pack("{s:I, s:f}", "target", (json_int_t)dispatch->opts.projection_target,
                              "hours", round(hours * 10) / 10);
    }
    json_t *repo_path = site_repo_path(rows);
    const char *path = json_string_value(repo_path);
    int64_t line = store_col_int(rows, DUE_LINE);
    /* "o" steals every value, also when json_pack fails on a NULL among them */
    return json_pack("{s:I, s:o, s:o, s:I, s:o, s:o, s:I, s:o, s:I, s:o, s:o, s:o, s:o, s:o,"
                     " s:o, s:o, s:o}",
                     "notification_id", (json_int_t)id, "kind", column_text(rows, DUE_KIND),
                     "service", column_text(rows, DUE_SERVICE), "location_id",
                     (json_int_t)location_id, "function", column_text(rows, DUE_FUNCTION), "file",
                     column_text(rows, DUE_FILE), "line", (json_int_t)line, "op",
                     column_text(rows, DUE_OP), "count", (json_int_t)count, "growth_per_hour",
                     has_growth ? json_real(growth_value) : json_null(), "projection", projection,
                     "link", location_link(dispatch->opts.dashboard_url, location_id), "since",
                     store_col_type(rows, DUE_SINCE) == STORE_NULL
                             ? json_null()
                             : json_integer(store_col_int(rows, DUE_SINCE)),
                     "since_version", column_text(rows, DUE_SINCE_VERSION), "repo_path", repo_path,
                     "source_url", path != NULL ? source_link(dispatch, path, line) : json_null(),
                     "culprit", row_culprit(dispatch, rows));
}

/* Reads up to MAX_DUE rows due at now, skipping held ones, into items. A row that cannot
 * be built is still returned, with finding (or owner) NULL and its error, so that it is
 * skipped alone. Fails only when the query fails. */
static int read_due(struct dispatch *dispatch, int64_t now, size_t n_held, struct due *items,
                    size_t *n, struct lf_error *err)
{
    struct store_conn *conn = NULL;
    *n = 0;
    int rc = store_reader_acquire(dispatch->store, &conn, err);
    if (rc != LF_OK)
        return rc;
    struct store_rows rows;
    rc = store_query(conn, DISPATCH_SQL_DUE, &rows, err, "ii", now, (int64_t)(MAX_DUE + n_held));
    while (rc == LF_OK && *n < MAX_DUE && store_row(&rows)) {
        int64_t id = store_col_int(&rows, DUE_ID);
        if (held_now(dispatch, id, now))
            continue;
        struct due *d = &items[(*n)++];
        d->id = id;
        d->attempts = store_col_int(&rows, DUE_ATTEMPTS);
        d->owner = column_copy(&rows, DUE_OWNER);
        d->finding = d->owner != NULL ? row_finding(dispatch, &rows, id) : NULL;
        d->error = d->finding != NULL ? NULL : "out of memory building the finding";
    }
    rc = store_rows_end(&rows, rc, "dispatch", err);
    store_reader_release(dispatch->store, conn);
    return rc;
}

/* ---- recording outcomes ------------------------------------------------------------ */

struct outcome_job {
    const struct due *items;
    size_t n;
    bool delivered;
    bool unrouted;  /* no route: written to the log, nobody told */
    bool postponed; /* rate-limited: only moved later */
    int64_t now;
    int64_t retry_at;
    const char *error;
    const char *text;
    const char *route;
};

static int record_outcome(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct outcome_job *job = ctx;
    int rc = LF_OK;
    for (size_t i = 0; i < job->n && rc == LF_OK; i++) {
        int64_t id = job->items[i].id;
        const char *event = NULL;
        if (job->postponed) {
            rc = store_exec(conn, DISPATCH_SQL_POSTPONE, err, "ii", id, job->retry_at);
            event = "rate limited";
        } else if (job->unrouted) {
            rc = store_exec(conn, DISPATCH_SQL_UNROUTED, err, "iit", id, job->now, job->text);
            event = "no route";
        } else if (job->delivered) {
            rc = store_exec(conn, DISPATCH_SQL_DELIVERED, err, "iit", id, job->now, job->text);
            event = "delivered";
        } else {
            rc = store_exec(conn, DISPATCH_SQL_FAILED, err, "itii", id, job->error, job->retry_at,
                            job->now);
            event = "failed";
        }
        const char *detail = job->delivered || job->unrouted ? job->route : job->error;
        if (rc == LF_OK)
            rc = store_exec(conn, NOTIFY_SQL_EVENT_ADD, err, "iitt", id, job->now, event, detail);
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

/* ---- the per-owner rate limit ------------------------------------------------------- */

/* Index of owner in the sorted budgets, or where it would go (*found false). */
static size_t budget_index(const struct dispatch *dispatch, const char *owner, bool *found)
{
    size_t lo = 0, hi = dispatch->n_budgets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(dispatch->budgets[mid].owner, owner);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* Drops budgets whose window has ended: a fresh one is the same, so only owners sent to
 * within the last hour take memory. */
static void budgets_prune(struct dispatch *dispatch, int64_t now)
{
    size_t kept = 0;
    for (size_t i = 0; i < dispatch->n_budgets; i++) {
        struct owner_budget *b = &dispatch->budgets[i];
        if (now - b->window_start >= BUDGET_WINDOW)
            lf_free(b->owner);
        else
            dispatch->budgets[kept++] = *b;
    }
    dispatch->n_budgets = kept;
}

/* The budget of owner (the whole name), its window restarted when it has ended; NULL only
 * when allocation fails. Call with dispatch->lock held. */
static struct owner_budget *budget_for(struct dispatch *dispatch, const char *owner, int64_t now)
{
    bool found;
    size_t at = budget_index(dispatch, owner, &found);
    if (!found) {
        if (dispatch->n_budgets == dispatch->cap_budgets) {
            budgets_prune(dispatch, now);
            at = budget_index(dispatch, owner, &found);
        }
        if (!LF_ALLOC_GROW(dispatch->budgets, dispatch->n_budgets + 1, dispatch->cap_budgets, 64))
            return NULL;
        char *copy = lf_strdup(owner);
        if (copy == NULL)
            return NULL;
        memmove(&dispatch->budgets[at + 1], &dispatch->budgets[at],
                (dispatch->n_budgets - at) * sizeof(*dispatch->budgets));
        dispatch->budgets[at] = (struct owner_budget){ copy, now, 0 };
        dispatch->n_budgets++;
    }
    struct owner_budget *b = &dispatch->budgets[at];
    if (now - b->window_start >= BUDGET_WINDOW) {
        b->window_start = now;
        b->sent = 0;
    }
    return b;
}

static int64_t backoff(const struct dispatch *dispatch, int64_t attempts)
{
    double delay =
            (double)dispatch->opts.backoff_base * pow(2.0, (double)(attempts < 20 ? attempts : 20));
    if (delay > (double)dispatch->opts.backoff_max)
        delay = (double)dispatch->opts.backoff_max;
    /* Up to a fifth more, so failing owners do not retry in lockstep. */
    delay += delay * 0.2 * ((double)rand() / (double)RAND_MAX);
    return (int64_t)delay;
}

/* ---- delivering ------------------------------------------------------------------------ */

static int64_t max_attempts(const struct due *items, size_t n)
{
    int64_t most = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].attempts > most)
            most = items[i].attempts;
    return most;
}

/* Records a group that could not be built as a failed attempt, due again after backoff,
 * then answers the build error. */
static int build_failed(struct dispatch *dispatch, const struct due *items, size_t n, int64_t now,
                        const char *why, struct lf_error *err)
{
    char reason[160];
    snprintf(reason, sizeof(reason), "message not built: %s", why);
    struct outcome_job job = { .items = items,
                               .n = n,
                               .now = now,
                               .error = reason,
                               .retry_at = now + backoff(dispatch, max_attempts(items, n)) };
    struct lf_error record_err;
    lf_error_clear(&record_err);
    if (writer_run(dispatch->writer, record_outcome, &job, &record_err) != LF_OK)
        log_warn("dispatch: recording a message not built: %s", record_err.msg);
    return lf_fail(err, LF_ENOMEM, "%s", reason);
}

/* Delivers one owner's group items[0..n): LF_OK once its outcome (delivered, failed and
 * due again later, or rate-limited) is recorded. Otherwise err says why the group was
 * skipped; the caller holds it back. */
static int deliver_group(struct dispatch *dispatch, const struct due *items, size_t n, int64_t now,
                         bool *sent, struct lf_error *err)
{
    *sent = false;
    const char *owner = items[0].owner;
    for (size_t i = 0; i < n; i++)
        if (items[i].owner == NULL || items[i].finding == NULL)
            return build_failed(dispatch, items, n, now, items[i].error, err);
    struct outcome_job job = { .items = items, .n = n, .now = now };

    pthread_mutex_lock(&dispatch->lock);
    struct owner_budget *budget = budget_for(dispatch, owner, now);
    bool limited = budget != NULL && dispatch->opts.rate_per_hour > 0 &&
                   budget->sent >= dispatch->opts.rate_per_hour;
    if (limited) {
        dispatch->stats.limited += n;
        job.retry_at = budget->window_start + BUDGET_WINDOW;
    }
    pthread_mutex_unlock(&dispatch->lock);
    if (budget == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory for the rate limit");
    if (limited) {
        job.postponed = true;
        log_warn("dispatch: %s is over %lld messages an hour; %zu held back", owner,
                 (long long)dispatch->opts.rate_per_hour, n);
        return writer_run(dispatch->writer, record_outcome, &job, err);
    }

    json_t *findings = json_array();
    for (size_t i = 0; findings != NULL && i < n; i++)
        if (json_array_append(findings, items[i].finding) != 0) {
            json_decref(findings);
            findings = NULL;
        }
    json_t *message = findings ? message_build(owner, findings) : NULL;
    json_decref(findings);
    char *body = message ? json_dumps(message, JSON_COMPACT) : NULL;
    const char *text = message ? json_string_value(json_object_get(message, "text")) : NULL;
    if (body == NULL || text == NULL) {
        free(body);
        json_decref(message);
        return build_failed(dispatch, items, n, now, "out of memory", err);
    }

    const char *url = route_for(dispatch, owner);
    struct lf_error post_err;
    lf_error_clear(&post_err);
    int post_rc = LF_OK;
    pthread_mutex_lock(&dispatch->lock);
    budget = budget_for(dispatch, owner, now); /* the table may have moved */
    if (budget != NULL)
        budget->sent++;
    pthread_mutex_unlock(&dispatch->lock);
    if (url) {
        long status = 0;
        post_rc = webhook_post_json(url, body, dispatch->opts.timeout_ms, "webhook", &status,
                                    &post_err);
        job.route = url;
    } else if (dispatch->opts.alertmanager) {
        job.route = "alertmanager (no webhook route for the owner)";
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
        job.retry_at = now + backoff(dispatch, max_attempts(items, n));
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

/* Holds items[0..n) back after their group failed: each until a backoff that grows with
 * its consecutive failures. Without memory for the hold, the group is simply due again. */
static void hold_group(struct dispatch *dispatch, const struct due *items, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        struct held *h = held_find(dispatch, items[i].id);
        if (h == NULL) {
            if (!LF_ALLOC_GROW(dispatch->held, dispatch->n_held + 1, dispatch->cap_held, 16)) {
                log_warn("dispatch: out of memory holding back notification %lld",
                         (long long)items[i].id);
                continue;
            }
            h = &dispatch->held[dispatch->n_held++];
            *h = (struct held){ items[i].id, now, 0 };
        }
        h->until = now + backoff(dispatch, h->failures);
        h->failures++;
    }
}

static void unhold_group(struct dispatch *dispatch, const struct due *items, size_t n)
{
    for (size_t i = 0; i < n && dispatch->n_held > 0; i++) {
        struct held *h = held_find(dispatch, items[i].id);
        if (h != NULL)
            *h = dispatch->held[--dispatch->n_held];
    }
}

static bool same_owner(const struct due *a, const struct due *b)
{
    if (a->owner == NULL || b->owner == NULL)
        return a->owner == b->owner;
    return strcmp(a->owner, b->owner) == 0;
}

/* Moves the rows of items[0..n) that could not be built after the others (keeping the
 * order of each part); returns how many were built. */
static size_t partition_built(struct due *items, size_t n)
{
    size_t built = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].finding == NULL)
            continue;
        struct due d = items[i];
        memmove(&items[built + 1], &items[built], (i - built) * sizeof(*items));
        items[built++] = d;
    }
    return built;
}

/* Delivers one group, or skips it: logged, counted and held back. */
static void deliver_or_skip(struct dispatch *dispatch, const struct due *items, size_t n,
                            int64_t now, size_t *sent)
{
    if (n == 0)
        return;
    struct lf_error err;
    lf_error_clear(&err);
    bool group_sent = false;
    if (deliver_group(dispatch, items, n, now, &group_sent, &err) == LF_OK) {
        unhold_group(dispatch, items, n);
        *sent += group_sent;
        return;
    }
    hold_group(dispatch, items, n, now);
    pthread_mutex_lock(&dispatch->lock);
    dispatch->stats.skipped++;
    pthread_mutex_unlock(&dispatch->lock);
    log_warn("dispatch: %s: %s; %zu notification%s skipped, the other owners go on",
             items[0].owner != NULL ? items[0].owner : "(owner unreadable)", err.msg, n,
             n == 1 ? "" : "s");
}

int dispatch_run_once(struct dispatch *dispatch, int64_t now, size_t *sent, struct lf_error *err)
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
    size_t n_held = held_prune(dispatch, now);
    int rc = read_due(dispatch, now, n_held, items, &n, err);
    for (size_t start = 0; rc == LF_OK && start < n;) {
        size_t end = start + 1;
        while (end < n && same_owner(&items[end], &items[start]))
            end++;
        /* rows that could not be built go apart, so the owner's others still go out */
        size_t built = items[start].owner != NULL ? partition_built(items + start, end - start) : 0;
        deliver_or_skip(dispatch, items + start, built, now, sent);
        deliver_or_skip(dispatch, items + start + built, end - start - built, now, sent);
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

int dispatch_create(struct store *store, struct writer *writer, const struct dispatch_options *opts,
                    struct dispatch **out, struct lf_error *err)
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
    for (size_t i = 0; i < dispatch->n_budgets; i++)
        lf_free(dispatch->budgets[i].owner);
    lf_free(dispatch->budgets);
    lf_free(dispatch->held);
    pthread_mutex_destroy(&dispatch->lock);
    pthread_mutex_destroy(&dispatch->run_lock);
    lf_free(dispatch);
}
