/* query.c - the read side of the store: runs the named statements of store_query.c on a
 * reader connection and turns rows into the JSON of docs/api.md. Decides nothing about leaks
 * itself: suspect and growth come from the judge (query_judge_threshold until growth
 * detection replaces it). Cost: the inventory reads the samples of each live instance's
 * latest profile (one contiguous primary-key range each); a series reads the profiles
 * of the location's services in [from, to]. */
#include "query.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "attribute.h"
#include "store_query.h"
#include "utf8json.h"

void query_options_default(struct query_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->live_window = 300;
    opts->threshold = 100;
}

void query_judge_threshold(void *ctx, const struct query_leak *row, struct query_verdict *out)
{
    const struct query_options *opts = ctx;
    int64_t threshold = opts != NULL ? opts->threshold : 100;
    out->suspect = row->in_repo && ((row->is_channel && row->count >= threshold) || row->confirmed);
    out->has_growth = false;
    out->growth_per_hour = 0;
}

static int64_t now_of(const struct query_options *opts)
{
    return opts != NULL && opts->now > 0 ? opts->now : (int64_t)time(NULL);
}

static int64_t live_since(const struct query_options *opts)
{
    int64_t window = opts != NULL && opts->live_window > 0 ? opts->live_window : 300;
    return now_of(opts) - window;
}

/* ---- JSON from columns -------------------------------------------------------------- */

/* A JSON string of text column col. Ingest stores valid UTF-8 only; rows an older
 * version stored may hold any bytes, repaired here to U+FFFD. NULL columns give JSON
 * null. NULL only when allocation fails (and put() then fails the answer, never drops
 * the key). */
static json_t *json_column_text(const struct store_rows *rows, int col)
{
    if (store_col_type(rows, col) == STORE_NULL)
        return json_null();
    const char *text = store_col_text(rows, col);
    size_t len = store_col_bytes(rows, col);
    return utf8json_string(text != NULL ? text : "", len);
}

static const char *column_cstr(const struct store_rows *rows, int col)
{
    if (store_col_type(rows, col) == STORE_NULL)
        return NULL;
    const char *text = store_col_text(rows, col);
    return text != NULL ? text : "";
}

/* Sets key to value (stolen); false when value is NULL or the set failed. */
static bool put(json_t *obj, const char *key, json_t *value)
{
    return value != NULL && json_object_set_new(obj, key, value) == 0;
}

static bool append(json_t *array, json_t *value)
{
    return value != NULL && json_array_append_new(array, value) == 0;
}

static int oom(struct lf_error *err, const char *what)
{
    return lf_fail(err, LF_ENOMEM, "%s: out of memory building the answer", what);
}

/* Ends the reading of rows: a failed step is store_fail's error, so a busy store is
 * LF_EUNAVAIL. Returns rc otherwise. */
static int rows_end(struct store_conn *conn, struct store_rows *rows, int rc, const char *what,
                    struct lf_error *err)
{
    if (rc == LF_OK && store_rows_failed(rows))
        rc = store_fail(conn, err, LF_EDB, what);
    return store_rows_end(rows, rc, what, err);
}

/* ---- leaks ------------------------------------------------------------------------------ */

enum {
    LEAK_ID,
    LEAK_SERVICE,
    LEAK_FUNCTION,
    LEAK_FILE,
    LEAK_LINE,
    LEAK_OP,
    LEAK_IS_CHANNEL,
    LEAK_IN_REPO,
    LEAK_OWNER,
    LEAK_COUNT,
    LEAK_CONFIRMED,
    LEAK_FIRST_SEEN,
    LEAK_LAST_SEEN,
    LEAK_REPO_PATH, /* NULL unless in the repo */
};

