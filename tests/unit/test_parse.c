/* test_parse.c - unit tests of the parse front door: format names, the sniff, gzip
 * detection, every fixture in every chunking, dumps inside other output (after long log
 * lines, indented by a test runner), empty and broken input, the decoded-size
 * cap (a gzip bomb included), sink errors, allocation failures, and that text streams
 * without allocating per goroutine. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "testutil.h"
#include "decode.h"
#include "error.h"
#include "parse.h"
#include "utf8.h"

struct tally {
    int64_t goroutines;
    int64_t stacks;
    int64_t leaked;
    int fail_at; /* the sink fails on this stack (1-based); 0 never */
    char first_function[128];
};

static int tally_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    struct tally *t = ctx;
    if (t->fail_at > 0 && t->stacks + 1 == t->fail_at)
        return lf_fail(err, LF_EIO, "store is full");
    if (t->stacks == 0 && stack->n_frames > 0)
        str_copy_to(stack->frames[0].function, t->first_function, sizeof(t->first_function));
    t->goroutines += stack->count;
    t->stacks++;
    t->leaked += stack->leaked;
    return LF_OK;
}

/* Feeds (buf, len) in chunks of chunk bytes; returns the result of finish or the first
 * error. */
static int parse_chunked(enum parse_format format, const char *buf, size_t len, size_t chunk,
                         const struct parse_limits *limits, struct tally *t,
                         struct parse_info *info, struct lf_error *err)
{
    struct parser *parser = parser_create(format, limits, tally_sink, t);
    if (parser == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory for the parser");
    int rc = LF_OK;
    for (size_t pos = 0; pos < len && rc == LF_OK; pos += chunk) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        rc = parser_feed(parser, buf + pos, n, err);
    }
    if (rc == LF_OK)
        rc = parser_finish(parser, info, err);
    parser_free(parser);
    return rc;
}

START_TEST(test_format_names)
{
    enum parse_format f = PARSE_FORMAT_AUTO;
    ck_assert_str_eq(parse_format_name(PARSE_FORMAT_PPROF), "pprof");
    ck_assert_str_eq(parse_format_name(PARSE_FORMAT_DEBUG1), "debug1");
    ck_assert_str_eq(parse_format_name(PARSE_FORMAT_DEBUG2), "debug2");
    ck_assert_str_eq(parse_format_name(PARSE_FORMAT_AUTO), "auto");
    ck_assert(parse_format_from_name("debug0", &f) && f == PARSE_FORMAT_PPROF);
    ck_assert(parse_format_from_name("pprof", &f) && f == PARSE_FORMAT_PPROF);
    ck_assert(parse_format_from_name("debug1", &f) && f == PARSE_FORMAT_DEBUG1);
    ck_assert(parse_format_from_name("debug2", &f) && f == PARSE_FORMAT_DEBUG2);
    ck_assert(parse_format_from_name("auto", &f) && f == PARSE_FORMAT_AUTO);
    ck_assert(!parse_format_from_name("debug3", &f));
    ck_assert(!parse_format_from_name("", &f));
    ck_assert(!parse_format_from_name(NULL, &f));

    struct parse_limits d = parse_limits_default();
    ck_assert_uint_eq(d.max_decoded_bytes, 64u << 20);
    ck_assert_uint_eq(d.max_line_bytes, 1u << 20);
    ck_assert_uint_eq(d.max_frames, 1024);
    ck_assert_uint_eq(d.max_labels, 64);
}
END_TEST

#define SNIFF(s) parse_sniff(s, sizeof(s) - 1)

