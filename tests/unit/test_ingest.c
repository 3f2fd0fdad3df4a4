/* test_ingest.c - unit tests of ingest on the real shop-n25 dumps (tests/fixtures):
 * every format through parse, classify, aggregate, attribute and the writer into the
 * store; exact inventory counts across two instances; series across several pushes;
 * idempotent retries, and keys reused for another request refused (also concurrently);
 * refused input; names that are not UTF-8 stored repaired in every format; group commit
 * of concurrent real ingests. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <zlib.h>

#include "alloc.h"
#include "attribute.h"
#include "check_main.h"
#include "testutil.h"
#include "codeowners.h"
#include "ingest.h"
#include "query.h"
#include "store.h"
#include "utf8.h"
#include "writer.h"

/* ---- fixture ---------------------------------------------------------------------------- */

struct file {
    char *data;
    size_t len;
};

static struct file read_fixture(const char *path)
{
    struct file out = { NULL, 0 };
    out.data = testutil_read_fixture(path, &out.len);
    return out;
}

static struct store *store;
static struct writer *writer;
static struct codeowners *owners;
static struct attributor *attributor;
static struct ingest_context ctx;
static struct file pprof, debug1, debug2;
static struct testutil_db scratch;
static const char *const owner_services[] = { "shop" };
static const char *const owner_names[] = { "@acme/shop" };

static void setup(void)
{
    testutil_db_init(&scratch, "ingest");
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(store_open(scratch.path, NULL, &store, &err), LF_OK);
    ck_assert_int_eq(writer_create(store, NULL, &writer, &err), LF_OK);
    static const char co[] = "* @acme/core\ninternal/queue/ @acme/queue\n";
    owners = codeowners_parse(co, sizeof(co) - 1, &err);
    ck_assert_ptr_nonnull(owners);
    const char *const roots[] = { "/srv/build/shop/", "github.com/acme/shop/" };
    attributor = attributor_create(roots, 2, owners);
    ck_assert_ptr_nonnull(attributor);
    memset(&ctx, 0, sizeof(ctx));
    ctx.store = store;
    ctx.writer = writer;
    ctx.attributor = attributor;
    ctx.limits = parse_limits_default();
    ctx.owner_services = owner_services;
    ctx.owner_names = owner_names;
    ctx.n_owners = 1;
    pprof = read_fixture(LF_FIXTURE("shop-n25.pb.gz"));
    debug1 = read_fixture(LF_FIXTURE("shop-n25.debug1.txt"));
    debug2 = read_fixture(LF_FIXTURE("shop-n25.debug2.txt"));
}

static void teardown(void)
{
    writer_free(writer);
    store_close(store);
    attributor_free(attributor);
    codeowners_free(owners);
    free(pprof.data);
    free(debug1.data);
    free(debug2.data);
    testutil_db_release(&scratch);
}

static struct ingest_result push(const char *instance, int64_t ts, const struct file *body,
                                 const char *key)
{
    struct ingest_request req = {
        .service = STR_LIT("shop"),
        .instance = str_from_cstr(instance),
        .ts = ts,
        .format = PARSE_FORMAT_AUTO,
        .idempotency_key = str_from_cstr(key),
        .body = body->data,
        .body_len = body->len,
    };
    struct ingest_result out;
    struct lf_error err = { LF_OK, "" };
    int rc = ingest_profile(&ctx, &req, &out, &err);
    ck_assert_msg(rc == LF_OK, "ingest: %s", err.msg);
    return out;
}

static json_t *leaks(int64_t threshold, bool all)
{
    struct query_options opts;
    query_options_default(&opts);
    opts.threshold = threshold;
    json_t *out = NULL;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(query_leaks(store, &opts, "shop", NULL, all, &out, &err), LF_OK);
    return out;
}

/* The leak row of function (and line), or NULL. */
static json_t *find_row(json_t *out, const char *function, json_int_t line)
{
    json_t *list = json_object_get(out, "leaks");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *row = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(row, "function")), function) == 0 &&
            json_integer_value(json_object_get(row, "line")) == line)
            return row;
    }
    return NULL;
}

/* ---- one push per format ------------------------------------------------------------------ */