static json_t *leak_json(const struct store_rows *rows, const struct query_leak *row,
                         const struct query_verdict *verdict)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    bool ok = put(obj, "location_id", json_integer(row->location_id)) &&
              put(obj, "service", json_column_text(rows, LEAK_SERVICE)) &&
              put(obj, "function", json_column_text(rows, LEAK_FUNCTION)) &&
              put(obj, "file", json_column_text(rows, LEAK_FILE)) &&
              put(obj, "line", json_integer(row->line)) &&
              put(obj, "op", json_column_text(rows, LEAK_OP)) &&
              put(obj, "count", json_integer(row->count)) &&
              put(obj, "in_repo", json_boolean(row->in_repo)) &&
              put(obj, "repo_path", json_column_text(rows, LEAK_REPO_PATH)) &&
              put(obj, "owner", json_column_text(rows, LEAK_OWNER)) &&
              put(obj, "growth_per_hour",
                  verdict->has_growth && isfinite(verdict->growth_per_hour)
                          ? json_real(verdict->growth_per_hour)
                          : json_null()) &&
              put(obj, "suspect", json_boolean(verdict->suspect)) &&
              put(obj, "confirmed", json_boolean(row->confirmed)) &&
              put(obj, "first_seen", json_integer(row->first_seen)) &&
              put(obj, "last_seen", json_integer(row->last_seen)) &&
              (verdict->detail == NULL || json_object_update(obj, verdict->detail) == 0);
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Gives row's culprit (an in-repo frame of a library site's stack) its "repo_path", on a
 * copy: the verdict's JSON may be shared. False when allocation fails. */
static bool culprit_repo_path(json_t *row, const struct attributor *attributor)
{
    json_t *culprit = json_object_get(row, "culprit");
    if (!json_is_object(culprit))
        return true;
    const char *function = json_string_value(json_object_get(culprit, "function"));
    const char *file = json_string_value(json_object_get(culprit, "file"));
    struct attribution attr;
    attribute_site(attributor, str_make(function ? function : "", function ? strlen(function) : 0),
                   str_make(file ? file : "", file ? strlen(file) : 0), &attr);
    json_t *copy = json_deep_copy(culprit);
    return copy != NULL &&
           put(copy, "repo_path",
               attr.in_repo && attr.path[0] != '\0' ? utf8json_cstr(attr.path) : json_null()) &&
           put(row, "culprit", copy);
}

static bool blocked_op(const char *op)
{
    return op != NULL && strcmp(op, "running") != 0 && strcmp(op, "runnable") != 0;
}

int query_leaks(struct store *store, const struct query_options *opts, const char *service,
                const char *owner, bool all, json_t **out, struct lf_error *err)
{
    *out = NULL;
    struct query_options dflt;
    query_options_default(&dflt);
    if (opts == NULL)
        opts = &dflt;
    query_judge_fn judge = opts->judge != NULL ? opts->judge : query_judge_threshold;
    void *judge_ctx = opts->judge != NULL ? opts->judge_ctx : (void *)(uintptr_t)opts;

    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(store, &conn, err);
    if (rc != LF_OK)
        return rc;
    json_t *leaks = json_array();
    if (leaks == NULL) {
        rc = oom(err, "leaks");
        goto out;
    }
    struct store_rows rows;
    rc = store_query(conn, QUERY_SQL_LEAKS, &rows, err, "it", live_since(opts), service);
    while (rc == LF_OK && store_row(&rows)) {
        struct query_leak row = {
            .location_id = store_col_int(&rows, LEAK_ID),
            .service = column_cstr(&rows, LEAK_SERVICE),
            .function = column_cstr(&rows, LEAK_FUNCTION),
            .file = column_cstr(&rows, LEAK_FILE),
            .line = store_col_int(&rows, LEAK_LINE),
            .op = column_cstr(&rows, LEAK_OP),
            .is_channel = store_col_int(&rows, LEAK_IS_CHANNEL) != 0,
            .in_repo = store_col_int(&rows, LEAK_IN_REPO) != 0,
            .owner = column_cstr(&rows, LEAK_OWNER),
            .count = store_col_int(&rows, LEAK_COUNT),
            .confirmed = store_col_int(&rows, LEAK_CONFIRMED) != 0,
            .first_seen = store_col_int(&rows, LEAK_FIRST_SEEN),
            .last_seen = store_col_int(&rows, LEAK_LAST_SEEN),
        };
        struct query_verdict verdict = { false, false, 0, NULL };
        judge(judge_ctx, &row, &verdict);
        if ((!verdict.suspect && (!all || !blocked_op(row.op))) ||
            (owner != NULL && (row.owner == NULL || strcmp(owner, row.owner) != 0))) {
            json_decref(verdict.detail);
            continue;
        }
        json_t *leak = leak_json(&rows, &row, &verdict);
        json_decref(verdict.detail);
        if (leak != NULL && !culprit_repo_path(leak, opts->attributor)) {
            json_decref(leak);
            leak = NULL;
        }
        if (!append(leaks, leak))
            rc = oom(err, "leaks");
    }
    if ((rc = rows_end(conn, &rows, rc, "leaks", err)) != LF_OK)
        goto out;
    *out = json_pack("{s:o}", "leaks", leaks);
    leaks = NULL; /* stolen by "o", even when json_pack fails */
    if (*out == NULL)
        rc = oom(err, "leaks");
out:
    json_decref(leaks);
    store_reader_release(store, conn);
    return rc;
}