START_TEST(test_sniff_text)
{
    ck_assert_int_eq(SNIFF("goroutine profile: total 279\n25 @ 0x43b256\n"), PARSE_FORMAT_DEBUG1);
    ck_assert_int_eq(SNIFF("goroutineleak profile: total 3\n"), PARSE_FORMAT_DEBUG1);
    ck_assert_int_eq(SNIFF("\n\ngoroutine profile: total 1"), PARSE_FORMAT_DEBUG1);
    ck_assert_int_eq(SNIFF("goroutine 295 [chan send]:\nmain.f()\n"), PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("goroutine 7 [chan send (leaked)]:\n"), PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("goroutine 1 gp=0xc000002380 m=0 mp=0x5a7f40 [running]:\n"),
                     PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("panic: runtime error: index out of range\n\ngoroutine 1 [running]:"),
                     PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("fatal error: all goroutines are asleep - deadlock!\n"),
                     PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("SIGQUIT: quit\nPC=0x46d1a1 m=0 sigcode=0\n"), PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("SIGSEGV: segmentation violation\n"), PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("2026/11/25 10:00:00 starting\n2026/11/25 10:00:01 oops\n"
                           "panic: boom\n\ngoroutine 1 [running]:\n"),
                     PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("some log line\ngoroutine 12 [select]:\n"), PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("hello world\nnothing to see\n"), PARSE_FORMAT_AUTO);
    ck_assert_int_eq(SNIFF("goroutine x [running]:\n"), PARSE_FORMAT_AUTO);
    ck_assert_int_eq(SNIFF("goroutines are great\n"), PARSE_FORMAT_AUTO);
    ck_assert_int_eq(SNIFF("SIG: x\n"), PARSE_FORMAT_AUTO);
    ck_assert_int_eq(SNIFF("   \n\t\n"), PARSE_FORMAT_AUTO);
    ck_assert_int_eq(SNIFF("=== RUN   TestX\n  goroutine 7 [running]:\n"), PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(SNIFF("\tgoroutine profile: total 3\n"), PARSE_FORMAT_DEBUG1);
    ck_assert_int_eq(SNIFF("  panic: boom\n"), PARSE_FORMAT_AUTO); /* only the header counts */
    ck_assert_int_eq(parse_sniff(NULL, 0), PARSE_FORMAT_AUTO);
}
END_TEST

START_TEST(test_sniff_fixtures)
{
    static const struct {
        const char *path;
        enum parse_format format;
    } cases[] = {
        { LF_FIXTURE("shop-n25.debug1.txt"), PARSE_FORMAT_DEBUG1 },
        { LF_FIXTURE("shop-n25.debug2.txt"), PARSE_FORMAT_DEBUG2 },
        { LF_FIXTURE("shop-n3.sigquit.txt"), PARSE_FORMAT_DEBUG2 },
        { LF_FIXTURE("leakgen-n2.debug1.txt"), PARSE_FORMAT_DEBUG1 },
        { LF_FIXTURE("leakgen-n1.panic-all.txt"), PARSE_FORMAT_DEBUG2 },
        { LF_FIXTURE("leakgen-n1.panic-crash.txt"), PARSE_FORMAT_DEBUG2 },
        { LF_FIXTURE("leakgen-n1.sigquit-crash.txt"), PARSE_FORMAT_DEBUG2 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *buf = testutil_read_fixture(cases[i].path, &len);
        ck_assert_int_eq(parse_sniff(buf, len), cases[i].format);
        ck_assert_int_eq(parse_sniff(buf, 64), cases[i].format);
        lf_free(buf);
    }
    size_t gz_len = 0, len = 0;
    char *gz = testutil_read_fixture(LF_FIXTURE("shop-n25.pb.gz"), &gz_len);
    char *msg = NULL;
    struct lf_error err;
    ck_assert_int_eq(decode_gunzip_buffer(gz, gz_len, 0, &msg, &len, &err), LF_OK);
    ck_assert_int_eq(parse_sniff(msg, len), PARSE_FORMAT_PPROF);
    ck_assert_int_eq(parse_sniff(msg, 16), PARSE_FORMAT_PPROF);
    /* the caller gunzips first: gzip bytes themselves are not a format */
    ck_assert_int_eq(parse_sniff(gz, gz_len), PARSE_FORMAT_AUTO);
    lf_free(msg);
    lf_free(gz);
}
END_TEST

/* The truth of the shop-n25 dumps (shared fixtures README): 279 goroutines. */
START_TEST(test_every_fixture_every_chunking)
{
    static const struct {
        const char *path;
        enum parse_format format;
        bool gzipped;
        int64_t goroutines;
        int64_t stacks;
        int64_t declared_total;
    } cases[] = {
        { LF_FIXTURE("shop-n25.pb.gz"), PARSE_FORMAT_PPROF, true, 279, 15, -1 },
        { LF_FIXTURE("inline-labels-n10.pb.gz"), PARSE_FORMAT_PPROF, true, 10, 4, -1 },
        { LF_FIXTURE("shop-n25.debug1.txt"), PARSE_FORMAT_DEBUG1, false, 279, 15, 279 },
        { LF_FIXTURE("shop-n25.debug2.txt"), PARSE_FORMAT_DEBUG2, false, 279, 279, -1 },
        { LF_FIXTURE("shop-n3.sigquit.txt"), PARSE_FORMAT_DEBUG2, false, 40, 40, -1 },
        /* the leakgen truths are in tests/fixtures/README.md */
        { LF_FIXTURE("leakgen-n2.debug1.txt"), PARSE_FORMAT_DEBUG1, false, 24, 13, 24 },
        { LF_FIXTURE("leakgen-n2.debug2.txt"), PARSE_FORMAT_DEBUG2, false, 24, 24, -1 },
        { LF_FIXTURE("leakgen-n1.panic-all.txt"), PARSE_FORMAT_DEBUG2, false, 13, 13, -1 },
        { LF_FIXTURE("leakgen-n1.panic-crash.txt"), PARSE_FORMAT_DEBUG2, false, 17, 17, -1 },
        { LF_FIXTURE("leakgen-n1.sigquit-crash.txt"), PARSE_FORMAT_DEBUG2, false, 22, 22, -1 },
        { LF_FIXTURE("leakgen-n1.minutes.debug2.txt"), PARSE_FORMAT_DEBUG2, false, 13, 13, -1 },
    };
    static const size_t chunks[] = { 1, 2, 7, 4095, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *buf = testutil_read_fixture(cases[i].path, &len);
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            for (int explicit_format = 0; explicit_format < 2; explicit_format++) {
                struct tally t = { 0 };
                struct parse_info info;
                struct lf_error err = { 0 };
                enum parse_format asked = explicit_format ? cases[i].format : PARSE_FORMAT_AUTO;
                int rc = parse_chunked(asked, buf, len, chunks[c], NULL, &t, &info, &err);
                ck_assert_msg(rc == LF_OK, "%s chunk %zu: %s", cases[i].path, chunks[c], err.msg);
                ck_assert_int_eq(info.format, cases[i].format);
                ck_assert_int_eq(info.gzipped, cases[i].gzipped);
                ck_assert(!info.leak_profile);
                ck_assert_int_eq(info.goroutines, cases[i].goroutines);
                ck_assert_int_eq(info.stacks, cases[i].stacks);
                ck_assert_int_eq(info.declared_total, cases[i].declared_total);
                ck_assert_int_eq(t.goroutines, cases[i].goroutines);
                ck_assert_int_eq(t.stacks, cases[i].stacks);
                ck_assert_int_eq(t.leaked, 0);
            }
        }
        lf_free(buf);
    }
}
END_TEST

START_TEST(test_gzipped_text_and_members)
{
    size_t len = 0;
    char *text = testutil_read_fixture(LF_FIXTURE("shop-n25.debug2.txt"), &len);
    char *gz = NULL;
    size_t gz_len = 0;
    struct lf_error err;
    ck_assert_int_eq(decode_gzip_buffer(text, len, &gz, &gz_len, &err), LF_OK);
    static const size_t chunks[] = { 1, 3, 1000, 1 << 20 };
    for (size_t c = 0; c < 4; c++) {
        struct tally t = { 0 };
        struct parse_info info;
        ck_assert_int_eq(
                parse_chunked(PARSE_FORMAT_AUTO, gz, gz_len, chunks[c], NULL, &t, &info, &err),
                LF_OK);
        ck_assert_int_eq(info.format, PARSE_FORMAT_DEBUG2);
        ck_assert(info.gzipped);
        ck_assert_int_eq(info.goroutines, 279);
        ck_assert_str_eq(t.first_function, "runtime/pprof.writeGoroutineStacks");
    }

    /* the same text split over two gzip members, cut in the middle of a line */
    char *a = NULL, *b = NULL;
    size_t a_len = 0, b_len = 0, half = len / 2 + 3;
    ck_assert_int_eq(decode_gzip_buffer(text, half, &a, &a_len, &err), LF_OK);
    ck_assert_int_eq(decode_gzip_buffer(text + half, len - half, &b, &b_len, &err), LF_OK);
    char *both = lf_malloc(a_len + b_len);
    ck_assert_ptr_nonnull(both);
    memcpy(both, a, a_len);
    memcpy(both + a_len, b, b_len);
    struct tally t = { 0 };
    struct parse_info info;
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, both, a_len + b_len, NULL, tally_sink, &t, &info, &err),
            LF_OK);
    ck_assert_int_eq(info.goroutines, 279);

    /* a truncated gzip stream */
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, gz, gz_len - 5, NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "truncated gzip stream", 21) == 0, "%s", err.msg);
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, gz, gz_len / 2, NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "truncated gzip stream", 21) == 0, "%s", err.msg);
    lf_free(both);
    lf_free(a);
    lf_free(b);
    lf_free(gz);
    lf_free(text);
}
END_TEST

