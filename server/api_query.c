/* api_query.c - the read routes: /healthz, /metrics and the JSON queries of
 * shared/CONTRACT.md. Each handler validates its parameters (400 naming the bad one,
 * unknown parameters included, so a misspelt filter is not silently ignored) and hands
 * the work to query.c or metrics.c; no SQL and no JSON field names live here. */
#include "routes.h"

#include <string.h>

#include "metrics.h"
#include "query.h"
#include "timeline.h"

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
    int rc = metrics_render(app->metrics, &text, &len, err);
    if (rc != LF_OK)
        return rc;
    resp->owned_body = text;
    resp->body_len = len;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return LF_OK;
}

/* ---- parameter checks ------------------------------------------------------------------ */

static int check_params(const struct request *req, const char *const *known, size_t n_known,
                        struct lf_error *err)
{
    for (size_t i = 0; i < req->n_query; i++) {
        bool found = false;
        for (size_t k = 0; k < n_known && !found; k++)
            found = strcmp(req->query[i].key, known[k]) == 0;
        if (!found)
            return lf_fail(err, LF_EINVAL, "unknown parameter '%s'", req->query[i].key);
    }
    return LF_OK;
}

/* An optional non-empty text filter; *out stays NULL when absent. */
static int text_param(const struct request *req, const char *name, const char **out,
                      struct lf_error *err)
{
    const char *value = request_query(req, name);
    if (value != NULL && value[0] == '\0')
        return lf_fail(err, LF_EINVAL, "parameter '%s' is empty", name);
    *out = value;
    return LF_OK;
}

/* An optional integer >= 0; dflt when absent. Accepts a unit suffix s/m/h/d when
 * with_units (for step). */
static int int_param(const struct request *req, const char *name, int64_t dflt, bool with_units,
                     int64_t *out, struct lf_error *err)
{
    const char *value = request_query(req, name);
    *out = dflt;
    if (value == NULL)
        return LF_OK;
    struct str text = str_from_cstr(value);
    int64_t unit = 1;
    if (with_units && text.len > 1) {
        switch (text.p[text.len - 1]) {
        case 's':
            unit = 1;
            text.len--;
            break;
        case 'm':
            unit = 60;
            text.len--;
            break;
        case 'h':
            unit = 3600;
            text.len--;
            break;
        case 'd':
            unit = 86400;
            text.len--;
            break;
        default:
            break;
        }
    }
    int64_t v = 0;
    if (!str_to_int64(text, &v) || v < 0 || v > INT64_MAX / unit)
        return lf_fail(err, LF_EINVAL, "parameter '%s' must be a non-negative integer%s, not '%s'",
                       name, with_units ? " (or with s, m, h, d)" : "", value);
    *out = v * unit;
    return LF_OK;
}

static int bool_param(const struct request *req, const char *name, bool *out, struct lf_error *err)
{
    const char *value = request_query(req, name);
    *out = false;
    if (value == NULL)
        return LF_OK;
    if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || value[0] == '\0') {
        *out = true;
        return LF_OK;
    }
    if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
        return LF_OK;
    return lf_fail(err, LF_EINVAL, "parameter '%s' must be 1 or 0, not '%s'", name, value);
}

static int location_id(const struct request *req, int64_t *out, struct lf_error *err)
{
    char text[32];
    bool fits = str_copy_to(req->id, text, sizeof(text));
    if (!str_to_int64(req->id, out) || *out <= 0)
        return lf_fail(err, LF_EINVAL, "location id must be a positive integer, not '%s%s'", text,
                       fits ? "" : "...");
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
    int rc = check_params(req, leaks_params, sizeof(leaks_params) / sizeof(leaks_params[0]), err);
    if (rc == LF_OK)
        rc = text_param(req, "service", &service, err);
    if (rc == LF_OK)
        rc = text_param(req, "owner", &owner, err);
    if (rc == LF_OK)
        rc = bool_param(req, "all", &all, err);
    if (rc == LF_OK)
        rc = query_leaks(app->store, app->query, service, owner, all, &resp->json, err);
    return rc;
}

int api_location(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int64_t id = 0;
    int rc = check_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = location_id(req, &id, err);
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
    int rc =
            check_params(req, series_params, sizeof(series_params) / sizeof(series_params[0]), err);
    if (rc == LF_OK)
        rc = location_id(req, &id, err);
    if (rc == LF_OK)
        rc = text_param(req, "service", &service, err);
    if (rc == LF_OK)
        rc = text_param(req, "instance", &instance, err);
    if (rc == LF_OK && instance != NULL && service == NULL)
        rc = lf_fail(err, LF_EINVAL, "parameter 'instance' needs 'service'");
    if (rc == LF_OK)
        rc = int_param(req, "from", 0, false, &from, err);
    if (rc == LF_OK)
        rc = int_param(req, "to", 0, false, &to, err);
    if (rc == LF_OK)
        rc = int_param(req, "step", 0, true, &step, err);
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
    int rc = check_params(req, NULL, 0, err);
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
    int rc = check_params(req, timeline_params,
                          sizeof(timeline_params) / sizeof(timeline_params[0]), err);
    if (rc == LF_OK)
        rc = text_param(req, "service", &service, err);
    if (rc == LF_OK && service == NULL)
        rc = lf_fail(err, LF_EINVAL, "missing parameter 'service'");
    if (rc == LF_OK)
        rc = int_param(req, "from", 0, false, &from, err);
    if (rc == LF_OK)
        rc = int_param(req, "to", 0, false, &to, err);
    if (rc == LF_OK && to != 0 && to < from)
        rc = lf_fail(err, LF_EINVAL, "parameter 'to' (%lld) is before 'from' (%lld)", (long long)to,
                     (long long)from);
    if (rc == LF_OK)
        rc = timeline_service(app->store, service, from, to, app->query->now, &resp->json, err);
    return rc;
}
