/* test_query.c - unit tests of query over hand-built profiles with known counts: the
 * inventory summed over the latest profile of each live instance, the threshold judge,
 * the filters, the live window, one location's detail, series buckets (each instance's
 * latest count within the live window at a bucket's end), services; and a fleet of two
 * and of 50 instances pushing with jitter: a flat line ending on the inventory's count. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "attribute.h"
#include "check_main.h"
#include "query.h"
#include "store.h"
#include "testutil.h"
#include "writer.h"

/* ---- fixture: a store with three instances of two services ------------------------------ */

static const struct store_frame frames_a[] = {
    { STR_LIT("main.leak"), STR_LIT("/build/shop/main.go"), 10, false },
    { STR_LIT("main.main"), STR_LIT("/build/shop/main.go"), 40, false },
    { STR_LIT("net/http.(*conn).serve"), STR_LIT("/usr/lib/go/src/net/http/server.go"), 1990,
      false },
    { STR_LIT("main.start"), STR_LIT("/build/shop/start.go"), 7, true },
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
        .n_frames = 4,
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
static struct testutil_db scratch;

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
    testutil_db_init(&scratch, "query");
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(store_open(scratch.path, NULL, &store, &err), LF_OK);
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
    testutil_db_release(&scratch);
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
    /* every field of docs/api.md is there */
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
    ck_assert_uint_eq(json_array_size(stack), 4);
    ck_assert_str_eq(row_str(json_array_get(stack, 1), "function"), "main.main");
    ck_assert_int_eq(row_int(json_array_get(stack, 1), "line"), 40);
    /* without an attributor no frame is in-repo; the "created by" frame is marked */
    for (size_t i = 0; i < 4; i++) {
        json_t *frame = json_array_get(stack, i);
        ck_assert(json_is_false(json_object_get(frame, "in_repo")));
        ck_assert(json_is_null(json_object_get(frame, "repo_path")));
        ck_assert(json_is_boolean(json_object_get(frame, "created_by")));
        ck_assert_int_eq(json_is_true(json_object_get(frame, "created_by")), i == 3);
    }
    json_decref(loc);

    /* with the repo's roots: in-repo frames and their repo-relative paths */
    const char *roots[] = { "/build/shop/" };
    struct attributor *attributor = attributor_create(roots, 1, NULL);
    ck_assert_ptr_nonnull(attributor);
    struct query_options opts;
    query_options_default(&opts);
    opts.attributor = attributor;
    ck_assert_int_eq(query_location(store, &opts, id, &loc, &err), LF_OK);
    stack = json_object_get(loc, "stack");
    static const char *const paths[] = { "main.go", "main.go", NULL, "start.go" };
    for (size_t i = 0; i < 4; i++) {
        json_t *frame = json_array_get(stack, i);
        ck_assert_int_eq(json_is_true(json_object_get(frame, "in_repo")), paths[i] != NULL);
        if (paths[i] != NULL)
            ck_assert_str_eq(row_str(frame, "repo_path"), paths[i]);
        else
            ck_assert(json_is_null(json_object_get(frame, "repo_path")));
    }
    attributor_free(attributor);
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

static json_t *series(const struct query_options *opts, json_int_t id, const char *service,
                      int64_t from, int64_t to, int64_t step)
{
    json_t *out = NULL;
    struct lf_error err = { LF_OK, "" };
    int rc = query_series(store, opts, id, service, from, to, step, &out, &err);
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
    /* a bucket's point is the sum, over instances, of each one's latest count at or before
     * the bucket's end, if within the live window (1000 s here) of it */
    struct query_options opts;
    query_options_default(&opts);
    opts.live_window = 1000;
    /* end 999: nothing yet; 1999: i1 at 1200 (999) + i2 at 1500 (30); 2999: i1 at 2000
     * (80), i2 too old; the last bucket ends at to, 3000 */
    json_t *out = series(&opts, id, "checkout", 1, 3000, 1000);
    const json_int_t checkout[][2] = { { 1000, 1029 }, { 2000, 80 }, { 3000, 80 } };
    assert_points(out, checkout, 3);
    ck_assert_int_eq(row_int(out, "step"), 1000);
    json_decref(out);
    /* every service: search's 150 at 2500 counts from then on */
    out = series(&opts, id, NULL, 1, 3000, 1000);
    const json_int_t all[][2] = { { 1000, 1029 }, { 2000, 230 }, { 3000, 230 } };
    assert_points(out, all, 3);
    json_decref(out);
    /* a fine step: each instance counts in every bucket while it is live, not only in
     * those its pushes fell in */
    out = series(&opts, id, "checkout", 1, 3000, 100);
    const json_int_t fine[][2] = {
        { 1000, 60 },   { 1100, 60 },   { 1200, 999 },  { 1300, 999 },  { 1400, 999 },
        { 1500, 1029 }, { 1600, 1029 }, { 1700, 1029 }, { 1800, 1029 }, { 1900, 1029 },
        { 2000, 110 },  { 2100, 110 },  { 2200, 110 },  { 2300, 110 },  { 2400, 110 },
        { 2500, 80 },   { 2600, 80 },   { 2700, 80 },   { 2800, 80 },   { 2900, 80 },
        { 3000, 80 },
    };
    assert_points(out, fine, sizeof(fine) / sizeof(fine[0]));
    json_decref(out);
    /* the location missing from a live instance's latest profile counts 0 there: D only at
     * ts 2000 of i1 */
    json_t *list = leaks(NULL, "checkout", NULL, true);
    json_int_t d = row_int(json_array_get(list, 1), "location_id");
    json_decref(list);
    out = series(&opts, d, "checkout", 1, 3000, 1000);
    const json_int_t dpoints[][2] = { { 1000, 0 }, { 2000, 7 }, { 3000, 7 } };
    assert_points(out, dpoints, 3);
    json_decref(out);
    /* from and to bound the buckets; the first one sees the samples before from */
    out = series(&opts, id, "checkout", 1100, 1600, 100);
    const json_int_t window[][2] = { { 1100, 60 },  { 1200, 999 },  { 1300, 999 },
                                     { 1400, 999 }, { 1500, 1029 }, { 1600, 1029 } };
    assert_points(out, window, 6);
    json_decref(out);
    /* the default window of 300 s: each push counts for 5 minutes; no point where nothing
     * is live (1800-1999, after 2299) */
    out = series(NULL, id, "checkout", 1, 3000, 100);
    const json_int_t short_window[][2] = {
        { 1000, 60 }, { 1100, 60 }, { 1200, 999 }, { 1300, 999 }, { 1400, 999 }, { 1500, 30 },
        { 1600, 30 }, { 1700, 30 }, { 2000, 80 },  { 2100, 80 },  { 2200, 80 },
    };
    assert_points(out, short_window, sizeof(short_window) / sizeof(short_window[0]));
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

/* ---- the fleet's series against the inventory ---------------------------------------------- */

static void setup_empty(void)
{
    testutil_db_init(&scratch, "query_fleet");
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(store_open(scratch.path, NULL, &store, &err), LF_OK);
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
}

struct fleet_push {
    char instance[16];
    int64_t ts;
    struct store_site site;
};

static int fleet_job_run(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct fleet_push *pushes = ((const struct fleet_push **)ctx)[0];
    size_t n = (size_t)((const struct fleet_push **)ctx)[1];
    for (size_t i = 0; i < n; i++) {
        struct store_profile profile = {
            .service = STR_LIT("checkout"),
            .instance = str_from_cstr(pushes[i].instance),
            .ts = pushes[i].ts,
            .received = (int64_t)time(NULL),
            .format = STR_LIT("pprof"),
            .goroutines = pushes[i].site.count,
            .sites = &pushes[i].site,
            .n_sites = 1,
        };
        struct store_put_result result;
        int rc = store_put_profile(conn, &profile, &result, err);
        if (rc != LF_OK)
            return rc;
    }
    return LF_OK;
}

/* Stores the pushes of n_instances instances ("i0", "i1", ...) holding count(i) goroutines
 * at site A: one every 60 s from start to now, each moved by up to jitter seconds either
 * way (never past now), in time order as a fleet sends them. */
static void push_fleet(int n_instances, int64_t start, int64_t now, int64_t jitter,
                       int64_t (*count)(int))
{
    size_t cap = (size_t)n_instances * (size_t)((now - start) / 60 + 1), n = 0;
    struct fleet_push *pushes = calloc(cap, sizeof(*pushes));
    ck_assert_ptr_nonnull(pushes);
    uint32_t x = 12345;
    for (int64_t t = start; t <= now; t += 60) {
        for (int i = 0; i < n_instances; i++) {
            x = x * 1103515245u + 12345u;
            int64_t shift = (int64_t)((x >> 8) % (uint32_t)(2 * jitter + 1)) - jitter;
            int64_t ts = t + shift;
            struct fleet_push *p = &pushes[n++];
            snprintf(p->instance, sizeof(p->instance), "i%d", i);
            p->ts = ts < now ? ts : now;
            p->site = site('A', count(i));
        }
    }
    const void *ctx[2] = { pushes, (const void *)(uintptr_t)n };
    struct lf_error err = { LF_OK, "" };
    ck_assert_msg(writer_run(writer, fleet_job_run, ctx, &err) == LF_OK, "%s", err.msg);
    free(pushes);
}

/* The inventory's count of site A in checkout at now. */
static json_int_t inventory_count(int64_t now)
{
    struct query_options opts;
    query_options_default(&opts);
    opts.now = now;
    json_t *list = leaks(&opts, "checkout", NULL, true);
    ck_assert_uint_eq(json_array_size(list), 1);
    json_int_t count = row_int(json_array_get(list, 0), "count");
    json_decref(list);
    return count;
}

/* The points of site A's series over [from, now] in steps of step; checks that the last
 * point is the bucket of now and returns the number of points. */
static size_t fleet_series(int64_t from, int64_t now, int64_t step, json_int_t *values, size_t max)
{
    struct query_options opts;
    query_options_default(&opts);
    opts.now = now;
    json_t *list = leaks(&opts, "checkout", NULL, true);
    json_int_t id = row_int(json_array_get(list, 0), "location_id");
    json_decref(list);
    json_t *out = series(&opts, id, "checkout", from, 0, step);
    json_t *points = json_object_get(out, "series");
    size_t n = json_array_size(points);
    ck_assert_uint_le(n, max);
    for (size_t i = 0; i < n; i++)
        values[i] = json_integer_value(json_array_get(json_array_get(points, i), 1));
    ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(points, n - 1), 0)),
                     now / step * step);
    json_decref(out);
    return n;
}