START_TEST(test_empty_and_unrecognized)
{
    struct tally t = { 0 };
    struct parse_info info;
    struct lf_error err;
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, "", 0, NULL, tally_sink, &t, &info, &err),
                     LF_EINVAL);
    ck_assert_str_eq(err.msg, "empty profile");
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_DEBUG2, "", 0, NULL, tally_sink, &t, &info, &err),
                     LF_EINVAL);
    ck_assert_str_eq(err.msg, "empty profile");
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, " \n\n\t\n", 5, NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_str_eq(err.msg, "empty profile");
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, "x", 1, NULL, tally_sink, &t, &info, &err),
                     LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "unrecognized profile format", 27) == 0, "%s", err.msg);

    char *gz = NULL;
    size_t gz_len = 0;
    ck_assert_int_eq(decode_gzip_buffer("", 0, &gz, &gz_len, &err), LF_OK);
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, gz, gz_len, NULL, tally_sink, &t, &info, &err),
                     LF_EINVAL);
    ck_assert_str_eq(err.msg, "empty profile (gzip of nothing)");
    /* gzip inside gzip */
    char *twice = NULL;
    size_t twice_len = 0;
    ck_assert_int_eq(decode_gzip_buffer(gz, gz_len, &twice, &twice_len, &err), LF_OK);
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, twice, twice_len, NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_str_eq(err.msg, "profile is gzipped twice");
    lf_free(twice);
    lf_free(gz);

    const char *text = "hello\nthis is not a goroutine dump\n";
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, text, strlen(text), NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_str_eq(err.msg, "unrecognized profile format: no pprof message, goroutine profile "
                              "header or goroutine dump in the first 35 bytes");

    /* 70 KB of log lines: scanned to the end; 17 MiB: the scan gives up at 16 MiB */
    size_t big = (size_t)17 << 20;
    char *logs = lf_malloc(big);
    ck_assert_ptr_nonnull(logs);
    for (size_t i = 0; i < big; i++)
        logs[i] = i % 50 == 49 ? '\n' : 'a';
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, logs, 70000, NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "first 70000 bytes") != NULL, "%s", err.msg);
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, logs, big, 65536, NULL, &t, &info, &err),
                     LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "first 16777216 bytes") != NULL, "%s", err.msg);
    lf_free(logs);

    /* random bytes: a clean error, never a crash */
    unsigned char noise[4096];
    uint64_t x = 2463534242ull;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(noise); i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise[i] = (unsigned char)x;
        }
        size_t n = (size_t)(round * 20 + 1);
        memset(&t, 0, sizeof(t));
        int rc =
                parse_chunked(PARSE_FORMAT_AUTO, (const char *)noise, n, 97, NULL, &t, &info, &err);
        ck_assert_msg(rc == LF_EINVAL, "round %d: %d %s", round, rc, err.msg);
    }
}
END_TEST

