/* test_parse_debug2.c - unit tests of the debug=2 / panic / SIGQUIT parser: exact values
 * on the real dumps in tests/fixtures, the same result however the input is chunked, one
 * snippet per grammar variant (Go 1.19 through the goroutine-leak marks of Go 1.26), every
 * error with its line number, and a dump cut off anywhere (not an error: reported). Each stack is
 * rendered to one canonical string, so a test states the whole stack it expects. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "parse_debug2.h"
#include "testutil.h"
#include "text_harness.h"

/* ---- harness (text_harness.h) ----------------------------------------------------- */

static int collect(void *ctx, const struct stack *stack, struct lf_error *err)
{
    struct collected *c = ctx;
    if (c->fail_at > 0 && (size_t)c->fail_at == c->n + 1)
        return lf_fail(err, LF_EIO, "sink refused stack %zu", c->n + 1);
    size_t size = 256 + stack->wait_reason.len + frames_size(stack);
    char *buf = malloc(size);
    ck_assert_ptr_nonnull(buf);
    int w = snprintf(buf, size, "id=%lld count=%lld [%.*s] minutes=%lld%s%s%s frames=%zu",
                     (long long)stack->goroutine_id, (long long)stack->count,
                     (int)stack->wait_reason.len, stack->wait_reason.p,
                     (long long)stack->wait_minutes, stack->locked_to_thread ? " locked" : "",
                     stack->leaked ? " leaked" : "", stack->truncated ? " truncated" : "",
                     stack->n_frames);
    size_t at = put_frames(buf, size, (size_t)w, stack);
    ck_assert_uint_lt(at, size);
    ck_assert_uint_eq(stack->n_labels, 0);
    collected_add(c, buf, stack->count);
    return LF_OK;
}

/* Parses (buf, len) fed as chunking says; returns the parser's result. */
static int parse(const char *buf, size_t len, enum chunking chunking, unsigned seed,
                 const struct parse_limits *limits, struct collected *c, struct parse_info *info,
                 struct lf_error *err)
{
    struct parse_limits defaults = { 0 };
    struct parse_debug2 *parser = parse_debug2_create(limits ? limits : &defaults, collect, c);
    if (parser == NULL)
        return lf_fail(err, LF_ENOMEM, "create");
    int rc = LF_OK;
    unsigned state = seed;
    for (size_t at = 0, n; rc == LF_OK && at < len; at += n) {
        n = chunk_len(chunking, &state, len - at);
        rc = parse_debug2_feed(parser, buf + at, n, err);
    }
    if (rc == LF_OK)
        rc = parse_debug2_finish(parser, info, err);
    parse_debug2_free(parser);
    return rc;
}

/* The rendering of the stack of goroutine id (the first one with that id). */
static const char *stack_of(const struct collected *c, long long id)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "id=%lld ", id);
    for (size_t i = 0; i < c->n; i++)
        if (strncmp(c->stacks[i], prefix, strlen(prefix)) == 0)
            return c->stacks[i];
    return "";
}

/* How many stacks have a header part (before " frames=") containing needle. */
static size_t count_with(const struct collected *c, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *end = strstr(c->stacks[i], " frames=");
        const char *hit = strstr(c->stacks[i], needle);
        if (hit != NULL && end != NULL && hit < end)
            n++;
    }
    return n;
}

/* ---- real dumps -------------------------------------------------------------------- */

START_TEST(test_shop_debug2)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("shop-n25.debug2.txt"), &len);
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, WHOLE, 0, NULL, &c, &info, &err), LF_OK);
    ck_assert_int_eq(info.format, PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(info.stacks, 279);
    ck_assert_int_eq(info.goroutines, 279);
    ck_assert_int_eq(info.declared_total, -1);
    ck_assert(!info.leak_profile);
    ck_assert_uint_eq(c.n, 279);
    /* the wait reasons, as `grep '^goroutine'` counts them */
    ck_assert_uint_eq(count_with(&c, "[chan send]"), 50);
    ck_assert_uint_eq(count_with(&c, "[chan send (nil chan)]"), 25);
    ck_assert_uint_eq(count_with(&c, "[chan receive]"), 25);
    ck_assert_uint_eq(count_with(&c, "[chan receive (nil chan)]"), 25);
    ck_assert_uint_eq(count_with(&c, "[select (no cases)]"), 26);
    ck_assert_uint_eq(count_with(&c, "[semacquire]"), 75);
    ck_assert_uint_eq(count_with(&c, "[sync.Cond.Wait]"), 25);
    ck_assert_uint_eq(count_with(&c, "[sleep]"), 25);
    ck_assert_uint_eq(count_with(&c, "[IO wait]"), 2);
    ck_assert_uint_eq(count_with(&c, "[running]"), 1);
    ck_assert_uint_eq(count_with(&c, " locked"), 1);
    ck_assert_uint_eq(count_with(&c, " truncated"), 0);
    ck_assert_uint_eq(count_with(&c, "minutes=0"), 279);
    /* the first block is the goroutine writing the profile */
    ck_assert(strncmp(c.stacks[0],
                      "id=295 count=1 [running] minutes=0 frames=9\n"
                      "runtime/pprof.writeGoroutineStacks "
                      "/usr/lib/go-1.19/src/runtime/pprof/pprof.go:692\n",
                      strlen("id=295 count=1 [running] minutes=0 frames=9\n"
                             "runtime/pprof.writeGoroutineStacks "
                             "/usr/lib/go-1.19/src/runtime/pprof/pprof.go:692\n")) == 0);
    /* created by is not a frame of the stack */
    ck_assert_str_eq(stack_of(&c, 19), "id=19 count=1 [chan send (nil chan)] minutes=0 frames=1\n"
                                       "main.nilSend /srv/build/shop/main.go:23");
    ck_assert_str_eq(stack_of(&c, 294),
                     "id=294 count=1 [select (no cases)] minutes=0 locked frames=1\n"
                     "main.locked /srv/build/shop/main.go:66");
    /* net/http.ListenAndServe(...) is an inlined frame: no +0x offset */
    const char *main_goroutine = stack_of(&c, 1);
    ck_assert_ptr_nonnull(strstr(main_goroutine, "id=1 count=1 [IO wait] minutes=0 frames=11\n"
                                                 "internal/poll.runtime_pollWait "));
    ck_assert_ptr_nonnull(
            strstr(main_goroutine,
                   "\nnet/http.ListenAndServe /usr/lib/go-1.19/src/net/http/server.go:3255\n"
                   "main.main /srv/build/shop/main.go:90"));
    /* main.deep: 41 frames, all printed by debug=2 */
    const char *deep = stack_of(&c, 26);
    ck_assert(strncmp(deep,
                      "id=26 count=1 [chan send] minutes=0 frames=41\n"
                      "main.deep /srv/build/shop/main.go:52\n"
                      "main.deep /srv/build/shop/main.go:55\n",
                      strlen("id=26 count=1 [chan send] minutes=0 frames=41\n"
                             "main.deep /srv/build/shop/main.go:52\n"
                             "main.deep /srv/build/shop/main.go:55\n")) == 0);
    collected_free(&c);
    free(buf);
}
END_TEST

