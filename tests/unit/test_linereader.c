/* test_linereader.c - unit tests of the chunk-fed line splitter: every split point gives
 * the same lines and numbers, "\r\n" and a missing last "\n" are handled, the cap fails
 * early and names the line, a callback error stops the feed, allocation failure is clean;
 * an embedded text loses its indentation and keeps the whole input's line numbers. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "linereader.h"

struct lines {
    char text[4096]; /* "NUMBER:LINE|" for each line */
    size_t len;
    int64_t stop_at; /* the callback fails on this line number; 0 never */
};

static int on_line(void *ctx, struct str line, int64_t line_no, struct lf_error *err)
{
    struct lines *lines = ctx;
    if (line_no == lines->stop_at)
        return lf_fail(err, LF_EINVAL, "line %lld: stop", (long long)line_no);
    int w = snprintf(lines->text + lines->len, sizeof(lines->text) - lines->len, "%lld:%.*s|",
                     (long long)line_no, (int)line.len, line.p);
    ck_assert_int_gt(w, 0);
    lines->len += (size_t)w;
    ck_assert_uint_lt(lines->len, sizeof(lines->text));
    return LF_OK;
}

/* Feeds text as two chunks split at cut (or whole when cut >= len), then finishes. */
static int split(const char *text, size_t cut, size_t max, struct lines *lines,
                 struct lf_error *err)
{
    struct linereader reader;
    linereader_init(&reader, max);
    size_t len = strlen(text);
    if (cut > len)
        cut = len;
    int rc = linereader_feed(&reader, text, cut, on_line, lines, err);
    if (rc == LF_OK)
        rc = linereader_feed(&reader, text + cut, len - cut, on_line, lines, err);
    if (rc == LF_OK)
        rc = linereader_finish(&reader, on_line, lines, err);
    linereader_release(&reader);
    return rc;
}

START_TEST(test_every_split_point)
{
    const char *text = "goroutine 1 [running]:\r\nmain.main()\n\n\t/app/main.go:5 +0x1d\nlast";
    const char *want = "1:goroutine 1 [running]:|2:main.main()|3:|4:\t/app/main.go:5 +0x1d|"
                       "5:last|";
    for (size_t cut = 0; cut <= strlen(text); cut++) {
        struct lines lines = { .len = 0 };
        struct lf_error err = { 0 };
        ck_assert_int_eq(split(text, cut, 0, &lines, &err), LF_OK);
        ck_assert_str_eq(lines.text, want);
    }
}
END_TEST

START_TEST(test_byte_by_byte)
{
    const char *text = "a\nbb\r\n\r\nccc\n";
    struct linereader reader;
    linereader_init(&reader, 8);
    struct lines lines = { .len = 0 };
    struct lf_error err = { 0 };
    for (size_t i = 0; text[i] != '\0'; i++)
        ck_assert_int_eq(linereader_feed(&reader, text + i, 1, on_line, &lines, &err), LF_OK);
    ck_assert_int_eq(linereader_feed(&reader, text, 0, on_line, &lines, &err), LF_OK);
    ck_assert_int_eq(linereader_finish(&reader, on_line, &lines, &err), LF_OK);
    ck_assert_str_eq(lines.text, "1:a|2:bb|3:|4:ccc|");
    ck_assert_int_eq(linereader_line_no(&reader), 4);
    linereader_release(&reader);
}
END_TEST

