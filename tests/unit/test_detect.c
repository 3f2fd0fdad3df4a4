/* test_detect.c - unit tests of detect over a real SQLite store (queue_fixture.h):
 * profiles written as ingest writes them and detection passes at chosen times; a
 * growing in-repo site is suspect, a flat one, a library one or one under the threshold
 * is not and says why; the version a growth began in; the culprit frame of a site
 * inside a library; more sites in a service than one history read takes; a pass on
 * several threads judges as one. */

#include <pthread.h>
#include <unistd.h>

#include "attribute.h"
#include "queue_fixture.h"
#include "testutil.h"

START_TEST(test_growing_in_repo_channel_site_is_suspect)
{
    int64_t now = fill_two_hours();
    ck_assert_msg(detect_run(fx.detect, now, &fx.err) == LF_OK, "%s", fx.err.msg);

    struct detect_verdict v;
    int64_t leak = location_of("main.ncast.func1");
    ck_assert(detect_lookup(fx.detect, "shop", leak, &v));
    ck_assert_int_eq(v.count, (10 + 238) + (20 + 238));
    ck_assert(v.growing);
    ck_assert(v.suspect);
    ck_assert_double_eq_tol(v.growth_per_hour, 240, 1e-6);
    ck_assert_int_eq(v.since, T0);
    ck_assert_str_eq(v.owner, "@acme/core");

    int64_t flat = location_of("main.worker");
    ck_assert(detect_lookup(fx.detect, "shop", flat, &v));
    ck_assert_int_eq(v.count, 300);
    ck_assert(!v.growing);
    ck_assert(!v.suspect); /* over the threshold, but a flat plateau */

    int64_t library = location_of("net/http.(*conn).serve");
    ck_assert(detect_lookup(fx.detect, "shop", library, &v));
    ck_assert(v.growing);
    ck_assert(!v.suspect); /* growing, but not our code */

    json_t *trends = NULL;
    ck_assert_int_eq(detect_trends(fx.detect, now, 3600, 2, &trends, &fx.err), LF_OK);
    json_t *list = json_object_get(trends, "trends");
    ck_assert_uint_eq(json_array_size(list), 2);
    json_t *top = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(top, "function")), "main.ncast.func1");
    ck_assert_double_eq_tol(json_real_value(json_object_get(top, "growth_per_hour")), 240, 1e-6);
    ck_assert(json_is_true(json_object_get(top, "suspect")));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "function")),
                     "net/http.(*conn).serve");
    json_decref(trends);

    size_t verdicts, suspects;
    detect_counts(fx.detect, &verdicts, &suspects);
    ck_assert_uint_eq(verdicts, 3);
    ck_assert_uint_eq(suspects, 1);

    /* The judge answers the query layer from the same verdicts. */
    struct query_leak row = { .location_id = leak, .service = "shop" };
    struct query_verdict qv;
    detect_judge(fx.detect, &row, &qv);
    ck_assert(qv.suspect);
    ck_assert(qv.has_growth);
    /* ... with the leaking instances and no reason */
    json_t *instances = json_object_get(qv.detail, "instances");
    ck_assert_uint_eq(json_array_size(instances), 2);
    ck_assert_str_eq(json_string_value(json_array_get(instances, 0)), "a");
    ck_assert(json_is_null(json_object_get(qv.detail, "reason")));
    json_decref(qv.detail);

    /* Every other site says why it is not suspect. */
    ck_assert(detect_lookup(fx.detect, "shop", flat, &v));
    ck_assert_str_eq(v.reason, "not growing (p=1)");
    ck_assert(detect_lookup(fx.detect, "shop", location_of("net/http.(*conn).serve"), &v));
    ck_assert_str_eq(v.reason, "not in the repo");
}
END_TEST

START_TEST(test_under_threshold_is_not_suspect)
{
    int64_t ts = T0;
    for (int i = 0; i < 60; i++, ts += 60)
        push("a", ts, 1 + i / 2, 1, 1);
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.growing);
    ck_assert_int_eq(v.count, 30);
    ck_assert(!v.suspect);
    ck_assert_str_eq(v.reason, "below threshold (30 < 100)");
}
END_TEST

START_TEST(test_since_version)
{
    /* Flat at 10 under v1.4.2 for an hour, then growing under v1.5.0. */
    int64_t ts = T0;
    for (int i = 0; i < 120; i++, ts += 60) {
        struct push p = { "a", ts, i < 60 ? 10 : 10 + 4 * (i - 60),
                          1,   1,  i < 60 ? "v1.4.2" : "v1.5.0" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("main.ncast.func1"), &v));
    ck_assert(v.growing);
    ck_assert_int_eq(v.since, T0 + 60 * 60);
    ck_assert_str_eq(v.since_version, "v1.5.0");
}
END_TEST

