/* test_api.c - unit tests of the route handlers (api_ingest.c, api_query.c, api_notify.c,
 * api_detect.c, api_pyroscope.c) without sockets: each test builds a struct request in
 * memory over the store and detection of queue_fixture.h, calls the handler and checks
 * the status (a handler's error code as http.c answers it) and the JSON. What http_admit
 * decides before a handler runs (the query's bytes, 401 and 403 by route) is
 * test_http's; here, what each handler decides itself: its parameters, ids, bodies, who
 * acted, and the services a Pyroscope request names against its token's grant. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "http.h"
#include "ingest.h"
#include "query.h"
#include "queue_fixture.h"
#include "routes.h"

#define ADMIN  "Bearer admin-secret" /* an admin token named alice */
#define PUSHER "Bearer push-secret"  /* a token that may push for shop only */

static struct auth *auth;
static struct ingest_context ingest;
static struct query_options query;
static struct api_context app;
static struct response resp;
static int status;
static char *fixtures[4]; /* read by fixture(), freed by api_teardown */
static size_t n_fixtures;

static void api_setup(void)
{
    setup();
    auth = auth_create();
    ck_assert_ptr_nonnull(auth);
    static const char *const shop[] = { "shop" };
    ck_assert_int_eq(auth_add(auth, "admin-secret", NULL, NULL, 0, true, &fx.err), LF_OK);
    ck_assert_int_eq(auth_set_name(auth, 0, "alice", &fx.err), LF_OK);
    ck_assert_int_eq(auth_add(auth, "push-secret", NULL, shop, 1, false, &fx.err), LF_OK);
    ck_assert_int_eq(auth_set_name(auth, 1, "shop-agent", &fx.err), LF_OK);
    memset(&ingest, 0, sizeof(ingest));
    ingest.store = fx.store;
    ingest.writer = fx.writer;
    query_options_default(&query);
    query.now = T0 + 7200;
    memset(&app, 0, sizeof(app));
    app.detect = fx.detect;
    app.store = fx.store;
    app.writer = fx.writer;
    app.ingest = &ingest;
    app.query = &query;
    app.auth = auth;
    app.max_decoded_bytes = 1 << 20;
    app.projection_target = 10000;
    app.reopen_after = 3600;
    app.resolve_after = 2 * 3600;
    app.detect_window = 6 * 3600;
    memset(&resp, 0, sizeof(resp));
}

static void api_teardown(void)
{
    response_release(&resp);
    while (n_fixtures > 0)
        free(fixtures[--n_fixtures]);
    auth_free(auth);
    teardown();
}

/* Calls fn on a request with the ":id" segment id (NULL: none), the query and headers
 * given as NULL-terminated name, value pairs (a NULL value is a bare "?name"), and body.
 * An Authorization header's token is identified for an AUTH_INGEST_LABELS route, as
 * http_admit does. Sets status as http.c would answer and returns the handler's code,
 * fx.err holding its message; resp.json is the answer until the next call. */
static int handle(route_fn fn, const char *id, const char *const *params, const char *const *heads,
                  struct str body)
{
    struct http_param q[REQUEST_MAX_QUERY], h[8];
    size_t n_q = 0, n_h = 0;
    for (; params != NULL && params[2 * n_q] != NULL; n_q++)
        q[n_q] = request_param_cstr(params[2 * n_q], params[2 * n_q + 1]);
    for (; heads != NULL && heads[2 * n_h] != NULL; n_h++)
        h[n_h] = request_param_cstr(heads[2 * n_h], heads[2 * n_h + 1]);
    struct request req = { .method = "POST",
                           .path = "/",
                           .query = q,
                           .n_query = n_q,
                           .headers = h,
                           .n_headers = n_h,
                           .id = id ? str_from_cstr(id) : STR_NULL,
                           .body = body,
                           .app = &app };
    struct lf_error ignored;
    const char *authorization = request_header(&req, "Authorization");
    if (authorization != NULL)
        auth_identify(auth, authorization, AUTH_INGEST_LABELS, NULL, &req.grant, &ignored);
    response_release(&resp);
    lf_error_clear(&fx.err);
    int rc = fn(&req, &resp, &fx.err);
    status = rc == LF_OK ? (resp.status ? resp.status : 200) : http_status_for_code(rc);
    return rc;
}

