/* test_aggregate.c - unit tests of aggregate: exact locations of the real shop-n25
 * dumps in all three formats, a brute recount as the naive model, wait and leak
 * verdicts, owned copies, ordering, and a clean failure at every allocation. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "aggregate.h"
#include "alloc.h"
#include "check_main.h"
#include "testutil.h"
#include "parse.h"

static struct aggregate *aggregate_fixture(const char *path, struct parse_info *info)
{
    size_t len = 0;
    char *buf = testutil_read_fixture(path, &len);
    struct aggregate *agg = aggregate_create();
    ck_assert_ptr_nonnull(agg);
    struct lf_error err;
    lf_error_clear(&err);
    int rc = parse_buffer(PARSE_FORMAT_AUTO, buf, len, NULL, aggregate_sink, agg, info, &err);
    ck_assert_msg(rc == LF_OK, "%s: %s", path, err.msg);
    lf_free(buf);
    aggregate_sort(agg);
    return agg;
}

/* Finds the location of function (any op). */
static const struct agg_location *find(const struct aggregate *agg, const char *function)
{
    for (size_t i = 0; i < aggregate_size(agg); i++) {
        if (strcmp(aggregate_at(agg, i)->function, function) == 0)
            return aggregate_at(agg, i);
    }
    return NULL;
}

struct truth {
    const char *function;
    int64_t line;
    int64_t count;
    const char *op_pprof;
    const char *op_debug1;
    const char *op_debug2;
};

/* The shared fixtures README's truth table, per format. */
static const struct truth shop_truth[] = {
    { "main.nilSend", 23, 25, "chan send (nil chan)", "unknown", "chan send (nil chan)" },
    { "main.nilRecv", 28, 25, "chan receive (nil chan)", "unknown", "chan receive (nil chan)" },
    { "main.forever", 31, 25, "select (no cases)", "unknown", "select (no cases)" },
    { "main.locked", 66, 1, "select (no cases)", "unknown", "select (no cases)" },
    { "main.lockForever", 33, 25, "sync.Mutex.Lock", "sync.Mutex.Lock", "sync.Mutex.Lock" },
    { "main.rlockForever", 35, 25, "sync.RWMutex.RLock", "sync.RWMutex.RLock",
      "sync.RWMutex.RLock" },
    { "main.waitGroupForever", 40, 25, "sync.WaitGroup.Wait", "sync.WaitGroup.Wait",
      "sync.WaitGroup.Wait" },
    { "main.condForever", 47, 25, "sync.Cond.Wait", "sync.Cond.Wait", "sync.Cond.Wait" },
    { "main.deep", 52, 25, "chan send", "unknown", "chan send" },
    { "main.labelled.func1", 60, 25, "chan receive", "unknown", "chan receive" },
    { "github.com/acme/shop/internal/queue.(*Queue).work", 13, 25, "chan send", "unknown",
      "chan send" },
    { "main.main.func1", 87, 25, "sleep", "sleep", "sleep" },
    { "net/http.(*Server).Serve", 3070, 1, "IO wait", "IO wait", "IO wait" },
    { "net/http/pprof.handler.ServeHTTP", 253, 1, "running", "running", "running" },
};

static void check_truth(const char *path, int column)
{
    struct parse_info info;
    struct aggregate *agg = aggregate_fixture(path, &info);
    ck_assert_uint_eq(aggregate_size(agg), 15);
    ck_assert_int_eq(aggregate_goroutines(agg), 279);
    ck_assert_int_eq(info.goroutines, 279);
    for (size_t i = 0; i < sizeof(shop_truth) / sizeof(shop_truth[0]); i++) {
        const struct truth *t = &shop_truth[i];
        const struct agg_location *loc = find(agg, t->function);
        ck_assert_msg(loc != NULL, "%s: no location %s", path, t->function);
        const char *op = column == 0 ? t->op_pprof : column == 1 ? t->op_debug1 : t->op_debug2;
        ck_assert_msg(strcmp(loc->op_text, op) == 0, "%s: %s op '%s', want '%s'", path, t->function,
                      loc->op_text, op);
        ck_assert_int_eq(loc->line, t->line);
        ck_assert_int_eq(loc->count, t->count);
        ck_assert(!loc->confirmed);
        ck_assert_int_eq(loc->max_wait_minutes, column == 2 ? 0 : -1);
        ck_assert_ptr_nonnull(loc->frames);
        ck_assert_uint_lt(loc->site_frame, loc->n_frames);
        ck_assert(str_eq_cstr(loc->frames[loc->site_frame].function, t->function));
    }
    /* the HTTP connection's reader: a read syscall, or parked in the poller */
    const struct agg_location *conn = find(agg, "net/http.(*connReader).backgroundRead");
    ck_assert_ptr_nonnull(conn);
    ck_assert_int_eq(conn->count, 1);
    ck_assert_int_eq(conn->line, 678);
    /* largest first, ties by function name */
    ck_assert_str_eq(aggregate_at(agg, 0)->function,
                     "github.com/acme/shop/internal/queue.(*Queue).work");
    ck_assert_str_eq(aggregate_at(agg, 10)->function, "main.waitGroupForever");
    ck_assert_str_eq(aggregate_at(agg, 11)->function, "main.locked");
    for (size_t i = 1; i < aggregate_size(agg); i++)
        ck_assert_int_ge(aggregate_at(agg, i - 1)->count, aggregate_at(agg, i)->count);
    ck_assert_ptr_null(aggregate_at(agg, 15));
    aggregate_free(agg);
}

