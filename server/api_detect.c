/* api_detect.c - detection over HTTP: GET /api/v1/trends (sites ranked by growth over a
 * window), POST /api/v1/detect (an admin runs a detection pass now), the silences
 * (GET, and POST for admins), and GET /api/v1/settings (what the dashboard needs to know
 * of the configuration). The rules live in detect.c and notify.c; this file checks
 * parameters. The notifications' routes are api_notify.c's. */
#include "api.h"

#include <string.h>
#include <time.h>

#include "codeowners.h"
#include "detect.h"
#include "notify.h"
#include "query.h"
#include "store.h"
#include "units.h"
#include "utf8json.h"
#include "writer.h"

int api_trends(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    static const char *const known[] = { "window", "limit" };
    int64_t window = 0;
    int64_t limit = 0;
    int rc = request_allow_params(req, known, 2, err);
    if (rc == LF_OK)
        /* absent: 0, the detection window, which decides the suspects */
        rc = request_query_duration(req, "window", 0, 1, 400 * 86400,
                                    UNITS_SECONDS_EXPECTED ", at most 400d", &window, err);
    if (rc == LF_OK)
        rc = request_query_int(req, "limit", 100, 1, 10000, "1..10000", &limit, err);
    if (rc != LF_OK)
        return rc;
    rc = detect_trends(app->detect, 0, window, (size_t)limit, &resp->json, err);
    if (rc == LF_OK) /* the dashboard names in-repo sites by their repo-relative path */
        rc = query_repo_paths(app->store, app->query, json_object_get(resp->json, "trends"), err);
    if (rc != LF_OK) {
        json_decref(resp->json);
        resp->json = NULL;
    }
    return rc;
}

int api_detect_run(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = detect_run(app->detect, 0, err);
    if (rc != LF_OK)
        return rc;
    size_t verdicts = 0, suspects = 0;
    detect_counts(app->detect, &verdicts, &suspects);
    resp->json = json_pack("{s:I, s:I}", "verdicts", (json_int_t)verdicts, "suspects",
                           (json_int_t)suspects);
    return resp->json ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}

int api_silences(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc != LF_OK)
        return rc;
    struct store_conn *conn = NULL;
    rc = store_reader_acquire(app->store, &conn, err);
    if (rc != LF_OK)
        return rc;
    rc = notify_list_silences(conn, 0, &resp->json, err);
    store_reader_release(app->store, conn);
    return rc;
}

int api_silence_create(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    static const char *const known[] = { "service", "function", "owner", "reason", "until" };
    int rc = request_allow_params(req, known, 5, err);
    if (rc != LF_OK)
        return rc;
    struct notify_silence_job job = { .silence = {
                                              .service = request_query(req, "service"),
                                              .function = request_query(req, "function"),
                                              .owner = request_query(req, "owner"),
                                              .reason = request_query(req, "reason"),
                                              .now = (int64_t)time(NULL),
                                      } };
    char actor[AUTH_NAME_MAX + 1];
    api_actor(req, actor, sizeof(actor));
    job.silence.actor = actor;
    const char *owner = job.silence.owner;
    if (owner && !codeowners_owner_valid(owner, strlen(owner), true))
        return lf_fail(err, LF_EINVAL, "parameter 'owner' must be " CODEOWNERS_OWNER_FORM);
    if (request_query(req, "until") == NULL)
        return lf_fail(err, LF_EINVAL, "parameter 'until' (unix seconds) is required");
    rc = request_query_int(req, "until", 0, 1, INT64_MAX, "unix seconds", &job.silence.expires,
                           err);
    if (rc != LF_OK)
        return rc;
    rc = writer_run(app->writer, notify_add_silence_job, &job, err);
    if (rc != LF_OK)
        return rc;
    resp->status = 201;
    resp->json = json_pack("{s:I}", "id", (json_int_t)job.id);
    return resp->json ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}

int api_settings(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc != LF_OK)
        return rc;
    resp->json = json_pack(
            "{s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "source_url", utf8json_cstr(app->source_url),
            "live_window", (json_int_t)app->query->live_window, "threshold",
            (json_int_t)app->query->threshold, "projection_target",
            (json_int_t)app->projection_target, "detect_window", (json_int_t)app->detect_window,
            "reopen_after", (json_int_t)app->reopen_after, "resolve_after",
            (json_int_t)app->resolve_after);
    return resp->json ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}
