/* detect.c - the detection pass: candidates, per-instance series, trend verdicts, the
 * detections table and the in-memory verdicts the query judge reads. Reads run on reader
 * connections beside ingest, the services' series judged on detect.threads threads with a
 * reader each; the single write of a pass is one writer job. Cost per
 * pass: one history query per service (per SITES_PER_READ candidate sites), an index range
 * over the service's profiles in the history with each profile's samples at the candidate
 * sites; the series of each site are built from it in memory; trend.h bounds the
 * arithmetic per segment. */
#include "detect.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "attribute.h"
#include "classify.h"
#include "hash.h"
#include "log.h"
#include "periodic.h"
#include "store_detect.h"
#include "utf8json.h"

/* The load fit reads the profiles of one minute in this many from before the window. */
#define LOAD_HISTORY_THINNING 7

/* Candidate sites of a service read together: the counts they hold in memory are
 * SITES_PER_READ x the service's profiles in the history. */
#define SITES_PER_READ 64

#define MAX_STACK_FRAMES 64

struct verdict_set {
    struct detect_verdict *items;
    size_t len;
    size_t cap;
};

struct detect {
    struct store *store;
    struct writer *writer;
    struct detect_options opts;

    size_t threads;              /* workers of a pass: opts.threads, or the CPUs (at most 4) */
    pthread_mutex_t pass_lock;   /* one pass at a time */
    pthread_mutex_t suppressing; /* opts.suppress answers in a buffer of its own */
    pthread_mutex_t lock;        /* guards verdicts */
    struct verdict_set verdicts; /* sorted by (service, location_id) */

    struct periodic thread; /* runs passes every opts.interval */

    /* /api/v1/trends for another window than the detection's: the last answer, reused
     * for one detection interval (guarded by lock) */
    json_t *trends_cached;
    int64_t trends_window;
    size_t trends_limit;
    int64_t trends_at;
};

void detect_options_default(struct detect_options *opts)
{
    *opts = (struct detect_options){
        .threshold = 100,
        .window = 6 * 3600,
        .load_history = 30 * 3600,
        .live_window = 300,
        .interval = 30,
        .trend = trend_params_default(),
    };
}

static void verdict_release(struct detect_verdict *v)
{
    lf_free(v->service);
    lf_free(v->function);
    lf_free(v->file);
    lf_free(v->op);
    lf_free(v->since_version);
    lf_free((char *)(uintptr_t)v->owner);
    lf_free((char *)(uintptr_t)v->suppressed);
    lf_free(v->reason);
    json_decref(v->instances);
    lf_free(v->culprit_function);
    lf_free(v->culprit_file);
    lf_free(v->culprit_owner);
}

static void verdict_set_clear(struct verdict_set *set)
{
    for (size_t i = 0; i < set->len; i++)
        verdict_release(&set->items[i]);
    lf_free(set->items);
    *set = (struct verdict_set){ 0 };
}

static struct detect_verdict *verdict_set_push(struct verdict_set *set)
{
    if (!LF_ALLOC_GROW(set->items, set->len + 1, set->cap, 64))
        return NULL;
    struct detect_verdict *v = &set->items[set->len++];
    *v = (struct detect_verdict){ 0 };
    return v;
}

static int compare_verdict(const void *a, const void *b)
{
    const struct detect_verdict *x = a, *y = b;
    int c = strcmp(x->service, y->service);
    if (c)
        return c;
    return (x->location_id > y->location_id) - (x->location_id < y->location_id);
}

static bool op_in_list(const char *op, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(op, list[i]) == 0)
            return true;
    return false;
}

/* ---- reading one site's series --------------------------------------------------- */

struct series_buffer {
    struct trend_sample *samples;
    size_t len, cap;
    struct trend_series *series;
    char **names; /* instance name of each series, owned */
    size_t n_series, series_cap;
};

static void series_buffer_clear_names(struct series_buffer *buf)
{
    for (size_t i = 0; i < buf->n_series; i++)
        lf_free(buf->names[i]);
    buf->n_series = 0;
}

static bool series_buffer_push(struct series_buffer *buf, const struct trend_sample *sample)
{
    if (!LF_ALLOC_GROW(buf->samples, buf->len + 1, buf->cap, 256))
        return false;
    buf->samples[buf->len++] = *sample;
    return true;
}

static bool series_buffer_mark(struct series_buffer *buf, size_t start, const char *name)
{
    /* series and names share one capacity */
    size_t cap = buf->series_cap, names_cap = buf->series_cap;
    if (!LF_ALLOC_GROW(buf->series, buf->n_series + 1, cap, 16) ||
        !LF_ALLOC_GROW(buf->names, buf->n_series + 1, names_cap, 16))
        return false;
    buf->series_cap = cap;
    char *copy = lf_strdup(name ? name : "");
    if (!copy)
        return false;
    /* samples may still move: keep the start index in the pointer slot's place */
    buf->names[buf->n_series] = copy;
    buf->series[buf->n_series++] = (struct trend_series){ NULL, start };
    return true;
}

/* ---- reading a service's history ------------------------------------------------- */

/* One profile of the history, as every site's series sees it. */
struct history_profile {
    int64_t id, instance, ts, last_push, started;
    double total, busy;
    uint64_t version;
    size_t name;  /* offset of the instance's name in history.names */
    size_t index; /* position in read order */
};

/* The profiles of one service in the history and their counts at up to SITES_PER_READ
 * candidate sites (locations[0..n_sites), ascending). */
