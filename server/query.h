/* query.h - the read side of the store as the JSON of docs/api.md: the leak inventory, one
 * location, a location's series, the services. Each call takes a reader connection from
 * the store's pool, so queries run beside the writer (WAL) and beside each other. Field
 * names are exactly those of docs/api.md. */
#ifndef LF_QUERY_H
#define LF_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "store.h"

struct attributor;

/* One (service, location) row of the inventory, as the judge sees it (borrowed for the
 * call). count is summed over the latest profile of each live instance. */
struct query_leak {
    int64_t location_id;
    const char *service;
    const char *function;
    const char *file;
    int64_t line;
    const char *op;
    bool is_channel;
    bool in_repo;
    const char *owner; /* location owner, else the service's owner; NULL = none */
    int64_t count;
    bool confirmed; /* the runtime confirmed a leak in one of the latest profiles */
    int64_t first_seen;
    int64_t last_seen;
};

/* The judge's verdict on one row. */
struct query_verdict {
    bool suspect;
    bool has_growth; /* false: "growth_per_hour": null */
    double growth_per_hour;
    json_t *detail; /* more keys for the row ("reason", "instances", ...): a new
                       reference the query consumes; NULL = none */
};

/* Decides suspect and growth for one row; ctx is query_options.judge_ctx. */
typedef void (*query_judge_fn)(void *ctx, const struct query_leak *row, struct query_verdict *out);

struct query_options {
    int64_t now;          /* unix seconds; 0 = the clock */
    int64_t live_window;  /* an instance is live while it pushed within this (300 s) */
    int64_t threshold;    /* detect.threshold (100) */
    query_judge_fn judge; /* NULL = query_judge_threshold */
    void *judge_ctx;      /* for query_judge_threshold: the query_options itself */
    const struct attributor *attributor; /* repo.roots, for the frames of a location's
                                            stack; NULL = no frame is in-repo */
};

/* Fills opts with the defaults above. */
void query_options_default(struct query_options *opts);

/* The default judge until growth detection exists: suspect when in-repo and either a
 * channel op with count >= threshold (ctx is a const struct query_options *, NULL =
 * 100) or confirmed by the runtime's goroutine-leak verdict; growth unknown (null). */
void query_judge_threshold(void *ctx, const struct query_leak *row, struct query_verdict *out);

/* GET /api/v1/leaks. service and owner (NULL = any) filter; all adds every other blocked
 * location (not running / runnable). Rows largest count first. Returns LF_OK with *out a
 * new reference (caller json_decref), or LF_EDB / LF_ENOMEM. */
int query_leaks(struct store *store, const struct query_options *opts, const char *service,
                const char *owner, bool all, json_t **out, struct lf_error *err);

/* Sets "repo_path" on each object of rows (an array of sites with "location_id" and
 * "in_repo", such as the trends): the location's repo-relative path when in_repo, else
 * null (also when the location is gone from the store); and on a row's "culprit" object,
 * its path as opts->attributor tells it. */
int query_repo_paths(struct store *store, const struct query_options *opts, json_t *rows,
                     struct lf_error *err);

/* GET /api/v1/locations/ID: {"location_id","op","function","file","line","in_repo",
 * "repo_path","owner","first_seen","stack":[{"function","file","line","in_repo",
 * "repo_path","created_by"}] (innermost first; each frame attributed by opts->attributor,
 * repo_path null when not in-repo; created_by true on the debug=2 "created by" frame,
 * stored last),
 * "sites":[{"location_id","op","line"}] (other locations in the same function and file),
 * "services":[{"name","count","instances","first_seen","last_seen"}]} (count over live
 * instances). LF_ENOTFOUND when no such location. *out as query_leaks. */
int query_location(struct store *store, const struct query_options *opts, int64_t location_id,
                   json_t **out, struct lf_error *err);

/* GET /api/v1/locations/ID/series: {"series":[[bucket_start, count], ...], "from", "to",
 * "step"} for the buckets of step seconds (0 = chosen for at most 500 buckets, at least
 * 60 s) from the one holding from to the one holding to (to 0 = now, from 0 = 24 h
 * before to). A bucket's count is the fleet's value at its end, min(start + step - 1,
 * to): the sum, over the instances of the location's services, of each instance's latest
 * sample at or before that time if it is within opts->live_window of it (0 when that
 * profile lacks the location) - the inventory's own rule, so a series up to now ends on
 * the inventory's count (profile times taken as push times). Buckets with no live
 * instance are left out. service NULL = every service. LF_ENOTFOUND for no such
 * location, LF_EINVAL for to < from or a negative step. *out as query_leaks. */
int query_series(struct store *store, const struct query_options *opts, int64_t location_id,
                 const char *service, int64_t from, int64_t to, int64_t step, json_t **out,
                 struct lf_error *err);

/* As query_series, for one instance of the service when instance is not NULL (raw
 * samples only: hourly rollups hold sums over instances). Buckets ending before
 * retention's watermark (retention_state.rolled_until) come from the hourly rollups: the
 * same rule at an hour's resolution, the value at the end of the bucket's latest hour
 * (a bucket holding no hour's end, with a step under an hour, has no point there). */
int query_series_instance(struct store *store, const struct query_options *opts,
                          int64_t location_id, const char *service, const char *instance,
                          int64_t from, int64_t to, int64_t step, json_t **out,
                          struct lf_error *err);

/* GET /api/v1/services: {"services":[{"name","owner","instances":[{"name","profiles",
 * "last_push"}]}]} sorted by name. *out as query_leaks. */
int query_services(struct store *store, const struct query_options *opts, json_t **out,
                   struct lf_error *err);

#endif
