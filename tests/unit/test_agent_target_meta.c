/* test_agent_target_meta.c - unit tests of agent/target_meta.c: the start time in any
 * float form, the service's *_build_info version preferred over go_build_info and
 * go_info (the toolchain), unusable values set aside with a reason, the version check,
 * and a body that is not the text format. */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "target_meta.h"

static struct target_meta parse_ok(const char *text)
{
    struct target_meta m;
    struct lf_error err = { 0 };
    ck_assert_msg(target_meta_parse(text, strlen(text), &m, &err) == LF_OK, "%s", err.msg);
    return m;
}

START_TEST(test_start_time_forms)
{
    struct target_meta m = parse_ok("# TYPE process_start_time_seconds gauge\n"
                                    "process_start_time_seconds 1.7e+09\n");
    ck_assert_int_eq(m.started, 1700000000);
    m = parse_ok("process_start_time_seconds 1712345678.99\n"
                 "process_start_time_seconds 1.0\n"); /* the first counts */
    ck_assert_int_eq(m.started, 1712345678);
    ck_assert(m.start_seconds == 1712345678.99);
    m = parse_ok("process_start_time_seconds{pid=\"7\"} 1712345678 1712345679000\n");
    ck_assert_int_eq(m.started, 1712345678);
    ck_assert_str_eq(m.problem, "");

    static const char *const unusable[] = { "NaN", "+Inf", "-Inf", "0", "-5", "0.5", "1e13" };
    for (size_t i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "a 1\nprocess_start_time_seconds %s\n", unusable[i]);
        m = parse_ok(text);
        ck_assert_int_eq(m.started, 0);
        ck_assert_msg(strstr(m.problem, "line 2: process_start_time_seconds") != NULL &&
                              strstr(m.problem, "is not a unix time") != NULL,
                      "%s: %s", unusable[i], m.problem);
    }
    m = parse_ok("process_start_time_seconds_total 1.7e9\nmy_process_start_time_seconds 1.7e9\n");
    ck_assert_int_eq(m.started, 0);
    ck_assert_str_eq(m.problem, "");
}
END_TEST

START_TEST(test_version_preference)
{
    /* go_info alone: kept apart as the toolchain's version */
    struct target_meta m = parse_ok("go_info{version=\"go1.22.1\"} 1\n");
    ck_assert_str_eq(m.version, "");
    ck_assert_str_eq(m.go_version, "go1.22.1");

    /* go_build_info's "(devel)" is no version; a tagged one is */
    m = parse_ok("go_build_info{checksum=\"\",path=\"x\",version=\"(devel)\"} 1\n");
    ck_assert_str_eq(m.version, "");
    m = parse_ok("go_build_info{path=\"x\",version=\"v1.2.3\"} 1\n");
    ck_assert_str_eq(m.version, "v1.2.3");
    ck_assert_str_eq(m.version_metric, "go_build_info");

    /* the service's own build info wins, wherever it is; the first of them counts */
    m = parse_ok("go_build_info{path=\"x\",version=\"v1.2.3\"} 1\n"
                 "go_info{version=\"go1.22.1\"} 1\n"
                 "shop_build_info{revision=\"abc\",version=\"1.4.2\"} 1\n"
                 "zeta_build_info{version=\"9.9.9\"} 1\n"
                 "process_start_time_seconds 1.7e9\n");
    ck_assert_str_eq(m.version, "1.4.2");
    ck_assert_str_eq(m.version_metric, "shop_build_info");
    ck_assert_str_eq(m.go_version, "go1.22.1");
    ck_assert_int_eq(m.started, 1700000000);

    /* a build info without a version label, or an empty one, is passed over */
    m = parse_ok("a_build_info{revision=\"abc\"} 1\nb_build_info{version=\"\"} 1\n"
                 "c_build_info{version=\"2.0 \\\"beta\\\"\"} 1\n");
    ck_assert_str_eq(m.version, "2.0 \"beta\"");
    ck_assert_str_eq(m.version_metric, "c_build_info");
    ck_assert_str_eq(m.problem, "");
    m = parse_ok("build_info{version=\"1\"} 1\n_build_info{version=\"2\"} 1\n");
    ck_assert_str_eq(m.version, "2");
}
END_TEST

