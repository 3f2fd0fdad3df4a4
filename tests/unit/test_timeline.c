/* test_timeline.c - a service's timeline from real stored profiles: a version change is
 * a deploy (with the version before it), a new process start under the same version is
 * a restart, pushes naming neither are no event, and the push interval is the median gap
 * between an instance's pushes. */
#include <string.h>

#include "check_main.h"
#include "store.h"
#include "timeline.h"
#include "writer.h"

#define T0 1700000000

struct push {
    const char *instance;
    int64_t ts;
    const char *version;
    int64_t started;
};

static int put_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct push *p = ctx;
    struct store_site site = { .op = STR_LIT("chan send"),
                               .is_channel = true,
                               .function = STR_LIT("main.leak"),
                               .file = STR_LIT("/build/shop/main.go"),
                               .line = 10,
                               .count = 5,
                               .max_wait_minutes = -1 };
    struct store_profile profile = {
        .service = STR_LIT("shop"),
        .instance = str_from_cstr(p->instance),
        .ts = p->ts,
        .received = p->ts,
        .format = STR_LIT("pprof"),
        .goroutines = 20,
        .version = p->version ? str_from_cstr(p->version) : STR_NULL,
        .started = p->started,
        .sites = &site,
        .n_sites = 1,
    };
    struct store_put_result result;
    return store_put_profile(conn, &profile, &result, err);
}

START_TEST(test_deploys_restarts_interval)
{
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct lf_error err;
    ck_assert_int_eq(store_open(":memory:", NULL, &store, &err), LF_OK);
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    /* a: v1 for 10 pushes, v2 from then on; restarted under v2 at push 15.
     * b: names no version and no start: never an event. Pushes every 60 s. */
    for (int i = 0; i < 20; i++) {
        struct push a = { "a", T0 + 60 * i, i < 10 ? "v1" : "v2",
                          i < 10   ? T0 - 100
                          : i < 15 ? T0 + 590
                                   : T0 + 890 };
        struct push b = { "b", T0 + 60 * i + 7, NULL, 0 };
        ck_assert_int_eq(writer_run(writer, put_job, &a, &err), LF_OK);
        ck_assert_int_eq(writer_run(writer, put_job, &b, &err), LF_OK);
    }
    json_t *out = NULL;
    ck_assert_msg(timeline_service(store, "shop", T0, T0 + 3600, T0 + 3600, &out, &err) == LF_OK,
                  "%s", err.msg);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "push_interval")), 60);
    json_t *events = json_object_get(out, "events");
    ck_assert_uint_eq(json_array_size(events), 2);
    json_t *deploy = json_array_get(events, 0);
    ck_assert_str_eq(json_string_value(json_object_get(deploy, "kind")), "deploy");
    ck_assert_int_eq(json_integer_value(json_object_get(deploy, "ts")), T0 + 600);
    ck_assert_str_eq(json_string_value(json_object_get(deploy, "instance")), "a");
    ck_assert_str_eq(json_string_value(json_object_get(deploy, "version")), "v2");
    ck_assert_str_eq(json_string_value(json_object_get(deploy, "previous")), "v1");
    json_t *restart = json_array_get(events, 1);
    ck_assert_str_eq(json_string_value(json_object_get(restart, "kind")), "restart");
    ck_assert_int_eq(json_integer_value(json_object_get(restart, "ts")), T0 + 900);
    ck_assert(json_is_false(json_object_get(out, "truncated")));
    json_decref(out);

    /* a range that starts after the deploy sees none of it */
    ck_assert_int_eq(timeline_service(store, "shop", T0 + 610, T0 + 3600, T0 + 3600, &out, &err),
                     LF_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "events")), 1);
    json_decref(out);

    ck_assert_int_eq(timeline_service(store, "nope", 0, 0, T0, &out, &err), LF_ENOTFOUND);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(timeline_service(store, "shop", T0 + 10, T0, T0, &out, &err), LF_EINVAL);
    writer_free(writer);
    store_close(store);
}
END_TEST

static Suite *timeline_suite(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("service");
    tcase_add_test(tc, test_deploys_restarts_interval);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(timeline_suite)
