/* ingest.c - one push from request to committed rows: validate the names, answer a
 * known idempotency key from the store without parsing (or refuse a request that is not
 * the key's first: the key is bound to a fingerprint of the request), parse the body
 * straight into an aggregate (memory grows with distinct sites, not goroutines),
 * attribute each site, then hand the whole profile to the writer thread and wait for its
 * commit. Knows no HTTP and no SQL. Per-push memory is the aggregate plus one arena,
 * freed on return; a keyed push costs one BLAKE2b pass over its body more. */
#include "ingest.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "aggregate.h"
#include "alloc.h"
#include "arena.h"
#include "classify.h"
#include "log.h"
#include "utf8.h"

/* Frames kept of a location's representative stack; deeper ones are left out. */
#define INGEST_STACK_FRAMES 64

/* True when s is valid UTF-8 (utf8_valid) without ASCII control characters: it can go into
 * JSON and logs as it is. */
static bool valid_name(struct str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return utf8_valid(s.p, s.len);
}

static int check_name(const char *what, struct str s, bool required, struct lf_error *err)
{
    if (s.len == 0 || s.p == NULL) {
        if (required)
            return lf_fail(err, LF_EINVAL, "missing %s", what);
        return LF_OK;
    }
    if (s.len > INGEST_NAME_MAX)
        return lf_fail(err, LF_EINVAL, "%s is longer than %d bytes", what, INGEST_NAME_MAX);
    if (!valid_name(s))
        return lf_fail(err, LF_EINVAL, "%s is not printable UTF-8", what);
    return LF_OK;
}

static struct str service_owner(const struct ingest_context *ctx, struct str service)
{
    for (size_t i = 0; i < ctx->n_owners; i++) {
        if (ctx->owner_services[i] != NULL && ctx->owner_names[i] != NULL &&
            str_eq_cstr(service, ctx->owner_services[i]))
            return str_from_cstr(ctx->owner_names[i]);
    }
    return STR_NULL;
}

/* ---- the fingerprint of a keyed push ---------------------------------------------------- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_start(void)
{
    /* picks BLAKE2b's fastest code for this CPU; without it the portable code gives the
     * same hashes */
    if (sodium_init() < 0)
        log_warn("ingest: libsodium did not initialise; fingerprints use its portable code");
}

/* Hashes len as 8 bytes little-endian, then the bytes: no two field lists collide by
 * moving bytes between neighbours. */
static void hash_field(crypto_generichash_state *state, const void *p, size_t len)
{
    unsigned char prefix[8];
    for (size_t i = 0; i < sizeof(prefix); i++)
        prefix[i] = (unsigned char)((uint64_t)len >> (8 * i));
    crypto_generichash_update(state, prefix, sizeof(prefix));
    if (len > 0)
        crypto_generichash_update(state, (const unsigned char *)p, (unsigned long long)len);
}

/* Hashes v as 8 bytes little-endian, a field of its own. */
static void hash_int64(crypto_generichash_state *state, int64_t v)
{
    unsigned char bytes[8];
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (unsigned char)((uint64_t)v >> (8 * i));
    hash_field(state, bytes, sizeof(bytes));
}

void ingest_fingerprint(const struct ingest_request *req, unsigned char out[INGEST_FINGERPRINT_LEN])
{
    pthread_once(&sodium_once, sodium_start);
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, INGEST_FINGERPRINT_LEN);
    static const char tag[] = "leakfleet push 1";
    hash_field(&state, tag, sizeof(tag) - 1);
    hash_field(&state, req->service.p, req->service.len);
    hash_field(&state, req->instance.p, req->instance.len);
    hash_int64(&state, req->ts);
    const char *format = parse_format_name(req->format);
    hash_field(&state, format, strlen(format));
    hash_field(&state, req->version.p, req->version.len);
    hash_int64(&state, req->started);
    hash_field(&state, req->body, req->body != NULL ? req->body_len : 0);
    crypto_generichash_final(&state, out, INGEST_FINGERPRINT_LEN);
}

/* ---- the push -------------------------------------------------------------------------- */

struct put_job {
    const struct store_profile *profile;
    struct store_put_result *result;
    bool key_reused; /* the key is stored for another request: nothing was stored */
};