/* ---- one location ------------------------------------------------------------------------ */

/* Reads location id into a new object (LF_ENOTFOUND when absent). */
static int location_row(struct store_conn *conn, int64_t id, json_t **out, struct lf_error *err)
{
    *out = NULL;
    struct store_rows rows;
    int rc = store_query(conn, QUERY_SQL_LOCATION_GET, &rows, err, "i", id);
    json_t *obj = NULL;
    if (rc == LF_OK && !store_row(&rows)) {
        if (!store_rows_failed(&rows))
            rc = lf_fail(err, LF_ENOTFOUND, "no location %lld", (long long)id);
    } else if (rc == LF_OK) {
        obj = json_object();
        bool ok = obj != NULL && put(obj, "location_id", json_integer(store_col_int(&rows, 0))) &&
                  put(obj, "op", json_column_text(&rows, 1)) &&
                  put(obj, "function", json_column_text(&rows, 2)) &&
                  put(obj, "file", json_column_text(&rows, 3)) &&
                  put(obj, "line", json_integer(store_col_int(&rows, 4))) &&
                  put(obj, "is_channel", json_boolean(store_col_int(&rows, 5) != 0)) &&
                  put(obj, "in_repo", json_boolean(store_col_int(&rows, 6) != 0)) &&
                  put(obj, "repo_path", json_column_text(&rows, 7)) &&
                  put(obj, "owner", json_column_text(&rows, 8)) &&
                  put(obj, "first_seen", json_integer(store_col_int(&rows, 9)));
        if (!ok)
            rc = oom(err, "location");
    }
    if ((rc = rows_end(conn, &rows, rc, "location", err)) != LF_OK) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return LF_OK;
}

int query_repo_paths(struct store *store, const struct query_options *opts, json_t *rows,
                     struct lf_error *err)
{
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(store, &conn, err);
    if (rc != LF_OK)
        return rc;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *path = json_null();
        if (json_is_true(json_object_get(row, "in_repo"))) {
            struct store_rows loc;
            rc = store_query(conn, QUERY_SQL_LOCATION_GET, &loc, err, "i",
                             (int64_t)json_integer_value(json_object_get(row, "location_id")));
            if (rc == LF_OK && store_row(&loc))
                path = json_column_text(&loc, 7); /* repo_path */
            if ((rc = rows_end(conn, &loc, rc, "location", err)) != LF_OK) {
                json_decref(path);
                break;
            }
        }
        if (!put(row, "repo_path", path) ||
            !culprit_repo_path(row, opts != NULL ? opts->attributor : NULL)) {
            rc = oom(err, "repo paths");
            break;
        }
    }
    store_reader_release(store, conn);
    return rc;
}