START_TEST(test_shop_sigquit)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("shop-n3.sigquit.txt"), &len);
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, WHOLE, 0, NULL, &c, &info, &err), LF_OK);
    ck_assert_int_eq(info.stacks, 40);
    ck_assert_int_eq(info.goroutines, 40);
    /* goroutine 0 [idle]: the thread that took the signal, runtime frames only */
    ck_assert_str_eq(c.stacks[0],
                     "id=0 count=1 [idle] minutes=0 frames=8\n"
                     "runtime.futex /usr/lib/go-1.19/src/runtime/sys_linux_amd64.s:559\n"
                     "runtime.futexsleep /usr/lib/go-1.19/src/runtime/os_linux.go:69\n"
                     "runtime.notesleep /usr/lib/go-1.19/src/runtime/lock_futex.go:160\n"
                     "runtime.mPark /usr/lib/go-1.19/src/runtime/proc.go:1457\n"
                     "runtime.stoplockedm /usr/lib/go-1.19/src/runtime/proc.go:2448\n"
                     "runtime.schedule /usr/lib/go-1.19/src/runtime/proc.go:3193\n"
                     "runtime.park_m /usr/lib/go-1.19/src/runtime/proc.go:3363\n"
                     "runtime.mcall /usr/lib/go-1.19/src/runtime/asm_amd64.s:448");
    /* the last block, before the register dump: fp= sp= pc= suffixes peeled */
    ck_assert_str_eq(c.stacks[39], "id=52 count=1 [select (no cases)] minutes=0 locked frames=4\n"
                                   "runtime.gopark /usr/lib/go-1.19/src/runtime/proc.go:363\n"
                                   "runtime.block /usr/lib/go-1.19/src/runtime/select.go:104\n"
                                   "main.locked /srv/build/shop/main.go:66\n"
                                   "runtime.goexit /usr/lib/go-1.19/src/runtime/asm_amd64.s:1594");
    ck_assert_str_eq(stack_of(&c, 51),
                     "id=51 count=1 [sleep] minutes=0 frames=4\n"
                     "runtime.gopark /usr/lib/go-1.19/src/runtime/proc.go:363\n"
                     "time.Sleep /usr/lib/go-1.19/src/runtime/time.go:195\n"
                     "main.main.func1 /srv/build/shop/main.go:87\n"
                     "runtime.goexit /usr/lib/go-1.19/src/runtime/asm_amd64.s:1594");
    ck_assert_uint_eq(count_with(&c, "[semacquire]"), 9);
    ck_assert_uint_eq(count_with(&c, "[chan send]"), 6);
    collected_free(&c);
    free(buf);
}
END_TEST

START_TEST(test_leakgen_dumps)
{
    struct {
        const char *file;
        int64_t stacks;
        size_t truncated;
        size_t locked;
    } cases[] = {
        { LF_FIXTURE("leakgen-n2.debug2.txt"), 24, 0, 1 },
        { LF_FIXTURE("leakgen-n1.panic-all.txt"), 13, 0, 1 },
        { LF_FIXTURE("leakgen-n1.panic-crash.txt"), 17, 1, 1 },
        { LF_FIXTURE("leakgen-n1.sigquit-crash.txt"), 22, 1, 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        char *buf = testutil_read_fixture(cases[i].file, &len);
        struct collected c = { 0 };
        struct parse_info info = { 0 };
        struct lf_error err = { 0 };
        ck_assert_msg(parse(buf, len, WHOLE, 0, NULL, &c, &info, &err) == LF_OK, "%s: %s",
                      cases[i].file, err.msg);
        ck_assert_int_eq(info.stacks, cases[i].stacks);
        ck_assert_uint_eq(count_with(&c, " truncated"), cases[i].truncated);
        ck_assert_uint_eq(count_with(&c, " locked"), cases[i].locked);
        collected_free(&c);
        free(buf);
    }
}
END_TEST

START_TEST(test_real_minutes)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("leakgen-n1.minutes.debug2.txt"), &len);
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, BYTE_BY_BYTE, 0, NULL, &c, &info, &err), LF_OK);
    ck_assert_int_eq(info.stacks, 13);
    ck_assert_uint_eq(count_with(&c, "minutes=1"), 12);
    ck_assert_uint_eq(count_with(&c, "[running] minutes=0"), 1);
    ck_assert_str_eq(stack_of(&c, 6), "id=6 count=1 [chan send (nil chan)] minutes=1 frames=1\n"
                                      "main.nilSend github.com/acme/leakgen/main.go:18");
    ck_assert_str_eq(stack_of(&c, 17),
                     "id=17 count=1 [select (no cases)] minutes=1 locked frames=1\n"
                     "main.locked github.com/acme/leakgen/main.go:31");
    collected_free(&c);
    free(buf);
}
END_TEST

