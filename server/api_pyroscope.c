/* api_pyroscope.c - the Pyroscope-compatible routes: `POST /ingest` (Pyroscope's HTTP
 * API, as its SDKs send it) and the Connect unary call `POST /push.v1.PusherService/Push`
 * (Grafana Alloy's pyroscope.write). Each profile is read as far as its first sample
 * type: a goroutine profile goes through ingest_profile exactly as an agent push (same
 * parser, same idempotency, with RawSample.ID as its key); any other type is answered
 * with success and counted as ignored, so a pipeline can fan out here unchanged.
 *
 * Scoping: the route's auth level is AUTH_INGEST_LABELS, so http_admit has identified
 * the token before the body was read (401/403 for none, an unknown one, or one good for
 * no service); the services are named inside the request, so every series' service is
 * checked against the token's grant before any profile of the request is stored, and
 * one refused series refuses the whole request (403, nothing stored). */
#include "api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "decode.h"
#include "ingest.h"
#include "metrics.h"
#include "parse_pprof.h"
#include "parse_pyroscope.h"

struct pyroscope_counts {
    uint64_t stored;
    uint64_t duplicate;
    uint64_t ignored;
};

/* The checks a service name gets before the token is asked about it: the grant and the
 * store must see the same bytes, so a NUL or control byte (which a C-string comparison
 * would cut short) is refused here, as is a name longer than ingest takes. *out is the
 * name as a C string. */
static int scoped_service(const struct request *req, struct str service, const char *what,
                          char out[INGEST_NAME_MAX + 1], struct lf_error *err)
{
    if (service.len == 0)
        return lf_fail(err, LF_EINVAL, "%s: no service (a service_name label)", what);
    if (service.len > INGEST_NAME_MAX)
        return lf_fail(err, LF_EINVAL, "%s: service is longer than %d bytes", what,
                       INGEST_NAME_MAX);
    for (size_t i = 0; i < service.len; i++) {
        unsigned char c = (unsigned char)service.p[i];
        if (c < 0x20 || c == 0x7f)
            return lf_fail(err, LF_EINVAL, "%s: service holds a control byte", what);
    }
    memcpy(out, service.p, service.len);
    out[service.len] = '\0';
    if (!auth_grant_allows(&req->grant, out))
        return lf_fail(err, LF_EFORBIDDEN, "token may not push for service '%s'", out);
    return LF_OK;
}

/* One profile (gzipped or not) of an authorized service: a goroutine profile is stored
 * through ingest_profile, anything else counted as ignored. ts 0 takes the profile's own
 * time_nanos, else now. */
static int push_profile(const struct request *req, const struct pyroscope_identity *who,
                        struct str profile, struct str id, int64_t ts,
                        struct pyroscope_counts *counts, struct lf_error *err)
{
    const struct api_context *app = req->app;
    if (profile.len == 0)
        return lf_fail(err, LF_EINVAL, "empty profile");
    char *decoded = NULL;
    size_t decoded_len = 0;
    const char *body = profile.p;
    size_t body_len = profile.len;
    int rc = LF_OK;
    if (decode_is_gzip(profile.p, profile.len)) {
        rc = decode_gunzip_buffer(profile.p, profile.len, app->max_decoded_bytes, &decoded,
                                  &decoded_len, err);
        if (rc != LF_OK) {
            lf_error_prefix(err, "gzip");
            return rc;
        }
        body = decoded;
        body_len = decoded_len;
    }
    struct str type, unit;
    int64_t time_nanos = 0;
    rc = parse_pprof_sample_type(body, body_len, &type, &unit, &time_nanos, err);
    if (rc != LF_OK) {
        if (app->metrics != NULL)
            metrics_count_parse_error(app->metrics, PARSE_FORMAT_PPROF);
        lf_error_prefix(err, "pprof");
        goto out;
    }
    if (!pyroscope_is_goroutine(type, unit)) {
        counts->ignored++;
        goto out;
    }
    if (who->instance.len == 0) {
        rc = lf_fail(err, LF_EINVAL,
                     "a goroutine profile needs an instance, pod or hostname label");
        goto out;
    }
    if (ts <= 0 && time_nanos > 0)
        ts = time_nanos / 1000000000;
    struct ingest_request in = {
        .service = who->service,
        .instance = who->instance,
        .version = who->version,
        .ts = ts,
        .format = PARSE_FORMAT_PPROF,
        .idempotency_key = id,
        .body = body,
        .body_len = body_len,
    };
    struct ingest_result result;
    rc = ingest_profile(app->ingest, &in, &result, err);
    if (rc == LF_EINVAL && app->metrics != NULL)
        metrics_count_parse_error(app->metrics, PARSE_FORMAT_PPROF);
    if (rc == LF_OK) {
        if (result.replayed)
            counts->duplicate++;
        else
            counts->stored++;
    }
out:
    lf_free(decoded);
    return rc;
}