static int64_t ten_thousand(int i)
{
    (void)i;
    return 10000;
}

static int64_t hundred_and_index(int i)
{
    return 100 + i;
}

START_TEST(test_series_two_instances_end_on_the_inventory)
{
    /* a at 10,000 now, b at 10,000 a minute ago: both are live, the inventory says 20,000
     * and so does the series' last point (not a's 10,000 alone in the last bucket) */
    int64_t now = (int64_t)time(NULL);
    struct store_site ten = site('A', 10000);
    push("checkout", "b", now - 60, &ten, 1);
    push("checkout", "a", now, &ten, 1);
    ck_assert_int_eq(inventory_count(now), 20000);
    json_int_t values[64];
    size_t n = fleet_series(now - 600, now, 60, values, 64);
    ck_assert_int_eq(values[n - 1], 20000);
    ck_assert_int_eq(values[n - 2], 10000); /* only b had pushed then */
}
END_TEST

START_TEST(test_series_jittered_pair_draws_a_flat_line)
{
    /* the same two pushing every minute for an hour, each push up to 25 s early or late:
     * nothing changes, so every one-minute point is 20,000 */
    int64_t now = (int64_t)time(NULL);
    push_fleet(2, now - 3600, now, 25, ten_thousand);
    ck_assert_int_eq(inventory_count(now), 20000);
    json_int_t values[64];
    size_t n = fleet_series(now - 3000, now, 60, values, 64);
    ck_assert_uint_ge(n, 50);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(values[i] == 20000, "point %zu of %zu: %lld", i, n, (long long)values[i]);
}
END_TEST

