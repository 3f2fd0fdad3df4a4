/* test_log.c - every line log.c writes is one event a line-based shipper can parse:
 * logfmt with ts and level (a message with newlines, quotes, control bytes, bytes that
 * are not UTF-8, or past the 4 KiB cap stays one line), and with LOG_FORMAT_JSON one JSON
 * object a line with the same keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check_main.h"
#include "log.h"

/* Runs fn with stderr going to a temporary file; returns what it wrote (caller frees). */
static char *capture(void (*fn)(void))
{
    char path[] = "/tmp/lf-test-log-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    int saved = dup(STDERR_FILENO);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    ck_assert_int_eq(pread(fd, text, (size_t)size, 0), size);
    close(fd);
    unlink(path);
    return text;
}

/* Splits text at newlines in place: up to max lines into lines; returns how many. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    for (char *p = text; *p != '\0' && n < max;) {
        char *end = strchr(p, '\n');
        lines[n++] = p;
        if (end == NULL)
            break;
        *end = '\0';
        p = end + 1;
    }
    return n;
}

/* A naive logfmt reader: key=bare or key="quoted with \\ escapes"; the value of key into
 * out (unescaped only for \\n, \\", \\\\); false when the line does not parse. */
static bool logfmt_get(const char *line, const char *key, char *out, size_t size)
{
    bool found = false;
    const char *p = line;
    while (*p != '\0' && *p != '\n') {
        const char *k = p;
        while ((*p >= 'a' && *p <= 'z') || *p == '_')
            p++;
        if (p == k || *p != '=')
            return false;
        size_t klen = (size_t)(p - k);
        p++;
        char value[8192];
        size_t n = 0;
        if (*p == '"') {
            p++;
            while (*p != '"') {
                if (*p == '\0' || *p == '\n')
                    return false;
                char c = *p++;
                if (c == '\\') {
                    c = *p++;
                    c = c == 'n' ? '\n' : c;
                }
                if (n + 1 < sizeof(value))
                    value[n++] = c;
            }
            p++;
        } else {
            while (*p != ' ' && *p != '\n' && *p != '\0') {
                if (*p == '"' || *p == '=')
                    return false;
                if (n + 1 < sizeof(value))
                    value[n++] = *p;
                p++;
            }
            if (n == 0)
                return false;
        }
        value[n] = '\0';
        if (klen == strlen(key) && strncmp(k, key, klen) == 0) {
            snprintf(out, size, "%s", value);
            found = true;
        }
        if (*p == ' ')
            p++;
        else if (*p != '\n' && *p != '\0')
            return false;
    }
    return found || out == NULL;
}

static void write_events(void)
{
    char big[6000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_info("notify %s: %s", "@acme/core",
             "leakfleet: 2 goroutine leak suspects for @acme/core\n• shop: main.a\n• shop: main.b");
    log_warn("quote \" backslash \\ tab \t bell \a and not UTF-8 \xff\xfe end");
    log_fields(LOG_LEVEL_INFO, "detection pass", "sites", "412", "suspects", "3", "window", "6h",
               "owner", "@acme/core team", "skipped", (const char *)NULL, "empty", "",
               (const char *)NULL);
    log_info("%s", big);
    log_debug("not shown at info");
}

START_TEST(test_logfmt_one_line_an_event)
{
    log_set_level(LOG_LEVEL_INFO);
    log_set_format(LOG_FORMAT_LOGFMT);
    char *text = capture(write_events);
    char *lines[8];
    size_t n = split_lines(text, lines, 8);
    ck_assert_uint_eq(n, 4);
    char value[8192];
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(logfmt_get(lines[i], "ts", value, sizeof(value)), "%s", lines[i]);
        ck_assert_msg(strlen(value) == 24 && value[10] == 'T' && value[23] == 'Z', "%s", value);
        ck_assert_msg(logfmt_get(lines[i], "level", value, sizeof(value)), "%s", lines[i]);
        ck_assert_msg(logfmt_get(lines[i], "msg", value, sizeof(value)), "%s", lines[i]);
        ck_assert_uint_le(strlen(lines[i]), 4096);
    }
    ck_assert(logfmt_get(lines[0], "msg", value, sizeof(value)));
    ck_assert_ptr_nonnull(strstr(value, "@acme/core\n• shop: main.a\n• shop: main.b"));
    ck_assert(logfmt_get(lines[1], "level", value, sizeof(value)));
    ck_assert_str_eq(value, "warn");
    ck_assert_ptr_nonnull(strstr(lines[1], "\\xff\\xfe end\""));
    ck_assert(logfmt_get(lines[2], "sites", value, sizeof(value)));
    ck_assert_str_eq(value, "412");
    ck_assert(logfmt_get(lines[2], "owner", value, sizeof(value)));
    ck_assert_str_eq(value, "@acme/core team");
    ck_assert(logfmt_get(lines[2], "empty", value, sizeof(value)));
    ck_assert_str_eq(value, "");
    ck_assert(!logfmt_get(lines[2], "skipped", value, sizeof(value)));
    ck_assert_ptr_nonnull(
            strstr(lines[2], " msg=\"detection pass\" sites=412 suspects=3 window=6h "));
    free(text);
}
END_TEST

START_TEST(test_json_one_object_a_line)
{
    log_set_level(LOG_LEVEL_INFO);
    log_set_format(LOG_FORMAT_JSON);
    char *text = capture(write_events);
    log_set_format(LOG_FORMAT_LOGFMT);
    char *lines[8];
    size_t n_lines = split_lines(text, lines, 8);
    size_t n = 0;
    for (; n < n_lines; n++) {
        const char *line = lines[n];
        json_error_t error;
        json_t *event = json_loads(line, 0, &error);
        ck_assert_msg(event != NULL, "line %zu: %s: %s", n, error.text, line);
        ck_assert(json_is_string(json_object_get(event, "ts")));
        ck_assert(json_is_string(json_object_get(event, "level")));
        ck_assert(json_is_string(json_object_get(event, "msg")));
        if (n == 0)
            ck_assert_ptr_nonnull(
                    strstr(json_string_value(json_object_get(event, "msg")), "\n• shop: main.a"));
        if (n == 1)
            ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(event, "msg")),
                                         "UTF-8 \xef\xbf\xbd\xef\xbf\xbd end"));
        if (n == 2) {
            ck_assert_int_eq(json_integer_value(json_object_get(event, "sites")), 412);
            ck_assert_str_eq(json_string_value(json_object_get(event, "window")), "6h");
        }
        json_decref(event);
    }
    ck_assert_uint_eq(n, 4);
    free(text);
}
END_TEST

START_TEST(test_format_names)
{
    enum log_format f;
    ck_assert(log_format_from_name("json", &f) && f == LOG_FORMAT_JSON);
    ck_assert(log_format_from_name("logfmt", &f) && f == LOG_FORMAT_LOGFMT);
    ck_assert(!log_format_from_name("text", &f));
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("lines");
    tcase_add_test(tc, test_logfmt_one_line_an_event);
    tcase_add_test(tc, test_json_one_object_a_line);
    tcase_add_test(tc, test_format_names);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(log_suite)