static void count(const struct request *req, const struct pyroscope_counts *counts)
{
    const struct api_context *app = req->app;
    if (app->metrics == NULL)
        return;
    metrics_count_pyroscope(app->metrics, METRICS_PYROSCOPE_STORED, counts->stored);
    metrics_count_pyroscope(app->metrics, METRICS_PYROSCOPE_DUPLICATE, counts->duplicate);
    metrics_count_pyroscope(app->metrics, METRICS_PYROSCOPE_IGNORED, counts->ignored);
}

/* The body with an HTTP Content-Encoding (gzip or identity) removed under the decoded
 * cap: *out views either the request body or *owned (caller frees). */
static int remove_encoding(const struct request *req, struct str *out, char **owned,
                           struct lf_error *err)
{
    const struct api_context *app = req->app;
    *owned = NULL;
    *out = req->body;
    const char *encoding = request_header(req, "Content-Encoding");
    if (encoding == NULL || strcasecmp(encoding, "identity") == 0)
        return LF_OK;
    if (strcasecmp(encoding, "gzip") != 0 && strcasecmp(encoding, "x-gzip") != 0)
        return lf_fail(err, LF_EINVAL, "unsupported Content-Encoding '%s' (gzip only)", encoding);
    size_t len = 0;
    int rc = decode_gunzip_buffer(req->body.p, req->body.len, app->max_decoded_bytes, owned, &len,
                                  err);
    if (rc != LF_OK) {
        lf_error_prefix(err, "Content-Encoding gzip");
        return rc;
    }
    *out = str_make(*owned, len);
    return LF_OK;
}

/* ---- POST /ingest ------------------------------------------------------------------- */

static const char *const ingest_params[] = { "name",    "from",  "until",           "format",
                                             "spyName", "units", "aggregationType", "sampleRate" };

