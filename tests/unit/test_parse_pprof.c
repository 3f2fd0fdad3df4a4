/* test_parse_pprof.c - unit tests of the pprof parser: exact samples, frames (inlined
 * ones too) and labels of the real fixtures as `go tool pprof -raw` shows them, the
 * goroutineleak sample type, caps, and malformed messages built with a tiny encoder. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "testutil.h"
#include "decode.h"
#include "error.h"
#include "parse.h"
#include "parse_pprof.h"
#include "str.h"

/* ---- helpers -------------------------------------------------------------------------- */

/* The gunzipped message of a .pb.gz fixture (caller frees with lf_free). */
static char *read_profile(const char *path, size_t *len)
{
    size_t gz_len = 0;
    char *gz = testutil_read_fixture(path, &gz_len);
    char *out = NULL;
    struct lf_error err;
    ck_assert_int_eq(decode_gunzip_buffer(gz, gz_len, 1 << 24, &out, len, &err), LF_OK);
    lf_free(gz);
    return out;
}

/* What the sink saw: a copy of a few stacks, enough to check exact values. */
#define MAX_KEPT        64
#define MAX_KEPT_FRAMES 40

struct kept_stack {
    int64_t count;
    int64_t goroutine_id;
    int64_t wait_minutes;
    bool leaked;
    bool truncated;
    bool wait_reason_empty;
    size_t n_frames;
    char function[MAX_KEPT_FRAMES][96];
    char file[MAX_KEPT_FRAMES][96];
    int64_t line[MAX_KEPT_FRAMES];
    size_t n_labels;
    char label[4][64]; /* "key=value" */
};

struct seen {
    size_t n;
    int64_t total;
    struct kept_stack stacks[MAX_KEPT];
    int fail_at; /* return LF_EIO on this stack (1-based); 0 never */
};

static int keep_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    struct seen *seen = ctx;
    if (seen->fail_at > 0 && (size_t)seen->fail_at == seen->n + 1)
        return lf_fail(err, LF_EIO, "sink refused stack %zu", seen->n + 1);
    seen->total += stack->count;
    if (seen->n < MAX_KEPT) {
        struct kept_stack *k = &seen->stacks[seen->n];
        k->count = stack->count;
        k->goroutine_id = stack->goroutine_id;
        k->wait_minutes = stack->wait_minutes;
        k->leaked = stack->leaked;
        k->truncated = stack->truncated;
        k->wait_reason_empty = stack->wait_reason.len == 0;
        k->n_frames = stack->n_frames;
        for (size_t i = 0; i < stack->n_frames && i < MAX_KEPT_FRAMES; i++) {
            str_copy_to(stack->frames[i].function, k->function[i], sizeof(k->function[i]));
            str_copy_to(stack->frames[i].file, k->file[i], sizeof(k->file[i]));
            k->line[i] = stack->frames[i].line;
        }
        k->n_labels = stack->n_labels;
        for (size_t i = 0; i < stack->n_labels && i < 4; i++) {
            char key[32], value[32];
            str_copy_to(stack->labels[i].key, key, sizeof(key));
            str_copy_to(stack->labels[i].value, value, sizeof(value));
            snprintf(k->label[i], sizeof(k->label[i]), "%s=%s", key, value);
        }
    }
    seen->n++;
    return LF_OK;
}

static void assert_frame(const struct kept_stack *k, size_t i, const char *function,
                         const char *file, int64_t line)
{
    ck_assert_uint_lt(i, k->n_frames);
    ck_assert_str_eq(k->function[i], function);
    ck_assert_str_eq(k->file[i], file);
    ck_assert_int_eq(k->line[i], line);
}

/* A protobuf writer for hand-made messages. */
struct pbw {
    unsigned char buf[4096];
    size_t len;
};

static void w_raw(struct pbw *w, const void *p, size_t len)
{
    ck_assert_uint_le(w->len + len, sizeof(w->buf));
    memcpy(w->buf + w->len, p, len);
    w->len += len;
}

static void w_varint(struct pbw *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;
    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v != 0)
            b[n] |= 0x80;
        n++;
    } while (v != 0);
    w_raw(w, b, n);
}

static void w_uint(struct pbw *w, unsigned field, uint64_t v)
{
    w_varint(w, (uint64_t)field << 3);
    w_varint(w, v);
}

