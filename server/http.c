/* http.c - libmicrohttpd glue: per-request state lives on *con_cls from the first
 * callback to MHD_OPTION_NOTIFY_COMPLETED, where it is freed. Route, auth and the
 * Content-Length cap are decided on the first callback, before any body byte is read, so
 * a refused push costs no upload; a body that grows past its cap while arriving is
 * answered 413 at once. Owns the only lf_code -> HTTP status table. Threading: see
 * http.h. */
#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "alloc.h"
#include "embedded.h"
#include "log.h"
#include "metrics.h"
#include "routes.h"
#include "utf8.h"
#include "utf8json.h"

#define MAX_HEADERS 64
#define SMALL_BODY  ((size_t)64 << 10)

static const char csp[] = "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                          "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

struct http_server {
    struct MHD_Daemon *daemon;
    const struct route *routes;
    size_t n_routes;
    const struct auth *auth;
    struct metrics *metrics;
    void *app;
    size_t max_body;
    uint16_t port;
    atomic_uint in_flight;
};

/* Per-request state, from the first access callback to the completion callback. */
struct http_call {
    struct http_server *server;
    struct timespec start;
    size_t route; /* n_routes until matched */
    struct str id;
    char *body;
    size_t len;
    size_t cap;
    size_t limit;
    size_t expected; /* declared Content-Length (within limit); 0 = unknown */
    bool responded;
    bool too_big;     /* the body passed its cap while arriving: the rest is discarded */
    size_t discarded; /* bytes dropped since */
    int status;
    char method[16];
    char path[160];                                 /* for the access log only */
    struct http_param query[REQUEST_MAX_QUERY + 1]; /* one more: "too many" is refused */
    size_t n_query;
    struct http_param headers[MAX_HEADERS];
    size_t n_headers;
    struct auth_grant grant; /* set by http_admit, handed to the handler */
};

/* ---- the one table of statuses ----------------------------------------------------- */

int http_status_for_code(enum lf_code code)
{
    switch (code) {
    case LF_OK:
        return 200;
    case LF_EINVAL:
    case LF_EUSAGE:
        return 400;
    case LF_EAUTH:
        return 401;
    case LF_EFORBIDDEN:
        return 403;
    case LF_ENOTFOUND:
        return 404;
    case LF_ECONFLICT:
        return 409;
    case LF_ETOOBIG:
        return 413;
    case LF_EMISMATCH:
        return 422;
    case LF_EUNAVAIL:
        return 503;
    case LF_ENOMEM:
    case LF_EIO:
    case LF_EDB:
    case LF_EINTERNAL:
        return 500;
    }
    return 500;
}

/* ---- responses and admission ------------------------------------------------------- */

void response_release(struct response *resp)
{
    json_decref(resp->json);
    lf_free(resp->owned_body);
    memset(resp, 0, sizeof(*resp));
}

int http_admit(const struct route *route, const struct auth *auth, struct request *req,
               struct lf_error *err)
{
    memset(&req->grant, 0, sizeof(req->grant));
    int rc = request_check_query(req->query, req->n_query, err);
    if (rc == LF_OK)
        rc = request_check_headers(req->headers, req->n_headers, err);
    if (rc == LF_OK && route->auth != AUTH_NONE)
        rc = auth_identify(auth, request_header(req, MHD_HTTP_HEADER_AUTHORIZATION), route->auth,
                           request_query(req, "service"), &req->grant, err);
    return rc;
}

/* ---- the embedded dashboard ---------------------------------------------------------- */

static const struct {
    const char *suffix;
    const char *type;
} content_types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".json", "application/json" },
    { ".map", "application/json" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".woff2", "font/woff2" },
    { ".txt", "text/plain; charset=utf-8" },
};

int http_static(const struct request *req, struct response *resp, struct lf_error *err)
{
    if (strncmp(req->path, "/api/", 5) == 0)
        return lf_fail(err, LF_ENOTFOUND, "no route for %s '%s'", req->method, req->path);
    const char *name = req->path[0] == '/' ? req->path + 1 : req->path;
    if (name[0] == '\0')
        name = "index.html";
    for (const struct embedded_file *f = embedded_web; f->name != NULL; f++) {
        if (strcmp(f->name, name) != 0)
            continue;
        resp->static_body = f->data;
        resp->body_len = f->len;
        resp->content_type = "application/octet-stream";
        for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
            if (str_has_suffix_cstr(str_from_cstr(name), content_types[i].suffix))
                resp->content_type = content_types[i].type;
        }
        resp->cache_control = strcmp(name, "index.html") == 0 ? "no-cache" : "max-age=300";
        return LF_OK;
    }
    return lf_fail(err, LF_ENOTFOUND, "no such page '%s'", req->path);
}

