/* timeline.c - a service's deploys, restarts and push interval, read from profiles (the
 * rows retention keeps raw, so events older than retention.raw are gone). Events are one
 * scan of the service's profiles in [from, to] through profiles_service_ts with a window
 * function per instance; the push interval reads only the latest few profiles per
 * instance. Neither writes: the dashboard calls this once per chart. */
#include "timeline.h"

#include <stdlib.h>
#include <time.h>

#include "alloc.h"
#include "store_timeline.h"

#define MAX_EVENTS   2000
#define MAX_GAP_ROWS 20000

struct push {
    int64_t instance;
    int64_t ts;
};

static int push_order(const void *a, const void *b)
{
    const struct push *x = a, *y = b;
    if (x->instance != y->instance)
        return x->instance < y->instance ? -1 : 1;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int gap_order(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median gap between consecutive pushes of an instance among the service's latest
 * profiles (a few per instance); *found false when no instance has two. */
static int push_interval(struct store_conn *conn, int64_t service_id, int64_t *interval,
                         bool *found, struct lf_error *err)
{
    *found = false;
    int64_t n_instances = 0;
    bool any = false;
    int rc = store_int(conn, TIMELINE_SQL_INSTANCES, &n_instances, &any, err, "i", service_id);
    if (rc != LF_OK)
        return rc;
    int64_t limit = 4 * n_instances + 8;
    if (limit > MAX_GAP_ROWS)
        limit = MAX_GAP_ROWS;
    struct push *pushes = lf_calloc((size_t)limit, sizeof(*pushes));
    int64_t *gaps = lf_calloc((size_t)limit, sizeof(*gaps));
    struct store_rows rows;
    if (!pushes || !gaps) {
        rc = lf_fail(err, LF_ENOMEM, "timeline: out of memory");
        goto out;
    }
    rc = store_query(conn, TIMELINE_SQL_PUSHES, &rows, err, "ii", service_id, limit);
    size_t n = 0;
    while (rc == LF_OK && store_row(&rows) && n < (size_t)limit) {
        pushes[n].instance = store_col_int(&rows, 0);
        pushes[n++].ts = store_col_int(&rows, 1);
    }
    rc = store_rows_end(&rows, rc, "timeline", err);
    if (rc != LF_OK)
        goto out;
    qsort(pushes, n, sizeof(*pushes), push_order);
    size_t n_gaps = 0;
    for (size_t i = 1; i < n; i++)
        if (pushes[i].instance == pushes[i - 1].instance && pushes[i].ts > pushes[i - 1].ts)
            gaps[n_gaps++] = pushes[i].ts - pushes[i - 1].ts;
    if (n_gaps > 0) {
        qsort(gaps, n_gaps, sizeof(*gaps), gap_order);
        *interval = gaps[n_gaps / 2];
        *found = true;
    }
out:
    lf_free(pushes);
    lf_free(gaps);
    return rc;
}

static json_t *text_or_null(const struct store_rows *rows, int col)
{
    const char *text = store_col_text(rows, col);
    return text ? json_string(text) : json_null();
}

static int read_events(struct store_conn *conn, int64_t service_id, int64_t from, int64_t to,
                       json_t *events, bool *truncated, struct lf_error *err)
{
    struct store_rows rows;
    *truncated = false;
    int rc = store_query(conn, TIMELINE_SQL_EVENTS, &rows, err, "iiii", service_id, from, to,
                         (int64_t)MAX_EVENTS + 1);
    while (rc == LF_OK && store_row(&rows)) {
        if (json_array_size(events) == MAX_EVENTS) {
            *truncated = true;
            break;
        }
        bool restart = store_col_int(&rows, 4) != 0;
        json_t *event = json_pack(
                "{s:I, s:o, s:s, s:o, s:o}", "ts", (json_int_t)store_col_int(&rows, 0), "instance",
                text_or_null(&rows, 1), "kind", restart ? "restart" : "deploy", "version",
                text_or_null(&rows, 2), "previous", text_or_null(&rows, 3));
        if (!event || json_array_append_new(events, event) != 0) {
            rc = lf_fail(err, LF_ENOMEM, "timeline: out of memory");
            break;
        }
    }
    return store_rows_end(&rows, rc, "timeline", err);
}

int timeline_service(struct store *store, const char *service, int64_t from, int64_t to,
                     int64_t now, json_t **out, struct lf_error *err)
{
    *out = NULL;
    if (now == 0)
        now = (int64_t)time(NULL);
    if (to == 0)
        to = now;
    if (from == 0)
        from = to > 86400 ? to - 86400 : 1;
    if (from < 0 || to < from)
        return lf_fail(err, LF_EINVAL, "timeline: need 0 <= from <= to");
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(store, &conn, err);
    if (rc != LF_OK)
        return rc;
    json_t *events = json_array();
    int64_t service_id = 0, interval = 0;
    bool found = false, has_interval = false, truncated = false;
    if (!events) {
        rc = lf_fail(err, LF_ENOMEM, "timeline: out of memory");
        goto out;
    }
    rc = store_int(conn, TIMELINE_SQL_SERVICE_ID, &service_id, &found, err, "t", service);
    if (rc == LF_OK && !found)
        rc = lf_fail(err, LF_ENOTFOUND, "no service '%s'", service);
    if (rc == LF_OK)
        rc = push_interval(conn, service_id, &interval, &has_interval, err);
    if (rc == LF_OK)
        rc = read_events(conn, service_id, from, to, events, &truncated, err);
    if (rc != LF_OK)
        goto out;
    *out = json_pack("{s:s, s:I, s:I, s:o, s:O, s:b}", "service", service, "from", (json_int_t)from,
                     "to", (json_int_t)to, "push_interval",
                     has_interval ? json_integer(interval) : json_null(), "events", events,
                     "truncated", truncated);
    if (!*out)
        rc = lf_fail(err, LF_ENOMEM, "timeline: out of memory");
out:
    json_decref(events);
    store_reader_release(store, conn);
    return rc;
}