START_TEST(test_each_format_counts_279)
{
    struct ingest_result r = push("a", 1000, &pprof, NULL);
    ck_assert_int_eq(r.goroutines, 279);
    ck_assert_int_eq(r.profile_id, 1);
    ck_assert(!r.replayed);
    int64_t pprof_locations = r.locations;
    ck_assert_int_ge(pprof_locations, 13);
    r = push("b", 1000, &debug2, NULL);
    ck_assert_int_eq(r.goroutines, 279);
    ck_assert_int_eq(r.profile_id, 2);
    r = push("c", 1000, &debug1, NULL);
    ck_assert_int_eq(r.goroutines, 279);
    ck_assert_int_eq(r.profile_id, 3);

    json_t *j = ingest_result_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "profile_id")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "goroutines")), 279);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "locations")), r.locations);
    json_decref(j);

    /* pprof and debug=2 agree on the queue worker's site: 25 each, one location */
    json_t *out = leaks(40, false);
    json_t *row = find_row(out, "github.com/acme/shop/internal/queue.(*Queue).work", 13);
    ck_assert_ptr_nonnull(row);
    ck_assert_int_eq(json_integer_value(json_object_get(row, "count")), 50);
    ck_assert_str_eq(json_string_value(json_object_get(row, "owner")), "@acme/queue");
    ck_assert_str_eq(json_string_value(json_object_get(row, "op")), "chan send");
    json_decref(out);
}
END_TEST

START_TEST(test_inventory_two_instances)
{
    push("a", 1000, &pprof, NULL);
    push("b", 1000, &pprof, NULL);
    json_t *out = leaks(50, false);
    json_t *list = json_object_get(out, "leaks");
    /* the in-repo channel sites of 25 goroutines each, summed over two instances:
     * nilSend, nilRecv, forever, deep, labelled.func1, Queue.work; not locked (1 each),
     * not the mutex / rwmutex / waitgroup / cond / sleep sites (not channel ops) */
    ck_assert_uint_eq(json_array_size(list), 6);
    const char *functions[] = {
        "main.nilSend", "main.nilRecv",        "main.forever",
        "main.deep",    "main.labelled.func1", "github.com/acme/shop/internal/queue.(*Queue).work"
    };
    const json_int_t lines[] = { 23, 28, 31, 52, 60, 13 };
    for (size_t i = 0; i < 6; i++) {
        json_t *row = find_row(out, functions[i], lines[i]);
        ck_assert_msg(row != NULL, "missing %s", functions[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(row, "count")), 50);
        ck_assert(json_is_true(json_object_get(row, "suspect")));
        ck_assert(json_is_true(json_object_get(row, "in_repo")));
    }
    ck_assert_str_eq(json_string_value(json_object_get(find_row(out, "main.nilSend", 23), "owner")),
                     "@acme/core");
    json_decref(out);

    /* all=1 adds the other blocked sites: the mutex waiters count 50 too, unsuspected */
    out = leaks(50, true);
    json_t *mutex = find_row(out, "main.lockForever", 33);
    ck_assert_ptr_nonnull(mutex);
    ck_assert_int_eq(json_integer_value(json_object_get(mutex, "count")), 50);
    ck_assert_str_eq(json_string_value(json_object_get(mutex, "op")), "sync.Mutex.Lock");
    ck_assert(json_is_false(json_object_get(mutex, "suspect")));
    json_t *locked = find_row(out, "main.locked", 66);
    ck_assert_ptr_nonnull(locked);
    ck_assert_int_eq(json_integer_value(json_object_get(locked, "count")), 2);
    json_decref(out);

    /* a newer push of instance a replaces its contribution, it does not add to it */
    push("a", 1060, &pprof, NULL);
    out = leaks(50, false);
    ck_assert_int_eq(
            json_integer_value(json_object_get(find_row(out, "main.nilSend", 23), "count")), 50);
    json_decref(out);
}
END_TEST

START_TEST(test_series_across_pushes)
{
    push("a", 1200, &pprof, NULL);
    push("a", 1260, &debug2, NULL);
    push("b", 1260, &pprof, NULL);
    push("a", 1320, &pprof, NULL);
    json_t *out = leaks(1, false);
    json_t *row = find_row(out, "github.com/acme/shop/internal/queue.(*Queue).work", 13);
    ck_assert_ptr_nonnull(row);
    json_int_t id = json_integer_value(json_object_get(row, "location_id"));
    json_decref(out);
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(query_series(store, NULL, id, "shop", 1000, 2000, 60, &out, &err), LF_OK);
    json_t *series = json_object_get(out, "series");
    /* each instance's latest profile counts for the 300-s live window after it */
    const json_int_t expect[][2] = { { 1200, 25 }, { 1260, 50 }, { 1320, 50 }, { 1380, 50 },
                                     { 1440, 50 }, { 1500, 50 }, { 1560, 25 } };
    ck_assert_uint_eq(json_array_size(series), 7);
    for (size_t i = 0; i < 7; i++) {
        json_t *p = json_array_get(series, i);
        ck_assert_int_eq(json_integer_value(json_array_get(p, 0)), expect[i][0]);
        ck_assert_int_eq(json_integer_value(json_array_get(p, 1)), expect[i][1]);
    }
    json_decref(out);

    ck_assert_int_eq(query_location(store, NULL, id, &out, &err), LF_OK);
    ck_assert_str_eq(json_string_value(json_object_get(out, "repo_path")),
                     "internal/queue/queue.go");
    ck_assert_uint_ge(json_array_size(json_object_get(out, "stack")), 2);
    json_t *svc = json_array_get(json_object_get(out, "services"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(svc, "name")), "shop");
    ck_assert_int_eq(json_integer_value(json_object_get(svc, "count")), 50);
    ck_assert_int_eq(json_integer_value(json_object_get(svc, "instances")), 2);
    json_decref(out);

    ck_assert_int_eq(query_services(store, NULL, &out, &err), LF_OK);
    json_t *shop = json_array_get(json_object_get(out, "services"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(shop, "owner")), "@acme/shop");
    json_t *a = json_array_get(json_object_get(shop, "instances"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "profiles")), 3);
    json_decref(out);
}
END_TEST

