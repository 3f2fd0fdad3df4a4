/* test_utf8.c - unit tests of utf8 and utf8json: known well-formed and ill-formed byte
 * sequences (overlong forms, surrogates, sequences cut short, 4-byte characters, bytes
 * no sequence starts with), repair to U+FFFD by maximal subparts (the expected strings
 * are what Python's bytes.decode("utf-8", "replace") gives), cuts on character
 * boundaries (snprintf, str_copy_to, error messages), and random bytes checked against
 * jansson's own UTF-8 test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "error.h"
#include "str.h"
#include "utf8.h"
#include "utf8json.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

struct sample {
    const char *what;
    const char *in;
    size_t len;
    bool valid;
    const char *repaired; /* NULL: the same as in */
};

#define S(what, bytes, valid, repaired)                                                            \
    {                                                                                              \
        what, bytes, sizeof(bytes) - 1, valid, repaired                                            \
    }

static const struct sample samples[] = {
    S("empty", "", true, NULL),
    S("ascii", "main.(*T).run.func1", true, NULL),
    S("embedded NUL", "a\0b", true, NULL),
    S("2-byte U+00E9", "caf\xc3\xa9", true, NULL),
    S("3-byte U+6F0F", "main.\xe6\xbc\x8f", true, NULL),
    S("4-byte U+1F600", "\xf0\x9f\x98\x80!", true, NULL),
    S("last code point U+10FFFF", "\xf4\x8f\xbf\xbf", true, NULL),
    S("just below the surrogates U+D7FF", "\xed\x9f\xbf", true, NULL),
    S("just above the surrogates U+E000", "\xee\x80\x80", true, NULL),
    S("smallest 3-byte U+0800", "\xe0\xa0\x80", true, NULL),
    S("smallest 4-byte U+10000", "\xf0\x90\x80\x80", true, NULL),
    S("0xff in a name",
      "main.le\xff"
      "ak",
      false, "main.le" R "ak"),
    S("0xfe 0xff", "\xfe\xff", false, R R),
    S("lone continuation byte", "a\x80z", false, "a" R "z"),
    S("overlong NUL C0 80", "\xc0\x80", false, R R),
    S("overlong C1 BF", "\xc1\xbf", false, R R),
    S("overlong 3-byte E0 80 AF", "\xe0\x80\xaf", false, R R R),
    S("overlong 3-byte E0 9F BF", "\xe0\x9f\xbf", false, R R R),
    S("overlong 4-byte F0 80 80 AF", "\xf0\x80\x80\xaf", false, R R R R),
    S("overlong 4-byte F0 8F BF BF", "\xf0\x8f\xbf\xbf", false, R R R R),
    S("high surrogate U+D800", "\xed\xa0\x80", false, R R R),
    S("low surrogate U+DFFF", "\xed\xbf\xbf", false, R R R),
    S("surrogate pair as CESU-8", "\xed\xa0\xbd\xed\xb8\x80", false, R R R R R R),
    S("past U+10FFFF F4 90 80 80", "\xf4\x90\x80\x80", false, R R R R),
    S("F5 lead", "\xf5\x80\x80\x80", false, R R R R),
    S("3-byte cut short at the end", "main.\xe6\xbc", false, "main." R),
    S("2-byte cut short at the end", "caf\xc3", false, "caf" R),
    S("4-byte cut short at the end", "x\xf0\x9f\x98", false, "x" R),
    S("3-byte cut short before ASCII",
      "\xe6\xbc"
      "A",
      false, R "A"),
    S("4-byte cut short before a valid one", "\xf0\x9f\xf0\x9f\x98\x80", false,
      R "\xf0\x9f\x98\x80"),
    S("lead then lead", "\xc3\xc3\xa9", false, R "\xc3\xa9"),
    S("5-byte form", "\xf8\x88\x80\x80\x80", false, R R R R R),
};

