/* parse_pyroscope.c - Pyroscope's push formats: a PushRequest read straight off the
 * protobuf wire (two passes: count, then fill arrays sized exactly from one arena) or
 * from its JSON form through jansson, the /ingest name= syntax, and the multipart body.
 * Knows no HTTP, no storage and nothing of pprof beyond the first sample type's words.
 * Cost: linear in the body; memory is the arrays (40 bytes per label or sample), plus
 * for JSON the decoded profiles, at most the body's size. */
#include "parse_pyroscope.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "alloc.h"
#include "utf8.h"

/* ---- protobuf wire ------------------------------------------------------------------ */

enum {
    PUSH_SERIES = 1,
    SERIES_LABELS = 1,
    SERIES_SAMPLES = 2,
    LABEL_NAME = 1,
    LABEL_VALUE = 2,
    SAMPLE_RAW_PROFILE = 1,
    SAMPLE_ID = 2,
};

enum {
    WIRE_VARINT = 0,
    WIRE_FIXED64 = 1,
    WIRE_LEN = 2,
    WIRE_FIXED32 = 5,
};

struct wire {
    const unsigned char *p;
    const unsigned char *end;
    const unsigned char *origin; /* start of the whole message, for offsets in errors */
};

struct wire_field {
    uint32_t number;
    int wire;
    const unsigned char *data; /* WIRE_LEN payload */
    size_t len;
    size_t at;
};

static bool read_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*p >= end)
            return false;
        unsigned byte = *(*p)++;
        if (i == 9 && byte > 1)
            return false;
        value |= (uint64_t)(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            *out = value;
            return true;
        }
    }
    return false;
}

/* 1 with *f set, 0 at the end of the message, LF_EINVAL for malformed input. */
static int wire_next(struct wire *w, struct wire_field *f, struct lf_error *err)
{
    if (w->p >= w->end)
        return 0;
    f->at = (size_t)(w->p - w->origin);
    uint64_t key = 0, len = 0;
    if (!read_varint(&w->p, w->end, &key) || (key >> 3) == 0 || (key >> 3) > 536870911u)
        return lf_fail(err, LF_EINVAL, "bad field key at byte %zu", f->at);
    f->number = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    f->data = NULL;
    f->len = 0;
    switch (f->wire) {
    case WIRE_VARINT:
        if (!read_varint(&w->p, w->end, &len))
            return lf_fail(err, LF_EINVAL, "bad varint at byte %zu", f->at);
        return 1;
    case WIRE_FIXED64:
        len = 8;
        break;
    case WIRE_FIXED32:
        len = 4;
        break;
    case WIRE_LEN:
        if (!read_varint(&w->p, w->end, &len))
            return lf_fail(err, LF_EINVAL, "bad length at byte %zu", f->at);
        break;
    default:
        return lf_fail(err, LF_EINVAL, "unsupported wire type %d of field %u at byte %zu", f->wire,
                       f->number, f->at);
    }
    if (len > (uint64_t)(w->end - w->p))
        return lf_fail(err, LF_EINVAL, "truncated message: field %u at byte %zu", f->number, f->at);
    f->data = w->p;
    f->len = (size_t)len;
    w->p += len;
    return 1;
}

static struct wire wire_sub(const struct wire *parent, const struct wire_field *f)
{
    struct wire sub = { f->data, f->data + f->len, parent->origin };
    return sub;
}

/* A length-delimited field of a message, or LF_EINVAL naming what. */
static int expect_len(const struct wire_field *f, const char *what, struct lf_error *err)
{
    if (f->wire == WIRE_LEN)
        return LF_OK;
    return lf_fail(err, LF_EINVAL, "%s at byte %zu has wire type %d, not 2", what, f->at, f->wire);
}

/* A protobuf string: valid UTF-8, as proto3 requires. */
static int wire_string(const struct wire_field *f, const char *what, struct str *out,
                       struct lf_error *err)
{
    int rc = expect_len(f, what, err);
    if (rc != LF_OK)
        return rc;
    if (!utf8_valid((const char *)f->data, f->len))
        return lf_fail(err, LF_EINVAL, "%s at byte %zu is not valid UTF-8", what, f->at);
    *out = str_make((const char *)f->data, f->len);
    return LF_OK;
}

