/* test_report.c - unit tests of report: the JSON of an aggregate, as docs/api.md gives it
 * (fields, order, attribution, optional keys, --min), hostile bytes kept valid JSON, and the
 * table's header and rows, long paths cut on a character boundary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "alloc.h"
#include "attribute.h"
#include "check_main.h"
#include "codeowners.h"
#include "report.h"
#include "utf8.h"

static void add(struct aggregate *agg, const char *function, const char *file, int64_t line,
                const char *reason, int64_t count, int64_t minutes, bool leaked)
{
    struct stack_frame frame = { str_from_cstr(function), str_from_cstr(file), line };
    struct stack s;
    memset(&s, 0, sizeof(s));
    s.count = count;
    s.goroutine_id = -1;
    s.wait_reason = str_from_cstr(reason);
    s.wait_minutes = minutes;
    s.leaked = leaked;
    s.frames = &frame;
    s.n_frames = 1;
    struct lf_error err;
    ck_assert_int_eq(aggregate_sink(agg, &s, &err), LF_OK);
}

START_TEST(test_contract_json)
{
    struct aggregate *agg = aggregate_create();
    add(agg, "main.ncast.func1", "/build/acme/leaky/main.go", 51, "chan send", 120, 12, false);
    add(agg, "main.ncast.func1", "/build/acme/leaky/main.go", 51, "chan send", 80, 3, true);
    add(agg, "net/http.(*persistConn).readLoop", "/usr/lib/go/src/net/http/transport.go", 2238,
        "IO wait", 4, 0, false);
    add(agg, "main.tiny", "/build/acme/leaky/tiny.go", 3, "select", 1, 0, false);
    aggregate_sort(agg);

    const char text[] = "*.go @acme/core\n";
    struct lf_error err;
    struct codeowners *co = codeowners_parse(text, sizeof(text) - 1, &err);
    ck_assert_ptr_nonnull(co);
    const char *roots[] = { "/build/acme/" };
    struct attributor *attributor = attributor_create(roots, 1, co);
    ck_assert_ptr_nonnull(attributor);
    struct report_options options = { "debug2", 205, 2, attributor, false, false, NULL };
    json_t *json = report_json(agg, &options, &err);
    ck_assert_ptr_nonnull(json);
    char *dumped = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(dumped,
                     "{\"format\":\"debug2\",\"goroutines\":205,\"locations\":["
                     "{\"op\":\"chan send\",\"function\":\"main.ncast.func1\","
                     "\"file\":\"/build/acme/leaky/main.go\",\"line\":51,\"count\":200,"
                     "\"in_repo\":true,\"owner\":\"@acme/core\",\"max_wait_minutes\":12,"
                     "\"confirmed\":true},"
                     "{\"op\":\"IO wait\",\"function\":\"net/http.(*persistConn).readLoop\","
                     "\"file\":\"/usr/lib/go/src/net/http/transport.go\",\"line\":2238,\"count\":4,"
                     "\"in_repo\":false,\"owner\":null,\"max_wait_minutes\":0}]}");
    free(dumped);
    json_decref(json);

    /* no attributor, no wait times: in_repo false, owner null, no max_wait_minutes */
    struct aggregate *plain = aggregate_create();
    struct stack_frame frame = { STR_LIT("main.f"), STR_LIT("/a.go"), 9 };
    struct stack s;
    memset(&s, 0, sizeof(s));
    s.count = 5;
    s.wait_minutes = -1;
    s.frames = &frame;
    s.n_frames = 1;
    ck_assert_int_eq(aggregate_sink(plain, &s, &err), LF_OK);
    struct report_options bare = { "debug1", 5, 1, NULL, false, false, NULL };
    json = report_json(plain, &bare, &err);
    dumped = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(dumped, "{\"format\":\"debug1\",\"goroutines\":5,\"locations\":["
                             "{\"op\":\"unknown\",\"function\":\"main.f\",\"file\":\"/a.go\","
                             "\"line\":9,\"count\":5,\"in_repo\":false,\"owner\":null}]}");
    free(dumped);
    json_decref(json);
    /* a cut-off input says so after the goroutine count */
    bare.truncated = true;
    json = report_json(plain, &bare, &err);
    dumped = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_ptr_nonnull(strstr(dumped, "\"goroutines\":5,\"truncated\":true,\"locations\""));
    free(dumped);
    json_decref(json);
    aggregate_free(plain);
    attributor_free(attributor);
    codeowners_free(co);
    aggregate_free(agg);
}
END_TEST

