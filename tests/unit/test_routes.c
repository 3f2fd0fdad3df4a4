/* test_routes.c - the route table walked as data, the matcher (":id", wildcard, 405 with
 * Allow), the lf_code -> HTTP status table, and handlers called without sockets. */
#include <string.h>

#include "check_main.h"
#include "http.h"
#include "api.h"
#include "routes.h"

START_TEST(test_table_is_well_formed)
{
    ck_assert_uint_ge(routes_count, 12);
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *r = &routes[i];
        ck_assert_ptr_nonnull(r->handler);
        ck_assert_ptr_nonnull(r->metric);
        ck_assert(r->pattern[0] == '/');
        ck_assert(strcmp(r->method, "GET") == 0 || strcmp(r->method, "POST") == 0);
        ck_assert(r->auth == AUTH_NONE || r->auth == AUTH_INGEST || r->auth == AUTH_ADMIN ||
                  r->auth == AUTH_INGEST_LABELS);
        /* a route whose services are inside the body checks them itself: only the
         * Pyroscope-compatible handlers do */
        if (r->auth == AUTH_INGEST_LABELS)
            ck_assert(r->handler == api_pyroscope_ingest || r->handler == api_pyroscope_push);
        /* Connect procedures are the only rows whose first segment holds a '.' */
        ck_assert(routes_is_connect(r) == (r->handler == api_pyroscope_push));
        /* bodies only where the method carries one */
        if (strcmp(r->method, "GET") == 0)
            ck_assert_uint_eq(r->body_limit, 0);
        for (size_t j = i + 1; j < routes_count; j++) {
            ck_assert_msg(strcmp(r->method, routes[j].method) != 0 ||
                                  strcmp(r->pattern, routes[j].pattern) != 0,
                          "duplicate route %s %s", r->method, r->pattern);
            ck_assert_str_ne(r->metric, routes[j].metric);
        }
    }
    /* the wildcard is last, or it would shadow the rows after it */
    ck_assert_str_eq(routes[routes_count - 1].pattern, "/*");
}
END_TEST

static enum route_match match(const char *method, const char *path, size_t *index, struct str *id,
                              char *allow)
{
    return routes_match(routes, routes_count, method, path, index, id, allow, 64);
}

