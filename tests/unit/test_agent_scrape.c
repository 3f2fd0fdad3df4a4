/* test_agent_scrape.c - unit tests of agent/scrape.c and agent/push.c that need
 * no service: profile URLs, format names, gzip that the server's own decoder
 * reads back, the outcome of a scrape or a push to a port where nobody listens,
 * and the outcome of a push by the status a one-shot loopback stand-in answers. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc.h"
#include "check_main.h"
#include "decode.h"
#include "push.h"
#include "scrape.h"

START_TEST(test_urls_and_formats)
{
    char url[128];
    struct lf_error err = { 0 };
    ck_assert_int_eq(scrape_url("http://127.0.0.1:6060", NULL, false, SCRAPE_FORMAT_PPROF, url,
                                sizeof(url), &err),
                     LF_OK);
    ck_assert_str_eq(url, "http://127.0.0.1:6060/debug/pprof/goroutine?debug=0");
    ck_assert_int_eq(
            scrape_url("http://h:1//", "", true, SCRAPE_FORMAT_DEBUG1, url, sizeof(url), &err),
            LF_OK);
    ck_assert_str_eq(url, "http://h:1/debug/pprof/goroutineleak?debug=1");
    ck_assert_int_eq(
            scrape_url("https://h/base", NULL, false, SCRAPE_FORMAT_DEBUG2, url, sizeof(url), &err),
            LF_OK);
    ck_assert_str_eq(url, "https://h/base/debug/pprof/goroutine?debug=2");
    /* a discovered __pprof_path__ / leakfleet.io/path: the leak profile beside it */
    ck_assert_int_eq(scrape_url("http://h:1", "/internal/pprof/goroutine", true,
                                SCRAPE_FORMAT_PPROF, url, sizeof(url), &err),
                     LF_OK);
    ck_assert_str_eq(url, "http://h:1/internal/pprof/goroutineleak?debug=0");
    ck_assert_int_eq(scrape_url("http://h:1", "/p/goroutine?seconds=0", false, SCRAPE_FORMAT_DEBUG1,
                                url, sizeof(url), &err),
                     LF_OK);
    ck_assert_str_eq(url, "http://h:1/p/goroutine?seconds=0&debug=1");
    ck_assert_int_eq(scrape_url("http://a-very-long-host-name.example:6060", NULL, false,
                                SCRAPE_FORMAT_PPROF, url, 40, &err),
                     LF_EINVAL);

    ck_assert_int_eq(scrape_metrics_url("http://h:1//", "/metrics", url, sizeof(url), &err), LF_OK);
    ck_assert_str_eq(url, "http://h:1/metrics");
    ck_assert_int_eq(
            scrape_metrics_url("https://h/base", "/internal/m?x=1", url, sizeof(url), &err), LF_OK);
    ck_assert_str_eq(url, "https://h/base/internal/m?x=1");
    ck_assert_int_eq(scrape_metrics_url("http://a-very-long-host-name.example:6060", "/metrics",
                                        url, 40, &err),
                     LF_EINVAL);

    enum scrape_format f;
    ck_assert(scrape_format_from_name("debug2", &f) && f == SCRAPE_FORMAT_DEBUG2);
    ck_assert(scrape_format_from_name("pprof", &f) && f == SCRAPE_FORMAT_PPROF);
    ck_assert(!scrape_format_from_name("debug=1", &f));
    ck_assert_str_eq(scrape_format_name(SCRAPE_FORMAT_DEBUG1), "debug1");
}
END_TEST

START_TEST(test_gzip_reads_back_with_the_server_decoder)
{
    FILE *f = fopen(LF_FIXTURE("shop-n25.debug2.txt"), "rb");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);
    ck_assert_uint_gt(len, 10000);

    char *gz = NULL;
    size_t gz_len = 0;
    struct lf_error err = { 0 };
    ck_assert_int_eq(scrape_gzip(text, len, &gz, &gz_len, &err), LF_OK);
    ck_assert(decode_is_gzip(gz, gz_len));
    ck_assert_uint_lt(gz_len, len / 4);
    char *back = NULL;
    size_t back_len = 0;
    ck_assert_int_eq(decode_gunzip_buffer(gz, gz_len, len, &back, &back_len, &err), LF_OK);
    ck_assert_uint_eq(back_len, len);
    ck_assert_mem_eq(back, text, len);
    lf_free(back);
    lf_free(gz);

    ck_assert_int_eq(scrape_gzip("", 0, &gz, &gz_len, &err), LF_OK);
    ck_assert(decode_is_gzip(gz, gz_len));
    lf_free(gz);
}
END_TEST

START_TEST(test_nobody_listening)
{
    /* port 1 on loopback: refused at once */
    struct lf_error err = { 0 };
    struct scraper *scraper = scraper_create(1000, 2000, 1 << 20, NULL, &err);
    ck_assert_ptr_nonnull(scraper);
    char *body = NULL;
    size_t len = 0;
    bool gzip = false;
    ck_assert_int_eq(scraper_get(scraper, "http://127.0.0.1:1/debug/pprof/goroutine?debug=0",
                                 SCRAPE_FORMAT_PPROF, &body, &len, &gzip, &err),
                     LF_EIO);
    ck_assert_ptr_null(body);
    ck_assert_msg(strstr(err.msg, "GET 'http://127.0.0.1:1/debug/pprof/goroutine?debug=0': ") ==
                          err.msg,
                  "%s", err.msg);
    ck_assert_int_eq(scraper_get_metrics(scraper, "http://127.0.0.1:1/metrics", &body, &len, &err),
                     LF_EIO);
    ck_assert_ptr_null(body);
    ck_assert_msg(strstr(err.msg, "GET 'http://127.0.0.1:1/metrics': ") == err.msg, "%s", err.msg);
    scraper_free(scraper);

    struct pusher *pusher = pusher_create("http://127.0.0.1:1/", "tok", NULL, 1000, 2000, &err);
    ck_assert_ptr_nonnull(pusher);
    struct spool_meta meta = { .service = "checkout",
                               .instance = "a b&c",
                               .ts = 1,
                               .format = "pprof",
                               .key = "0123456789abcdef0123456789abcdef" };
    long retry_after = -1;
    ck_assert_int_eq(pusher_send(pusher, &meta, "x", 1, &retry_after, &err), PUSH_RETRY);
    ck_assert_int_eq(retry_after, 0);
    ck_assert_msg(strstr(err.msg, "POST 'http://127.0.0.1:1': ") == err.msg, "%s", err.msg);
    pusher_free(pusher);
}
END_TEST