static void w_bytes(struct pbw *w, unsigned field, const void *p, size_t len)
{
    w_varint(w, (uint64_t)field << 3 | 2);
    w_varint(w, len);
    w_raw(w, p, len);
}

static void w_msg(struct pbw *w, unsigned field, const struct pbw *sub)
{
    w_bytes(w, field, sub->buf, sub->len);
}

static void w_str(struct pbw *w, const char *s)
{
    w_bytes(w, 6, s, strlen(s));
}

/* Knobs to break a hand-made profile in one place. */
struct shape {
    const char *sample_type;
    uint64_t line_function_id; /* for location 2 */
    uint64_t sample_location;  /* the second location id of the sample */
    uint64_t function_name;    /* string index of function 1's name */
    bool packed;
    bool no_value;
    bool strings_first;
};

static const struct shape good_shape = { "goroutine", 1, 2, 3, true, false, false };

/* strings: 0 "" 1 type 2 "count" 3 "main.f" 4 "/m.go" 5 "runtime.gopark" 6 "k" 7 "v"
 * function 1 main.f, function 2 runtime.gopark; location 1 = gopark:10, location 2 =
 * main.f:20; one sample of 7 goroutines at [1, 2] with label k=v. */
static void build_profile(struct pbw *w, const struct shape *s)
{
    struct pbw sub, inner;
    memset(w, 0, sizeof(*w));
    if (s->strings_first) {
        const char *strings[] = { "",      s->sample_type,   "count", "main.f",
                                  "/m.go", "runtime.gopark", "k",     "v" };
        for (size_t i = 0; i < 8; i++)
            w_str(w, strings[i]);
    }
    memset(&sub, 0, sizeof(sub));
    w_uint(&sub, 1, 1);
    w_uint(&sub, 2, 2);
    w_msg(w, 1, &sub); /* sample_type */

    memset(&sub, 0, sizeof(sub));
    if (s->packed) {
        memset(&inner, 0, sizeof(inner));
        w_varint(&inner, 1);
        w_varint(&inner, s->sample_location);
        w_msg(&sub, 1, &inner);
        if (!s->no_value) {
            memset(&inner, 0, sizeof(inner));
            w_varint(&inner, 7);
            w_msg(&sub, 2, &inner);
        }
    } else {
        w_uint(&sub, 1, 1);
        w_uint(&sub, 1, s->sample_location);
        if (!s->no_value)
            w_uint(&sub, 2, 7);
    }
    memset(&inner, 0, sizeof(inner));
    w_uint(&inner, 1, 6);
    w_uint(&inner, 2, 7);
    w_msg(&sub, 3, &inner);
    w_msg(w, 2, &sub); /* sample */

    for (uint64_t id = 1; id <= 2; id++) {
        memset(&sub, 0, sizeof(sub));
        w_uint(&sub, 1, id);
        w_uint(&sub, 3, 0x401000 + id); /* address, skipped */
        memset(&inner, 0, sizeof(inner));
        w_uint(&inner, 1, id == 1 ? 2 : s->line_function_id);
        w_uint(&inner, 2, id == 1 ? 10 : 20);
        w_msg(&sub, 4, &inner);
        w_msg(w, 4, &sub); /* location */
    }
    memset(&sub, 0, sizeof(sub));
    w_uint(&sub, 1, 1);
    w_uint(&sub, 2, s->function_name);
    w_uint(&sub, 4, 4);
    w_msg(w, 5, &sub);
    memset(&sub, 0, sizeof(sub));
    w_uint(&sub, 1, 2);
    w_uint(&sub, 2, 5);
    w_uint(&sub, 4, 4);
    w_msg(w, 5, &sub); /* functions */
    if (!s->strings_first) {
        const char *strings[] = { "",      s->sample_type,   "count", "main.f",
                                  "/m.go", "runtime.gopark", "k",     "v" };
        for (size_t i = 0; i < 8; i++)
            w_str(w, strings[i]);
    }
    w_uint(w, 9, 1700000000000000000ull); /* time_nanos */
}

static int parse_shape(const struct shape *s, struct seen *seen, struct parse_info *info,
                       struct lf_error *err)
{
    struct pbw w;
    build_profile(&w, s);
    memset(seen, 0, sizeof(*seen));
    return parse_pprof((const char *)w.buf, w.len, NULL, keep_sink, seen, info, err);
}

