/* api_query.c - the read routes: /healthz, /metrics and the JSON queries of
 * docs/api.md. Each handler validates its parameters (400 naming the bad one,
 * unknown parameters included, so a misspelt filter is not silently ignored) and hands
 * the work to query.c or metrics.c; no SQL and no JSON field names live here. */
#include "api.h"

#include <string.h>

#include "alloc.h"
#include "metrics.h"
#include "query.h"
#include "timeline.h"
#include "units.h"

static const char health_body[] = "{\"status\":\"ok\"}\n";

int api_health(const struct request *req, struct response *resp, struct lf_error *err)
{
    (void)req;
    (void)err;
    resp->static_body = health_body;
    resp->body_len = sizeof(health_body) - 1;
    resp->content_type = "application/json";
    return LF_OK;
}

int api_metrics(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    char *text = NULL;
    size_t len = 0;
    json_t *leaks = NULL;
    int rc = metrics_render(app->metrics, &text, &len, err);
    /* the inventory: every suspect and the metrics.top_sites largest sites */
    if (rc == LF_OK && app->store != NULL)
        rc = query_leaks(app->store, app->query, NULL, NULL, true, &leaks, err);
    if (rc == LF_OK && leaks != NULL)
        rc = metrics_append_sites(&text, &len, json_object_get(leaks, "leaks"),
                                  app->metrics_top_sites, err);
    json_decref(leaks);
    if (rc != LF_OK) {
        lf_free(text);
        return rc;
    }
    resp->owned_body = text;
    resp->body_len = len;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return LF_OK;
}

/* ---- the queries ----------------------------------------------------------------------- */

static const char *const leaks_params[] = { "service", "owner", "all" };

int api_leaks(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    const char *service = NULL;
    const char *owner = NULL;
    bool all = false;
    int rc = request_allow_params(req, leaks_params, sizeof(leaks_params) / sizeof(leaks_params[0]),
                                  err);
    if (rc == LF_OK)
        rc = request_query_text(req, "service", &service, err);
    if (rc == LF_OK)
        rc = request_query_text(req, "owner", &owner, err);
    if (rc == LF_OK)
        rc = request_query_bool(req, "all", &all, err);
    if (rc == LF_OK)
        rc = query_leaks(app->store, app->query, service, owner, all, &resp->json, err);
    return rc;
}

int api_location(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int64_t id = 0;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = request_id(req, "location", &id, err);
    if (rc == LF_OK)
        rc = query_location(app->store, app->query, id, &resp->json, err);
    return rc;
}

static const char *const series_params[] = { "service", "instance", "from", "to", "step" };

int api_location_series(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int64_t id = 0;
    int64_t from = 0;
    int64_t to = 0;
    int64_t step = 0;
    const char *service = NULL;
    const char *instance = NULL;
    int rc = request_allow_params(req, series_params,
                                  sizeof(series_params) / sizeof(series_params[0]), err);
    if (rc == LF_OK)
        rc = request_id(req, "location", &id, err);
    if (rc == LF_OK)
        rc = request_query_text(req, "service", &service, err);
    if (rc == LF_OK)
        rc = request_query_text(req, "instance", &instance, err);
    if (rc == LF_OK && instance != NULL && service == NULL)
        rc = lf_fail(err, LF_EINVAL, "parameter 'instance' needs 'service'");
    if (rc == LF_OK)
        rc = request_query_int(req, "from", 0, 0, INT64_MAX, "a non-negative integer", &from, err);
    if (rc == LF_OK)
        rc = request_query_int(req, "to", 0, 0, INT64_MAX, "a non-negative integer", &to, err);
    if (rc == LF_OK)
        rc = request_query_duration(req, "step", 0, 0, INT64_MAX, UNITS_SECONDS_EXPECTED, &step,
                                    err);
    if (rc == LF_OK && to != 0 && to < from)
        rc = lf_fail(err, LF_EINVAL, "parameter 'to' (%lld) is before 'from' (%lld)", (long long)to,
                     (long long)from);
    if (rc == LF_OK)
        rc = query_series_instance(app->store, app->query, id, service, instance, from, to, step,
                                   &resp->json, err);
    return rc;
}

int api_services(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = query_services(app->store, app->query, &resp->json, err);
    return rc;
}

static const char *const timeline_params[] = { "service", "from", "to" };

int api_timeline(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int64_t from = 0;
    int64_t to = 0;
    const char *service = NULL;
    int rc = request_allow_params(req, timeline_params,
                                  sizeof(timeline_params) / sizeof(timeline_params[0]), err);
    if (rc == LF_OK)
        rc = request_query_text(req, "service", &service, err);
    if (rc == LF_OK && service == NULL)
        rc = lf_fail(err, LF_EINVAL, "missing parameter 'service'");
    if (rc == LF_OK)
        rc = request_query_int(req, "from", 0, 0, INT64_MAX, "a non-negative integer", &from, err);
    if (rc == LF_OK)
        rc = request_query_int(req, "to", 0, 0, INT64_MAX, "a non-negative integer", &to, err);
    if (rc == LF_OK && to != 0 && to < from)
        rc = lf_fail(err, LF_EINVAL, "parameter 'to' (%lld) is before 'from' (%lld)", (long long)to,
                     (long long)from);
    if (rc == LF_OK)
        rc = timeline_service(app->store, service, from, to, app->query->now, &resp->json, err);
    return rc;
}