/* Returns a new buffer: before, then every line of (text, len) with indent in front of it
 * (blank lines left empty), then after. */
static char *embed(const char *before, const char *text, size_t len, const char *indent,
                   const char *after, size_t *out_len)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    size_t cap = strlen(before) + len + lines * strlen(indent) + strlen(after) + 1;
    char *buf = lf_malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t at = 0;
    memcpy(buf, before, strlen(before));
    at += strlen(before);
    bool line_start = true;
    for (size_t i = 0; i < len; i++) {
        if (line_start && text[i] != '\n') {
            memcpy(buf + at, indent, strlen(indent));
            at += strlen(indent);
        }
        buf[at++] = text[i];
        line_start = text[i] == '\n';
    }
    memcpy(buf + at, after, strlen(after));
    at += strlen(after);
    ck_assert_uint_le(at, cap);
    *out_len = at;
    return buf;
}

/* A dump inside other output: after log lines, after one line longer than the head and the
 * text parsers' line cap, and inside a test runner's report with every line indented by two
 * spaces (GoConvey) or a tab; the same stacks as the bare dump, in every chunking. */
START_TEST(test_embedded_dumps)
{
    static const struct {
        const char *path;
        enum parse_format format;
        int64_t goroutines;
        int64_t stacks;
    } dumps[] = {
        { LF_FIXTURE("shop-n25.debug2.txt"), PARSE_FORMAT_DEBUG2, 279, 279 },
        { LF_FIXTURE("shop-n25.debug1.txt"), PARSE_FORMAT_DEBUG1, 279, 15 },
        { LF_FIXTURE("leakgen-n1.panic-all.txt"), PARSE_FORMAT_DEBUG2, 13, 13 },
    };
    size_t junk_len = (size_t)2 << 20; /* one log line of 2 MiB */
    char *junk = lf_malloc(junk_len + 2);
    ck_assert_ptr_nonnull(junk);
    memset(junk, 'x', junk_len);
    memcpy(junk, "{\"level\":\"info\",\"msg\":\"", 23);
    memcpy(junk + junk_len - 2, "\"}", 2);
    junk[junk_len] = '\n';
    junk[junk_len + 1] = '\0';
    const char *runner = "=== RUN   TestShop\n\n  Shop ✘\n\nFailures:\n\n"
                         "  * /src/shop/shop_test.go \n  Line 21: - boom\n";
    const char *runner_end = "\n1 total assertion\n\n--- FAIL: TestShop (0.00s)\nFAIL\n";
    static const size_t chunks[] = { 1, 7, 4095, 4096, 65536, (size_t)8 << 20 };
    for (size_t d = 0; d < sizeof(dumps) / sizeof(dumps[0]); d++) {
        size_t len = 0;
        char *text = testutil_read_fixture(dumps[d].path, &len);
        struct {
            const char *before, *indent, *after;
        } wraps[] = {
            { "2026/11/25 10:00:00 starting\n2026/11/25 10:00:01 oops\n", "", "" },
            { junk, "", "" },
            { runner, "  ", runner_end },
            { runner, "\t", runner_end },
            { junk, "        ", "exit status 2\n" },
        };
        for (size_t w = 0; w < sizeof(wraps) / sizeof(wraps[0]); w++) {
            size_t wrapped_len = 0;
            char *wrapped = embed(wraps[w].before, text, len, wraps[w].indent, wraps[w].after,
                                  &wrapped_len);
            for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
                if (chunks[c] < 4096 && wraps[w].before == junk)
                    continue; /* the 2 MiB line byte by byte adds nothing but time */
                struct tally t = { 0 };
                struct parse_info info;
                struct lf_error err = { 0 };
                int rc = parse_chunked(PARSE_FORMAT_AUTO, wrapped, wrapped_len, chunks[c], NULL, &t,
                                       &info, &err);
                ck_assert_msg(rc == LF_OK, "%s wrap %zu chunk %zu: %s", dumps[d].path, w, chunks[c],
                              err.msg);
                ck_assert_int_eq(info.format, dumps[d].format);
                ck_assert_msg(info.goroutines == dumps[d].goroutines,
                              "%s wrap %zu chunk %zu: %lld goroutines", dumps[d].path, w, chunks[c],
                              (long long)info.goroutines);
                ck_assert_int_eq(t.stacks, dumps[d].stacks);
                ck_assert(!info.truncated);
            }
            lf_free(wrapped);
        }
        lf_free(text);
    }
    lf_free(junk);

    /* errors name the line in the whole input, indentation and all */
    struct tally t = { 0 };
    struct parse_info info;
    struct lf_error err = { 0 };
    const char *bad = "log line\nlog line\n  goroutine 1 [running]:\n  main.f()\n  main.g()\n"
                      "  \t/a.go:1\n";
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, bad, strlen(bad), NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_str_eq(err.msg, "debug=2: line 5: expected '\\tFILE:LINE' after the function on "
                              "line 4");
    /* a debug=1 profile after log lines */
    const char *debug1 = "starting\ngoroutine profile: total 3\n3 @ 0x43b256 0x46b2a1\n"
                         "#\t0x6744c4\tmain.nilSend+0x24\t/srv/build/shop/main.go:23\n";
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, debug1, strlen(debug1), NULL, tally_sink, &t,
                                  &info, &err),
                     LF_OK);
    ck_assert_int_eq(info.goroutines, 3);
    /* indented text that holds no dump is still unrecognized */
    const char *none = "  hello\n\tworld\n  goroutines are great\n";
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, none, strlen(none), NULL, tally_sink, &t, &info, &err),
            LF_EINVAL);
    ck_assert_str_eq(err.msg, "unrecognized profile format: no pprof message, goroutine profile "
                              "header or goroutine dump in the first 38 bytes");
    /* a dump that starts just before 16 MiB is found */
    size_t far = ((size_t)16 << 20) / 100 * 100 - 100; /* whole lines of 100 bytes */
    const char *dump = "goroutine 1 [running]:\nmain.main()\n\t/a.go:1\n";
    char *late = lf_malloc(far + strlen(dump));
    ck_assert_ptr_nonnull(late);
    for (size_t i = 0; i < far; i++)
        late[i] = i % 100 == 99 ? '\n' : 'x';
    memcpy(late + far, dump, strlen(dump));
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, late, far + strlen(dump), 65536, NULL, &t,
                                   &info, &err),
                     LF_OK);
    ck_assert_int_eq(t.goroutines, 1);
    lf_free(late);
}
END_TEST