START_TEST(test_known_sequences)
{
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        const struct sample *s = &samples[i];
        ck_assert_msg(utf8_valid(s->in, s->len) == s->valid, "%s: valid", s->what);
        const char *want = s->repaired != NULL ? s->repaired : s->in;
        size_t want_len = s->repaired != NULL ? strlen(s->repaired) : s->len;
        ck_assert_msg(utf8_sanitized_len(s->in, s->len) == want_len, "%s: length %zu, want %zu",
                      s->what, utf8_sanitized_len(s->in, s->len), want_len);
        char out[64];
        ck_assert_uint_le(want_len, sizeof(out));
        ck_assert_msg(utf8_sanitize(s->in, s->len, out) == want_len, "%s: written", s->what);
        ck_assert_msg(memcmp(out, want, want_len) == 0, "%s: repaired", s->what);
        ck_assert_msg(utf8_valid(out, want_len), "%s: repaired is valid", s->what);
        /* jansson agrees on validity */
        json_t *j = json_stringn(s->in, s->len);
        ck_assert_msg((j != NULL) == s->valid, "%s: jansson", s->what);
        json_decref(j);
    }
}
END_TEST

START_TEST(test_cut_on_boundaries)
{
    static const char cjk[] = "\xe6\xbc\x8f\xe6\xbc\x8f"; /* two U+6F0F */
    ck_assert_uint_eq(utf8_cut(cjk, 6, 6), 6);
    ck_assert_uint_eq(utf8_cut(cjk, 6, 100), 6);
    ck_assert_uint_eq(utf8_cut(cjk, 6, 5), 3);
    ck_assert_uint_eq(utf8_cut(cjk, 6, 4), 3);
    ck_assert_uint_eq(utf8_cut(cjk, 6, 3), 3);
    ck_assert_uint_eq(utf8_cut(cjk, 6, 2), 0);
    ck_assert_uint_eq(utf8_cut(cjk, 6, 0), 0);
    static const char emoji[] = "a\xf0\x9f\x98\x80"; /* a U+1F600 */
    for (size_t max = 1; max < 5; max++)
        ck_assert_uint_eq(utf8_cut(emoji, 5, max), 1);
    ck_assert_uint_eq(utf8_cut(emoji, 5, 5), 5);
    ck_assert_uint_eq(utf8_cut("caf\xc3\xa9!", 6, 4), 3);
    ck_assert_uint_eq(utf8_cut("caf\xc3\xa9!", 6, 5), 5);
    ck_assert_uint_eq(utf8_cut("abcdef", 6, 3), 3);
    /* every cut of a valid string is valid */
    static const char mixed[] = "a\xc3\xa9\xe6\xbc\x8f\xf0\x9f\x98\x80z";
    for (size_t max = 0; max <= sizeof(mixed) - 1; max++)
        ck_assert_msg(utf8_valid(mixed, utf8_cut(mixed, sizeof(mixed) - 1, max)), "cut at %zu",
                      max);
}
END_TEST

START_TEST(test_snprintf_cuts_on_a_boundary)
{
    char buf[8];
    /* "abc" + two U+6F0F is 9 bytes; vsnprintf would keep 7, splitting the second */
    int n = utf8_snprintf(buf, sizeof(buf), "%s", "abc\xe6\xbc\x8f\xe6\xbc\x8f");
    ck_assert_int_eq(n, 9);
    ck_assert_str_eq(buf, "abc\xe6\xbc\x8f");
    n = utf8_snprintf(buf, sizeof(buf), "%s", "abcdefghij");
    ck_assert_int_eq(n, 10);
    ck_assert_str_eq(buf, "abcdefg");
    n = utf8_snprintf(buf, sizeof(buf), "%d%s", 12, "\xf0\x9f\x98\x80");
    ck_assert_int_eq(n, 6);
    ck_assert_str_eq(buf, "12\xf0\x9f\x98\x80");
    n = utf8_snprintf(buf, sizeof(buf), "%d%s", 1234, "\xf0\x9f\x98\x80");
    ck_assert_int_eq(n, 8);
    ck_assert_str_eq(buf, "1234");
    /* str_copy_to cuts the same way */
    char small[5];
    ck_assert(!str_copy_to(STR_LIT("ab\xe6\xbc\x8f"), small, sizeof(small)));
    ck_assert_str_eq(small, "ab");
    ck_assert(str_copy_to(STR_LIT("a\xe6\xbc\x8f"), small, sizeof(small)));
    ck_assert_str_eq(small, "a\xe6\xbc\x8f");
}
END_TEST