START_TEST(test_idempotent_retries_count_once)
{
    struct ingest_result first = push("a", 1000, &pprof, "k-1");
    ck_assert(!first.replayed);
    for (int i = 0; i < 2; i++) {
        struct ingest_result again = push("a", 1000, &pprof, "k-1");
        ck_assert(again.replayed);
        ck_assert_int_eq(again.profile_id, first.profile_id);
        ck_assert_int_eq(again.goroutines, 279);
        ck_assert_int_eq(again.locations, first.locations);
    }
    /* another body under the key is not a retry: refused before it is parsed */
    struct ingest_request garbage = {
        .service = STR_LIT("shop"),
        .instance = STR_LIT("a"),
        .ts = 1000,
        .idempotency_key = STR_LIT("k-1"),
        .body = "not a profile",
        .body_len = 13,
    };
    struct ingest_result r;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(ingest_profile(&ctx, &garbage, &r, &err), LF_EMISMATCH);
    ck_assert_str_eq(err.msg, "Idempotency-Key reused with a different request");
    json_t *out = NULL;
    ck_assert_int_eq(query_services(store, NULL, &out, &err), LF_OK);
    json_t *a = json_array_get(
            json_object_get(json_array_get(json_object_get(out, "services"), 0), "instances"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "profiles")), 1);
    json_decref(out);
    out = leaks(20, false);
    ck_assert_int_eq(
            json_integer_value(json_object_get(find_row(out, "main.nilSend", 23), "count")), 25);
    json_decref(out);
}
END_TEST

/* Each field of a push changes its fingerprint; identical pushes share it; bytes moved
 * between neighbouring fields do not. */
START_TEST(test_fingerprint_covers_every_field)
{
    struct ingest_request base = {
        .service = STR_LIT("shop"),
        .instance = STR_LIT("host-a"),
        .ts = 1000,
        .format = PARSE_FORMAT_AUTO,
        .idempotency_key = STR_LIT("K"),
        .version = STR_LIT("v1"),
        .body = pprof.data,
        .body_len = pprof.len,
    };
    enum { VARIANTS = 11 };
    struct ingest_request v[VARIANTS];
    for (int i = 0; i < VARIANTS; i++)
        v[i] = base;
    v[1].service = STR_LIT("shoP");
    v[2].instance = STR_LIT("host-b");
    v[3].ts = 0;
    v[4].format = PARSE_FORMAT_PPROF;
    v[5].version = STR_NULL;
    v[6].body_len = pprof.len - 1;
    v[7].body = debug2.data;
    v[7].body_len = debug2.len;
    v[8].instance = STR_LIT("host-av1"); /* "v1" moved from the version into the instance */
    v[8].version = STR_NULL;
    v[9].started = 900;
    v[10].idempotency_key = STR_LIT("another key"); /* the key is not part of the request */
    unsigned char fp[VARIANTS][INGEST_FINGERPRINT_LEN];
    for (int i = 0; i < VARIANTS; i++)
        ingest_fingerprint(&v[i], fp[i]);
    for (int i = 0; i < VARIANTS - 1; i++)
        for (int j = i + 1; j < VARIANTS - 1; j++)
            ck_assert_msg(memcmp(fp[i], fp[j], INGEST_FINGERPRINT_LEN) != 0,
                          "variants %d and %d share a fingerprint", i, j);
    ck_assert_mem_eq(fp[10], fp[0], INGEST_FINGERPRINT_LEN);
    /* a copy of the body elsewhere in memory is the same request */
    char *copy = malloc(pprof.len);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, pprof.data, pprof.len);
    struct ingest_request same = base;
    same.body = copy;
    unsigned char again[INGEST_FINGERPRINT_LEN];
    ingest_fingerprint(&same, again);
    ck_assert_mem_eq(again, fp[0], INGEST_FINGERPRINT_LEN);
    free(copy);

    /* what it costs: one BLAKE2b pass over the body */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum { ROUNDS = 2000 };
    for (int i = 0; i < ROUNDS; i++)
        ingest_fingerprint(&base, again);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 /
                ROUNDS;
    printf("fingerprint of the %zu-byte pprof fixture: %.2f us\n", pprof.len, us);
}
END_TEST

