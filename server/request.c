/* request.c - the one reader of a request's query parameters and headers, and the typed
 * readers the handlers share (integers, durations, flags, ids). Every comparison is by
 * length and bytes, never by C string, so a name or value with a NUL inside cannot look
 * like a shorter one; request_check_query refuses such requests (and names or values
 * that are not UTF-8) before anyone reads them. Linear scans: a request holds at most
 * REQUEST_MAX_QUERY parameters. */
#include "request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"
#include "utf8.h"

struct http_param request_param_cstr(const char *key, const char *value)
{
    struct http_param param = { str_from_cstr(key),
                                value == NULL ? STR_NULL : str_from_cstr(value) };
    return param;
}

static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static bool has_control(struct str s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (is_control((unsigned char)s.p[i]))
            return true;
    }
    return false;
}

/* Writes s into buf for a message: printable ASCII as is, other bytes as \xNN, cut
 * with "..." past 48 bytes of input. */
static const char *printable(struct str s, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t out = 0;
    size_t i = 0;
    for (; i < s.len && i < 48 && out + 5 < size; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c < 0x7f) {
            buf[out++] = (char)c;
        } else {
            buf[out++] = '\\';
            buf[out++] = 'x';
            buf[out++] = hex[c >> 4];
            buf[out++] = hex[c & 15];
        }
    }
    if (i < s.len && out + 4 <= size) {
        memcpy(buf + out, "...", 3);
        out += 3;
    }
    buf[out] = '\0';
    return buf;
}

int request_check_query(const struct http_param *query, size_t n_query, struct lf_error *err)
{
    char name[256];
    if (n_query > REQUEST_MAX_QUERY)
        return lf_fail(err, LF_EINVAL, "more than %d query parameters", REQUEST_MAX_QUERY);
    for (size_t i = 0; i < n_query; i++) {
        if (has_control(query[i].key))
            return lf_fail(err, LF_EINVAL, "parameter name '%s' holds a control byte",
                           printable(query[i].key, name, sizeof(name)));
        if (!utf8_valid(query[i].key.p, query[i].key.len))
            return lf_fail(err, LF_EINVAL, "parameter name '%s' is not valid UTF-8",
                           printable(query[i].key, name, sizeof(name)));
    }
    for (size_t i = 0; i < n_query; i++) {
        printable(query[i].key, name, sizeof(name));
        if (has_control(query[i].value))
            return lf_fail(err, LF_EINVAL, "parameter '%s' holds a control byte", name);
        if (query[i].value.len > 0 && !utf8_valid(query[i].value.p, query[i].value.len))
            return lf_fail(err, LF_EINVAL, "parameter '%s' is not valid UTF-8", name);
        for (size_t j = 0; j < i; j++) {
            if (str_eq(query[j].key, query[i].key))
                return lf_fail(err, LF_EINVAL, "parameter '%s' is given more than once", name);
        }
    }
    return LF_OK;
}

int request_check_headers(const struct http_param *headers, size_t n_headers, struct lf_error *err)
{
    char name[256];
    for (size_t i = 0; i < n_headers; i++) {
        const struct http_param *h = &headers[i];
        if (memchr(h->key.p, '\0', h->key.len) != NULL ||
            (h->value.len > 0 && memchr(h->value.p, '\0', h->value.len) != NULL))
            return lf_fail(err, LF_EINVAL, "header '%s' holds a NUL byte",
                           printable(h->key, name, sizeof(name)));
    }
    return LF_OK;
}

/* The parameter called name, or NULL. */
static const struct http_param *find(const struct request *req, const char *name)
{
    struct str wanted = str_from_cstr(name);
    for (size_t i = 0; i < req->n_query; i++) {
        if (str_eq(req->query[i].key, wanted))
            return &req->query[i];
    }
    return NULL;
}

const char *request_query(const struct request *req, const char *name)
{
    const struct http_param *param = find(req, name);
    if (param == NULL)
        return NULL;
    return param->value.p == NULL ? "" : param->value.p;
}