/* Counts the labels and samples of one series. */
static int count_series(const struct wire *series, size_t *n_labels, size_t *n_samples,
                        struct lf_error *err)
{
    struct wire w = *series;
    struct wire_field f;
    int rc;
    while ((rc = wire_next(&w, &f, err)) == 1) {
        if (f.number == SERIES_LABELS) {
            if ((rc = expect_len(&f, "label", err)) != LF_OK)
                return rc;
            ++*n_labels;
        } else if (f.number == SERIES_SAMPLES) {
            if ((rc = expect_len(&f, "sample", err)) != LF_OK)
                return rc;
            ++*n_samples;
        }
    }
    return rc;
}

static int read_label(const struct wire *parent, const struct wire_field *field,
                      struct pyroscope_label *label, struct lf_error *err)
{
    struct wire w = wire_sub(parent, field);
    struct wire_field f;
    int rc;
    *label = (struct pyroscope_label){ STR_LIT(""), STR_LIT("") };
    while ((rc = wire_next(&w, &f, err)) == 1) {
        if (f.number == LABEL_NAME && (rc = wire_string(&f, "label name", &label->name, err)))
            return rc;
        if (f.number == LABEL_VALUE && (rc = wire_string(&f, "label value", &label->value, err)))
            return rc;
    }
    return rc;
}

static int read_sample(const struct wire *parent, const struct wire_field *field,
                       struct pyroscope_sample *sample, struct lf_error *err)
{
    struct wire w = wire_sub(parent, field);
    struct wire_field f;
    int rc;
    *sample = (struct pyroscope_sample){ STR_LIT(""), STR_LIT("") };
    while ((rc = wire_next(&w, &f, err)) == 1) {
        if (f.number == SAMPLE_RAW_PROFILE) {
            if ((rc = expect_len(&f, "raw_profile", err)) != LF_OK)
                return rc;
            sample->profile = str_make((const char *)f.data, f.len);
        } else if (f.number == SAMPLE_ID && (rc = wire_string(&f, "ID", &sample->id, err))) {
            return rc;
        }
    }
    return rc;
}

