/* test_agent_promtext.c - unit tests of agent/promtext.c: what a Go service's /metrics
 * serves (HELP, TYPE, histograms with le="+Inf", NaN, exponents, timestamps), label
 * escapes, the blanks and line endings the format allows, one clear error per kind of
 * bad line (with its line and column), a callback that stops the parse, and clean
 * failure at every allocation. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "promtext.h"

#define MAX_SEEN 64

/* What the callback saw: each sample flattened into text, and a few values. */
struct seen {
    size_t n;
    char text[MAX_SEEN][256]; /* name{label=unescaped,...} */
    double value[MAX_SEEN];
    bool has_ts[MAX_SEEN];
    int64_t ts[MAX_SEEN];
    size_t line[MAX_SEEN];
    size_t stop_at; /* 0: never; N: the Nth sample answers LF_ECONFLICT */
};

static int collect(void *ctx, const struct promtext_sample *s, struct lf_error *err)
{
    struct seen *seen = ctx;
    ck_assert_uint_lt(seen->n, MAX_SEEN);
    if (seen->stop_at != 0 && seen->n + 1 == seen->stop_at)
        return lf_fail(err, LF_ECONFLICT, "stopped at line %zu", s->line);
    char *out = seen->text[seen->n];
    size_t size = sizeof(seen->text[0]);
    int used = snprintf(out, size, "%.*s", (int)s->name.len, s->name.p);
    for (size_t i = 0; i < s->n_labels; i++) {
        char value[128];
        ck_assert(promtext_unescape(s->labels[i].raw_value, value, sizeof(value), NULL));
        used += snprintf(out + used, size - (size_t)used, "%s%.*s=%s", i == 0 ? "{" : ",",
                         (int)s->labels[i].name.len, s->labels[i].name.p, value);
    }
    if (s->n_labels > 0)
        snprintf(out + used, size - (size_t)used, "}");
    seen->value[seen->n] = s->value;
    seen->has_ts[seen->n] = s->has_timestamp;
    seen->ts[seen->n] = s->timestamp_ms;
    seen->line[seen->n] = s->line;
    seen->n++;
    return LF_OK;
}

static int parse(const char *text, struct seen *seen, struct lf_error *err)
{
    memset(seen, 0, sizeof(*seen));
    return promtext_parse(text, strlen(text), collect, seen, err);
}

/* What client_golang serves, cut down, plus a service's own build info. */
static const char go_service[] =
        "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection "
        "cycles.\n"
        "# TYPE go_gc_duration_seconds summary\n"
        "go_gc_duration_seconds{quantile=\"0\"} 2.3e-05\n"
        "go_gc_duration_seconds{quantile=\"1\"} NaN\n"
        "go_gc_duration_seconds_sum 0.000123\n"
        "go_gc_duration_seconds_count 7\n"
        "# HELP go_info Information about the Go environment.\n"
        "# TYPE go_info gauge\n"
        "go_info{version=\"go1.22.1\"} 1\n"
        "# HELP http_request_duration_seconds Latency \\\\ with a\\nnewline.\n"
        "# TYPE http_request_duration_seconds histogram\n"
        "http_request_duration_seconds_bucket{code=\"200\",le=\"0.1\"} 3\n"
        "http_request_duration_seconds_bucket{code=\"200\",le=\"+Inf\"} 4\n"
        "# HELP process_start_time_seconds Start time of the process since unix epoch in "
        "seconds.\n"
        "# TYPE process_start_time_seconds gauge\n"
        "process_start_time_seconds 1.71234567891e+09\n"
        "# TYPE shop_build_info gauge\n"
        "shop_build_info{branch=\"main\",revision=\"3f2a\",version=\"1.4.2\"} 1\n"
        "shop_last_seen_seconds -Inf 1712345678901\n"
        "shop_ratio +Inf -5\n";

