/* log.c - timestamped, leveled lines on stderr, logfmt or JSON. Each line is built in one
 * buffer and written with a single write(2), so lines from threads never interleave; every
 * value is escaped, so a message with newlines or quotes (a webhook text, a function name
 * from a push) stays one line a shipper can parse. Bytes that are not UTF-8 become
 * U+FFFD in JSON and \xNN in logfmt. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "utf8.h"

#define LINE_MAX_BYTES 4096
#define LINE_RESERVE   8 /* room kept for a closing quote, brace and newline */

static volatile enum log_level min_level = LOG_LEVEL_INFO;
static volatile enum log_format line_format = LOG_FORMAT_LOGFMT;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level)
{
    min_level = level;
}

bool log_level_from_name(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    if (strcmp(name, "warning") == 0) {
        *out = LOG_LEVEL_WARN;
        return true;
    }
    return false;
}

void log_set_format(enum log_format format)
{
    line_format = format;
}

bool log_format_from_name(const char *name, enum log_format *out)
{
    if (strcmp(name, "logfmt") == 0)
        *out = LOG_FORMAT_LOGFMT;
    else if (strcmp(name, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return false;
    return true;
}

/* ---- one line ----------------------------------------------------------------------- */

struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
    bool json;
};

/* Appends n bytes if they fit before the reserve; false (and nothing) when not. */
static bool put(struct line *l, const char *s, size_t n)
{
    if (l->len + n > sizeof(l->buf) - LINE_RESERVE)
        return false;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    return true;
}

static bool put_str(struct line *l, const char *s)
{
    return put(l, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_length(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned min;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = p[0] & (0xff >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* logfmt leaves a value bare when it is non-empty plain text. */
static bool needs_quotes(const char *s)
{
    if (s[0] == '\0')
        return true;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f)
            return true;
    return false;
}

/* A number JSON can take as is: -?digits(.digits)?, no leading zeros but "0". */
static bool plain_number(const char *s)
{
    const char *p = s + (s[0] == '-');
    if (!(*p >= '0' && *p <= '9') || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* Appends value quoted and escaped (cut where the line is full, quotes still closed). */
static void put_quoted(struct line *l, const char *value)
{
    l->buf[l->len++] = '"'; /* the reserve always has room for the quotes */
    const unsigned char *p = (const unsigned char *)value;
    size_t left = strlen(value);
    while (left > 0) {
        char esc[8];
        size_t n = 0;
        size_t take = 1;
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            n = 2;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            n = 2;
        } else if (c < 0x20 || c == 0x7f) {
            n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
        } else if (c >= 0x80) {
            take = utf8_length(p, left);
            if (take == 0) {
                take = 1;
                n = l->json ? (size_t)snprintf(esc, sizeof(esc), "\\ufffd")
                            : (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
            }
        }
        if (n > 0 ? !put(l, esc, n) : !put(l, (const char *)p, take))
            break;
        p += take;
        left -= take;
    }
    l->buf[l->len++] = '"';
}

/* Appends key and value; a key that does not fit leaves the line as it was. */
static void put_field(struct line *l, const char *key, const char *value)
{
    size_t start = l->len;
    if (l->json) {
        if (!put_str(l, ",\"") || !put_str(l, key) || !put_str(l, "\":")) {
            l->len = start;
            return;
        }
        if (!plain_number(value) || !put_str(l, value))
            put_quoted(l, plain_number(value) ? "" : value);
    } else {
        if (!put_str(l, " ") || !put_str(l, key) || !put_str(l, "=")) {
            l->len = start;
            return;
        }
        if (needs_quotes(value))
            put_quoted(l, value);
        else if (!put_str(l, value))
            put_quoted(l, ""); /* no room: an empty value keeps the line parseable */
    }
}

static void line_start(struct line *l, enum log_level level)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);
    l->len = 0;
    l->json = line_format == LOG_FORMAT_JSON;
    if (l->json) {
        put_str(l, "{\"ts\":\"");
        put_str(l, ts);
        put_str(l, "\",\"level\":\"");
        put_str(l, level_names[level]);
        put_str(l, "\"");
    } else {
        put_str(l, "ts=");
        put_str(l, ts);
        put_str(l, " level=");
        put_str(l, level_names[level]);
    }
}

static void line_write(struct line *l)
{
    if (l->json)
        l->buf[l->len++] = '}';
    l->buf[l->len++] = '\n';
    ssize_t written = write(STDERR_FILENO, l->buf, l->len);
    (void)written;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char text[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = utf8_vsnprintf(text, sizeof(text), fmt, ap); /* cut between characters */
    va_end(ap);
    if (n < 0)
        text[0] = '\0';
    struct line l;
    line_start(&l, level);
    put_field(&l, "msg", text);
    line_write(&l);
}

void log_fields(enum log_level level, const char *msg, ...)
{
    if (level < min_level)
        return;
    struct line l;
    line_start(&l, level);
    put_field(&l, "msg", msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *key = va_arg(ap, const char *);
        if (key == NULL)
            break;
        const char *value = va_arg(ap, const char *);
        if (value != NULL)
            put_field(&l, key, value);
    }
    va_end(ap);
    line_write(&l);
}