/* The goroutineleak profile in its three encodings: every stack is the runtime's verdict. */
START_TEST(test_leak_profiles)
{
    size_t len = 0;
    char *gz = testutil_read_fixture(LF_FIXTURE("inline-labels-n10.leak.pb.gz"), &len);
    struct tally t = { 0 };
    struct parse_info info;
    struct lf_error err;
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, gz, len, 100, NULL, &t, &info, &err), LF_OK);
    ck_assert_int_eq(info.format, PARSE_FORMAT_PPROF);
    ck_assert(info.leak_profile);
    ck_assert_int_eq(info.goroutines, 10);
    ck_assert_int_eq(t.stacks, 4);
    ck_assert_int_eq(t.leaked, 4);
    lf_free(gz);

    const char *debug1 = "goroutineleak profile: total 3\n"
                         "3 @ 0x43b256 0x406d56 0x406c3d 0x6744c5 0x46b2a1\n"
                         "#\t0x6744c4\tmain.nilSend+0x24\t/srv/build/shop/main.go:23\n\n";
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, debug1, strlen(debug1), NULL, tally_sink, &t,
                                  &info, &err),
                     LF_OK);
    ck_assert_int_eq(info.format, PARSE_FORMAT_DEBUG1);
    ck_assert(info.leak_profile);
    ck_assert_int_eq(info.declared_total, 3);
    ck_assert_int_eq(t.goroutines, 3);
    ck_assert_int_eq(t.leaked, 1);

    const char *debug2 = "goroutine 7 [chan send (leaked)]:\n"
                         "main.sendNoRecv.func1()\n"
                         "\tex/t.go:11 +0x1e\n"
                         "created by main.sendNoRecv in goroutine 1\n"
                         "\tex/t.go:11 +0x67\n\n";
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, debug2, strlen(debug2), NULL, tally_sink, &t,
                                  &info, &err),
                     LF_OK);
    ck_assert_int_eq(info.format, PARSE_FORMAT_DEBUG2);
    ck_assert_int_eq(t.goroutines, 1);
    ck_assert_int_eq(t.leaked, 1);
    ck_assert_str_eq(t.first_function, "main.sendNoRecv.func1");
}
END_TEST