/* ---- real profiles -------------------------------------------------------------------- */

START_TEST(test_shop_fixture)
{
    size_t len = 0;
    char *msg = read_profile(LF_FIXTURE("shop-n25.pb.gz"), &len);
    ck_assert(parse_pprof_sniff(msg, len));
    static struct seen seen;
    memset(&seen, 0, sizeof(seen));
    struct parse_info info;
    struct lf_error err;
    ck_assert_int_eq(parse_pprof(msg, len, NULL, keep_sink, &seen, &info, &err), LF_OK);
    ck_assert_int_eq(info.format, PARSE_FORMAT_PPROF);
    ck_assert(!info.leak_profile);
    ck_assert_int_eq(info.declared_total, -1);
    ck_assert_int_eq(info.goroutines, 279);
    ck_assert_int_eq(info.stacks, 15);
    ck_assert(info.time_nanos == 1795363634290792506ll);
    ck_assert_uint_eq(seen.n, 15);
    ck_assert_int_eq(seen.total, 279);

    /* 25: 1 2 3 4 */
    const struct kept_stack *k = &seen.stacks[0];
    ck_assert_int_eq(k->count, 25);
    ck_assert_int_eq(k->goroutine_id, -1);
    ck_assert_int_eq(k->wait_minutes, -1);
    ck_assert(k->wait_reason_empty);
    ck_assert(!k->leaked && !k->truncated);
    ck_assert_uint_eq(k->n_frames, 4);
    ck_assert_uint_eq(k->n_labels, 0);
    assert_frame(k, 0, "runtime.gopark", "/usr/lib/go-1.19/src/runtime/proc.go", 363);
    assert_frame(k, 1, "runtime.chansend", "/usr/lib/go-1.19/src/runtime/chan.go", 165);
    assert_frame(k, 2, "runtime.chansend1", "/usr/lib/go-1.19/src/runtime/chan.go", 145);
    assert_frame(k, 3, "main.nilSend", "/srv/build/shop/main.go", 23);

    /* 25: 1 5 3 6: the queue worker */
    k = &seen.stacks[1];
    ck_assert_uint_eq(k->n_frames, 4);
    assert_frame(k, 1, "runtime.chansend", "/usr/lib/go-1.19/src/runtime/chan.go", 259);
    assert_frame(k, 3, "github.com/acme/shop/internal/queue.(*Queue).work",
                 "/srv/build/shop/internal/queue/queue.go", 13);

    /* main.deep: cut at the runtime's 32 frames */
    k = &seen.stacks[2];
    ck_assert_int_eq(k->count, 25);
    ck_assert_uint_eq(k->n_frames, 32);
    ck_assert(k->truncated);
    assert_frame(k, 3, "main.deep", "/srv/build/shop/main.go", 52);
    for (size_t i = 4; i < 32; i++)
        assert_frame(k, i, "main.deep", "/srv/build/shop/main.go", 55);

    /* the labelled goroutines: labels in wire order */
    k = &seen.stacks[4];
    ck_assert_int_eq(k->count, 25);
    ck_assert_uint_eq(k->n_frames, 6);
    ck_assert_uint_eq(k->n_labels, 2);
    ck_assert_str_eq(k->label[0], "handler=checkout");
    ck_assert_str_eq(k->label[1], "tenant=t1");
    assert_frame(k, 3, "main.labelled.func1", "/srv/build/shop/main.go", 60);
    assert_frame(k, 4, "runtime/pprof.Do", "/usr/lib/go-1.19/src/runtime/pprof/runtime.go", 40);
    assert_frame(k, 5, "main.labelled", "/srv/build/shop/main.go", 59);

    /* 25: 1 18 22 23 24: two locations with two lines each (inlined calls) */
    k = &seen.stacks[7];
    ck_assert_int_eq(k->count, 25);
    ck_assert_uint_eq(k->n_frames, 7);
    assert_frame(k, 0, "runtime.gopark", "/usr/lib/go-1.19/src/runtime/proc.go", 363);
    assert_frame(k, 1, "runtime.goparkunlock", "/usr/lib/go-1.19/src/runtime/proc.go", 369);
    assert_frame(k, 2, "runtime.semacquire1", "/usr/lib/go-1.19/src/runtime/sema.go", 150);
    assert_frame(k, 3, "sync.runtime_SemacquireMutex", "/usr/lib/go-1.19/src/runtime/sema.go", 77);
    assert_frame(k, 4, "sync.(*Mutex).lockSlow", "/usr/lib/go-1.19/src/sync/mutex.go", 171);
    assert_frame(k, 5, "sync.(*Mutex).Lock", "/usr/lib/go-1.19/src/sync/mutex.go", 90);
    assert_frame(k, 6, "main.lockForever", "/srv/build/shop/main.go", 33);

    /* the profile writer, the only stack without runtime.gopark on top */
    k = &seen.stacks[11];
    ck_assert_int_eq(k->count, 1);
    ck_assert_uint_eq(k->n_frames, 11);
    assert_frame(k, 0, "runtime.goroutineProfileWithLabels",
                 "/usr/lib/go-1.19/src/runtime/mprof.go", 858);
    assert_frame(k, 10, "net/http.(*conn).serve", "/usr/lib/go-1.19/src/net/http/server.go", 1991);

    /* 1: 54 .. 59: location 56 holds three lines */
    k = &seen.stacks[14];
    ck_assert_int_eq(k->count, 1);
    ck_assert_uint_eq(k->n_frames, 8);
    assert_frame(k, 2, "syscall.Read", "/usr/lib/go-1.19/src/syscall/syscall_unix.go", 183);
    assert_frame(k, 3, "internal/poll.ignoringEINTRIO",
                 "/usr/lib/go-1.19/src/internal/poll/fd_unix.go", 794);
    assert_frame(k, 4, "internal/poll.(*FD).Read", "/usr/lib/go-1.19/src/internal/poll/fd_unix.go",
                 163);
    assert_frame(k, 7, "net/http.(*connReader).backgroundRead",
                 "/usr/lib/go-1.19/src/net/http/server.go", 678);
    lf_free(msg);
}
END_TEST