/* A goroutine of the organisation's code stuck inside a client library's lock. */
static int put_library_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct push *p = ctx;
    struct store_frame frames[] = {
        { STR_LIT("sync.(*Mutex).Lock"), STR_LIT("/usr/lib/go/src/sync/mutex.go"), 81, false },
        { STR_LIT("github.com/lib/pq.(*conn).send"), STR_LIT("/root/go/pkg/mod/pq/conn.go"), 40,
          false },
        { STR_LIT("main.publish"), STR_LIT("/build/leaky/publish.go"), 99, false },
    };
    struct store_site site = { .op = STR_LIT("sync.Mutex.Lock"),
                               .function = STR_LIT("github.com/lib/pq.(*conn).send"),
                               .file = STR_LIT("/root/go/pkg/mod/pq/conn.go"),
                               .line = 40,
                               .count = p->leak,
                               .max_wait_minutes = -1,
                               .frames = frames,
                               .n_frames = 3 };
    struct store_profile profile = { .service = STR_LIT("shop"),
                                     .service_owner = STR_LIT("@acme/shop"),
                                     .instance = str_from_cstr(p->instance),
                                     .ts = p->ts,
                                     .received = p->ts,
                                     .format = STR_LIT("pprof"),
                                     .goroutines = p->leak + 10,
                                     .busy = 5,
                                     .sites = &site,
                                     .n_sites = 1 };
    struct store_put_result result;
    return store_put_profile(conn, &profile, &result, err);
}