START_TEST(test_series_fifty_jittered_instances_draw_a_flat_line)
{
    /* 50 instances of 100..149 goroutines, pushing every minute up to 25 s early or late:
     * the fleet holds 6,225 all along, one-minute and five-minute points alike, and the
     * last point is the inventory's count */
    int64_t now = (int64_t)time(NULL);
    push_fleet(50, now - 3600, now, 25, hundred_and_index);
    ck_assert_int_eq(inventory_count(now), 6225);
    json_int_t values[64];
    static const int64_t steps[] = { 60, 300 };
    for (size_t s = 0; s < 2; s++) {
        size_t n = fleet_series(now - 3000, now, steps[s], values, 64);
        ck_assert_uint_ge(n, (size_t)(3000 / steps[s]));
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(values[i] == 6225, "step %lld point %zu of %zu: %lld",
                          (long long)steps[s], i, n, (long long)values[i]);
    }
}
END_TEST

START_TEST(test_series_allocation_failures)
{
    /* 50 instances: the sweep's hash table and queue grow several times; every failure
     * is a clean LF_ENOMEM, and enough allocations give the whole flat line */
    int64_t now = (int64_t)time(NULL);
    push_fleet(50, now - 900, now, 25, hundred_and_index);
    struct query_options opts;
    query_options_default(&opts);
    opts.now = now;
    json_t *list = leaks(&opts, "checkout", NULL, true);
    json_int_t id = row_int(json_array_get(list, 0), "location_id");
    json_decref(list);
    bool succeeded = false;
    for (long n = 0; n < 200 && !succeeded; n++) {
        json_t *out = NULL;
        struct lf_error err = { LF_OK, "" };
        lf_alloc_fail_after(n);
        int rc = query_series(store, &opts, id, "checkout", now - 600, 0, 60, &out, &err);
        lf_alloc_fail_after(-1);
        if (rc == LF_OK) {
            json_t *points = json_object_get(out, "series");
            ck_assert_uint_ge(json_array_size(points), 10);
            for (size_t i = 0; i < json_array_size(points); i++)
                ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(points, i), 1)),
                                 6225);
            succeeded = true;
        } else {
            ck_assert_msg(rc == LF_ENOMEM, "n %ld: %d %s", n, rc, err.msg);
            ck_assert_ptr_null(out);
        }
        json_decref(out);
    }
    ck_assert(succeeded);
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
    tc = tcase_create("fleet series");
    tcase_add_checked_fixture(tc, setup_empty, teardown);
    tcase_add_test(tc, test_series_two_instances_end_on_the_inventory);
    tcase_add_test(tc, test_series_jittered_pair_draws_a_flat_line);
    tcase_add_test(tc, test_series_fifty_jittered_instances_draw_a_flat_line);
    tcase_add_test(tc, test_series_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(query_suite)
