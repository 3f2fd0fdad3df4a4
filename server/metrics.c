/* metrics.c - counters and histograms as C11 atomics (relaxed: a scrape may see one
 * request's count before its sum, which Prometheus tolerates), rendered to the text
 * exposition format on demand. Owns no I/O: gauges are read through callbacks. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "textbuf.h"

enum push_result {
    PUSH_STORED,
    PUSH_DUPLICATE,
    PUSH_INVALID,
    PUSH_UNAUTHORIZED,
    PUSH_FORBIDDEN,
    PUSH_TOO_BIG,
    PUSH_KEY_REUSED,
    PUSH_ERROR,
    PUSH_RESULTS,
};

static const char *const push_result_names[PUSH_RESULTS] = {
    "stored", "duplicate", "invalid", "unauthorized", "forbidden", "too_big", "key_reused", "error",
};

static const char *const pyroscope_result_names[METRICS_PYROSCOPE_RESULTS] = {
    "stored",
    "duplicate",
    "ignored",
};

#define FORMATS 4 /* enum parse_format: auto, pprof, debug1, debug2 */

static const double bucket_bounds[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define BUCKETS (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]))

struct histogram {
    atomic_uint_fast64_t buckets[BUCKETS]; /* non-cumulative; summed when rendered */
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t sum_micros;
};

struct metrics_value {
    const char *name;
    const char *help;
    const char *type;
    metrics_value_fn fn;
    void *ctx;
};

struct metrics {
    atomic_uint_fast64_t pushes[PUSH_RESULTS];
    atomic_uint_fast64_t bytes;
    atomic_uint_fast64_t parse_errors[FORMATS];
    atomic_uint_fast64_t pyroscope[METRICS_PYROSCOPE_RESULTS];
    const char *const *route_names;
    size_t n_routes;
    struct histogram *routes; /* n_routes + 1 */
    struct metrics_value *values;
    size_t n_values;
};

struct metrics *metrics_create(const char *const *route_names, size_t n_routes)
{
    struct metrics *metrics = lf_calloc(1, sizeof(*metrics));
    if (metrics == NULL)
        return NULL;
    metrics->routes = lf_calloc(n_routes + 1, sizeof(*metrics->routes));
    if (metrics->routes == NULL) {
        lf_free(metrics);
        return NULL;
    }
    metrics->route_names = route_names;
    metrics->n_routes = n_routes;
    return metrics;
}

void metrics_free(struct metrics *metrics)
{
    if (metrics == NULL)
        return;
    lf_free(metrics->routes);
    lf_free(metrics->values);
    lf_free(metrics);
}

static enum push_result push_result_of(int status)
{
    switch (status) {
    case 201:
        return PUSH_STORED;
    case 200:
        return PUSH_DUPLICATE;
    case 400:
        return PUSH_INVALID;
    case 401:
        return PUSH_UNAUTHORIZED;
    case 403:
        return PUSH_FORBIDDEN;
    case 413:
        return PUSH_TOO_BIG;
    case 422:
        return PUSH_KEY_REUSED;
    default:
        return PUSH_ERROR;
    }
}

void metrics_count_push(struct metrics *metrics, int http_status)
{
    atomic_fetch_add_explicit(&metrics->pushes[push_result_of(http_status)], 1,
                              memory_order_relaxed);
}

uint64_t metrics_pushes(const struct metrics *metrics, const char *result)
{
    for (size_t i = 0; i < PUSH_RESULTS; i++) {
        if (strcmp(push_result_names[i], result) == 0)
            return atomic_load_explicit(&metrics->pushes[i], memory_order_relaxed);
    }
    return 0;
}

void metrics_add_bytes(struct metrics *metrics, uint64_t n)
{
    atomic_fetch_add_explicit(&metrics->bytes, n, memory_order_relaxed);
}

void metrics_count_parse_error(struct metrics *metrics, enum parse_format format)
{
    size_t i = (size_t)format < FORMATS ? (size_t)format : 0;
    atomic_fetch_add_explicit(&metrics->parse_errors[i], 1, memory_order_relaxed);
}