START_TEST(test_shop_pprof)
{
    check_truth(LF_FIXTURE("shop-n25.pb.gz"), 0);
}
END_TEST

START_TEST(test_shop_debug1)
{
    check_truth(LF_FIXTURE("shop-n25.debug1.txt"), 1);
}
END_TEST

START_TEST(test_shop_debug2)
{
    check_truth(LF_FIXTURE("shop-n25.debug2.txt"), 2);
}
END_TEST

START_TEST(test_labels_and_locked_kept)
{
    struct parse_info info;
    struct aggregate *agg = aggregate_fixture(LF_FIXTURE("shop-n25.debug1.txt"), &info);
    const struct agg_location *labelled = find(agg, "main.labelled.func1");
    ck_assert_ptr_nonnull(labelled);
    ck_assert_uint_eq(labelled->n_labels, 2);
    ck_assert_int_eq(labelled->n_stacks, 1);
    aggregate_free(agg);

    agg = aggregate_fixture(LF_FIXTURE("shop-n25.debug2.txt"), &info);
    const struct agg_location *locked = find(agg, "main.locked");
    ck_assert(locked->locked_to_thread);
    ck_assert(!find(agg, "main.forever")->locked_to_thread);
    ck_assert_int_eq(find(agg, "main.forever")->n_stacks, 25);
    /* main.deep: 41 frames deep in debug=2 */
    const struct agg_location *deep = find(agg, "main.deep");
    ck_assert_uint_ge(deep->n_frames, 41);
    aggregate_free(agg);
}
END_TEST

/* ---- the naive model: a recount over every stack -------------------------------------- */

#define MODEL_MAX 64

struct model {
    char key[MODEL_MAX][512];
    int64_t count[MODEL_MAX];
    size_t n;
    int64_t total;
};

static int model_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    (void)err;
    struct model *m = ctx;
    struct site site;
    classify_stack(stack, &site);
    char key[512];
    const struct stack_frame *f = &stack->frames[site.frame];
    snprintf(key, sizeof(key), "%.*s|%.*s|%.*s|%lld", (int)site.op_words.len, site.op_words.p,
             (int)f->function.len, f->function.p, (int)f->file.len, f->file.p, (long long)f->line);
    m->total += stack->count;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->key[i], key) == 0) {
            m->count[i] += stack->count;
            return LF_OK;
        }
    }
    ck_assert_uint_lt(m->n, MODEL_MAX);
    memcpy(m->key[m->n], key, sizeof(key));
    m->count[m->n++] = stack->count;
    return LF_OK;
}