START_TEST(test_cap)
{
    /* exactly max bytes pass (a "\r" before "\n" does not count); one more fails */
    for (size_t cut = 0; cut <= 20; cut++) {
        struct lines lines = { .len = 0 };
        struct lf_error err = { 0 };
        ck_assert_int_eq(split("12345\r\n123456\n", cut, 6, &lines, &err), LF_OK);
        ck_assert_str_eq(lines.text, "1:12345|2:123456|");
        lines.len = 0;
        lines.text[0] = '\0';
        ck_assert_int_eq(split("ok\n1234567\nnext\n", cut, 6, &lines, &err), LF_EINVAL);
        ck_assert_str_eq(err.msg, "line 2: longer than 6 bytes");
        ck_assert_str_eq(lines.text, "1:ok|");
        ck_assert_int_eq(split("ok\n1234567", cut, 6, &lines, &err), LF_EINVAL);
        ck_assert_str_eq(err.msg, "line 2: longer than 6 bytes");
    }
    /* the cap is enforced while the line is still growing, before its end is seen */
    struct linereader reader;
    linereader_init(&reader, 16);
    struct lines lines = { .len = 0 };
    struct lf_error err = { 0 };
    char chunk[10];
    memset(chunk, 'x', sizeof(chunk));
    ck_assert_int_eq(linereader_feed(&reader, chunk, sizeof(chunk), on_line, &lines, &err), LF_OK);
    ck_assert_int_eq(linereader_feed(&reader, chunk, sizeof(chunk), on_line, &lines, &err),
                     LF_EINVAL);
    ck_assert_str_eq(err.msg, "line 1: longer than 16 bytes");
    ck_assert_uint_le(reader.carry_cap, 17);
    /* the error stops the reader: nothing more is read */
    ck_assert_int_eq(linereader_feed(&reader, "a\n", 2, on_line, &lines, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "parser stopped by an earlier error");
    ck_assert_int_eq(linereader_finish(&reader, on_line, &lines, &err), LF_EINVAL);
    ck_assert_uint_eq(lines.len, 0);
    linereader_release(&reader);
    /* after the end, or an error its user found there, nothing more is accepted */
    linereader_init(&reader, 16);
    ck_assert_int_eq(linereader_finish(&reader, on_line, &lines, &err), LF_OK);
    ck_assert_int_eq(linereader_feed(&reader, "a\n", 2, on_line, &lines, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "input already finished");
    ck_assert_int_eq(linereader_fail(&reader, LF_EIO), LF_EIO);
    ck_assert_int_eq(linereader_finish(&reader, on_line, &lines, &err), LF_EIO);
    ck_assert_str_eq(err.msg, "parser stopped by an earlier error");
    ck_assert_uint_eq(lines.len, 0);
    linereader_release(&reader);
}
END_TEST

START_TEST(test_embedded_text)
{
    /* after 7 lines of other output, every line indented by two spaces: the indentation
     * goes, lines without it (blank, or output after the text) come as empty lines, and
     * the numbers count from the start of the whole input */
    const char *text = "  goroutine 1 [running]:\r\n  main.main()\n  \t/a.go:1\n\n \n  \n"
                       "--- FAIL: TestX\n  last";
    const char *want = "8:goroutine 1 [running]:|9:main.main()|10:\t/a.go:1|11:|12:|13:|14:|"
                       "15:last|";
    for (size_t cut = 0; cut <= strlen(text); cut++) {
        struct linereader reader;
        linereader_init(&reader, 0);
        ck_assert(linereader_embed(&reader, 7, "  ", 2));
        struct lines lines = { .len = 0 };
        struct lf_error err = { 0 };
        ck_assert_int_eq(linereader_feed(&reader, text, cut, on_line, &lines, &err), LF_OK);
        ck_assert_int_eq(
                linereader_feed(&reader, text + cut, strlen(text) - cut, on_line, &lines, &err),
                LF_OK);
        ck_assert_int_eq(linereader_finish(&reader, on_line, &lines, &err), LF_OK);
        ck_assert_str_eq(lines.text, want);
        ck_assert_int_eq(linereader_line_no(&reader), 15);
        linereader_release(&reader);
    }
    struct linereader reader;
    linereader_init(&reader, 0);
    char long_indent[LINEREADER_MAX_INDENT + 1];
    memset(long_indent, ' ', sizeof(long_indent));
    ck_assert(!linereader_embed(&reader, 0, long_indent, sizeof(long_indent)));
    ck_assert(!linereader_embed(&reader, -1, "", 0));
    ck_assert(linereader_embed(&reader, 0, long_indent, LINEREADER_MAX_INDENT));
    linereader_release(&reader);
}
END_TEST

START_TEST(test_callback_error_and_oom)
{
    struct lines lines = { .stop_at = 2 };
    struct lf_error err = { 0 };
    ck_assert_int_eq(split("a\nb\nc\n", 3, 0, &lines, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "line 2: stop");
    ck_assert_str_eq(lines.text, "1:a|");

    /* a line split across chunks needs the carry buffer: fail its allocation */
    struct linereader reader;
    linereader_init(&reader, 0);
    struct lines more = { .len = 0 };
    lf_alloc_fail_after(0);
    int rc = linereader_feed(&reader, "abc", 3, on_line, &more, &err);
    lf_alloc_fail_after(-1);
    ck_assert_int_eq(rc, LF_ENOMEM);
    ck_assert_str_eq(err.msg, "line 1: out of memory");
    linereader_release(&reader);
    /* lines whole inside a chunk need no allocation at all */
    linereader_init(&reader, 0);
    lf_alloc_fail_after(0);
    rc = linereader_feed(&reader, "abc\ndef\n", 8, on_line, &more, &err);
    lf_alloc_fail_after(-1);
    ck_assert_int_eq(rc, LF_OK);
    ck_assert_str_eq(more.text, "1:abc|2:def|");
    linereader_release(&reader);
}
END_TEST

static Suite *linereader_suite(void)
{
    Suite *s = suite_create("linereader");
    TCase *tc = tcase_create("split");
    tcase_add_test(tc, test_every_split_point);
    tcase_add_test(tc, test_byte_by_byte);
    tcase_add_test(tc, test_cap);
    tcase_add_test(tc, test_embedded_text);
    tcase_add_test(tc, test_callback_error_and_oom);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(linereader_suite)
