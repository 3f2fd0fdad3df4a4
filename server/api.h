/* api.h - the route handlers (api_*.c; http_static, the dashboard, is http.h's) and the context
 * they all get as request.app. Handlers are socket-free: each reads its request through
 * request.h's readers and fills a response, so a unit test calls one directly. routes.c
 * names them in the route table. */
#ifndef LF_API_H
#define LF_API_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "error.h"
#include "http.h"
#include "request.h"

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
    int64_t resolve_after;    /* notify.resolve_after, for the dashboard (seconds) */
    int64_t detect_window;    /* detect.window, for the dashboard (seconds) */
    size_t metrics_top_sites; /* metrics.top_sites: non-suspect sites on /metrics */
};

/* Copies the name of the token that authorized req into name (AUTH_ANONYMOUS on a
 * server without tokens, "unknown" if none): who took an admin action. */
void api_actor(const struct request *req, char *name, size_t size);

/* ---- handlers (see docs/api.md for each route) ---- */
/* api_query.c: liveness, the Prometheus exposition and the read routes */
int api_health(const struct request *req, struct response *resp, struct lf_error *err);
int api_metrics(const struct request *req, struct response *resp, struct lf_error *err);
int api_leaks(const struct request *req, struct response *resp, struct lf_error *err);
int api_location(const struct request *req, struct response *resp, struct lf_error *err);
int api_location_series(const struct request *req, struct response *resp, struct lf_error *err);
int api_services(const struct request *req, struct response *resp, struct lf_error *err);
int api_timeline(const struct request *req, struct response *resp, struct lf_error *err);
/* api_ingest.c: the agent's push */
int api_ingest(const struct request *req, struct response *resp, struct lf_error *err);
/* api_notify.c: the notification queue, its admin actions, and who the token is */
int api_notifications(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_ack(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_snooze(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_resolve(const struct request *req, struct response *resp,
                             struct lf_error *err);
int api_notification_get(const struct request *req, struct response *resp, struct lf_error *err);
int api_notification_reassign(const struct request *req, struct response *resp,
                              struct lf_error *err);
int api_whoami(const struct request *req, struct response *resp, struct lf_error *err);
/* api_detect.c: trends, detection on demand, silences, the dashboard's settings */
int api_trends(const struct request *req, struct response *resp, struct lf_error *err);
int api_detect_run(const struct request *req, struct response *resp, struct lf_error *err);
int api_silences(const struct request *req, struct response *resp, struct lf_error *err);
int api_silence_create(const struct request *req, struct response *resp, struct lf_error *err);
int api_settings(const struct request *req, struct response *resp, struct lf_error *err);
/* api_pyroscope.c: Pyroscope's POST /ingest and the Connect push.v1.PusherService/Push */
int api_pyroscope_ingest(const struct request *req, struct response *resp, struct lf_error *err);
int api_pyroscope_push(const struct request *req, struct response *resp, struct lf_error *err);

#endif