START_TEST(test_culprit_frame)
{
    const char *roots[] = { "/build/leaky/" };
    struct attributor *attributor = attributor_create(roots, 1, NULL);
    ck_assert_ptr_nonnull(attributor);
    detect_free(fx.detect);
    struct detect_options opts;
    detect_options_default(&opts);
    opts.attributor = attributor;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
    int64_t ts = T0;
    for (int i = 0; i < 60; i++, ts += 60) {
        struct push p = { "a", ts, 100 + 3 * i, 0, 0, NULL };
        ck_assert_int_eq(writer_run(fx.writer, put_library_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", location_of("github.com/lib/pq.(*conn).send"), &v));
    ck_assert(!v.in_repo);
    ck_assert(v.suspect);
    ck_assert_str_eq(v.culprit_function, "main.publish");
    ck_assert_int_eq(v.culprit_line, 99);
    ck_assert_str_eq(v.owner, "@acme/shop"); /* no CODEOWNERS rule: the service's owner */

    /* Without an attributor the same site is not the organisation's. */
    detect_free(fx.detect);
    detect_options_default(&opts);
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert(detect_lookup(fx.detect, "shop", location_of("github.com/lib/pq.(*conn).send"), &v));
    ck_assert(!v.suspect);
    ck_assert_str_eq(v.reason, "not in the repo");
    attributor_free(attributor);
}
END_TEST

/* More candidate sites in a service than one history read holds (SITES_PER_READ, 64) and
 * two services with the same sites: each site's series is its own. */
#define MANY_SITES 70

struct many_push {
    const char *service;
    int64_t ts;
    int step;
};

static int put_many_job(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    const struct many_push *p = ctx;
    static char functions[MANY_SITES][32];
    struct store_site sites[MANY_SITES];
    int64_t total = 10;
    for (int k = 0; k < MANY_SITES; k++) {
        snprintf(functions[k], sizeof(functions[k]), "main.site%02d", k);
        /* shop: site k grows by k a minute; cart: by MANY_SITES - 1 - k */
        int64_t rate = strcmp(p->service, "shop") == 0 ? k : MANY_SITES - 1 - k;
        sites[k] = (struct store_site){ .op = STR_LIT("chan receive"),
                                        .is_channel = true,
                                        .function = str_from_cstr(functions[k]),
                                        .file = STR_LIT("/build/leaky/many.go"),
                                        .line = 10 + k,
                                        .in_repo = true,
                                        .repo_path = STR_LIT("many.go"),
                                        .count = 50 + rate * p->step,
                                        .max_wait_minutes = -1 };
        total += sites[k].count;
    }
    struct store_profile profile = { .service = str_from_cstr(p->service),
                                     .instance = STR_LIT("a"),
                                     .ts = p->ts,
                                     .received = p->ts,
                                     .format = STR_LIT("pprof"),
                                     .goroutines = total,
                                     .sites = sites,
                                     .n_sites = MANY_SITES };
    struct store_put_result result;
    return store_put_profile(conn, &profile, &result, err);
}

START_TEST(test_many_sites_each_their_own_series)
{
    int64_t ts = T0;
    for (int i = 0; i < 60; i++, ts += 60) {
        struct many_push shop = { "shop", ts, i }, cart = { "cart", ts + 1, i };
        ck_assert_int_eq(writer_run(fx.writer, put_many_job, &shop, &fx.err), LF_OK);
        ck_assert_int_eq(writer_run(fx.writer, put_many_job, &cart, &fx.err), LF_OK);
    }
    ck_assert_msg(detect_run(fx.detect, ts, &fx.err) == LF_OK, "%s", fx.err.msg);
    size_t verdicts, suspects;
    detect_counts(fx.detect, &verdicts, &suspects);
    ck_assert_uint_eq(verdicts, 2 * MANY_SITES);
    for (int k = 0; k < MANY_SITES; k++) {
        char function[32];
        snprintf(function, sizeof(function), "main.site%02d", k);
        int64_t location = location_of(function);
        for (int s = 0; s < 2; s++) {
            int64_t rate = s == 0 ? k : MANY_SITES - 1 - k;
            struct detect_verdict v;
            ck_assert(detect_lookup(fx.detect, s == 0 ? "shop" : "cart", location, &v));
            ck_assert_int_eq(v.count, 50 + rate * 59);
            ck_assert_uint_eq(v.samples, 60);
            ck_assert_msg(v.growing == (rate > 0), "%s site %d", s == 0 ? "shop" : "cart", k);
            if (rate > 0)
                ck_assert_double_eq_tol(v.growth_per_hour, (double)rate * 60, 1e-6 * (double)rate);
        }
    }
}
END_TEST

/* A pass on several threads (a file database: a reader each) judges as one: the same
 * verdicts, suppressions included, as on one thread; suppress_site answers in a buffer of
 * its own, so its calls are serialised. */
#define THREAD_SERVICES 8

struct suppress_probe {
    pthread_t threads[DETECT_MAX_THREADS];
    size_t n_threads;
    size_t calls;
    char reason[192];
};

static const char *probe_suppress(void *ctx, const char *service, const struct stack *rep,
                                  const char *op, int64_t now)
{
    struct suppress_probe *probe = ctx;
    (void)op;
    (void)now;
    bool seen = false;
    for (size_t i = 0; i < probe->n_threads; i++)
        seen = seen || pthread_equal(probe->threads[i], pthread_self());
    if (!seen && probe->n_threads < DETECT_MAX_THREADS) {
        probe->threads[probe->n_threads++] = pthread_self();
        usleep(20000); /* the other workers reach a call of their own meanwhile */
    }
    probe->calls++;
    if (rep->count % 2 != 0)
        return NULL;
    snprintf(probe->reason, sizeof(probe->reason), "expected: %s %lld", service,
             (long long)rep->count);
    return probe->reason;
}

static void pass_on_threads(size_t threads, struct suppress_probe *probe)
{
    detect_free(fx.detect);
    struct detect_options opts;
    detect_options_default(&opts);
    opts.threads = threads;
    opts.suppress = probe_suppress;
    opts.suppress_ctx = probe;
    ck_assert_int_eq(detect_create(fx.store, fx.writer, &opts, &fx.detect, &fx.err), LF_OK);
    ck_assert_msg(detect_run(fx.detect, T0 + 60 * 60, &fx.err) == LF_OK, "%s", fx.err.msg);
}

START_TEST(test_threads_judge_as_one)
{
    struct testutil_db db;
    testutil_db_init(&db, "detect");
    detect_free(fx.detect);
    fx.detect = NULL;
    writer_free(fx.writer);
    store_close(fx.store);
    ck_assert_int_eq(store_open(db.path, NULL, &fx.store, &fx.err), LF_OK);
    ck_assert_int_eq(writer_create(fx.store, NULL, &fx.writer, &fx.err), LF_OK);
    char services[THREAD_SERVICES][16];
    for (int s = 0; s < THREAD_SERVICES; s++)
        snprintf(services[s], sizeof(services[s]), s == 0 ? "shop" : "svc%d", s);
    for (int i = 0; i < 60; i++)
        for (int s = 0; s < THREAD_SERVICES; s++) {
            struct many_push push = { services[s], T0 + 60 * i + s, i };
            ck_assert_int_eq(writer_run(fx.writer, put_many_job, &push, &fx.err), LF_OK);
        }

    struct suppress_probe one = { 0 }, many = { 0 };
    pass_on_threads(1, &one);
    struct detect_verdict *expected = calloc(THREAD_SERVICES * MANY_SITES, sizeof(*expected));
    char **reasons = calloc(THREAD_SERVICES * MANY_SITES, sizeof(*reasons));
    char **suppressions = calloc(THREAD_SERVICES * MANY_SITES, sizeof(*suppressions));
    ck_assert_ptr_nonnull(expected);
    ck_assert_ptr_nonnull(reasons);
    ck_assert_ptr_nonnull(suppressions);
    int64_t locations[MANY_SITES];
    for (int k = 0; k < MANY_SITES; k++) {
        char function[32];
        snprintf(function, sizeof(function), "main.site%02d", k);
        locations[k] = location_of(function);
        for (int s = 0; s < THREAD_SERVICES; s++) {
            struct detect_verdict *v = &expected[s * MANY_SITES + k];
            ck_assert(detect_lookup(fx.detect, services[s], locations[k], v));
            reasons[s * MANY_SITES + k] = strdup(v->reason ? v->reason : "");
            suppressions[s * MANY_SITES + k] = strdup(v->suppressed ? v->suppressed : "");
        }
    }
    ck_assert_uint_eq(one.n_threads, 1);
    ck_assert_uint_gt(one.calls, 0);

    pass_on_threads(3, &many);
    ck_assert_uint_eq(many.n_threads, 3); /* the pool's four readers: three for the pass */
    ck_assert_uint_eq(many.calls, one.calls);
    size_t verdicts, suspects, suppressed = 0;
    detect_counts(fx.detect, &verdicts, &suspects);
    ck_assert_uint_eq(verdicts, THREAD_SERVICES * MANY_SITES);
    for (int k = 0; k < MANY_SITES; k++)
        for (int s = 0; s < THREAD_SERVICES; s++) {
            const struct detect_verdict *e = &expected[s * MANY_SITES + k];
            struct detect_verdict v;
            ck_assert(detect_lookup(fx.detect, services[s], locations[k], &v));
            ck_assert_int_eq(v.count, e->count);
            ck_assert_uint_eq(v.samples, e->samples);
            ck_assert_int_eq(v.growing, e->growing);
            ck_assert_int_eq(v.suspect, e->suspect);
            ck_assert(v.growth_per_hour == e->growth_per_hour);
            ck_assert(v.p_value == e->p_value);
            ck_assert_str_eq(v.reason ? v.reason : "", reasons[s * MANY_SITES + k]);
            ck_assert_str_eq(v.suppressed ? v.suppressed : "", suppressions[s * MANY_SITES + k]);
            if (v.suppressed) {
                char want[192];
                snprintf(want, sizeof(want), "expected: %s %lld", services[s], (long long)v.count);
                ck_assert_str_eq(v.suppressed, want);
                suppressed++;
            }
        }
    ck_assert_uint_gt(suppressed, THREAD_SERVICES);
    for (size_t i = 0; i < THREAD_SERVICES * MANY_SITES; i++) {
        free(reasons[i]);
        free(suppressions[i]);
    }
    free(reasons);
    free(suppressions);
    free(expected);
    detect_free(fx.detect);
    fx.detect = NULL;
    writer_free(fx.writer);
    fx.writer = NULL;
    store_close(fx.store);
    fx.store = NULL;
    testutil_db_release(&db);
}
END_TEST

static Suite *detect_suite(void)
{
    Suite *suite = suite_create("detect");
    TCase *verdicts = tcase_create("verdicts");
    tcase_add_checked_fixture(verdicts, setup, teardown);
    tcase_set_timeout(verdicts, 60);
    tcase_add_test(verdicts, test_growing_in_repo_channel_site_is_suspect);
    tcase_add_test(verdicts, test_under_threshold_is_not_suspect);
    tcase_add_test(verdicts, test_since_version);
    tcase_add_test(verdicts, test_culprit_frame);
    tcase_add_test(verdicts, test_many_sites_each_their_own_series);
    tcase_add_test(verdicts, test_threads_judge_as_one);
    suite_add_tcase(suite, verdicts);
    return suite;
}

LF_CHECK_MAIN(detect_suite)