START_TEST(test_panic_crash_details)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("leakgen-n1.panic-crash.txt"), &len);
    struct collected c = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, WHOLE, 0, NULL, &c, NULL, &err), LF_OK);
    /* the panicking goroutine: "panic({...})" is a frame named panic; panicmem(...) is
     * inlined (no +0x offset, no fp=) */
    ck_assert_str_eq(c.stacks[0], "id=1 count=1 [running] minutes=0 frames=6\n"
                                  "panic runtime/panic.go:987\n"
                                  "runtime.panicmem runtime/panic.go:260\n"
                                  "runtime.sigpanic runtime/signal_unix.go:835\n"
                                  "main.main github.com/acme/leakgen/main.go:84\n"
                                  "runtime.main runtime/proc.go:250\n"
                                  "runtime.goexit runtime/asm_amd64.s:1594");
    /* the 200-deep recursion: 100 frames printed, then "...additional frames elided..." */
    size_t deep = 0;
    for (size_t i = 0; i < c.n; i++)
        if (strstr(c.stacks[i], " truncated frames=100\nruntime.gopark ") != NULL)
            deep++;
    ck_assert_uint_eq(deep, 1);
    /* struct arguments with braces and "..." */
    ck_assert_uint_eq(count_with(&c, "[select (no cases)]"), 3);
    size_t with_args = 0;
    for (size_t i = 0; i < c.n; i++)
        if (strstr(c.stacks[i], "\nmain.withArgs github.com/acme/leakgen/main.go:47\n") != NULL)
            with_args++;
    ck_assert_uint_eq(with_args, 1);
    collected_free(&c);
    free(buf);
}
END_TEST

/* ---- chunking ---------------------------------------------------------------------- */

START_TEST(test_chunking_is_invisible)
{
    assert_chunking_invisible(LF_FIXTURE("shop-n25.debug2.txt"), 5);
    assert_chunking_invisible(LF_FIXTURE("shop-n3.sigquit.txt"), 5);
    assert_chunking_invisible(LF_FIXTURE("leakgen-n1.panic-crash.txt"), 5);
    assert_chunking_invisible(LF_FIXTURE("leakgen-n1.sigquit-crash.txt"), 5);
}
END_TEST

/* ---- grammar variants -------------------------------------------------------------- */

START_TEST(test_header_variants)
{
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    parse_ok("goroutine 18 [select (no cases), 12 minutes, locked to thread]:\n"
             "main.locked()\n"
             "\t/srv/build/shop/main.go:66 +0x1c\n"
             "\n"
             "goroutine 7 [chan send (leaked)]:\n"
             "main.leak.func1()\n"
             "\t/app/leak.go:9 +0x25\n"
             "created by main.leak in goroutine 1\n"
             "\t/app/leak.go:8 +0x3e\n"
             "\n"
             "goroutine 8 [sync.WaitGroup.Wait (leaked), 3 minutes]:\n"
             "\n"
             "goroutine 1 gp=0xc000002380 m=0 mp=0x5a3e40 [running]:\n"
             "main.main()\n"
             "\t/app/main.go:5 +0x18 fp=0xc00006af50 sp=0xc00006af38 pc=0x4a7e78\n"
             "\n"
             "goroutine 2 gp=0xc000002e00 m=nil [force gc (idle)]:\n"
             "\n"
             "goroutine 9 [chan receive (scan), 2 minutes]:\n"
             "\n"
             "goroutine 10 [chan receive (synctest), synctest group 9]:\n"
             "\n"
             "goroutine 11 [select (no cases) (leaked) (scan), 1 minutes, locked to thread]:\n"
             "\n", /* the blank line ends the block: without it the dump would be cut here */
             &c, &info);
    ck_assert_uint_eq(c.n, 8);
    ck_assert_str_eq(c.stacks[0], "id=18 count=1 [select (no cases)] minutes=12 locked frames=1\n"
                                  "main.locked /srv/build/shop/main.go:66");
    ck_assert_str_eq(c.stacks[1], "id=7 count=1 [chan send] minutes=0 leaked frames=1\n"
                                  "main.leak.func1 /app/leak.go:9");
    ck_assert_str_eq(c.stacks[2], "id=8 count=1 [sync.WaitGroup.Wait] minutes=3 leaked frames=0");
    ck_assert_str_eq(c.stacks[3], "id=1 count=1 [running] minutes=0 frames=1\n"
                                  "main.main /app/main.go:5");
    ck_assert_str_eq(c.stacks[4], "id=2 count=1 [force gc (idle)] minutes=0 frames=0");
    ck_assert_str_eq(c.stacks[5], "id=9 count=1 [chan receive] minutes=2 frames=0");
    ck_assert_str_eq(c.stacks[6], "id=10 count=1 [chan receive (synctest)] minutes=0 frames=0");
    ck_assert_str_eq(c.stacks[7],
                     "id=11 count=1 [select (no cases)] minutes=1 locked leaked frames=0");
    ck_assert_int_eq(info.goroutines, 8);
    ck_assert(!info.leak_profile);
    collected_free(&c);
}
END_TEST