START_TEST(test_go_service_exposition)
{
    struct seen seen;
    struct lf_error err = { 0 };
    ck_assert_msg(parse(go_service, &seen, &err) == LF_OK, "%s", err.msg);
    ck_assert_uint_eq(seen.n, 11);
    ck_assert_str_eq(seen.text[0], "go_gc_duration_seconds{quantile=0}");
    ck_assert(seen.value[0] == 2.3e-05);
    ck_assert_uint_eq(seen.line[0], 3);
    ck_assert(isnan(seen.value[1]));
    ck_assert_str_eq(seen.text[3], "go_gc_duration_seconds_count");
    ck_assert(seen.value[3] == 7);
    ck_assert_str_eq(seen.text[4], "go_info{version=go1.22.1}");
    ck_assert_str_eq(seen.text[6], "http_request_duration_seconds_bucket{code=200,le=+Inf}");
    ck_assert_str_eq(seen.text[7], "process_start_time_seconds");
    ck_assert(seen.value[7] == 1712345678.91);
    ck_assert(!seen.has_ts[7]);
    ck_assert_str_eq(seen.text[8], "shop_build_info{branch=main,revision=3f2a,version=1.4.2}");
    ck_assert_str_eq(seen.text[9], "shop_last_seen_seconds");
    ck_assert(isinf(seen.value[9]) && seen.value[9] < 0);
    ck_assert(seen.has_ts[9]);
    ck_assert_int_eq(seen.ts[9], 1712345678901);
    ck_assert(isinf(seen.value[10]) && seen.value[10] > 0);
    ck_assert_int_eq(seen.ts[10], -5);
    ck_assert_uint_eq(seen.line[10], 20);
}
END_TEST

