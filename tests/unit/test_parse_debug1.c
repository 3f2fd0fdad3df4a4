/* test_parse_debug1.c - unit tests of the debug=1 parser: exact values on the real
 * dumps in tests/fixtures, the same result however the input is chunked, the goroutine
 * leak profile header, Go-quoted labels, and every error with its line number. Each
 * stack is rendered to one canonical string, so a test states the whole stack. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "parse_debug1.h"
#include "testutil.h"
#include "text_harness.h"

/* ---- harness (text_harness.h) ----------------------------------------------------- */

static int collect(void *ctx, const struct stack *stack, struct lf_error *err)
{
    struct collected *c = ctx;
    if (c->fail_at > 0 && (size_t)c->fail_at == c->n + 1)
        return lf_fail(err, LF_EIO, "sink refused stack %zu", c->n + 1);
    ck_assert_int_eq(stack->goroutine_id, -1);
    ck_assert_int_eq(stack->wait_minutes, -1);
    ck_assert_uint_eq(stack->wait_reason.len, 0);
    ck_assert(!stack->locked_to_thread);
    size_t size = 256 + frames_size(stack);
    for (size_t i = 0; i < stack->n_labels; i++)
        size += 8 + stack->labels[i].key.len + stack->labels[i].value.len;
    char *buf = malloc(size);
    ck_assert_ptr_nonnull(buf);
    int w = snprintf(buf, size, "count=%lld%s%s frames=%zu labels=%zu", (long long)stack->count,
                     stack->leaked ? " leaked" : "", stack->truncated ? " truncated" : "",
                     stack->n_frames, stack->n_labels);
    size_t at = (size_t)w;
    for (size_t i = 0; i < stack->n_labels; i++) {
        at = put(buf, size, at, ' ', stack->labels[i].key);
        at = put(buf, size, at, '=', stack->labels[i].value);
    }
    at = put_frames(buf, size, at, stack);
    ck_assert_uint_lt(at, size);
    collected_add(c, buf, stack->count);
    return LF_OK;
}

static int parse(const char *buf, size_t len, enum chunking chunking, unsigned seed,
                 const struct parse_limits *limits, struct collected *c, struct parse_info *info,
                 struct lf_error *err)
{
    struct parse_limits defaults = { 0 };
    struct parse_debug1 *parser = parse_debug1_create(limits ? limits : &defaults, collect, c);
    if (parser == NULL)
        return lf_fail(err, LF_ENOMEM, "create");
    int rc = LF_OK;
    unsigned state = seed;
    for (size_t at = 0, n; rc == LF_OK && at < len; at += n) {
        n = chunk_len(chunking, &state, len - at);
        rc = parse_debug1_feed(parser, buf + at, n, err);
    }
    if (rc == LF_OK)
        rc = parse_debug1_finish(parser, info, err);
    parse_debug1_free(parser);
    return rc;
}

/* ---- real dumps -------------------------------------------------------------------- */

START_TEST(test_shop_debug1)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("shop-n25.debug1.txt"), &len);
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, WHOLE, 0, NULL, &c, &info, &err), LF_OK);
    ck_assert_int_eq(info.format, PARSE_FORMAT_DEBUG1);
    ck_assert_int_eq(info.declared_total, 279);
    ck_assert_int_eq(info.goroutines, 279);
    ck_assert_int_eq(info.stacks, 15);
    ck_assert(!info.leak_profile);
    ck_assert_uint_eq(c.n, 15);
    ck_assert_str_eq(c.stacks[0], "count=25 frames=1 labels=0\n"
                                  "main.nilSend /srv/build/shop/main.go:23");
    ck_assert_str_eq(c.stacks[1], "count=25 frames=1 labels=0\n"
                                  "github.com/acme/shop/internal/queue.(*Queue).work "
                                  "/srv/build/shop/internal/queue/queue.go:13");
    /* main.deep: 32 PCs, the runtime's depth limit, so 29 frames shown and truncated */
    ck_assert(strncmp(c.stacks[2],
                      "count=25 truncated frames=29 labels=0\n"
                      "main.deep /srv/build/shop/main.go:52\n"
                      "main.deep /srv/build/shop/main.go:55\n",
                      strlen("count=25 truncated frames=29 labels=0\n"
                             "main.deep /srv/build/shop/main.go:52\n"
                             "main.deep /srv/build/shop/main.go:55\n")) == 0);
    ck_assert_str_eq(c.stacks[4],
                     "count=25 frames=3 labels=2 handler=checkout tenant=t1\n"
                     "main.labelled.func1 /srv/build/shop/main.go:60\n"
                     "runtime/pprof.Do /usr/lib/go-1.19/src/runtime/pprof/runtime.go:40\n"
                     "main.labelled /srv/build/shop/main.go:59");
    /* several tabs before the file */
    ck_assert_str_eq(c.stacks[7],
                     "count=25 frames=4 labels=0\n"
                     "sync.runtime_SemacquireMutex /usr/lib/go-1.19/src/runtime/sema.go:77\n"
                     "sync.(*Mutex).lockSlow /usr/lib/go-1.19/src/sync/mutex.go:171\n"
                     "sync.(*Mutex).Lock /usr/lib/go-1.19/src/sync/mutex.go:90\n"
                     "main.lockForever /srv/build/shop/main.go:33");
    ck_assert_str_eq(c.stacks[10], "count=25 frames=2 labels=0\n"
                                   "time.Sleep /usr/lib/go-1.19/src/runtime/time.go:195\n"
                                   "main.main.func1 /srv/build/shop/main.go:87");
    ck_assert_str_eq(c.stacks[13], "count=1 frames=1 labels=0\n"
                                   "main.locked /srv/build/shop/main.go:66");
    ck_assert(strncmp(c.stacks[14], "count=1 frames=8 labels=0\nsyscall.Syscall ", 42) == 0);
    size_t truncated = 0;
    for (size_t i = 0; i < c.n; i++)
        truncated += strstr(c.stacks[i], " truncated ") != NULL;
    ck_assert_uint_eq(truncated, 1);
    collected_free(&c);
    free(buf);
}
END_TEST

