/* message.c - the text of an owner's message: one line per finding, cut on a character
 * boundary at MESSAGE_TEXT_MAX - 1 bytes, and the JSON body around it. No I/O: dispatch.c
 * reads the findings and posts what this builds. */
#include "message.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"
#include "utf8json.h"

static const char *finding_kind(json_t *finding)
{
    const char *kind = json_string_value(json_object_get(finding, "kind"));
    return kind ? kind : "new";
}

/* The text of one message: at most MESSAGE_TEXT_MAX - 1 bytes, cut on a character
 * boundary; once a line is cut nothing more is added. */
#define MESSAGE_TEXT_MAX 4096

struct text {
    char buf[MESSAGE_TEXT_MAX];
    size_t len;
    bool full;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
    if (t->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = utf8_vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(t->buf) - t->len) {
        t->len += (size_t)n;
        return;
    }
    if (n < 0)
        t->buf[t->len] = '\0';
    else
        t->len += strlen(t->buf + t->len); /* cut on a character boundary */
    t->full = true;
}

json_t *message_build(const char *raw_owner, json_t *findings)
{
    size_t n = json_array_size(findings);
    if (n == 0 || raw_owner == NULL)
        return NULL;
    /* The owner is a C string from the table: repaired before it is printed, so the text
     * is valid UTF-8 as it is cut. The findings' strings are JSON, valid already. */
    size_t raw_len = strlen(raw_owner);
    char *owner = lf_malloc(utf8_sanitized_len(raw_owner, raw_len) + 1);
    if (owner == NULL)
        return NULL;
    owner[utf8_sanitize(raw_owner, raw_len, owner)] = '\0';
    struct text text = { .len = 0 };
    text.buf[0] = '\0';
    json_t *first = json_array_get(findings, 0);
    const char *kind = finding_kind(first);
    if (strcmp(kind, "resolve") == 0)
        text_add(&text, "leakfleet: %zu goroutine leak%s resolved for %s", n, n == 1 ? "" : "s",
                 owner);
    else
        text_add(&text, "leakfleet: %zu goroutine leak suspect%s for %s", n, n == 1 ? "" : "s",
                 owner);
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f) {
        const char *fkind = finding_kind(f);
        json_t *growth = json_object_get(f, "growth_per_hour");
        json_t *hours = json_object_get(json_object_get(f, "projection"), "hours");
        char growth_text[64] = "";
        if (json_is_number(growth))
            snprintf(growth_text, sizeof(growth_text), ", %+.0f/h", json_number_value(growth));
        char projection_text[96] = "";
        if (json_is_number(hours))
            snprintf(projection_text, sizeof(projection_text), ", reaches %lld in %.0f h",
                     (long long)json_integer_value(
                             json_object_get(json_object_get(f, "projection"), "target")),
                     json_number_value(hours));
        bool plain = strcmp(fkind, "new") == 0;
        const char *service = json_string_value(json_object_get(f, "service"));
        const char *function = json_string_value(json_object_get(f, "function"));
        /* the repo-relative path where there is one: the build path means nothing to the
         * reader, and is what web.source_url links */
        const char *file = json_string_value(json_object_get(f, "repo_path"));
        if (file == NULL)
            file = json_string_value(json_object_get(f, "file"));
        const char *op = json_string_value(json_object_get(f, "op"));
        text_add(&text, "\n• %s%s%s: %s at %s:%lld (%s): %lld goroutines%s%s", plain ? "" : fkind,
                 plain ? "" : ": ", service ? service : "?", function ? function : "?",
                 file ? file : "?", (long long)json_integer_value(json_object_get(f, "line")),
                 op ? op : "?", (long long)json_integer_value(json_object_get(f, "count")),
                 growth_text, projection_text);
        const char *since_version = json_string_value(json_object_get(f, "since_version"));
        if (since_version)
            text_add(&text, ", growing since %s", since_version);
        const char *link = json_string_value(json_object_get(f, "link"));
        if (link)
            text_add(&text, " %s", link);
        const char *source = json_string_value(json_object_get(f, "source_url"));
        if (source)
            text_add(&text, "\n  source: %s", source);
        json_t *culprit = json_object_get(f, "culprit");
        const char *culprit_function = json_string_value(json_object_get(culprit, "function"));
        if (culprit_function) {
            const char *culprit_file = json_string_value(json_object_get(culprit, "repo_path"));
            if (culprit_file == NULL)
                culprit_file = json_string_value(json_object_get(culprit, "file"));
            text_add(&text, "\n  from %s at %s:%lld", culprit_function,
                     culprit_file ? culprit_file : "?",
                     (long long)json_integer_value(json_object_get(culprit, "line")));
            const char *culprit_source = json_string_value(json_object_get(culprit, "source_url"));
            if (culprit_source)
                text_add(&text, ", source: %s", culprit_source);
        }
    }
    json_t *message = json_pack(
            "{s:o, s:o, s:o, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?,"
            " s:O?, s:O?, s:O}",
            "owner", utf8json_cstr(owner), "kind", utf8json_cstr(kind), "text",
            utf8json_string(text.buf, text.len), "service", json_object_get(first, "service"),
            "location_id", json_object_get(first, "location_id"), "function",
            json_object_get(first, "function"), "file", json_object_get(first, "file"), "line",
            json_object_get(first, "line"), "op", json_object_get(first, "op"), "count",
            json_object_get(first, "count"), "growth_per_hour",
            json_object_get(first, "growth_per_hour"), "projection",
            json_object_get(first, "projection"), "link", json_object_get(first, "link"),
            "findings", findings);
    lf_free(owner);
    return message;
}
