/* api_ingest.c - POST /api/v1/profiles: turns the HTTP request into an ingest_request.
 * Auth, the raw-body cap and the query's bytes were already enforced by http.c
 * (http_admit); this file validates the parameters (400 naming the parameter), removes
 * Content-Encoding: gzip under the decoded-size cap (stopped while inflating: 413), and answers 201
 * for a stored push, 200 for an Idempotency-Key replay, 422 for another request under a
 * used key (ingest fingerprints the decoded body, so gzip on the wire or not is the same
 * request). Parsing and storage are ingest.c's. */
#include "api.h"

#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "decode.h"
#include "ingest.h"
#include "metrics.h"

static const char *const ingest_params[] = { "service", "instance", "ts",
                                             "format",  "version",  "started" };

int api_ingest(const struct request *req, struct response *resp, struct lf_error *err)
{
    const struct api_context *app = req->app;
    struct ingest_request in;
    memset(&in, 0, sizeof(in));
    char *decoded = NULL;
    int rc = request_allow_params(req, ingest_params,
                                  sizeof(ingest_params) / sizeof(ingest_params[0]), err);
    if (rc == LF_OK)
        rc = request_query_name(req, "service", INGEST_NAME_MAX, &in.service, err);
    if (rc == LF_OK)
        rc = request_query_name(req, "instance", INGEST_NAME_MAX, &in.instance, err);
    if (rc == LF_OK)
        rc = request_query_int(req, "ts", 0, 0, INT64_MAX, "unix seconds", &in.ts, err);
    if (rc == LF_OK)
        rc = request_query_int(req, "started", 0, 0, INT64_MAX, "unix seconds", &in.started, err);
    if (rc != LF_OK)
        return rc;
    const char *format = request_query(req, "format");
    const char *version = request_query(req, "version");
    if (version != NULL)
        in.version = str_from_cstr(version);
    in.format = PARSE_FORMAT_AUTO;
    if (format != NULL && !parse_format_from_name(format, &in.format))
        return lf_fail(err, LF_EINVAL,
                       "parameter 'format' must be auto, pprof, debug1 or debug2, not '%s'",
                       format);
    const char *key = request_header(req, "Idempotency-Key");
    if (key != NULL) {
        if (strlen(key) > INGEST_NAME_MAX)
            return lf_fail(err, LF_EINVAL, "header 'Idempotency-Key' is longer than %d bytes",
                           INGEST_NAME_MAX);
        in.idempotency_key = str_from_cstr(key);
    }

    in.body = req->body.p;
    in.body_len = req->body.len;
    const char *encoding = request_header(req, "Content-Encoding");
    if (encoding != NULL && strcasecmp(encoding, "identity") != 0) {
        if (strcasecmp(encoding, "gzip") != 0 && strcasecmp(encoding, "x-gzip") != 0)
            return lf_fail(err, LF_EINVAL, "unsupported Content-Encoding '%s' (gzip only)",
                           encoding);
        size_t decoded_len = 0;
        rc = decode_gunzip_buffer(req->body.p, req->body.len, app->max_decoded_bytes, &decoded,
                                  &decoded_len, err);
        if (rc != LF_OK) {
            lf_error_prefix(err, "Content-Encoding gzip");
            goto out;
        }
        in.body = decoded;
        in.body_len = decoded_len;
    }
    if (in.body_len == 0) {
        rc = lf_fail(err, LF_EINVAL, "empty body: expected a goroutine profile");
        goto out;
    }

    struct ingest_result result;
    rc = ingest_profile(app->ingest, &in, &result, err);
    if (rc == LF_EINVAL && app->metrics != NULL) {
        enum parse_format seen = in.format != PARSE_FORMAT_AUTO ? in.format
                                 : decode_is_gzip(in.body, in.body_len)
                                         ? PARSE_FORMAT_PPROF
                                         : parse_sniff(in.body, in.body_len);
        metrics_count_parse_error(app->metrics, seen);
    }
    if (rc != LF_OK)
        goto out;
    resp->json = ingest_result_json(&result);
    if (resp->json == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "out of memory");
        goto out;
    }
    resp->status = result.replayed ? 200 : 201;
out:
    lf_free(decoded);
    return rc;
}