START_TEST(test_leakgen_debug1)
{
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("leakgen-n2.debug1.txt"), &len);
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, WHOLE, 0, NULL, &c, &info, &err), LF_OK);
    ck_assert_int_eq(info.declared_total, 24);
    ck_assert_int_eq(info.goroutines, 24);
    ck_assert_int_eq(info.stacks, 13);
    /* tenant is "t\"1\n" in Go syntax: decoded to the bytes t " 1 newline */
    ck_assert_str_eq(c.stacks[5], "count=2 frames=3 labels=2 handler=checkout tenant=t\"1\n\n"
                                  "main.labelled.func1 github.com/acme/leakgen/main.go:41\n"
                                  "runtime/pprof.Do runtime/pprof/runtime.go:40\n"
                                  "main.labelled github.com/acme/leakgen/main.go:40");
    ck_assert(strncmp(c.stacks[2], "count=2 truncated frames=29 labels=0\nmain.deep ", 47) == 0);
    collected_free(&c);
    free(buf);
}
END_TEST

START_TEST(test_chunking_is_invisible)
{
    assert_chunking_invisible(LF_FIXTURE("shop-n25.debug1.txt"), 8);
    assert_chunking_invisible(LF_FIXTURE("leakgen-n2.debug1.txt"), 8);
}
END_TEST

/* ---- grammar variants -------------------------------------------------------------- */

START_TEST(test_leak_profile)
{
    /* Go 1.26+ /debug/pprof/goroutineleak?debug=1 */
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    parse_ok("goroutineleak profile: total 3\n"
             "2 @ 0x43b256 0x406d56 0x406c3d 0x6744c5 0x46b2a1\n"
             "#\t0x6744c4\tmain.(*Server).AggregateResults.func1+0x24\t/app/server.go:37\n"
             "\n"
             "1 @ 0x43b256 0x44a90c 0x674537 0x46b2a1\n"
             "#\t0x674536\tmain.forever+0x16\t/app/main.go:31\n"
             "\n",
             &c, &info);
    ck_assert(info.leak_profile);
    ck_assert_int_eq(info.declared_total, 3);
    ck_assert_int_eq(info.goroutines, 3);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_str_eq(c.stacks[0], "count=2 leaked frames=1 labels=0\n"
                                  "main.(*Server).AggregateResults.func1 /app/server.go:37");
    ck_assert_str_eq(c.stacks[1], "count=1 leaked frames=1 labels=0\n"
                                  "main.forever /app/main.go:31");
    collected_free(&c);
}
END_TEST