struct history {
    struct history_profile *profiles;
    size_t n, cap;
    char *names;
    size_t names_len, names_cap;
    const int64_t *locations;
    size_t n_sites;
    /* read order: (profile index, site, count, confirmed) of each candidate sample */
    struct history_sample {
        size_t profile, site;
        int64_t count;
        bool confirmed;
    } * samples;
    size_t n_samples, samples_cap;
    size_t *order; /* read index -> sorted index */
    size_t order_cap;
};

static void history_release(struct history *h)
{
    lf_free(h->profiles);
    lf_free(h->names);
    lf_free(h->samples);
    lf_free(h->order);
}

static int compare_history_profile(const void *a, const void *b)
{
    const struct history_profile *x = a, *y = b;
    if (x->instance != y->instance)
        return x->instance < y->instance ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return 0;
}

static bool history_site(const struct history *h, int64_t location, size_t *site)
{
    size_t lo = 0, hi = h->n_sites;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->locations[mid] < location)
            lo = mid + 1;
        else
            hi = mid;
    }
    *site = lo;
    return lo < h->n_sites && h->locations[lo] == location;
}

/* Reads the service's profiles in the history (the window in full, and the window's hours
 * a day before, which the trend compares it with point by point; elsewhere, back to
 * load_history, the profiles of one minute in LOAD_HISTORY_THINNING for the load fit and
 * the leaks' onsets: a prime, so a push every 1 to 6, 15, 30 or 60 minutes never falls in
 * step with it, and the same profiles are read whatever the order they were stored in) with
 * their samples at h's sites, in one statement, and sorts them as each site's series runs:
 * by instance, time and id. */
static int read_history(struct store_conn *conn, const struct detect_options *opts, int64_t now,
                        int64_t window, int64_t service_id, struct history *h, struct lf_error *err)
{
    h->n = 0;
    h->names_len = 0;
    h->n_samples = 0;
    int64_t history = opts->load_history > window ? opts->load_history : window;
    struct store_rows rows;
    int rc = store_query(conn, DETECT_SQL_HISTORY, &rows, err, "iiiiiiii", service_id,
                         now - history, now - window, (int64_t)LOAD_HISTORY_THINNING,
                         h->locations[0], h->locations[h->n_sites - 1],
                         now - window - TREND_DAY_BEFORE, now - TREND_DAY_BEFORE);
    while (rc == LF_OK && store_row(&rows)) {
        int64_t id = store_col_int(&rows, 0);
        if (h->n == 0 || h->profiles[h->n - 1].id != id) {
            const char *name = store_col_text(&rows, 8);
            size_t len = name ? store_col_bytes(&rows, 8) : 0;
            if (!LF_ALLOC_GROW(h->profiles, h->n + 1, h->cap, 256) ||
                !LF_ALLOC_GROW(h->names, h->names_len + len + 1, h->names_cap, 4096)) {
                rc = lf_fail(err, LF_ENOMEM, "detect: out of memory");
                break;
            }
            if (len > 0)
                memcpy(h->names + h->names_len, name, len);
            h->names[h->names_len + len] = '\0';
            const char *version = store_col_text(&rows, 7);
            h->profiles[h->n] = (struct history_profile){
                .id = id,
                .instance = store_col_int(&rows, 1),
                .ts = store_col_int(&rows, 2),
                .total = (double)store_col_int(&rows, 3),
                .last_push = store_col_int(&rows, 4),
                .busy = (double)store_col_int(&rows, 5),
                .started = store_col_int(&rows, 6),
                .version = version ? hash_mix(version, store_col_bytes(&rows, 7), 1) : 0,
                .name = h->names_len,
                .index = h->n,
            };
            h->names_len += len + 1;
            h->n++;
        }
        size_t site;
        if (store_col_type(&rows, 9) == STORE_NULL ||
            !history_site(h, store_col_int(&rows, 9), &site))
            continue;
        if (!LF_ALLOC_GROW(h->samples, h->n_samples + 1, h->samples_cap, 1024)) {
            rc = lf_fail(err, LF_ENOMEM, "detect: out of memory");
            break;
        }
        h->samples[h->n_samples++] = (struct history_sample){
            .profile = h->profiles[h->n - 1].index,
            .site = site,
            .count = store_col_int(&rows, 10),
            .confirmed = store_col_int(&rows, 11) != 0,
        };
    }
    rc = store_rows_end(&rows, rc, "detect: read history", err);
    if (rc != LF_OK || h->n == 0)
        return rc;
    qsort(h->profiles, h->n, sizeof(*h->profiles), compare_history_profile);
    /* A profile read twice (not in consecutive rows) is one: every read index maps to the
     * first of its sorted copies, which alone the series take. */
    if (!LF_ALLOC_GROW(h->order, h->n, h->order_cap, 256))
        return lf_fail(err, LF_ENOMEM, "detect: out of memory");
    for (size_t i = 0, first = 0; i < h->n; i++) {
        if (i == 0 || h->profiles[i].id != h->profiles[first].id)
            first = i;
        h->order[h->profiles[i].index] = first;
    }
    return LF_OK;
}

/* Builds one trend series per instance for site (an index of h's sites) from h and its
 * counts there (counts[h->n], confirmed[h->n], by sorted index), and fills v->count /
 * confirmed from each live instance's latest profile. */
