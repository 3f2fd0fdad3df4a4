/* test_request.c - the one reader of query parameters: request_check_query refuses NUL
 * and control bytes in names and values, repeated names and too many parameters, naming
 * the parameter; request_query matches names by length and bytes (a "service\0" key is
 * not "service"); headers; and the typed readers the handlers share. */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "request.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define P(k, v)                                                                                    \
    {                                                                                              \
        STR_LIT(k), STR_LIT(v)                                                                     \
    }

static struct lf_error err;

static int check(const struct http_param *query, size_t n)
{
    lf_error_clear(&err);
    return request_check_query(query, n, &err);
}

START_TEST(test_check_accepts_clean_queries)
{
    struct http_param ok[] = { P("service", "checkout"),      P("instance", "host-1:8080"),
                               P("ts", "1700000000"),         P("version", "v1.2.3+build"),
                               { STR_LIT("all"), STR_NULL },  P("owner", "\xc3\xa9quipe"),
                               P("reason", "known, see #12"), P("empty", "") };
    ck_assert_int_eq(check(ok, N(ok)), LF_OK);
    ck_assert_int_eq(check(NULL, 0), LF_OK);
}
END_TEST

START_TEST(test_check_refuses_control_bytes)
{
    /* the reproduction: a second "service" whose name ends in %00 */
    struct http_param nul_key[] = { P("service\0", "other"), P("service", "checkout"),
                                    P("instance", "x") };
    ck_assert_int_eq(check(nul_key, N(nul_key)), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter name 'service\\x00' holds a control byte");
    /* the order does not matter, and names are checked before values */
    struct http_param nul_key_last[] = { P("service", "checkout\n"), P("service\0", "other") };
    ck_assert_int_eq(check(nul_key_last, N(nul_key_last)), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter name 'service\\x00' holds a control byte");

    static const char bytes[] = { 0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f };
    for (size_t i = 0; i < sizeof(bytes); i++) {
        char value[4] = { 'a', bytes[i], 'b', '\0' };
        struct http_param q[] = { P("service", "checkout"),
                                  { STR_LIT("instance"), str_make(value, 3) } };
        ck_assert_int_eq(check(q, N(q)), LF_EINVAL);
        ck_assert_str_eq(err.msg, "parameter 'instance' holds a control byte");
        struct http_param k[] = { { str_make(value, 3), STR_LIT("1") } };
        ck_assert_int_eq(check(k, N(k)), LF_EINVAL);
        char want[64];
        snprintf(want, sizeof(want), "parameter name 'a\\x%02xb' holds a control byte", bytes[i]);
        ck_assert_str_eq(err.msg, want);
    }
    /* a NUL at either end of a value */
    struct http_param lead[] = { P("instance", "\0a") };
    ck_assert_int_eq(check(lead, 1), LF_EINVAL);
    struct http_param trail[] = { P("ts", "5\0") };
    ck_assert_int_eq(check(trail, 1), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'ts' holds a control byte");
    /* a long name is cut in the message */
    char long_name[61];
    memset(long_name, 'a', 60);
    long_name[60] = '\x01';
    struct http_param long_key[] = { { str_make(long_name, 61), STR_LIT("1") } };
    ck_assert_int_eq(check(long_key, 1), LF_EINVAL);
    char want[128];
    snprintf(want, sizeof(want), "parameter name '%.48s...' holds a control byte", long_name);
    ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_check_refuses_repeats)
{
    static const char *const names[] = { "service", "instance", "ts", "version", "state" };
    for (size_t i = 0; i < N(names); i++) {
        struct http_param q[] = { { str_from_cstr(names[i]), STR_LIT("a") },
                                  P("other", "x"),
                                  { str_from_cstr(names[i]), STR_LIT("a") } };
        ck_assert_int_eq(check(q, N(q)), LF_EINVAL);
        char want[80];
        snprintf(want, sizeof(want), "parameter '%s' is given more than once", names[i]);
        ck_assert_str_eq(err.msg, want);
    }
    struct http_param flag[] = { P("service", "a"), { STR_LIT("service"), STR_NULL } };
    ck_assert_int_eq(check(flag, N(flag)), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'service' is given more than once");
    /* a longer or shorter name is another parameter */
    struct http_param near[] = { P("service", "a"), P("services", "b"), P("servic", "c") };
    ck_assert_int_eq(check(near, N(near)), LF_OK);
}
END_TEST

START_TEST(test_check_refuses_too_many)
{
    struct http_param q[REQUEST_MAX_QUERY + 1];
    char names[REQUEST_MAX_QUERY + 1][8];
    for (size_t i = 0; i < N(q); i++) {
        snprintf(names[i], sizeof(names[i]), "p%zu", i);
        q[i] = request_param_cstr(names[i], "1");
    }
    ck_assert_int_eq(check(q, REQUEST_MAX_QUERY), LF_OK);
    ck_assert_int_eq(check(q, REQUEST_MAX_QUERY + 1), LF_EINVAL);
    ck_assert_str_eq(err.msg, "more than 32 query parameters");
}
END_TEST

START_TEST(test_query_matches_by_length)
{
    struct http_param q[] = { P("service\0", "other"),
                              P("service", "checkout"),
                              { STR_LIT("all"), STR_NULL },
                              P("owner", "") };
    struct request req = { .query = q, .n_query = N(q) };
    ck_assert_str_eq(request_query(&req, "service"), "checkout");
    ck_assert_str_eq(request_query(&req, "all"), "");
    ck_assert_str_eq(request_query(&req, "owner"), "");
    ck_assert_ptr_null(request_query(&req, "servic"));
    ck_assert_ptr_null(request_query(&req, "services"));
    ck_assert_ptr_null(request_query(&req, "instance"));
    struct http_param only_nul[] = { P("service\0", "other") };
    req.query = only_nul;
    req.n_query = 1;
    ck_assert_ptr_null(request_query(&req, "service"));
    static const char *const known[] = { "service" };
    ck_assert_int_eq(request_allow_params(&req, known, 1, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "unknown parameter 'service\\x00'");
}
END_TEST

START_TEST(test_headers)
{
    struct http_param h[] = { P("Idempotency-Key", "k1"), P("Content-Encoding", "gzip") };
    struct request req = { .headers = h, .n_headers = N(h) };
    ck_assert_str_eq(request_header(&req, "idempotency-key"), "k1");
    ck_assert_str_eq(request_header(&req, "CONTENT-ENCODING"), "gzip");
    ck_assert_ptr_null(request_header(&req, "Idempotency"));
    ck_assert_ptr_null(request_header(&req, "Idempotency-Keys"));
    ck_assert_int_eq(request_check_headers(h, N(h), &err), LF_OK);
    struct http_param bad[] = { P("Authorization", "Bearer agent-secret\0zz") };
    ck_assert_int_eq(request_check_headers(bad, 1, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "header 'Authorization' holds a NUL byte");
    struct http_param bad_name[] = { P("X\0Y", "1") };
    ck_assert_int_eq(request_check_headers(bad_name, 1, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "header 'X\\x00Y' holds a NUL byte");
}
END_TEST

START_TEST(test_typed_readers)
{
    struct http_param q[] = {
        P("from", "10"),       P("neg", "-1"),      P("word", "ten"),  P("step", "5m"),
        P("week", "2w"),       P("bare", "90"),     P("unit", "h"),    P("parts", "1h30m"),
        P("millis", "2000ms"), P("part", "1500ms"), P("flag", "true"), P("off", "0"),
        P("maybe", "yes"),     P("name", "shop"),   P("blank", ""),    { STR_LIT("all"), STR_NULL }
    };
    struct request req = { .query = q, .n_query = N(q) };
    int64_t v = 0;
    ck_assert_int_eq(request_query_int(&req, "from", 7, 0, 100, "0..100", &v, &err), LF_OK);
    ck_assert_int_eq(v, 10);
    ck_assert_int_eq(request_query_int(&req, "absent", 7, 0, 100, "0..100", &v, &err), LF_OK);
    ck_assert_int_eq(v, 7);
    ck_assert_int_eq(request_query_int(&req, "neg", 7, 0, 100, "0..100", &v, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'neg' must be 0..100, not '-1'");
    ck_assert_int_eq(request_query_int(&req, "from", 7, 0, 9, "0..9", &v, &err), LF_EINVAL);
    ck_assert_int_eq(request_query_int(&req, "word", 7, 0, 9, "0..9", &v, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'word' must be 0..9, not 'ten'");
    ck_assert_int_eq(request_query_int(&req, "all", 7, 0, 9, "0..9", &v, &err), LF_EINVAL);

    ck_assert_int_eq(request_query_duration(&req, "step", 0, 0, INT64_MAX, "d", &v, &err), LF_OK);
    ck_assert_int_eq(v, 300);
    ck_assert_int_eq(request_query_duration(&req, "week", 0, 0, INT64_MAX, "d", &v, &err), LF_OK);
    ck_assert_int_eq(v, 14 * 86400);
    ck_assert_int_eq(request_query_duration(&req, "bare", 0, 0, INT64_MAX, "d", &v, &err), LF_OK);
    ck_assert_int_eq(v, 90);
    ck_assert_int_eq(request_query_duration(&req, "absent", 42, 0, 9, "d", &v, &err), LF_OK);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(request_query_duration(&req, "unit", 0, 0, INT64_MAX, "a duration", &v, &err),
                     LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'unit' must be a duration, not 'h'");
    ck_assert_int_eq(request_query_duration(&req, "week", 0, 1, 86400, "a duration", &v, &err),
                     LF_EINVAL);
    ck_assert_int_eq(request_query_duration(&req, "neg", 0, 0, 10, "a duration", &v, &err),
                     LF_EINVAL);
    /* the grammar of the config files and the agent's flags (units.h) */
    ck_assert_int_eq(request_query_duration(&req, "parts", 0, 0, INT64_MAX, "d", &v, &err), LF_OK);
    ck_assert_int_eq(v, 5400);
    ck_assert_int_eq(request_query_duration(&req, "millis", 0, 0, INT64_MAX, "d", &v, &err), LF_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(
            request_query_duration(&req, "part", 0, 0, INT64_MAX, "whole seconds", &v, &err),
            LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'part' must be whole seconds, not '1500ms'");

    bool b = false;
    ck_assert_int_eq(request_query_bool(&req, "flag", &b, &err), LF_OK);
    ck_assert(b);
    ck_assert_int_eq(request_query_bool(&req, "all", &b, &err), LF_OK);
    ck_assert(b);
    ck_assert_int_eq(request_query_bool(&req, "off", &b, &err), LF_OK);
    ck_assert(!b);
    ck_assert_int_eq(request_query_bool(&req, "absent", &b, &err), LF_OK);
    ck_assert(!b);
    ck_assert_int_eq(request_query_bool(&req, "maybe", &b, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'maybe' must be 1 or 0, not 'yes'");

    const char *text = "x";
    ck_assert_int_eq(request_query_text(&req, "name", &text, &err), LF_OK);
    ck_assert_str_eq(text, "shop");
    ck_assert_int_eq(request_query_text(&req, "absent", &text, &err), LF_OK);
    ck_assert_ptr_null(text);
    ck_assert_int_eq(request_query_text(&req, "blank", &text, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'blank' is empty");
    ck_assert_int_eq(request_query_text(&req, "all", &text, &err), LF_EINVAL);

    struct str name = STR_NULL;
    ck_assert_int_eq(request_query_name(&req, "name", 4, &name, &err), LF_OK);
    ck_assert(str_eq_cstr(name, "shop"));
    ck_assert_int_eq(request_query_name(&req, "name", 3, &name, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parameter 'name' is longer than 3 bytes");
    ck_assert_int_eq(request_query_name(&req, "absent", 3, &name, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "missing parameter 'absent'");
    ck_assert_int_eq(request_query_name(&req, "blank", 3, &name, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "missing parameter 'blank'");
}
END_TEST

START_TEST(test_ids)
{
    struct request req = { .id = STR_LIT("42") };
    int64_t id = 0;
    ck_assert_int_eq(request_id(&req, "location", &id, &err), LF_OK);
    ck_assert_int_eq(id, 42);
    req.id = STR_LIT("0");
    ck_assert_int_eq(request_id(&req, "notification", &id, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "notification id must be a positive integer, not '0'");
    req.id = STR_LIT("4\x01");
    ck_assert_int_eq(request_id(&req, "location", &id, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "location id must be a positive integer, not '4\\x01'");
    req.id = STR_LIT("99999999999999999999");
    ck_assert_int_eq(request_id(&req, "location", &id, &err), LF_EINVAL);
}
END_TEST

static Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("check");
    tcase_add_test(tc, test_check_accepts_clean_queries);
    tcase_add_test(tc, test_check_refuses_control_bytes);
    tcase_add_test(tc, test_check_refuses_repeats);
    tcase_add_test(tc, test_check_refuses_too_many);
    suite_add_tcase(s, tc);
    tc = tcase_create("read");
    tcase_add_test(tc, test_query_matches_by_length);
    tcase_add_test(tc, test_headers);
    tcase_add_test(tc, test_typed_readers);
    tcase_add_test(tc, test_ids);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(request_suite)