START_TEST(test_record_variants)
{
    struct collected c = { 0 };
    struct parse_info info = { 0 };
    /* no blank line between records, CRLF, an unsymbolized frame, empty labels, a last
     * record without its blank line or final "\n", 128 PCs (Go 1.23+ depth limit) */
    char text[8192];
    int w = snprintf(text, sizeof(text),
                     "\n"
                     "goroutine profile: total 7\r\n"
                     "3 @ 0x1 0x2\r\n"
                     "# labels: {}\r\n"
                     "#\t0x4b70a4\r\n"
                     "#\t0x4b70a8\tmain.f+0x1\t\t\t/app/f.go:9\r\n"
                     "# some future comment\r\n"
                     "2 @ 0x3\n"
                     "# labels: {\"k\\u00e9\":\"\\U0001F600\\x41\\101\\t\", \"z\":\"\"}\n"
                     "#\t0x3\tmain.g+0x0\t/app/g.go:1\n"
                     "\n"
                     "\n"
                     "2 @");
    for (int i = 0; i < 128; i++)
        w += snprintf(text + w, sizeof(text) - (size_t)w, " 0x%x", 0x400000 + i);
    snprintf(text + w, sizeof(text) - (size_t)w, "\n#\t0x400000\tmain.deep+0x10\t/app/d.go:5");
    parse_ok(text, &c, &info);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.stacks[0], "count=3 frames=2 labels=0\n"
                                  "0x4b70a4 :0\n"
                                  "main.f /app/f.go:9");
    ck_assert_str_eq(c.stacks[1], "count=2 frames=1 labels=2 k\xc3\xa9=\xf0\x9f\x98\x80"
                                  "AA\t z=\n"
                                  "main.g /app/g.go:1");
    ck_assert_str_eq(c.stacks[2], "count=2 truncated frames=1 labels=0\n"
                                  "main.deep /app/d.go:5");
    ck_assert_int_eq(info.declared_total, 7);
    ck_assert_int_eq(info.goroutines, 7);
    collected_free(&c);

    /* a header alone: a profile with no goroutines is valid */
    parse_ok("goroutine profile: total 0\n", &c, &info);
    ck_assert_uint_eq(c.n, 0);
    ck_assert_int_eq(info.stacks, 0);
    collected_free(&c);
}
END_TEST

START_TEST(test_limits)
{
    struct parse_limits frames = { .max_frames = 2 };
    size_t len;
    char *buf = testutil_read_fixture(LF_FIXTURE("shop-n25.debug1.txt"), &len);
    struct collected c = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, RANDOM, 9, &frames, &c, NULL, &err), LF_OK);
    ck_assert_str_eq(c.stacks[7],
                     "count=25 truncated frames=2 labels=0\n"
                     "sync.runtime_SemacquireMutex /usr/lib/go-1.19/src/runtime/sema.go:77\n"
                     "sync.(*Mutex).lockSlow /usr/lib/go-1.19/src/sync/mutex.go:171");
    collected_free(&c);
    free(buf);

    struct parse_limits labels = { .max_labels = 1 };
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\":\"1\", \"b\":\"2\"}\n",
                &labels, LF_EINVAL, "line 3: more than 1 labels");
    struct parse_limits lines = { .max_line_bytes = 30 };
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a/long/path/f.go:1\n",
                &lines, LF_EINVAL, "line 3: longer than 30 bytes");
}
END_TEST