/* One frame of a location's stack from the current row, attributed with attributor
 * (NULL: not in-repo); NULL when allocation fails. */
static json_t *stack_frame_json(const struct store_rows *rows, const struct attributor *attributor)
{
    const char *function = store_col_text(rows, 0);
    const char *file = store_col_text(rows, 1);
    struct attribution attr;
    attribute_site(attributor, str_make(function != NULL ? function : "", store_col_bytes(rows, 0)),
                   str_make(file != NULL ? file : "", store_col_bytes(rows, 1)), &attr);
    json_t *frame = json_object();
    bool ok = frame != NULL && put(frame, "function", json_column_text(rows, 0)) &&
              put(frame, "file", json_column_text(rows, 1)) &&
              put(frame, "line", json_integer(store_col_int(rows, 2))) &&
              put(frame, "in_repo", json_boolean(attr.in_repo)) &&
              put(frame, "repo_path",
                  attr.in_repo && attr.path[0] != '\0' ? utf8json_cstr(attr.path) : json_null()) &&
              put(frame, "created_by", json_boolean(store_col_int(rows, 3) != 0));
    if (!ok) {
        json_decref(frame);
        return NULL;
    }
    return frame;
}

static int location_stack(struct store_conn *conn, const struct query_options *opts, int64_t id,
                          json_t *obj, struct lf_error *err)
{
    json_t *frames = json_array();
    if (!put(obj, "stack", frames))
        return oom(err, "location stack");
    const struct attributor *attributor = opts != NULL ? opts->attributor : NULL;
    struct store_rows rows;
    int rc = store_query(conn, QUERY_SQL_LOCATION_STACK, &rows, err, "i", id);
    while (rc == LF_OK && store_row(&rows)) {
        json_t *frame = stack_frame_json(&rows, attributor);
        if (frame == NULL || !append(frames, frame))
            rc = oom(err, "location stack");
    }
    return rows_end(conn, &rows, rc, "location stack", err);
}

static int location_sites(struct store_conn *conn, int64_t id, json_t *obj, struct lf_error *err)
{
    json_t *sites = json_array();
    if (!put(obj, "sites", sites))
        return oom(err, "location sites");
    const char *function = json_string_value(json_object_get(obj, "function"));
    const char *file = json_string_value(json_object_get(obj, "file"));
    struct store_rows rows;
    int rc = store_query(conn, QUERY_SQL_LOCATION_SITES, &rows, err, "tti", function, file, id);
    while (rc == LF_OK && store_row(&rows)) {
        json_t *site = json_object();
        bool ok = site != NULL && put(site, "location_id", json_integer(store_col_int(&rows, 0))) &&
                  put(site, "op", json_column_text(&rows, 1)) &&
                  put(site, "line", json_integer(store_col_int(&rows, 2)));
        if (!ok)
            json_decref(site);
        if (!ok || !append(sites, site))
            rc = oom(err, "location sites");
    }
    return rows_end(conn, &rows, rc, "location sites", err);
}

static int location_services(struct store_conn *conn, int64_t id, int64_t since, json_t *obj,
                             struct lf_error *err)
{
    json_t *services = json_array();
    if (!put(obj, "services", services))
        return oom(err, "location services");
    struct store_rows rows;
    int rc = store_query(conn, QUERY_SQL_LOCATION_SERVICES, &rows, err, "ii", id, since);
    while (rc == LF_OK && store_row(&rows)) {
        json_t *service = json_object();
        bool ok = service != NULL && put(service, "name", json_column_text(&rows, 0)) &&
                  put(service, "count", json_integer(store_col_int(&rows, 3))) &&
                  put(service, "instances", json_integer(store_col_int(&rows, 4))) &&
                  put(service, "first_seen", json_integer(store_col_int(&rows, 1))) &&
                  put(service, "last_seen", json_integer(store_col_int(&rows, 2)));
        if (!ok)
            json_decref(service);
        if (!ok || !append(services, service))
            rc = oom(err, "location services");
    }
    return rows_end(conn, &rows, rc, "location services", err);
}

