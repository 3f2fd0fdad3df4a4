/* request.h - what a route handler sees of an HTTP request, and the one reader of its
 * query parameters. http.c collects the query once per request, as libmicrohttpd decoded
 * it: (name, value) byte ranges that may hold any byte, %00 included. Before the token
 * check reads `service`, request_check_query refuses the whole request (400 naming the
 * parameter) when a name or a value holds a NUL or another control byte, when a name
 * is given twice, or when there are more than REQUEST_MAX_QUERY parameters. The token
 * check and every handler then read through request_query and the typed readers below,
 * which match names by length and bytes: no two readers of one request can disagree on
 * which parameter they saw. No libmicrohttpd here, so handlers are tests without sockets. */
#ifndef LF_REQUEST_H
#define LF_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "error.h"
#include "str.h"

/* More query parameters than this refuse the request (no route takes half as many). */
#define REQUEST_MAX_QUERY 32

/* One query parameter or header. Both views are NUL-terminated after their len bytes
 * (libmicrohttpd decodes in place and terminates), so a checked value is also a C
 * string; value.p is NULL for a bare "?flag". Valid for the request's life. */
struct http_param {
    struct str key;
    struct str value;
};

/* What a handler sees: no MHD, so each handler is a unit test without sockets. */
struct request {
    const char *method;
    const char *path;               /* decoded path, without the query string */
    const struct http_param *query; /* n_query parameters in order */
    size_t n_query;
    const struct http_param *headers; /* n_headers headers in order */
    size_t n_headers;
    struct str id;           /* the ":id" segment of the pattern; empty if none */
    struct str body;         /* the whole body as received (not gunzipped) */
    size_t route;            /* index of the matched route */
    void *app;               /* the context given to http_open */
    struct auth_grant grant; /* what the request's token may do (http_admit); zeroed = nothing */
};

/* A parameter or header from C strings (value may be NULL), for tests and tools. */
struct http_param request_param_cstr(const char *key, const char *value);

/* Checks a request's query before anything reads it. Returns LF_OK or LF_EINVAL with
 * "more than 32 query parameters", "parameter name 'service\x00' holds a control byte"
 * (the name with bytes outside 0x20..0x7e as \xNN), "parameter 'instance' holds a control
 * byte" (NUL, 0x01..0x1f, 0x7f), or "parameter 'service' is given more than once". */
int request_check_query(const struct http_param *query, size_t n_query, struct lf_error *err);

/* Checks headers for a NUL in a name or a value, which a C-string reader would cut
 * short. Returns LF_OK or LF_EINVAL "header 'NAME' holds a NUL byte". */
int request_check_headers(const struct http_param *headers, size_t n_headers, struct lf_error *err);

/* The value of query parameter name as a C string: "" for a bare "?name", NULL when
 * absent. Names match by length and bytes, so "service\0" is not "service". On a
 * request that passed request_check_query (every request http.c hands to a handler),
 * the value holds no control byte and the name is the only one of its kind. Borrowed. */
const char *request_query(const struct request *req, const char *name);

/* The value of header name, compared case-insensitively (NULL when absent). Borrowed. */
const char *request_header(const struct request *req, const char *name);

/* LF_EINVAL "unknown parameter 'NAME'" for the first parameter not among known
 * (n_known names; a route without parameters passes NULL, 0), else LF_OK. */
int request_allow_params(const struct request *req, const char *const *known, size_t n_known,
                         struct lf_error *err);

/* An optional non-empty text parameter: *out is NULL when absent; LF_EINVAL "parameter
 * 'NAME' is empty" for "?name" or "?name=". */
int request_query_text(const struct request *req, const char *name, const char **out,
                       struct lf_error *err);

/* A required name of 1..max bytes (a service, an instance): *out views the value (a C
 * string too); LF_EINVAL "missing parameter 'NAME'" when absent or empty, "parameter
 * 'NAME' is longer than MAX bytes". */
int request_query_name(const struct request *req, const char *name, size_t max, struct str *out,
                       struct lf_error *err);

/* An optional decimal integer in [min, max]: *out is dflt when absent; LF_EINVAL
 * "parameter 'NAME' must be WHAT, not 'VALUE'" otherwise. */
int request_query_int(const struct request *req, const char *name, int64_t dflt, int64_t min,
                      int64_t max, const char *what, int64_t *out, struct lf_error *err);

/* An optional duration in whole seconds, in the grammar of units.h ("90", "5m", "1h30m",
 * "2d"), in [min, max]:
 * *out is dflt when absent; LF_EINVAL "parameter 'NAME' must be WHAT, not 'VALUE'". */
int request_query_duration(const struct request *req, const char *name, int64_t dflt, int64_t min,
                           int64_t max, const char *what, int64_t *out, struct lf_error *err);

/* An optional flag: "1", "true" and a bare "?name" are true, "0" and "false" false,
 * absence false; LF_EINVAL "parameter 'NAME' must be 1 or 0, not 'VALUE'". */
int request_query_bool(const struct request *req, const char *name, bool *out,
                       struct lf_error *err);

/* The ":id" segment as a positive integer; LF_EINVAL "WHAT id must be a positive
 * integer, not 'ID'" (what: "location", "notification"). */
int request_id(const struct request *req, const char *what, int64_t *out, struct lf_error *err);

#endif