static int site_series(const struct history *h, const int64_t *counts, const bool *confirmed,
                       const struct detect_options *opts, int64_t now, struct detect_verdict *v,
                       struct series_buffer *buf, struct lf_error *err)
{
    buf->len = 0;
    series_buffer_clear_names(buf);
    int64_t instance = -1, last_push = 0;
    struct trend_sample latest = { 0 };
    bool latest_confirmed = false;
    for (size_t i = 0; i < h->n; i++) {
        const struct history_profile *p = &h->profiles[i];
        if (i > 0 && p->id == h->profiles[i - 1].id)
            continue;
        struct trend_sample sample = {
            .ts = p->ts,
            .count = (double)counts[i],
            .total = p->total,
            .busy = p->busy,
            .started = p->started,
            .version = p->version,
        };
        if (p->instance != instance) {
            if (instance >= 0 && last_push >= now - opts->live_window) {
                v->count += (int64_t)latest.count;
                v->confirmed = v->confirmed || latest_confirmed;
            }
            instance = p->instance;
            if (!series_buffer_mark(buf, buf->len, h->names + p->name))
                return lf_fail(err, LF_ENOMEM, "detect: out of memory");
        }
        latest = sample;
        latest_confirmed = confirmed[i];
        last_push = p->last_push;
        if (!series_buffer_push(buf, &sample))
            return lf_fail(err, LF_ENOMEM, "detect: out of memory");
    }
    if (instance >= 0 && last_push >= now - opts->live_window) {
        v->count += (int64_t)latest.count;
        v->confirmed = v->confirmed || latest_confirmed;
    }
    /* Turn start indexes into views now that the samples no longer move. */
    for (size_t i = 0; i < buf->n_series; i++) {
        size_t start = buf->series[i].n_samples;
        size_t end = i + 1 < buf->n_series ? buf->series[i + 1].n_samples : buf->len;
        buf->series[i].samples = buf->samples + start;
        buf->series[i].n_samples = end - start;
    }
    return LF_OK;
}

static void free_frames(struct stack_frame *frames, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lf_free((char *)(uintptr_t)frames[i].function.p);
        lf_free((char *)(uintptr_t)frames[i].file.p);
    }
}

/* Loads the representative stack of a location into frames (at most cap; strings owned
 * by copies the caller frees through free_frames) and sets *n. LF_ENOMEM when a copy
 * fails, with nothing loaded: a stack cut short would name another culprit or miss a
 * suppression. */
static int read_stack(struct store_conn *conn, int64_t location_id, struct stack_frame *frames,
                      size_t cap, size_t *n)
{
    struct store_rows rows;
    struct lf_error ignored;
    int rc = LF_OK;
    *n = 0;
    if (store_query(conn, DETECT_SQL_STACK, &rows, &ignored, "i", location_id) != LF_OK)
        return LF_OK; /* as a step that fails: no frames */
    while (*n < cap && store_row(&rows)) {
        const char *function = store_col_text(&rows, 0);
        const char *file = store_col_text(&rows, 1);
        char *f = lf_strdup(function ? function : "");
        char *g = lf_strdup(file ? file : "");
        if (!f || !g) {
            lf_free(f);
            lf_free(g);
            free_frames(frames, *n);
            *n = 0;
            rc = LF_ENOMEM;
            break;
        }
        frames[*n].function = (struct str){ f, strlen(f) };
        frames[*n].file = (struct str){ g, strlen(g) };
        frames[*n].line = store_col_int(&rows, 2);
        (*n)++;
    }
    store_rows_end(&rows, LF_OK, "detect: read stack", &ignored);
    return rc;
}

/* Whether op can be suspect: detect.ops when given, else the blocking synchronisation
 * ops. */
static bool op_monitored(const struct detect_options *opts, const char *op)
{
    if (opts->ops)
        return op_in_list(op, opts->ops, opts->n_ops);
    enum op_kind kind;
    return op_from_name(str_from_cstr(op), &kind) && op_can_leak(kind);
}

static char *format_time(int64_t ts, char *buf, size_t size)
{
    time_t t = (time_t)ts;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)ts);
    return buf;
}

/* Why a site that is not suspect is not: the first of not in the repo, op not watched,
 * too small, and the trend's own reason. */
static char *not_suspect_reason(const struct detect_options *opts, const struct detect_verdict *v,
                                const struct trend_result *trend)
{
    char text[256], when[32];
    if (!v->in_repo && !v->culprit_function)
        snprintf(text, sizeof(text), "not in the repo");
    else if (!v->monitored)
        snprintf(text, sizeof(text), "op not monitored: %s", v->op);
    else if (v->count < opts->threshold)
        snprintf(text, sizeof(text), "below threshold (%lld < %lld)", (long long)v->count,
                 (long long)opts->threshold);
    else if (trend->reason == TREND_NOT_GROWING)
        snprintf(text, sizeof(text), "not growing (p=%.2g)", trend->p_value);
    else if (trend->reason == TREND_PLATEAU)
        snprintf(text, sizeof(text), "plateau since %s",
                 format_time(trend->plateau_since, when, sizeof(when)));
    else if (trend->reason == TREND_BELOW_MINIMUM)
        snprintf(text, sizeof(text), "growth below the minimum (%.3g/h)", trend->growth_per_hour);
    else if (trend->reason == TREND_AS_DAY_BEFORE)
        snprintf(text, sizeof(text), "no higher than a day before (z=%.2g)", trend->day_before_z);
    else
        snprintf(text, sizeof(text), "%s", trend_reason_name(trend->reason));
    return lf_strdup(text);
}

