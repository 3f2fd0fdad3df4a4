/* routes.h - the server's route table (method + path pattern -> auth level, body cap,
 * handler, metric name), the matcher http.c uses on it, the context every handler gets,
 * and the handlers the table names (api_ingest.c, api_query.c, http.c). */
#ifndef LF_ROUTES_H
#define LF_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "http.h"
#include "str.h"

/* One row. pattern segments are literal, ":id" (one non-empty segment, handed to the
 * handler as request.id), or a final "*" (any rest; such rows answer only their own
 * method, and HEAD when it is GET, and never make another method a 405). */
struct route {
    const char *method;
    const char *pattern;
    enum auth_level auth;
    size_t body_limit; /* bytes of body accepted; 0 = none */
    route_fn handler;
    const char *metric; /* label of its latency histogram */
};

/* The server's table, in match order, and its length. */
extern const struct route routes[];
extern const size_t routes_count;

enum route_match {
    ROUTE_FOUND,
    ROUTE_NOT_FOUND,
    ROUTE_BAD_METHOD, /* the path exists for other methods */
};

/* True when route is a Connect protocol procedure: its pattern's first segment names a
 * fully qualified service ("/push.v1.PusherService/Push"), so it holds a '.'. http.c
 * answers its errors in Connect's form ({"code", "message"}, http_connect_error_body). */
bool routes_is_connect(const struct route *route);

/* Matches (method, path) against table (n rows); HEAD matches the GET rows. ROUTE_FOUND
 * sets *index and *id (a view into path; empty when the pattern has no ":id");
 * ROUTE_BAD_METHOD writes the allowed methods ("GET, HEAD, POST") into allow (size > 0). */
enum route_match routes_match(const struct route *table, size_t n, const char *method,
                              const char *path, size_t *index, struct str *id, char *allow,
                              size_t allow_size);

/* Everything the handlers share, owned by cmd_serve.c (all borrowed by handlers). */
struct store;
struct writer;
struct metrics;
struct ingest_context;
struct query_options;

struct detect;

struct api_context {
    struct detect *detect;     /* verdicts, trends, passes on demand */
    const char *source_url;    /* web.source_url for the dashboard; NULL = none */
    int64_t projection_target; /* "reaches N in H hours" uses this N */
    struct store *store;
    struct writer *writer;
    const struct ingest_context *ingest;
    const struct query_options *query;
    struct metrics *metrics;
    size_t max_decoded_bytes; /* cap on a body after Content-Encoding: gzip */
    const struct auth *auth;  /* who acted: the token's name; NULL = anonymous */
    int64_t reopen_after;     /* notify.reopen_after, for the dashboard (seconds) */
    int64_t detect_window;    /* detect.window, for the dashboard (seconds) */
    size_t metrics_top_sites; /* metrics.top_sites: non-suspect sites on /metrics */
};

/* Copies the name of the token that authorized req into name (AUTH_ANONYMOUS on a
 * server without tokens, "unknown" if none): who took an admin action. */
void api_actor(const struct request *req, char *name, size_t size);

/* ---- handlers (see docs/api.md for each route) ---- */
int api_health(const struct request *req, struct response *resp, struct lf_error *err);
int api_metrics(const struct request *req, struct response *resp, struct lf_error *err);
int api_ingest(const struct request *req, struct response *resp, struct lf_error *err);
int api_leaks(const struct request *req, struct response *resp, struct lf_error *err);
int api_location(const struct request *req, struct response *resp, struct lf_error *err);
int api_location_series(const struct request *req, struct response *resp, struct lf_error *err);
int api_services(const struct request *req, struct response *resp, struct lf_error *err);
int api_notifications(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_ack(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_snooze(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_resolve(const struct request *req, struct response *resp,
                             struct lf_error *err);
int api_notification_get(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_reassign(const struct request *req, struct response *resp,
                              struct lf_error *err);
int api_trends(const struct request *req, struct response *resp, struct lf_error *err);
int api_detect_run(const struct request *req, struct response *resp, struct lf_error *err);
int api_silences(const struct request *req, struct response *resp, struct lf_error *err);
int api_silence_create(const struct request *req, struct response *resp, struct lf_error *err);
int api_settings(const struct request *req, struct response *resp, struct lf_error *err);
int api_whoami(const struct request *req, struct response *resp, struct lf_error *err);
int api_timeline(const struct request *req, struct response *resp, struct lf_error *err);
/* api_pyroscope.c: Pyroscope's POST /ingest and the Connect push.v1.PusherService/Push */
int api_pyroscope_ingest(const struct request *req, struct response *resp, struct lf_error *err);
int api_pyroscope_push(const struct request *req, struct response *resp, struct lf_error *err);

#endif
