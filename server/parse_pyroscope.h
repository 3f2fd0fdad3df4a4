/* parse_pyroscope.h - the wire formats of Pyroscope's push paths, below HTTP: the
 * Connect `push.v1.PushRequest` (protobuf or its JSON form), the `name=APP{k=v,...}`
 * query of `POST /ingest` and its `multipart/form-data` body, and what leakfleet takes
 * from a series' labels (service, instance, version) and from a profile's own sample
 * type (a goroutine profile or not). Every view points into the caller's body except
 * the profiles of a JSON request, which are base64-decoded into the push's arena. */
#ifndef LF_PARSE_PYROSCOPE_H
#define LF_PARSE_PYROSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "str.h"

/* Caps of one request: past them it is malformed (LF_EINVAL), never truncated. */
#define PYROSCOPE_MAX_SERIES  1024 /* series of one PushRequest */
#define PYROSCOPE_MAX_SAMPLES 1024 /* profiles of one PushRequest, over all its series */
#define PYROSCOPE_MAX_LABELS  64   /* labels of one series or one name= */

/* One label; name and value are views, valid UTF-8 (checked by the decoders). */
struct pyroscope_label {
    struct str name;
    struct str value;
};

/* One RawSample: the pprof bytes as sent (gzipped or not) and its ID (empty: none). */
struct pyroscope_sample {
    struct str profile;
    struct str id;
};

struct pyroscope_series {
    const struct pyroscope_label *labels;
    size_t n_labels;
    const struct pyroscope_sample *samples;
    size_t n_samples;
};

/* A decoded PushRequest. Its arrays live in arena; release with pyroscope_push_release. */
struct pyroscope_push {
    struct pyroscope_series *series;
    size_t n_series;
    struct arena arena;
};

/* Decodes a push.v1.PushRequest in protobuf (buf, len): series (field 1) of labels
 * (field 1: types.v1.LabelPair name 1, value 2) and samples (field 2: RawSample
 * raw_profile 1, ID 2); annotations and unknown fields are skipped as protobuf requires.
 * Views point into buf (borrowed: it must outlive the push). Returns LF_OK with *out
 * filled (release it on every path), LF_EINVAL for malformed protobuf, a label or ID
 * that is not UTF-8, a series without labels, a cap passed; LF_ENOMEM. */
int pyroscope_push_decode(const char *buf, size_t len, struct pyroscope_push *out,
                          struct lf_error *err);

/* The same message in Connect's JSON codec (protobuf's JSON mapping): {"series": [{
 * "labels": [{"name", "value"}], "samples": [{"rawProfile" or "raw_profile": base64,
 * "ID"}], "annotations": [...]}]}; null is the default of its field. An unknown key is
 * LF_EINVAL naming it. Profiles are decoded into out->arena. Same returns. */
int pyroscope_push_decode_json(const char *buf, size_t len, struct pyroscope_push *out,
                               struct lf_error *err);

/* Frees what the push holds; a zeroed push is allowed. */
void pyroscope_push_release(struct pyroscope_push *push);

/* Parses `name=` of POST /ingest, "APP" or "APP{k=v,k2=v2}" (len bytes): *app is the
 * application name, labels[0..*n_labels) the pairs (views into name). Keys are
 * non-empty and given once; values run to the next ',' or the closing '}', which must
 * end the name. LF_EINVAL "parameter 'name' ..." otherwise, or past cap labels. */
int pyroscope_name_parse(const char *name, size_t len, struct str *app,
                         struct pyroscope_label *labels, size_t cap, size_t *n_labels,
                         struct lf_error *err);

/* The service of an application name: app without a Pyroscope profile-type suffix
 * (".cpu", ".goroutines", ".alloc_objects", ...); app itself when it has none. */
struct str pyroscope_app_service(struct str app);

/* The `profile` part of a multipart/form-data body (the Pyroscope SDKs' upload; other
 * parts such as prev_profile and sample_type_config are skipped). content_type is the
 * request's Content-Type header with its boundary parameter. Returns LF_OK with *profile
 * a view into body, or LF_EINVAL for a missing or bad boundary, a malformed body, or no
 * `profile` part. */
int pyroscope_multipart_profile(const char *content_type, const char *body, size_t len,
                                struct str *profile, struct lf_error *err);

/* What leakfleet takes from a series' labels: service from `service_name` (else
 * fallback, the application name of /ingest, may be empty), instance from `instance`,
 * else `pod`, else `hostname`, version from `service_version`, else `version`; each
 * empty when absent. LF_EINVAL when a label name is given twice. */
struct pyroscope_identity {
    struct str service;
    struct str instance;
    struct str version;
};
int pyroscope_identity(const struct pyroscope_label *labels, size_t n_labels, struct str fallback,
                       struct pyroscope_identity *out, struct lf_error *err);

/* True when a profile's first sample type (parse_pprof_sample_type) makes it a
 * goroutine profile: type "goroutine" (or the runtime's "goroutineleak"), unit "count". */
bool pyroscope_is_goroutine(struct str type, struct str unit);

#endif