START_TEST(test_inline_labels_fixture)
{
    size_t len = 0;
    char *msg = read_profile(LF_FIXTURE("inline-labels-n10.pb.gz"), &len);
    static struct seen seen;
    memset(&seen, 0, sizeof(seen));
    struct parse_info info;
    struct lf_error err;
    ck_assert_int_eq(parse_pprof(msg, len, NULL, keep_sink, &seen, &info, &err), LF_OK);
    ck_assert_int_eq(info.goroutines, 10);
    ck_assert_int_eq(info.stacks, 4);
    ck_assert_uint_eq(seen.n, 4);

    const struct kept_stack *k = &seen.stacks[0];
    ck_assert_int_eq(k->count, 4);
    ck_assert_uint_eq(k->n_labels, 2);
    ck_assert_str_eq(k->label[0], "handler=report");
    ck_assert_str_eq(k->label[1], "tenant=t9");
    assert_frame(k, 3, "main.labelled.func1", "example.com/inl/main.go", 31);
    assert_frame(k, 4, "runtime/pprof.Do", "runtime/pprof/runtime.go", 40);

    /* main.push inlined into main.producer: one location, two frames, innermost first */
    k = &seen.stacks[1];
    ck_assert_int_eq(k->count, 3);
    ck_assert_uint_eq(k->n_frames, 5);
    ck_assert_uint_eq(k->n_labels, 0);
    assert_frame(k, 0, "runtime.gopark", "runtime/proc.go", 363);
    assert_frame(k, 1, "runtime.chansend", "runtime/chan.go", 259);
    assert_frame(k, 2, "runtime.chansend1", "runtime/chan.go", 145);
    assert_frame(k, 3, "main.push", "example.com/inl/main.go", 17);
    assert_frame(k, 4, "main.producer", "example.com/inl/main.go", 21);

    k = &seen.stacks[2];
    ck_assert_int_eq(k->count, 2);
    ck_assert_uint_eq(k->n_frames, 7);
    assert_frame(k, 5, "sync.(*Mutex).Lock", "sync/mutex.go", 90);
    assert_frame(k, 6, "main.mutexWaiter", "example.com/inl/main.go", 25);

    k = &seen.stacks[3];
    ck_assert_int_eq(k->count, 1);
    assert_frame(k, 5, "main.main", "example.com/inl/main.go", 60);
    assert_frame(k, 6, "runtime.main", "runtime/proc.go", 250);
    lf_free(msg);
}
END_TEST

