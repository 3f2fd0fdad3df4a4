/* test_suppress.c - unit tests of suppression (suppress.c): a site of an expected class
 * stays visible but not suspect through a detection pass (queue_fixture.h), an expected
 * class no rule names is a configuration error, and an expired class suppresses no more. */

#include "queue_fixture.h"
#include "suppress.h"
#include "utf8.h"

START_TEST(test_suppressed_site_is_visible_not_suspect)
{
    static const char rules[] = "# known sites\nNcastFanout mentions main.ncast\n"
                                "Workers function main.worker\n";
    const char *classes[] = { "NcastFanout" };
    const char *reasons[] = { "bounded by the subscriber count" };
    int64_t untils[] = { 0 };
    struct suppress *suppress = NULL;
    ck_assert_msg(suppress_create(rules, sizeof(rules) - 1, "rules.txt", classes, reasons, untils,
                                  1, &suppress, &fx.err) == LF_OK,
                  "%s", fx.err.msg);
    detect_free(fx.detect);
    struct detect_options opts;
    detect_options_default(&opts);
    opts.suppress = suppress_site;
    opts.suppress_ctx = suppress;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);

    int64_t now = fill_two_hours();
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.growing);
    ck_assert(!v.suspect);
    ck_assert_str_eq(v.suppressed, "NcastFanout: bounded by the subscriber count");

    /* An expected class with no rule is a configuration error. */
    const char *unknown[] = { "Nope" };
    struct suppress *bad = NULL;
    ck_assert_int_eq(suppress_create(rules, sizeof(rules) - 1, "rules.txt", unknown, reasons,
                                     untils, 1, &bad, &fx.err),
                     LF_EINVAL);
    ck_assert_ptr_null(bad);

    /* Expired: the site is suspect again. */
    detect_free(fx.detect);
    fx.detect = NULL;
    suppress_free(suppress);
    int64_t expired[] = { now - 1 };
    ck_assert_int_eq(suppress_create(rules, sizeof(rules) - 1, "rules.txt", classes, reasons,
                                     expired, 1, &suppress, &fx.err),
                     LF_OK);
    opts.suppress_ctx = suppress;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.suspect);
    ck_assert_ptr_null(v.suppressed);
    detect_free(fx.detect);
    fx.detect = NULL;
    suppress_free(suppress);
}
END_TEST

/* ---- suppress_site on its own ------------------------------------------------------------ */

static const char direct_rules[] =
        "NcastFanout mentions main.ncast\nWorkers function main.worker\n";

/* A stack whose innermost frame is function (in main.go). */
static struct stack stack_of(struct stack_frame *frame, const char *function)
{
    *frame = (struct stack_frame){ str_from_cstr(function), STR_LIT("/build/leaky/main.go"), 51 };
    struct stack rep = { .count = 1, .goroutine_id = -1, .wait_minutes = -1 };
    rep.frames = frame;
    rep.n_frames = 1;
    return rep;
}

static struct suppress *make(const char *class_name, const char *reason, int64_t until)
{
    const char *classes[] = { class_name };
    const char *reasons[] = { reason };
    int64_t untils[] = { until };
    struct suppress *suppress = NULL;
    struct lf_error err;
    ck_assert_msg(suppress_create(direct_rules, sizeof(direct_rules) - 1, "rules.txt", classes,
                                  reasons, untils, 1, &suppress, &err) == LF_OK,
                  "%s", err.msg);
    return suppress;
}

/* An expected class holds while now < until and no more from until on; until 0 holds for
 * good. Sites of another class, or of no class, are never suppressed. */
