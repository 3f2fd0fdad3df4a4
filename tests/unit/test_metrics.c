/* test_metrics.c - counters, the latency histogram and scrape-time values, checked
 * line by line in the Prometheus text output. */
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "metrics.h"

static double forty_two(void *ctx)
{
    (void)ctx;
    return 42;
}

static bool has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
            return true;
    }
    return false;
}

START_TEST(test_render)
{
    static const char *const names[] = { "healthz", "ingest" };
    struct metrics *m = metrics_create(names, 2);
    ck_assert_ptr_nonnull(m);
    struct lf_error err;
    ck_assert_int_eq(metrics_add_value(m, "leakfleet_writer_queue_depth", "Jobs waiting.", "gauge",
                                       forty_two, NULL, &err),
                     LF_OK);
    metrics_count_push(m, 201);
    metrics_count_push(m, 201);
    metrics_count_push(m, 200);
    metrics_count_push(m, 413);
    metrics_count_push(m, 422);
    metrics_count_push(m, 503);
    metrics_add_bytes(m, 2636);
    metrics_add_bytes(m, 100);
    metrics_count_parse_error(m, PARSE_FORMAT_DEBUG2);
    metrics_count_parse_error(m, PARSE_FORMAT_AUTO);
    metrics_observe_request(m, 1, 0.0004);
    metrics_observe_request(m, 1, 0.003);
    metrics_observe_request(m, 1, 20);
    metrics_observe_request(m, 7, 0.2); /* out of range: unmatched */
    ck_assert_uint_eq(metrics_pushes(m, "stored"), 2);
    ck_assert_uint_eq(metrics_pushes(m, "nonsense"), 0);

    char *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(metrics_render(m, &text, &len, &err), LF_OK);
    ck_assert_uint_eq(strlen(text), len);
    const char *want[] = {
        "# TYPE leakfleet_pushes_total counter",
        "leakfleet_pushes_total{result=\"stored\"} 2",
        "leakfleet_pushes_total{result=\"duplicate\"} 1",
        "leakfleet_pushes_total{result=\"too_big\"} 1",
        "leakfleet_pushes_total{result=\"key_reused\"} 1",
        "leakfleet_pushes_total{result=\"error\"} 1",
        "leakfleet_pushes_total{result=\"invalid\"} 0",
        "leakfleet_received_bytes_total 2736",
        "leakfleet_parse_errors_total{format=\"debug2\"} 1",
        "leakfleet_parse_errors_total{format=\"unknown\"} 1",
        "leakfleet_parse_errors_total{format=\"pprof\"} 0",
        "# TYPE leakfleet_http_request_duration_seconds histogram",
        "leakfleet_http_request_duration_seconds_bucket{route=\"ingest\",le=\"0.0005\"} 1",
        "leakfleet_http_request_duration_seconds_bucket{route=\"ingest\",le=\"0.0025\"} 1",
        "leakfleet_http_request_duration_seconds_bucket{route=\"ingest\",le=\"0.005\"} 2",
        "leakfleet_http_request_duration_seconds_bucket{route=\"ingest\",le=\"10\"} 2",
        "leakfleet_http_request_duration_seconds_bucket{route=\"ingest\",le=\"+Inf\"} 3",
        "leakfleet_http_request_duration_seconds_sum{route=\"ingest\"} 20.003400",
        "leakfleet_http_request_duration_seconds_count{route=\"ingest\"} 3",
        "leakfleet_http_request_duration_seconds_count{route=\"healthz\"} 0",
        "leakfleet_http_request_duration_seconds_count{route=\"unmatched\"} 1",
        "# HELP leakfleet_writer_queue_depth Jobs waiting.",
        "# TYPE leakfleet_writer_queue_depth gauge",
        "leakfleet_writer_queue_depth 42",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(has_line(text, want[i]), "missing line: %s", want[i]);
    lf_free(text);
    metrics_free(m);
}
END_TEST

/* The inventory: label values escaped as the text format requires, growth only where
 * known, every suspect and only top_sites of the others, and the pyroscope counter. */
START_TEST(test_sites)
{
    json_t *leaks = json_pack(
            "[{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:b, s:f},"
            " {s:s, s:n, s:s, s:s, s:i, s:s, s:i, s:b, s:n},"
            " {s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:b, s:n},"
            " {s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:b, s:f}]",
            "service", "shop", "owner", "@a", "function", "main.a\"b\\c\nd", "file", "x.go", "line",
            7, "op", "chan send", "count", 300, "suspect", 0, "growth_per_hour", 2.5, "service",
            "shop", "owner", "function", "main.b", "file", "y.go", "line", 8, "op", "select",
            "count", 200, "suspect", 0, "growth_per_hour", "service", "shop", "owner", "@a",
            "function", "main.c", "file", "z.go", "line", 9, "op", "select", "count", 100,
            "suspect", 0, "growth_per_hour", "service", "pay", "owner", "@p", "function",
            "main.leak", "file", "l.go", "line", 3, "op", "chan receive", "count", 50, "suspect", 1,
            "growth_per_hour", 40.0);
    ck_assert_ptr_nonnull(leaks);
    char *text = lf_malloc(8);
    ck_assert_ptr_nonnull(text);
    memcpy(text, "# x\n", 5);
    size_t len = 4;
    struct lf_error err;
    ck_assert_int_eq(metrics_append_sites(&text, &len, leaks, 2, &err), LF_OK);
    ck_assert_uint_eq(strlen(text), len);
    ck_assert_ptr_nonnull(strstr(
            text,
            "leakfleet_site_goroutines{service=\"shop\",owner=\"@a\",function=\"main.a\\\"b"
            "\\\\c\\nd\",file=\"x.go\",line=\"7\",op=\"chan send\",suspect=\"false\"} 300\n"));
    ck_assert_ptr_nonnull(strstr(text, "owner=\"unowned\",function=\"main.b\""));
    ck_assert_ptr_null(strstr(text, "main.c")); /* the third largest of top_sites 2 */
    ck_assert_ptr_nonnull(strstr(text,
                                 "leakfleet_site_growth_per_hour{service=\"pay\",owner=\"@p\","
                                 "function=\"main.leak\",file=\"l.go\",line=\"3\",op=\"chan "
                                 "receive\",suspect=\"true\"} 40\n"));
    ck_assert_ptr_null(strstr(text, "growth_per_hour{service=\"shop\",owner=\"unowned\""));
    lf_free(text);
    json_decref(leaks);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_render);
    tcase_add_test(tc, test_sites);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(metrics_suite)
