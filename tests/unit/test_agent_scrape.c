/* test_agent_scrape.c - unit tests of agent/scrape.c and agent/push.c that need
 * no service: profile URLs, format names, gzip that the server's own decoder
 * reads back, and the outcome of a scrape or a push to a port where nobody
 * listens. */
#include <string.h>

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
    ck_assert_int_eq(
            scrape_url("http://127.0.0.1:6060", false, SCRAPE_FORMAT_PPROF, url, sizeof(url), &err),
            LF_OK);
    ck_assert_str_eq(url, "http://127.0.0.1:6060/debug/pprof/goroutine?debug=0");
    ck_assert_int_eq(scrape_url("http://h:1//", true, SCRAPE_FORMAT_DEBUG1, url, sizeof(url), &err),
                     LF_OK);
    ck_assert_str_eq(url, "http://h:1/debug/pprof/goroutineleak?debug=1");
    ck_assert_int_eq(
            scrape_url("https://h/base", false, SCRAPE_FORMAT_DEBUG2, url, sizeof(url), &err),
            LF_OK);
    ck_assert_str_eq(url, "https://h/base/debug/pprof/goroutine?debug=2");
    ck_assert_int_eq(scrape_url("http://a-very-long-host-name.example:6060", false,
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

static Suite *scrape_suite(void)
{
    Suite *s = suite_create("agent_scrape");
    TCase *tc = tcase_create("scrape");
    tcase_add_test(tc, test_urls_and_formats);
    tcase_add_test(tc, test_gzip_reads_back_with_the_server_decoder);
    tcase_add_test(tc, test_nobody_listening);
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