/* The attack: profile A for host-a with key K, then profile B for host-b with K. B must
 * be refused, not acknowledged with A's id while host-b gets nothing. */
START_TEST(test_key_reused_for_another_profile_is_refused)
{
    struct ingest_result a = push("host-a", 1000, &pprof, "K");
    ck_assert(!a.replayed);
    struct ingest_request b = {
        .service = STR_LIT("shop"),
        .instance = STR_LIT("host-b"),
        .ts = 1000,
        .format = PARSE_FORMAT_AUTO,
        .idempotency_key = STR_LIT("K"),
        .body = debug2.data,
        .body_len = debug2.len,
    };
    struct ingest_result r;
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(ingest_profile(&ctx, &b, &r, &err), LF_EMISMATCH);
    ck_assert_str_eq(err.msg, STORE_KEY_REUSED);
    ck_assert_int_eq(r.profile_id, 0);
    struct ingest_result again = push("host-a", 1000, &pprof, "K");
    ck_assert(again.replayed);
    ck_assert_int_eq(again.profile_id, a.profile_id);
    json_t *out = NULL;
    ck_assert_int_eq(query_services(store, NULL, &out, &err), LF_OK);
    json_t *instances =
            json_object_get(json_array_get(json_object_get(out, "services"), 0), "instances");
    ck_assert_uint_eq(json_array_size(instances), 1); /* no host-b */
    json_decref(out);
}
END_TEST

struct racer {
    struct ingest_result result;
    int rc;
    int variant;
};

static void *push_same_key(void *arg)
{
    struct racer *r = arg;
    struct ingest_request req = {
        .service = STR_LIT("shop"),
        .instance = STR_LIT("a"),
        .ts = 1000,
        .format = PARSE_FORMAT_AUTO,
        .idempotency_key = STR_LIT("race"),
        .body = pprof.data,
        .body_len = pprof.len,
    };
    struct lf_error err;
    r->rc = ingest_profile(&ctx, &req, &r->result, &err);
    return NULL;
}

/* Concurrent retries with one key: whichever commits first answers all of them. */
START_TEST(test_idempotent_concurrent_retries)
{
    enum { N = 8 };
    pthread_t threads[N];
    struct racer racers[N];
    memset(racers, 0, sizeof(racers));
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, push_same_key, &racers[i]), 0);
    int fresh = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(racers[i].rc, LF_OK);
        ck_assert_int_eq(racers[i].result.profile_id, 1);
        ck_assert_int_eq(racers[i].result.goroutines, 279);
        fresh += !racers[i].result.replayed;
    }
    ck_assert_int_eq(fresh, 1);
    struct ingest_result r = push("b", 1000, &pprof, NULL);
    ck_assert_int_eq(r.profile_id, 2); /* no other profile was stored */
}
END_TEST

static int push_err(const char *service, const char *instance, int64_t ts, const char *body,
                    size_t len, struct lf_error *err)
{
    struct ingest_request req = {
        .service = str_from_cstr(service),
        .instance = str_from_cstr(instance),
        .ts = ts,
        .format = PARSE_FORMAT_AUTO,
        .body = body,
        .body_len = len,
    };
    struct ingest_result out;
    return ingest_profile(&ctx, &req, &out, err);
}

static void *push_variant(void *arg)
{
    struct racer *r = arg;
    struct ingest_request req = {
        .service = STR_LIT("shop"),
        .instance = r->variant == 2 ? STR_LIT("q") : STR_LIT("p"),
        .ts = r->variant == 3 ? 1060 : 1000,
        .format = PARSE_FORMAT_AUTO,
        .idempotency_key = STR_LIT("mixed"),
        .body = r->variant == 1 ? debug2.data : pprof.data,
        .body_len = r->variant == 1 ? debug2.len : pprof.len,
    };
    struct lf_error err;
    r->rc = ingest_profile(&ctx, &req, &r->result, &err);
    return NULL;
}