/* handle's error: the status, and the message http.c sends as {"error": ...}. */
#define ck_refused(call, want_status, want_msg)                                                    \
    do {                                                                                           \
        ck_assert_int_ne((call), LF_OK);                                                           \
        ck_assert_int_eq(status, (want_status));                                                   \
        ck_assert_str_eq(fx.err.msg, (want_msg));                                                  \
    } while (0)

#define ck_ok(call, want_status)                                                                   \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        ck_assert_msg(rc_ == LF_OK, "%d: %s", rc_, fx.err.msg);                                    \
        ck_assert_int_eq(status, (want_status));                                                   \
    } while (0)

static const char *str_at(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static json_int_t int_at(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* A file of tests/fixtures, read whole; freed at the test's end. */
static struct str fixture(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/fixtures/%s", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_lt(n_fixtures, 4);
    fixtures[n_fixtures++] = buf;
    size_t len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    ck_assert_uint_gt(len, 0);
    return str_make(buf, len);
}

/* Two hours of pushes ending at now (the clock), so that a pass "now" judges them. */
static int64_t fill_until_now(void)
{
    int64_t now = (int64_t)time(NULL);
    int64_t ts = now - 7200;
    for (int i = 0; i < 120; i++, ts += 60) {
        push("a", ts, 10 + 2 * i, 150, 5 + i);
        push("b", ts + 5, 20 + 2 * i, 150, 5 + i);
    }
    return now;
}

/* ---- api_ingest ------------------------------------------------------------------------ */

START_TEST(test_ingest)
{
    struct str body = fixture("leakgen-n2.debug2.txt");
    const char *const q[] = { "service", "shop", "instance", "a", NULL };
    const char *const key[] = { "Idempotency-Key", "k1", NULL };
    ck_ok(handle(api_ingest, NULL, q, key, body), 201);
    json_int_t profile_id = int_at(resp.json, "profile_id");
    ck_assert_int_gt(profile_id, 0);
    ck_assert_int_gt(int_at(resp.json, "goroutines"), 0);
    ck_assert_int_gt(int_at(resp.json, "locations"), 0);
    /* the same request under the same key: a replay, answered 200 with the same profile */
    ck_ok(handle(api_ingest, NULL, q, key, body), 200);
    ck_assert_int_eq(int_at(resp.json, "profile_id"), profile_id);
    /* another body under that key */
    struct str other = fixture("leakgen-n2.debug1.txt");
    ck_assert_int_eq(handle(api_ingest, NULL, q, key, other), LF_EMISMATCH);
    ck_assert_int_eq(status, 422);

    const char *const unknown[] = { "service", "shop", "instance", "a", "tz", "1", NULL };
    ck_refused(handle(api_ingest, NULL, unknown, NULL, body), 400, "unknown parameter 'tz'");
    const char *const no_service[] = { "instance", "a", NULL };
    ck_refused(handle(api_ingest, NULL, no_service, NULL, body), 400,
               "missing parameter 'service'");
    const char *const format[] = { "service", "shop", "instance", "a", "format", "jfr", NULL };
    ck_refused(handle(api_ingest, NULL, format, NULL, body), 400,
               "parameter 'format' must be auto, pprof, debug1 or debug2, not 'jfr'");
    ck_refused(handle(api_ingest, NULL, q, NULL, STR_LIT("")), 400,
               "empty body: expected a goroutine profile");
    const char *const gzip[] = { "Content-Encoding", "gzip", NULL };
    ck_assert_int_eq(handle(api_ingest, NULL, q, gzip, body), LF_EINVAL);
    ck_assert_int_eq(status, 400);
    ck_assert_msg(strncmp(fx.err.msg, "Content-Encoding gzip", 21) == 0, "%s", fx.err.msg);
    /* a gzipped pprof over the decoded-size cap is stopped while inflating */
    struct str gz = fixture("shop-n25.pb.gz");
    const char *const pprof[] = { "service", "shop", "instance", "a", "format", "pprof", NULL };
    app.max_decoded_bytes = 64;
    ck_assert_int_eq(handle(api_ingest, NULL, pprof, gzip, gz), LF_ETOOBIG);
    ck_assert_int_eq(status, 413);
    app.max_decoded_bytes = 1 << 20;
    ck_ok(handle(api_ingest, NULL, pprof, gzip, gz), 201);
}
END_TEST

/* ---- api_query.c ----------------------------------------------------------------------- */

START_TEST(test_queries)
{
    fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_ok(handle(api_leaks, NULL, NULL, NULL, STR_NULL), 200);
    json_t *leaks = json_object_get(resp.json, "leaks");
    ck_assert(json_is_array(leaks));
    ck_assert_uint_ge(json_array_size(leaks), 1);
    const char *const all[] = { "all", NULL, "service", "shop", NULL };
    ck_ok(handle(api_leaks, NULL, all, NULL, STR_NULL), 200);
    ck_assert_uint_eq(json_array_size(json_object_get(resp.json, "leaks")), 3);
    const char *const typo[] = { "servce", "shop", NULL };
    ck_refused(handle(api_leaks, NULL, typo, NULL, STR_NULL), 400, "unknown parameter 'servce'");
    const char *const empty[] = { "owner", "", NULL };
    ck_refused(handle(api_leaks, NULL, empty, NULL, STR_NULL), 400, "parameter 'owner' is empty");
    const char *const maybe[] = { "all", "maybe", NULL };
    ck_refused(handle(api_leaks, NULL, maybe, NULL, STR_NULL), 400,
               "parameter 'all' must be 1 or 0, not 'maybe'");

    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)leak);
    ck_ok(handle(api_location, id, NULL, NULL, STR_NULL), 200);
    ck_assert_str_eq(str_at(resp.json, "function"), "main.ncast.func1");
    ck_refused(handle(api_location, "abc", NULL, NULL, STR_NULL), 400,
               "location id must be a positive integer, not 'abc'");
    ck_refused(handle(api_location, "0", NULL, NULL, STR_NULL), 400,
               "location id must be a positive integer, not '0'");
    ck_assert_int_eq(handle(api_location, "99999", NULL, NULL, STR_NULL), LF_ENOTFOUND);
    ck_assert_int_eq(status, 404);
    const char *const param[] = { "service", "shop", NULL };
    ck_refused(handle(api_location, id, param, NULL, STR_NULL), 400, "unknown parameter 'service'");

    const char *const series[] = { "service", "shop", "step", "5m", NULL };
    ck_ok(handle(api_location_series, id, series, NULL, STR_NULL), 200);
    const char *const lone[] = { "instance", "a", NULL };
    ck_refused(handle(api_location_series, id, lone, NULL, STR_NULL), 400,
               "parameter 'instance' needs 'service'");
    const char *const backwards[] = { "from", "20", "to", "10", NULL };
    ck_refused(handle(api_location_series, id, backwards, NULL, STR_NULL), 400,
               "parameter 'to' (10) is before 'from' (20)");

    ck_ok(handle(api_services, NULL, NULL, NULL, STR_NULL), 200);
    ck_assert(json_is_object(resp.json));
    ck_refused(handle(api_services, NULL, param, NULL, STR_NULL), 400,
               "unknown parameter 'service'");
    ck_ok(handle(api_timeline, NULL, param, NULL, STR_NULL), 200);
    ck_refused(handle(api_timeline, NULL, NULL, NULL, STR_NULL), 400,
               "missing parameter 'service'");
}
END_TEST