void metrics_count_pyroscope(struct metrics *metrics, enum metrics_pyroscope result, uint64_t n)
{
    if ((size_t)result < METRICS_PYROSCOPE_RESULTS)
        atomic_fetch_add_explicit(&metrics->pyroscope[result], n, memory_order_relaxed);
}

void metrics_observe_request(struct metrics *metrics, size_t route, double seconds)
{
    if (route > metrics->n_routes)
        route = metrics->n_routes;
    struct histogram *h = &metrics->routes[route];
    size_t b = 0;
    while (b < BUCKETS && seconds > bucket_bounds[b])
        b++;
    if (b < BUCKETS)
        atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    uint64_t micros = seconds <= 0 ? 0 : (uint64_t)(seconds * 1e6 + 0.5);
    atomic_fetch_add_explicit(&h->sum_micros, micros, memory_order_relaxed);
}

int metrics_add_value(struct metrics *metrics, const char *name, const char *help, const char *type,
                      metrics_value_fn fn, void *ctx, struct lf_error *err)
{
    struct metrics_value *grown =
            lf_realloc(metrics->values, (metrics->n_values + 1) * sizeof(*metrics->values));
    if (grown == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    metrics->values = grown;
    metrics->values[metrics->n_values++] = (struct metrics_value){ name, help, type, fn, ctx };
    return LF_OK;
}

/* ---- rendering ------------------------------------------------------------------- */

static const char *route_label(const struct metrics *metrics, size_t i)
{
    return i < metrics->n_routes ? metrics->route_names[i] : "unmatched";
}

int metrics_render(const struct metrics *metrics, char **out, size_t *len, struct lf_error *err)
{
    *out = NULL;
    *len = 0;
    struct textbuf t = { 0 };
    textbuf_printf(&t, "# HELP leakfleet_pushes_total Profile pushes by result.\n"
                       "# TYPE leakfleet_pushes_total counter\n");
    for (size_t i = 0; i < PUSH_RESULTS; i++)
        textbuf_printf(&t, "leakfleet_pushes_total{result=\"%s\"} %llu\n", push_result_names[i],
                       (unsigned long long)atomic_load(&metrics->pushes[i]));
    textbuf_printf(&t,
                   "# HELP leakfleet_received_bytes_total Profile bytes received, before gunzip.\n"
                   "# TYPE leakfleet_received_bytes_total counter\n"
                   "leakfleet_received_bytes_total %llu\n",
                   (unsigned long long)atomic_load(&metrics->bytes));
    textbuf_printf(&t, "# HELP leakfleet_parse_errors_total Pushed profiles that failed to parse.\n"
                       "# TYPE leakfleet_parse_errors_total counter\n");
    for (size_t i = 0; i < FORMATS; i++)
        textbuf_printf(&t, "leakfleet_parse_errors_total{format=\"%s\"} %llu\n",
                       i == 0 ? "unknown" : parse_format_name((enum parse_format)i),
                       (unsigned long long)atomic_load(&metrics->parse_errors[i]));
    textbuf_printf(&t, "# HELP leakfleet_pyroscope_profiles_total Profiles pushed through the "
                       "Pyroscope-compatible routes, by result (other profile types are ignored).\n"
                       "# TYPE leakfleet_pyroscope_profiles_total counter\n");
    for (size_t i = 0; i < METRICS_PYROSCOPE_RESULTS; i++)
        textbuf_printf(&t, "leakfleet_pyroscope_profiles_total{result=\"%s\"} %llu\n",
                       pyroscope_result_names[i],
                       (unsigned long long)atomic_load(&metrics->pyroscope[i]));
    textbuf_printf(&t, "# HELP leakfleet_http_request_duration_seconds Request latency by route.\n"
                       "# TYPE leakfleet_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= metrics->n_routes; r++) {
        const struct histogram *h = &metrics->routes[r];
        uint64_t count = atomic_load(&h->count);
        uint64_t cumulative = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            cumulative += atomic_load(&h->buckets[b]);
            textbuf_printf(
                    &t,
                    "leakfleet_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    route_label(metrics, r), bucket_bounds[b], (unsigned long long)cumulative);
        }
        textbuf_printf(
                &t,
                "leakfleet_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                "leakfleet_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                "leakfleet_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                route_label(metrics, r), (unsigned long long)count, route_label(metrics, r),
                (double)atomic_load(&h->sum_micros) / 1e6, route_label(metrics, r),
                (unsigned long long)count);
    }
    for (size_t i = 0; i < metrics->n_values; i++) {
        const struct metrics_value *v = &metrics->values[i];
        textbuf_printf(&t, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", v->name, v->help, v->name,
                       v->type, v->name, v->fn(v->ctx));
    }
    if (t.failed) {
        lf_free(t.p);
        return lf_fail(err, LF_ENOMEM, "out of memory");
    }
    *out = t.p;
    *len = t.len;
    return LF_OK;
}

/* ---- the inventory ------------------------------------------------------------------ */

/* A label value in the text format: backslash, double quote and line feed escaped. */
static void text_label(struct textbuf *t, const char *name, const char *value, bool comma)
{
    textbuf_printf(t, "%s%s=\"", comma ? "," : "", name);
    for (const char *c = value != NULL ? value : ""; *c != '\0'; c++) {
        if (*c == '\\')
            textbuf_printf(t, "\\\\");
        else if (*c == '"')
            textbuf_printf(t, "\\\"");
        else if (*c == '\n')
            textbuf_printf(t, "\\n");
        else
            textbuf_printf(t, "%c", *c);
    }
    textbuf_printf(t, "\"");
}

static const char *row_text(const json_t *row, const char *key)
{
    const char *value = json_string_value(json_object_get(row, key));
    return value != NULL ? value : "";
}

static void site_labels(struct textbuf *t, const json_t *row)
{
    char line[24];
    snprintf(line, sizeof(line), "%lld",
             (long long)json_integer_value(json_object_get(row, "line")));
    textbuf_printf(t, "{");
    text_label(t, "service", row_text(row, "service"), false);
    text_label(t, "owner",
               json_is_string(json_object_get(row, "owner")) ? row_text(row, "owner") : "unowned",
               true);
    text_label(t, "function", row_text(row, "function"), true);
    text_label(t, "file", row_text(row, "file"), true);
    text_label(t, "line", line, true);
    text_label(t, "op", row_text(row, "op"), true);
    text_label(t, "suspect", json_is_true(json_object_get(row, "suspect")) ? "true" : "false",
               true);
    textbuf_printf(t, "}");
}

/* True for the rows rendered: every suspect up to the cap, and the top_sites largest
 * others (rows come largest first). */
static bool site_chosen(const json_t *row, size_t *suspects, size_t *others, size_t top_sites)
{
    if (json_is_true(json_object_get(row, "suspect")))
        return (*suspects)++ < METRICS_MAX_SUSPECTS;
    return (*others)++ < top_sites;
}

int metrics_append_sites(char **text, size_t *len, const json_t *leaks, size_t top_sites,
                         struct lf_error *err)
{
    struct textbuf t = { *text, *len, *len + 1, false };
    size_t n = json_array_size(leaks);
    textbuf_printf(&t, "# HELP leakfleet_site_goroutines Goroutines blocked at a site, summed over "
                       "the service's live instances (every suspect and the metrics.top_sites "
                       "largest sites).\n# TYPE leakfleet_site_goroutines gauge\n");
    size_t suspects = 0, others = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(leaks, i);
        if (!site_chosen(row, &suspects, &others, top_sites))
            continue;
        textbuf_printf(&t, "leakfleet_site_goroutines");
        site_labels(&t, row);
        textbuf_printf(&t, " %lld\n", (long long)json_integer_value(json_object_get(row, "count")));
    }
    textbuf_printf(&t, "# HELP leakfleet_site_growth_per_hour Growth of a site in goroutines an "
                       "hour, where detection measured it (the same sites).\n"
                       "# TYPE leakfleet_site_growth_per_hour gauge\n");
    suspects = others = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(leaks, i);
        const json_t *growth = json_object_get(row, "growth_per_hour");
        if (!site_chosen(row, &suspects, &others, top_sites) || !json_is_number(growth))
            continue;
        textbuf_printf(&t, "leakfleet_site_growth_per_hour");
        site_labels(&t, row);
        textbuf_printf(&t, " %.17g\n", json_number_value(growth));
    }
    *text = t.p;
    *len = t.len;
    if (t.failed)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    return LF_OK;
}