START_TEST(test_label_escapes)
{
    struct seen seen;
    struct lf_error err = { 0 };
    ck_assert_msg(parse("a{path=\"C:\\\\dir\\\\\\\"q\\\"\",msg=\"one\\ntwo\",e=\"\"} 1\n"
                        "b{x=\"a,b}c=d # not a comment\"} 2\n",
                        &seen, &err) == LF_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(seen.n, 2);
    ck_assert_str_eq(seen.text[0], "a{path=C:\\dir\\\"q\",msg=one\ntwo,e=}");
    ck_assert_str_eq(seen.text[1], "b{x=a,b}c=d # not a comment}");

    /* unescape into a buffer that is too small: a prefix, and false */
    char small[4];
    size_t len = 0;
    ck_assert(!promtext_unescape(STR_LIT("ab\\\"cd"), small, sizeof(small), &len));
    ck_assert_str_eq(small, "ab\"");
    ck_assert_uint_eq(len, 3);
    ck_assert(promtext_unescape(STR_LIT("ab\\\""), small, sizeof(small), &len));
    ck_assert_str_eq(small, "ab\"");
}
END_TEST

START_TEST(test_blanks_and_line_endings)
{
    struct seen seen;
    struct lf_error err = { 0 };
    ck_assert_msg(parse("\n   \n\t metric_a 1\r\n"
                        "metric_b { x = \"1\" , y=\"2\", } 2 \t\n"
                        "metric_c{} 3\n"
                        "metric_d{x=\"1\"}4\n"
                        "#TYPE   metric_e\tcounter  \n"
                        "#   a comment: { \" \\ anything\n"
                        "# HELP\tmetric_e\n"
                        "metric_e\t5\t6",
                        &seen, &err) == LF_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(seen.n, 5);
    ck_assert_str_eq(seen.text[0], "metric_a");
    ck_assert_uint_eq(seen.line[0], 3);
    ck_assert_str_eq(seen.text[1], "metric_b{x=1,y=2}");
    ck_assert_str_eq(seen.text[2], "metric_c");
    ck_assert_str_eq(seen.text[3], "metric_d{x=1}");
    ck_assert(seen.value[3] == 4);
    ck_assert_str_eq(seen.text[4], "metric_e");
    ck_assert_int_eq(seen.ts[4], 6);
    ck_assert_int_eq(parse("", &seen, &err), LF_OK);
    ck_assert_uint_eq(seen.n, 0);
    ck_assert_int_eq(parse("name:with:colons 1e3\n_under_score 0x1p4\n", &seen, &err), LF_OK);
    ck_assert(seen.value[0] == 1000 && seen.value[1] == 16);
}
END_TEST

START_TEST(test_bad_lines)
{
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        { "1metric 1\n", "line 1 column 1: expected a metric name" },
        { "ok 1\nmetric-x 1\n", "line 2 column 7: bad character in a metric name" },
        { "metric\n", "line 1 column 7: expected a value" },
        { "metric{} \n", "line 1 column 10: expected a value" },
        { "metric abc\n", "line 1 column 8: bad value" },
        { "metric 1e400\n", "line 1 column 8: bad value" },
        { "metric 1.0.0\n", "line 1 column 8: bad value" },
        { "metric 1 2.5\n", "line 1 column 10: bad timestamp" },
        { "metric 1 99999999999999999999\n", "line 1 column 10: bad timestamp" },
        { "metric 1 2 3\n", "line 1 column 12: unexpected text after the timestamp" },
        { "metric{a=\"1\" 1\n", "line 1 column 14: expected ',' or '}' after a label" },
        { "metric{a=\"1} 1\n", "line 1 column 15: label value not closed" },
        { "metric{a=\"1\\\n", "line 1 column 13: label value not closed" },
        { "metric{a=\"\\t\"} 1\n", "line 1 column 11: invalid escape sequence in a label value" },
        { "metric{a=1} 1\n", "line 1 column 10: expected '\"' to open a label value" },
        { "metric{a} 1\n", "line 1 column 9: expected '=' after a label name" },
        { "metric{,} 1\n", "line 1 column 8: expected a label name" },
        { "metric{1a=\"\"} 1\n", "line 1 column 8: expected a label name" },
        { "metric{a:b=\"\"} 1\n", "line 1 column 9: expected '=' after a label name" },
        { "metric{a=\"1\",a=\"2\"} 1\n", "line 1 column 14: duplicate label name" },
        { "# TYPE metric\n", "line 1 column 14: expected counter, gauge" },
        { "# TYPE metric gaug\n", "line 1 column 19: expected counter, gauge" },
        { "# TYPE metric gauge extra\n", "line 1 column 21: unexpected text after the type" },
        { "# TYPE 9metric gauge\n", "line 1 column 8: expected a metric name after TYPE" },
        { "# HELP\n", "line 1 column 7: expected a metric name after HELP" },
        { "# HELP m{ x\n", "line 1 column 9: bad character in a metric name" },
        { "# HELP m bad \\t escape\n", "line 1 column 14: invalid escape sequence in a HELP" },
        { "# HELP m ends in \\", "line 1 column 18: invalid escape sequence in a HELP" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct seen seen;
        struct lf_error err = { 0 };
        ck_assert_msg(parse(cases[i].text, &seen, &err) == LF_EINVAL, "accepted: %s",
                      cases[i].text);
        ck_assert_msg(strncmp(err.msg, cases[i].error, strlen(cases[i].error)) == 0,
                      "%s: got '%s', want '%s'", cases[i].text, err.msg, cases[i].error);
    }
}
END_TEST

START_TEST(test_label_count_limit)
{
    static char text[16 * 1100];
    size_t len = 0;
    len += (size_t)snprintf(text + len, sizeof(text) - len, "m{");
    for (int i = 0; i < 1025; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "l%d=\"\",", i);
    snprintf(text + len, sizeof(text) - len, "} 1\n");
    struct seen seen;
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(text, &seen, &err), LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "more than 1024 labels") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_callback_stops_the_parse)
{
    struct seen seen;
    memset(&seen, 0, sizeof(seen));
    seen.stop_at = 2;
    struct lf_error err = { 0 };
    const char *text = "a 1\nb 2\nc 3\n";
    ck_assert_int_eq(promtext_parse(text, strlen(text), collect, &seen, &err), LF_ECONFLICT);
    ck_assert_str_eq(err.msg, "stopped at line 2");
    ck_assert_uint_eq(seen.n, 1);
}
END_TEST

START_TEST(test_every_allocation_failure)
{
    bool passed = false;
    for (long n = 0; n < 100 && !passed; n++) {
        struct seen seen;
        struct lf_error err = { 0 };
        lf_alloc_fail_after(n);
        int rc = parse(go_service, &seen, &err);
        lf_alloc_fail_after(-1);
        ck_assert_msg(rc == LF_OK || rc == LF_ENOMEM, "rc %d at %ld", rc, n);
        passed = rc == LF_OK;
    }
    ck_assert(passed);
}
END_TEST

static Suite *promtext_suite(void)
{
    Suite *s = suite_create("agent_promtext");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_go_service_exposition);
    tcase_add_test(tc, test_label_escapes);
    tcase_add_test(tc, test_blanks_and_line_endings);
    tcase_add_test(tc, test_bad_lines);
    tcase_add_test(tc, test_label_count_limit);
    tcase_add_test(tc, test_callback_stops_the_parse);
    tcase_add_test(tc, test_every_allocation_failure);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(promtext_suite)