START_TEST(test_explicit_format_mismatch)
{
    size_t len = 0;
    char *text = testutil_read_fixture(LF_FIXTURE("shop-n25.debug1.txt"), &len);
    struct tally t = { 0 };
    struct parse_info info;
    struct lf_error err;
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_PPROF, text, len, NULL, tally_sink, &t, &info, &err),
                     LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "pprof: ", 7) == 0, "%s", err.msg);
    ck_assert_int_eq(t.stacks, 0);
    lf_free(text);
}
END_TEST

START_TEST(test_caps_and_gzip_bomb)
{
    size_t len = 0;
    char *text = testutil_read_fixture(LF_FIXTURE("shop-n25.debug2.txt"), &len);
    struct tally t = { 0 };
    struct parse_info info;
    struct lf_error err;
    /* plain text streams past the cap; gzipped text and pprof do not */
    struct parse_limits limits = { .max_decoded_bytes = 100000 };
    ck_assert_int_eq(
            parse_buffer(PARSE_FORMAT_AUTO, text, len, &limits, tally_sink, &t, &info, &err),
            LF_OK);
    ck_assert_int_eq(info.goroutines, 279);
    char *gz_text = NULL;
    size_t gz_text_len = 0;
    ck_assert_int_eq(decode_gzip_buffer(text, len, &gz_text, &gz_text_len, &err), LF_OK);
    ck_assert_int_eq(
            parse_chunked(PARSE_FORMAT_AUTO, gz_text, gz_text_len, 4096, &limits, &t, &info, &err),
            LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "gunzipped profile is over the 100000-byte limit");
    lf_free(gz_text);
    lf_free(text);
    size_t pb_len = 0;
    char *pb_gz = testutil_read_fixture(LF_FIXTURE("shop-n25.pb.gz"), &pb_len);
    char *pb = NULL;
    ck_assert_int_eq(decode_gunzip_buffer(pb_gz, pb_len, 0, &pb, &pb_len, &err), LF_OK);
    limits.max_decoded_bytes = 4000; /* the message is 4928 bytes */
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, pb, pb_len, 1000, &limits, &t, &info, &err),
                     LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "pprof message is over the 4000-byte limit");
    /* the message fits, its index tables (about 6 KB) do not */
    limits.max_decoded_bytes = 4928;
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, pb, pb_len, 1000, &limits, &t, &info, &err),
                     LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "pprof: index tables over the 4928-byte limit");
    limits.max_decoded_bytes = 16384;
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, pb, pb_len, 1000, &limits, &t, &info, &err),
                     LF_OK);
    ck_assert_int_eq(t.goroutines, 279);
    ck_assert(!info.gzipped);
    lf_free(pb);
    lf_free(pb_gz);

    /* a pprof string of 128 MiB of zeros: 125 KiB of gzip that would need 128 MiB */
    size_t body = (size_t)128 << 20;
    char *bomb = lf_calloc(body + 8, 1);
    ck_assert_ptr_nonnull(bomb);
    bomb[0] = 0x32; /* string_table, length 128 MiB as a varint */
    bomb[1] = (char)0x80;
    bomb[2] = (char)0x80;
    bomb[3] = (char)0x80;
    bomb[4] = 0x40;
    char *gz = NULL;
    size_t gz_len = 0;
    ck_assert_int_eq(decode_gzip_buffer(bomb, body + 5, &gz, &gz_len, &err), LF_OK);
    lf_free(bomb);
    ck_assert_uint_lt(gz_len, 200 * 1024);
    memset(&t, 0, sizeof(t));
    limits.max_decoded_bytes = (size_t)4 << 20;
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, gz, gz_len, 65536, &limits, &t, &info, &err),
                     LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "gunzipped profile is over the 4194304-byte limit");
    /* with the default 64 MiB cap too */
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, gz, gz_len, NULL, tally_sink, &t, &info, &err),
                     LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "gunzipped profile is over the 67108864-byte limit");
    lf_free(gz);
}
END_TEST

