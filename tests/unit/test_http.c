/* test_http.c - http.c driven through a real daemon on an ephemeral loopback port with
 * libcurl: routing (404, 405 with Allow), :id and query arguments, the body cap by
 * Content-Length and while receiving chunks, auth before the body, handler errors as
 * {"error"} with their status, security headers, and a graceful close. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "auth.h"
#include "check_main.h"
#include "http.h"
#include "routes.h"

static int echo(const struct request *req, struct response *resp, struct lf_error *err)
{
    (void)err;
    const char *x = request_query(req, "x");
    resp->json = json_pack("{s:s%,s:s?,s:I}", "id", req->id.p, req->id.len, "x", x, "len",
                           (json_int_t)req->body.len);
    return resp->json == NULL ? LF_ENOMEM : LF_OK;
}

/* The service the handler reads, to compare with the one the token was checked for. */
static int echo_service(const struct request *req, struct response *resp, struct lf_error *err)
{
    (void)err;
    resp->json = json_pack("{s:s?}", "service", request_query(req, "service"));
    return resp->json == NULL ? LF_ENOMEM : LF_OK;
}

static int conflict(const struct request *req, struct response *resp, struct lf_error *err)
{
    (void)req;
    (void)resp;
    return lf_fail(err, LF_ECONFLICT, "state 'resolved' forbids it");
}

static int slow(const struct request *req, struct response *resp, struct lf_error *err)
{
    struct timespec wait = { 0, 300 * 1000 * 1000 };
    nanosleep(&wait, NULL);
    return echo(req, resp, err);
}

static const struct route table[] = {
    { "GET", "/slow/:id", AUTH_NONE, 0, slow, "slow" },
    { "GET", "/echo/:id", AUTH_NONE, 0, echo, "echo" },
    { "POST", "/body/:id", AUTH_NONE, 1024 * 1024, echo, "body" },
    { "POST", "/admin/:id", AUTH_ADMIN, 1024, echo, "admin" },
    { "GET", "/conflict", AUTH_NONE, 0, conflict, "conflict" },
    { "POST", "/push", AUTH_INGEST, 1024, echo_service, "push" },
};

struct buffer {
    char data[4096];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct buffer *b = ctx;
    size_t len = size * n;
    size_t room = sizeof(b->data) - 1 - b->len;
    memcpy(b->data + b->len, p, len < room ? len : room);
    b->len += len < room ? len : room;
    b->data[b->len] = '\0';
    return len;
}

static struct http_server *server;
static struct auth *auth;
static struct buffer body;
static struct buffer headers;

static void start(void)
{
    auth = auth_create();
    ck_assert_ptr_nonnull(auth);
    struct lf_error err;
    ck_assert_int_eq(auth_add(auth, "adm", NULL, NULL, 0, true, &err), LF_OK);
    ck_assert_int_eq(auth_add(auth, "agent", NULL, (const char *[]){ "shop" }, 1, false, &err),
                     LF_OK);
    struct http_options opts = { .listen = "127.0.0.1:0", .max_body_bytes = 4096 };
    ck_assert_int_eq(http_open(&opts, table, sizeof(table) / sizeof(table[0]), auth, NULL, NULL,
                               &server, &err),
                     LF_OK);
    ck_assert_uint_gt(http_port(server), 0);
}

static void stop(void)
{
    http_close(server, 1000);
    auth_free(auth);
}

