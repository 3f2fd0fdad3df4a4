/* api_notify.c - the notification queue over HTTP: GET /api/v1/notifications[?state=S]
 * (open, like every read route) and the admin actions POST .../ID/ack, .../ID/snooze
 * ?until=UNIX and .../ID/resolve (AUTH_ADMIN in the route table), each recorded with the
 * name of the token that took it; GET /api/v1/whoami (AUTH_ADMIN) names the token, so the
 * dashboard checks an admin token when it is entered. Actions run as writer jobs, so each
 * is committed before it is answered; the rules are notify.c's. */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "notify.h"
#include "store.h"
#include "writer.h"

void api_actor(const struct request *req, char *name, size_t size)
{
    const struct api_context *app = req->app;
    struct lf_error err;
    bool admin = false;
    lf_error_clear(&err);
    if (auth_identify(app->auth, request_header(req, "Authorization"), name, size, &admin,
                      &err) != LF_OK)
        snprintf(name, size, "%s", "unknown");
}

int api_whoami(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    char name[AUTH_NAME_MAX + 1];
    bool admin = false;
    if (req->n_query > 0)
        return lf_fail(err, LF_EINVAL, "unknown parameter '%s'", req->query[0].key);
    int rc = auth_identify(app->auth, request_header(req, "Authorization"), name, sizeof(name),
                           &admin, err);
    if (rc != LF_OK)
        return rc;
    resp->json = json_pack("{s:s, s:b}", "name", name, "admin", admin);
    return resp->json ? LF_OK : lf_fail(err, LF_ENOMEM, "out of memory");
}

static int notification_id(const struct request *req, int64_t *out, struct lf_error *err)
{
    char text[32];
    bool fits = str_copy_to(req->id, text, sizeof(text));
    if (!str_to_int64(req->id, out) || *out <= 0)
        return lf_fail(err, LF_EINVAL, "notification id must be a positive integer, not '%s%s'",
                       text, fits ? "" : "...");
    return LF_OK;
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
    const char *state = NULL;
    for (size_t i = 0; i < req->n_query; i++) {
        if (strcmp(req->query[i].key, "state") != 0)
            return lf_fail(err, LF_EINVAL, "unknown parameter '%s'", req->query[i].key);
        state = req->query[i].value == NULL ? "" : req->query[i].value;
    }
    if (state != NULL && !notify_state_valid(state))
        return lf_fail(err, LF_EINVAL,
                       "parameter 'state' must be pending, delivered, unrouted, acknowledged, "
                       "snoozed or resolved, not '%s'",
                       state);
    return list(app, state, 0, &resp->json, err);
}

static int apply_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    return notify_apply(conn, ctx, err);
}

/* Runs one admin action, then answers the notification as it now is. */
static int act(const struct request *req, struct response *resp, enum notify_action action,
               struct lf_error *err)
{
    const struct api_context *app = req->app;
    char actor[AUTH_NAME_MAX + 1];
    api_actor(req, actor, sizeof(actor));
    struct notify_request action_req = { .action = action, .actor = actor };
    int rc = notification_id(req, &action_req.id, err);
    if (rc != LF_OK)
        return rc;
    for (size_t i = 0; i < req->n_query; i++) {
        if (action != NOTIFY_SNOOZE || strcmp(req->query[i].key, "until") != 0)
            return lf_fail(err, LF_EINVAL, "unknown parameter '%s'", req->query[i].key);
    }
    if (action == NOTIFY_SNOOZE) {
        const char *until = request_query(req, "until");
        if (until == NULL)
            return lf_fail(err, LF_EINVAL, "missing parameter 'until'");
        if (!str_to_int64(str_from_cstr(until), &action_req.until) || action_req.until <= 0)
            return lf_fail(err, LF_EINVAL, "parameter 'until' must be unix seconds, not '%s'",
                           until);
    }
    rc = writer_run(app->writer, apply_job, &action_req, err);
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