/* ---- responses ----------------------------------------------------------------------- */

static bool add_common_headers(struct MHD_Response *r, const char *content_type,
                               const char *cache_control)
{
    return MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES &&
           MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES &&
           MHD_add_response_header(r, "Content-Security-Policy", csp) == MHD_YES &&
           MHD_add_response_header(r, "Referrer-Policy", "no-referrer") == MHD_YES &&
           MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                                   cache_control == NULL ? "no-store" : cache_control) == MHD_YES;
}

/* Queues r with status, adding allow / WWW-Authenticate where they apply; destroys r. */
static enum MHD_Result queue(struct MHD_Connection *conn, struct http_call *call,
                             struct MHD_Response *r, int status, const char *allow)
{
    if (allow != NULL && allow[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    call->responded = true;
    call->status = status;
    return ok;
}

/* The JSON text of {"error": msg}; bytes that are not valid UTF-8 (quoted input) become
 * U+FFFD. */
static char *error_body(const char *msg)
{
    json_t *obj = json_object();
    json_t *text = utf8json_cstr(msg);
    char *body = NULL;
    if (obj != NULL && text != NULL && json_object_set_new(obj, "error", text) == 0) {
        text = NULL;
        body = json_dumps(obj, JSON_COMPACT);
    }
    json_decref(text);
    json_decref(obj);
    return body;
}

/* Connect's codes and the HTTP statuses it pairs with them, by the status leakfleet
 * would answer. */
static const struct {
    int status;
    const char *code;
    int connect_status;
} connect_codes[] = {
    { 400, "invalid_argument", 400 },  { 401, "unauthenticated", 401 },
    { 403, "permission_denied", 403 }, { 404, "not_found", 404 },
    { 409, "already_exists", 409 },    { 413, "invalid_argument", 400 },
    { 422, "invalid_argument", 400 },  { 503, "unavailable", 503 },
};

char *http_connect_error_body(int status, const char *msg, int *connect_status)
{
    const char *code = "internal";
    *connect_status = 500;
    for (size_t i = 0; i < sizeof(connect_codes) / sizeof(connect_codes[0]); i++) {
        if (connect_codes[i].status == status) {
            code = connect_codes[i].code;
            *connect_status = connect_codes[i].connect_status;
        }
    }
    json_t *obj = json_object();
    json_t *text = utf8json_cstr(msg);
    char *body = NULL;
    if (obj != NULL && text != NULL && json_object_set_new(obj, "code", json_string(code)) == 0 &&
        json_object_set_new(obj, "message", text) == 0) {
        text = NULL;
        body = json_dumps(obj, JSON_COMPACT);
    }
    json_decref(text);
    json_decref(obj);
    return body;
}

/* True when the call matched a Connect procedure (routes_is_connect): its errors take
 * Connect's form. */
static bool call_is_connect(const struct http_call *call)
{
    return call->route < call->server->n_routes &&
           routes_is_connect(&call->server->routes[call->route]);
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, struct http_call *call,
                                     const struct lf_error *err, const char *allow)
{
    int status = http_status_for_code(err->code);
    const char *msg = err->msg[0] != '\0' ? err->msg : lf_code_name(err->code);
    char *body =
            call_is_connect(call) ? http_connect_error_body(status, msg, &status) : error_body(msg);
    struct MHD_Response *r;
    if (body != NULL) {
        r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
        if (r == NULL)
            free(body);
    } else {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        r = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)(uintptr_t)oom,
                                            MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL)
        return MHD_NO;
    if (!add_common_headers(r, "application/json", NULL)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    return queue(conn, call, r, status, allow);
}

static enum MHD_Result respond(struct MHD_Connection *conn, struct http_call *call,
                               struct response *resp)
{
    struct MHD_Response *r = NULL;
    const char *type = resp->content_type;
    if (resp->json != NULL) {
        char *text = json_dumps(resp->json, JSON_COMPACT);
        if (text != NULL) {
            r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
            if (r == NULL)
                free(text);
        }
        type = "application/json";
    } else if (resp->owned_body != NULL) {
        r = MHD_create_response_from_buffer_with_free_callback(resp->body_len, resp->owned_body,
                                                               lf_free);
        if (r != NULL)
            resp->owned_body = NULL;
    } else {
        r = MHD_create_response_from_buffer(resp->body_len, (void *)(uintptr_t)resp->static_body,
                                            MHD_RESPMEM_PERSISTENT);
    }
    int status = resp->status == 0 ? 200 : resp->status;
    const char *cache = resp->cache_control;
    response_release(resp);
    if (r == NULL) {
        struct lf_error err;
        lf_fail(&err, LF_ENOMEM, "out of memory building the response");
        return respond_error(conn, call, &err, NULL);
    }
    if (!add_common_headers(r, type == NULL ? "application/octet-stream" : type, cache)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    return queue(conn, call, r, status, NULL);
}

/* ---- the request state machine -------------------------------------------------------- */

/* Keeps the query as MHD decoded it, with lengths: a "%00" inside a name or a value is
 * kept, for request_check_query to refuse. */
static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    struct http_call *call = cls;
    if (call->n_query == sizeof(call->query) / sizeof(call->query[0]))
        return MHD_NO;
    call->query[call->n_query++] =
            (struct http_param){ str_make(key, key_len), str_make(value, value_len) };
    return MHD_YES;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    struct http_call *call = cls;
    if (call->n_headers == MAX_HEADERS)
        return MHD_NO;
    call->headers[call->n_headers++] =
            (struct http_param){ str_make(key, key_len), str_make(value, value_len) };
    return MHD_YES;
}

/* The request as a handler sees it; the body is added when it is complete. */
static struct request call_request(const struct http_call *call, const char *url,
                                   const char *method)
{
    struct request req = {
        .method = method,
        .path = url,
        .query = call->query,
        .n_query = call->n_query,
        .headers = call->headers,
        .n_headers = call->n_headers,
        .id = call->id,
        .body = str_make(call->body, call->len),
        .route = call->route,
        .app = call->server->app,
        .grant = call->grant,
    };
    return req;
}

static size_t route_body_limit(const struct http_server *server, const struct route *route)
{
    if (route->body_limit > SMALL_BODY && server->max_body > 0)
        return server->max_body;
    return route->body_limit;
}

/* First callback: match, authenticate, check the declared length. */
static enum MHD_Result begin(struct http_server *server, struct MHD_Connection *conn,
                             struct http_call *call, const char *url, const char *method)
{
    struct lf_error err;
    lf_error_clear(&err);
    char allow[64];
    size_t index = 0;
    enum route_match m = routes_match(server->routes, server->n_routes, method, url, &index,
                                      &call->id, allow, sizeof(allow));
    if (m == ROUTE_NOT_FOUND) {
        lf_fail(&err, LF_ENOTFOUND, "no route for %s '%s'", method, url);
        return respond_error(conn, call, &err, NULL);
    }
    if (m == ROUTE_BAD_METHOD) {
        /* 405 is the router's answer, never a handler's: no lf_code maps to it */
        lf_fail(&err, LF_EINVAL, "method %s not allowed on '%s'", method, url);
        char *body = error_body(err.msg);
        struct MHD_Response *r = body == NULL ? NULL
                                              : MHD_create_response_from_buffer(
                                                        strlen(body), body, MHD_RESPMEM_MUST_FREE);
        if (r == NULL) {
            free(body);
            return MHD_NO;
        }
        if (!add_common_headers(r, "application/json", NULL)) {
            MHD_destroy_response(r);
            return MHD_NO;
        }
        return queue(conn, call, r, 405, allow);
    }
    call->route = index;
    const struct route *route = &server->routes[index];
    call->limit = route_body_limit(server, route);
    /* the one collection of the query and headers: the checks below and the handler
     * read these arrays, never MHD again */
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_query, call);
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, collect_header, call);
    struct request req = call_request(call, url, method);
    if (http_admit(route, server->auth, &req, &err) != LF_OK)
        return respond_error(conn, call, &err, NULL);
    call->grant = req.grant;
    const char *length = request_header(&req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL) {
        int64_t declared = 0;
        if (str_to_int64(str_from_cstr(length), &declared) && declared >= 0 &&
            (uint64_t)declared > call->limit) {
            lf_fail(&err, LF_ETOOBIG, "body of %lld bytes is over the limit of %zu bytes",
                    (long long)declared, call->limit);
            return respond_error(conn, call, &err, NULL);
        }
        if (declared > 0)
            call->expected = (size_t)declared;
    }
    return MHD_YES;
}