/* A loopback listener that answers each accepted request with one fixed status. */
struct stand_in {
    int fd;
    int port;
    int status;
    const char *headers; /* extra header lines, each ending in \r\n */
};

static void stand_in_open(struct stand_in *s)
{
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->fd, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(s->fd, 4), 0);
    socklen_t len = sizeof(addr);
    ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
}

/* Accepts one connection, reads the request (headers and Content-Length body bytes)
 * and answers s->status with a small JSON body, then closes. */
static void *stand_in_answer(void *arg)
{
    struct stand_in *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    char req[8192];
    size_t got = 0, want = 0;
    for (;;) {
        ssize_t n = read(c, req + got, sizeof(req) - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        req[got] = '\0';
        char *end = strstr(req, "\r\n\r\n");
        if (end == NULL)
            continue;
        if (want == 0) {
            const char *cl = strstr(req, "Content-Length: ");
            want = (size_t)(end + 4 - req) + (cl != NULL ? (size_t)strtoll(cl + 16, NULL, 10) : 0);
        }
        if (got >= want)
            break;
    }
    char resp[512];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d Stand-in\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: 17\r\nConnection: close\r\n\r\n{\"error\": \"nope\"}",
                     s->status, s->headers != NULL ? s->headers : "");
    ck_assert_int_eq(write(c, resp, (size_t)n), n);
    close(c);
    return NULL;
}

/* One push answered with status (and headers): its outcome, err's message in msg. */
static enum push_outcome push_answered(struct stand_in *s, int status, const char *headers,
                                       char *msg, size_t size)
{
    s->status = status;
    s->headers = headers;
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, stand_in_answer, s), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s->port);
    struct lf_error err = { 0 };
    struct pusher *pusher = pusher_create(url, "tok", NULL, 2000, 5000, &err);
    ck_assert_ptr_nonnull(pusher);
    struct spool_meta meta = { .service = "checkout",
                               .instance = "host-a",
                               .ts = 1,
                               .format = "pprof",
                               .key = "0123456789abcdef0123456789abcdef" };
    long retry_after = -1;
    enum push_outcome outcome = pusher_send(pusher, &meta, "x", 1, &retry_after, &err);
    pthread_join(thread, NULL);
    pusher_free(pusher);
    snprintf(msg, size, "%s", outcome == PUSH_OK ? "" : err.msg);
    return outcome;
}

/* 2xx is accepted; only a 4xx other than 408 and 429 is a refusal that sets the profile
 * aside; a redirect is a wrong --server: retried, the profile kept, the line says so. */
START_TEST(test_push_outcome_by_status)
{
    struct stand_in s;
    stand_in_open(&s);
    char msg[256];
    ck_assert_int_eq(push_answered(&s, 201, NULL, msg, sizeof(msg)), PUSH_OK);
    ck_assert_int_eq(push_answered(&s, 200, NULL, msg, sizeof(msg)), PUSH_OK);
    static const int redirects[] = { 301, 302, 303, 307, 308 };
    for (size_t i = 0; i < sizeof(redirects) / sizeof(redirects[0]); i++) {
        ck_assert_int_eq(push_answered(&s, redirects[i],
                                       "Location: https://sso.example/login?\x01next=x\r\n", msg,
                                       sizeof(msg)),
                         PUSH_RETRY);
        char want[128];
        snprintf(want, sizeof(want),
                 "server answered HTTP %d, a redirect to 'https://sso.example/login? next=x': "
                 "check --server",
                 redirects[i]);
        ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s", msg);
    }
    ck_assert_int_eq(push_answered(&s, 304, NULL, msg, sizeof(msg)), PUSH_RETRY);
    const char *want = "server answered HTTP 304, a 3xx where the ingest API answers 2xx or 4xx: "
                       "check --server";
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s", msg);
    static const int retried[] = { 408, 429, 500, 503 };
    for (size_t i = 0; i < sizeof(retried) / sizeof(retried[0]); i++)
        ck_assert_int_eq(push_answered(&s, retried[i], NULL, msg, sizeof(msg)), PUSH_RETRY);
    static const int refused[] = { 400, 401, 403, 404, 413, 422 };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        ck_assert_int_eq(push_answered(&s, refused[i], NULL, msg, sizeof(msg)), PUSH_REJECTED);
    close(s.fd);
}
END_TEST

static Suite *scrape_suite(void)
{
    Suite *s = suite_create("agent_scrape");
    TCase *tc = tcase_create("scrape");
    tcase_add_test(tc, test_urls_and_formats);
    tcase_add_test(tc, test_gzip_reads_back_with_the_server_decoder);
    tcase_add_test(tc, test_nobody_listening);
    tcase_add_test(tc, test_push_outcome_by_status);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *runner = srunner_create(scrape_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    curl_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
