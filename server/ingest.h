/* ingest.h - one pushed profile from request to committed rows, below HTTP: validate,
 * answer an idempotent retry from the store (or refuse another request under a used
 * key), parse (sniffing the format), classify and aggregate by site, attribute each
 * site, then hand the aggregate to the writer thread and wait for its commit.
 *
 * The body ingest sees is the profile as the Go service served it, with the HTTP
 * Content-Encoding already removed by the HTTP layer (decode.h, with its decoded-size
 * cap). A pprof body may still be gzip itself (that is how Go serves debug=0): the
 * parser undoes that layer under limits.max_decoded_bytes. */
#ifndef LF_INGEST_H
#define LF_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attribute.h"
#include "error.h"
#include "parse.h"
#include "store.h"
#include "str.h"
#include "writer.h"

/* What every push shares; filled once at start by the server and borrowed by
 * ingest_profile (every pointer must outlive all calls). */
struct ingest_context {
    struct store *store;
    struct writer *writer;
    const struct attributor *attributor; /* NULL: no site is in-repo, none is owned */
    struct parse_limits limits;          /* zero fields take parse_limits_default() */
    /* owners.services of the configuration: owner_names[i] owns owner_services[i] */
    const char *const *owner_services;
    const char *const *owner_names;
    size_t n_owners;
    int64_t max_age; /* retention.raw: a push older than this would be deleted unseen by the
                        rollups, so it is refused; 0 = no bound */
};

/* How far ahead of the server's clock a push's ts may be (seconds): clock skew, not more. */
#define INGEST_MAX_FUTURE 3600

/* Longest service, instance and idempotency key accepted (bytes). */
#define INGEST_NAME_MAX 256

/* Distinct sites stored per push at most: past it, the largest are kept (with a
 * warning), so one pathological profile cannot hold the writer for long. */
#define INGEST_MAX_SITES 10000

/* One push. Every view is borrowed for the call. */
struct ingest_request {
    struct str service;         /* required: 1..INGEST_NAME_MAX bytes, no control bytes */
    struct str instance;        /* required, same rules */
    int64_t ts;                 /* unix seconds; 0 = now */
    enum parse_format format;   /* PARSE_FORMAT_AUTO sniffs */
    struct str idempotency_key; /* empty = none; at most INGEST_NAME_MAX bytes */
    struct str version;         /* the service's version (?version=); empty = none; same
                                   rules as the names */
    int64_t started;            /* the process start (?started=, unix seconds); 0 = none */
    const char *body;           /* Content-Encoding already removed */
    size_t body_len;
};

struct ingest_result {
    int64_t profile_id;
    int64_t goroutines;
    int64_t locations; /* distinct blocking sites stored */
    bool replayed;     /* a retry: the first push's answer, nothing counted again */
};

/* Bytes of a push's fingerprint: 128 bits tell requests under one key apart (another
 * request matches by chance with probability 2^-128; forging a match gains a token
 * holder nothing it could not push), and each keyed profile row stores 16 bytes, not 32
 * (measured: 32 bytes were 7.5% more database per push). */
#define INGEST_FINGERPRINT_LEN 16

/* The fingerprint of req that its Idempotency-Key stands for: BLAKE2b-128 (libsodium)
 * over the service, instance, ts as sent (0: none), format as asked, version, started
 * and the body (Content-Encoding removed), each length-prefixed, so two requests share
 * it only when all of these are equal (the key itself is not part of it). Cost: one
 * BLAKE2b pass over the body. Thread-safe. */
void ingest_fingerprint(const struct ingest_request *req,
                        unsigned char out[INGEST_FINGERPRINT_LEN]);

/* Ingests one push and returns after its transaction committed. A push whose
 * (service, key) is stored answers the first push (replayed) when its fingerprint is the
 * first one's, and is refused otherwise: LF_EMISMATCH with the message STORE_KEY_REUSED
 * as it stands, nothing stored; concurrent pushes under one key are decided by the
 * writer, one of them stored. Returns LF_OK with *out filled, or: LF_EINVAL (bad service
 * / instance / key / ts, unknown format, malformed body: the message names the format
 * and, for text, the line), LF_EMISMATCH, LF_ETOOBIG (a parse cap), LF_EUNAVAIL (writer
 * queue full or stopping, disk full), LF_EDB, LF_ENOMEM. Thread-safe: the HTTP threads
 * call it concurrently. */
int ingest_profile(const struct ingest_context *ctx, const struct ingest_request *req,
                   struct ingest_result *out, struct lf_error *err);

/* The answer of docs/api.md, {"profile_id":…, "goroutines":…, "locations":…}: a new reference
 * (caller json_decref), or NULL when allocation fails. */
json_t *ingest_result_json(const struct ingest_result *result);

#endif