START_TEST(test_brute_recount)
{
    const char *files[] = { LF_FIXTURE("shop-n25.debug2.txt"), LF_FIXTURE("shop-n3.sigquit.txt"),
                            LF_FIXTURE("shop-n25.pb.gz"), LF_FIXTURE("shop-n25.debug1.txt") };
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        size_t len = 0;
        char *buf = testutil_read_fixture(files[k], &len);
        static struct model m;
        memset(&m, 0, sizeof(m));
        struct lf_error err;
        ck_assert_int_eq(
                parse_buffer(PARSE_FORMAT_AUTO, buf, len, NULL, model_sink, &m, NULL, &err), LF_OK);
        lf_free(buf);
        struct parse_info info;
        struct aggregate *agg = aggregate_fixture(files[k], &info);
        ck_assert_uint_eq(aggregate_size(agg), m.n);
        ck_assert_int_eq(aggregate_goroutines(agg), m.total);
        for (size_t i = 0; i < aggregate_size(agg); i++) {
            const struct agg_location *loc = aggregate_at(agg, i);
            char key[512];
            snprintf(key, sizeof(key), "%s|%s|%s|%lld", loc->op_text, loc->function, loc->file,
                     (long long)loc->line);
            bool found = false;
            for (size_t j = 0; j < m.n; j++) {
                if (strcmp(m.key[j], key) == 0) {
                    ck_assert_int_eq(m.count[j], loc->count);
                    found = true;
                }
            }
            ck_assert_msg(found, "%s: %s not in the recount", files[k], key);
        }
        aggregate_free(agg);
    }
}
END_TEST

/* ---- hand-built stacks ------------------------------------------------------------------ */

static struct stack one_frame_stack(struct stack_frame *frame, const char *reason, int64_t minutes,
                                    bool leaked)
{
    struct stack s;
    memset(&s, 0, sizeof(s));
    s.count = 1;
    s.goroutine_id = 7;
    s.wait_reason = str_from_cstr(reason);
    s.wait_minutes = minutes;
    s.leaked = leaked;
    s.frames = frame;
    s.n_frames = 1;
    return s;
}

START_TEST(test_wait_and_verdict)
{
    struct aggregate *agg = aggregate_create();
    struct lf_error err;
    char function[] = "main.ncast.func1";
    char file[] = "/build/acme/leaky/main.go";
    struct stack_frame frame = { str_from_cstr(function), str_from_cstr(file), 51 };
    int64_t minutes[] = { 3, 0, 12, 5 };
    for (size_t i = 0; i < 4; i++) {
        struct stack s = one_frame_stack(&frame, "chan send", minutes[i], i == 2);
        ck_assert_int_eq(aggregate_sink(agg, &s, &err), LF_OK);
    }
    /* the same site under another op is another location */
    struct stack other = one_frame_stack(&frame, "chan receive", 40, false);
    ck_assert_int_eq(aggregate_sink(agg, &other, &err), LF_OK);
    /* the source buffers may change after the sink returns: the copy is owned */
    memset(function, 'x', sizeof(function) - 1);
    memset(file, 'y', sizeof(file) - 1);
    aggregate_sort(agg);
    ck_assert_uint_eq(aggregate_size(agg), 2);
    const struct agg_location *send = aggregate_at(agg, 0);
    ck_assert_str_eq(send->op_text, "chan send");
    ck_assert_int_eq(send->op, OP_CHAN_SEND);
    ck_assert_str_eq(send->function, "main.ncast.func1");
    ck_assert_str_eq(send->file, "/build/acme/leaky/main.go");
    ck_assert_int_eq(send->line, 51);
    ck_assert_int_eq(send->count, 4);
    ck_assert_int_eq(send->max_wait_minutes, 12);
    ck_assert(send->confirmed);
    ck_assert(str_eq_cstr(send->frames[0].function, "main.ncast.func1"));
    const struct agg_location *recv = aggregate_at(agg, 1);
    ck_assert_int_eq(recv->count, 1);
    ck_assert_int_eq(recv->max_wait_minutes, 40);
    ck_assert(!recv->confirmed);
    ck_assert_int_eq(aggregate_goroutines(agg), 5);
    ck_assert_int_eq(aggregate_stacks(agg), 5);

    struct stack view;
    agg_location_stack(send, &view);
    ck_assert_int_eq(view.count, 4);
    ck_assert(str_eq_cstr(view.wait_reason, "chan send"));
    ck_assert(view.leaked);
    ck_assert_uint_eq(view.n_frames, 1);
    struct site site;
    classify_stack(&view, &site);
    ck_assert_int_eq(site.op, OP_CHAN_SEND);
    aggregate_free(agg);
}
END_TEST