/* Allocates the series array and each series' labels and samples from the arena. */
static int push_alloc(struct pyroscope_push *out, size_t n_series, struct lf_error *err)
{
    if (n_series > PYROSCOPE_MAX_SERIES)
        return lf_fail(err, LF_EINVAL, "more than %d series", PYROSCOPE_MAX_SERIES);
    out->n_series = n_series;
    if (n_series == 0)
        return LF_OK;
    out->series = arena_alloc(&out->arena, n_series * sizeof(*out->series));
    if (out->series == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    memset(out->series, 0, n_series * sizeof(*out->series));
    return LF_OK;
}

/* Checks the caps and allocates the arrays of series s. */
static int series_alloc(struct pyroscope_push *out, struct pyroscope_series *s, size_t n_labels,
                        size_t n_samples, size_t *total_samples, struct pyroscope_label **labels,
                        struct pyroscope_sample **samples, struct lf_error *err)
{
    if (n_labels > PYROSCOPE_MAX_LABELS)
        return lf_fail(err, LF_EINVAL, "a series has more than %d labels", PYROSCOPE_MAX_LABELS);
    if (n_samples > PYROSCOPE_MAX_SAMPLES - *total_samples)
        return lf_fail(err, LF_EINVAL, "more than %d profiles in one request",
                       PYROSCOPE_MAX_SAMPLES);
    *total_samples += n_samples;
    *labels = NULL;
    *samples = NULL;
    if (n_labels > 0 && (*labels = arena_alloc(&out->arena, n_labels * sizeof(**labels))) == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    if (n_samples > 0 &&
        (*samples = arena_alloc(&out->arena, n_samples * sizeof(**samples))) == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    s->labels = *labels;
    s->samples = *samples;
    return LF_OK;
}

int pyroscope_push_decode(const char *buf, size_t len, struct pyroscope_push *out,
                          struct lf_error *err)
{
    memset(out, 0, sizeof(*out));
    arena_init(&out->arena, 0);
    const unsigned char *start = (const unsigned char *)(buf != NULL ? buf : "");
    struct wire root = { start, start + len, start };
    struct wire w = root;
    struct wire_field f;
    size_t n_series = 0;
    int rc;
    while ((rc = wire_next(&w, &f, err)) == 1) {
        if (f.number != PUSH_SERIES)
            continue;
        if ((rc = expect_len(&f, "series", err)) != LF_OK)
            return rc;
        if (++n_series > PYROSCOPE_MAX_SERIES)
            return lf_fail(err, LF_EINVAL, "more than %d series", PYROSCOPE_MAX_SERIES);
    }
    if (rc < 0 || (rc = push_alloc(out, n_series, err)) != LF_OK)
        return rc;
    w = root;
    size_t i = 0, total_samples = 0;
    while ((rc = wire_next(&w, &f, err)) == 1) {
        if (f.number != PUSH_SERIES)
            continue;
        struct wire series = wire_sub(&root, &f);
        size_t n_labels = 0, n_samples = 0;
        struct pyroscope_label *labels;
        struct pyroscope_sample *samples;
        if ((rc = count_series(&series, &n_labels, &n_samples, err)) != LF_OK ||
            (rc = series_alloc(out, &out->series[i], n_labels, n_samples, &total_samples, &labels,
                               &samples, err)) != LF_OK) {
            lf_error_prefix(err, "series %zu", i);
            return rc;
        }
        struct wire s = series;
        struct wire_field g;
        while ((rc = wire_next(&s, &g, err)) == 1) {
            struct pyroscope_series *dst = &out->series[i];
            if (g.number == SERIES_LABELS)
                rc = read_label(&series, &g, &labels[dst->n_labels++], err);
            else if (g.number == SERIES_SAMPLES)
                rc = read_sample(&series, &g, &samples[dst->n_samples++], err);
            if (rc < 0) {
                lf_error_prefix(err, "series %zu", i);
                return rc;
            }
        }
        i++;
    }
    return rc < 0 ? rc : LF_OK;
}

/* ---- JSON --------------------------------------------------------------------------- */

/* The string of key in obj (absent or null: empty), valid UTF-8 by jansson, copied into
 * arena (the JSON tree is freed when decoding ends). */
static int json_text(struct arena *arena, const json_t *obj, const char *key, struct str *out,
                     struct lf_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = STR_LIT("");
    if (v == NULL || json_is_null(v))
        return LF_OK;
    if (!json_is_string(v))
        return lf_fail(err, LF_EINVAL, "'%s' must be a string", key);
    *out = arena_strdup(arena, json_string_value(v), json_string_length(v));
    if (out->p == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    return LF_OK;
}

/* An array member of obj (absent or null: empty). */
static int json_list(const json_t *obj, const char *key, const json_t **out, size_t *n,
                     struct lf_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    *n = 0;
    if (v == NULL || json_is_null(v))
        return LF_OK;
    if (!json_is_array(v))
        return lf_fail(err, LF_EINVAL, "'%s' must be an array", key);
    *out = v;
    *n = json_array_size(v);
    return LF_OK;
}

/* LF_EINVAL naming the first key of obj not among known (an object is required). */
static int json_keys(const json_t *obj, const char *what, const char *const *known, size_t n_known,
                     struct lf_error *err)
{
    if (!json_is_object(obj))
        return lf_fail(err, LF_EINVAL, "%s must be an object", what);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)(uintptr_t)obj, key, value) {
        (void)value;
        bool found = false;
        for (size_t i = 0; i < n_known && !found; i++)
            found = strcmp(key, known[i]) == 0;
        if (!found)
            return lf_fail(err, LF_EINVAL, "unknown field '%s' in %s", key, what);
    }
    return LF_OK;
}

/* Base64 as protobuf's JSON mapping allows it: standard or URL-safe, padded or not. */
static int json_bytes(struct arena *arena, struct str text, struct str *out, struct lf_error *err)
{
    static const int variants[] = { sodium_base64_VARIANT_ORIGINAL,
                                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                                    sodium_base64_VARIANT_URLSAFE,
                                    sodium_base64_VARIANT_URLSAFE_NO_PADDING };
    size_t cap = text.len / 4 * 3 + 3;
    unsigned char *bytes = arena_alloc(arena, cap);
    if (bytes == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        size_t n = 0;
        if (sodium_base642bin(bytes, cap, text.p, text.len, NULL, &n, NULL, variants[i]) == 0) {
            *out = str_make((const char *)bytes, n);
            return LF_OK;
        }
    }
    return lf_fail(err, LF_EINVAL, "'rawProfile' is not base64");
}

static int json_series(struct pyroscope_push *out, const json_t *js, struct pyroscope_series *s,
                       size_t *total_samples, struct lf_error *err)
{
    static const char *const series_keys[] = { "labels", "samples", "annotations" };
    static const char *const label_keys[] = { "name", "value" };
    static const char *const sample_keys[] = { "rawProfile", "raw_profile", "ID" };
    const json_t *jlabels, *jsamples, *jannotations;
    size_t n_labels, n_samples, n_annotations;
    int rc = json_keys(js, "a series", series_keys, 3, err);
    if (rc == LF_OK)
        rc = json_list(js, "labels", &jlabels, &n_labels, err);
    if (rc == LF_OK)
        rc = json_list(js, "samples", &jsamples, &n_samples, err);
    if (rc == LF_OK)
        rc = json_list(js, "annotations", &jannotations, &n_annotations, err);
    struct pyroscope_label *labels;
    struct pyroscope_sample *samples;
    if (rc == LF_OK)
        rc = series_alloc(out, s, n_labels, n_samples, total_samples, &labels, &samples, err);
    for (size_t i = 0; rc == LF_OK && i < n_labels; i++) {
        const json_t *jl = json_array_get(jlabels, i);
        rc = json_keys(jl, "a label", label_keys, 2, err);
        if (rc == LF_OK)
            rc = json_text(&out->arena, jl, "name", &labels[i].name, err);
        if (rc == LF_OK)
            rc = json_text(&out->arena, jl, "value", &labels[i].value, err);
        s->n_labels = i + 1;
    }
    for (size_t i = 0; rc == LF_OK && i < n_samples; i++) {
        const json_t *sample = json_array_get(jsamples, i);
        struct str text = STR_LIT("");
        rc = json_keys(sample, "a sample", sample_keys, 3, err);
        if (rc == LF_OK && json_object_get(sample, "rawProfile") != NULL &&
            json_object_get(sample, "raw_profile") != NULL)
            rc = lf_fail(err, LF_EINVAL, "both 'rawProfile' and 'raw_profile'");
        if (rc == LF_OK)
            rc = json_text(&out->arena, sample,
                           json_object_get(sample, "rawProfile") != NULL ? "rawProfile"
                                                                         : "raw_profile",
                           &text, err);
        samples[i].profile = STR_LIT("");
        if (rc == LF_OK && text.len > 0)
            rc = json_bytes(&out->arena, text, &samples[i].profile, err);
        if (rc == LF_OK)
            rc = json_text(&out->arena, sample, "ID", &samples[i].id, err);
        s->n_samples = i + 1;
    }
    return rc;
}

int pyroscope_push_decode_json(const char *buf, size_t len, struct pyroscope_push *out,
                               struct lf_error *err)
{
    static const char *const push_keys[] = { "series" };
    memset(out, 0, sizeof(*out));
    arena_init(&out->arena, 0);
    json_error_t jerr;
    json_t *root = json_loadb(buf != NULL ? buf : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return lf_fail(err, LF_EINVAL, "bad JSON at line %d column %d: %s", jerr.line, jerr.column,
                       jerr.text);
    const json_t *jseries;
    size_t n_series = 0;
    int rc = json_keys(root, "the request", push_keys, 1, err);
    if (rc == LF_OK)
        rc = json_list(root, "series", &jseries, &n_series, err);
    if (rc == LF_OK)
        rc = push_alloc(out, n_series, err);
    size_t total_samples = 0;
    for (size_t i = 0; rc == LF_OK && i < n_series; i++) {
        rc = json_series(out, json_array_get(jseries, i), &out->series[i], &total_samples, err);
        if (rc != LF_OK)
            lf_error_prefix(err, "series %zu", i);
    }
    json_decref(root);
    return rc;
}

void pyroscope_push_release(struct pyroscope_push *push)
{
    arena_release(&push->arena);
    push->series = NULL;
    push->n_series = 0;
}

/* ---- /ingest ------------------------------------------------------------------------ */

int pyroscope_name_parse(const char *name, size_t len, struct str *app,
                         struct pyroscope_label *labels, size_t cap, size_t *n_labels,
                         struct lf_error *err)
{
    *n_labels = 0;
    const char *open = memchr(name, '{', len);
    *app = str_make(name, open != NULL ? (size_t)(open - name) : len);
    if (app->len == 0)
        return lf_fail(err, LF_EINVAL, "parameter 'name' has no application name");
    if (memchr(app->p, '}', app->len) != NULL)
        return lf_fail(err, LF_EINVAL, "parameter 'name' has a '}' before its '{'");
    if (open == NULL)
        return LF_OK;
    const char *p = open + 1;
    const char *end = name + len;
    if (end == p || end[-1] != '}')
        return lf_fail(err, LF_EINVAL, "parameter 'name' must end its labels with '}'");
    end--; /* the closing '}' */
    while (p < end) {
        const char *stop = p;
        while (stop < end && *stop != ',')
            stop++;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq == NULL || eq == p)
            return lf_fail(err, LF_EINVAL, "parameter 'name': label %zu is not KEY=VALUE",
                           *n_labels + 1);
        struct pyroscope_label label = { str_make(p, (size_t)(eq - p)),
                                         str_make(eq + 1, (size_t)(stop - eq - 1)) };
        if (memchr(label.value.p, '{', label.value.len) != NULL ||
            memchr(label.value.p, '}', label.value.len) != NULL)
            return lf_fail(err, LF_EINVAL, "parameter 'name': label %zu holds a brace",
                           *n_labels + 1);
        for (size_t i = 0; i < *n_labels; i++) {
            if (str_eq(labels[i].name, label.name))
                return lf_fail(err, LF_EINVAL, "parameter 'name': label %zu repeats a key",
                               *n_labels + 1);
        }
        if (*n_labels == cap)
            return lf_fail(err, LF_EINVAL, "parameter 'name' has more than %zu labels", cap);
        labels[(*n_labels)++] = label;
        p = stop < end ? stop + 1 : stop;
        if (stop < end && p == end)
            return lf_fail(err, LF_EINVAL, "parameter 'name' ends its labels with ','");
    }
    return LF_OK;
}

/* The profile-type suffixes Pyroscope's SDKs and its older server append to an
 * application name ("checkout.cpu"). */
static const char *const type_suffixes[] = {
    ".cpu",
    ".itimer",
    ".wall",
    ".goroutine",
    ".goroutines",
    ".alloc_objects",
    ".alloc_space",
    ".inuse_objects",
    ".inuse_space",
    ".mutex_count",
    ".mutex_duration",
    ".block_count",
    ".block_duration",
    ".lock_count",
    ".lock_duration",
    ".alloc_in_new_tlab_objects",
    ".alloc_in_new_tlab_bytes",
    ".exceptions",
};

struct str pyroscope_app_service(struct str app)
{
    for (size_t i = 0; i < sizeof(type_suffixes) / sizeof(type_suffixes[0]); i++) {
        size_t n = strlen(type_suffixes[i]);
        if (app.len > n && str_has_suffix_cstr(app, type_suffixes[i]))
            return str_make(app.p, app.len - n);
    }
    return app;
}

/* ---- multipart ---------------------------------------------------------------------- */

/* RFC 2046: a boundary is 1..70 characters. */
#define BOUNDARY_MAX 70

/* The boundary parameter of a multipart/form-data Content-Type, quoted or not. */
static int multipart_boundary(const char *content_type, char *out, size_t *out_len,
                              struct lf_error *err)
{
    if (content_type == NULL || strncasecmp(content_type, "multipart/form-data", 19) != 0)
        return lf_fail(err, LF_EINVAL, "content type must be multipart/form-data");
    const char *p = content_type + 19;
    for (;;) {
        p = strchr(p, ';');
        if (p == NULL)
            return lf_fail(err, LF_EINVAL, "multipart content type has no boundary");
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "boundary=", 9) == 0)
            break;
    }
    p += 9;
    size_t n = 0;
    if (*p == '"') {
        const char *close = strchr(p + 1, '"');
        if (close == NULL)
            return lf_fail(err, LF_EINVAL, "multipart boundary has no closing quote");
        n = (size_t)(close - p - 1);
        p++;
    } else {
        while (p[n] != '\0' && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
            n++;
    }
    if (n == 0 || n > BOUNDARY_MAX)
        return lf_fail(err, LF_EINVAL, "multipart boundary must be 1 to %d characters",
                       BOUNDARY_MAX);
    memcpy(out, p, n);
    *out_len = n;
    return LF_OK;
}

/* The first occurrence of (needle, n) in [p, end), or NULL. */
static const char *find_bytes(const char *p, const char *end, const char *needle, size_t n)
{
    while ((size_t)(end - p) >= n) {
        const char *c = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (c == NULL)
            return NULL;
        if (memcmp(c, needle, n) == 0)
            return c;
        p = c + 1;
    }
    return NULL;
}

/* True when the part headers [p, end) carry Content-Disposition: form-data with
 * name="profile" (or name=profile). */
static bool part_is_profile(const char *p, const char *end)
{
    while (p < end) {
        const char *eol = find_bytes(p, end, "\r\n", 2);
        const char *line_end = eol != NULL ? eol : end;
        size_t n = (size_t)(line_end - p);
        static const char disposition[] = "content-disposition:";
        if (n > sizeof(disposition) - 1 &&
            strncasecmp(p, disposition, sizeof(disposition) - 1) == 0) {
            /* the parameters, ';'-separated, after "form-data" */
            const char *q = p + sizeof(disposition) - 1;
            while (q < line_end) {
                while (q < line_end && (*q == ' ' || *q == '\t' || *q == ';'))
                    q++;
                const char *stop = q;
                while (stop < line_end && *stop != ';')
                    stop++;
                struct str param = str_make(q, (size_t)(stop - q));
                if (str_eq_cstr(param, "name=\"profile\"") || str_eq_cstr(param, "name=profile"))
                    return true;
                q = stop;
            }
        }
        p = line_end + (eol != NULL ? 2 : 0);
    }
    return false;
}

int pyroscope_multipart_profile(const char *content_type, const char *body, size_t len,
                                struct str *profile, struct lf_error *err)
{
    char delimiter[BOUNDARY_MAX + 4] = "\r\n--";
    size_t n = 0;
    int rc = multipart_boundary(content_type, delimiter + 4, &n, err);
    if (rc != LF_OK)
        return rc;
    size_t delimiter_len = n + 4;
    const char *end = body + len;
    /* the body opens with "--BOUNDARY" (the delimiter without its CRLF) */
    if (len < delimiter_len - 2 || memcmp(body, delimiter + 2, delimiter_len - 2) != 0)
        return lf_fail(err, LF_EINVAL, "multipart body does not open with its boundary");
    const char *p = body + delimiter_len - 2;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break; /* the close delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return lf_fail(err, LF_EINVAL, "multipart boundary line is not ended by CRLF");
        p += 2;
        const char *headers_end = find_bytes(p, end, "\r\n\r\n", 4);
        const char *data = NULL;
        if (p + 2 <= end && p[0] == '\r' && p[1] == '\n') {
            headers_end = p; /* a part without headers */
            data = p + 2;
        } else if (headers_end != NULL) {
            data = headers_end + 4;
        } else {
            return lf_fail(err, LF_EINVAL, "multipart part has no end of headers");
        }
        const char *next = find_bytes(data, end, delimiter, delimiter_len);
        if (next == NULL)
            return lf_fail(err, LF_EINVAL, "multipart part is not closed by its boundary");
        if (part_is_profile(p, headers_end)) {
            *profile = str_make(data, (size_t)(next - data));
            return LF_OK;
        }
        p = next + delimiter_len;
    }
    return lf_fail(err, LF_EINVAL, "multipart body has no 'profile' part");
}

