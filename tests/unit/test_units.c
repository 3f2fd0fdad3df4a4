/* test_units.c - the one duration and size grammar (units.h), exact values and the
 * edges: overflow, signs, blanks, fractions, and a bare number only on its own. */
#include "units.h"

#include <string.h>

#include "check_main.h"

static bool duration(const char *s, int64_t *ms)
{
    *ms = -7;
    return units_duration_ms(s, strlen(s), ms);
}

START_TEST(test_durations)
{
    static const struct {
        const char *text;
        int64_t ms; /* -1: rejected */
    } cases[] = {
        { "90", 90000 },
        { "0", 0 },
        { "90s", 90000 },
        { "500ms", 500 },
        { "5m", 300000 },
        { "2h", 7200000 },
        { "1d", 86400000 },
        { "1w", 604800000 },
        { "1h30m", 5400000 },
        { "2s500ms", 2500 },
        { "1w2d3h4m5s6ms", ((((9 * 24 + 3) * 60 + 4) * 60 + 5) * 1000LL) + 6 },
        { "0s", 0 },
        { "007s", 7000 },
        { "9223372036854775807ms", INT64_MAX },
        { "", -1 },
        { "s", -1 },
        { "ms", -1 },
        { "-5s", -1 },
        { "+5s", -1 },
        { "5 s", -1 },
        { " 5s", -1 },
        { "5s ", -1 },
        { "1.5h", -1 },
        { "1h30", -1 }, /* a bare number only as the whole value */
        { "5x", -1 },
        { "5S", -1 },
        { "5M", -1 },
        { "5mss", -1 },
        { "5sm", -1 },
        { "9223372036854775808ms", -1 },
        { "9223372036854776s", -1 },
        { "99999999999999999999d", -1 },
        { "153722867280912931m", -1 },
        { "9223372036854775807ms1ms", -1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = 0;
        bool ok = duration(cases[i].text, &ms);
        if (cases[i].ms < 0) {
            ck_assert_msg(!ok, "'%s' accepted as %lld", cases[i].text, (long long)ms);
            ck_assert_int_eq(ms, -7);
        } else {
            ck_assert_msg(ok, "'%s' rejected", cases[i].text);
            ck_assert_int_eq(ms, cases[i].ms);
        }
    }
    /* (ptr, len): nothing past len is read, and a NUL inside is not a terminator */
    int64_t ms = 0;
    ck_assert(units_duration_ms("5m30s", 2, &ms) && ms == 300000);
    ck_assert(!units_duration_ms("5s\0"
                                 "1s",
                                 5, &ms));
    ck_assert(!units_duration_ms(NULL, 0, &ms));
}
END_TEST

START_TEST(test_sizes)
{
    static const struct {
        const char *text;
        bool ok;
        uint64_t bytes;
    } cases[] = {
        { "0", true, 0 },
        { "65536", true, 65536 },
        { "64K", true, 64 << 10 },
        { "64k", true, 64 << 10 },
        { "256M", true, (uint64_t)256 << 20 },
        { "1G", true, (uint64_t)1 << 30 },
        { "18446744073709551615", true, UINT64_MAX },
        { "17179869183G", true, (uint64_t)17179869183 << 30 },
        { "17179869184G", false, 0 },
        { "18446744073709551616", false, 0 },
        { "", false, 0 },
        { "K", false, 0 },
        { "-1", false, 0 },
        { "+1", false, 0 },
        { "1 K", false, 0 },
        { "1KB", false, 0 },
        { "1m", false, 0 },
        { "1g", false, 0 },
        { "1T", false, 0 },
        { "1.5M", false, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = 7;
        bool ok = units_size(cases[i].text, strlen(cases[i].text), &v);
        ck_assert_msg(ok == cases[i].ok, "'%s': %s", cases[i].text, ok ? "accepted" : "rejected");
        ck_assert_uint_eq(v, cases[i].ok ? cases[i].bytes : 7);
    }
}
END_TEST

static Suite *units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("grammar");
    tcase_add_test(tc, test_durations);
    tcase_add_test(tc, test_sizes);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(units_suite)
