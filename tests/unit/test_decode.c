/* test_decode.c - unit tests of decode: gunzip of the real fixture, concatenated members,
 * streaming in tiny chunks, truncated and corrupt streams, the gzip-bomb cap stopping
 * while inflating, and allocation failures. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "testutil.h"
#include "decode.h"
#include "error.h"

/* Reads a whole file into a new buffer (caller frees with lf_free). */
struct collect {
    size_t total;
    size_t calls;
    size_t max_piece;
    char first[8];
};

static int collect_sink(void *ctx, const char *buf, size_t len, struct lf_error *err)
{
    (void)err;
    struct collect *c = ctx;
    for (size_t i = 0; i < len && c->total + i < sizeof(c->first); i++)
        c->first[c->total + i] = buf[i];
    c->total += len;
    c->calls++;
    if (len > c->max_piece)
        c->max_piece = len;
    return LF_OK;
}

START_TEST(test_is_gzip)
{
    ck_assert(decode_is_gzip("\x1f\x8b\x08", 3));
    ck_assert(!decode_is_gzip("\x1f", 1));
    ck_assert(!decode_is_gzip("goroutine", 9));
    ck_assert(!decode_is_gzip(NULL, 0));
}
END_TEST

START_TEST(test_gunzip_fixture)
{
    size_t len = 0;
    char *gz = testutil_read_fixture(LF_FIXTURE("shop-n25.pb.gz"), &len);
    ck_assert_uint_eq(len, 2636);
    char *out = NULL;
    size_t out_len = 0;
    struct lf_error err;
    ck_assert_int_eq(decode_gunzip_buffer(gz, len, 1 << 20, &out, &out_len, &err), LF_OK);
    /* gzip -dc tests/fixtures/shop-n25.pb.gz | wc -c */
    ck_assert_uint_eq(out_len, 4928);
    /* the message opens with period_type (field 11, length 4) */
    ck_assert_int_eq((unsigned char)out[0], 0x5a);
    ck_assert_int_eq(out[1], 4);
    ck_assert_int_eq(out[out_len], '\0');
    lf_free(out);

    /* the same through the streaming API, one byte at a time */
    struct collect c = { 0 };
    struct decode *d = decode_create(1 << 20, collect_sink, &c);
    ck_assert_ptr_nonnull(d);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(decode_feed(d, gz + i, 1, &err), LF_OK);
    ck_assert_int_eq(decode_finish(d, &err), LF_OK);
    ck_assert_uint_eq(c.total, 4928);
    ck_assert_uint_eq(decode_total_out(d), 4928);
    decode_free(d);

    /* a cap one byte short of the output fails */
    ck_assert_int_eq(decode_gunzip_buffer(gz, len, 4927, &out, &out_len, &err), LF_ETOOBIG);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(decode_gunzip_buffer(gz, len, 4928, &out, &out_len, &err), LF_OK);
    lf_free(out);
    lf_free(gz);
}
END_TEST

START_TEST(test_roundtrip_and_concatenated_members)
{
    struct lf_error err;
    char *a = NULL, *b = NULL, *out = NULL;
    size_t a_len = 0, b_len = 0, out_len = 0;
    ck_assert_int_eq(decode_gzip_buffer("goroutine profile: ", 19, &a, &a_len, &err), LF_OK);
    ck_assert(decode_is_gzip(a, a_len));
    ck_assert_int_eq(decode_gzip_buffer("total 279\n", 10, &b, &b_len, &err), LF_OK);
    char *both = lf_malloc(a_len + b_len);
    ck_assert_ptr_nonnull(both);
    memcpy(both, a, a_len);
    memcpy(both + a_len, b, b_len);
    ck_assert_int_eq(decode_gunzip_buffer(both, a_len + b_len, 0, &out, &out_len, &err), LF_OK);
    ck_assert_uint_eq(out_len, 29);
    ck_assert_str_eq(out, "goroutine profile: total 279\n");
    lf_free(out);

    /* split at every position, including exactly between the members */
    for (size_t cut = 0; cut <= a_len + b_len; cut++) {
        struct collect c = { 0 };
        struct decode *d = decode_create(0, collect_sink, &c);
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(decode_feed(d, both, cut, &err), LF_OK);
        ck_assert_int_eq(decode_feed(d, both + cut, a_len + b_len - cut, &err), LF_OK);
        ck_assert_int_eq(decode_finish(d, &err), LF_OK);
        ck_assert_uint_eq(c.total, 29);
        ck_assert(memcmp(c.first, "goroutin", 8) == 0);
        decode_free(d);
    }

    /* an empty member is valid and decodes to nothing */
    char *empty = NULL;
    size_t empty_len = 0;
    ck_assert_int_eq(decode_gzip_buffer("", 0, &empty, &empty_len, &err), LF_OK);
    ck_assert_int_eq(decode_gunzip_buffer(empty, empty_len, 0, &out, &out_len, &err), LF_OK);
    ck_assert_uint_eq(out_len, 0);
    ck_assert_str_eq(out, "");
    lf_free(out);
    lf_free(empty);
    lf_free(both);
    lf_free(a);
    lf_free(b);
}
END_TEST