START_TEST(test_frame_variants)
{
    struct collected c = { 0 };
    parse_ok("goroutine 1 [running]:\n"
             /* Go 1.17+ arguments: '?', braces, "..." */
             "main.(*T[...]).Run(0xc000010000?, {0x4b2e10, 0x5}, ...)\n"
             "\t/app/t.go:12 +0x1f\n"
             /* an inlined frame in Go 1.21+: (...) and only pc= */
             "main.helper(...)\n"
             "\t/app/t.go:20 pc=0x4a7e79\n"
             /* a path with spaces and a drive colon */
             "main.win()\n"
             "\tC:/Program Files/app/w.go:7 +0x5\n"
             /* unknown file */
             "main.anon()\n"
             "\t?:0\n"
             "...12 frames elided...\n"
             "main.main()\n"
             "\t<autogenerated>:1 +0x2b\n"
             "created by main.start in goroutine 3\n"
             "\t/app/t.go:30 +0x99\n",
             &c, NULL);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(c.stacks[0], "id=1 count=1 [running] minutes=0 truncated frames=5\n"
                                  "main.(*T[...]).Run /app/t.go:12\n"
                                  "main.helper /app/t.go:20\n"
                                  "main.win C:/Program Files/app/w.go:7\n"
                                  "main.anon ?:0\n"
                                  "main.main <autogenerated>:1");
    collected_free(&c);
}
END_TEST

/* Records the "created by" frame of each stack as "FUNCTION FILE:LINE" ("" for none). */
struct creators {
    char text[4][128];
    size_t n;
};

static int collect_creator(void *ctx, const struct stack *stack, struct lf_error *err)
{
    (void)err;
    struct creators *c = ctx;
    if (c->n < 4)
        snprintf(c->text[c->n], sizeof(c->text[0]), "%.*s %.*s:%lld",
                 (int)stack->creator.function.len, stack->creator.function.p,
                 (int)stack->creator.file.len, stack->creator.file.p,
                 (long long)stack->creator.line);
    c->n++;
    return LF_OK;
}

START_TEST(test_created_by_is_kept)
{
    const char *text = "goroutine 7 [chan send]:\n"
                       "github.com/segmentio/kafka-go.(*Writer).send(...)\n"
                       "\t/go/pkg/mod/kafka-go/writer.go:90 +0x1f\n"
                       "created by github.com/acme/shop/events.Start in goroutine 1\n"
                       "\t/build/shop/events/start.go:31 +0x99\n"
                       "\n"
                       "goroutine 8 [select]:\n"
                       "main.loop()\n"
                       "\t/build/shop/main.go:12 +0x1f\n"
                       "created by main.main\n"
                       "\t/build/shop/main.go:9 +0x5\n"
                       "\n"
                       "goroutine 1 [running]:\n"
                       "main.main()\n"
                       "\t/build/shop/main.go:5 +0x1f\n";
    struct creators c = { 0 };
    struct parse_debug2 *parser = parse_debug2_create(NULL, collect_creator, &c);
    ck_assert_ptr_nonnull(parser);
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse_debug2_feed(parser, text, strlen(text), &err), LF_OK);
    ck_assert_int_eq(parse_debug2_finish(parser, NULL, &err), LF_OK);
    parse_debug2_free(parser);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.text[0], "github.com/acme/shop/events.Start /build/shop/events/start.go:31");
    ck_assert_str_eq(c.text[1], "main.main /build/shop/main.go:9");
    ck_assert_str_eq(c.text[2], " :0");
}
END_TEST

START_TEST(test_preambles_and_trailers)
{
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    parse_ok("panic: boom [recovered]\n"
             "\tpanic: again\n"
             "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4b7e1b]\n"
             "\n"
             "fatal error: unexpected signal during runtime execution\n"
             "runtime stack:\n"
             "runtime.throw({0x4d1f3e?, 0x0?})\n"
             "\t/usr/lib/go/src/runtime/panic.go:1047 +0x5d fp=0x7ffd sp=0x7ffc pc=0x434d7d\n"
             "\n"
             "goroutine 1 [running]:\n"
             "\tgoroutine running on other thread; stack unavailable\n"
             "created by main.main\n"
             "\t/app/main.go:9 +0x1\n"
             "\n"
             "goroutine 5 [chan receive, 42 minutes]:\n"
             "main.worker()\n"
             "\t/app/w.go:3 +0x2\n"
             "created by main.main\n"
             "\t/app/main.go:10 +0x3\n"
             "[originating from goroutine 1]:\n"
             "main.main(...)\n"
             "\t/app/main.go:10 +0x3\n"
             "goroutine 6 [sleep]:\n"
             "time.Sleep(0x3b9aca00)\n"
             "\t/usr/lib/go/src/runtime/time.go:195 +0x135\n"
             "exit status 2\n"
             "\n"
             "rax    0xca\n"
             "rbx    0x0\n"
             "rip    0x464ce1\n"
             "SIGQUIT: quit\n"
             "PC=0x464ce3 m=1 sigcode=0\n",
             &c, &info);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.stacks[0], "id=1 count=1 [running] minutes=0 frames=0");
    ck_assert_str_eq(c.stacks[1], "id=5 count=1 [chan receive] minutes=42 frames=1\n"
                                  "main.worker /app/w.go:3");
    ck_assert_str_eq(c.stacks[2], "id=6 count=1 [sleep] minutes=0 frames=1\n"
                                  "time.Sleep /usr/lib/go/src/runtime/time.go:195");
    collected_free(&c);
}
END_TEST