int query_location(struct store *store, const struct query_options *opts, int64_t location_id,
                   json_t **out, struct lf_error *err)
{
    *out = NULL;
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(store, &conn, err);
    if (rc != LF_OK)
        return rc;
    json_t *obj = NULL;
    rc = location_row(conn, location_id, &obj, err);
    if (rc == LF_OK)
        rc = location_stack(conn, opts, location_id, obj, err);
    if (rc == LF_OK)
        rc = location_sites(conn, location_id, obj, err);
    if (rc == LF_OK)
        rc = location_services(conn, location_id, live_since(opts), obj, err);
    store_reader_release(store, conn);
    if (rc != LF_OK) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return LF_OK;
}

/* ---- series ------------------------------------------------------------------------------ */

/* The fleet's value of a location at time t is the sum, over instances, of each instance's
 * latest count at or before t if that sample is within live_window of t: the inventory's
 * rule, so a series asked up to now ends on the inventory's count and an instance that
 * pushes every minute counts in every bucket, not only in those its push fell in. A
 * bucket's point is the value at its end, min(start + step - 1, to); buckets where no
 * instance is live are left out. Raw profiles are read once in time order and swept:
 * each instance's latest count sits in a small hash table and a queue of the rows still
 * inside the window retires instances as the bucket end moves on, so the cost is one pass
 * over the rows plus one step per point, and every point is owed to a row within
 * live_window before it (at most live_window / step + 1 points per row). */

struct sweep_instance {
    int64_t id;
    int64_t ts; /* its latest sample so far */
    int64_t count;
    bool live; /* that sample counts in the running sum */
};

struct sweep_entry {
    int64_t ts;
    size_t slot;
};

struct sweep {
    int64_t step, to, window;
    int64_t next, last; /* the next bucket to evaluate, the last one asked for */
    int64_t sum;        /* over live instances */
    size_t n_live;
    struct sweep_instance *instances;
    size_t n_instances, instances_cap;
    size_t *table; /* open addressing on the instance id: slot + 1, 0 = empty */
    size_t table_cap;
    struct sweep_entry *queue; /* rows in time order, from head on still maybe live */
    size_t head, tail, queue_cap;
    json_t *series;
};

static void sweep_release(struct sweep *sweep)
{
    lf_free(sweep->instances);
    lf_free(sweep->table);
    lf_free(sweep->queue);
}

/* Appends [bucket * step, sum] to series. */
static bool series_point(json_t *series, int64_t bucket, int64_t step, int64_t sum)
{
    return append(series, json_pack("[I, I]", (json_int_t)(bucket * step), (json_int_t)sum));
}

static int64_t bucket_end(const struct sweep *sweep, int64_t bucket)
{
    int64_t end = (bucket + 1) * sweep->step - 1;
    return end < sweep->to ? end : sweep->to;
}

static size_t hash_id(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (cap - 1);
}