START_TEST(test_record_text_cap)
{
    /* 1100 frames of 10000-byte names, limits NULL (defaults): under the line cap, over
     * the 8 MiB + two lines of text one record may hold (max_frames raised to reach it) */
    static const char tail[] = "+0x1\t/a.go:1\n";
    size_t frame = 8 + 9990 + sizeof(tail) - 1, len = 64 + 1100 * frame;
    char *text = malloc(len);
    ck_assert_ptr_nonnull(text);
    size_t header = (size_t)snprintf(text, len, "goroutine profile: total 1\n1 @ 0x1\n");
    size_t at = header;
    for (int i = 0; i < 1100; i++) {
        memcpy(text + at, "#\t0x1\tf.", 8);
        memset(text + at + 8, 'f', 9990);
        memcpy(text + at + 8 + 9990, tail, sizeof(tail) - 1);
        at += frame;
    }
    struct parse_limits limits = { .max_frames = 2000 };
    struct collected c = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(text, at, RANDOM, 5, &limits, &c, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "line 1051: record text over 10485760 bytes");
    collected_free(&c);
    /* and NULL limits take the defaults: 1024 frames kept, the rest dropped */
    struct parse_debug1 *parser = parse_debug1_create(NULL, collect, &c);
    ck_assert_ptr_nonnull(parser);
    ck_assert_int_eq(parse_debug1_feed(parser, text, header + 1030 * frame, &err), LF_OK);
    ck_assert_int_eq(parse_debug1_finish(parser, NULL, &err), LF_OK);
    parse_debug1_free(parser);
    ck_assert_uint_eq(c.n, 1);
    ck_assert(strncmp(c.stacks[0], "count=1 truncated frames=1024 labels=0\n", 39) == 0);
    collected_free(&c);
    free(text);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------ */

START_TEST(test_malformed)
{
    parse_fails("", NULL, LF_EINVAL, "line 1: empty input");
    parse_fails("\n\n", NULL, LF_EINVAL, "line 2: no 'goroutine profile: total N' header");
    parse_fails("goroutine 1 [running]:\n", NULL, LF_EINVAL,
                "line 1: expected 'goroutine profile: total N'");
    parse_fails("heap profile: total 3\n", NULL, LF_EINVAL,
                "line 1: expected 'goroutine profile: total N'");
    parse_fails("goroutine profile: total x\n", NULL, LF_EINVAL,
                "line 1: bad total in the profile header");
    parse_fails("goroutine profile: total 1\n#\t0x1\tmain.f+0x1\t/a.go:1\n", NULL, LF_EINVAL,
                "line 2: expected 'COUNT @ PC...'");
    parse_fails("goroutine profile: total 1\n99999999999999999999 @ 0x1\n", NULL, LF_EINVAL,
                "line 2: bad count in 'COUNT @ PC...'");
    parse_fails("goroutine profile: total 1\n1 @ 0x1 zz\n", NULL, LF_EINVAL,
                "line 2: bad PC in 'COUNT @ PC...'");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\nmain.f()\n", NULL, LF_EINVAL,
                "line 3: expected a '#' frame line or a blank line");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n#\tmain.f\t/a.go:1\n", NULL, LF_EINVAL,
                "line 3: malformed frame line, expected '#\\t0xPC\\tFUNC\\tFILE:LINE'");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go\n", NULL, LF_EINVAL,
                "line 3: malformed frame line, expected '#\\t0xPC\\tFUNC\\tFILE:LINE'");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n#\t0x1\t\t/a.go:3\n", NULL, LF_EINVAL,
                "line 3: malformed frame line, expected '#\\t0xPC\\tFUNC\\tFILE:LINE'");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\":1}\n", NULL, LF_EINVAL,
                "line 3: malformed label value");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\\q\":\"1\"}\n", NULL,
                LF_EINVAL, "line 3: malformed label key");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\" \"1\"}\n", NULL, LF_EINVAL,
                "line 3: expected ':' after a label key");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\":\"1\"\n", NULL, LF_EINVAL,
                "line 3: expected ', ' or '}' after a label");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\":\"1\"}\n"
                "# labels: {\"b\":\"1\"}\n",
                NULL, LF_EINVAL, "line 4: a second '# labels:' line in one record");
    parse_fails("goroutine profile: total 1\n1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go:1\n"
                "# labels: {\"b\":\"1\"}\n",
                NULL, LF_EINVAL, "line 4: '# labels:' after frame lines");
}
END_TEST

START_TEST(test_sink_error_stops)
{
    const char *text = "goroutine profile: total 2\n1 @ 0x1\n\n1 @ 0x2\n\n";
    struct collected c = { .fail_at = 1 };
    struct lf_error err = { 0 };
    struct parse_debug1 *parser = parse_debug1_create(&(struct parse_limits){ 0 }, collect, &c);
    ck_assert_ptr_nonnull(parser);
    ck_assert_int_eq(parse_debug1_feed(parser, text, strlen(text), &err), LF_EIO);
    ck_assert_str_eq(err.msg, "sink refused stack 1");
    ck_assert_int_eq(parse_debug1_finish(parser, NULL, &err), LF_EIO);
    ck_assert_str_eq(err.msg, "parser stopped by an earlier error");
    parse_debug1_free(parser);
    collected_free(&c);
    /* an error found at the end stops the parser too */
    parser = parse_debug1_create(&(struct parse_limits){ 0 }, collect, &c);
    ck_assert_int_eq(parse_debug1_finish(parser, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "line 1: empty input");
    ck_assert_int_eq(parse_debug1_feed(parser, text, strlen(text), &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parser stopped by an earlier error");
    ck_assert_int_eq(parse_debug1_finish(parser, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parser stopped by an earlier error");
    parse_debug1_free(parser);
    parser = parse_debug1_create(&(struct parse_limits){ 0 }, collect, &c);
    ck_assert_int_eq(parse_debug1_feed(parser, text, strlen(text), &err), LF_OK);
    ck_assert_int_eq(parse_debug1_finish(parser, NULL, &err), LF_OK);
    ck_assert_int_eq(parse_debug1_finish(parser, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "input already finished");
    parse_debug1_free(parser);
    collected_free(&c);
    parse_debug1_free(NULL);
}
END_TEST

START_TEST(test_allocation_failures)
{
    assert_allocation_failures(LF_FIXTURE("shop-n25.debug1.txt"), 4);
}
END_TEST

static Suite *parse_debug1_suite(void)
{
    Suite *s = suite_create("parse_debug1");
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_shop_debug1);
    tcase_add_test(tc, test_leakgen_debug1);
    tcase_add_test(tc, test_chunking_is_invisible);
    suite_add_tcase(s, tc);
    tc = tcase_create("grammar");
    tcase_add_test(tc, test_leak_profile);
    tcase_add_test(tc, test_record_variants);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_record_text_cap);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_sink_error_stops);
    tcase_add_test(tc, test_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(parse_debug1_suite)
