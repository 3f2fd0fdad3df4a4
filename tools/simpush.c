/* simpush.c - the simulators' HTTP client: a curl multi loop over one easy handle per
 * connection (libcurl keeps each connection alive from request to request), fed by the
 * caller's producer and drained into its consumer; and blocking one-off calls. */
#include "simpush.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

/* What a pushed request's answer may hold (a push answers a few bytes); a one-off call
 * keeps up to CALL_MAX (GET /api/v1/leaks of a large fleet). */
#define ANSWER_MAX 65536
#define CALL_MAX   (256u << 20)

struct slot {
    CURL *easy;
    struct curl_slist *headers;
    struct sim_buf resp;
    struct simpush_request req;
    bool busy;
    double start;
};

struct simpush_pool {
    CURLM *multi;
    struct slot *slots;
    unsigned n_slots;
};

static size_t on_answer(char *data, size_t size, size_t n, void *ctx)
{
    struct sim_buf *b = ctx;
    size_t len = size * n;
    if (b->len + len < ANSWER_MAX)
        sim_buf_add(b, data, len);
    return len;
}

static size_t on_call_body(char *data, size_t size, size_t n, void *ctx)
{
    struct sim_buf *b = ctx;
    size_t len = size * n;
    if (b->len + len > CALL_MAX)
        return 0; /* libcurl fails the transfer: no answer */
    sim_buf_add(b, data, len);
    return len;
}

CURL *simpush_easy_create(struct sim_buf *resp)
{
    CURL *easy = curl_easy_init();
    if (easy == NULL)
        sim_die("curl_easy_init failed");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_call_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 60000L);
    return easy;
}

struct simpush_pool *simpush_pool_create(unsigned connections)
{
    struct simpush_pool *pool = sim_malloc(sizeof(*pool));
    memset(pool, 0, sizeof(*pool));
    pool->multi = curl_multi_init();
    if (pool->multi == NULL)
        sim_die("curl_multi_init failed");
    curl_multi_setopt(pool->multi, CURLMOPT_MAXCONNECTS, (long)connections);
    pool->n_slots = connections > 0 ? connections : 1;
    pool->slots = sim_malloc(pool->n_slots * sizeof(*pool->slots));
    memset(pool->slots, 0, pool->n_slots * sizeof(*pool->slots));
    for (unsigned i = 0; i < pool->n_slots; i++) {
        pool->slots[i].easy = simpush_easy_create(&pool->slots[i].resp);
        curl_easy_setopt(pool->slots[i].easy, CURLOPT_WRITEFUNCTION, on_answer);
    }
    return pool;
}

void simpush_pool_free(struct simpush_pool *pool)
{
    if (pool == NULL)
        return;
    for (unsigned i = 0; i < pool->n_slots; i++) {
        curl_easy_cleanup(pool->slots[i].easy);
        curl_slist_free_all(pool->slots[i].headers);
        sim_buf_release(&pool->slots[i].resp);
        sim_buf_release(&pool->slots[i].req.body);
    }
    lf_free(pool->slots);
    curl_multi_cleanup(pool->multi);
    lf_free(pool);
}

static void slot_start(struct simpush_pool *pool, struct slot *slot)
{
    const struct simpush_request *req = &slot->req;
    curl_slist_free_all(slot->headers);
    slot->headers = NULL;
    char line[700];
    if (req->bearer != NULL) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", req->bearer);
        slot->headers = curl_slist_append(slot->headers, line);
    }
    if (req->key[0] != '\0') {
        snprintf(line, sizeof(line), "Idempotency-Key: %s", req->key);
        slot->headers = curl_slist_append(slot->headers, line);
    }
    if (!req->get) {
        slot->headers = curl_slist_append(slot->headers, "Content-Type: application/octet-stream");
        slot->headers = curl_slist_append(slot->headers, "Expect:");
    }
    if ((req->bearer != NULL || req->key[0] != '\0' || !req->get) && slot->headers == NULL)
        sim_die("out of memory");
    curl_easy_setopt(slot->easy, CURLOPT_URL, req->url);
    curl_easy_setopt(slot->easy, CURLOPT_HTTPHEADER, slot->headers);
    if (req->get) {
        curl_easy_setopt(slot->easy, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(slot->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDS, req->body.p);
        curl_easy_setopt(slot->easy, CURLOPT_POSTFIELDSIZE, (long)req->body.len);
    }
    slot->resp.len = 0;
    slot->busy = true;
    slot->start = sim_now();
    if (curl_multi_add_handle(pool->multi, slot->easy) != CURLM_OK)
        sim_die("curl_multi_add_handle failed");
}

static void slot_done(struct simpush_pool *pool, struct slot *slot, CURLcode result,
                      simpush_done_fn done, void *ctx)
{
    struct simpush_answer answer = { .result = result, .body = &slot->resp };
    answer.seconds = sim_now() - slot->start;
    curl_multi_remove_handle(pool->multi, slot->easy);
    slot->busy = false;
    if (result == CURLE_OK)
        curl_easy_getinfo(slot->easy, CURLINFO_RESPONSE_CODE, &answer.status);
    done(ctx, &slot->req, &answer);
}

void simpush_pool_run(struct simpush_pool *pool, simpush_next_fn next, simpush_done_fn done,
                      void *ctx)
{
    for (;;) {
        enum simpush_next state = SIMPUSH_WAIT;
        unsigned busy = 0;
        for (unsigned i = 0; i < pool->n_slots; i++) {
            struct slot *slot = &pool->slots[i];
            if (!slot->busy && state == SIMPUSH_WAIT) {
                state = next(ctx, &slot->req);
                if (state == SIMPUSH_SEND) {
                    slot_start(pool, slot);
                    state = SIMPUSH_WAIT;
                }
            }
            busy += slot->busy ? 1 : 0;
        }
        if (busy == 0 && state == SIMPUSH_END)
            break;
        int running = 0;
        curl_multi_perform(pool->multi, &running);
        int numfds = 0;
        curl_multi_poll(pool->multi, NULL, 0, busy == 0 ? 5 : 50, &numfds);
        curl_multi_perform(pool->multi, &running);
        CURLMsg *msg;
        int left = 0;
        while ((msg = curl_multi_info_read(pool->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            for (unsigned i = 0; i < pool->n_slots; i++) {
                if (pool->slots[i].busy && pool->slots[i].easy == msg->easy_handle) {
                    slot_done(pool, &pool->slots[i], msg->data.result, done, ctx);
                    break;
                }
            }
        }
    }
}

long simpush_call(CURL *easy, struct sim_buf *resp, const char *url, const char *bearer, bool post,
                  double *seconds)
{
    struct curl_slist *headers = NULL;
    char auth[700];
    if (bearer != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        headers = curl_slist_append(headers, auth);
        if (headers == NULL)
            sim_die("out of memory");
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    if (post) {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
    } else {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    }
    resp->len = 0;
    double t = sim_now();
    CURLcode rc = curl_easy_perform(easy);
    if (seconds != NULL)
        *seconds = sim_now() - t;
    curl_slist_free_all(headers);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

json_t *simpush_json(const struct sim_buf *resp)
{
    return json_loadb((const char *)resp->p, resp->len, 0, NULL);
}