/* Runs one request; returns the status. chunked sends data without a length. */
static long request(const char *method, const char *path, const char *data, size_t len,
                    bool chunked, const char *header)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)http_port(server), path);
    CURL *curl = curl_easy_init();
    ck_assert_ptr_nonnull(curl);
    struct curl_slist *list = NULL;
    if (header != NULL)
        list = curl_slist_append(list, header);
    if (chunked)
        list = curl_slist_append(list, "Transfer-Encoding: chunked");
    body.len = 0;
    body.data[0] = '\0';
    headers.len = 0;
    headers.data[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (data != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, chunked ? -1L : (long)len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
    ck_assert_int_eq(curl_easy_perform(curl), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return status;
}

START_TEST(test_routing)
{
    start();
    ck_assert_int_eq(request("GET", "/echo/42?x=y%20z", NULL, 0, false, NULL), 200);
    ck_assert_str_eq(body.data, "{\"id\":\"42\",\"x\":\"y z\",\"len\":0}");
    ck_assert_ptr_nonnull(strstr(headers.data, "Content-Type: application/json"));
    ck_assert_ptr_nonnull(strstr(headers.data, "X-Content-Type-Options: nosniff"));
    ck_assert_ptr_nonnull(strstr(headers.data, "Content-Security-Policy: default-src 'self'"));
    ck_assert_int_eq(request("GET", "/nope", NULL, 0, false, NULL), 404);
    ck_assert_str_eq(body.data, "{\"error\":\"no route for GET '/nope'\"}");
    ck_assert_int_eq(request("DELETE", "/echo/1", NULL, 0, false, NULL), 405);
    ck_assert_ptr_nonnull(strstr(headers.data, "Allow: GET"));
    ck_assert_str_eq(body.data, "{\"error\":\"method DELETE not allowed on '/echo/1'\"}");
    ck_assert_int_eq(request("GET", "/conflict", NULL, 0, false, NULL), 409);
    ck_assert_str_eq(body.data, "{\"error\":\"state 'resolved' forbids it\"}");
    stop();
}
END_TEST

START_TEST(test_bodies)
{
    static char big[8193]; /* NUL-terminated: the chunked upload takes its strlen */
    memset(big, 'a', sizeof(big) - 1);
    start();
    /* max_body_bytes 4096 replaces the 1 MiB of the route */
    ck_assert_int_eq(request("POST", "/body/1", big, 4096, false, NULL), 200);
    ck_assert_str_eq(body.data, "{\"id\":\"1\",\"x\":null,\"len\":4096}");
    ck_assert_int_eq(request("POST", "/body/1", big, 4097, false, NULL), 413);
    ck_assert_str_eq(body.data,
                     "{\"error\":\"body of 4097 bytes is over the limit of 4096 bytes\"}");
    ck_assert_int_eq(request("POST", "/body/2", big, 0, true, NULL), 413);
    ck_assert_str_eq(body.data, "{\"error\":\"body is over the limit of 4096 bytes\"}");
    ck_assert_int_eq(request("GET", "/echo/3", "abc", 3, false, NULL), 413);
    stop();
}
END_TEST

START_TEST(test_auth_before_body)
{
    static char big[2048];
    memset(big, 'b', sizeof(big));
    start();
    ck_assert_int_eq(request("POST", "/admin/7", "x", 1, false, NULL), 401);
    ck_assert_ptr_nonnull(strstr(headers.data, "WWW-Authenticate: Bearer"));
    ck_assert_int_eq(request("POST", "/admin/7", "x", 1, false, "Authorization: Bearer agent"),
                     403);
    ck_assert_str_eq(body.data, "{\"error\":\"this route needs an admin token\"}");
    /* a refused caller learns nothing about the body cap */
    ck_assert_int_eq(request("POST", "/admin/7", big, sizeof(big), false, NULL), 401);
    ck_assert_int_eq(request("POST", "/admin/7", "x", 1, false, "Authorization: Bearer adm"), 200);
    ck_assert_str_eq(body.data, "{\"id\":\"7\",\"x\":null,\"len\":1}");
    /* the server counts a request done in its completion callback, which may run just
     * after the client has read the answer */
    for (int i = 0; i < 200 && http_in_flight(server) != 0; i++)
        nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
    ck_assert_uint_eq(http_in_flight(server), 0);
    stop();
}
END_TEST

/* The token check and the handler read one parameter list: a second "service" hidden
 * behind a %00 in its name, a repeated one, or a control byte are refused before either
 * reads it (a token for shop once stored under "other"). */
START_TEST(test_one_reader_of_parameters)
{
    static const char token[] = "Authorization: Bearer agent"; /* may push for shop */
    start();
    ck_assert_int_eq(request("POST", "/push?service=shop", "x", 1, false, token), 200);
    ck_assert_str_eq(body.data, "{\"service\":\"shop\"}");
    ck_assert_int_eq(request("POST", "/push?service=other", "x", 1, false, token), 403);
    ck_assert_int_eq(request("POST", "/push?service%00=other&service=shop", "x", 1, false, token),
                     400);
    ck_assert_str_eq(body.data,
                     "{\"error\":\"parameter name 'service\\\\x00' holds a control byte\"}");
    ck_assert_int_eq(request("POST", "/push?service=shop&service%00=other", "x", 1, false, token),
                     400);
    ck_assert_int_eq(request("POST", "/push?service=shop&service=other", "x", 1, false, token),
                     400);
    ck_assert_str_eq(body.data, "{\"error\":\"parameter 'service' is given more than once\"}");
    ck_assert_int_eq(request("POST", "/push?service=shop%00x", "x", 1, false, token), 400);
    ck_assert_str_eq(body.data, "{\"error\":\"parameter 'service' holds a control byte\"}");
    /* before the token: an unauthenticated caller gets the same 400 */
    ck_assert_int_eq(request("POST", "/push?service=shop&service=shop", "x", 1, false, NULL), 400);
    /* every route, not only the authenticated ones */
    ck_assert_int_eq(request("GET", "/echo/1?x=a%0ab", NULL, 0, false, NULL), 400);
    ck_assert_str_eq(body.data, "{\"error\":\"parameter 'x' holds a control byte\"}");
    stop();
}
END_TEST

START_TEST(test_admit)
{
    start();
    const struct route *push = &table[5];
    struct http_param bearer[] = { { STR_LIT("Authorization"), STR_LIT("Bearer agent") } };
    struct http_param hidden[] = { { STR_LIT("service\0"), STR_LIT("other") },
                                   { STR_LIT("service"), STR_LIT("shop") } };
    struct request req = { .query = hidden, .n_query = 2, .headers = bearer, .n_headers = 1 };
    struct lf_error err;
    ck_assert_int_eq(http_admit(push, auth, &req, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter name 'service\\x00' holds a control byte");
    req.n_query = 0;
    ck_assert_int_eq(http_admit(push, auth, &req, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "missing parameter 'service'");
    req.query = &hidden[1];
    req.n_query = 1;
    ck_assert_int_eq(http_admit(push, auth, &req, &err), LF_OK);
    struct http_param nul_token[] = { { STR_LIT("Authorization"), STR_LIT("Bearer agent\0x") } };
    req.headers = nul_token;
    ck_assert_int_eq(http_admit(push, auth, &req, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "header 'Authorization' holds a NUL byte");
    stop();
}
END_TEST

START_TEST(test_head)
{
    start();
    ck_assert_int_eq(request("HEAD", "/echo/5?x=1", NULL, 0, false, NULL), 200);
    ck_assert_uint_eq(body.len, 0);
    ck_assert_ptr_nonnull(strstr(headers.data, "Content-Length: 26"));
    ck_assert_ptr_nonnull(strstr(headers.data, "Content-Type: application/json"));
    ck_assert_int_eq(request("HEAD", "/nope", NULL, 0, false, NULL), 404);
    ck_assert_uint_eq(body.len, 0);
    ck_assert_int_eq(request("DELETE", "/echo/1", NULL, 0, false, NULL), 405);
    ck_assert_ptr_nonnull(strstr(headers.data, "Allow: GET, HEAD"));
    stop();
}
END_TEST

static void *slow_request(void *arg)
{
    *(long *)arg = request("GET", "/slow/9", NULL, 0, false, NULL);
    return NULL;
}

START_TEST(test_close_finishes_in_flight)
{
    start();
    long status = 0;
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, slow_request, &status), 0);
    struct timespec wait = { 0, 100 * 1000 * 1000 };
    nanosleep(&wait, NULL);
    ck_assert_uint_eq(http_in_flight(server), 1);
    http_close(server, 5000); /* returns once the slow request has been answered */
    pthread_join(thread, NULL);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(body.data, "{\"id\":\"9\",\"x\":null,\"len\":0}");
    auth_free(auth);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("daemon");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_routing);
    tcase_add_test(tc, test_bodies);
    tcase_add_test(tc, test_auth_before_body);
    tcase_add_test(tc, test_one_reader_of_parameters);
    tcase_add_test(tc, test_admit);
    tcase_add_test(tc, test_head);
    tcase_add_test(tc, test_close_finishes_in_flight);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(http_suite)
