/* test_query.c - unit tests of query over hand-built profiles with known counts: the
 * inventory summed over the latest profile of each live instance, the threshold judge,
 * the filters, the live window, one location's detail, series buckets, services. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "query.h"
#include "store.h"
#include "writer.h"

/* ---- fixture: a store with three instances of two services ------------------------------ */

static const struct store_frame frames_a[] = {
    { STR_LIT("main.leak"), STR_LIT("/build/shop/main.go"), 10 },
    { STR_LIT("main.main"), STR_LIT("/build/shop/main.go"), 40 },
};

/* A: in-repo chan send; D: in-repo select in the same function; B: in-repo mutex;
 * C: not in-repo chan receive; R: running. */
static struct store_site site(char which, int64_t count)
{
    struct store_site s = {
        .op = STR_LIT("chan send"),
        .is_channel = true,
        .function = STR_LIT("main.leak"),
        .file = STR_LIT("/build/shop/main.go"),
        .line = 10,
        .in_repo = true,
        .repo_path = STR_LIT("main.go"),
        .owner = STR_LIT("@acme/core"),
        .count = count,
        .max_wait_minutes = -1,
        .frames = frames_a,
        .n_frames = 2,
    };
    switch (which) {
    case 'D':
        s.op = STR_LIT("select");
        s.line = 12;
        s.frames = NULL;
        s.n_frames = 0;
        break;
    case 'B':
        s.op = STR_LIT("sync.Mutex.Lock");
        s.is_channel = false;
        s.function = STR_LIT("main.lockit");
        s.line = 20;
        s.owner = STR_NULL;
        break;
    case 'C':
        s.op = STR_LIT("chan receive");
        s.function = STR_LIT("net/http.(*conn).serve");
        s.file = STR_LIT("/usr/lib/go/src/net/http/server.go");
        s.line = 1990;
        s.in_repo = false;
        s.repo_path = STR_NULL;
        s.owner = STR_NULL;
        break;
    case 'R':
        s.op = STR_LIT("running");
        s.is_channel = false;
        s.function = STR_LIT("main.work");
        s.line = 70;
        s.owner = STR_NULL;
        break;
    default:
        break;
    }
    return s;
}

struct put_job {
    struct store_profile profile;
    struct store_put_result result;
};

static int put_job_run(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct put_job *job = ctx;
    return store_put_profile(conn, &job->profile, &job->result, err);
}

static struct store *store;
static struct writer *writer;
static char dir[64], path[128];

static void push(const char *service, const char *instance, int64_t ts,
                 const struct store_site *sites, size_t n)
{
    struct put_job job = { {
                                   .service = str_from_cstr(service),
                                   .service_owner = strcmp(service, "checkout") == 0
                                                            ? STR_LIT("@acme/payments")
                                                            : STR_NULL,
                                   .instance = str_from_cstr(instance),
                                   .ts = ts,
                                   .received = (int64_t)time(NULL),
                                   .format = STR_LIT("pprof"),
                                   .goroutines = 1,
                                   .sites = sites,
                                   .n_sites = n,
                           },
                           { 0, 0, 0, false } };
    struct lf_error err = { LF_OK, "" };
    int rc = writer_run(writer, put_job_run, &job, &err);
    ck_assert_msg(rc == LF_OK, "push: %s", err.msg);
}

/* checkout/i1: ts 1000 {A 60, B 5}, ts 1200 {A 999} pushed last (older than 2000),
 *              ts 2000 {A 80, C 3, D 7, R 1}
 * checkout/i2: ts 1500 {A 30}
 * search/i3:   ts 2500 {A 150}
 * Latest per instance: i1 = ts 2000, i2 = ts 1500, i3 = ts 2500. */
static void setup(void)
{
    static int serial;
    snprintf(dir, sizeof(dir), "/tmp/lf_query_%d_%d", (int)getpid(), serial++);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/leakfleet.db", dir);
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(store_open(path, NULL, &store, &err), LF_OK);
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    struct store_site p1[] = { site('A', 60), site('B', 5) };
    push("checkout", "i1", 1000, p1, 2);
    struct store_site p2[] = { site('A', 80), site('C', 3), site('D', 7), site('R', 1) };
    push("checkout", "i1", 2000, p2, 4);
    struct store_site p3[] = { site('A', 30) };
    push("checkout", "i2", 1500, p3, 1);
    struct store_site p4[] = { site('A', 150) };
    push("search", "i3", 2500, p4, 1);
    struct store_site p5[] = { site('A', 999) };
    push("checkout", "i1", 1200, p5, 1);
}

