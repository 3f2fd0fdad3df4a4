/* fuzz_request.c - libFuzzer target for request handling below the sockets: the input is
 * an HTTP-like request ("METHOD /path?query", header lines, a blank line, the body); the
 * route table matches it and the handler runs against one in-memory server (store,
 * writer, detection) kept for the whole run. Auth is http.c's and is not in play here. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "ingest.h"
#include "metrics.h"
#include "query.h"
#include "routes.h"
#include "store.h"
#include "writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARAMS 32

static struct api_context app;
static struct ingest_context ingest;
static struct query_options query;

static bool setup(void)
{
    static bool ready, failed;
    if (ready || failed)
        return ready;
    struct lf_error err;
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct detect *detect = NULL;
    failed = store_open(":memory:", NULL, &store, &err) != LF_OK ||
             writer_create(store, NULL, &writer, &err) != LF_OK ||
             detect_create(store, writer, NULL, &detect, &err) != LF_OK;
    if (failed)
        return false;
    ingest = (struct ingest_context){ .store = store, .writer = writer };
    query_options_default(&query);
    query.judge = detect_judge;
    query.judge_ctx = detect;
    const char *names[] = { "fuzz" };
    app = (struct api_context){ .detect = detect, .store = store, .writer = writer,
        .ingest = &ingest, .query = &query, .metrics = metrics_create(names, 1),
        .max_decoded_bytes = 1 << 20, .projection_target = 10000 };
    ready = true;
    return true;
}

/* Splits "k=v&k2&..." in place into params. */
static size_t split_query(char *q, struct http_param *params, size_t cap)
{
    size_t n = 0;
    while (q && *q && n < cap) {
        char *next = strchr(q, '&');
        if (next)
            *next++ = '\0';
        char *eq = strchr(q, '=');
        if (eq)
            *eq++ = '\0';
        params[n++] = request_param_cstr(q, eq);
        q = next;
    }
    return n;
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
    size_t text_len = strlen(text); /* the body may hold NULs: it is taken by length */

    char *body = strstr(text, "\n\n");
    size_t body_len = 0;
    if (body) {
        *body = '\0';
        body += 2;
        body_len = size - (size_t)(body - text);
    }
    char *line_end = strchr(text, '\n');
    char *headers_text = NULL;
    if (line_end) {
        *line_end = '\0';
        headers_text = line_end + 1;
    }
    char *path = strchr(text, ' ');
    if (!path || text_len == 0) {
        free(text);
        return 0;
    }
    *path++ = '\0';
    char *q = strchr(path, '?');
    if (q)
        *q++ = '\0';

    struct http_param query_params[MAX_PARAMS], headers[MAX_PARAMS];
    size_t n_query = split_query(q, query_params, MAX_PARAMS), n_headers = 0;
    while (headers_text && *headers_text && n_headers < MAX_PARAMS) {
        char *next = strchr(headers_text, '\n');
        if (next)
            *next++ = '\0';
        char *colon = strchr(headers_text, ':');
        if (colon) {
            *colon++ = '\0';
            while (*colon == ' ')
                colon++;
            headers[n_headers++] = request_param_cstr(headers_text, colon);
        }
        headers_text = next;
    }

    size_t index = 0;
    struct str id;
    char allow[64];
    if (routes_match(routes, routes_count, text, path, &index, &id, allow, sizeof(allow)) ==
            ROUTE_FOUND) {
        struct request req = { .method = text, .path = path, .query = query_params,
            .n_query = n_query, .headers = headers, .n_headers = n_headers, .id = id,
            .body = { body ? body : "", body_len }, .route = index, .app = &app };
        struct response resp;
        memset(&resp, 0, sizeof(resp));
        struct lf_error err;
        lf_error_clear(&err);
        routes[index].handler(&req, &resp, &err);
        response_release(&resp);
    }
    free(text);
    return 0;
}