static int put_job_run(struct store_conn *conn, void *ctx, struct lf_error *err)
{
    struct put_job *job = ctx;
    job->key_reused = false;
    int rc = store_put_profile(conn, job->profile, job->result, err);
    if (rc == LF_EMISMATCH) {
        /* a refusal, not a failure: the job added no row (its service row exists, the
         * key's profile is under it), so the batch's other jobs need not run again one
         * by one */
        job->key_reused = true;
        lf_error_clear(err);
        return LF_OK;
    }
    return rc;
}

/* Fills sites[i] from the aggregate's i-th location; copies of the repo path and the
 * frame array live in arena. */
static int build_site(const struct ingest_context *ctx, const struct agg_location *loc,
                      struct arena *arena, struct store_site *site, struct lf_error *err)
{
    memset(site, 0, sizeof(*site));
    site->op = str_from_cstr(loc->op_text != NULL ? loc->op_text : op_name(loc->op));
    site->is_channel = op_is_channel(loc->op);
    site->function = str_from_cstr(loc->function);
    site->file = str_from_cstr(loc->file);
    site->line = loc->line;
    site->count = loc->count;
    site->max_wait_minutes = loc->max_wait_minutes;
    site->confirmed = loc->confirmed;
    for (size_t i = 0; i < loc->n_labels; i++)
        if (str_eq(loc->labels[i].key, STR_LIT("version")))
            site->version = loc->labels[i].value;
    if (ctx->attributor != NULL) {
        struct attribution attr;
        attribute_site(ctx->attributor, site->function, site->file, &attr);
        site->in_repo = attr.in_repo;
        if (attr.in_repo && attr.path[0] != '\0') {
            site->repo_path = arena_strdup(arena, attr.path, strlen(attr.path));
            if (site->repo_path.p == NULL)
                return lf_fail(err, LF_ENOMEM, "out of memory attributing sites");
        }
        if (attr.owner != NULL)
            site->owner = str_from_cstr(attr.owner);
    }
    /* the stored stack ends with the "created by" frame, as Go prints it: detection
     * looks there for the organisation's code that started a goroutine stuck elsewhere */
    bool creator = loc->creator.function.len > 0;
    size_t n = loc->n_frames < INGEST_STACK_FRAMES - 1 ? loc->n_frames : INGEST_STACK_FRAMES - 1;
    if (n + creator > 0) {
        struct store_frame *frames = arena_alloc(arena, (n + creator) * sizeof(*frames));
        if (frames == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory copying stacks");
        for (size_t i = 0; i < n; i++) {
            frames[i].function = loc->frames[i].function;
            frames[i].file = loc->frames[i].file;
            frames[i].line = loc->frames[i].line;
            frames[i].created_by = false;
        }
        if (creator) {
            frames[n].function = loc->creator.function;
            frames[n].file = loc->creator.file;
            frames[n].line = loc->creator.line;
            frames[n].created_by = true;
        }
        site->frames = frames;
        site->n_frames = n + creator;
    }
    return LF_OK;
}

/* Parses the body, aggregates and attributes it, and stores it through the writer. */
static int parse_and_store(const struct ingest_context *ctx, const struct ingest_request *req,
                           int64_t ts, int64_t received, struct str request_hash,
                           struct store_put_result *put, struct lf_error *err)
{
    int rc = LF_OK;
    struct arena arena;
    arena_init(&arena, 0);
    struct store_site *sites = NULL;
    struct aggregate *agg = aggregate_create();
    if (agg == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "out of memory for the aggregate");
        goto out;
    }
    struct parse_info info;
    memset(&info, 0, sizeof(info));
    rc = parse_buffer(req->format, req->body, req->body_len, &ctx->limits, aggregate_sink, agg,
                      &info, err);
    if (rc != LF_OK)
        goto out;
    aggregate_sort(agg);

