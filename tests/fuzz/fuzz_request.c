/* fuzz_request.c - libFuzzer target for request handling below the sockets: the input is
 * an HTTP-like request ("METHOD /path?query", header lines, a blank line, the body). The
 * query is split and %-decoded by length as libmicrohttpd does (%00 and raw NULs kept),
 * the route table matches, http_admit checks the query, headers and token exactly as
 * http.c does before a body byte, and the handler runs against one in-memory server
 * (store, writer, detection) kept for the whole run. Tokens: "shop-token" may push for
 * shop only, "admin-token" is an admin token. Oracle (abort): a push the handler stored
 * must have had exactly one "service" (bytes "shop") and one "instance" without control
 * bytes, no repeated or control-byte name, and the database may hold no service but shop
 * and must hold that instance under it; after any request to the Pyroscope routes
 * (/ingest, the Connect push), whose services come from name= or the body's labels, the
 * database still holds no service but shop. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "auth.h"
#include "detect.h"
#include "ingest.h"
#include "metrics.h"
#include "query.h"
#include "api.h"
#include "routes.h"
#include "store.h"
#include "store_internal.h"
#include "writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 64

static struct api_context app;
static struct ingest_context ingest;
static struct query_options query;
static struct auth *auth;

static bool setup(void)
{
    static bool ready, failed;
    if (ready || failed)
        return ready;
    struct lf_error err;
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct detect *detect = NULL;
    const char *shop[] = { "shop" };
    auth = auth_create();
    failed = auth == NULL || auth_add(auth, "shop-token", NULL, shop, 1, false, &err) != LF_OK ||
             auth_add(auth, "admin-token", NULL, NULL, 0, true, &err) != LF_OK ||
             store_open(":memory:", NULL, &store, &err) != LF_OK ||
             writer_create(store, NULL, &writer, &err) != LF_OK ||
             detect_create(store, writer, NULL, &detect, &err) != LF_OK;
    if (failed)
        return false;
    ingest = (struct ingest_context){ .store = store, .writer = writer };
    query_options_default(&query);
    query.judge = detect_judge;
    query.judge_ctx = detect;
    const char *names[] = { "fuzz" };
    app = (struct api_context){ .detect = detect,
                                .store = store,
                                .writer = writer,
                                .ingest = &ingest,
                                .query = &query,
                                .metrics = metrics_create(names, 1),
                                .max_decoded_bytes = 1 << 20,
                                .projection_target = 10000 };
    ready = true;
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* %-decodes (p, len) in place as libmicrohttpd does ('+' is a space, a bad escape is
 * kept), NUL-terminates it and returns the view. */
static struct str unescape(char *p, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        int hi = i + 2 < len && p[i] == '%' ? hex_digit(p[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(p[i + 2]) : -1;
        if (lo >= 0) {
            p[out++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            p[out++] = p[i] == '+' ? ' ' : p[i];
        }
    }
    p[out] = '\0';
    return str_make(p, out);
}

/* Splits (q, len) "k=v&k2&..." in place into at most cap params. */
static size_t split_query(char *q, size_t len, struct http_param *params, size_t cap)
{
    size_t n = 0;
    if (q == NULL)
        return 0; /* no query: NULL + 0 would be undefined */
    char *end = q + len;
    while (q != NULL && q < end && n < cap) {
        char *amp = memchr(q, '&', (size_t)(end - q));
        char *stop = amp != NULL ? amp : end;
        char *eq = memchr(q, '=', (size_t)(stop - q));
        struct str key = unescape(q, (size_t)((eq != NULL ? eq : stop) - q));
        struct str value = eq != NULL ? unescape(eq + 1, (size_t)(stop - eq - 1)) : STR_NULL;
        if (key.len > 0 || value.p != NULL)
            params[n++] = (struct http_param){ key, value };
        q = amp != NULL ? amp + 1 : NULL;
    }
    return n;
}

/* The parameters named exactly name (by bytes); *value is the last one's. */
static size_t count_named(const struct request *req, struct str name, struct str *value)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_query; i++) {
        if (str_eq(req->query[i].key, name)) {
            *value = req->query[i].value;
            n++;
        }
    }
    return n;
}

static bool clean(struct str s)
{
    for (size_t i = 0; i < s.len; i++) {
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
            return false;
    }
    return true;
}

static int64_t count_rows(const char *sql, struct str blob)
{
    struct store_conn *conn = NULL;
    struct lf_error err;
    int64_t n = -1;
    if (store_reader_acquire(app.store, &conn, &err) != LF_OK)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        (blob.p == NULL || sqlite3_bind_blob(stmt, 1, blob.p, (int)blob.len, NULL) == SQLITE_OK) &&
        sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    store_reader_release(app.store, conn);
    return n;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_request oracle: %s\n", what);
    abort();
}