/* The slot of instance id, added when new; SIZE_MAX when out of memory. */
static size_t sweep_slot(struct sweep *sweep, int64_t id)
{
    if (sweep->table_cap > 0) {
        for (size_t i = hash_id(id, sweep->table_cap);; i = (i + 1) & (sweep->table_cap - 1)) {
            if (sweep->table[i] == 0)
                break;
            if (sweep->instances[sweep->table[i] - 1].id == id)
                return sweep->table[i] - 1;
        }
    }
    if (2 * (sweep->n_instances + 1) > sweep->table_cap) {
        size_t cap = sweep->table_cap == 0 ? 64 : sweep->table_cap * 2;
        size_t *table = lf_calloc(cap, sizeof(*table));
        struct sweep_instance *grown =
                lf_realloc(sweep->instances, (cap / 2) * sizeof(*sweep->instances));
        if (grown != NULL)
            sweep->instances = grown;
        if (table == NULL || grown == NULL) {
            lf_free(table);
            return SIZE_MAX;
        }
        for (size_t k = 0; k < sweep->n_instances; k++) {
            size_t i = hash_id(sweep->instances[k].id, cap);
            while (table[i] != 0)
                i = (i + 1) & (cap - 1);
            table[i] = k + 1;
        }
        lf_free(sweep->table);
        sweep->table = table;
        sweep->table_cap = cap;
        sweep->instances_cap = cap / 2;
    }
    size_t i = hash_id(id, sweep->table_cap);
    while (sweep->table[i] != 0)
        i = (i + 1) & (sweep->table_cap - 1);
    size_t slot = sweep->n_instances++;
    sweep->table[i] = slot + 1;
    sweep->instances[slot] = (struct sweep_instance){ .id = id };
    return slot;
}

/* Retires the instances whose latest sample is older than since. */
static void sweep_expire(struct sweep *sweep, int64_t since)
{
    while (sweep->head < sweep->tail && sweep->queue[sweep->head].ts < since) {
        struct sweep_instance *instance = &sweep->instances[sweep->queue[sweep->head].slot];
        if (instance->live && instance->ts == sweep->queue[sweep->head].ts) {
            instance->live = false;
            sweep->sum -= instance->count;
            sweep->n_live--;
        }
        sweep->head++;
    }
}

/* Emits the points of the buckets that end before ts (INT64_MAX: all that are left). */
static int sweep_until(struct sweep *sweep, int64_t ts, struct lf_error *err)
{
    while (sweep->next <= sweep->last) {
        int64_t end = bucket_end(sweep, sweep->next);
        if (end >= ts)
            break;
        sweep_expire(sweep, end - sweep->window);
        if (sweep->n_live == 0) {
            /* nothing is live until the row at ts: skip to its bucket */
            if (ts == INT64_MAX)
                break;
            sweep->next = ts / sweep->step;
            continue;
        }
        if (!series_point(sweep->series, sweep->next, sweep->step, sweep->sum))
            return oom(err, "series");
        sweep->next++;
    }
    return LF_OK;
}

/* Takes a row: instance id's sample at ts (rows come in time order). */
static int sweep_add(struct sweep *sweep, int64_t ts, int64_t id, int64_t count,
                     struct lf_error *err)
{
    int rc = sweep_until(sweep, ts, err);
    if (rc != LF_OK)
        return rc;
    size_t slot = sweep_slot(sweep, id);
    if (slot == SIZE_MAX)
        return oom(err, "series");
    if (sweep->tail == sweep->queue_cap) {
        if (sweep->head > 0) {
            memmove(sweep->queue, sweep->queue + sweep->head,
                    (sweep->tail - sweep->head) * sizeof(*sweep->queue));
            sweep->tail -= sweep->head;
            sweep->head = 0;
        }
        if (!LF_ALLOC_GROW(sweep->queue, sweep->tail + 1, sweep->queue_cap, 256))
            return oom(err, "series");
    }
    sweep->queue[sweep->tail++] = (struct sweep_entry){ ts, slot };
    struct sweep_instance *instance = &sweep->instances[slot];
    if (instance->live) {
        sweep->sum -= instance->count;
    } else {
        instance->live = true;
        sweep->n_live++;
    }
    instance->ts = ts;
    instance->count = count;
    sweep->sum += count;
    return LF_OK;
}