/* Appends to the body. MHD accepts a response only before the upload starts or after
 * it ends, so a body that passes its cap while arriving (chunked, or a lying
 * Content-Length) is dropped from then on, keeping memory at the cap, and answered 413
 * when it ends; a sender that goes on past DISCARD_MAX more is cut off. */
#define DISCARD_MAX ((size_t)64 << 20)

static enum MHD_Result append_body(struct http_call *call, const char *data, size_t size)
{
    if (call->too_big || size > call->limit - call->len) {
        call->too_big = true;
        call->discarded += size;
        lf_free(call->body);
        call->body = NULL;
        call->cap = 0;
        return call->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    /* the declared length at first (16 KiB when none), doubled, at most the limit */
    if (!LF_ALLOC_GROW_MAX(call->body, call->len + size, call->cap,
                           call->expected > 0 ? call->expected : 16384, call->limit)) {
        log_warn("http: out of memory reading a body of %zu bytes: closing", call->len);
        return MHD_NO;
    }
    memcpy(call->body + call->len, data, size);
    call->len += size;
    return MHD_YES;
}

static enum MHD_Result finish(struct http_server *server, struct MHD_Connection *conn,
                              struct http_call *call, const char *url, const char *method)
{
    struct request req = call_request(call, url, method);
    struct response resp;
    memset(&resp, 0, sizeof(resp));
    struct lf_error err;
    lf_error_clear(&err);
    int rc = server->routes[call->route].handler(&req, &resp, &err);
    if (rc != LF_OK) {
        response_release(&resp);
        if (err.code == LF_OK)
            lf_fail(&err, rc, "%s", lf_code_name((enum lf_code)rc));
        if (http_status_for_code(err.code) >= 500)
            log_warn("http: %s %s: %s", method, url, err.msg);
        return respond_error(conn, call, &err, NULL);
    }
    return respond(conn, call, &resp);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *server = cls;
    struct http_call *call = *con_cls;
    if (call == NULL) {
        call = lf_calloc(1, sizeof(*call));
        if (call == NULL)
            return MHD_NO;
        *con_cls = call;
        call->server = server;
        atomic_fetch_add(&server->in_flight, 1);
        clock_gettime(CLOCK_MONOTONIC, &call->start);
        call->route = server->n_routes;
        str_copy_to(str_from_cstr(method), call->method, sizeof(call->method));
        str_copy_to(str_from_cstr(url), call->path, sizeof(call->path));
        return begin(server, conn, call, url, method);
    }
    if (call->responded) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        return append_body(call, upload_data, size);
    }
    if (call->too_big) {
        struct lf_error err;
        lf_fail(&err, LF_ETOOBIG, "body is over the limit of %zu bytes", call->limit);
        return respond_error(conn, call, &err, NULL);
    }
    return finish(server, conn, call, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)conn;
    struct http_server *server = cls;
    struct http_call *call = *con_cls;
    if (call == NULL)
        return;
    *con_cls = NULL;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - call->start.tv_sec) +
                     (double)(end.tv_nsec - call->start.tv_nsec) / 1e9;
    int status = call->responded ? call->status : 0;
    if (server->metrics != NULL) {
        metrics_observe_request(server->metrics, call->route, seconds);
        enum auth_level level =
                call->route < server->n_routes ? server->routes[call->route].auth : AUTH_NONE;
        if (level == AUTH_INGEST)
            metrics_count_push(server->metrics, status);
        if (level == AUTH_INGEST || level == AUTH_INGEST_LABELS)
            metrics_add_bytes(server->metrics, call->len);
    }
    log_debug("http: %s %s %d %.2fms%s", call->method, call->path, status, seconds * 1e3,
              code == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    lf_free(call->body);
    lf_free(call);
    atomic_fetch_sub(&server->in_flight, 1);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    utf8_vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = strlen(line);
    while (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    log_warn("http: %s", line);
}

/* ---- daemon lifecycle ------------------------------------------------------------------ */

static int parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *addr_len,
                        bool *ipv6, struct lf_error *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon[1] == '\0')
        return lf_fail(err, LF_EINVAL, "listen address '%s' must be ADDR:PORT", listen);
    size_t host_len = (size_t)(colon - listen);
    const char *h = listen;
    if (host_len >= 2 && listen[0] == '[' && listen[host_len - 1] == ']') {
        h++;
        host_len -= 2;
    }
    if (host_len >= sizeof(host))
        return lf_fail(err, LF_EINVAL, "listen address '%s' is too long", listen);
    memcpy(host, h, host_len);
    host[host_len] = '\0';
    int64_t port = 0;
    if (!str_to_int64(str_from_cstr(colon + 1), &port) || port < 0 || port > 65535)
        return lf_fail(err, LF_EINVAL, "listen address '%s': bad port", listen);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host_len == 0 ? NULL : host, colon + 1, &hints, &res);
    if (gai != 0 || res == NULL)
        return lf_fail(err, LF_EINVAL, "listen address '%s': %s", listen, gai_strerror(gai));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addr_len = res->ai_addrlen;
    *ipv6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return LF_OK;
}