START_TEST(test_newer_runtime_deadlock)
{
    /* the shape of a Go 1.24+ deadlock report: sync.Mutex.Lock as the wait reason,
     * internal/sync frames, inlined Lock(...) without an offset, "in goroutine N" */
    struct collected c = { 0 };
    parse_ok("fatal error: all goroutines are asleep - deadlock!\n"
             "\n"
             "goroutine 1 [sync.WaitGroup.Wait]:\n"
             "sync.runtime_SemacquireWaitGroup(0xc000012108?, 0x0?)\n"
             "\t/usr/local/go/src/runtime/sema.go:114 +0x2e\n"
             "sync.(*WaitGroup).Wait(0xc000012100)\n"
             "\t/usr/local/go/src/sync/waitgroup.go:206 +0x85\n"
             "main.main()\n"
             "\t/home/dev/bank/main.go:44 +0x125\n"
             "\n"
             "goroutine 7 [sync.Mutex.Lock]:\n"
             "internal/sync.runtime_SemacquireMutex(0xc00001e0f0?, 0x0?, 0x1?)\n"
             "\t/usr/local/go/src/runtime/sema.go:95 +0x25\n"
             "internal/sync.(*Mutex).lockSlow(0xc000012110)\n"
             "\t/usr/local/go/src/internal/sync/mutex.go:149 +0x15d\n"
             "internal/sync.(*Mutex).Lock(...)\n"
             "\t/usr/local/go/src/internal/sync/mutex.go:70\n"
             "sync.(*Mutex).Lock(...)\n"
             "\t/usr/local/go/src/sync/mutex.go:46\n"
             "main.transfer(0xc000012110, 0xc000012118)\n"
             "\t/home/dev/bank/main.go:21 +0x8b\n"
             "created by main.main in goroutine 1\n"
             "\t/home/dev/bank/main.go:39 +0xc5\n"
             "exit status 2\n",
             &c, NULL);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_str_eq(c.stacks[0],
                     "id=1 count=1 [sync.WaitGroup.Wait] minutes=0 frames=3\n"
                     "sync.runtime_SemacquireWaitGroup /usr/local/go/src/runtime/sema.go:114\n"
                     "sync.(*WaitGroup).Wait /usr/local/go/src/sync/waitgroup.go:206\n"
                     "main.main /home/dev/bank/main.go:44");
    ck_assert_str_eq(
            c.stacks[1],
            "id=7 count=1 [sync.Mutex.Lock] minutes=0 frames=5\n"
            "internal/sync.runtime_SemacquireMutex /usr/local/go/src/runtime/sema.go:95\n"
            "internal/sync.(*Mutex).lockSlow /usr/local/go/src/internal/sync/mutex.go:149\n"
            "internal/sync.(*Mutex).Lock /usr/local/go/src/internal/sync/mutex.go:70\n"
            "sync.(*Mutex).Lock /usr/local/go/src/sync/mutex.go:46\n"
            "main.transfer /home/dev/bank/main.go:21");
    collected_free(&c);
}
END_TEST

START_TEST(test_no_blank_lines_and_crlf)
{
    struct collected c = { 0 };
    parse_ok("goroutine 1 [chan send]:\r\n"
             "main.a()\r\n"
             "\t/app/a.go:1 +0x1\r\n"
             "goroutine 2 [select]:\r\n"
             "main.b(0x1)\r\n"
             "\t/app/b.go:2 +0x1\r\n"
             "created by main.main\r\n"
             "\t/app/main.go:3 +0x1\r\n"
             "goroutine 3 [running]:\r\n"
             "main.c()\r\n"
             "\t/app/c.go:4\r\n"
             "created by main.main\r\n"
             "\t/app/main.go:5",
             &c, NULL);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.stacks[0],
                     "id=1 count=1 [chan send] minutes=0 frames=1\nmain.a /app/a.go:1");
    ck_assert_str_eq(c.stacks[1], "id=2 count=1 [select] minutes=0 frames=1\nmain.b /app/b.go:2");
    ck_assert_str_eq(c.stacks[2], "id=3 count=1 [running] minutes=0 frames=1\nmain.c /app/c.go:4");
    collected_free(&c);
}
END_TEST

START_TEST(test_space_indented_paste)
{
    /* a dump pasted through an editor or a chat window: tabs became spaces */
    struct collected c = { 0 };
    parse_ok("goroutine 12 [chan receive, 14 minutes]:\n"
             "main.consumer(0xc0000ba000)\n"
             "        /home/dev/app/consumer.go:42 +0x90\n"
             "created by main.main in goroutine 1\n"
             "        /home/dev/app/main.go:18 +0x108\n"
             "\n"
             "goroutine 13 [running]:\n"
             "        goroutine running on other thread; stack unavailable\n",
             &c, NULL);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_str_eq(c.stacks[0], "id=12 count=1 [chan receive] minutes=14 frames=1\n"
                                  "main.consumer /home/dev/app/consumer.go:42");
    ck_assert_str_eq(c.stacks[1], "id=13 count=1 [running] minutes=0 frames=0");
    collected_free(&c);
}
END_TEST

START_TEST(test_cgo_bare_function_lines)
{
    /* the cgo symbolizer prints names without arguments; unsymbolized cgo PCs have no
     * file line at all and are skipped */
    struct collected c = { 0 };
    parse_ok("goroutine 1 [syscall]:\n"
             "non-Go function at pc=0x7f1c2a3b4c5d\n"
             "cfunc\n"
             "\t/src/c.c:12 pc=0x7f1c2a3b4c5d\n"
             "runtime.cgocall(0x4a1b2c, 0xc000052f38)\n"
             "\t/usr/lib/go/src/runtime/cgocall.go:158 +0x5c\n"
             "\n",
             &c, NULL);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(c.stacks[0], "id=1 count=1 [syscall] minutes=0 frames=2\n"
                                  "cfunc /src/c.c:12\n"
                                  "runtime.cgocall /usr/lib/go/src/runtime/cgocall.go:158");
    collected_free(&c);
}
END_TEST

