/* simpush.h - the simulators' HTTP client (libcurl): one-off calls on an easy handle, and
 * a pool of keep-alive connections (curl multi) that sends requests as fast as the
 * server answers, as a producer hands them out, and gives each answer to a consumer.
 * Single-threaded: the producer and consumer run on the caller's thread, between
 * transfers. Failures of libcurl itself are fatal (sim_die). */
#ifndef LF_SIMPUSH_H
#define LF_SIMPUSH_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "simprofile.h"

/* One request of the pool. The pool owns the request and its body buffer between uses;
 * the producer refills the fields (and may take or replace the body, releasing the
 * buffer it replaces); tag, ts and attempts are the caller's and go back untouched. */
struct simpush_request {
    char url[700];
    const char *bearer; /* borrowed; NULL = no Authorization header */
    char key[160];      /* Idempotency-Key; "" = none */
    bool get;           /* GET instead of POST of body */
    struct sim_buf body;
    uint64_t tag;
    int64_t ts;
    unsigned attempts;
};

enum simpush_next {
    SIMPUSH_SEND, /* req is filled: send it */
    SIMPUSH_WAIT, /* nothing now, more later (a retry not due yet, pacing) */
    SIMPUSH_END,  /* nothing more unless an answer brings more */
};

struct simpush_answer {
    CURLcode result;
    long status;                /* 0 when there was no answer */
    const struct sim_buf *body; /* the answer's first 64 KiB */
    double seconds;             /* from send to answer */
};

typedef enum simpush_next (*simpush_next_fn)(void *ctx, struct simpush_request *req);
typedef void (*simpush_done_fn)(void *ctx, struct simpush_request *req,
                                const struct simpush_answer *answer);

struct simpush_pool;

/* A pool of at most connections requests in flight, each on a kept-alive connection.
 * Free with simpush_pool_free. */
struct simpush_pool *simpush_pool_create(unsigned connections);

/* Calls next for every idle connection and sends what it hands out; calls done for each
 * answer (req is the request that was sent; done may take its body). Returns when next
 * answered SIMPUSH_END and nothing is in flight. */
void simpush_pool_run(struct simpush_pool *pool, simpush_next_fn next, simpush_done_fn done,
                      void *ctx);

void simpush_pool_free(struct simpush_pool *pool);

/* An easy handle writing answers (up to 256 MiB; a larger one fails the call) into resp
 * (borrowed, must outlive it); kept alive, 3 s to connect, 60 s per request.
 * curl_easy_cleanup frees it. */
CURL *simpush_easy_create(struct sim_buf *resp);

/* GET url, or POST an empty body when post; bearer NULL = no Authorization. Returns the
 * status (0 when there was no answer) with the body in resp; *seconds (NULL = not
 * wanted) gets the latency. */
long simpush_call(CURL *easy, struct sim_buf *resp, const char *url, const char *bearer, bool post,
                  double *seconds);

/* resp parsed as JSON: new (json_decref), NULL when it is not JSON. */
json_t *simpush_json(const struct sim_buf *resp);

#endif