/* For a site outside the repo: the first in-repo frame of its representative stack (the
 * code that called into the library and is stuck there), with that frame's owner, else
 * the service's. The verdict's owner becomes the culprit's. */
static int find_culprit(const struct attributor *attributor, struct store_conn *conn,
                        struct detect_verdict *v)
{
    struct stack_frame frames[MAX_STACK_FRAMES];
    size_t n = 0;
    int rc = read_stack(conn, v->location_id, frames, MAX_STACK_FRAMES, &n);
    for (size_t i = 0; i < n; i++) {
        struct attribution attr;
        attribute_site(attributor, frames[i].function, frames[i].file, &attr);
        if (!attr.in_repo)
            continue;
        v->culprit_function = lf_strdup(frames[i].function.p);
        v->culprit_file = lf_strdup(frames[i].file.p);
        v->culprit_line = frames[i].line;
        if (attr.owner) {
            lf_free(v->culprit_owner);
            v->culprit_owner = lf_strdup(attr.owner);
        }
        if (!v->culprit_function || !v->culprit_file || (attr.owner && !v->culprit_owner)) {
            rc = LF_ENOMEM;
            break;
        }
        if (v->culprit_owner) {
            lf_free((char *)(uintptr_t)v->owner);
            v->owner = lf_strdup(v->culprit_owner);
            if (!v->owner)
                rc = LF_ENOMEM;
        }
        break;
    }
    free_frames(frames, n);
    return rc;
}

/* The culprit as JSON, or null. */
static json_t *culprit_json(const struct detect_verdict *v)
{
    if (!v->culprit_function)
        return json_null();
    return json_pack("{s:o, s:o, s:I, s:o}", "function", utf8json_cstr(v->culprit_function), "file",
                     utf8json_cstr(v->culprit_file), "line", (json_int_t)v->culprit_line, "owner",
                     utf8json_cstr(v->culprit_owner));
}