/* Twenty concurrent pushes under one key, four different requests among them: one is
 * stored, the ones identical to it answer its id, every other one is refused. */
START_TEST(test_concurrent_mixed_requests_one_key)
{
    enum { N = 20 };
    pthread_t threads[N];
    struct racer racers[N];
    memset(racers, 0, sizeof(racers));
    for (int i = 0; i < N; i++) {
        racers[i].variant = i % 4;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, push_variant, &racers[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    int stored = -1;
    for (int i = 0; i < N; i++) {
        if (racers[i].rc == LF_OK && !racers[i].result.replayed) {
            ck_assert_int_eq(stored, -1);
            stored = i;
        }
    }
    ck_assert_int_ge(stored, 0);
    int replays = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        if (i == stored)
            continue;
        if (racers[i].variant == racers[stored].variant) {
            ck_assert_int_eq(racers[i].rc, LF_OK);
            ck_assert(racers[i].result.replayed);
            ck_assert_int_eq(racers[i].result.profile_id, racers[stored].result.profile_id);
            replays++;
        } else {
            ck_assert_int_eq(racers[i].rc, LF_EMISMATCH);
            refused++;
        }
    }
    ck_assert_int_eq(replays, 4);
    ck_assert_int_eq(refused, 15);
    struct writer_stats stats;
    writer_get_stats(writer, &stats);
    printf("20 pushes under one key: %llu decided by the writer, the rest before parsing\n",
           (unsigned long long)stats.jobs);
    struct ingest_result r = push("b", 1000, &pprof, NULL);
    ck_assert_int_eq(r.profile_id, 2); /* no other profile was stored */
}
END_TEST

START_TEST(test_refused_input)
{
    struct lf_error err = { LF_OK, "" };
    ck_assert_int_eq(push_err("", "a", 0, pprof.data, pprof.len, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "missing service");
    ck_assert_int_eq(push_err("shop", "", 0, pprof.data, pprof.len, &err), LF_EINVAL);
    ck_assert_int_eq(push_err("sh\top", "a", 0, pprof.data, pprof.len, &err), LF_EINVAL);
    ck_assert_int_eq(push_err("sh\xc3(p", "a", 0, pprof.data, pprof.len, &err), LF_EINVAL);
    ck_assert_int_eq(push_err("caf\xc3\xa9", "a", 0, pprof.data, pprof.len, &err), LF_OK);
    /* a name is well-formed UTF-8 without ASCII control characters */
    static const char *refused[] = {
        "sh\x7fop", "caf\xc3", "sh\xc0\xafop", "sh\xed\xa0\x80op", "sh\xf4\x90\x80\x80op",
        "sh\xffop"
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ck_assert_int_eq(push_err(refused[i], "a", 0, pprof.data, pprof.len, &err), LF_EINVAL);
        ck_assert_str_eq(err.msg, "service is not printable UTF-8");
    }
    ck_assert_int_eq(push_err("shop", "a", -5, pprof.data, pprof.len, &err), LF_EINVAL);
    ck_assert_int_eq(push_err("shop", "a", 0, NULL, 0, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "ingest 'shop': empty body");
    ck_assert_int_eq(push_err("shop", "a", 0, "hello world\n", 12, &err), LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "ingest 'shop': ", 15) == 0, "%s", err.msg);
    /* a malformed debug=2 dump names its line */
    const char bad[] = "goroutine 1 [running]:\nmain.main()\n\tnot a file line\n";
    ck_assert_int_eq(push_err("shop", "a", 0, bad, sizeof(bad) - 1, &err), LF_EINVAL);
    printf("malformed debug=2: %s\n", err.msg);
    ck_assert_msg(strstr(err.msg, "line 3") != NULL, "%s", err.msg);
    /* a cap */
    ctx.limits.max_decoded_bytes = 1000;
    ck_assert_int_eq(push_err("shop", "a", 0, pprof.data, pprof.len, &err), LF_ETOOBIG);
    ctx.limits = parse_limits_default();
    /* nothing refused was stored; ts 0 means now */
    json_t *out = NULL;
    ck_assert_int_eq(query_services(store, NULL, &out, &err), LF_OK);
    json_t *list = json_object_get(out, "services");
    ck_assert_uint_eq(json_array_size(list), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "name")),
                     "caf\xc3\xa9");
    json_decref(out);
}
END_TEST

/* ---- names that are not UTF-8 ----------------------------------------------------------- */