/* lf_fail and lf_error_prefix quote input into 256 bytes: a cut never splits a character. */
START_TEST(test_error_messages_cut_on_a_boundary)
{
    char name[400] = "";
    for (int i = 0; i < 120; i++)
        memcpy(name + 3 * i, "\xe6\xbc\x8f", 4);
    for (int pad = 0; pad < 3; pad++) {
        struct lf_error err;
        lf_fail(&err, LF_EINVAL, "%.*sname '%s'", pad, "xx", name);
        size_t len = strlen(err.msg);
        ck_assert_uint_le(len, sizeof(err.msg) - 1);
        ck_assert_uint_ge(len, sizeof(err.msg) - 3);
        ck_assert_msg(utf8_valid(err.msg, len), "pad %d", pad);
        lf_fail(&err, LF_EINVAL, "%s", name + 3 * 40);
        lf_error_prefix(&err, "%.*singest '%s'", pad, "xx", name + 3 * 90);
        len = strlen(err.msg);
        ck_assert_uint_ge(len, sizeof(err.msg) - 3);
        ck_assert_msg(utf8_valid(err.msg, len), "prefix, pad %d", pad);
    }
}
END_TEST

START_TEST(test_json_strings)
{
    json_t *j = utf8json_cstr("main.le\xff"
                              "ak");
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(j), "main.le" R "ak");
    json_decref(j);
    j = utf8json_string("a\0\xc3", 3);
    ck_assert_uint_eq(json_string_length(j), 5);
    ck_assert_mem_eq(json_string_value(j), "a\0" R, 5);
    json_decref(j);
    j = utf8json_cstr(NULL);
    ck_assert(json_is_null(j));
    json_decref(j);
    j = utf8json_cstr("\xe6\xbc\x8f");
    ck_assert_str_eq(json_string_value(j), "\xe6\xbc\x8f");
    char *dumped = json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    ck_assert_str_eq(dumped, "\"\\u6F0F\"");
    free(dumped);
    json_decref(j);
    /* allocation failure is the only NULL */
    lf_alloc_fail_after(0);
    j = utf8json_cstr("\xff");
    lf_alloc_fail_after(-1);
    ck_assert_ptr_null(j);
}
END_TEST

/* Random byte strings biased towards UTF-8 lead and continuation bytes: validity agrees
 * with jansson's, repair always gives valid UTF-8, keeps valid input unchanged and is
 * idempotent, and every cut of the repaired text is valid. */
START_TEST(test_random_bytes_against_jansson)
{
    static const unsigned char pool[] = { 'a',  0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                                          0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe6, 0xed,
                                          0xee, 0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xff };
    uint64_t state = 0x9e3779b97f4a7c15u;
    char in[12], out[36], twice[108];
    for (int round = 0; round < 20000; round++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t len = (size_t)(state >> 60) % sizeof(in);
        uint64_t bits = state;
        for (size_t i = 0; i < len; i++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            bits = state >> 33;
            in[i] = (char)pool[bits % sizeof(pool)];
        }
        bool valid = utf8_valid(in, len);
        json_t *j = json_stringn(in, len);
        ck_assert_msg(valid == (j != NULL), "round %d: validity differs from jansson", round);
        json_decref(j);
        size_t n = utf8_sanitize(in, len, out);
        ck_assert_uint_eq(n, utf8_sanitized_len(in, len));
        ck_assert(utf8_valid(out, n));
        if (valid)
            ck_assert(n == len && memcmp(in, out, len) == 0);
        ck_assert_uint_eq(utf8_sanitize(out, n, twice), n);
        ck_assert(memcmp(out, twice, n) == 0);
        for (size_t max = 0; max <= n; max++)
            ck_assert(utf8_valid(out, utf8_cut(out, n, max)));
    }
}
END_TEST

static Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("sequences");
    tcase_add_test(tc, test_known_sequences);
    tcase_add_test(tc, test_random_bytes_against_jansson);
    suite_add_tcase(s, tc);
    tc = tcase_create("cuts");
    tcase_add_test(tc, test_cut_on_boundaries);
    tcase_add_test(tc, test_snprintf_cuts_on_a_boundary);
    tcase_add_test(tc, test_error_messages_cut_on_a_boundary);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, test_json_strings);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(utf8_suite)