/* ---- api_detect.c and api_notify.c ----------------------------------------------------- */

START_TEST(test_detect_and_trends)
{
    fill_until_now();
    ck_ok(handle(api_detect_run, NULL, NULL, NULL, STR_NULL), 200);
    ck_assert_int_eq(int_at(resp.json, "verdicts"), 3);
    ck_assert_int_eq(int_at(resp.json, "suspects"), 1);
    const char *const param[] = { "now", "1", NULL };
    ck_refused(handle(api_detect_run, NULL, param, NULL, STR_NULL), 400, "unknown parameter 'now'");

    const char *const top[] = { "window", "3h", "limit", "1", NULL };
    ck_ok(handle(api_trends, NULL, top, NULL, STR_NULL), 200);
    json_t *trends = json_object_get(resp.json, "trends");
    ck_assert_uint_eq(json_array_size(trends), 1);
    ck_assert_str_eq(str_at(json_array_get(trends, 0), "function"), "main.ncast.func1");
    /* the repo-relative path of an in-repo site, null outside the repo */
    json_t *first = json_array_get(trends, 0);
    json_t *repo_path = json_object_get(first, "repo_path");
    ck_assert_ptr_nonnull(repo_path);
    if (json_is_true(json_object_get(first, "in_repo")))
        ck_assert(json_is_string(repo_path) && json_string_value(repo_path)[0] != '/');
    else
        ck_assert(json_is_null(repo_path));
    const char *const zero[] = { "limit", "0", NULL };
    ck_refused(handle(api_trends, NULL, zero, NULL, STR_NULL), 400,
               "parameter 'limit' must be 1..10000, not '0'");
    const char *const window[] = { "window", "soon", NULL };
    ck_refused(
            handle(api_trends, NULL, window, NULL, STR_NULL), 400,
            "parameter 'window' must be a whole number of seconds such as 90, 90s, 5m, 1h30m or 2d (units ms, s, m, h, d, w), at most 400d, not 'soon'");

    ck_ok(handle(api_settings, NULL, NULL, NULL, STR_NULL), 200);
    ck_assert(json_is_null(json_object_get(resp.json, "source_url")));
    ck_assert_int_eq(int_at(resp.json, "threshold"), query.threshold);
    ck_assert_int_eq(int_at(resp.json, "projection_target"), 10000);
    ck_assert_int_eq(int_at(resp.json, "detect_window"), 6 * 3600);
    ck_assert_int_eq(int_at(resp.json, "reopen_after"), 3600);
    ck_assert_int_eq(int_at(resp.json, "resolve_after"), 2 * 3600);
}
END_TEST