START_TEST(test_sink_error_and_sticky_failure)
{
    size_t len = 0;
    char *text = testutil_read_fixture(LF_FIXTURE("shop-n25.debug1.txt"), &len);
    struct tally t = { .fail_at = 2 };
    struct lf_error err;
    struct parser *parser = parser_create(PARSE_FORMAT_AUTO, NULL, tally_sink, &t);
    ck_assert_ptr_nonnull(parser);
    int rc = parser_feed(parser, text, len, &err);
    if (rc == LF_OK)
        rc = parser_finish(parser, NULL, &err);
    ck_assert_int_eq(rc, LF_EIO);
    ck_assert_str_eq(err.msg, "store is full");
    ck_assert_int_eq(t.stacks, 1);
    /* after an error the parser accepts nothing more */
    ck_assert_int_eq(parser_finish(parser, NULL, &err), LF_EIO);
    lf_error_clear(&err);
    ck_assert_int_eq(parser_feed(parser, "x", 1, &err), LF_EIO);
    ck_assert_str_eq(err.msg, "store is full");
    parser_free(parser);
    /* nor after it has finished: input or a second finish is a caller's mistake */
    memset(&t, 0, sizeof(t));
    parser = parser_create(PARSE_FORMAT_AUTO, NULL, tally_sink, &t);
    ck_assert_ptr_nonnull(parser);
    ck_assert_int_eq(parser_feed(parser, text, len, &err), LF_OK);
    ck_assert_int_eq(parser_finish(parser, NULL, &err), LF_OK);
    ck_assert_int_eq(parser_feed(parser, "x", 1, &err), LF_EINTERNAL);
    ck_assert_str_eq(err.msg, "parser fed after finish");
    ck_assert_int_eq(parser_finish(parser, NULL, NULL), LF_EINTERNAL);
    ck_assert_int_eq(parser_finish(parser, NULL, &err), LF_EINTERNAL);
    ck_assert_str_eq(err.msg, "parser finished twice");
    parser_free(parser);

    size_t gz_len = 0;
    char *gz = testutil_read_fixture(LF_FIXTURE("shop-n25.pb.gz"), &gz_len);
    memset(&t, 0, sizeof(t));
    t.fail_at = 3;
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, gz, gz_len, NULL, tally_sink, &t, NULL, &err),
                     LF_EIO);
    ck_assert_str_eq(err.msg, "store is full");

    /* no sink: a validating parse that only fills info */
    struct parse_info info;
    ck_assert_int_eq(parse_buffer(PARSE_FORMAT_AUTO, gz, gz_len, NULL, NULL, NULL, &info, &err),
                     LF_OK);
    ck_assert_int_eq(info.goroutines, 279);
    lf_free(gz);
    lf_free(text);
}
END_TEST

START_TEST(test_allocation_failures)
{
    static const char *paths[] = { LF_FIXTURE("shop-n25.pb.gz"), LF_FIXTURE("shop-n25.debug1.txt"),
                                   LF_FIXTURE("shop-n3.sigquit.txt") };
    for (size_t i = 0; i < 3; i++) {
        size_t len = 0;
        char *buf = testutil_read_fixture(paths[i], &len);
        int ok = 0;
        for (long n = 0; n < 40; n++) {
            struct tally t = { 0 };
            struct lf_error err;
            lf_alloc_fail_after(n);
            int rc = parse_chunked(PARSE_FORMAT_AUTO, buf, len, 1000, NULL, &t, NULL, &err);
            lf_alloc_fail_after(-1);
            ck_assert_msg(rc == LF_OK || rc == LF_ENOMEM, "%s n=%ld: %d %s", paths[i], n, rc,
                          err.msg);
            ok += rc == LF_OK;
        }
        ck_assert_int_gt(ok, 0);
        lf_free(buf);
    }
}
END_TEST

/* n goroutines blocked in chan send, as ?debug=2 prints them. */
static char *make_debug2(size_t n, size_t *len)
{
    static const char block[] = "goroutine %zu [chan send, 3 minutes]:\n"
                                "main.worker(0xc000012345)\n"
                                "\t/srv/app/main.go:42 +0x3d\n"
                                "created by main.main in goroutine 1\n"
                                "\t/srv/app/main.go:80 +0x85\n\n";
    size_t cap = n * (sizeof(block) + 24) + 64, used = 0;
    char *buf = lf_malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, cap - used, block, i + 1);
        ck_assert(w > 0 && (size_t)w < cap - used);
        used += (size_t)w;
    }
    *len = used;
    return buf;
}

START_TEST(test_text_streams_without_per_goroutine_allocation)
{
    long allocations[2];
    size_t sizes[2] = { 1000, 20000 };
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        char *text = make_debug2(sizes[i], &len);
        struct tally t = { 0 };
        struct parse_info info;
        struct lf_error err;
        lf_alloc_fail_after(LONG_MAX);
        int rc = parse_chunked(PARSE_FORMAT_AUTO, text, len, 65536, NULL, &t, &info, &err);
        allocations[i] = lf_alloc_count();
        lf_alloc_fail_after(-1);
        ck_assert_msg(rc == LF_OK, "%s", err.msg);
        ck_assert_int_eq(info.goroutines, (int64_t)sizes[i]);
        ck_assert_int_eq(t.stacks, (int64_t)sizes[i]);
        lf_free(text);
    }
    /* 20x the goroutines, the same allocations */
    ck_assert_msg(allocations[1] == allocations[0], "%ld vs %ld", allocations[0], allocations[1]);
    ck_assert_int_lt(allocations[1], 40);
}
END_TEST

/* The preamble of a crash dump: what a panic or a signal says before the goroutines,
 * sniffed or with the format given, and nothing for dumps without one. */