/* Re-encodes a real profile with every "goroutine" string renamed to "goroutineleak":
 * the sample type Go 1.26+ writes for /debug/pprof/goroutineleak. */
static char *as_leak_profile(const char *msg, size_t len, size_t *out_len)
{
    char *out = lf_malloc(len + 64);
    ck_assert_ptr_nonnull(out);
    size_t n = 0, pos = 0, renamed = 0;
    const unsigned char *p = (const unsigned char *)msg;
    while (pos < len) {
        size_t start = pos;
        uint64_t key = 0, v = 0;
        for (int shift = 0;; shift += 7) {
            key |= (uint64_t)(p[pos] & 0x7f) << shift;
            if ((p[pos++] & 0x80) == 0)
                break;
        }
        int wire = (int)(key & 7);
        if (wire == 0) {
            while (p[pos++] & 0x80)
                ;
        } else {
            ck_assert_int_eq(wire, 2);
            for (int shift = 0;; shift += 7) {
                v |= (uint64_t)(p[pos] & 0x7f) << shift;
                if ((p[pos++] & 0x80) == 0)
                    break;
            }
            if ((key >> 3) == 6 && v == 9 && memcmp(p + pos, "goroutine", 9) == 0) {
                out[n++] = 0x32;
                out[n++] = 13;
                memcpy(out + n, "goroutineleak", 13);
                n += 13;
                pos += 9;
                renamed++;
                continue;
            }
            pos += v;
        }
        memcpy(out + n, p + start, pos - start);
        n += pos - start;
    }
    ck_assert_uint_eq(renamed, 1);
    *out_len = n;
    return out;
}

START_TEST(test_goroutineleak_profile)
{
    size_t len = 0, leak_len = 0;
    char *msg = read_profile(LF_FIXTURE("inline-labels-n10.pb.gz"), &len);
    char *leak = as_leak_profile(msg, len, &leak_len);
    ck_assert_uint_eq(leak_len, len + 4);
    static struct seen seen;
    memset(&seen, 0, sizeof(seen));
    struct parse_info info;
    struct lf_error err;
    ck_assert_int_eq(parse_pprof(leak, leak_len, NULL, keep_sink, &seen, &info, &err), LF_OK);
    ck_assert(info.leak_profile);
    ck_assert_int_eq(info.goroutines, 10);
    ck_assert_uint_eq(seen.n, 4);
    for (size_t i = 0; i < seen.n; i++)
        ck_assert(seen.stacks[i].leaked);
    assert_frame(&seen.stacks[1], 3, "main.push", "example.com/inl/main.go", 17);

    /* the ordinary profile marks nothing leaked */
    memset(&seen, 0, sizeof(seen));
    ck_assert_int_eq(parse_pprof(msg, len, NULL, keep_sink, &seen, &info, &err), LF_OK);
    ck_assert(!info.leak_profile);
    for (size_t i = 0; i < seen.n; i++)
        ck_assert(!seen.stacks[i].leaked);
    lf_free(leak);
    lf_free(msg);
}
END_TEST

START_TEST(test_limits)
{
    size_t len = 0;
    char *msg = read_profile(LF_FIXTURE("shop-n25.pb.gz"), &len);
    static struct seen seen;
    memset(&seen, 0, sizeof(seen));
    struct parse_limits limits = { .max_frames = 3, .max_labels = 1 };
    struct parse_info info;
    struct lf_error err;
    ck_assert_int_eq(parse_pprof(msg, len, &limits, keep_sink, &seen, &info, &err), LF_OK);
    ck_assert_int_eq(info.goroutines, 279);
    ck_assert_uint_eq(seen.stacks[0].n_frames, 3);
    ck_assert(seen.stacks[0].truncated);
    assert_frame(&seen.stacks[0], 2, "runtime.chansend1", "/usr/lib/go-1.19/src/runtime/chan.go",
                 145);
    ck_assert_uint_eq(seen.stacks[4].n_labels, 1);
    ck_assert_str_eq(seen.stacks[4].label[0], "handler=checkout");

    /* the tables of this profile take more than 1 KiB */
    struct parse_limits tiny = { .max_decoded_bytes = 1024 };
    ck_assert_int_eq(parse_pprof(msg, len, &tiny, keep_sink, &seen, &info, &err), LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "index tables over the 1024-byte limit");
    lf_free(msg);
}
END_TEST

