/* api_detect.c - detection over HTTP: GET /api/v1/trends (sites ranked by growth over a
 * window), POST /api/v1/detect (an admin runs a detection pass now), the silences
 * (GET, and POST for admins), one notification with its history, a manual owner
 * reassignment, and GET /api/v1/settings (what the dashboard needs to know of the
 * configuration). The rules live in detect.c and notify.c; this file checks parameters. */
#include "routes.h"

#include <string.h>
#include <time.h>

#include "codeowners.h"
#include "detect.h"
#include "notify.h"
#include "query.h"
#include "store.h"
#include "utf8.h"
#include "utf8json.h"
#include "writer.h"

/* Every parameter known, and its value valid UTF-8: owners, services, functions and
 * reasons given here are stored and sent on as text. */
static int check_params(const struct request *req, const char *const *known, size_t n_known,
        struct lf_error *err)
{
    for (size_t i = 0; i < req->n_query; i++) {
        bool found = false;
        for (size_t k = 0; k < n_known && !found; k++)
            found = strcmp(req->query[i].key, known[k]) == 0;
        if (!found)
            return lf_fail(err, LF_EINVAL, "unknown parameter '%s'", req->query[i].key);
        const char *value = req->query[i].value;
        if (value != NULL && !utf8_valid(value, strlen(value)))
            return lf_fail(err, LF_EINVAL, "parameter '%s' is not valid UTF-8",
                    req->query[i].key);
    }
    return LF_OK;
}

/* "90", "90s", "30m", "24h", "7d", "2w" -> seconds; false for anything else. */
static bool parse_duration(const char *text, int64_t *out)
{
    struct str s = str_from_cstr(text);
    int64_t unit = 1;
    if (s.len > 1) {
        switch (s.p[s.len - 1]) {
        case 's': unit = 1; s.len--; break;
        case 'm': unit = 60; s.len--; break;
        case 'h': unit = 3600; s.len--; break;
        case 'd': unit = 86400; s.len--; break;
        case 'w': unit = 7 * 86400; s.len--; break;
        default: break;
        }
    }
    int64_t n;
    if (!str_to_int64(s, &n) || n <= 0 || n > INT64_MAX / unit)
        return false;
    *out = n * unit;
    return true;
}

int api_trends(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    static const char *const known[] = { "window", "limit" };
    int rc = check_params(req, known, 2, err);
    if (rc != LF_OK)
        return rc;
    int64_t window = 24 * 3600, limit = 100;
    const char *w = request_query(req, "window");
    if (w && !parse_duration(w, &window))
        return lf_fail(err, LF_EINVAL, "parameter 'window' must be a duration like 24h, not '%s'",
                w);
    if (window > 400 * 86400)
        return lf_fail(err, LF_EINVAL, "parameter 'window' is over 400 days");
    const char *l = request_query(req, "limit");
    if (l && (!str_to_int64(str_from_cstr(l), &limit) || limit <= 0 || limit > 10000))
        return lf_fail(err, LF_EINVAL, "parameter 'limit' must be 1..10000, not '%s'", l);
    return detect_trends(app->detect, 0, window, (size_t)limit, &resp->json, err);
}

int api_detect_run(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int rc = check_params(req, NULL, 0, err);
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

static int notification_id(const struct request *req, int64_t *out, struct lf_error *err)
{
    if (!str_to_int64(req->id, out) || *out <= 0)
        return lf_fail(err, LF_EINVAL, "notification id must be a positive integer");
    return LF_OK;
}

/* Answers one notification with its history. */
static int answer_notification(const struct api_context *app, int64_t id, struct response *resp,
        struct lf_error *err)
{
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(app->store, &conn, err);
    if (rc != LF_OK)
        return rc;
    rc = notify_list(conn, NULL, id, &resp->json, err);
    store_reader_release(app->store, conn);
    return rc;
}

int api_notification_get(const struct request *req, struct response *resp, struct lf_error *err)
{
    int64_t id;
    int rc = check_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = notification_id(req, &id, err);
    if (rc != LF_OK)
        return rc;
    return answer_notification(req->app, id, resp, err);
}

int api_notification_reassign(const struct request *req, struct response *resp,
        struct lf_error *err)
{
    const struct api_context *app = req->app;
    static const char *const known[] = { "owner" };
    struct notify_request action = { .action = NOTIFY_REASSIGN, .actor = "api" };
    int rc = check_params(req, known, 1, err);
    if (rc == LF_OK)
        rc = notification_id(req, &action.id, err);
    if (rc != LF_OK)
        return rc;
    action.owner = request_query(req, "owner");
    if (!action.owner || !action.owner[0])
        return lf_fail(err, LF_EINVAL, "missing parameter 'owner'");
    if (!codeowners_owner_valid(action.owner, strlen(action.owner), true))
        return lf_fail(err, LF_EINVAL, "parameter 'owner' must be " CODEOWNERS_OWNER_FORM);
    rc = writer_run(app->writer, notify_apply_job, &action, err);
    if (rc != LF_OK)
        return rc;
    return answer_notification(app, action.id, resp, err);
}

int api_silences(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    int rc = check_params(req, NULL, 0, err);
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
    int rc = check_params(req, known, 5, err);
    if (rc != LF_OK)
        return rc;
    struct notify_silence_job job = { .silence = {
        .service = request_query(req, "service"),
        .function = request_query(req, "function"),
        .owner = request_query(req, "owner"),
        .reason = request_query(req, "reason"),
        .now = (int64_t)time(NULL),
    } };
    const char *owner = job.silence.owner;
    if (owner && !codeowners_owner_valid(owner, strlen(owner), true))
        return lf_fail(err, LF_EINVAL, "parameter 'owner' must be " CODEOWNERS_OWNER_FORM);
    const char *until = request_query(req, "until");
    if (!until || !str_to_int64(str_from_cstr(until), &job.silence.expires))
        return lf_fail(err, LF_EINVAL, "parameter 'until' (unix seconds) is required");
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
    int rc = check_params(req, NULL, 0, err);
    if (rc != LF_OK)
        return rc;
    resp->json = json_pack("{s:o, s:I, s:I, s:I}", "source_url",
            utf8json_cstr(app->source_url), "live_window",
            (json_int_t)app->query->live_window, "threshold", (json_int_t)app->query->threshold,
            "projection_target", (json_int_t)app->projection_target);
    return resp->json ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}