START_TEST(test_max_frames)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("shop-n25.debug2.txt"), &len);
    struct parse_limits limits = { .max_frames = 3 };
    struct collected c = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, RANDOM, 7, &limits, &c, NULL, &err), LF_OK);
    ck_assert_str_eq(stack_of(&c, 26), "id=26 count=1 [chan send] minutes=0 truncated frames=3\n"
                                       "main.deep /srv/build/shop/main.go:52\n"
                                       "main.deep /srv/build/shop/main.go:55\n"
                                       "main.deep /srv/build/shop/main.go:55");
    ck_assert_str_eq(stack_of(&c, 19), "id=19 count=1 [chan send (nil chan)] minutes=0 frames=1\n"
                                       "main.nilSend /srv/build/shop/main.go:23");
    /* deeper than 3: main.deep, the Mutex waits (4 frames), 2 IO waits, the writer */
    ck_assert_uint_eq(count_with(&c, " truncated"), 25 + 25 + 2 + 1);
    collected_free(&c);
    free(buf);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------ */

START_TEST(test_malformed)
{
    parse_fails("", NULL, LF_EINVAL, "line 1: empty input");
    parse_fails("hello\nworld\n", NULL, LF_EINVAL, "line 2: no 'goroutine N [STATUS]:' header");
    parse_fails("goroutine profile: total 3\n3 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go:1\n", NULL,
                LF_EINVAL, "line 3: no 'goroutine N [STATUS]:' header");
    parse_fails("panic: x\n\ngoroutine 12 [chan send\nmain.f()\n", NULL, LF_EINVAL,
                "line 3: malformed goroutine header");
    parse_fails("goroutine 1 []:\n", NULL, LF_EINVAL, "line 1: malformed goroutine header");
    parse_fails("goroutine 1[running]:\n", NULL, LF_EINVAL, "line 1: malformed goroutine header");
    parse_fails("goroutine 99999999999999999999 [running]:\n", NULL, LF_EINVAL,
                "line 1: malformed goroutine header");
    parse_fails("goroutine 1 [running]:\nmain.f()\nmain.g()\n\t/a.go:1\n", NULL, LF_EINVAL,
                "line 3: expected '\\tFILE:LINE' after the function on line 2");
    parse_fails("goroutine 1 [running]:\nmain.f()\n\n", NULL, LF_EINVAL,
                "line 3: expected '\\tFILE:LINE' after the function on line 2");
    parse_fails("goroutine 1 [running]:\n\t/a.go:1 +0x1\n", NULL, LF_EINVAL,
                "line 2: file line without a function line");
    parse_fails("goroutine 1 [running]:\nmain.f()\n   \n", NULL, LF_EINVAL,
                "line 3: malformed file line, expected '\\tFILE:LINE'");
    parse_fails("goroutine 1 [running]:\nmain.f()\n\t/a.go:x +0x1\n", NULL, LF_EINVAL,
                "line 3: malformed file line, expected '\\tFILE:LINE'");
    parse_fails("goroutine 1 [running]:\nmain.f()\n\t:12\n", NULL, LF_EINVAL,
                "line 3: malformed file line, expected '\\tFILE:LINE'");
    parse_fails("goroutine 1 [running]:\nmain.f()\n\t/a.go:1\ncreated by main.g\nmain.h()\n", NULL,
                LF_EINVAL, "line 5: expected '\\tFILE:LINE' after 'created by'");
    /* cut off in the middle of a header, not at the end of the input: malformed */
    parse_fails("goroutine 1 [running]:\nmain.main()\n\t/a.go:1\n\ngoroutine 2 [chan\n\n", NULL,
                LF_EINVAL, "line 5: malformed goroutine header");
    /* cut off inside the only header: nothing to analyze */
    parse_fails("panic: x\n\ngoroutine 12 [chan se", NULL, LF_EINVAL,
                "line 3: no 'goroutine N [STATUS]:' header");
}
END_TEST

/* ---- a dump cut off --------------------------------------------------------------- */

/* Parses text whole and byte by byte; expects success, a cut at cut_line (0: none) and
 * the canonical rendering of the last stack. */
static void parse_cut(const char *text, int64_t cut_line, const char *last)
{
    for (int chunking = WHOLE; chunking <= BYTE_BY_BYTE; chunking++) {
        struct collected c = { 0 };
        struct parse_info info = { 0 };
        struct lf_error err = { 0 };
        int rc = parse(text, strlen(text), (enum chunking)chunking, 0, NULL, &c, &info, &err);
        ck_assert_msg(rc == LF_OK, "%s: %s", text, err.msg);
        ck_assert_msg(info.truncated == (cut_line != 0), "%s: truncated %d", text, info.truncated);
        ck_assert_int_eq(info.truncated_line, cut_line);
        ck_assert_uint_ge(c.n, 1);
        ck_assert_str_eq(c.stacks[c.n - 1], last);
        collected_free(&c);
    }
}