START_TEST(test_sink_error_stops_parse)
{
    size_t len = 0;
    char *msg = read_profile(LF_FIXTURE("shop-n25.pb.gz"), &len);
    static struct seen seen;
    memset(&seen, 0, sizeof(seen));
    seen.fail_at = 3;
    struct lf_error err;
    ck_assert_int_eq(parse_pprof(msg, len, NULL, keep_sink, &seen, NULL, &err), LF_EIO);
    ck_assert_str_eq(err.msg, "sink refused stack 3");
    ck_assert_uint_eq(seen.n, 2);
    lf_free(msg);
}
END_TEST

/* ---- hand-made and malformed messages ------------------------------------------------- */

START_TEST(test_handmade_shapes)
{
    static struct seen seen;
    struct parse_info info;
    struct lf_error err;
    struct shape s = good_shape;
    for (int variant = 0; variant < 4; variant++) {
        s.packed = (variant & 1) != 0;
        s.strings_first = (variant & 2) != 0;
        ck_assert_int_eq(parse_shape(&s, &seen, &info, &err), LF_OK);
        ck_assert_uint_eq(seen.n, 1);
        ck_assert_int_eq(seen.stacks[0].count, 7);
        ck_assert_uint_eq(seen.stacks[0].n_frames, 2);
        assert_frame(&seen.stacks[0], 0, "runtime.gopark", "/m.go", 10);
        assert_frame(&seen.stacks[0], 1, "main.f", "/m.go", 20);
        ck_assert_str_eq(seen.stacks[0].label[0], "k=v");
        ck_assert(info.time_nanos == 1700000000000000000ll);
    }

    /* an empty message is a profile without samples */
    memset(&seen, 0, sizeof(seen));
    ck_assert_int_eq(parse_pprof("", 0, NULL, keep_sink, &seen, &info, &err), LF_OK);
    ck_assert_int_eq(info.stacks, 0);
    ck_assert_int_eq(info.goroutines, 0);
}
END_TEST