int http_check_listen(const char *listen, struct lf_error *err)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    bool ipv6 = false;
    int rc = parse_listen(listen, &addr, &addr_len, &ipv6, err);
    if (rc != LF_OK)
        return rc;
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return lf_fail(err, LF_EIO, "cannot listen on '%s': %s", listen, strerror(errno));
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, (const struct sockaddr *)&addr, addr_len) != 0) {
        int e = errno;
        close(fd);
        return lf_fail(err, LF_EIO, "cannot listen on '%s': %s", listen, strerror(e));
    }
    close(fd);
    return LF_OK;
}

int http_open(const struct http_options *opts, const struct route *table, size_t n_routes,
              const struct auth *auth, struct metrics *metrics, void *app, struct http_server **out,
              struct lf_error *err)
{
    *out = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    bool ipv6 = false;
    int rc = parse_listen(opts->listen, &addr, &addr_len, &ipv6, err);
    if (rc != LF_OK)
        return rc;
    (void)addr_len;
    struct http_server *server = lf_calloc(1, sizeof(*server));
    if (server == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    server->routes = table;
    server->n_routes = n_routes;
    server->auth = auth;
    server->metrics = metrics;
    server->app = app;
    server->max_body = opts->max_body_bytes;
    atomic_init(&server->in_flight, 0);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    unsigned pool = 0;
    if (opts->threading == HTTP_THREAD_POOL) {
        flags |= MHD_USE_EPOLL;
        pool = opts->threads > 0 ? opts->threads : 2 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
        if (pool < 1)
            pool = 2;
    } else {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    }
    if (ipv6)
        flags |= MHD_USE_IPv6;
    unsigned limit = opts->connection_limit > 0 ? opts->connection_limit : 4096;
    unsigned timeout = opts->timeout_seconds > 0 ? opts->timeout_seconds : 30;
    unsigned per_ip = opts->per_ip_limit > 0 ? opts->per_ip_limit : (limit + 3) / 4;
    struct MHD_OptionItem items[] = {
        { MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL },
        { MHD_OPTION_SOCK_ADDR, 0, &addr },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, server },
        { MHD_OPTION_CONNECTION_LIMIT, (intptr_t)limit, NULL },
        { MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_ip, NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)timeout, NULL },
        { MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL },
        { pool > 0 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)pool, NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    server->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, server, MHD_OPTION_ARRAY,
                                      items, MHD_OPTION_END);
    if (server->daemon == NULL) {
        lf_free(server);
        return lf_fail(err, LF_EIO, "cannot listen on '%s' (address in use?)", opts->listen);
    }
    const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info != NULL ? info->port : 0;
    *out = server;
    return LF_OK;
}

uint16_t http_port(const struct http_server *server)
{
    return server->port;
}

unsigned http_in_flight(const struct http_server *server)
{
    return atomic_load(&server->in_flight);
}

void http_close(struct http_server *server, unsigned grace_ms)
{
    if (server == NULL)
        return;
    MHD_socket listener = MHD_quiesce_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    for (unsigned waited = 0; waited < grace_ms && atomic_load(&server->in_flight) > 0;
         waited += 10) {
        struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
        nanosleep(&ten_ms, NULL);
    }
    unsigned left = atomic_load(&server->in_flight);
    if (left > 0)
        log_warn("http: stopping with %u requests still in flight", left);
    MHD_stop_daemon(server->daemon);
    lf_free(server);
}