START_TEST(test_notification_actions)
{
    fill_until_now();
    ck_ok(handle(api_detect_run, NULL, NULL, NULL, STR_NULL), 200);
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)notification_id(location_of("main.ncast.func1")));

    const char *const pending[] = { "state", "pending", NULL };
    ck_ok(handle(api_notifications, NULL, pending, NULL, STR_NULL), 200);
    ck_assert_uint_eq(json_array_size(json_object_get(resp.json, "notifications")), 1);
    const char *const bogus[] = { "state", "open", NULL };
    ck_refused(handle(api_notifications, NULL, bogus, NULL, STR_NULL), 400,
               "parameter 'state' must be pending, delivered, unrouted, acknowledged, snoozed or "
               "resolved, not 'open'");

    /* the action is recorded under the name of the token that took it */
    const char *const admin[] = { "Authorization", ADMIN, NULL };
    ck_ok(handle(api_notification_ack, id, NULL, admin, STR_NULL), 200);
    ck_assert_str_eq(str_at(resp.json, "state"), "acknowledged");
    ck_assert_str_eq(str_at(resp.json, "actor"), "alice");
    ck_refused(handle(api_notification_ack, "x1", NULL, admin, STR_NULL), 400,
               "notification id must be a positive integer, not 'x1'");
    ck_assert_int_eq(handle(api_notification_ack, "99999", NULL, admin, STR_NULL), LF_ENOTFOUND);
    ck_assert_int_eq(status, 404);
    const char *const until_on_ack[] = { "until", "1", NULL };
    ck_refused(handle(api_notification_ack, id, until_on_ack, admin, STR_NULL), 400,
               "unknown parameter 'until'");

    ck_refused(handle(api_notification_snooze, id, NULL, admin, STR_NULL), 400,
               "missing parameter 'until'");
    const char *const past[] = { "until", "0", NULL };
    ck_refused(handle(api_notification_snooze, id, past, admin, STR_NULL), 400,
               "parameter 'until' must be unix seconds, not '0'");
    char later[32];
    snprintf(later, sizeof(later), "%lld", (long long)time(NULL) + 3600);
    const char *const until[] = { "until", later, NULL };
    ck_ok(handle(api_notification_snooze, id, until, admin, STR_NULL), 200);
    ck_assert_str_eq(str_at(resp.json, "state"), "snoozed");

    /* without a header on a server with tokens the actor is unknown (http_admit refuses
     * such a request first; the handler still names nobody it cannot identify) */
    ck_ok(handle(api_notification_resolve, id, NULL, NULL, STR_NULL), 200);
    ck_assert_str_eq(str_at(resp.json, "state"), "resolved");
    ck_assert_str_eq(str_at(resp.json, "actor"), "unknown");
    ck_assert_int_eq(handle(api_notification_ack, id, NULL, admin, STR_NULL), LF_ECONFLICT);
    ck_assert_int_eq(status, 409);

    ck_ok(handle(api_notification_get, id, NULL, NULL, STR_NULL), 200);
    ck_assert(json_is_array(json_object_get(resp.json, "events")));
    ck_refused(handle(api_notification_get, "-1", NULL, NULL, STR_NULL), 400,
               "notification id must be a positive integer, not '-1'");

    const char *const to[] = { "owner", "@acme/queue", NULL };
    ck_ok(handle(api_notification_reassign, id, to, admin, STR_NULL), 200);
    ck_assert_str_eq(str_at(resp.json, "owner"), "@acme/queue");
    ck_refused(handle(api_notification_reassign, id, NULL, admin, STR_NULL), 400,
               "missing parameter 'owner'");
    const char *const not_owner[] = { "owner", "x y", NULL };
    ck_assert_int_eq(handle(api_notification_reassign, id, not_owner, admin, STR_NULL), LF_EINVAL);
    ck_assert_int_eq(status, 400);
    ck_assert_msg(strncmp(fx.err.msg, "parameter 'owner' must be ", 26) == 0, "%s", fx.err.msg);
}
END_TEST