START_TEST(test_cut_off)
{
    static const char whole[] = "goroutine 1 [running]:\n"
                                "main.main()\n"
                                "\t/app/main.go:5 +0x18\n"
                                "\n"
                                "goroutine 7 [chan send]:\n"
                                "main.send(0xc000010000)\n"
                                "\t/app/send.go:9 +0x25\n"
                                "main.run()\n"
                                "\t/app/run.go:3 +0x1d\n"
                                "created by main.main in goroutine 1\n"
                                "\t/app/main.go:4 +0x3e\n";
    const char *seven = "id=7 count=1 [chan send] minutes=0 frames=2\n"
                        "main.send /app/send.go:9\nmain.run /app/run.go:3";
    const char *seven_cut = "id=7 count=1 [chan send] minutes=0 truncated frames=1\n"
                            "main.send /app/send.go:9";
    const char *one = "id=1 count=1 [running] minutes=0 frames=1\nmain.main /app/main.go:5";
    /* whole, with or without the last "\n" or a blank line */
    parse_cut(whole, 0, seven);
    char text[sizeof(whole) + 8];
    snprintf(text, sizeof(text), "%.*s", (int)strlen(whole) - 1, whole);
    parse_cut(text, 0, seven);
    /* after main.main's frame, or at the blank line, the main goroutine is whole */
    snprintf(text, sizeof(text), "%.*s", 57, whole);
    ck_assert_str_eq(text + 52, "0x18\n");
    parse_cut(text, 0, one);
    /* a header without frames, a function line without its file line, after a frame */
    parse_cut("goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x18\n\n"
              "goroutine 7 [chan send]:\n",
              5, "id=7 count=1 [chan send] minutes=0 truncated frames=0");
    parse_cut("goroutine 7 [chan send]:\nmain.send(0xc000010000)\n\t/app/send.go:9 +0x25\n"
              "main.run()\n",
              4, seven_cut);
    parse_cut("goroutine 7 [chan send]:\nmain.send(0xc000010000)\n\t/app/send.go:9 +0x25\n", 3,
              seven_cut);
    /* in the middle of a line: a function, a file, the header; "created by" without file */
    parse_cut("goroutine 7 [chan send]:\nmain.send(0xc000010000)\n\t/app/send.go:9 +0x25\nmain.ru",
              4, seven_cut);
    parse_cut("goroutine 7 [chan send]:\nmain.send(0xc000010000)\n\t/app/send.go:9 +0x25\n"
              "main.run()\n\t/app/ru",
              5, seven_cut);
    parse_cut("goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x18\n\ngoroutine 7 [chan", 5,
              one);
    parse_cut("goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x18\n\ngorou", 5, one);
    parse_cut("goroutine 7 [chan send]:\nmain.send(0xc000010000)\n\t/app/send.go:9 +0x25\n"
              "main.run()\n\t/app/run.go:3 +0x1d\ncreated by main.main in goroutine 1",
              6, seven);
    /* the main goroutine cut above main.main */
    parse_cut("goroutine 1 [running]:\nmain.serve()\n\t/app/serve.go:5 +0x18\n", 3,
              "id=1 count=1 [running] minutes=0 truncated frames=1\nmain.serve /app/serve.go:5");
    /* goroutine 0, a thread's system stack, and "stack unavailable" end without more */
    parse_cut("goroutine 0 [idle]:\nruntime.futex()\n\truntime/sys_linux_amd64.s:559 +0x21\n", 0,
              "id=0 count=1 [idle] minutes=0 frames=1\n"
              "runtime.futex runtime/sys_linux_amd64.s:559");
    parse_cut("goroutine 3 [running]:\n\tgoroutine running on other thread; stack unavailable\n", 0,
              "id=3 count=1 [running] minutes=0 frames=0");
    /* a trailer after a whole main goroutine is not a cut */
    parse_cut("goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x18\nexit status 2\n", 0,
              one);
}
END_TEST

/* True when line (a file line cut anywhere) is one the parser takes whole:
 * "\tFILE:DIGITS" with an optional " +0x..." after it. */
static bool file_line_parses(struct str line)
{
    size_t end = line.len;
    for (size_t i = end; i >= 4; i--) {
        if (memcmp(line.p + i - 4, " +0x", 4) == 0) {
            end = i - 4;
            break;
        }
    }
    size_t digits = end;
    while (digits > 0 && line.p[digits - 1] >= '0' && line.p[digits - 1] <= '9')
        digits--;
    return line.len > 0 && line.p[0] == '\t' && digits < end && digits >= 3 &&
           line.p[digits - 1] == ':';
}

static int count_stacks(void *ctx, const struct stack *stack, struct lf_error *err)
{
    (void)stack;
    (void)err;
    (*(size_t *)ctx)++;
    return LF_OK;
}

/* Parses the first cut bytes of buf: expects an error inside the first header (22 bytes),
 * else success with headers goroutines and a cut on line_no unless the text may end there. */
static void check_cut(const char *buf, size_t cut, int64_t line_no, bool may_end, size_t headers)
{
    size_t stacks = 0;
    struct parse_info info = { 0 };
    struct lf_error err = { 0 };
    struct parse_debug2 *parser = parse_debug2_create(NULL, count_stacks, &stacks);
    ck_assert_ptr_nonnull(parser);
    int rc = parse_debug2_feed(parser, buf, cut, &err);
    if (rc == LF_OK)
        rc = parse_debug2_finish(parser, &info, &err);
    parse_debug2_free(parser);
    if (cut < 22) { /* inside "goroutine 1 [running]:" */
        ck_assert_msg(rc == LF_EINVAL, "cut %zu", cut);
        return;
    }
    ck_assert_msg(rc == LF_OK, "cut %zu: %s", cut, err.msg);
    ck_assert_msg(info.truncated == !may_end, "cut %zu (line %lld): truncated %d", cut,
                  (long long)line_no, info.truncated);
    ck_assert_int_eq(info.truncated_line, info.truncated ? line_no : 0);
    ck_assert_int_eq(info.goroutines, (int64_t)headers);
    ck_assert_uint_eq(stacks, headers);
}

/* Cut a real dump after every byte of its first 4 KiB (the main goroutine and eleven
 * others, whole and cut) and at its end: never an error once the first header is whole,
 * every goroutine whose header is whole is counted, and a cut inside a goroutine is
 * reported on its line, except where the text up to the cut is itself a possible end: a
 * blank line, or the file line (as far as it parses) after "created by" or main.main. */
