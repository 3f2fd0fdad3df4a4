/* routes.h - the server's route table (method + path pattern -> auth level, body cap,
 * handler, metric name) and the matcher http.c uses on it. The handlers the table names,
 * and the context they share, are declared in api.h. */
#ifndef LF_ROUTES_H
#define LF_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "http.h"
#include "str.h"

/* One row. pattern segments are literal, ":id" (one non-empty segment, handed to the
 * handler as request.id), or a final "*" (any rest; such rows answer only their own
 * method, and HEAD when it is GET, never make another method a 405, and never answer a
 * path an earlier row names for other methods: GET /api/v1/detect is a 405). */
struct route {
    const char *method;
    const char *pattern;
    enum auth_level auth;
    size_t body_limit; /* bytes of body accepted; 0 = none */
    route_fn handler;
    const char *metric; /* label of its latency histogram */
};

/* The server's table, in match order, and its length. */
extern const struct route routes[];
extern const size_t routes_count;

enum route_match {
    ROUTE_FOUND,
    ROUTE_NOT_FOUND,
    ROUTE_BAD_METHOD, /* the path exists for other methods */
};

/* True when route is a Connect protocol procedure: its pattern's first segment names a
 * fully qualified service ("/push.v1.PusherService/Push"), so it holds a '.'. http.c
 * answers its errors in Connect's form ({"code", "message"}, http_connect_error_body). */
bool routes_is_connect(const struct route *route);

/* Matches (method, path) against table (n rows); HEAD matches the GET rows. ROUTE_FOUND
 * sets *index and *id (a view into path; empty when the pattern has no ":id");
 * ROUTE_BAD_METHOD writes the allowed methods ("GET, HEAD, POST") into allow (size > 0). */
enum route_match routes_match(const struct route *table, size_t n, const char *method,
                              const char *path, size_t *index, struct str *id, char *allow,
                              size_t allow_size);

#endif