START_TEST(test_whoami_and_silences)
{
    const char *const admin[] = { "Authorization", ADMIN, NULL };
    ck_ok(handle(api_whoami, NULL, NULL, admin, STR_NULL), 200);
    ck_assert_str_eq(str_at(resp.json, "name"), "alice");
    ck_assert(json_is_true(json_object_get(resp.json, "admin")));
    const char *const pusher[] = { "Authorization", PUSHER, NULL };
    ck_ok(handle(api_whoami, NULL, NULL, pusher, STR_NULL), 200);
    ck_assert_str_eq(str_at(resp.json, "name"), "shop-agent");
    ck_assert(json_is_false(json_object_get(resp.json, "admin")));
    ck_assert_int_eq(handle(api_whoami, NULL, NULL, NULL, STR_NULL), LF_EAUTH);
    ck_assert_int_eq(status, 401);

    char later[32];
    snprintf(later, sizeof(later), "%lld", (long long)time(NULL) + 3600);
    const char *const silence[] = {
        "owner", "@acme/core", "reason", "known", "until", later, NULL
    };
    ck_ok(handle(api_silence_create, NULL, silence, admin, STR_NULL), 201);
    json_int_t id = int_at(resp.json, "id");
    ck_assert_int_gt(id, 0);
    ck_ok(handle(api_silences, NULL, NULL, NULL, STR_NULL), 200);
    json_t *list = json_object_get(resp.json, "silences");
    ck_assert_uint_eq(json_array_size(list), 1);
    ck_assert_int_eq(int_at(json_array_get(list, 0), "id"), id);
    ck_assert_str_eq(str_at(json_array_get(list, 0), "owner"), "@acme/core");

    const char *const no_until[] = { "owner", "@acme/core", NULL };
    ck_refused(handle(api_silence_create, NULL, no_until, admin, STR_NULL), 400,
               "parameter 'until' (unix seconds) is required");
    const char *const bad_owner[] = { "owner", "x y", "until", later, NULL };
    ck_assert_int_eq(handle(api_silence_create, NULL, bad_owner, admin, STR_NULL), LF_EINVAL);
    const char *const extra[] = { "until", later, "scope", "all", NULL };
    ck_refused(handle(api_silence_create, NULL, extra, admin, STR_NULL), 400,
               "unknown parameter 'scope'");
    const char *const param[] = { "owner", "@acme/core", NULL };
    ck_refused(handle(api_silences, NULL, param, NULL, STR_NULL), 400, "unknown parameter 'owner'");
}
END_TEST

/* ---- api_pyroscope.c ------------------------------------------------------------------- */