const char *request_header(const struct request *req, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < req->n_headers; i++) {
        const struct http_param *h = &req->headers[i];
        if (h->key.len == len && strncasecmp(h->key.p, name, len) == 0)
            return h->value.p == NULL ? "" : h->value.p;
    }
    return NULL;
}

int request_allow_params(const struct request *req, const char *const *known, size_t n_known,
                         struct lf_error *err)
{
    for (size_t i = 0; i < req->n_query; i++) {
        bool found = false;
        for (size_t k = 0; k < n_known && !found; k++)
            found = str_eq_cstr(req->query[i].key, known[k]);
        if (!found) {
            char name[256];
            return lf_fail(err, LF_EINVAL, "unknown parameter '%s'",
                           printable(req->query[i].key, name, sizeof(name)));
        }
    }
    return LF_OK;
}

int request_query_text(const struct request *req, const char *name, const char **out,
                       struct lf_error *err)
{
    const char *value = request_query(req, name);
    *out = NULL;
    if (value != NULL && value[0] == '\0')
        return lf_fail(err, LF_EINVAL, "parameter '%s' is empty", name);
    *out = value;
    return LF_OK;
}

int request_query_name(const struct request *req, const char *name, size_t max, struct str *out,
                       struct lf_error *err)
{
    const char *value = request_query(req, name);
    *out = STR_NULL;
    if (value == NULL || value[0] == '\0')
        return lf_fail(err, LF_EINVAL, "missing parameter '%s'", name);
    size_t len = strlen(value);
    if (len > max)
        return lf_fail(err, LF_EINVAL, "parameter '%s' is longer than %zu bytes", name, max);
    *out = str_make(value, len);
    return LF_OK;
}

static bool parse_int(const char *value, int64_t *out)
{
    return str_to_int64(str_from_cstr(value), out);
}

/* A duration in whole seconds. */
static bool parse_seconds(const char *value, int64_t *out)
{
    int64_t ms = 0;
    if (!units_duration_ms(value, strlen(value), &ms) || ms % 1000 != 0)
        return false;
    *out = ms / 1000;
    return true;
}

/* The parameter name read by parse, in [min, max]; dflt when absent. */
static int query_number(const struct request *req, const char *name,
                        bool (*parse)(const char *, int64_t *), int64_t dflt, int64_t min,
                        int64_t max, const char *what, int64_t *out, struct lf_error *err)
{
    const char *value = request_query(req, name);
    *out = dflt;
    if (value == NULL)
        return LF_OK;
    int64_t v = 0;
    if (!parse(value, &v) || v < min || v > max)
        return lf_fail(err, LF_EINVAL, "parameter '%s' must be %s, not '%s'", name, what, value);
    *out = v;
    return LF_OK;
}

int request_query_int(const struct request *req, const char *name, int64_t dflt, int64_t min,
                      int64_t max, const char *what, int64_t *out, struct lf_error *err)
{
    return query_number(req, name, parse_int, dflt, min, max, what, out, err);
}

int request_query_duration(const struct request *req, const char *name, int64_t dflt, int64_t min,
                           int64_t max, const char *what, int64_t *out, struct lf_error *err)
{
    return query_number(req, name, parse_seconds, dflt, min, max, what, out, err);
}

int request_query_bool(const struct request *req, const char *name, bool *out, struct lf_error *err)
{
    const char *value = request_query(req, name);
    *out = false;
    if (value == NULL)
        return LF_OK;
    if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || value[0] == '\0') {
        *out = true;
        return LF_OK;
    }
    if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
        return LF_OK;
    return lf_fail(err, LF_EINVAL, "parameter '%s' must be 1 or 0, not '%s'", name, value);
}

int request_id(const struct request *req, const char *what, int64_t *out, struct lf_error *err)
{
    char text[256];
    if (!str_to_int64(req->id, out) || *out <= 0)
        return lf_fail(err, LF_EINVAL, "%s id must be a positive integer, not '%s'", what,
                       printable(req->id, text, sizeof(text)));
    return LF_OK;
}
