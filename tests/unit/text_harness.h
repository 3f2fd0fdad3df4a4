/* text_harness.h - what the suites of the two streaming text parsers (test_parse_debug1,
 * test_parse_debug2) share: the stacks a sink received, each rendered to one canonical
 * string; the cuts of an input fed whole, byte by byte or in random chunks; and the checks
 * built on them. Header-only: each suite includes it once and defines parse() (how its parser
 * runs) and the sink that renders its stacks. */
#ifndef LF_TEXT_HARNESS_H
#define LF_TEXT_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "parse.h"
#include "stack.h"
#include "testutil.h"

struct collected {
    char **stacks; /* canonical rendering of each stack, in order */
    size_t n;
    int64_t goroutines;
    int fail_at; /* the sink fails on this stack (1-based); 0 never */
};

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->stacks[i]);
    free(c->stacks);
    memset(c, 0, sizeof(*c));
}

/* Appends buf (malloc'd, taken over), the rendering of a stack of count goroutines. */
static void collected_add(struct collected *c, char *buf, int64_t count)
{
    c->stacks = realloc(c->stacks, (c->n + 1) * sizeof(*c->stacks));
    ck_assert_ptr_nonnull(c->stacks);
    c->stacks[c->n++] = buf;
    c->goroutines += count;
}

/* Writes separator and s at buf + at (cut at size); returns the new end. */
static size_t put(char *buf, size_t size, size_t at, char separator, struct str s)
{
    int w = snprintf(buf + at, at < size ? size - at : 0, "%c%.*s", separator, (int)s.len, s.p);
    return at + (w > 0 ? (size_t)w : 0);
}

/* The bytes the frames of stack take rendered by put_frames, with room to spare. */
static size_t frames_size(const struct stack *stack)
{
    size_t size = 0;
    for (size_t i = 0; i < stack->n_frames; i++)
        size += 32 + stack->frames[i].function.len + stack->frames[i].file.len;
    return size;
}

/* Writes each frame of stack at buf + at as "\nFUNCTION FILE:LINE"; returns the new end. */
static size_t put_frames(char *buf, size_t size, size_t at, const struct stack *stack)
{
    for (size_t i = 0; i < stack->n_frames; i++) {
        at = put(buf, size, at, '\n', stack->frames[i].function);
        at = put(buf, size, at, ' ', stack->frames[i].file);
        int n = snprintf(buf + at, size - at, ":%lld", (long long)stack->frames[i].line);
        at += (size_t)n;
    }
    return at;
}

enum chunking {
    WHOLE,
    BYTE_BY_BYTE,
    RANDOM,
};

/* The length of the next chunk of an input with left bytes still to feed; *state carries
 * the random cuts (seeded by the caller). */
static size_t chunk_len(enum chunking chunking, unsigned *state, size_t left)
{
    if (chunking == BYTE_BY_BYTE)
        return 1;
    if (chunking == RANDOM) {
        *state = *state * 1103515245u + 12345u;
        size_t pick = (*state >> 8) % 300 + 1;
        return pick < left ? pick : left;
    }
    return left;
}

/* Defined by the suite: parses (buf, len) fed as chunking says (seed for RANDOM; limits
 * NULL: the defaults) into c; returns the parser's result. */
static int parse(const char *buf, size_t len, enum chunking chunking, unsigned seed,
                 const struct parse_limits *limits, struct collected *c, struct parse_info *info,
                 struct lf_error *err);

/* Parses a snippet whole and expects success. */
static void parse_ok(const char *text, struct collected *c, struct parse_info *info)
{
    struct lf_error err = { 0 };
    int rc = parse(text, strlen(text), WHOLE, 0, NULL, c, info, &err);
    ck_assert_msg(rc == LF_OK, "rc %d: %s", rc, err.msg);
}

/* Parses a snippet (whole and byte by byte) and expects code with exactly message. */
static void parse_fails(const char *text, const struct parse_limits *limits, int code,
                        const char *message)
{
    for (int chunking = WHOLE; chunking <= BYTE_BY_BYTE; chunking++) {
        struct collected c = { 0 };
        struct lf_error err = { 0 };
        int rc = parse(text, strlen(text), (enum chunking)chunking, 0, limits, &c, NULL, &err);
        ck_assert_int_eq(rc, code);
        ck_assert_str_eq(err.msg, message);
        collected_free(&c);
    }
}

static void assert_same(const struct collected *a, const struct collected *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        ck_assert_str_eq(a->stacks[i], b->stacks[i]);
}

/* The fixture at path gives the same stacks fed whole, byte by byte and in random chunks
 * (seeds 1 to seeds). */
static void assert_chunking_invisible(const char *path, unsigned seeds)
{
    size_t len;
    char *buf = testutil_read_fixture(path, &len);
    struct collected whole = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, WHOLE, 0, NULL, &whole, NULL, &err), LF_OK);
    struct collected bytes = { 0 };
    ck_assert_int_eq(parse(buf, len, BYTE_BY_BYTE, 0, NULL, &bytes, NULL, &err), LF_OK);
    assert_same(&whole, &bytes);
    collected_free(&bytes);
    for (unsigned seed = 1; seed <= seeds; seed++) {
        struct collected random = { 0 };
        ck_assert_int_eq(parse(buf, len, RANDOM, seed, NULL, &random, NULL, &err), LF_OK);
        assert_same(&whole, &random);
        collected_free(&random);
    }
    collected_free(&whole);
    free(buf);
}

/* Failing the Nth allocation of a parse of the fixture at path (random chunks of seed), for
 * N from 0 until one succeeds, gives LF_ENOMEM each time and then the same stacks. */
static void assert_allocation_failures(const char *path, unsigned seed)
{
    size_t len;
    char *buf = testutil_read_fixture(path, &len);
    struct collected reference = { 0 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(parse(buf, len, RANDOM, seed, NULL, &reference, NULL, &err), LF_OK);
    bool succeeded = false;
    for (long n = 0; n < 200 && !succeeded; n++) {
        struct collected c = { 0 };
        lf_alloc_fail_after(n);
        int rc = parse(buf, len, RANDOM, seed, NULL, &c, NULL, &err);
        lf_alloc_fail_after(-1);
        if (rc == LF_OK) {
            assert_same(&reference, &c);
            succeeded = true;
        } else {
            ck_assert_int_eq(rc, LF_ENOMEM);
        }
        collected_free(&c);
    }
    ck_assert(succeeded);
    collected_free(&reference);
    free(buf);
}

#endif