START_TEST(test_bad_streams)
{
    struct lf_error err;
    char *gz = NULL, *out = NULL;
    size_t gz_len = 0, out_len = 0;
    const char *text = "goroutine 1 [running]:\nmain.main()\n\t/srv/main.go:10 +0x1d\n";
    ck_assert_int_eq(decode_gzip_buffer(text, strlen(text), &gz, &gz_len, &err), LF_OK);

    /* truncated anywhere: header, data or trailer */
    for (size_t cut = 1; cut < gz_len; cut++) {
        ck_assert_int_eq(decode_gunzip_buffer(gz, cut, 0, &out, &out_len, &err), LF_EINVAL);
        ck_assert_ptr_null(out);
    }
    ck_assert_int_eq(decode_gunzip_buffer(gz, gz_len - 1, 0, &out, &out_len, &err), LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "truncated gzip stream", 21) == 0, "%s", err.msg);

    /* empty */
    ck_assert_int_eq(decode_gunzip_buffer("", 0, 0, &out, &out_len, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "empty gzip stream");

    /* a flipped CRC byte in the trailer */
    gz[gz_len - 6] ^= 0x55;
    ck_assert_int_eq(decode_gunzip_buffer(gz, gz_len, 0, &out, &out_len, &err), LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "incorrect data check") != NULL, "%s", err.msg);
    gz[gz_len - 6] ^= 0x55;

    /* not gzip at all */
    ck_assert_int_eq(decode_gunzip_buffer(text, strlen(text), 0, &out, &out_len, &err), LF_EINVAL);
    ck_assert_msg(strncmp(err.msg, "corrupt gzip stream at byte", 27) == 0, "%s", err.msg);

    /* garbage after a complete member */
    char *tail = lf_malloc(gz_len + 4);
    ck_assert_ptr_nonnull(tail);
    memcpy(tail, gz, gz_len);
    memcpy(tail + gz_len, "junk", 4);
    ck_assert_int_eq(decode_gunzip_buffer(tail, gz_len + 4, 0, &out, &out_len, &err), LF_EINVAL);

    /* an error is sticky */
    struct collect c = { 0 };
    struct decode *d = decode_create(0, collect_sink, &c);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(decode_feed(d, tail, gz_len + 4, &err), LF_EINVAL);
    ck_assert_int_eq(decode_feed(d, gz, gz_len, &err), LF_EINVAL);
    ck_assert_int_eq(decode_finish(d, &err), LF_EINVAL);
    decode_free(d);
    decode_free(NULL);
    lf_free(tail);
    lf_free(gz);
}
END_TEST

START_TEST(test_gzip_bomb_stops_while_inflating)
{
    /* 256 MiB of zeros compress to about 250 KiB */
    size_t big = (size_t)256 << 20;
    char *zeros = lf_calloc(big, 1);
    ck_assert_ptr_nonnull(zeros);
    struct lf_error err;
    char *gz = NULL, *out = NULL;
    size_t gz_len = 0, out_len = 0;
    ck_assert_int_eq(decode_gzip_buffer(zeros, big, &gz, &gz_len, &err), LF_OK);
    lf_free(zeros);
    ck_assert_uint_lt(gz_len, 400 * 1024);

    size_t cap = (size_t)1 << 20;
    ck_assert_int_eq(decode_gunzip_buffer(gz, gz_len, cap, &out, &out_len, &err), LF_ETOOBIG);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.msg, "gunzipped profile is over the 1048576-byte limit");

    /* streaming: the sink never sees more than the cap, and the decoder stopped long
     * before the end of the input */
    struct collect c = { 0 };
    struct decode *d = decode_create(cap, collect_sink, &c);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(decode_feed(d, gz, gz_len, &err), LF_ETOOBIG);
    ck_assert_uint_le(c.total, cap);
    ck_assert_uint_le(decode_total_out(d), cap);
    ck_assert_uint_le(c.max_piece, 65536);
    ck_assert_int_eq(decode_finish(d, &err), LF_ETOOBIG);
    decode_free(d);
    lf_free(gz);
}
END_TEST

START_TEST(test_allocation_failures)
{
    struct lf_error err;
    const char *text = "goroutine profile: total 3\n3 @ 0x1\n#\t0x1\tmain.main+0x1\t/m.go:1\n";
    char *gz = NULL;
    size_t gz_len = 0;
    ck_assert_int_eq(decode_gzip_buffer(text, strlen(text), &gz, &gz_len, &err), LF_OK);
    int ok = 0;
    for (long n = 0; n < 32; n++) {
        char *out = NULL, *again = NULL;
        size_t out_len = 0, again_len = 0;
        lf_alloc_fail_after(n);
        int rc = decode_gunzip_buffer(gz, gz_len, 0, &out, &out_len, &err);
        int rc2 = decode_gzip_buffer(text, 10, &again, &again_len, &err);
        lf_alloc_fail_after(-1);
        ck_assert(rc == LF_OK || rc == LF_ENOMEM);
        ck_assert(rc2 == LF_OK || rc2 == LF_ENOMEM);
        if (rc == LF_OK) {
            ck_assert_uint_eq(out_len, strlen(text));
            ok++;
        } else {
            ck_assert_ptr_null(out);
        }
        lf_free(out);
        lf_free(again);
    }
    ck_assert_int_gt(ok, 0);
    lf_free(gz);
}
END_TEST

static Suite *decode_suite(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("gunzip");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_is_gzip);
    tcase_add_test(tc, test_gunzip_fixture);
    tcase_add_test(tc, test_roundtrip_and_concatenated_members);
    tcase_add_test(tc, test_bad_streams);
    tcase_add_test(tc, test_gzip_bomb_stops_while_inflating);
    tcase_add_test(tc, test_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(decode_suite)