/* The names of the leaking instances as a JSON array. */
static json_t *leaking_instances(const struct trend_result *trend, const struct series_buffer *buf)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < trend->n_instances && i < buf->n_series; i++) {
        if (!trend->instances[i].leaking)
            continue;
        if (json_array_append_new(list, utf8json_cstr(buf->names[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

static int judge_site(struct detect *detect, struct store_conn *conn, const char *op, int64_t now,
                      struct detect_verdict *v, const struct trend_result *trend,
                      const struct series_buffer *buf)
{
    const struct detect_options *opts = &detect->opts;
    v->has_growth = trend->n_segments > 0;
    v->growth_per_hour = trend->growth_per_hour;
    v->p_value = trend->p_value;
    v->growing = trend->growing;
    v->since = trend->since;
    v->segments = trend->n_segments;
    v->samples = trend->n_samples;
    v->monitored = op_monitored(opts, op);
    if (!v->in_repo && opts->attributor && find_culprit(opts->attributor, conn, v) != LF_OK)
        return LF_ENOMEM;
    bool ours = v->in_repo || v->culprit_function != NULL;
    if (trend->n_leaking > 0) {
        v->instances = leaking_instances(trend, buf);
        if (!v->instances)
            return LF_ENOMEM;
    }

    bool suspect = (ours && v->monitored && v->count >= opts->threshold && v->growing) ||
                   (v->confirmed && v->count > 0);
    if (suspect && opts->suppress) {
        struct stack_frame frames[MAX_STACK_FRAMES];
        size_t n = 0;
        if (read_stack(conn, v->location_id, frames, MAX_STACK_FRAMES, &n) != LF_OK)
            return LF_ENOMEM;
        struct stack rep = {
            .count = v->count,
            .goroutine_id = -1,
            .wait_reason = { op, strlen(op) },
            .wait_minutes = -1,
            .frames = frames,
            .n_frames = n,
        };
        pthread_mutex_lock(&detect->suppressing);
        const char *reason = opts->suppress(opts->suppress_ctx, v->service, &rep, op, now);
        bool lost = false;
        if (reason) {
            v->suppressed = lf_strdup(reason);
            lost = v->suppressed == NULL;
        }
        pthread_mutex_unlock(&detect->suppressing);
        free_frames(frames, n);
        if (lost)
            return LF_ENOMEM;
        if (v->suppressed) {
            suspect = false;
            char text[300];
            snprintf(text, sizeof(text), "suppressed: %s", v->suppressed);
            v->reason = lf_strdup(text);
            if (!v->reason)
                return LF_ENOMEM;
        }
    }
    v->suspect = suspect;
    if (!suspect && !v->reason) {
        v->reason = not_suspect_reason(opts, v, trend);
        if (!v->reason)
            return LF_ENOMEM;
    }
    return LF_OK;
}

/* Judges one site from its series, and names the version its growth began in. */
static int judge_series(struct detect *detect, struct store_conn *conn, int64_t now, int64_t window,
                        struct detect_verdict *v, const struct series_buffer *buf,
                        struct lf_error *err)
{
    struct trend_result trend;
    struct trend_params params = detect->opts.trend;
    params.window = window;
    int rc = trend_analyze(buf->series, buf->n_series, &params, &trend, err);
    if (rc != LF_OK)
        return rc;
    rc = judge_site(detect, conn, v->op, now, v, &trend, buf);
    trend_result_release(&trend);
    if (rc != LF_OK)
        return lf_fail(err, rc, "detect: out of memory");
    if (!v->since)
        return LF_OK;
    struct store_rows rows;
    struct lf_error ignored;
    bool lost = false;
    /* as before: a read that fails leaves the version unnamed */
    if (store_query(conn, DETECT_SQL_SINCE_VERSION, &rows, &ignored, "iii", v->service_id,
                    v->location_id, v->since) == LF_OK &&
        store_row(&rows) && store_col_text(&rows, 0)) {
        v->since_version = lf_strdup(store_col_text(&rows, 0));
        lost = v->since_version == NULL;
    }
    store_rows_end(&rows, LF_OK, "detect: read since version", &ignored);
    if (lost)
        return lf_fail(err, LF_ENOMEM, "detect: out of memory");
    return LF_OK;
}

/* The judging of a pass, shared by its workers: each takes the next run of candidate sites
 * of one service (at most SITES_PER_READ) and fills their verdicts in place, so the set
 * comes out the same whatever thread judged which run. */
struct pass_work {
    struct detect *detect;
    int64_t now, window;
    struct verdict_set *set;
    pthread_mutex_t lock; /* guards next, rc and err */
    size_t next;          /* the first site of the next run */
    int rc;               /* the first failure; the other workers stop at their next run */
    struct lf_error err;
};

/* Takes the next run [*first, *end) of sites of one service: false when none is left or
 * a worker failed. */
static bool pass_next_run(struct pass_work *work, size_t *first, size_t *end)
{
    const struct verdict_set *set = work->set;
    pthread_mutex_lock(&work->lock);
    bool more = work->rc == LF_OK && work->next < set->len;
    if (more) {
        *first = work->next;
        *end = *first + 1;
        while (*end < set->len && *end - *first < SITES_PER_READ &&
               set->items[*end].service_id == set->items[*first].service_id)
            (*end)++;
        work->next = *end;
    }
    pthread_mutex_unlock(&work->lock);
    return more;
}

/* Judges runs of work on conn until none is left; the first failure is work's. */
static void pass_judge(struct pass_work *work, struct store_conn *conn)
{
    struct detect *detect = work->detect;
    struct verdict_set *set = work->set;
    struct series_buffer buf = { 0 };
    struct history hist = { 0 };
    int64_t locations[SITES_PER_READ];
    int64_t *counts = NULL;
    bool *confirmed = NULL;
    size_t counts_cap = 0, confirmed_cap = 0;
    struct lf_error err;
    lf_error_clear(&err);
    int rc = LF_OK;
    size_t first, end;
    while (rc == LF_OK && pass_next_run(work, &first, &end)) {
        /* a run of candidate sites of one service, read in one history query */
        size_t n_sites = end - first;
        for (size_t k = 0; k < n_sites; k++)
            locations[k] = set->items[first + k].location_id;
        hist.locations = locations;
        hist.n_sites = n_sites;
        rc = read_history(conn, &detect->opts, work->now, work->window,
                          set->items[first].service_id, &hist, &err);
        if (rc != LF_OK)
            break;
        size_t cells = n_sites * hist.n;
        /* at least one cell, so that the views below never offset a null pointer */
        if (!LF_ALLOC_GROW(counts, cells + 1, counts_cap, 1024) ||
            !LF_ALLOC_GROW(confirmed, cells + 1, confirmed_cap, 1024)) {
            rc = lf_fail(&err, LF_ENOMEM, "detect: out of memory");
            break;
        }
        memset(counts, 0, cells * sizeof(*counts));
        memset(confirmed, 0, cells * sizeof(*confirmed));
        for (size_t k = 0; k < hist.n_samples; k++) {
            const struct history_sample *sm = &hist.samples[k];
            size_t cell = sm->site * hist.n + hist.order[sm->profile];
            counts[cell] = sm->count;
            confirmed[cell] = sm->confirmed;
        }
        for (size_t k = 0; k < n_sites && rc == LF_OK; k++) {
            struct detect_verdict *v = &set->items[first + k];
            rc = site_series(&hist, counts + k * hist.n, confirmed + k * hist.n, &detect->opts,
                             work->now, v, &buf, &err);
            if (rc == LF_OK)
                rc = judge_series(detect, conn, work->now, work->window, v, &buf, &err);
        }
    }
    if (rc != LF_OK) {
        pthread_mutex_lock(&work->lock);
        if (work->rc == LF_OK) {
            work->rc = rc;
            work->err = err;
        }
        pthread_mutex_unlock(&work->lock);
    }
    history_release(&hist);
    lf_free(counts);
    lf_free(confirmed);
    series_buffer_clear_names(&buf);
    lf_free(buf.samples);
    lf_free(buf.series);
    lf_free(buf.names);
}

struct pass_worker {
    pthread_t thread;
    struct pass_work *work;
    struct store_conn *conn;
};

static void *pass_worker_main(void *arg)
{
    struct pass_worker *worker = arg;
    pass_judge(worker->work, worker->conn);
    return NULL;
}

/* Reads and judges every candidate into set: the candidates on conn, then their series on
 * detect->threads workers, the calling thread one of them on conn and each other on a
 * reader of its own. A worker starts only while a reader beside it stays free for API
 * requests (store_reader_try_acquire), so a busy pool gets a pass on fewer threads. */
static int read_verdicts(struct detect *detect, struct store_conn *conn, int64_t now,
                         int64_t window, struct verdict_set *set, struct lf_error *err)
{
    struct store_rows rows;
    int rc = store_query(conn, DETECT_SQL_CANDIDATES, &rows, err, "i", now - window);
    while (rc == LF_OK && store_row(&rows)) {
        struct detect_verdict *v = verdict_set_push(set);
        if (!v) {
            rc = lf_fail(err, LF_ENOMEM, "detect: out of memory");
            break;
        }
        const char *service = store_col_text(&rows, 1);
        const char *op = store_col_text(&rows, 3);
        const char *owner = store_col_text(&rows, 6);
        v->service_id = store_col_int(&rows, 0);
        v->location_id = store_col_int(&rows, 2);
        v->in_repo = store_col_int(&rows, 5) != 0;
        v->service = lf_strdup(service ? service : "");
        v->owner = owner ? lf_strdup(owner) : NULL;
        const char *function = store_col_text(&rows, 7);
        const char *file = store_col_text(&rows, 8);
        v->function = lf_strdup(function ? function : "");
        v->file = lf_strdup(file ? file : "");
        v->op = lf_strdup(op ? op : "");
        v->line = store_col_int(&rows, 9);
        const char *service_owner = store_col_text(&rows, 10);
        if (!v->in_repo && service_owner) {
            /* kept for a culprit frame without an owner of its own */
            v->culprit_owner = lf_strdup(service_owner);
            if (!v->culprit_owner) {
                rc = lf_fail(err, LF_ENOMEM, "detect: out of memory");
                break;
            }
        }
        v->is_channel = store_col_int(&rows, 4) != 0;
        if (!v->service || (owner && !v->owner) || !v->function || !v->file || !v->op) {
            rc = lf_fail(err, LF_ENOMEM, "detect: out of memory");
            break;
        }
    }
    /* Every read below is its own short transaction, so checkpoints can reset the WAL
     * between them however long the pass takes. */
    rc = store_rows_end(&rows, rc, "detect: read candidates", err);
    if (rc != LF_OK)
        return rc;
    struct pass_work work = {
        .detect = detect, .now = now, .window = window, .set = set, .rc = LF_OK
    };
    pthread_mutex_init(&work.lock, NULL);
    struct pass_worker workers[DETECT_MAX_THREADS];
    size_t n_workers = 0;
    while (set->len > 0 && n_workers + 1 < detect->threads) {
        struct pass_worker *worker = &workers[n_workers];
        *worker = (struct pass_worker){ .work = &work };
        if (!store_reader_try_acquire(detect->store, 1, &worker->conn))
            break;
        if (pthread_create(&worker->thread, NULL, pass_worker_main, worker) != 0) {
            store_reader_release(detect->store, worker->conn);
            break;
        }
        n_workers++;
    }
    pass_judge(&work, conn);
    for (size_t i = 0; i < n_workers; i++) {
        pthread_join(workers[i].thread, NULL);
        store_reader_release(detect->store, workers[i].conn);
    }
    pthread_mutex_destroy(&work.lock);
    if (work.rc != LF_OK) {
        if (err)
            *err = work.err;
        return work.rc;
    }
    return LF_OK;
}

/* ---- writing the pass ------------------------------------------------------------ */

struct write_job {
    struct detect *detect;
    const struct verdict_set *set;
    int64_t now;
};

static int write_verdicts(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct write_job *job = ctx;
    int rc = LF_OK;
    for (size_t i = 0; i < job->set->len && rc == LF_OK; i++) {
        const struct detect_verdict *v = &job->set->items[i];
        char *instances = v->instances ? json_dumps(v->instances, JSON_COMPACT) : NULL;
        const char *culprit = v->culprit_function;
        rc = store_exec(conn, DETECT_SQL_UPSERT, err, "iiiddiiitiiiitttttiti", v->service_id,
                        v->location_id, v->count, v->growth_per_hour, v->p_value,
                        (int64_t)v->growing, (int64_t)v->confirmed, (int64_t)v->suspect,
                        v->suppressed, v->since, (int64_t)v->segments, (int64_t)v->samples,
                        job->now, v->since_version, v->reason, instances, culprit,
                        culprit ? v->culprit_file : NULL, v->culprit_line,
                        culprit ? v->culprit_owner : NULL, (int64_t)v->has_growth);
        free(instances); /* jansson's allocation */
        if (rc != LF_OK)
            lf_error_prefix(err, "detect: write verdict");
    }
    if (rc == LF_OK) {
        rc = store_exec(conn, DETECT_SQL_DELETE_STALE, err, "i", job->now);
        if (rc != LF_OK)
            lf_error_prefix(err, "detect: drop stale verdicts");
    }
    if (rc == LF_OK && job->detect->opts.after_pass)
        rc = job->detect->opts.after_pass(job->detect->opts.after_ctx, conn, job->set->items,
                                          job->set->len, job->now, err);
    return rc;
}

/* One line per pass: how many sites were judged, how many are suspect, how long it took. */
static void log_pass(struct detect *detect, const struct timespec *started)
{
    struct timespec done;
    clock_gettime(CLOCK_MONOTONIC, &done);
    size_t verdicts = 0, suspects = 0;
    detect_counts(detect, &verdicts, &suspects);
    char sites[24], suspect[24], ms[32], window[24];
    snprintf(sites, sizeof(sites), "%zu", verdicts);
    snprintf(suspect, sizeof(suspect), "%zu", suspects);
    snprintf(ms, sizeof(ms), "%.1f",
             (double)(done.tv_sec - started->tv_sec) * 1e3 +
                     (double)(done.tv_nsec - started->tv_nsec) / 1e6);
    snprintf(window, sizeof(window), "%lld", (long long)detect->opts.window);
    log_fields(LOG_LEVEL_INFO, "detection pass", "sites", sites, "suspects", suspect, "duration_ms",
               ms, "window_s", window, (const char *)NULL);
}

int detect_run(struct detect *detect, int64_t now, struct lf_error *err)
{
    if (now == 0)
        now = (int64_t)time(NULL);
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    pthread_mutex_lock(&detect->pass_lock);
    struct verdict_set set = { 0 };
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(detect->store, &conn, err);
    if (rc != LF_OK)
        goto out;
    rc = read_verdicts(detect, conn, now, detect->opts.window, &set, err);
    store_reader_release(detect->store, conn);
    if (rc != LF_OK)
        goto out;
    if (set.len > 0)
        qsort(set.items, set.len, sizeof(*set.items), compare_verdict);

    struct write_job job = { detect, &set, now };
    rc = writer_run(detect->writer, write_verdicts, &job, err);
    if (rc != LF_OK)
        goto out;

    pthread_mutex_lock(&detect->lock);
    struct verdict_set old = detect->verdicts;
    detect->verdicts = set;
    set = old;
    pthread_mutex_unlock(&detect->lock);
    log_pass(detect, &started);
out:
    verdict_set_clear(&set);
    pthread_mutex_unlock(&detect->pass_lock);
    return rc;
}

/* ---- the thread, the judge ------------------------------------------------------- */

static void detect_pass(void *ctx)
{
    struct detect *detect = ctx;
    struct lf_error err;
    lf_error_clear(&err);
    if (detect_run(detect, 0, &err) != LF_OK)
        log_warn("detect: pass failed: %s", err.msg);
}

size_t detect_threads(const struct detect_options *opts)
{
    if (opts->threads > 0)
        return opts->threads < DETECT_MAX_THREADS ? opts->threads : DETECT_MAX_THREADS;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 4 ? 4 : (size_t)cpus;
}

int detect_create(struct store *store, struct writer *writer, const struct detect_options *opts,
                  struct detect **out, struct lf_error *err)
{
    *out = NULL;
    struct detect *detect = lf_calloc(1, sizeof(*detect));
    if (!detect)
        return lf_fail(err, LF_ENOMEM, "detect: out of memory");
    detect->store = store;
    detect->writer = writer;
    if (opts)
        detect->opts = *opts;
    else
        detect_options_default(&detect->opts);
    detect->threads = detect_threads(&detect->opts);
    pthread_mutex_init(&detect->pass_lock, NULL);
    pthread_mutex_init(&detect->suppressing, NULL);
    pthread_mutex_init(&detect->lock, NULL);
    *out = detect;
    return LF_OK;
}

int detect_start(struct detect *detect, struct lf_error *err)
{
    int64_t seconds = detect->opts.interval > 0 ? detect->opts.interval : 30;
    return periodic_start(&detect->thread, "lf-detect", seconds * 1000, detect_pass, detect, err);
}

static const struct detect_verdict *find_verdict(const struct verdict_set *set, const char *service,
                                                 int64_t location_id)
{
    if (set->len == 0)
        return NULL;
    struct detect_verdict key = { .service = (char *)(uintptr_t)service,
                                  .location_id = location_id };
    return bsearch(&key, set->items, set->len, sizeof(*set->items), compare_verdict);
}

void detect_judge(void *ctx, const struct query_leak *row, struct query_verdict *out)
{
    struct detect *detect = ctx;
    *out = (struct query_verdict){ .suspect = row->confirmed };
    pthread_mutex_lock(&detect->lock);
    const struct detect_verdict *v =
            find_verdict(&detect->verdicts, row->service, row->location_id);
    if (v) {
        out->suspect = v->suspect;
        out->has_growth = v->has_growth;
        out->growth_per_hour = v->growth_per_hour;
        out->detail =
                json_pack("{s:o, s:o, s:o, s:o, s:o}", "reason", utf8json_cstr(v->reason),
                          "instances", v->instances ? json_deep_copy(v->instances) : json_array(),
                          "since", v->since ? json_integer(v->since) : json_null(), "since_version",
                          utf8json_cstr(v->since_version), "culprit", culprit_json(v));
    }
    pthread_mutex_unlock(&detect->lock);
    if (!v && !out->suspect) {
        /* no verdict: not a candidate of the pass, or not yet judged */
        char text[160];
        if (!row->in_repo)
            snprintf(text, sizeof(text), "not in the repo");
        else if (row->op && !op_monitored(&detect->opts, row->op))
            snprintf(text, sizeof(text), "op not monitored: %s", row->op);
        else
            snprintf(text, sizeof(text), "insufficient history");
        out->detail = json_pack("{s:o}", "reason", utf8json_cstr(text));
    }
}

bool detect_lookup(struct detect *detect, const char *service, int64_t location_id,
                   struct detect_verdict *out)
{
    pthread_mutex_lock(&detect->lock);
    const struct detect_verdict *v = find_verdict(&detect->verdicts, service, location_id);
    if (v)
        *out = *v;
    pthread_mutex_unlock(&detect->lock);
    return v != NULL;
}

static int compare_growth(const void *a, const void *b)
{
    const struct detect_verdict *x = a, *y = b;
    double gx = x->has_growth ? x->growth_per_hour : -1e300;
    double gy = y->has_growth ? y->growth_per_hour : -1e300;
    if (gx != gy)
        return gx < gy ? 1 : -1;
    return compare_verdict(a, b);
}

/* The trends JSON of set's verdicts (items already in growth order), at most limit. */
static json_t *trends_json(const struct detect_verdict *const *items, size_t n, size_t limit,
                           int64_t window)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n && i < limit; i++) {
        const struct detect_verdict *v = items[i];
        /* names read from the table: repaired if an older version stored invalid bytes
         * ("o" with a NULL fails the row, and so the answer, rather than drop a key) */
        bool growth = v->has_growth && isfinite(v->growth_per_hour) && isfinite(v->p_value);
        json_t *row = json_pack(
                "{s:I, s:o, s:o, s:o, s:I, s:o, s:I, s:o, s:o, s:b, s:b, s:o,"
                " s:o, s:o, s:b, s:o, s:o, s:o}",
                "location_id", (json_int_t)v->location_id, "service", utf8json_cstr(v->service),
                "function", utf8json_cstr(v->function), "file", utf8json_cstr(v->file), "line",
                (json_int_t)v->line, "op", utf8json_cstr(v->op), "count", (json_int_t)v->count,
                "growth_per_hour", growth ? json_real(v->growth_per_hour) : json_null(), "p_value",
                growth ? json_real(v->p_value) : json_null(), "growing", v->growing, "suspect",
                v->suspect, "since", v->since ? json_integer(v->since) : json_null(),
                "since_version", utf8json_cstr(v->since_version), "owner", utf8json_cstr(v->owner),
                "in_repo", v->in_repo, "reason", utf8json_cstr(v->reason), "instances",
                v->instances ? json_deep_copy(v->instances) : json_array(), "culprit",
                culprit_json(v));
        if (!row || json_array_append_new(list, row) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list ? json_pack("{s:I, s:o}", "window", (json_int_t)window, "trends", list) : NULL;
}

static int compare_growth_ptr(const void *a, const void *b)
{
    return compare_growth(*(const struct detect_verdict *const *)a,
                          *(const struct detect_verdict *const *)b);
}

/* Orders set's verdicts by growth into a new array of pointers (caller frees). */
static const struct detect_verdict **by_growth(const struct verdict_set *set)
{
    const struct detect_verdict **items = lf_calloc(set->len + 1, sizeof(*items));
    if (!items)
        return NULL;
    for (size_t i = 0; i < set->len; i++)
        items[i] = &set->items[i];
    qsort(items, set->len, sizeof(*items), compare_growth_ptr);
    return items;
}

int detect_trends(struct detect *detect, int64_t now, int64_t window, size_t limit, json_t **out,
                  struct lf_error *err)
{
    *out = NULL;
    bool live = now == 0;
    if (now == 0)
        now = (int64_t)time(NULL);
    if (window <= 0)
        window = detect->opts.window;
    if (limit == 0)
        limit = 100;
    int64_t interval = detect->opts.interval > 0 ? detect->opts.interval : 30;

    /* The detection window: the latest pass already holds the answer. Another window:
     * computed, then reused for one interval. */
    if (live) {
        pthread_mutex_lock(&detect->lock);
        if (window == detect->opts.window && detect->verdicts.len > 0) {
            const struct detect_verdict **items = by_growth(&detect->verdicts);
            *out = items ? trends_json(items, detect->verdicts.len, limit, window) : NULL;
            lf_free(items);
        } else if (detect->trends_cached && detect->trends_window == window &&
                   detect->trends_limit == limit && now - detect->trends_at < interval) {
            *out = json_incref(detect->trends_cached);
        }
        pthread_mutex_unlock(&detect->lock);
        if (*out)
            return LF_OK;
    }

    struct verdict_set set = { 0 };
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(detect->store, &conn, err);
    if (rc != LF_OK)
        return rc;
    rc = read_verdicts(detect, conn, now, window, &set, err);
    store_reader_release(detect->store, conn);
    if (rc != LF_OK)
        goto out;
    const struct detect_verdict **items = by_growth(&set);
    *out = items ? trends_json(items, set.len, limit, window) : NULL;
    lf_free(items);
    if (!*out) {
        rc = lf_fail(err, LF_ENOMEM, "trends: out of memory");
        goto out;
    }
    if (live) {
        pthread_mutex_lock(&detect->lock);
        json_decref(detect->trends_cached);
        detect->trends_cached = json_incref(*out);
        detect->trends_window = window;
        detect->trends_limit = limit;
        detect->trends_at = now;
        pthread_mutex_unlock(&detect->lock);
    }
out:
    verdict_set_clear(&set);
    return rc;
}

void detect_counts(struct detect *detect, size_t *verdicts, size_t *suspects)
{
    pthread_mutex_lock(&detect->lock);
    *verdicts = detect->verdicts.len;
    *suspects = 0;
    for (size_t i = 0; i < detect->verdicts.len; i++)
        *suspects += detect->verdicts.items[i].suspect;
    pthread_mutex_unlock(&detect->lock);
}

void detect_free(struct detect *detect)
{
    if (!detect)
        return;
    periodic_stop(&detect->thread);
    verdict_set_clear(&detect->verdicts);
    json_decref(detect->trends_cached);
    pthread_mutex_destroy(&detect->pass_lock);
    pthread_mutex_destroy(&detect->suppressing);
    pthread_mutex_destroy(&detect->lock);
    lf_free(detect);
}
