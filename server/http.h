/* http.h - the HTTP layer of the server, a wrapper over libmicrohttpd: it accumulates each
 * request body under its route's cap (413 while receiving), answers 404/405 from the
 * route table (HEAD by the GET rows), collects the query once and checks it (request.h)
 * and the bearer token before reading a body, calls the route's handler
 * and turns its result into a response (JSON by jansson, errors as {"error": "..."} with
 * the status of the one lf_code -> HTTP table). It also serves the embedded dashboard
 * with a Content-Security-Policy that forbids inline script.
 *
 * Threading, chosen by measurement (make bench-ingest: 2 cores, wrk -c64, a 2.6 KB pprof
 * push from 2,000 instances): ingest handlers block in writer_run() until their group
 * commit is on disk, so what matters is how many pushes can wait at once. With
 * MHD_USE_INTERNAL_POLLING_THREAD and a pool of N threads a blocked handler stalls every
 * connection of its thread: pool 4 gave 6,984 pushes/s (batches of at most 4, 0.5
 * commits per push), pool 16 14,852/s (p99 22 ms, 0.19). One thread per connection lets
 * every push join the same commit: 14,665-18,647/s, p99 7-14 ms, 0.07-0.14 commits per
 * push. The pool serves /healthz faster (112k vs 67k-84k req/s), but ingest is what the
 * server is for, so HTTP_THREAD_PER_CONNECTION is the default; the pool stays selectable
 * (config `http.threads: N`) for measurements. connection_limit bounds the threads. */
#ifndef LF_HTTP_H
#define LF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "request.h"
#include "str.h"

struct route;
struct metrics;
struct auth;

/* The handler's answer. Zero-initialized by http.c; a handler sets status (0 = 200) and
 * either json (owned: http.c serializes and releases it) or a raw body with its
 * content_type: a borrowed body that outlives the response (static_body, e.g. embedded
 * files) or an owned one (owned_body, freed by http.c with lf_free). */
struct response {
    int status;
    json_t *json;
    const char *content_type;
    const void *static_body;
    char *owned_body;
    size_t body_len;
    const char *cache_control; /* NULL = "no-store" */
};

/* A route handler. Returns LF_OK with resp filled, or a negative code with err set, which
 * http.c answers with {"error": err->msg} and the code's status (resp is released). */
typedef int (*route_fn)(const struct request *req, struct response *resp, struct lf_error *err);

/* Frees what resp owns (json, owned_body) and zeroes it. */
void response_release(struct response *resp);

/* The checks of a request's first callback, before a byte of its body is read: the
 * query and headers (request_check_query, request_check_headers: 400), then route's
 * auth level with the Authorization header and the `service` parameter read through
 * request_header and request_query, the readers every handler uses (401, 403). Sets
 * req->grant to what the token may do (the handler of an AUTH_INGEST_LABELS route asks
 * it about each service the body names). Returns LF_OK, LF_EINVAL, LF_EAUTH or
 * LF_EFORBIDDEN with err set. */
int http_admit(const struct route *route, const struct auth *auth, struct request *req,
               struct lf_error *err);

/* The body of a Connect protocol error, {"code": "...", "message": msg} (msg repaired to
 * valid UTF-8), for an error whose HTTP status would be status: a new string (caller
 * frees with free()) and in *connect_status the status Connect pairs with that code
 * (400 invalid_argument, 401 unauthenticated, 403 permission_denied, 404 not_found,
 * 409 already_exists, 503 unavailable, 500 internal; a body over its cap is
 * invalid_argument). NULL when allocation fails. */
char *http_connect_error_body(int status, const char *msg, int *connect_status);

/* The HTTP status for an error code: 400, 401, 403, 404, 409, 413, 422, 500 or 503. */
int http_status_for_code(enum lf_code code);

/* Handler for GET of the embedded dashboard: "/" is index.html, "/NAME" is web/NAME;
 * LF_ENOTFOUND for anything else. Sets the content type from the extension. */
int http_static(const struct request *req, struct response *resp, struct lf_error *err);

enum http_threading {
    HTTP_THREAD_PER_CONNECTION, /* the default, see the comment at the top */
    HTTP_THREAD_POOL,           /* internal polling (epoll) with a pool of threads */
};

struct http_options {
    const char *listen; /* "ADDR:PORT", "[v6]:PORT"; port 0 picks a free one */
    enum http_threading threading;
    unsigned threads;          /* pool size for HTTP_THREAD_POOL (0 = 2 per core) */
    size_t max_body_bytes;     /* replaces the cap of every route that takes a body
                                  larger than 64 KiB (the ingest route); 0 keeps them */
    unsigned connection_limit; /* 0 = 4096 */
    unsigned per_ip_limit;     /* connections from one address; 0 = a quarter of the
                                  connection limit, so one host cannot take them all */
    unsigned timeout_seconds;  /* idle connection timeout; 0 = 30 */
};

struct http_server;

/* Starts serving routes (n_routes rows, borrowed for the server's life) with app passed
 * to every handler, auth for the routes' auth levels, and metrics (may be NULL) for
 * latencies. Returns LF_OK with *out set (stop with http_close), LF_EINVAL for a bad
 * listen address, LF_EIO when the daemon cannot start (port in use). */
int http_open(const struct http_options *opts, const struct route *routes, size_t n_routes,
              const struct auth *auth, struct metrics *metrics, void *app, struct http_server **out,
              struct lf_error *err);

/* Checks before anything is created that listen is an address this process can bind
 * (parsed as http_open does, bound once and released): LF_EINVAL for a bad address,
 * LF_EIO naming the address and the reason ("Address already in use"). */
int http_check_listen(const char *listen, struct lf_error *err);

/* The port actually bound (useful with port 0). */
uint16_t http_port(const struct http_server *server);

/* Requests started and not yet completed. */
unsigned http_in_flight(const struct http_server *server);

/* Graceful stop: closes the listening socket, waits up to grace_ms for the requests in
 * flight to complete, then stops the daemon and frees the server. NULL does nothing. */
void http_close(struct http_server *server, unsigned grace_ms);

#endif