START_TEST(test_hostile_bytes_stay_valid_json)
{
    struct aggregate *agg = aggregate_create();
    add(agg, "main.\xff\xfe(\"quoted\")\n", "/a/\xc3\x28.go", 1, "reason \xe2\x82", 2, -1, false);
    add(agg, "main.ok\xc3\xa9", "/a/b.go", 2, "chan send", 1, -1, false);
    aggregate_sort(agg);
    struct report_options options = { "debug2", 3, 1, NULL, false, false, NULL };
    struct lf_error err;
    json_t *json = report_json(agg, &options, &err);
    ck_assert_ptr_nonnull(json);
    char *dumped = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_ptr_nonnull(dumped);
    json_error_t error;
    json_t *back = json_loads(dumped, 0, &error);
    ck_assert_msg(back != NULL, "%s", error.text);
    json_t *first = json_array_get(json_object_get(back, "locations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "function")),
                     "main.\xef\xbf\xbd\xef\xbf\xbd(\"quoted\")\n");
    ck_assert_str_eq(json_string_value(json_object_get(first, "file")), "/a/\xef\xbf\xbd(.go");
    /* a sequence cut short is one U+FFFD (its maximal subpart), not one per byte */
    ck_assert_str_eq(json_string_value(json_object_get(first, "op")), "reason \xef\xbf\xbd");
    json_t *second = json_array_get(json_object_get(back, "locations"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(second, "function")), "main.ok\xc3\xa9");
    json_decref(back);
    free(dumped);
    json_decref(json);
    aggregate_free(agg);
}
END_TEST

static char *render_text(const struct aggregate *agg, const struct report_options *options)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    struct lf_error err;
    ck_assert_int_eq(report_write_text(out, agg, options, &err), LF_OK);
    fclose(out);
    return buf;
}

START_TEST(test_table)
{
    struct aggregate *agg = aggregate_create();
    add(agg, "main.ncast.func1", "/build/acme/leaky/main.go", 51, "chan send", 200, 12, true);
    add(agg, "main.f", "/build/acme/leaky/f.go", 7, "sync.Mutex.Lock", 3, 0, false);
    aggregate_sort(agg);
    const char *roots[] = { "/build/acme/" };
    struct attributor *attributor = attributor_create(roots, 1, NULL);
    struct report_options options = { "debug2", 203, 1, attributor, false, false, NULL };
    char *text = render_text(agg, &options);
    ck_assert_str_eq(
            text,
            "debug2: 203 goroutines, 2 locations\n"
            "COUNT  OP               FUNCTION          FILE:LINE                     OWNER  REPO  "
            "WAIT  LEAKED\n"
            "  200  chan send        main.ncast.func1  /build/acme/leaky/main.go:51  -      yes   "
            " 12m  leaked\n"
            "    3  sync.Mutex.Lock  main.f            /build/acme/leaky/f.go:7      -      yes   "
            "  0m\n");
    free(text);
    options.min_count = 10;
    options.attributor = NULL;
    text = render_text(agg, &options);
    ck_assert_str_eq(
            text,
            "debug2: 203 goroutines, 1 location with 10 or more\n"
            "COUNT  OP         FUNCTION          FILE:LINE                     OWNER  REPO  WAIT  "
            "LEAKED\n"
            "  200  chan send  main.ncast.func1  /build/acme/leaky/main.go:51  -             12m  "
            "leaked\n");
    free(text);
    attributor_free(attributor);
    aggregate_free(agg);
}
END_TEST

/* A path of 40 CJK characters (120 bytes) is cut to its first 26 (78 bytes) in the
 * table, not at byte 80 inside the 27th; the table stays valid UTF-8. */
START_TEST(test_table_cuts_paths_on_a_boundary)
{
    char file[128] = "/";
    for (int i = 0; i < 40; i++)
        memcpy(file + 1 + 3 * i, "\xe6\xbc\x8f", 4);
    struct aggregate *agg = aggregate_create();
    add(agg, "main.f", file, 7, "chan send", 3, -1, false);
    aggregate_sort(agg);
    struct report_options options = { "debug2", 3, 1, NULL, false, false, NULL };
    char *text = render_text(agg, &options);
    ck_assert(utf8_valid(text, strlen(text)));
    char where[128];
    snprintf(where, sizeof(where), "%.79s:7", file); /* "/" and 26 characters */
    ck_assert_msg(strstr(text, where) != NULL, "%s", text);
    free(text);
    aggregate_free(agg);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_contract_json);
    tcase_add_test(tc, test_hostile_bytes_stay_valid_json);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_table_cuts_paths_on_a_boundary);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(report_suite)