static bool only_shop_stored(void)
{
    return count_rows("SELECT count(*) FROM services WHERE CAST(name AS BLOB) <> X'73686f70'",
                      STR_NULL) == 0;
}

/* A push the handler stored: what the token allowed is what the database holds. */
static void check_stored_push(const struct request *req)
{
    struct str service = STR_NULL, instance = STR_NULL;
    if (count_named(req, STR_LIT("service"), &service) != 1 || !str_eq_cstr(service, "shop"))
        fail("stored a push without exactly one service=shop");
    if (count_named(req, STR_LIT("instance"), &instance) != 1 || !clean(instance))
        fail("stored a push without exactly one clean instance");
    for (size_t i = 0; i < req->n_query; i++) {
        struct str other = STR_NULL;
        if (!clean(req->query[i].key) || !clean(req->query[i].value) ||
            count_named(req, req->query[i].key, &other) != 1)
            fail("stored a push with a control byte or a repeated name in its query");
    }
    if (count_rows("SELECT count(*) FROM services WHERE CAST(name AS BLOB) <> X'73686f70'",
                   STR_NULL) != 0)
        fail("a service other than shop is stored");
    if (count_rows("SELECT count(*) FROM instances i JOIN services s ON s.id = i.service_id "
                   "WHERE CAST(s.name AS BLOB) = X'73686f70' AND CAST(i.name AS BLOB) = ?1",
                   instance) != 1)
        fail("the pushed instance is not stored under shop by its exact name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!setup() || size > (1 << 20))
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* the head is taken by length (NULs in it are kept); the body is the rest */
    char *body = NULL;
    for (size_t i = 0; i + 1 < size && body == NULL; i++)
        body = text[i] == '\n' && text[i + 1] == '\n' ? text + i : NULL;
    size_t head_len = body != NULL ? (size_t)(body - text) : size;
    size_t body_len = 0;
    if (body) {
        *body = '\0';
        body += 2;
        body_len = size - (size_t)(body - text);
    }
    char *line_end = memchr(text, '\n', head_len);
    size_t line_len = line_end != NULL ? (size_t)(line_end - text) : head_len;
    char *headers_text = line_end != NULL ? line_end + 1 : NULL;
    char *path = memchr(text, ' ', line_len);
    if (!path) {
        free(text);
        return 0;
    }
    *path++ = '\0';
    char *q = memchr(path, '?', line_len - (size_t)(path - text));
    size_t q_len = 0;
    if (q) {
        q_len = line_len - (size_t)(q + 1 - text);
        *q++ = '\0';
    }
    text[line_len] = '\0'; /* the path and method end here, as C strings for the router */

    /* one more than the reader keeps, as http.c collects: "too many" must be refused */
    struct http_param query_params[REQUEST_MAX_QUERY + 1], headers[MAX_HEADERS];
    size_t n_query = split_query(q, q_len, query_params, REQUEST_MAX_QUERY + 1), n_headers = 0;
    char *head_end = text + head_len;
    while (headers_text && headers_text < head_end && n_headers < MAX_HEADERS) {
        char *next = memchr(headers_text, '\n', (size_t)(head_end - headers_text));
        char *stop = next != NULL ? next : head_end;
        *stop = '\0';
        char *colon = memchr(headers_text, ':', (size_t)(stop - headers_text));
        if (colon) {
            struct str key = str_make(headers_text, (size_t)(colon - headers_text));
            *colon++ = '\0';
            while (colon < stop && *colon == ' ')
                colon++;
            headers[n_headers++] =
                    (struct http_param){ key, str_make(colon, (size_t)(stop - colon)) };
        }
        headers_text = next != NULL ? next + 1 : NULL;
    }

    size_t index = 0;
    struct str id;
    char allow[64];
    if (routes_match(routes, routes_count, text, path, &index, &id, allow, sizeof(allow)) ==
        ROUTE_FOUND) {
        struct request req = { .method = text,
                               .path = path,
                               .query = query_params,
                               .n_query = n_query,
                               .headers = headers,
                               .n_headers = n_headers,
                               .id = id,
                               .body = { body ? body : "", body_len },
                               .route = index,
                               .app = &app };
        struct response resp;
        memset(&resp, 0, sizeof(resp));
        struct lf_error err;
        lf_error_clear(&err);
        if (http_admit(&routes[index], auth, &req, &err) == LF_OK) {
            int rc = routes[index].handler(&req, &resp, &err);
            if (rc == LF_OK && routes[index].handler == api_ingest)
                check_stored_push(&req);
            /* the Pyroscope routes name services inside the request: whatever it
             * said and however it ended, only shop may be stored */
            if (routes[index].auth == AUTH_INGEST_LABELS && only_shop_stored() == false)
                fail("a Pyroscope push stored a service other than shop");
        }
        response_release(&resp);
    }
    free(text);
    return 0;
}