START_TEST(test_expiry)
{
    struct stack_frame frame;
    struct stack ncast = stack_of(&frame, "main.ncast.func1");
    struct suppress *suppress = make("NcastFanout", "bounded", T0);
    ck_assert_str_eq(suppress_site(suppress, "shop", &ncast, "chan send", T0 - 1),
                     "NcastFanout: bounded");
    ck_assert_ptr_null(suppress_site(suppress, "shop", &ncast, "chan send", T0));
    ck_assert_ptr_null(suppress_site(suppress, "shop", &ncast, "chan send", T0 + 86400));
    suppress_free(suppress);

    suppress = make("NcastFanout", "bounded", 0);
    ck_assert_str_eq(suppress_site(suppress, "shop", &ncast, "chan send", INT64_MAX),
                     "NcastFanout: bounded");
    struct stack_frame other_frame;
    struct stack worker = stack_of(&other_frame, "main.worker");
    ck_assert_ptr_null(suppress_site(suppress, "shop", &worker, "chan receive", T0));
    struct stack_frame none_frame;
    struct stack unclassified = stack_of(&none_frame, "main.serve");
    ck_assert_ptr_null(suppress_site(suppress, "shop", &unclassified, "select", T0));
    suppress_free(suppress);
}
END_TEST

/* An expected class that no rule names is refused with its name, and nothing is built;
 * so is a rules text that does not parse. */
START_TEST(test_unknown_class)
{
    const char *classes[] = { "NcastFanout", "Nope" };
    const char *reasons[] = { "bounded", "typo" };
    int64_t untils[] = { 0, 0 };
    struct suppress *suppress = (struct suppress *)&fx;
    struct lf_error err;
    ck_assert_int_eq(suppress_create(direct_rules, sizeof(direct_rules) - 1, "rules.txt", classes,
                                     reasons, untils, 2, &suppress, &err),
                     LF_EINVAL);
    ck_assert_ptr_null(suppress);
    ck_assert_str_eq(err.msg, "suppress: expected class 'Nope' has no rule");

    static const char bad_rules[] = "NcastFanout sometimes main.ncast\n";
    suppress = (struct suppress *)&fx;
    ck_assert_int_eq(suppress_create(bad_rules, sizeof(bad_rules) - 1, "rules.txt", classes,
                                     reasons, untils, 1, &suppress, &err),
                     LF_EINVAL);
    ck_assert_ptr_null(suppress);
    ck_assert_msg(strstr(err.msg, "rules.txt: line 1") != NULL, "%s", err.msg);
}
END_TEST

/* A reason longer than the text kept with the verdict is cut on a character boundary. */
START_TEST(test_long_reason_cut_on_a_character_boundary)
{
    char reason[3 * 200 + 1];
    for (int i = 0; i < 200; i++)
        memcpy(reason + 3 * i, "\xe6\xbc\x8f", 4);
    struct suppress *suppress = make("NcastFanout", reason, 0);
    struct stack_frame frame;
    struct stack ncast = stack_of(&frame, "main.ncast.func1");
    const char *text = suppress_site(suppress, "shop", &ncast, "chan send", T0);
    ck_assert_ptr_nonnull(text);
    size_t len = strlen(text);
    ck_assert_uint_lt(len, 320);
    ck_assert_uint_ge(len, 317);
    ck_assert(utf8_valid(text, len));
    ck_assert_mem_eq(text, "NcastFanout: \xe6\xbc\x8f", 16);
    suppress_free(suppress);
}
END_TEST

static Suite *suppress_suite(void)
{
    Suite *suite = suite_create("suppress");
    TCase *detect = tcase_create("detect");
    tcase_add_checked_fixture(detect, setup, teardown);
    tcase_set_timeout(detect, 60);
    tcase_add_test(detect, test_suppressed_site_is_visible_not_suspect);
    suite_add_tcase(suite, detect);
    TCase *site = tcase_create("site");
    tcase_add_test(site, test_expiry);
    tcase_add_test(site, test_unknown_class);
    tcase_add_test(site, test_long_reason_cut_on_a_character_boundary);
    suite_add_tcase(suite, site);
    return suite;
}

LF_CHECK_MAIN(suppress_suite)