START_TEST(test_cut_at_every_byte)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("leakgen-n2.debug2.txt"), &len);
    size_t line_start = 0, prev_start = 0, headers = 0;
    int64_t line_no = 1;
    ck_assert_uint_gt(len, 4096);
    for (size_t cut = 1; cut <= len; cut++) {
        bool at_newline = buf[cut - 1] == '\n';
        struct str line = str_make(buf + line_start, cut - line_start - (at_newline ? 1 : 0));
        const char *prev = buf + prev_start;
        bool after_end_frame = line_start > 0 && (strncmp(prev, "created by ", 11) == 0 ||
                                                  strncmp(prev, "main.main()\n", 12) == 0);
        bool header_whole = strncmp(line.p, "goroutine ", 10) == 0 &&
                            (at_newline || (cut < len && buf[cut] == '\n'));
        bool may_end = line.len == 0 || (after_end_frame && file_line_parses(line));
        if (cut <= 4096 || cut == len)
            check_cut(buf, cut, line_no, may_end, headers + header_whole);
        if (at_newline) {
            headers += header_whole;
            prev_start = line_start;
            line_start = cut;
            line_no++;
        }
    }
    free(buf);
}
END_TEST

START_TEST(test_line_too_long)
{
    struct parse_limits limits = { .max_line_bytes = 40 };
    parse_fails("goroutine 1 [running]:\nmain.f(0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8)\n", &limits,
                LF_EINVAL, "line 2: longer than 40 bytes");
    /* a last line without "\n" is checked too, and so is a line split across chunks */
    parse_fails("goroutine 1 [running]:\nmain.f()\n\t/a/very/long/path/to/some/file.go:1 +0x1",
                &limits, LF_EINVAL, "line 3: longer than 40 bytes");
}
END_TEST

START_TEST(test_stack_text_cap)
{
    /* 1100 frames of 10000-byte names: under the line and frame caps, over the 8 MiB +
     * two lines of text one goroutine may hold */
    static const char tail[] = "()\n\t/a.go:1 +0x1\n";
    size_t frame = 9998 + sizeof(tail) - 1, len = 32 + 1100 * frame;
    char *text = malloc(len);
    ck_assert_ptr_nonnull(text);
    size_t at = (size_t)snprintf(text, len, "goroutine 1 [running]:\n");
    for (int i = 0; i < 1100; i++) {
        memset(text + at, 'f', 9998);
        memcpy(text + at + 9998, tail, sizeof(tail) - 1);
        at += frame;
    }
    struct parse_limits limits = { .max_frames = 2000 };
    struct collected c = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(text, at, RANDOM, 5, &limits, &c, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "line 2098: goroutine text over 10485760 bytes");
    ck_assert_uint_eq(c.n, 0);
    free(text);
}
END_TEST

START_TEST(test_sink_error_stops)
{
    const char *text = "goroutine 1 [a]:\n\ngoroutine 2 [b]:\n\ngoroutine 3 [c]:\n";
    struct collected c = { .fail_at = 2 };
    struct lf_error err = { 0 };
    struct parse_debug2 *parser = parse_debug2_create(&(struct parse_limits){ 0 }, collect, &c);
    ck_assert_ptr_nonnull(parser);
    ck_assert_int_eq(parse_debug2_feed(parser, text, strlen(text), &err), LF_EIO);
    ck_assert_str_eq(err.msg, "sink refused stack 2");
    ck_assert_uint_eq(c.n, 1);
    ck_assert_int_eq(parse_debug2_feed(parser, "\n", 1, &err), LF_EIO);
    ck_assert_int_eq(parse_debug2_finish(parser, NULL, &err), LF_EIO);
    parse_debug2_free(parser);
    collected_free(&c);
    /* after finish, nothing more is accepted */
    parser = parse_debug2_create(&(struct parse_limits){ 0 }, collect, &c);
    ck_assert_int_eq(parse_debug2_feed(parser, text, 17, &err), LF_OK);
    ck_assert_int_eq(parse_debug2_finish(parser, NULL, &err), LF_OK);
    ck_assert_int_eq(parse_debug2_feed(parser, "x", 1, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "input already finished");
    parse_debug2_free(parser);
    collected_free(&c);
    parse_debug2_free(NULL);
}
END_TEST

START_TEST(test_allocation_failures)
{
    assert_allocation_failures(LF_FIXTURE("shop-n3.sigquit.txt"), 3);
}
END_TEST

static Suite *parse_debug2_suite(void)
{
    Suite *s = suite_create("parse_debug2");
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_shop_debug2);
    tcase_add_test(tc, test_created_by_is_kept);
    tcase_add_test(tc, test_shop_sigquit);
    tcase_add_test(tc, test_leakgen_dumps);
    tcase_add_test(tc, test_real_minutes);
    tcase_add_test(tc, test_panic_crash_details);
    tcase_add_test(tc, test_chunking_is_invisible);
    suite_add_tcase(s, tc);
    tc = tcase_create("grammar");
    tcase_add_test(tc, test_header_variants);
    tcase_add_test(tc, test_frame_variants);
    tcase_add_test(tc, test_preambles_and_trailers);
    tcase_add_test(tc, test_newer_runtime_deadlock);
    tcase_add_test(tc, test_no_blank_lines_and_crlf);
    tcase_add_test(tc, test_space_indented_paste);
    tcase_add_test(tc, test_cgo_bare_function_lines);
    tcase_add_test(tc, test_max_frames);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_cut_off);
    tcase_add_test(tc, test_cut_at_every_byte);
    tcase_add_test(tc, test_line_too_long);
    tcase_add_test(tc, test_stack_text_cap);
    tcase_add_test(tc, test_sink_error_stops);
    tcase_add_test(tc, test_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(parse_debug2_suite)