/* A copy of in with every `from` replaced by `to` (caller frees .data). */
static struct file replaced(struct file in, const char *from, size_t from_len, const char *to,
                            size_t to_len)
{
    struct file out = { malloc(in.len * 2 + 64), 0 };
    ck_assert_ptr_nonnull(out.data);
    size_t hits = 0;
    for (size_t i = 0; i < in.len;) {
        if (i + from_len <= in.len && memcmp(in.data + i, from, from_len) == 0) {
            ck_assert_uint_le(out.len + to_len, in.len * 2 + 64);
            memcpy(out.data + out.len, to, to_len);
            out.len += to_len;
            i += from_len;
            hits++;
        } else {
            out.data[out.len++] = in.data[i++];
        }
    }
    ck_assert_msg(hits > 0, "'%.*s' not found", (int)from_len, from);
    return out;
}

#define REPLACED(in, from, to) replaced(in, from, sizeof(from) - 1, to, sizeof(to) - 1)

static struct file gunzipped(struct file in)
{
    struct file out = { malloc(1 << 20), 0 };
    ck_assert_ptr_nonnull(out.data);
    z_stream z;
    memset(&z, 0, sizeof(z));
    ck_assert_int_eq(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (unsigned char *)in.data;
    z.avail_in = (unsigned)in.len;
    z.next_out = (unsigned char *)out.data;
    z.avail_out = 1 << 20;
    ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    out.len = z.total_out;
    inflateEnd(&z);
    return out;
}

/* How many rows of sql hold a text column that is not valid UTF-8; *rows gets the rows. */
static int invalid_rows(sqlite3 *db, const char *sql, int *rows)
{
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    int invalid = 0;
    *rows = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        (*rows)++;
        for (int i = 0; i < sqlite3_column_count(stmt); i++) {
            const char *text = (const char *)sqlite3_column_text(stmt, i);
            if (text != NULL && !utf8_valid(text, (size_t)sqlite3_column_bytes(stmt, i)))
                invalid++;
        }
    }
    sqlite3_finalize(stmt);
    return invalid;
}