START_TEST(test_pyroscope_ingest)
{
    struct str gz = fixture("shop-n25.pb.gz");
    const char *const pusher[] = { "Authorization", PUSHER, NULL };
    const char *const name[] = { "name", "shop.goroutines{instance=pod-a}", NULL };
    ck_ok(handle(api_pyroscope_ingest, NULL, name, pusher, gz), 200);
    ck_assert_int_eq(int_at(resp.json, "stored"), 1);
    ck_assert_int_eq(int_at(resp.json, "ignored"), 0);

    /* another format is never a Go goroutine profile: answered, counted, not stored */
    const char *const trie[] = { "name", "shop.cpu{instance=pod-a}", "format", "trie", NULL };
    ck_ok(handle(api_pyroscope_ingest, NULL, trie, pusher, STR_LIT("x")), 200);
    ck_assert_int_eq(int_at(resp.json, "ignored"), 1);
    ck_assert_int_eq(int_at(resp.json, "stored"), 0);

    /* the token may push for shop only */
    const char *const other[] = { "name", "search{instance=pod-a}", NULL };
    ck_refused(handle(api_pyroscope_ingest, NULL, other, pusher, gz), 403,
               "token may not push for service 'search'");
    const char *const relabelled[] = { "name", "shop{service_name=search,instance=x}", NULL };
    ck_refused(handle(api_pyroscope_ingest, NULL, relabelled, pusher, gz), 403,
               "token may not push for service 'search'");
    const char *const no_instance[] = { "name", "shop.goroutines", NULL };
    ck_refused(handle(api_pyroscope_ingest, NULL, no_instance, pusher, gz), 400,
               "a goroutine profile needs an instance, pod or hostname label");
    ck_refused(handle(api_pyroscope_ingest, NULL, NULL, pusher, gz), 400,
               "missing parameter 'name'");
    const char *const unknown[] = { "name", "shop{instance=a}", "service", "search", NULL };
    ck_refused(handle(api_pyroscope_ingest, NULL, unknown, pusher, gz), 400,
               "unknown parameter 'service'");
    const char *const bad_from[] = { "name", "shop{instance=a}", "from", "-1", NULL };
    ck_refused(handle(api_pyroscope_ingest, NULL, bad_from, pusher, gz), 400,
               "parameter 'from' must be unix seconds, not '-1'");
    const char *const twice[] = { "name", "shop{instance=a,instance=b}", NULL };
    ck_assert_int_eq(handle(api_pyroscope_ingest, NULL, twice, pusher, gz), LF_EINVAL);
    ck_assert_msg(strncmp(fx.err.msg, "parameter 'name'", 16) == 0, "%s", fx.err.msg);
}
END_TEST

START_TEST(test_pyroscope_push)
{
    const char *const json[] = { "Authorization", PUSHER, "Content-Type",
                                 "application/json; charset=utf-8", NULL };
    ck_ok(handle(api_pyroscope_push, NULL, NULL, json, STR_LIT("{}")), 200);
    ck_assert(json_is_object(resp.json));
    ck_assert_uint_eq(json_object_size(resp.json), 0);

    const char *const proto[] = { "Authorization", PUSHER, "Content-Type", "application/proto",
                                  NULL };
    ck_ok(handle(api_pyroscope_push, NULL, NULL, proto, STR_LIT("")), 200);
    ck_assert_ptr_null(resp.json);
    ck_assert_str_eq(resp.content_type, "application/proto");
    ck_assert_uint_eq(resp.body_len, 0);

    const char *const text[] = { "Authorization", PUSHER, "Content-Type", "text/plain", NULL };
    ck_refused(handle(api_pyroscope_push, NULL, NULL, text, STR_LIT("{}")), 400,
               "content type must be application/proto or application/json (Connect unary), "
               "not 'text/plain'");
    const char *const param[] = { "service", "shop", NULL };
    ck_refused(handle(api_pyroscope_push, NULL, param, json, STR_LIT("{}")), 400,
               "unknown parameter 'service'");
    ck_assert_int_eq(handle(api_pyroscope_push, NULL, NULL, json, STR_LIT("{")), LF_EINVAL);
    ck_assert_msg(strncmp(fx.err.msg, "PushRequest", 11) == 0, "%s", fx.err.msg);

    /* one series of a service the token may not push for refuses the whole request */
    static const char two[] =
            "{\"series\":[{\"labels\":[{\"name\":\"service_name\",\"value\":\"shop\"},"
            "{\"name\":\"instance\",\"value\":\"a\"}],\"samples\":[]},"
            "{\"labels\":[{\"name\":\"service_name\",\"value\":\"search\"},"
            "{\"name\":\"instance\",\"value\":\"a\"}],\"samples\":[]}]}";
    ck_refused(handle(api_pyroscope_push, NULL, NULL, json, str_make(two, sizeof(two) - 1)), 403,
               "token may not push for service 'search'");
}
END_TEST

static Suite *api_suite(void)
{
    Suite *suite = suite_create("api");
    TCase *tc = tcase_create("handlers");
    tcase_add_checked_fixture(tc, api_setup, api_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ingest);
    tcase_add_test(tc, test_queries);
    tcase_add_test(tc, test_detect_and_trends);
    tcase_add_test(tc, test_notification_actions);
    tcase_add_test(tc, test_whoami_and_silences);
    tcase_add_test(tc, test_pyroscope_ingest);
    tcase_add_test(tc, test_pyroscope_push);
    suite_add_tcase(suite, tc);
    return suite;
}

LF_CHECK_MAIN(api_suite)