static void teardown(void)
{
    writer_free(writer);
    store_close(store);
    char p[160];
    const char *suffixes[] = { "", "-wal", "-shm" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
    rmdir(dir);
}

static json_t *leaks(const struct query_options *opts, const char *service, const char *owner,
                     bool all)
{
    json_t *out = NULL;
    struct lf_error err = { LF_OK, "" };
    int rc = query_leaks(store, opts, service, owner, all, &out, &err);
    ck_assert_msg(rc == LF_OK, "query_leaks: %s", err.msg);
    json_t *list = json_object_get(out, "leaks");
    ck_assert(json_is_array(list));
    json_incref(list);
    json_decref(out);
    return list;
}

static const char *row_str(json_t *row, const char *key)
{
    return json_string_value(json_object_get(row, key));
}

static json_int_t row_int(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

/* ---- leaks ------------------------------------------------------------------------------ */

START_TEST(test_leaks_sums_latest_of_live_instances)
{
    json_t *list = leaks(NULL, NULL, NULL, false);
    ck_assert_uint_eq(json_array_size(list), 2);
    json_t *row = json_array_get(list, 0);
    ck_assert_str_eq(row_str(row, "service"), "search");
    ck_assert_int_eq(row_int(row, "count"), 150);
    row = json_array_get(list, 1);
    ck_assert_str_eq(row_str(row, "service"), "checkout");
    ck_assert_int_eq(row_int(row, "count"), 110); /* i1 at ts 2000 (80) + i2 (30) */
    ck_assert_str_eq(row_str(row, "function"), "main.leak");
    ck_assert_str_eq(row_str(row, "file"), "/build/shop/main.go");
    ck_assert_int_eq(row_int(row, "line"), 10);
    ck_assert_str_eq(row_str(row, "op"), "chan send");
    ck_assert(json_is_true(json_object_get(row, "in_repo")));
    ck_assert(json_is_true(json_object_get(row, "suspect")));
    ck_assert(json_is_null(json_object_get(row, "growth_per_hour")));
    ck_assert_str_eq(row_str(row, "owner"), "@acme/core");
    ck_assert_int_eq(row_int(row, "first_seen"), 1000);
    ck_assert_int_eq(row_int(row, "last_seen"), 2000);
    ck_assert_int_eq(row_int(row, "location_id"), row_int(json_array_get(list, 0), "location_id"));
    /* every CONTRACT field is there */
    const char *keys[] = { "location_id", "service",    "function", "file",  "line",
                           "op",          "count",      "in_repo",  "owner", "growth_per_hour",
                           "suspect",     "first_seen", "last_seen" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        ck_assert_msg(json_object_get(row, keys[i]) != NULL, "missing %s", keys[i]);
    json_decref(list);
}
END_TEST

START_TEST(test_leaks_all_threshold_and_filters)
{
    /* all=1: A (both services), then C, D for checkout; not B (absent from the latest
     * profiles) and not the running goroutine */
    json_t *list = leaks(NULL, NULL, NULL, true);
    ck_assert_uint_eq(json_array_size(list), 4);
    json_int_t counts[] = { 150, 110, 7, 3 };
    const char *ops[] = { "chan send", "chan send", "select", "chan receive" };
    for (size_t i = 0; i < 4; i++) {
        json_t *row = json_array_get(list, i);
        ck_assert_int_eq(row_int(row, "count"), counts[i]);
        ck_assert_str_eq(row_str(row, "op"), ops[i]);
        ck_assert(json_is_true(json_object_get(row, "suspect")) == (i < 2));
    }
    /* C is not in-repo: code outside the repository has no owner, not even the
     * service's fallback */
    ck_assert(json_is_null(json_object_get(json_array_get(list, 3), "owner")));
    ck_assert(json_is_false(json_object_get(json_array_get(list, 3), "in_repo")));
    json_decref(list);

    struct query_options opts;
    query_options_default(&opts);
    opts.threshold = 120;
    list = leaks(&opts, NULL, NULL, false);
    ck_assert_uint_eq(json_array_size(list), 1);
    ck_assert_str_eq(row_str(json_array_get(list, 0), "service"), "search");
    json_decref(list);
    opts.threshold = 7;
    list = leaks(&opts, "checkout", NULL, false);
    ck_assert_uint_eq(json_array_size(list), 2); /* A 110 and the select D 7 */
    ck_assert_int_eq(row_int(json_array_get(list, 1), "count"), 7);
    json_decref(list);

    /* the owner filter: C's out-of-repo site carries no owner, so it is not among them */
    list = leaks(NULL, NULL, "@acme/payments", true);
    ck_assert_uint_eq(json_array_size(list), 0);
    json_decref(list);
    list = leaks(NULL, "nosuch", NULL, true);
    ck_assert_uint_eq(json_array_size(list), 0);
    json_decref(list);
}
END_TEST

START_TEST(test_leaks_live_window)
{
    struct query_options opts;
    query_options_default(&opts);
    opts.now = (int64_t)time(NULL) + 301; /* every push is older than the window */
    json_t *list = leaks(&opts, NULL, NULL, true);
    ck_assert_uint_eq(json_array_size(list), 0);
    json_decref(list);
    opts.live_window = 3600;
    list = leaks(&opts, NULL, NULL, false);
    ck_assert_uint_eq(json_array_size(list), 2);
    json_decref(list);
}
END_TEST

static void judge_everything(void *ctx, const struct query_leak *row, struct query_verdict *out)
{
    int *calls = ctx;
    (*calls)++;
    out->suspect = strcmp(row->op, "chan receive") == 0;
    out->has_growth = true;
    out->growth_per_hour = 2.5;
}

START_TEST(test_leaks_custom_judge)
{
    int calls = 0;
    struct query_options opts;
    query_options_default(&opts);
    opts.judge = judge_everything;
    opts.judge_ctx = &calls;
    json_t *list = leaks(&opts, NULL, NULL, false);
    ck_assert_int_eq(calls, 5); /* A x2, C, D, R */
    ck_assert_uint_eq(json_array_size(list), 1);
    json_t *row = json_array_get(list, 0);
    ck_assert_str_eq(row_str(row, "op"), "chan receive");
    ck_assert(json_real_value(json_object_get(row, "growth_per_hour")) == 2.5);
    json_decref(list);
}
END_TEST

/* ---- location, series, services ---------------------------------------------------------- */

static json_int_t location_a(void)
{
    json_t *list = leaks(NULL, "checkout", NULL, false);
    json_int_t id = row_int(json_array_get(list, 0), "location_id");
    json_decref(list);
    return id;
}

START_TEST(test_location_detail)
{
    json_int_t id = location_a();
    json_t *loc = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(query_location(store, NULL, id, &loc, &err), LF_OK);
    ck_assert_int_eq(row_int(loc, "location_id"), id);
    ck_assert_str_eq(row_str(loc, "op"), "chan send");
    ck_assert_str_eq(row_str(loc, "repo_path"), "main.go");
    ck_assert_str_eq(row_str(loc, "owner"), "@acme/core");
    ck_assert_int_eq(row_int(loc, "first_seen"), 1000);
    json_t *stack = json_object_get(loc, "stack");
    ck_assert_uint_eq(json_array_size(stack), 2);
    ck_assert_str_eq(row_str(json_array_get(stack, 1), "function"), "main.main");
    ck_assert_int_eq(row_int(json_array_get(stack, 1), "line"), 40);
    json_t *sites = json_object_get(loc, "sites");
    ck_assert_uint_eq(json_array_size(sites), 1);
    ck_assert_str_eq(row_str(json_array_get(sites, 0), "op"), "select");
    ck_assert_int_eq(row_int(json_array_get(sites, 0), "line"), 12);
    json_t *services = json_object_get(loc, "services");
    ck_assert_uint_eq(json_array_size(services), 2);
    json_t *s0 = json_array_get(services, 0);
    ck_assert_str_eq(row_str(s0, "name"), "checkout");
    ck_assert_int_eq(row_int(s0, "count"), 110);
    ck_assert_int_eq(row_int(s0, "instances"), 2);
    ck_assert_int_eq(row_int(s0, "first_seen"), 1000);
    ck_assert_int_eq(row_int(s0, "last_seen"), 2000);
    ck_assert_int_eq(row_int(json_array_get(services, 1), "count"), 150);
    json_decref(loc);

    ck_assert_int_eq(query_location(store, NULL, 999999, &loc, &err), LF_ENOTFOUND);
    ck_assert_ptr_null(loc);
}
END_TEST

static json_t *series(json_int_t id, const char *service, int64_t from, int64_t to, int64_t step)
{
    json_t *out = NULL;
    struct lf_error err = { LF_OK, "" };
    int rc = query_series(store, NULL, id, service, from, to, step, &out, &err);
    ck_assert_msg(rc == LF_OK, "query_series: %s", err.msg);
    return out;
}

static void assert_points(json_t *out, const json_int_t (*points)[2], size_t n)
{
    json_t *list = json_object_get(out, "series");
    ck_assert_uint_eq(json_array_size(list), n);
    for (size_t i = 0; i < n; i++) {
        json_t *point = json_array_get(list, i);
        ck_assert_int_eq(json_integer_value(json_array_get(point, 0)), points[i][0]);
        ck_assert_int_eq(json_integer_value(json_array_get(point, 1)), points[i][1]);
    }
}

START_TEST(test_series_buckets)
{
    json_int_t id = location_a();
    /* bucket 1000: i1's latest there is ts 1200 (999), i2 30; bucket 2000: i1 80 */
    json_t *out = series(id, "checkout", 1, 3000, 1000);
    const json_int_t checkout[][2] = { { 1000, 1029 }, { 2000, 80 } };
    assert_points(out, checkout, 2);
    ck_assert_int_eq(row_int(out, "step"), 1000);
    json_decref(out);
    /* every service: search's 150 at 2500 joins bucket 2000 */
    out = series(id, NULL, 1, 3000, 1000);
    const json_int_t all[][2] = { { 1000, 1029 }, { 2000, 230 } };
    assert_points(out, all, 2);
    json_decref(out);
    /* one point per push with a fine step; i1 at 1000 sees A=60 */
    out = series(id, "checkout", 1, 3000, 100);
    const json_int_t fine[][2] = { { 1000, 60 }, { 1200, 999 }, { 1500, 30 }, { 2000, 80 } };
    assert_points(out, fine, 4);
    json_decref(out);
    /* the location missing from a profile counts 0 there: D only at ts 2000 of i1 */
    json_t *list = leaks(NULL, "checkout", NULL, true);
    json_int_t d = row_int(json_array_get(list, 1), "location_id");
    json_decref(list);
    out = series(d, "checkout", 1, 3000, 100);
    const json_int_t dpoints[][2] = { { 1000, 0 }, { 1200, 0 }, { 1500, 0 }, { 2000, 7 } };
    assert_points(out, dpoints, 4);
    json_decref(out);
    /* from/to bound the profiles */
    out = series(id, "checkout", 1100, 1600, 100);
    const json_int_t window[][2] = { { 1200, 999 }, { 1500, 30 } };
    assert_points(out, window, 2);
    json_decref(out);

    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(query_series(store, NULL, id, NULL, 3000, 1000, 0, &out, &err), LF_EINVAL);
    ck_assert_int_eq(query_series(store, NULL, id, NULL, 1, 1000, -5, &out, &err), LF_EINVAL);
    ck_assert_int_eq(query_series(store, NULL, 4242, NULL, 1, 1000, 0, &out, &err), LF_ENOTFOUND);
}
END_TEST

START_TEST(test_services)
{
    json_t *out = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(query_services(store, NULL, &out, &err), LF_OK);
    json_t *list = json_object_get(out, "services");
    ck_assert_uint_eq(json_array_size(list), 2);
    json_t *checkout = json_array_get(list, 0);
    ck_assert_str_eq(row_str(checkout, "name"), "checkout");
    ck_assert_str_eq(row_str(checkout, "owner"), "@acme/payments");
    json_t *instances = json_object_get(checkout, "instances");
    ck_assert_uint_eq(json_array_size(instances), 2);
    ck_assert_str_eq(row_str(json_array_get(instances, 0), "name"), "i1");
    ck_assert_int_eq(row_int(json_array_get(instances, 0), "profiles"), 3);
    ck_assert_int_eq(row_int(json_array_get(instances, 1), "profiles"), 1);
    int64_t now = (int64_t)time(NULL);
    json_int_t last = row_int(json_array_get(instances, 0), "last_push");
    ck_assert(last <= now && last >= now - 60);
    json_t *search = json_array_get(list, 1);
    ck_assert_str_eq(row_str(search, "name"), "search");
    ck_assert(json_is_null(json_object_get(search, "owner")));
    ck_assert_uint_eq(json_array_size(json_object_get(search, "instances")), 1);
    json_decref(out);
}
END_TEST

static Suite *query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tc = tcase_create("leaks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_leaks_sums_latest_of_live_instances);
    tcase_add_test(tc, test_leaks_all_threshold_and_filters);
    tcase_add_test(tc, test_leaks_live_window);
    tcase_add_test(tc, test_leaks_custom_judge);
    suite_add_tcase(s, tc);
    tc = tcase_create("location");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_location_detail);
    tcase_add_test(tc, test_series_buckets);
    tcase_add_test(tc, test_services);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(query_suite)