static int64_t count_rows(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

#define FFFD "\xef\xbf\xbd"

/* Each parser's path into the store: pprof, debug=1, debug=2, a panic and a SIGQUIT
 * dump, with ill-formed bytes in function names, file paths, wait reasons and labels.
 * Every text the store holds is valid UTF-8 and the names are there with U+FFFD. */
START_TEST(test_invalid_utf8_stored_repaired)
{
    struct file raw = gunzipped(pprof);
    struct file bodies[6];
    /* pprof: a string of the string table, same length so the message stays whole */
    bodies[0] = REPLACED(raw, "main.nilSend",
                         "main.nil\xff"
                         "end");
    /* debug=1: a name with a 2-byte lead before ASCII, and a label becoming the version */
    struct file d1 = REPLACED(debug1, "main.nilRecv",
                              "main.nil\xc3"
                              "ecv");
    bodies[1] = REPLACED(d1, "\"tenant\":\"t1\"", "\"version\":\"v1.\xe6\x97\"");
    free(d1.data);
    /* debug=2: a surrogate in a name, an overlong form in a file, a bad wait reason */
    struct file d2 = REPLACED(debug2, "main.forever", "main.for\xed\xa0\x80r");
    struct file d2b = REPLACED(d2, "/srv/build/shop/internal/queue/queue.go",
                               "/srv/build/shop/internal/qu\xc0\xafue/queue.go");
    bodies[2] = REPLACED(d2b, "[chan send (nil chan)]", "[chan s\xf5nd (nil chan)]");
    free(d2.data);
    free(d2b.data);
    /* a panic and a SIGQUIT dump: 4-byte sequences cut short */
    struct file panic = read_fixture(LF_FIXTURE("leakgen-n1.panic-all.txt"));
    bodies[3] = REPLACED(panic, "main.recvOn", "main.recv\xf0\x9f");
    free(panic.data);
    struct file sigquit = read_fixture(LF_FIXTURE("shop-n3.sigquit.txt"));
    bodies[4] = REPLACED(sigquit, "main.condForever",
                         "main.cond\xf4\x90\x80\x80"
                         "ever");
    free(sigquit.data);
    /* pprof again, gzipped as agents send it, with the original names */
    bodies[5] = pprof;
    const char *instances[] = { "pprof", "debug1", "debug2", "panic", "sigquit", "gzip" };
    for (size_t i = 0; i < 6; i++)
        push(instances[i], 1000, &bodies[i], NULL);
    for (size_t i = 0; i < 5; i++)
        free(bodies[i].data);
    free(raw.data);

    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(scratch.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    static const char *const tables[] = {
        "SELECT op, function, file, repo_path, owner FROM locations",
        "SELECT function, file FROM stacks",
        "SELECT version FROM samples",
        "SELECT name, owner FROM services",
        "SELECT name FROM instances",
        "SELECT format, idempotency_key FROM profiles",
    };
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        int rows = 0;
        ck_assert_msg(invalid_rows(db, tables[i], &rows) == 0, "%s", tables[i]);
        ck_assert_msg(rows > 0, "%s: no rows", tables[i]);
    }
    static const char *const names[] = {
        "main.nil" FFFD "end",
        "main.nil" FFFD "ecv",
        "main.for" FFFD FFFD FFFD "r",
        "main.recv" FFFD,
        "main.cond" FFFD FFFD FFFD FFFD "ever",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_msg(
                count_rows(db, "SELECT COUNT(*) FROM locations WHERE function = ?1", names[i]) == 1,
                "location '%s'", names[i]);
    ck_assert_int_eq(count_rows(db, "SELECT COUNT(*) FROM locations WHERE file = ?1",
                                "/srv/build/shop/internal/qu" FFFD FFFD "ue/queue.go"),
                     1);
    ck_assert_int_eq(count_rows(db, "SELECT COUNT(*) FROM locations WHERE repo_path = ?1",
                                "internal/qu" FFFD FFFD "ue/queue.go"),
                     1);
    ck_assert_int_eq(count_rows(db, "SELECT COUNT(*) FROM locations WHERE op = ?1",
                                "chan s" FFFD "nd (nil chan)"),
                     1);
    ck_assert_int_eq(count_rows(db, "SELECT COUNT(*) FROM samples WHERE version = ?1", "v1." FFFD),
                     1);
    ck_assert_int_eq(count_rows(db, "SELECT COUNT(*) FROM stacks WHERE function = ?1",
                                "main.nil" FFFD "ecv"),
                     1);
    sqlite3_close(db);
}
END_TEST

/* Two names that differ only in their ill-formed bytes repair to one text: one location
 * of one push, counted once each, not two rows with the same key. */
START_TEST(test_names_repairing_alike_are_one_location)
{
    static const char dump[] =
            "goroutine 1 [chan send]:\nmain.a\xff()\n\t/srv/build/shop/a.go:1 +0x1\n\n"
            "goroutine 2 [chan send]:\nmain.a\xfe()\n\t/srv/build/shop/a.go:1 +0x1\n\n"
            "goroutine 3 [chan send]:\nmain.a\xef\xbf\xbd()\n\t/srv/build/shop/a.go:1 "
            "+0x1\n\n";
    struct file body = { (char *)(uintptr_t)dump, sizeof(dump) - 1 };
    struct ingest_result r = push("a", 1000, &body, NULL);
    ck_assert_int_eq(r.goroutines, 3);
    ck_assert_int_eq(r.locations, 1);
    json_t *out = leaks(1, true);
    json_t *row = find_row(out, "main.a" FFFD, 1);
    ck_assert_ptr_nonnull(row);
    ck_assert_int_eq(json_integer_value(json_object_get(row, "count")), 3);
    json_decref(out);
}
END_TEST

/* Every allocation of an ingest may fail: each failure is a clean LF_ENOMEM that stores
 * nothing (and ASan's leak check proves nothing leaks); then one push succeeds. */
START_TEST(test_allocation_failures_are_clean)
{
    long n = 0;
    int rc;
    struct ingest_result out;
    struct lf_error err;
    for (;; n++) {
        struct ingest_request req = {
            .service = STR_LIT("shop"),
            .instance = STR_LIT("a"),
            .ts = 1000,
            .format = PARSE_FORMAT_AUTO,
            .body = debug2.data,
            .body_len = debug2.len,
        };
        lf_alloc_fail_after(n);
        rc = ingest_profile(&ctx, &req, &out, &err);
        lf_alloc_fail_after(-1);
        if (rc == LF_OK)
            break;
        ck_assert_msg(rc == LF_ENOMEM, "allocation %ld: %d %s", n, rc, err.msg);
    }
    printf("ingest of debug2 fixture: %ld allocations walked\n", n);
    ck_assert_int_gt(n, 10);
    ck_assert_int_eq(out.profile_id, 1);
    ck_assert_int_eq(out.goroutines, 279);
}
END_TEST

/* ---- group commit of real ingests ---------------------------------------------------------- */

#define INGEST_THREADS 8
#define INGEST_PUSHES  200

struct pusher {
    int index;
    int failures;
};

static void *push_many(void *arg)
{
    struct pusher *p = arg;
    char instance[32];
    snprintf(instance, sizeof(instance), "pod-%d", p->index);
    for (int i = 0; i < INGEST_PUSHES; i++) {
        struct ingest_request req = {
            .service = STR_LIT("shop"),
            .instance = str_from_cstr(instance),
            .ts = 1000 + i,
            .format = PARSE_FORMAT_AUTO,
            .body = pprof.data,
            .body_len = pprof.len,
        };
        struct ingest_result out;
        struct lf_error err;
        if (ingest_profile(&ctx, &req, &out, &err) != LF_OK || out.goroutines != 279)
            p->failures++;
    }
    return NULL;
}

START_TEST(test_group_commit_real_ingests)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t threads[INGEST_THREADS];
    struct pusher pushers[INGEST_THREADS];
    for (int i = 0; i < INGEST_THREADS; i++) {
        pushers[i] = (struct pusher){ i, 0 };
        ck_assert_int_eq(pthread_create(&threads[i], NULL, push_many, &pushers[i]), 0);
    }
    for (int i = 0; i < INGEST_THREADS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(pushers[i].failures, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct writer_stats stats;
    writer_get_stats(writer, &stats);
    printf("real ingests: %d threads x %d pprof pushes = %llu in %llu commits (largest batch "
           "%zu), %.0f pushes/s\n",
           INGEST_THREADS, INGEST_PUSHES, (unsigned long long)stats.jobs,
           (unsigned long long)stats.commits, stats.largest_batch, (double)stats.jobs / seconds);
    ck_assert_uint_eq(stats.jobs, INGEST_THREADS * INGEST_PUSHES);
    /* pushes that queue while a commit runs share the next one; how many depends on how
     * fast parsing is against the commit, so only sharing itself is asserted */
    ck_assert_uint_lt(stats.commits, INGEST_THREADS * INGEST_PUSHES);
    ck_assert_uint_ge(stats.largest_batch, 2);
    json_t *out = leaks(100, false);
    /* 8 live instances x 25 at each in-repo channel site */
    ck_assert_int_eq(
            json_integer_value(json_object_get(find_row(out, "main.nilSend", 23), "count")), 200);
    json_decref(out);
}
END_TEST

/* The stored representative stack of a debug=2 site ends with its "created by" frame,
 * where detection looks for the code that started a goroutine stuck in a library. */
START_TEST(test_created_by_frame_stored)
{
    const char *dump = "goroutine 7 [chan send]:\n"
                       "github.com/segmentio/kafka-go.(*Writer).send(...)\n"
                       "\t/go/pkg/mod/kafka-go/writer.go:90 +0x1f\n"
                       "created by github.com/acme/shop/events.Start in goroutine 1\n"
                       "\t/srv/build/shop/events/start.go:31 +0x99\n";
    struct lf_error err = { 0 };
    ck_assert_msg(push_err("shop", "a", 0, dump, strlen(dump), &err) == LF_OK, "%s", err.msg);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(scratch.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    ck_assert_int_eq(
            sqlite3_prepare_v2(db,
                               "SELECT s.function, s.file, s.line, s.created_by FROM stacks s"
                               " JOIN locations l ON l.id = s.location_id WHERE l.function = ?1"
                               " ORDER BY s.depth DESC",
                               -1, &stmt, NULL),
            SQLITE_OK);
    sqlite3_bind_text(stmt, 1, "github.com/segmentio/kafka-go.(*Writer).send", -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0),
                     "github.com/acme/shop/events.Start");
    ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 1), "/srv/build/shop/events/start.go");
    ck_assert_int_eq(sqlite3_column_int64(stmt, 2), 31);
    ck_assert_int_eq(sqlite3_column_int(stmt, 3), 1); /* marked: not on the stack */
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0),
                     "github.com/segmentio/kafka-go.(*Writer).send");
    ck_assert_int_eq(sqlite3_column_int(stmt, 3), 0);
    ck_assert_int_eq(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}
END_TEST

static Suite *ingest_suite(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("ingest");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_each_format_counts_279);
    tcase_add_test(tc, test_inventory_two_instances);
    tcase_add_test(tc, test_series_across_pushes);
    tcase_add_test(tc, test_idempotent_retries_count_once);
    tcase_add_test(tc, test_idempotent_concurrent_retries);
    tcase_add_test(tc, test_fingerprint_covers_every_field);
    tcase_add_test(tc, test_key_reused_for_another_profile_is_refused);
    tcase_add_test(tc, test_concurrent_mixed_requests_one_key);
    tcase_add_test(tc, test_refused_input);
    tcase_add_test(tc, test_invalid_utf8_stored_repaired);
    tcase_add_test(tc, test_names_repairing_alike_are_one_location);
    tcase_add_test(tc, test_allocation_failures_are_clean);
    tcase_add_test(tc, test_group_commit_real_ingests);
    tcase_add_test(tc, test_created_by_frame_stored);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(ingest_suite)