/* ---- labels ------------------------------------------------------------------------- */

int pyroscope_identity(const struct pyroscope_label *labels, size_t n_labels, struct str fallback,
                       struct pyroscope_identity *out, struct lf_error *err)
{
    static const char *const names[] = { "service_name", "instance",        "pod",
                                         "hostname",     "service_version", "version" };
    struct str found[sizeof(names) / sizeof(names[0])];
    for (size_t w = 0; w < sizeof(names) / sizeof(names[0]); w++)
        found[w] = STR_LIT("");
    for (size_t i = 0; i < n_labels; i++) {
        for (size_t k = 0; k < i; k++) {
            if (str_eq(labels[k].name, labels[i].name))
                return lf_fail(err, LF_EINVAL, "label %zu repeats the name of label %zu", i, k);
        }
        for (size_t w = 0; w < sizeof(names) / sizeof(names[0]); w++) {
            if (str_eq_cstr(labels[i].name, names[w]))
                found[w] = labels[i].value;
        }
    }
    struct str service = found[0], instance = found[1], pod = found[2], hostname = found[3],
               service_version = found[4], version = found[5];
    out->service = service.len > 0 ? service : fallback;
    out->instance = instance.len > 0 ? instance : pod.len > 0 ? pod : hostname;
    out->version = service_version.len > 0 ? service_version : version;
    return LF_OK;
}

bool pyroscope_is_goroutine(struct str type, struct str unit)
{
    return (str_eq_cstr(type, "goroutine") || str_eq_cstr(type, "goroutineleak")) &&
           str_eq_cstr(unit, "count");
}