static int answer_counts(const struct pyroscope_counts *counts, struct response *resp,
                         struct lf_error *err)
{
    resp->json = json_pack("{s:I, s:I, s:I}", "stored", (json_int_t)counts->stored, "duplicate",
                           (json_int_t)counts->duplicate, "ignored", (json_int_t)counts->ignored);
    if (resp->json == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    resp->status = 200;
    return LF_OK;
}

int api_pyroscope_ingest(const struct request *req, struct response *resp, struct lf_error *err)
{
    int64_t from = 0, until = 0;
    const char *name = NULL;
    int rc = request_allow_params(req, ingest_params,
                                  sizeof(ingest_params) / sizeof(ingest_params[0]), err);
    if (rc == LF_OK)
        rc = request_query_text(req, "name", &name, err);
    if (rc == LF_OK && name == NULL)
        rc = lf_fail(err, LF_EINVAL, "missing parameter 'name'");
    if (rc == LF_OK)
        rc = request_query_int(req, "from", 0, 0, INT64_MAX, "unix seconds", &from, err);
    if (rc == LF_OK)
        rc = request_query_int(req, "until", 0, 0, INT64_MAX, "unix seconds", &until, err);
    if (rc == LF_OK && from > 0 && until > 0 && from > until)
        rc = lf_fail(err, LF_EINVAL, "parameter 'from' is after 'until'");
    if (rc != LF_OK)
        return rc;
    struct str app_name;
    struct pyroscope_label labels[PYROSCOPE_MAX_LABELS];
    size_t n_labels = 0;
    struct pyroscope_identity who;
    char service[INGEST_NAME_MAX + 1];
    rc = pyroscope_name_parse(name, strlen(name), &app_name, labels, PYROSCOPE_MAX_LABELS,
                              &n_labels, err);
    if (rc == LF_OK)
        rc = pyroscope_identity(labels, n_labels, pyroscope_app_service(app_name), &who, err);
    if (rc != LF_OK) {
        lf_error_prefix(err, "parameter 'name'");
        return rc;
    }
    if ((rc = scoped_service(req, who.service, "parameter 'name'", service, err)) != LF_OK)
        return rc;
    struct pyroscope_counts counts = { 0 };
    const char *format = request_query(req, "format");
    if (format != NULL && strcmp(format, "pprof") != 0) {
        /* trie, tree, lines, jfr: never a Go goroutine profile */
        counts.ignored = 1;
        count(req, &counts);
        return answer_counts(&counts, resp, err);
    }
    char *owned = NULL;
    struct str body;
    if ((rc = remove_encoding(req, &body, &owned, err)) != LF_OK)
        return rc;
    const char *type = request_header(req, "Content-Type");
    struct str profile = body;
    if (type != NULL && strncasecmp(type, "multipart/", 10) == 0)
        rc = pyroscope_multipart_profile(type, body.p, body.len, &profile, err);
    if (rc == LF_OK)
        /* a goroutine profile is a snapshot at the end of the period: until; from (when
         * the profiling started) is all a client that sends only it told */
        rc = push_profile(req, &who, profile, STR_NULL, until > 0 ? until : from, &counts, err);
    lf_free(owned);
    if (rc != LF_OK)
        return rc;
    count(req, &counts);
    return answer_counts(&counts, resp, err);
}

/* ---- POST /push.v1.PusherService/Push (Connect, unary) ----------------------------- */

/* The codec of a Connect unary request from its Content-Type: application/proto or
 * application/json, parameters (charset) allowed. */
static int connect_codec(const struct request *req, bool *json, struct lf_error *err)
{
    const char *type = request_header(req, "Content-Type");
    struct str t = str_from_cstr(type != NULL ? type : "");
    const char *semi = memchr(t.p, ';', t.len);
    if (semi != NULL)
        t.len = (size_t)(semi - t.p);
    while (t.len > 0 && t.p[t.len - 1] == ' ')
        t.len--;
    if (t.len == 17 && strncasecmp(t.p, "application/proto", 17) == 0) {
        *json = false;
        return LF_OK;
    }
    if (t.len == 16 && strncasecmp(t.p, "application/json", 16) == 0) {
        *json = true;
        return LF_OK;
    }
    return lf_fail(err, LF_EINVAL,
                   "content type must be application/proto or application/json (Connect "
                   "unary), not '%s'",
                   type != NULL ? type : "");
}

int api_pyroscope_push(const struct request *req, struct response *resp, struct lf_error *err)
{
    bool json = false;
    int rc = request_allow_params(req, NULL, 0, err);
    if (rc == LF_OK)
        rc = connect_codec(req, &json, err);
    if (rc != LF_OK)
        return rc;
    char *owned = NULL;
    struct str body;
    if ((rc = remove_encoding(req, &body, &owned, err)) != LF_OK)
        return rc;
    struct pyroscope_push push;
    rc = json ? pyroscope_push_decode_json(body.p, body.len, &push, err)
              : pyroscope_push_decode(body.p, body.len, &push, err);
    if (rc != LF_OK) {
        lf_error_prefix(err, "PushRequest");
        goto out;
    }
    struct pyroscope_identity *who = NULL;
    if (push.n_series > 0) {
        who = arena_alloc(&push.arena, push.n_series * sizeof(*who));
        if (who == NULL) {
            rc = lf_fail(err, LF_ENOMEM, "out of memory");
            goto out;
        }
    }
    /* every series is authorized before any profile is stored */
    for (size_t i = 0; i < push.n_series; i++) {
        const struct pyroscope_series *s = &push.series[i];
        char what[32];
        char service[INGEST_NAME_MAX + 1];
        snprintf(what, sizeof(what), "series %zu", i);
        rc = pyroscope_identity(s->labels, s->n_labels, STR_LIT(""), &who[i], err);
        if (rc != LF_OK) {
            lf_error_prefix(err, "%s", what);
            goto out;
        }
        if ((rc = scoped_service(req, who[i].service, what, service, err)) != LF_OK)
            goto out;
    }
    struct pyroscope_counts counts = { 0 };
    for (size_t i = 0; i < push.n_series; i++) {
        const struct pyroscope_series *s = &push.series[i];
        for (size_t k = 0; k < s->n_samples; k++) {
            rc = push_profile(req, &who[i], s->samples[k].profile, s->samples[k].id, 0, &counts,
                              err);
            if (rc != LF_OK) {
                lf_error_prefix(err, "series %zu profile %zu", i, k);
                break;
            }
        }
        if (rc != LF_OK)
            break;
    }
    count(req, &counts);
    if (rc != LF_OK)
        goto out;
    /* PushResponse is empty: no bytes in protobuf, {} in JSON */
    resp->status = 200;
    if (json) {
        resp->json = json_object();
        if (resp->json == NULL)
            rc = lf_fail(err, LF_ENOMEM, "out of memory");
    } else {
        resp->content_type = "application/proto";
        resp->static_body = "";
        resp->body_len = 0;
    }
out:
    pyroscope_push_release(&push);
    lf_free(owned);
    return rc;
}