START_TEST(test_crash_message)
{
    static const struct {
        const char *path;
        const char *crash;
    } cases[] = {
        { LF_FIXTURE("leakgen-n1.panic-all.txt"),
          "panic: runtime error: invalid memory address or nil pointer dereference\n"
          "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4b7e1b]" },
        { LF_FIXTURE("leakgen-n1.panic-crash.txt"),
          "panic: runtime error: invalid memory address or nil pointer dereference\n"
          "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4b7e1b]" },
        { LF_FIXTURE("leakgen-n1.sigquit-crash.txt"), "SIGQUIT: quit\nPC=0x464ce1 m=0 sigcode=0" },
        { LF_FIXTURE("shop-n25.debug2.txt"), "" },
        { LF_FIXTURE("leakgen-n2.debug2.txt"), "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *buf = testutil_read_fixture(cases[i].path, &len);
        for (int explicit_format = 0; explicit_format < 2; explicit_format++) {
            for (size_t chunk = 1; chunk <= 1 << 20; chunk *= 1024) {
                struct tally t = { 0 };
                struct parse_info info;
                struct lf_error err = { 0 };
                int rc = parse_chunked(explicit_format ? PARSE_FORMAT_DEBUG2 : PARSE_FORMAT_AUTO,
                                       buf, len, chunk, NULL, &t, &info, &err);
                ck_assert_msg(rc == LF_OK, "%s: %s", cases[i].path, err.msg);
                ck_assert_str_eq(info.crash, cases[i].crash);
            }
        }
        lf_free(buf);
    }
    /* after log lines; a long message is cut on a character boundary; no more than 8 lines */
    char dump[8192];
    size_t n = 0;
    n += (size_t)snprintf(dump + n, sizeof(dump) - n, "starting\npanic: ");
    for (int i = 0; i < 400; i++)
        n += (size_t)snprintf(dump + n, sizeof(dump) - n, "\xc3\xa9");
    n += (size_t)snprintf(dump + n, sizeof(dump) - n, " [recovered]\n");
    for (int i = 0; i < 10; i++)
        n += (size_t)snprintf(dump + n, sizeof(dump) - n, "\tpanic: %d\n", i);
    n += (size_t)snprintf(dump + n, sizeof(dump) - n,
                          "\ngoroutine 1 [running]:\nmain.main()\n\t/a/main.go:3 +0x1\n");
    struct tally t = { 0 };
    struct parse_info info;
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, dump, n, n, NULL, &t, &info, &err), LF_OK);
    ck_assert(utf8_valid(info.crash, strlen(info.crash)));
    ck_assert_uint_le(strlen(info.crash), PARSE_CRASH_MAX - 1);
    ck_assert_ptr_nonnull(strstr(info.crash, "panic: \xc3\xa9"));
    ck_assert_ptr_nonnull(strstr(info.crash, " [recovered]\n\tpanic: 0\n"));
    ck_assert_ptr_nonnull(strstr(info.crash, "\tpanic: 6"));
    ck_assert_ptr_null(strstr(info.crash, "\tpanic: 7"));
    ck_assert_ptr_null(strstr(info.crash, "starting"));

    n = (size_t)snprintf(dump, sizeof(dump), "fatal error: x");
    for (int i = 0; i < 700; i++)
        n += (size_t)snprintf(dump + n, sizeof(dump) - n, "\xc3\xa9");
    n += (size_t)snprintf(dump + n, sizeof(dump) - n,
                          "\xff\n\ngoroutine 1 [running]:\nmain.main()\n"
                          "\t/a/main.go:3 +0x1\n");
    ck_assert_int_eq(parse_chunked(PARSE_FORMAT_AUTO, dump, n, 7, NULL, &t, &info, &err), LF_OK);
    ck_assert(utf8_valid(info.crash, strlen(info.crash)));
    ck_assert_uint_ge(strlen(info.crash), PARSE_CRASH_MAX - 3);
    ck_assert_uint_le(strlen(info.crash), PARSE_CRASH_MAX - 1);
    ck_assert_ptr_nonnull(strstr(info.crash, "fatal error: x\xc3\xa9"));
}
END_TEST

static Suite *parse_suite(void)
{
    Suite *s = suite_create("parse");
    TCase *names = tcase_create("names and sniff");
    tcase_add_test(names, test_format_names);
    tcase_add_test(names, test_sniff_text);
    tcase_add_test(names, test_sniff_fixtures);
    suite_add_tcase(s, names);
    TCase *parse = tcase_create("parser");
    tcase_set_timeout(parse, 120);
    tcase_add_test(parse, test_every_fixture_every_chunking);
    tcase_add_test(parse, test_gzipped_text_and_members);
    tcase_add_test(parse, test_empty_and_unrecognized);
    tcase_add_test(parse, test_embedded_dumps);
    tcase_add_test(parse, test_leak_profiles);
    tcase_add_test(parse, test_explicit_format_mismatch);
    tcase_add_test(parse, test_caps_and_gzip_bomb);
    tcase_add_test(parse, test_sink_error_and_sticky_failure);
    tcase_add_test(parse, test_allocation_failures);
    tcase_add_test(parse, test_text_streams_without_per_goroutine_allocation);
    tcase_add_test(parse, test_crash_message);
    suite_add_tcase(s, parse);
    return s;
}

LF_CHECK_MAIN(parse_suite)