/* Appends the points of buckets first_bucket..sweep->last from the raw profiles. */
static int raw_points(struct store_conn *conn, int64_t location_id, const char *service,
                      const char *instance_name, int64_t first_bucket, struct sweep *sweep,
                      struct lf_error *err)
{
    sweep->next = first_bucket;
    int64_t since = bucket_end(sweep, first_bucket) - sweep->window;
    struct store_rows rows;
    int rc = store_query(conn, QUERY_SQL_SERIES, &rows, err, "iiitt", location_id,
                         since > 0 ? since : 0, sweep->to, service, instance_name);
    while (rc == LF_OK && store_row(&rows))
        rc = sweep_add(sweep, store_col_int(&rows, 0), store_col_int(&rows, 1),
                       store_col_int(&rows, 2), err);
    if ((rc = rows_end(conn, &rows, rc, "series", err)) != LF_OK)
        return rc;
    return sweep_until(sweep, INT64_MAX, err);
}

/* Appends the points of the buckets before first_raw_bucket whose values come from the
 * rolled-up hours (before until): the value at the end of the bucket's latest hour, so
 * a bucket holding no hour's end has no point (a step under an hour). */
static int rollup_points(struct store_conn *conn, int64_t location_id, const char *service,
                         int64_t first_bucket, int64_t first_raw_bucket, int64_t until,
                         struct sweep *sweep, struct lf_error *err)
{
    int64_t last_end = bucket_end(sweep, first_raw_bucket - 1);
    if (last_end > until - 1)
        last_end = until - 1;
    struct store_rows rows;
    int rc = store_query(conn, QUERY_SQL_SERIES_ROLLUPS, &rows, err, "iiit", location_id,
                         first_bucket * sweep->step - 3599, last_end - 3599, service);
    bool have = false;
    int64_t bucket = 0, value = 0;
    while (rc == LF_OK && store_row(&rows)) {
        int64_t row_bucket = (store_col_int(&rows, 0) + 3599) / sweep->step;
        if (have && row_bucket != bucket &&
            !series_point(sweep->series, bucket, sweep->step, value)) {
            rc = oom(err, "series");
            break;
        }
        have = true;
        bucket = row_bucket;
        value = store_col_int(&rows, 1);
    }
    if ((rc = rows_end(conn, &rows, rc, "series rollups", err)) != LF_OK)
        return rc;
    if (have && !series_point(sweep->series, bucket, sweep->step, value))
        return oom(err, "series");
    return LF_OK;
}

/* retention_state.rolled_until: hours before it are rolled up (0 = none). */
static int rolled_until(struct store_conn *conn, int64_t *out, struct lf_error *err)
{
    struct store_rows rows;
    int rc = store_query(conn, QUERY_SQL_ROLLED_UNTIL, &rows, err, "");
    *out = rc == LF_OK && store_row(&rows) ? store_col_int(&rows, 0) : 0;
    return rows_end(conn, &rows, rc, "series rollups", err);
}

int query_series(struct store *store, const struct query_options *opts, int64_t location_id,
                 const char *service, int64_t from, int64_t to, int64_t step, json_t **out,
                 struct lf_error *err)
{
    return query_series_instance(store, opts, location_id, service, NULL, from, to, step, out, err);
}

int query_series_instance(struct store *store, const struct query_options *opts,
                          int64_t location_id, const char *service, const char *instance_name,
                          int64_t from, int64_t to, int64_t step, json_t **out,
                          struct lf_error *err)
{
    *out = NULL;
    if (to == 0)
        to = now_of(opts);
    if (from == 0)
        from = to > 86400 ? to - 86400 : 1;
    if (from < 0 || to < from)
        return lf_fail(err, LF_EINVAL, "series: need 0 <= from <= to");
    if (step < 0)
        return lf_fail(err, LF_EINVAL, "series: step must be positive");
    if (step == 0) {
        step = (to - from + 499) / 500;
        if (step < 60)
            step = 60;
    }

