/* api_notify.c - the notification queue over HTTP: GET /api/v1/notifications[?state=S]
 * and GET .../ID (one notification with its history; open, like every read route) and
 * the admin actions POST .../ID/ack, .../ID/snooze ?until=UNIX, .../ID/resolve and
 * .../ID/reassign ?owner=O (AUTH_ADMIN in the route table), each recorded with the name
 * of the token that took it; GET /api/v1/whoami (AUTH_ADMIN) names the token, so the
 * dashboard checks an admin token when it is entered. Actions run as writer jobs, so each
 * is committed before it is answered; the rules are notify.c's. */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "codeowners.h"
#include "notify.h"
#include "store.h"
#include "writer.h"

void api_actor(const struct request *req, char *name, size_t size)
{
    const struct api_context *app = req->app;
    struct lf_error err;
    bool admin = false;
    lf_error_clear(&err);
    if (auth_who(app->auth, request_header(req, "Authorization"), name, size, &admin, &err) !=
        LF_OK)
        snprintf(name, size, "%s", "unknown");
}

int api_whoami(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    char name[AUTH_NAME_MAX + 1];
    bool admin = false;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = auth_who(app->auth, request_header(req, "Authorization"), name, sizeof(name), &admin,
                      err);
    if (rc != LF_OK)
        return rc;
    resp->json = json_pack("{s:s, s:b}", "name", name, "admin", admin);
    return resp->json ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}

static int list(const struct api_context *app, const char *state, int64_t id, json_t **out,
                struct lf_error *err)
{
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(app->store, &conn, err);
    if (rc != LF_OK)
        return rc;
    rc = notify_list(conn, state, id, out, err);
    store_reader_release(app->store, conn);
    return rc;
}

int api_notifications(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    static const char *const known[] = { "state" };
    int rc = request_allow_params(req, known, 1, err);
    if (rc != LF_OK)
        return rc;
    const char *state = request_query(req, "state");
    if (state != NULL && !notify_state_valid(state))
        return lf_fail(err, LF_EINVAL,
                       "parameter 'state' must be pending, delivered, unrouted, acknowledged, "
                       "snoozed or resolved, not '%s'",
                       state);
    return list(app, state, 0, &resp->json, err);
}

/* Runs one admin action, then answers the notification as it now is. */
static int act(const struct request *req, struct response *resp, enum notify_action action,
               struct lf_error *err)
{
    const struct api_context *app = req->app;
    char actor[AUTH_NAME_MAX + 1];
    api_actor(req, actor, sizeof(actor));
    struct notify_request action_req = { .action = action, .actor = actor };
    static const char *const snooze_params[] = { "until" };
    int rc = request_id(req, "notification", &action_req.id, err);
    if (rc == LF_OK)
        rc = request_allow_params(req, snooze_params, action == NOTIFY_SNOOZE ? 1 : 0, err);
    if (rc == LF_OK && action == NOTIFY_SNOOZE) {
        if (request_query(req, "until") == NULL)
            return lf_fail(err, LF_EINVAL, "missing parameter 'until'");
        rc = request_query_int(req, "until", 0, 1, INT64_MAX, "unix seconds", &action_req.until,
                               err);
    }
    if (rc != LF_OK)
        return rc;
    rc = writer_run(app->writer, notify_apply_job, &action_req, err);
    if (rc == LF_OK)
        rc = list(app, NULL, action_req.id, &resp->json, err);
    return rc;
}

int api_notification_ack(const struct request *req, struct response *resp, struct lf_error *err)
{
    return act(req, resp, NOTIFY_ACK, err);
}

int api_notification_snooze(const struct request *req, struct response *resp, struct lf_error *err)
{
    return act(req, resp, NOTIFY_SNOOZE, err);
}

int api_notification_resolve(const struct request *req, struct response *resp, struct lf_error *err)
{
    return act(req, resp, NOTIFY_RESOLVE, err);
}

int api_notification_get(const struct request *req, struct response *resp, struct lf_error *err)
{
    int64_t id;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = request_id(req, "notification", &id, err);
    if (rc != LF_OK)
        return rc;
    return list(req->app, NULL, id, &resp->json, err);
}

int api_notification_reassign(const struct request *req, struct response *resp,
                              struct lf_error *err)
{
    const struct api_context *app = req->app;
    static const char *const known[] = { "owner" };
    char actor[AUTH_NAME_MAX + 1];
    api_actor(req, actor, sizeof(actor));
    struct notify_request action = { .action = NOTIFY_REASSIGN, .actor = actor };
    int rc = request_allow_params(req, known, 1, err);
    if (rc == LF_OK)
        rc = request_id(req, "notification", &action.id, err);
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
    return list(app, NULL, action.id, &resp->json, err);
}