START_TEST(test_match)
{
    size_t index = 99;
    struct str id;
    char allow[64];
    ck_assert_int_eq(match("POST", "/api/v1/profiles", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "ingest");
    ck_assert_int_eq(routes[index].auth, AUTH_INGEST);
    ck_assert_uint_eq(id.len, 0);

    ck_assert_int_eq(match("GET", "/api/v1/locations/42", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "location");
    ck_assert(str_eq_cstr(id, "42"));
    ck_assert_int_eq(match("GET", "/api/v1/locations/7/series", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "series");
    ck_assert(str_eq_cstr(id, "7"));
    ck_assert_int_eq(match("POST", "/api/v1/notifications/12/snooze", &index, &id, allow),
                     ROUTE_FOUND);
    ck_assert_int_eq(routes[index].auth, AUTH_ADMIN);
    ck_assert(str_eq_cstr(id, "12"));

    /* an empty :id segment matches nothing but the wildcard */
    ck_assert_int_eq(match("GET", "/api/v1/locations//series", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "static");

    ck_assert_int_eq(match("POST", "/push.v1.PusherService/Push", &index, &id, allow), ROUTE_FOUND);
    ck_assert_int_eq(routes[index].auth, AUTH_INGEST_LABELS);
    ck_assert(routes_is_connect(&routes[index]));
    ck_assert_int_eq(match("POST", "/ingest", &index, &id, allow), ROUTE_FOUND);
    ck_assert_int_eq(routes[index].auth, AUTH_INGEST_LABELS);
    ck_assert(!routes_is_connect(&routes[index]));

    ck_assert_int_eq(match("DELETE", "/api/v1/profiles", &index, &id, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "POST");
    ck_assert_int_eq(match("POST", "/healthz", &index, &id, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "GET, HEAD");
    /* HEAD is answered by the GET rows, the wildcard included */
    ck_assert_int_eq(match("HEAD", "/healthz", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "healthz");
    ck_assert_int_eq(match("HEAD", "/api/v1/locations/7/series", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "series");
    ck_assert(str_eq_cstr(id, "7"));
    ck_assert_int_eq(match("HEAD", "/uplot.js", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "static");
    ck_assert_int_eq(match("PUT", "/api/v1/silences", &index, &id, allow), ROUTE_BAD_METHOD);
    ck_assert_str_eq(allow, "GET, HEAD, POST");
    /* the wildcard answers GET only and never turns another method into a 405 */
    ck_assert_int_eq(match("POST", "/index.html", &index, &id, allow), ROUTE_NOT_FOUND);
    ck_assert_int_eq(match("GET", "/app.js", &index, &id, allow), ROUTE_FOUND);
    ck_assert_str_eq(routes[index].metric, "static");
    ck_assert_int_eq(match("POST", "/api/v1/profiles/extra", &index, &id, allow), ROUTE_NOT_FOUND);
    /* a path the table names for other methods is theirs: the wildcard (the dashboard's
     * files) does not take a GET of a POST-only path and answer 404 */
    static const char *const post_only[] = { "/api/v1/profiles", "/api/v1/detect",
                                             "/api/v1/notifications/3/ack", "/ingest",
                                             "/push.v1.PusherService/Push" };
    for (size_t i = 0; i < sizeof(post_only) / sizeof(post_only[0]); i++) {
        ck_assert_msg(match("GET", post_only[i], &index, &id, allow) == ROUTE_BAD_METHOD, "GET %s",
                      post_only[i]);
        ck_assert_str_eq(allow, "POST");
        ck_assert_int_eq(match("HEAD", post_only[i], &index, &id, allow), ROUTE_BAD_METHOD);
        ck_assert_int_eq(match("DELETE", post_only[i], &index, &id, allow), ROUTE_BAD_METHOD);
    }
}
END_TEST

START_TEST(test_status_table)
{
    ck_assert_int_eq(http_status_for_code(LF_OK), 200);
    ck_assert_int_eq(http_status_for_code(LF_EINVAL), 400);
    ck_assert_int_eq(http_status_for_code(LF_EAUTH), 401);
    ck_assert_int_eq(http_status_for_code(LF_EFORBIDDEN), 403);
    ck_assert_int_eq(http_status_for_code(LF_ENOTFOUND), 404);
    ck_assert_int_eq(http_status_for_code(LF_ECONFLICT), 409);
    ck_assert_int_eq(http_status_for_code(LF_ETOOBIG), 413);
    ck_assert_int_eq(http_status_for_code(LF_EMISMATCH), 422);
    ck_assert_int_eq(http_status_for_code(LF_EUNAVAIL), 503);
    ck_assert_int_eq(http_status_for_code(LF_EDB), 500);
    ck_assert_int_eq(http_status_for_code(LF_ENOMEM), 500);
    ck_assert_int_eq(http_status_for_code(LF_EINTERNAL), 500);
}
END_TEST

/* api_ingest validates its parameters before it touches the ingest context. */
static int ingest_with(const struct http_param *query, size_t n_query, struct lf_error *err)
{
    struct api_context app;
    memset(&app, 0, sizeof(app));
    struct http_param headers[] = { { STR_LIT("Content-Encoding"), STR_LIT("br") } };
    struct request req = {
        .method = "POST",
        .path = "/api/v1/profiles",
        .query = query,
        .n_query = n_query,
        .headers = headers,
        .n_headers = 1,
        .body = STR_LIT("x"),
        .app = &app,
    };
    struct response resp;
    memset(&resp, 0, sizeof(resp));
    int rc = api_ingest(&req, &resp, err);
    response_release(&resp);
    return rc;
}

START_TEST(test_ingest_parameters)
{
    struct lf_error err;
    struct http_param q1[] = { { STR_LIT("service"), STR_LIT("shop") } };
    ck_assert_int_eq(ingest_with(q1, 1, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "missing parameter 'instance'");
    struct http_param q2[] = { { STR_LIT("service"), STR_LIT("shop") },
                               { STR_LIT("instance"), STR_LIT("a") },
                               { STR_LIT("ts"), STR_LIT("-5") } };
    ck_assert_int_eq(ingest_with(q2, 3, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'ts' must be unix seconds, not '-5'");
    /* a NUL-containing name is another parameter, not "instance" */
    struct http_param q3[] = { { STR_LIT("service"), STR_LIT("shop") },
                               { STR_LIT("instance\0"), STR_LIT("a") } };
    ck_assert_int_eq(ingest_with(q3, 2, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "unknown parameter 'instance\\x00'");
    struct http_param q4[] = { { STR_LIT("service"), STR_LIT("shop") },
                               { STR_LIT("instance"), STR_LIT("a") },
                               { STR_LIT("tz"), STR_LIT("1") } };
    ck_assert_int_eq(ingest_with(q4, 3, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "unknown parameter 'tz'");
    struct http_param q5[] = { { STR_LIT("service"), STR_LIT("shop") },
                               { STR_LIT("instance"), STR_LIT("a") } };
    ck_assert_int_eq(ingest_with(q5, 2, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "unsupported Content-Encoding 'br' (gzip only)");
}
END_TEST

START_TEST(test_request_accessors)
{
    struct http_param query[] = { { STR_LIT("all"), STR_NULL },
                                  { STR_LIT("service"), STR_LIT("shop") } };
    struct http_param headers[] = { { STR_LIT("Idempotency-Key"), STR_LIT("k1") } };
    struct request req = { .query = query, .n_query = 2, .headers = headers, .n_headers = 1 };
    ck_assert_str_eq(request_query(&req, "all"), "");
    ck_assert_str_eq(request_query(&req, "service"), "shop");
    ck_assert_ptr_null(request_query(&req, "owner"));
    ck_assert_str_eq(request_header(&req, "idempotency-key"), "k1");
    ck_assert_ptr_null(request_header(&req, "Authorization"));
}
END_TEST

START_TEST(test_health_and_static)
{
    struct request req = { .method = "GET", .path = "/healthz" };
    struct response resp;
    memset(&resp, 0, sizeof(resp));
    struct lf_error err;
    ck_assert_int_eq(api_health(&req, &resp, &err), LF_OK);
    ck_assert_uint_eq(resp.body_len, strlen("{\"status\":\"ok\"}\n"));
    ck_assert_int_eq(memcmp(resp.static_body, "{\"status\":\"ok\"}\n", resp.body_len), 0);
    response_release(&resp);
    req.path = "/no-such-asset.js";
    ck_assert_int_eq(http_static(&req, &resp, &err), LF_ENOTFOUND);
    ck_assert_str_eq(err.msg, "no such page '/no-such-asset.js'");
    req.path = "/api/v1/nope";
    ck_assert_int_eq(http_static(&req, &resp, &err), LF_ENOTFOUND);
    ck_assert_str_eq(err.msg, "no route for GET '/api/v1/nope'");
}
END_TEST

static Suite *routes_suite(void)
{
    Suite *s = suite_create("routes");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_table_is_well_formed);
    tcase_add_test(tc, test_match);
    suite_add_tcase(s, tc);
    tc = tcase_create("http");
    tcase_add_test(tc, test_status_table);
    tcase_add_test(tc, test_request_accessors);
    tcase_add_test(tc, test_health_and_static);
    suite_add_tcase(s, tc);
    tc = tcase_create("handlers");
    tcase_add_test(tc, test_ingest_parameters);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(routes_suite)