    struct sweep sweep = {
        .step = step,
        .to = to,
        .window = opts != NULL && opts->live_window > 0 ? opts->live_window : 300,
        .last = to / step,
    };
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(store, &conn, err);
    if (rc != LF_OK)
        return rc;
    json_t *location = NULL;
    rc = location_row(conn, location_id, &location, err);
    json_decref(location);
    if (rc != LF_OK)
        goto out;
    sweep.series = json_array();
    if (sweep.series == NULL) {
        rc = oom(err, "series");
        goto out;
    }
    /* Buckets ending before the rollup watermark come from the hourly rollups (sums over
     * instances, so not for one instance), the rest from the raw profiles. */
    int64_t first_bucket = from / step;
    int64_t first_raw = first_bucket;
    int64_t until = 0;
    if (instance_name == NULL) {
        rc = rolled_until(conn, &until, err);
        if (rc != LF_OK)
            goto out;
        if (until > bucket_end(&sweep, first_bucket))
            first_raw = until > to ? sweep.last + 1 : until / step;
        if (first_raw > first_bucket)
            rc = rollup_points(conn, location_id, service, first_bucket, first_raw, until, &sweep,
                               err);
    }
    if (rc == LF_OK && first_raw <= sweep.last)
        rc = raw_points(conn, location_id, service, instance_name, first_raw, &sweep, err);
    if (rc != LF_OK)
        goto out;
    *out = json_pack("{s:o, s:I, s:I, s:I}", "series", sweep.series, "from", (json_int_t)from, "to",
                     (json_int_t)to, "step", (json_int_t)step);
    sweep.series = NULL;
    if (*out == NULL)
        rc = oom(err, "series");
out:
    json_decref(sweep.series);
    sweep_release(&sweep);
    store_reader_release(store, conn);
    return rc;
}

/* ---- services ----------------------------------------------------------------------------- */

int query_services(struct store *store, const struct query_options *opts, json_t **out,
                   struct lf_error *err)
{
    (void)opts;
    *out = NULL;
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(store, &conn, err);
    if (rc != LF_OK)
        return rc;
    json_t *services = json_array();
    json_t *instances = NULL; /* borrowed: the current service's array */
    char *current = NULL;
    if (services == NULL) {
        rc = oom(err, "services");
        goto out;
    }
    struct store_rows rows;
    rc = store_query(conn, QUERY_SQL_SERVICES, &rows, err, "");
    while (rc == LF_OK && store_row(&rows)) {
        const char *name = column_cstr(&rows, 0);
        if (current == NULL || name == NULL || strcmp(current, name) != 0) {
            lf_free(current);
            current = lf_strdup(name != NULL ? name : "");
            json_t *service = json_object();
            json_t *list = json_array();
            bool ok = service != NULL && list != NULL && current != NULL &&
                      put(service, "name", json_column_text(&rows, 0)) &&
                      put(service, "owner", json_column_text(&rows, 1)) &&
                      json_object_set(service, "instances", list) == 0;
            json_decref(list); /* the service holds it now, or it is gone */
            instances = list;
            if (!ok)
                json_decref(service);
            if (!ok || !append(services, service)) {
                rc = oom(err, "services");
                break;
            }
        }
        if (store_col_type(&rows, 2) == STORE_NULL)
            continue; /* a service without instances */
        json_t *instance = json_object();
        bool ok = instance != NULL && put(instance, "name", json_column_text(&rows, 2)) &&
                  put(instance, "profiles", json_integer(store_col_int(&rows, 3))) &&
                  put(instance, "last_push", json_integer(store_col_int(&rows, 4)));
        if (!ok)
            json_decref(instance);
        if (!ok || !append(instances, instance))
            rc = oom(err, "services");
    }
    if ((rc = rows_end(conn, &rows, rc, "services", err)) != LF_OK)
        goto out;
    *out = json_pack("{s:o}", "services", services);
    services = NULL;
    if (*out == NULL)
        rc = oom(err, "services");
out:
    lf_free(current);
    json_decref(services);
    store_reader_release(store, conn);
    return rc;
}
