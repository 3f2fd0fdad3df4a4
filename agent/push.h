/* push.h - POST of one spooled profile to the server's ingest API with libcurl:
 * bearer token, Content-Encoding: gzip when the body is gzipped text, and the
 * profile's own Idempotency-Key on every try, so a retried push is stored once. */
#ifndef LF_PUSH_H
#define LF_PUSH_H

#include "error.h"
#include "spool.h"

enum push_outcome {
    PUSH_OK,       /* 2xx: stored (or already stored under this key) */
    PUSH_RETRY,    /* connection failure, timeout, 1xx, 3xx (a redirect: --server is
                      wrong, err says so), 408, 429 or 5xx: try again later */
    PUSH_REJECTED, /* any other 4xx: the server will never take this profile */
};

struct pusher;

/* A reusable client for server (base URL such as "http://127.0.0.1:8080") with token;
 * ca_file (NULL or empty: the system's) is the PEM bundle trusted for https.
 * Returns new (pusher_free), or NULL with err set. */
struct pusher *pusher_create(const char *server, const char *token, const char *ca_file,
                             long connect_timeout_ms, long timeout_ms, struct lf_error *err);
void pusher_free(struct pusher *pusher);

/* POSTs (body, len) to SERVER/api/v1/profiles?service=&instance=&ts=&format=, with
 * &started= and &version= when meta holds them (what the target said at the scrape). A
 * goroutineleak profile needs no mark of its own: the body says what it is (the pprof
 * sample type "goroutineleak", the debug=1 header "goroutineleak profile: total N", the
 * debug=2 wait reasons "(leaked)") and the server's parsers read that.
 * err says why for anything but PUSH_OK (status and the server's error text). For
 * PUSH_RETRY, *retry_after_s is the server's Retry-After in seconds, or 0. */
enum push_outcome pusher_send(struct pusher *pusher, const struct spool_meta *meta,
                              const char *body, size_t len, long *retry_after_s,
                              struct lf_error *err);

#endif