START_TEST(test_unusable_versions)
{
    char text[512];
    char long_version[TARGET_META_VERSION_MAX + 2];
    memset(long_version, 'v', sizeof(long_version) - 1);
    long_version[sizeof(long_version) - 1] = '\0';
    snprintf(text, sizeof(text),
             "a_build_info{version=\"%s\"} 1\nb_build_info{version=\"1.0\"} 1\n", long_version);
    struct target_meta m = parse_ok(text);
    ck_assert_str_eq(m.version, "1.0");
    ck_assert_str_eq(m.problem, "line 1: the version label of a_build_info is not usable (over "
                                "128 bytes, control characters or not UTF-8)");
    m = parse_ok("a_build_info{version=\"1.0\\nforged log line\"} 1\n");
    ck_assert_str_eq(m.version, "");
    ck_assert(strstr(m.problem, "a_build_info is not usable") != NULL);
    m = parse_ok("go_info{version=\"go\x1b[31m\"} 1\n");
    ck_assert_str_eq(m.go_version, "");
    ck_assert(strstr(m.problem, "go_info is not usable") != NULL);

    ck_assert(target_meta_version_ok("1.4.2", 5));
    const char *utf8 = "v2 (\xc3\xa9t\xc3\xa9) \xe2\x9c\x93 \xf0\x9f\x9a\x80";
    ck_assert(target_meta_version_ok(utf8, strlen(utf8)));
    ck_assert(target_meta_version_ok(long_version, TARGET_META_VERSION_MAX));
    ck_assert(!target_meta_version_ok(long_version, TARGET_META_VERSION_MAX + 1));
    ck_assert(!target_meta_version_ok("", 0));
    ck_assert(!target_meta_version_ok("a\tb", 3));
    ck_assert(!target_meta_version_ok("a\x7f", 2));
    ck_assert(!target_meta_version_ok("a\0b", 3));
    ck_assert(!target_meta_version_ok("\xc2\x85", 2));         /* C1 control NEL */
    ck_assert(!target_meta_version_ok("\xc3", 1));             /* cut short */
    ck_assert(!target_meta_version_ok("\xc0\xaf", 2));         /* overlong */
    ck_assert(!target_meta_version_ok("\xe0\x80\xaf", 3));     /* overlong */
    ck_assert(!target_meta_version_ok("\xed\xa0\x80", 3));     /* surrogate */
    ck_assert(!target_meta_version_ok("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    ck_assert(!target_meta_version_ok("\xff", 1));
}
END_TEST

START_TEST(test_not_the_text_format)
{
    struct target_meta m;
    memset(&m, 0x55, sizeof(m));
    struct lf_error err = { 0 };
    const char *html = "process_start_time_seconds 1.7e9\n<html><body>login</body></html>\n";
    ck_assert_int_eq(target_meta_parse(html, strlen(html), &m, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "line 2 column 1: expected a metric name");
    ck_assert_int_eq(m.started, 0); /* nothing half-read */
    ck_assert_str_eq(m.version, "");
    const char *json = "{\"process_start_time_seconds\": 1}";
    ck_assert_int_eq(target_meta_parse(json, strlen(json), &m, &err), LF_EINVAL);
}
END_TEST

static Suite *target_meta_suite(void)
{
    Suite *s = suite_create("agent_target_meta");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_start_time_forms);
    tcase_add_test(tc, test_version_preference);
    tcase_add_test(tc, test_unusable_versions);
    tcase_add_test(tc, test_not_the_text_format);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(target_meta_suite)
