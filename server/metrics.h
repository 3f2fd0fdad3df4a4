/* metrics.h - the server's Prometheus metrics: pushes by result, bytes received, parse
 * errors by format, request latency per route, and gauges read at scrape time (database
 * size, writer queue depth, commits). Updates are lock-free atomics, safe from any
 * thread; registration happens before serving starts. */
#ifndef LF_METRICS_H
#define LF_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "parse.h"

struct metrics;

/* Returns a new metrics set with one latency histogram per route name (n_routes names,
 * borrowed: they must outlive the set; route index n_routes collects requests that
 * matched no route). Caller frees with metrics_free; NULL when allocation fails. */
struct metrics *metrics_create(const char *const *route_names, size_t n_routes);

/* Frees the set; NULL is allowed. */
void metrics_free(struct metrics *metrics);

/* Counts one push by its HTTP status: 201 stored, 200 duplicate (an Idempotency-Key
 * replay), 400 invalid, 401 unauthorized, 403 forbidden, 413 too_big, 422 key_reused
 * (another request under a used Idempotency-Key), anything else error. */
void metrics_count_push(struct metrics *metrics, int http_status);

/* Adds n request-body bytes received (before gunzip). */
void metrics_add_bytes(struct metrics *metrics, uint64_t n);

/* Counts one body that failed to parse, by the format it was parsed as (AUTO when the
 * format could not be told). */
void metrics_count_parse_error(struct metrics *metrics, enum parse_format format);

/* What became of one profile pushed through the Pyroscope-compatible routes. */
enum metrics_pyroscope {
    METRICS_PYROSCOPE_STORED,    /* a goroutine profile, stored */
    METRICS_PYROSCOPE_DUPLICATE, /* a goroutine profile whose ID was stored before */
    METRICS_PYROSCOPE_IGNORED,   /* any other profile type (CPU, memory, ...): accepted */
    METRICS_PYROSCOPE_RESULTS,
};

/* Counts n profiles of the Pyroscope routes by result
 * (leakfleet_pyroscope_profiles_total{result}). */
void metrics_count_pyroscope(struct metrics *metrics, enum metrics_pyroscope result, uint64_t n);

/* Records one request's latency; route is an index given to metrics_create, or
 * n_routes for requests that matched none. */
void metrics_observe_request(struct metrics *metrics, size_t route, double seconds);

/* A value read at scrape time. */
typedef double (*metrics_value_fn)(void *ctx);

/* Registers a value read by fn(ctx) at each scrape and printed as `name value` with its
 * HELP and TYPE ("gauge" or "counter") lines; name and help are borrowed. Call before
 * serving starts (not thread-safe against metrics_render). LF_ENOMEM on failure. */
int metrics_add_value(struct metrics *metrics, const char *name, const char *help, const char *type,
                      metrics_value_fn fn, void *ctx, struct lf_error *err);

/* The current value of the pushes counter for one result word ("stored", "duplicate",
 * ...); 0 for an unknown word. */
uint64_t metrics_pushes(const struct metrics *metrics, const char *result);

/* Renders the Prometheus text exposition into *out, a new NUL-terminated buffer of
 * *len bytes (caller frees with lf_free). LF_ENOMEM on failure. */
int metrics_render(const struct metrics *metrics, char **out, size_t *len, struct lf_error *err);

/* Most suspects rendered by metrics_append_sites (the label sets stay bounded even when
 * detection goes wild). */
#define METRICS_MAX_SUSPECTS 1000

/* Appends the inventory to a rendered exposition (*text, *len: metrics_render's buffer,
 * grown in place): leakfleet_site_goroutines and, where growth is known,
 * leakfleet_site_growth_per_hour, with labels service, owner, function, file, line, op
 * and suspect, for every suspect (at most METRICS_MAX_SUSPECTS) and the top_sites largest
 * other sites. leaks is the "leaks" array of query_leaks (largest count first, texts
 * valid UTF-8); label values are escaped as the text format requires (\\, \", \n).
 * LF_ENOMEM on failure (*text is then still the caller's). */
int metrics_append_sites(char **text, size_t *len, const json_t *leaks, size_t top_sites,
                         struct lf_error *err);

#endif