    size_t n_sites = aggregate_size(agg);
    int64_t busy = 0;
    for (size_t i = 0; i < n_sites; i++) {
        const struct agg_location *loc = aggregate_at(agg, i);
        if (op_is_busy(loc->op))
            busy += loc->count;
    }
    if (n_sites > INGEST_MAX_SITES) {
        /* one push must not hold the writer for seconds: the largest sites are kept */
        log_warn("ingest '%.*s': %zu distinct sites, storing the largest %d", (int)req->service.len,
                 req->service.p, n_sites, INGEST_MAX_SITES);
        n_sites = INGEST_MAX_SITES;
    }
    if (n_sites > 0) {
        sites = lf_calloc(n_sites, sizeof(*sites));
        if (sites == NULL) {
            rc = lf_fail(err, LF_ENOMEM, "out of memory for %zu sites", n_sites);
            goto out;
        }
    }
    for (size_t i = 0; i < n_sites; i++) {
        rc = build_site(ctx, aggregate_at(agg, i), &arena, &sites[i], err);
        if (rc != LF_OK)
            goto out;
    }
    struct store_profile profile = {
        .service = req->service,
        .service_owner = service_owner(ctx, req->service),
        .instance = req->instance,
        .ts = ts,
        .received = received,
        .format = str_from_cstr(parse_format_name(info.format)),
        .goroutines = aggregate_goroutines(agg),
        .idempotency_key = req->idempotency_key,
        .request_hash = request_hash,
        .version = req->version,
        .started = req->started,
        .busy = busy,
        .sites = sites,
        .n_sites = n_sites,
    };
    struct put_job job = { &profile, put, false };
    rc = writer_run(ctx->writer, put_job_run, &job, err);
    if (rc == LF_OK && job.key_reused)
        rc = lf_fail(err, LF_EMISMATCH, STORE_KEY_REUSED);
out:
    lf_free(sites);
    arena_release(&arena);
    aggregate_free(agg);
    return rc;
}

int ingest_profile(const struct ingest_context *ctx, const struct ingest_request *req,
                   struct ingest_result *out, struct lf_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc;
    if ((rc = check_name("service", req->service, true, err)) != LF_OK ||
        (rc = check_name("instance", req->instance, true, err)) != LF_OK ||
        (rc = check_name("idempotency key", req->idempotency_key, false, err)) != LF_OK ||
        (rc = check_name("version", req->version, false, err)) != LF_OK)
        return rc;
    if (req->ts < 0)
        return lf_fail(err, LF_EINVAL, "ts must be unix seconds, not negative");
    if (req->started < 0)
        return lf_fail(err, LF_EINVAL, "started must be unix seconds, not negative");
    int64_t received = (int64_t)time(NULL);
    int64_t ts = req->ts > 0 ? req->ts : received;
    /* A profile from the future would stay its instance's latest for as long. */
    if (ts > received + INGEST_MAX_FUTURE)
        return lf_fail(err, LF_EINVAL, "ts %lld is more than %d s ahead of the server's clock",
                       (long long)ts, INGEST_MAX_FUTURE);
    if (ctx->max_age > 0 && ts < received - ctx->max_age)
        return lf_fail(err, LF_EINVAL, "ts %lld is older than the raw retention (%lld s)",
                       (long long)ts, (long long)ctx->max_age);

    struct store_put_result put;
    memset(&put, 0, sizeof(put));
    bool found = false;
    unsigned char fingerprint[INGEST_FINGERPRINT_LEN];
    struct str request_hash = STR_NULL;
    if (!str_is_empty(req->idempotency_key)) {
        ingest_fingerprint(req, fingerprint);
        request_hash = str_make((const char *)fingerprint, sizeof(fingerprint));
        /* a retry is answered, and a reused key refused, before the body is parsed; the
         * writer decides again for pushes that race past this look-up */
        rc = store_find_idempotent(ctx->store, req->service, req->idempotency_key, request_hash,
                                   &put, &found, err);
        if (rc == LF_EMISMATCH)
            return rc; /* the message is the answer as it stands */
        if (rc != LF_OK) {
            lf_error_prefix(err, "ingest '%.*s'", (int)req->service.len, req->service.p);
            return rc;
        }
    }
    if (!found) {
        if (req->body == NULL || req->body_len == 0)
            return lf_fail(err, LF_EINVAL, "ingest '%.*s': empty body", (int)req->service.len,
                           req->service.p);
        rc = parse_and_store(ctx, req, ts, received, request_hash, &put, err);
        if (rc == LF_EMISMATCH)
            return rc;
        if (rc != LF_OK) {
            lf_error_prefix(err, "ingest '%.*s'", (int)req->service.len, req->service.p);
            return rc;
        }
    }
    out->profile_id = put.profile_id;
    out->goroutines = put.goroutines;
    out->locations = put.locations;
    out->replayed = put.replayed;
    return LF_OK;
}

json_t *ingest_result_json(const struct ingest_result *result)
{
    return json_pack("{s:I, s:I, s:I}", "profile_id", (json_int_t)result->profile_id, "goroutines",
                     (json_int_t)result->goroutines, "locations", (json_int_t)result->locations);
}