START_TEST(test_no_frames_and_verbatim_reason)
{
    struct aggregate *agg = aggregate_create();
    struct lf_error err;
    struct stack s;
    memset(&s, 0, sizeof(s));
    s.count = 3;
    s.wait_reason = STR_LIT("a reason from the future");
    s.wait_minutes = -1;
    ck_assert_int_eq(aggregate_sink(agg, &s, &err), LF_OK);
    ck_assert_int_eq(aggregate_sink(agg, &s, &err), LF_OK);
    ck_assert_uint_eq(aggregate_size(agg), 1);
    const struct agg_location *loc = aggregate_at(agg, 0);
    ck_assert_int_eq(loc->op, OP_OTHER);
    ck_assert_str_eq(loc->op_text, "a reason from the future");
    ck_assert_str_eq(loc->function, "");
    ck_assert_str_eq(loc->file, "");
    ck_assert_int_eq(loc->line, 0);
    ck_assert_int_eq(loc->count, 6);
    ck_assert_uint_eq(loc->n_frames, 0);
    ck_assert_uint_eq(loc->site_frame, 0);
    aggregate_free(agg);
    aggregate_free(NULL);
}
END_TEST

START_TEST(test_many_locations_grow_and_sort)
{
    struct aggregate *agg = aggregate_create();
    struct lf_error err;
    for (int round = 0; round < 2; round++) {
        for (int64_t line = 1; line <= 5000; line++) {
            struct stack_frame frame = { STR_LIT("main.f"), STR_LIT("/m.go"), line };
            struct stack s = one_frame_stack(&frame, "select", -1, false);
            s.count = line % 7 == 0 ? 2 : 1;
            ck_assert_int_eq(aggregate_sink(agg, &s, &err), LF_OK);
        }
    }
    ck_assert_uint_eq(aggregate_size(agg), 5000);
    aggregate_sort(agg);
    /* 714 lines are multiples of 7 (count 4), the rest count 2; ties by line */
    ck_assert_int_eq(aggregate_at(agg, 0)->count, 4);
    ck_assert_int_eq(aggregate_at(agg, 0)->line, 7);
    ck_assert_int_eq(aggregate_at(agg, 713)->line, 4998);
    ck_assert_int_eq(aggregate_at(agg, 714)->count, 2);
    ck_assert_int_eq(aggregate_at(agg, 714)->line, 1);
    ck_assert_int_eq(aggregate_at(agg, 4999)->line, 5000);
    ck_assert_int_eq(aggregate_goroutines(agg), 2 * (5000 + 714));
    aggregate_free(agg);
}
END_TEST

START_TEST(test_allocation_failures)
{
    size_t len = 0;
    char *buf = testutil_read_fixture(LF_FIXTURE("shop-n25.debug2.txt"), &len);
    bool succeeded = false;
    long failures = 0;
    for (long n = 0; n < 100000 && !succeeded; n++) {
        lf_alloc_fail_after(n);
        struct aggregate *agg = aggregate_create();
        if (agg == NULL) {
            failures++;
            continue;
        }
        struct lf_error err;
        lf_error_clear(&err);
        int rc = parse_buffer(PARSE_FORMAT_DEBUG2, buf, len, NULL, aggregate_sink, agg, NULL, &err);
        if (rc == LF_OK) {
            lf_alloc_fail_after(-1);
            ck_assert_uint_eq(aggregate_size(agg), 15);
            ck_assert_int_eq(aggregate_goroutines(agg), 279);
            succeeded = true;
        } else {
            ck_assert_msg(rc == LF_ENOMEM, "allocation %ld: rc %d %s", n, rc, err.msg);
            failures++;
        }
        aggregate_free(agg);
    }
    lf_alloc_fail_after(-1);
    ck_assert(succeeded);
    /* every allocation of the parse and the aggregate failed once, cleanly */
    ck_assert_int_ge(failures, 10);
    lf_free(buf);
}
END_TEST

static Suite *aggregate_suite(void)
{
    Suite *s = suite_create("aggregate");
    TCase *tc = tcase_create("fixtures");
    tcase_add_test(tc, test_shop_pprof);
    tcase_add_test(tc, test_shop_debug1);
    tcase_add_test(tc, test_shop_debug2);
    tcase_add_test(tc, test_labels_and_locked_kept);
    tcase_add_test(tc, test_brute_recount);
    suite_add_tcase(s, tc);
    tc = tcase_create("sink");
    tcase_add_test(tc, test_wait_and_verdict);
    tcase_add_test(tc, test_no_frames_and_verbatim_reason);
    tcase_add_test(tc, test_many_locations_grow_and_sort);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("alloc");
    tcase_add_test(tc, test_allocation_failures);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(aggregate_suite)