START_TEST(test_malformed_messages)
{
    static struct seen seen;
    struct lf_error err;
    struct shape s;

    s = good_shape;
    s.sample_location = 9;
    ck_assert_int_eq(parse_shape(&s, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "sample 0: unknown location id 9");

    s = good_shape;
    s.line_function_id = 5;
    ck_assert_int_eq(parse_shape(&s, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "location 2: unknown function id 5");

    s = good_shape;
    s.function_name = 99;
    ck_assert_int_eq(parse_shape(&s, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "function 1: string index 99 out of range (8 strings)");

    s = good_shape;
    s.no_value = true;
    ck_assert_int_eq(parse_shape(&s, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "sample 0 has no value");

    s = good_shape;
    s.sample_type = "alloc_objects";
    ck_assert_int_eq(parse_shape(&s, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "not a goroutine profile (sample type 'alloc_objects')");

    s = good_shape;
    s.sample_type = "inuse\nspace\x01";
    ck_assert_int_eq(parse_shape(&s, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "not a goroutine profile (sample type 'inuse?space?')");

    /* bad varint: eleven continuation bytes */
    const char overlong[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    ck_assert_int_eq(parse_pprof(overlong, 11, NULL, keep_sink, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "bad varint at byte 0 (over 10 bytes)");

    /* a group (wire type 3) is not part of profile.proto */
    ck_assert_int_eq(parse_pprof("\x0b\x0c", 2, NULL, keep_sink, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "unsupported wire type 3 of field 1 at byte 0");

    /* field number 0 */
    ck_assert_int_eq(parse_pprof("\x02\x00", 2, NULL, keep_sink, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "bad field number 0 at byte 0");

    /* a sample that is a varint instead of a message */
    ck_assert_int_eq(parse_pprof("\x10\x01", 2, NULL, keep_sink, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "sample (field 2) at byte 0 has wire type 0, not 2");

    /* string_table[0] must be "" */
    ck_assert_int_eq(parse_pprof("\x32\x01x", 3, NULL, keep_sink, &seen, NULL, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "string_table[0] is not empty");

    /* every truncation of a good message: a clean error or a shorter valid message */
    struct pbw w;
    build_profile(&w, &good_shape);
    size_t errors = 0;
    for (size_t cut = 0; cut < w.len; cut++) {
        memset(&seen, 0, sizeof(seen));
        int rc = parse_pprof((const char *)w.buf, cut, NULL, keep_sink, &seen, NULL, &err);
        ck_assert_msg(rc == LF_OK || rc == LF_EINVAL, "cut %zu: %d", cut, rc);
        errors += rc == LF_EINVAL;
    }
    ck_assert_uint_gt(errors, w.len / 2);
    ck_assert_int_eq(
            parse_pprof((const char *)w.buf, w.len - 1, NULL, keep_sink, &seen, NULL, &err),
            LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "truncated", 9) == 0, "%s", err.msg);
}
END_TEST

START_TEST(test_random_bytes_never_crash)
{
    static struct seen seen;
    struct lf_error err;
    unsigned char buf[512];
    uint64_t x = 88172645463325252ull;
    size_t ok = 0;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 512);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (unsigned char)x;
        }
        memset(&seen, 0, sizeof(seen));
        int rc = parse_pprof((const char *)buf, len, NULL, keep_sink, &seen, NULL, &err);
        ck_assert(rc == LF_OK || rc == LF_EINVAL);
        ok += rc == LF_OK;
        (void)parse_pprof_sniff((const char *)buf, len);
    }
    ck_assert_uint_lt(ok, 100);
}
END_TEST

START_TEST(test_sniff)
{
    size_t len = 0;
    char *msg = read_profile(LF_FIXTURE("inline-labels-n10.pb.gz"), &len);
    ck_assert(parse_pprof_sniff(msg, len));
    for (size_t cut = 6; cut < len; cut += 37)
        ck_assert(parse_pprof_sniff(msg, cut));
    ck_assert(!parse_pprof_sniff("goroutine profile: total 3\n", 27));
    ck_assert(!parse_pprof_sniff("goroutine 1 [running]:\n", 23));
    ck_assert(!parse_pprof_sniff("panic: boom\n", 12));
    ck_assert(!parse_pprof_sniff("\nabc", 4));
    ck_assert(!parse_pprof_sniff("", 0));
    lf_free(msg);
}
END_TEST

START_TEST(test_allocation_failures)
{
    size_t len = 0;
    char *msg = read_profile(LF_FIXTURE("inline-labels-n10.pb.gz"), &len);
    static struct seen seen;
    struct lf_error err;
    int ok = 0;
    for (long n = 0; n < 16; n++) {
        memset(&seen, 0, sizeof(seen));
        lf_alloc_fail_after(n);
        int rc = parse_pprof(msg, len, NULL, keep_sink, &seen, NULL, &err);
        lf_alloc_fail_after(-1);
        ck_assert_msg(rc == LF_OK || rc == LF_ENOMEM, "n=%ld rc=%d", n, rc);
        if (rc == LF_OK) {
            ck_assert_uint_eq(seen.n, 4);
            ok++;
        }
    }
    ck_assert_int_gt(ok, 0);
    lf_free(msg);
}
END_TEST

static Suite *parse_pprof_suite(void)
{
    Suite *s = suite_create("parse_pprof");
    TCase *real = tcase_create("real profiles");
    tcase_add_test(real, test_shop_fixture);
    tcase_add_test(real, test_inline_labels_fixture);
    tcase_add_test(real, test_goroutineleak_profile);
    tcase_add_test(real, test_limits);
    tcase_add_test(real, test_sink_error_stops_parse);
    suite_add_tcase(s, real);
    TCase *bad = tcase_create("malformed");
    tcase_set_timeout(bad, 60);
    tcase_add_test(bad, test_handmade_shapes);
    tcase_add_test(bad, test_malformed_messages);
    tcase_add_test(bad, test_random_bytes_never_crash);
    tcase_add_test(bad, test_sniff);
    tcase_add_test(bad, test_allocation_failures);
    suite_add_tcase(s, bad);
    return s;
}

LF_CHECK_MAIN(parse_pprof_suite)
