/* parse_pprof.c - the pprof protobuf goroutine profile: a small protobuf wire decoder for
 * the five messages a goroutine profile needs (Profile, Sample, Label, Location with its
 * Line, Function), everything else skipped by wire type.
 *
 * Why not a library: protobuf-c needs code generated from profile.proto at build time and
 * unpacks the whole message into a tree of small allocations anyway, while the subset a
 * goroutine profile uses is five messages of varints and byte strings. Reading the wire
 * format directly over the decoded buffer keeps every string a view into it, costs one
 * array per table, and makes every bound check explicit and fuzzable.
 *
 * Cost model: the message is read three times (count, fill the tables, walk the samples).
 * Tables: 16 bytes per string, 24 per function, location and line, capped together at
 * max_decoded_bytes, so a hostile message can at most double the memory of its buffer. */
#include "parse_pprof.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "str.h"

/* Field numbers of google/pprof proto/profile.proto. */
enum {
    PROFILE_SAMPLE_TYPE = 1,
    PROFILE_SAMPLE = 2,
    PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6,
    PROFILE_TIME_NANOS = 9,
    PROFILE_LAST_FIELD = 14,
    VALUE_TYPE_TYPE = 1,
    VALUE_TYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1,
    SAMPLE_VALUE = 2,
    SAMPLE_LABEL = 3,
    LABEL_KEY = 1,
    LABEL_STR = 2,
    LOCATION_ID = 1,
    LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1,
    LINE_LINE = 2,
    FUNCTION_ID = 1,
    FUNCTION_NAME = 2,
    FUNCTION_FILENAME = 4,
};

enum wire_type {
    WIRE_VARINT = 0,
    WIRE_FIXED64 = 1,
    WIRE_LEN = 2,
    WIRE_FIXED32 = 5,
};

/* The stack depth at which the Go runtime cuts goroutine profiles: 32 up to Go 1.22, 128
 * from Go 1.23. runtime.goexit, the outermost frame of every complete stack, is left out
 * of the profile, so a sample with exactly that many locations was cut. */
#define PPROF_DEPTH_OLD 32
#define PPROF_DEPTH_NEW 128

/* ---- wire reader ---------------------------------------------------------------------- */

/* A cursor over one message: [p, end), with origin the start of the whole profile so
 * error messages can give absolute byte offsets. */
struct pb {
    const unsigned char *p;
    const unsigned char *end;
    const unsigned char *origin;
};

struct pb_field {
    uint32_t number;
    int wire;
    uint64_t varint;           /* WIRE_VARINT value */
    const unsigned char *data; /* WIRE_LEN payload */
    size_t len;
    size_t at; /* offset of the field's key in the profile */
};

enum varint_result {
    VARINT_OK,
    VARINT_TRUNCATED,
    VARINT_OVERLONG,
};

static inline enum varint_result read_varint(const unsigned char **p, const unsigned char *end,
                                             uint64_t *out)
{
    /* most varints of a profile (field keys, ids, string indexes) are one byte */
    if (*p < end && **p < 0x80) {
        *out = *(*p)++;
        return VARINT_OK;
    }
    uint64_t value = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*p >= end)
            return VARINT_TRUNCATED;
        unsigned byte = *(*p)++;
        if (i == 9 && byte > 1)
            return VARINT_OVERLONG;
        value |= (uint64_t)(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            *out = value;
            return VARINT_OK;
        }
    }
    return VARINT_OVERLONG;
}

static int varint_error(enum varint_result r, size_t at, struct lf_error *err)
{
    if (r == VARINT_TRUNCATED)
        return lf_fail(err, LF_EINVAL, "truncated varint at byte %zu", at);
    return lf_fail(err, LF_EINVAL, "bad varint at byte %zu (over 10 bytes)", at);
}

static struct pb pb_sub(const struct pb *parent, const struct pb_field *field)
{
    struct pb sub = { field->data, field->data + field->len, parent->origin };
    return sub;
}

/* Reads the next field of r into *f: returns 1 for a field, 0 at the end of the
 * message, or LF_EINVAL for malformed input. */
static int pb_next(struct pb *r, struct pb_field *f, struct lf_error *err)
{
    if (r->p >= r->end)
        return 0;
    f->at = (size_t)(r->p - r->origin);
    uint64_t key = 0;
    enum varint_result vr = read_varint(&r->p, r->end, &key);
    if (vr != VARINT_OK)
        return varint_error(vr, f->at, err);
    if ((key >> 3) == 0 || (key >> 3) > 536870911u)
        return lf_fail(err, LF_EINVAL, "bad field number %llu at byte %zu",
                       (unsigned long long)(key >> 3), f->at);
    f->number = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    f->varint = 0;
    f->data = NULL;
    f->len = 0;
    size_t left;
    uint64_t len = 0;
    switch (f->wire) {
    case WIRE_VARINT:
        vr = read_varint(&r->p, r->end, &f->varint);
        if (vr != VARINT_OK)
            return varint_error(vr, (size_t)(r->p - r->origin), err);
        return 1;
    case WIRE_FIXED64:
    case WIRE_FIXED32:
        len = f->wire == WIRE_FIXED64 ? 8 : 4;
        break;
    case WIRE_LEN:
        vr = read_varint(&r->p, r->end, &len);
        if (vr != VARINT_OK)
            return varint_error(vr, (size_t)(r->p - r->origin), err);
        break;
    default:
        return lf_fail(err, LF_EINVAL, "unsupported wire type %d of field %u at byte %zu", f->wire,
                       f->number, f->at);
    }
    left = (size_t)(r->end - r->p);
    if (len > left)
        return lf_fail(err, LF_EINVAL,
                       "truncated message: field %u at byte %zu needs %llu bytes, %zu left",
                       f->number, f->at, (unsigned long long)len, left);
    f->data = r->p;
    f->len = (size_t)len;
    r->p += len;
    return 1;
}

/* Iterates the integers of a repeated scalar field that may be packed (WIRE_LEN) or not
 * (one WIRE_VARINT per value). */
struct pb_ints {
    const unsigned char *p;
    const unsigned char *end;
    const unsigned char *origin;
    bool single;
    uint64_t value;
};

static int pb_ints_init(struct pb_ints *it, const struct pb *r, const struct pb_field *f,
                        struct lf_error *err)
{
    it->origin = r->origin;
    if (f->wire == WIRE_VARINT) {
        it->single = true;
        it->value = f->varint;
        it->p = it->end = NULL;
        return LF_OK;
    }
    if (f->wire != WIRE_LEN)
        return lf_fail(err, LF_EINVAL, "field %u at byte %zu: wire type %d for an integer",
                       f->number, f->at, f->wire);
    it->single = false;
    it->p = f->data;
    it->end = f->data + f->len;
    return LF_OK;
}

/* 1 with *out set, 0 at the end, LF_EINVAL on a bad varint. */
static int pb_ints_next(struct pb_ints *it, uint64_t *out, struct lf_error *err)
{
    if (it->single) {
        it->single = false;
        it->p = it->end = NULL;
        *out = it->value;
        return 1;
    }
    if (it->p == NULL || it->p >= it->end)
        return 0;
    size_t at = (size_t)(it->p - it->origin);
    enum varint_result vr = read_varint(&it->p, it->end, out);
    if (vr != VARINT_OK)
        return varint_error(vr, at, err);
    return 1;
}

static int expect_wire(const struct pb_field *f, int wire, const char *what, struct lf_error *err)
{
    if (f->wire == wire)
        return LF_OK;
    return lf_fail(err, LF_EINVAL, "%s (field %u) at byte %zu has wire type %d, not %d", what,
                   f->number, f->at, f->wire, wire);
}

static int64_t as_int64(uint64_t v)
{
    int64_t out;
    memcpy(&out, &v, sizeof(out));
    return out;
}

/* ---- tables --------------------------------------------------------------------------- */

struct pp_function {
    uint64_t id;
    uint64_t name; /* string index */
    uint64_t file; /* string index */
};

struct pp_line {
    uint64_t function_id;
    const struct pp_function *function; /* resolved after the tables are sorted */
    int64_t line;
};

struct pp_location {
    uint64_t id;
    size_t first_line; /* index into lines */
    size_t n_lines;
};

/* One length-delimited top-level field: its number and payload. */
struct top_field {
    uint32_t number;
    const unsigned char *data;
    size_t len;
};

struct pprof {
    struct pb root;
    struct str *strings;
    size_t n_strings;
    struct pp_function *functions;
    size_t n_functions;
    struct pp_location *locations;
    size_t n_locations;
    struct pp_line *lines;
    size_t n_lines;
    bool has_sample_type;
    uint64_t sample_type; /* string index of the first sample type's type */
    int64_t time_nanos;
    size_t n_samples;
    /* the top-level fields later passes read (samples and the four tables), in wire
     * order, recorded by pass 1 so that passes 2 and 3 do not walk the message again */
    struct top_field *fields;
    size_t n_fields, cap_fields;
    size_t max_index_bytes; /* the decoded-size limit bounds this list too */
};

static int cmp_function(const void *a, const void *b)
{
    uint64_t x = ((const struct pp_function *)a)->id, y = ((const struct pp_function *)b)->id;
    return x < y ? -1 : x > y;
}

static int cmp_location(const void *a, const void *b)
{
    uint64_t x = ((const struct pp_location *)a)->id, y = ((const struct pp_location *)b)->id;
    return x < y ? -1 : x > y;
}

/* True when the n items of size bytes at base are in ascending order by cmp. */
static bool sorted_by_id(const void *base, size_t n, size_t size,
                         int (*cmp)(const void *, const void *))
{
    const char *p = base;
    for (size_t i = 1; i < n; i++)
        if (cmp(p + (i - 1) * size, p + i * size) > 0)
            return false;
    return true;
}

static const struct pp_function *find_function(const struct pprof *pp, uint64_t id)
{
    size_t lo = 0, hi = pp->n_functions;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pp->functions[mid].id == id)
            return &pp->functions[mid];
        if (pp->functions[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const struct pp_location *find_location(const struct pprof *pp, uint64_t id)
{
    /* Go numbers locations 1..n in order: try the direct slot first */
    if (id >= 1 && id <= pp->n_locations && pp->locations[id - 1].id == id)
        return &pp->locations[id - 1];
    size_t lo = 0, hi = pp->n_locations;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pp->locations[mid].id == id)
            return &pp->locations[mid];
        if (pp->locations[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int check_string(const struct pprof *pp, uint64_t index, const char *what, uint64_t id,
                        struct lf_error *err)
{
    if (index < pp->n_strings)
        return LF_OK;
    return lf_fail(err, LF_EINVAL, "%s %llu: string index %llu out of range (%zu strings)", what,
                   (unsigned long long)id, (unsigned long long)index, pp->n_strings);
}

/* Pass 1: counts the entries of every table (lines inside locations too), reads the
 * scalar fields and checks wire types, so pass 2 can fill exact-size arrays. */
/* Records f for the later passes; LF_ENOMEM when the list cannot grow. */
static int keep_field(struct pprof *pp, const struct pb_field *f, struct lf_error *err)
{
    if (pp->n_fields == pp->cap_fields) {
        size_t cap = pp->cap_fields == 0 ? 256 : pp->cap_fields * 2;
        if (cap > pp->max_index_bytes / sizeof(struct top_field))
            return lf_fail(err, LF_ETOOBIG, "index tables over the %zu-byte limit",
                           pp->max_index_bytes);
        struct top_field *bigger = lf_realloc(pp->fields, cap * sizeof(*bigger));
        if (bigger == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory indexing the pprof message");
        pp->fields = bigger;
        pp->cap_fields = cap;
    }
    pp->fields[pp->n_fields++] = (struct top_field){ f->number, f->data, f->len };
    return LF_OK;
}

/* The field a recorded top-level field was, as pb_next gave it. */
static struct pb_field field_of(const struct top_field *t)
{
    struct pb_field f = { t->number, WIRE_LEN, 0, t->data, t->len, 0 };
    return f;
}

static int pprof_count(struct pprof *pp, struct lf_error *err)
{
    struct pb r = pp->root;
    struct pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f, err)) == 1) {
        switch (f.number) {
        case PROFILE_SAMPLE_TYPE:
            if ((rc = expect_wire(&f, WIRE_LEN, "sample_type", err)) != LF_OK)
                return rc;
            if (!pp->has_sample_type) {
                pp->has_sample_type = true;
                struct pb sub = pb_sub(&r, &f);
                struct pb_field g;
                while ((rc = pb_next(&sub, &g, err)) == 1) {
                    if (g.number == VALUE_TYPE_TYPE) {
                        if ((rc = expect_wire(&g, WIRE_VARINT, "sample_type.type", err)))
                            return rc;
                        pp->sample_type = g.varint;
                    }
                }
                if (rc < 0)
                    return rc;
            }
            break;
        case PROFILE_SAMPLE:
            if ((rc = expect_wire(&f, WIRE_LEN, "sample", err)) != LF_OK)
                return rc;
            if ((rc = keep_field(pp, &f, err)) != LF_OK)
                return rc;
            pp->n_samples++;
            break;
        case PROFILE_LOCATION: {
            if ((rc = expect_wire(&f, WIRE_LEN, "location", err)) != LF_OK)
                return rc;
            if ((rc = keep_field(pp, &f, err)) != LF_OK)
                return rc;
            pp->n_locations++;
            struct pb sub = pb_sub(&r, &f);
            struct pb_field g;
            while ((rc = pb_next(&sub, &g, err)) == 1) {
                if (g.number == LOCATION_LINE) {
                    if ((rc = expect_wire(&g, WIRE_LEN, "location.line", err)) != LF_OK)
                        return rc;
                    pp->n_lines++;
                }
            }
            if (rc < 0)
                return rc;
            break;
        }
        case PROFILE_FUNCTION:
            if ((rc = expect_wire(&f, WIRE_LEN, "function", err)) != LF_OK)
                return rc;
            if ((rc = keep_field(pp, &f, err)) != LF_OK)
                return rc;
            pp->n_functions++;
            break;
        case PROFILE_STRING_TABLE:
            if ((rc = expect_wire(&f, WIRE_LEN, "string_table", err)) != LF_OK)
                return rc;
            if ((rc = keep_field(pp, &f, err)) != LF_OK)
                return rc;
            pp->n_strings++;
            break;
        case PROFILE_TIME_NANOS:
            if ((rc = expect_wire(&f, WIRE_VARINT, "time_nanos", err)) != LF_OK)
                return rc;
            pp->time_nanos = as_int64(f.varint);
            break;
        default:
            break;
        }
    }
    return rc;
}

static int read_function(const struct pb *r, const struct pb_field *f, struct pp_function *fn,
                         struct lf_error *err)
{
    struct pb sub = pb_sub(r, f);
    struct pb_field g;
    int rc;
    memset(fn, 0, sizeof(*fn));
    while ((rc = pb_next(&sub, &g, err)) == 1) {
        if (g.number != FUNCTION_ID && g.number != FUNCTION_NAME && g.number != FUNCTION_FILENAME)
            continue;
        if ((rc = expect_wire(&g, WIRE_VARINT, "function field", err)) != LF_OK)
            return rc;
        if (g.number == FUNCTION_ID)
            fn->id = g.varint;
        else if (g.number == FUNCTION_NAME)
            fn->name = g.varint;
        else
            fn->file = g.varint;
    }
    return rc;
}

static int read_location(const struct pb *r, const struct pb_field *f, struct pprof *pp,
                         struct pp_location *loc, struct lf_error *err)
{
    struct pb sub = pb_sub(r, f);
    struct pb_field g;
    int rc;
    loc->id = 0;
    loc->first_line = pp->n_lines;
    loc->n_lines = 0;
    while ((rc = pb_next(&sub, &g, err)) == 1) {
        if (g.number == LOCATION_ID) {
            if ((rc = expect_wire(&g, WIRE_VARINT, "location.id", err)) != LF_OK)
                return rc;
            loc->id = g.varint;
        } else if (g.number == LOCATION_LINE) {
            struct pp_line *line = &pp->lines[pp->n_lines++];
            memset(line, 0, sizeof(*line));
            struct pb lsub = pb_sub(&sub, &g);
            struct pb_field h;
            while ((rc = pb_next(&lsub, &h, err)) == 1) {
                if (h.number != LINE_FUNCTION_ID && h.number != LINE_LINE)
                    continue;
                if ((rc = expect_wire(&h, WIRE_VARINT, "line field", err)) != LF_OK)
                    return rc;
                if (h.number == LINE_FUNCTION_ID)
                    line->function_id = h.varint;
                else
                    line->line = as_int64(h.varint);
            }
            if (rc < 0)
                return rc;
            loc->n_lines++;
        }
    }
    return rc;
}

/* Pass 2: fills the tables (in the order of the wire, which pass 1 has walked already,
 * so the counts match), then sorts them by id and resolves every reference. */
static int pprof_fill(struct pprof *pp, struct lf_error *err)
{
    size_t n_strings = 0, n_functions = 0, n_locations = 0;
    size_t n_lines_expected = pp->n_lines;
    pp->n_lines = 0;
    struct pb r = pp->root;
    int rc = LF_OK;
    for (size_t i = 0; i < pp->n_fields; i++) {
        struct pb_field f = field_of(&pp->fields[i]);
        if (f.number == PROFILE_STRING_TABLE) {
            pp->strings[n_strings++] = str_make((const char *)f.data, f.len);
        } else if (f.number == PROFILE_FUNCTION) {
            if ((rc = read_function(&r, &f, &pp->functions[n_functions++], err)) < 0)
                return rc;
        } else if (f.number == PROFILE_LOCATION) {
            if ((rc = read_location(&r, &f, pp, &pp->locations[n_locations++], err)) < 0)
                return rc;
        }
    }
    if (rc < 0)
        return rc;
    if (n_strings != pp->n_strings || n_functions != pp->n_functions ||
        n_locations != pp->n_locations || pp->n_lines != n_lines_expected)
        return lf_fail(err, LF_EINTERNAL, "table counts changed between passes");

    if (pp->n_strings > 0 && pp->strings[0].len != 0)
        return lf_fail(err, LF_EINVAL, "string_table[0] is not empty");
    for (size_t i = 0; i < pp->n_functions; i++) {
        const struct pp_function *fn = &pp->functions[i];
        if ((rc = check_string(pp, fn->name, "function", fn->id, err)) != LF_OK)
            return rc;
        if ((rc = check_string(pp, fn->file, "function", fn->id, err)) != LF_OK)
            return rc;
    }
    /* Go writes both tables in id order: sort only when they are not */
    if (!sorted_by_id(pp->functions, pp->n_functions, sizeof(pp->functions[0]), cmp_function))
        qsort(pp->functions, pp->n_functions, sizeof(pp->functions[0]), cmp_function);
    if (!sorted_by_id(pp->locations, pp->n_locations, sizeof(pp->locations[0]), cmp_location))
        qsort(pp->locations, pp->n_locations, sizeof(pp->locations[0]), cmp_location);
    for (size_t i = 0; i < pp->n_locations; i++) {
        const struct pp_location *loc = &pp->locations[i];
        if (loc->id == 0)
            return lf_fail(err, LF_EINVAL, "location with id 0");
        for (size_t j = 0; j < loc->n_lines; j++) {
            struct pp_line *line = &pp->lines[loc->first_line + j];
            line->function = find_function(pp, line->function_id);
            if (line->function == NULL)
                return lf_fail(err, LF_EINVAL, "location %llu: unknown function id %llu",
                               (unsigned long long)loc->id, (unsigned long long)line->function_id);
        }
    }
    if (pp->has_sample_type && (rc = check_string(pp, pp->sample_type, "sample_type", 1, err)))
        return rc;
    return LF_OK;
}

/* ---- samples -------------------------------------------------------------------------- */

struct sample_walk {
    const struct pprof *pp;
    const struct parse_limits *limits;
    struct stack_frame *frames; /* limits->max_frames */
    struct stack_label *labels; /* limits->max_labels */
    bool leak;
    stack_sink_fn sink;
    void *ctx;
    int64_t goroutines;
    int64_t stacks;
};

static int read_label(struct sample_walk *w, const struct pb *r, const struct pb_field *f,
                      size_t index, struct stack *stack, struct lf_error *err)
{
    struct pb sub = pb_sub(r, f);
    struct pb_field g;
    uint64_t key = 0, value = 0;
    int rc;
    while ((rc = pb_next(&sub, &g, err)) == 1) {
        if (g.number != LABEL_KEY && g.number != LABEL_STR)
            continue;
        if ((rc = expect_wire(&g, WIRE_VARINT, "label field", err)) != LF_OK)
            return rc;
        if (g.number == LABEL_KEY)
            key = g.varint;
        else
            value = g.varint;
    }
    if (rc < 0)
        return rc;
    if (key >= w->pp->n_strings || value >= w->pp->n_strings)
        return lf_fail(err, LF_EINVAL, "sample %zu: label string index out of range", index);
    /* a label without a string value is numeric (Label.num): not carried */
    if (value == 0 || stack->n_labels >= w->limits->max_labels)
        return LF_OK;
    struct stack_label *label = &w->labels[stack->n_labels++];
    label->key = w->pp->strings[key];
    label->value = w->pp->strings[value];
    return LF_OK;
}

static int add_location(struct sample_walk *w, uint64_t id, size_t index, struct stack *stack,
                        struct lf_error *err)
{
    const struct pp_location *loc = find_location(w->pp, id);
    if (loc == NULL)
        return lf_fail(err, LF_EINVAL, "sample %zu: unknown location id %llu", index,
                       (unsigned long long)id);
    for (size_t j = 0; j < loc->n_lines; j++) {
        if (stack->n_frames >= w->limits->max_frames) {
            stack->truncated = true;
            break;
        }
        const struct pp_line *line = &w->pp->lines[loc->first_line + j];
        struct stack_frame *frame = &w->frames[stack->n_frames++];
        frame->function = w->pp->strings[line->function->name];
        frame->file = w->pp->strings[line->function->file];
        frame->line = line->line;
    }
    return LF_OK;
}

static int read_sample(struct sample_walk *w, const struct pb *r, const struct pb_field *f,
                       size_t index, struct lf_error *err)
{
    struct stack stack = {
        .count = 0,
        .goroutine_id = -1,
        .wait_reason = STR_NULL,
        .wait_minutes = -1,
        .leaked = w->leak,
        .frames = w->frames,
        .labels = w->labels,
    };
    bool has_value = false;
    size_t n_ids = 0;
    struct pb sub = pb_sub(r, f);
    struct pb_field g;
    int rc;
    while ((rc = pb_next(&sub, &g, err)) == 1) {
        if (g.number == SAMPLE_LOCATION_ID || g.number == SAMPLE_VALUE) {
            struct pb_ints it = { 0 };
            uint64_t v = 0;
            if ((rc = pb_ints_init(&it, &sub, &g, err)) != LF_OK)
                return rc;
            while ((rc = pb_ints_next(&it, &v, err)) == 1) {
                if (g.number == SAMPLE_VALUE) {
                    if (!has_value)
                        stack.count = as_int64(v);
                    has_value = true;
                    continue;
                }
                n_ids++;
                if ((rc = add_location(w, v, index, &stack, err)) != LF_OK)
                    return rc;
            }
            if (rc < 0)
                return rc;
        } else if (g.number == SAMPLE_LABEL) {
            if ((rc = expect_wire(&g, WIRE_LEN, "sample.label", err)) != LF_OK)
                return rc;
            if ((rc = read_label(w, &sub, &g, index, &stack, err)) != LF_OK)
                return rc;
        }
    }
    if (rc < 0)
        return rc;
    if (!has_value)
        return lf_fail(err, LF_EINVAL, "sample %zu has no value", index);
    if (stack.count < 0)
        return lf_fail(err, LF_EINVAL, "sample %zu has a negative count %lld", index,
                       (long long)stack.count);
    if (stack.count == 0)
        return LF_OK;
    if (n_ids == PPROF_DEPTH_OLD || n_ids == PPROF_DEPTH_NEW)
        stack.truncated = true;
    if (w->goroutines > INT64_MAX - stack.count)
        return lf_fail(err, LF_EINVAL, "sample %zu: goroutine count overflows", index);
    w->goroutines += stack.count;
    w->stacks++;
    return w->sink(w->ctx, &stack, err);
}

static int pprof_samples(struct sample_walk *w, struct lf_error *err)
{
    struct pb r = w->pp->root;
    size_t index = 0;
    for (size_t i = 0; i < w->pp->n_fields; i++) {
        if (w->pp->fields[i].number != PROFILE_SAMPLE)
            continue;
        struct pb_field f = field_of(&w->pp->fields[i]);
        int rc = read_sample(w, &r, &f, index++, err);
        if (rc != LF_OK)
            return rc;
    }
    return LF_OK;
}

/* ---- entry points --------------------------------------------------------------------- */

static bool mul_add(size_t *total, size_t n, size_t size)
{
    if (size != 0 && n > (SIZE_MAX - *total) / size)
        return false;
    *total += n * size;
    return true;
}

int parse_pprof(const char *buf, size_t len, const struct parse_limits *limits, stack_sink_fn sink,
                void *ctx, struct parse_info *info, struct lf_error *err)
{
    struct parse_limits lim = parse_limits_default();
    if (limits != NULL) {
        if (limits->max_decoded_bytes != 0)
            lim.max_decoded_bytes = limits->max_decoded_bytes;
        if (limits->max_frames != 0)
            lim.max_frames = limits->max_frames;
        if (limits->max_labels != 0)
            lim.max_labels = limits->max_labels;
    }
    const unsigned char *start = (const unsigned char *)(buf != NULL ? buf : "");
    struct pprof pp = { 0 };
    pp.root.p = start;
    pp.root.end = start + len;
    pp.root.origin = start;
    pp.max_index_bytes = lim.max_decoded_bytes;
    struct sample_walk walk = { 0 };
    int rc = pprof_count(&pp, err);
    if (rc < 0)
        goto out;

    size_t table_bytes = 0;
    if (!mul_add(&table_bytes, pp.n_strings, sizeof(*pp.strings)) ||
        !mul_add(&table_bytes, pp.n_functions, sizeof(*pp.functions)) ||
        !mul_add(&table_bytes, pp.n_locations, sizeof(*pp.locations)) ||
        !mul_add(&table_bytes, pp.n_lines, sizeof(*pp.lines)) ||
        table_bytes > lim.max_decoded_bytes) {
        rc = lf_fail(err, LF_ETOOBIG, "index tables over the %zu-byte limit",
                     lim.max_decoded_bytes);
        goto out;
    }
    pp.strings = lf_calloc(pp.n_strings + 1, sizeof(*pp.strings));
    pp.functions = lf_calloc(pp.n_functions + 1, sizeof(*pp.functions));
    pp.locations = lf_calloc(pp.n_locations + 1, sizeof(*pp.locations));
    pp.lines = lf_calloc(pp.n_lines + 1, sizeof(*pp.lines));
    /* scratch for one sample at a time, written before it is read: not cleared (40 KB
     * by default, cleared on every push it was the ingest path's largest memset) */
    if (lim.max_frames > SIZE_MAX / sizeof(*walk.frames) ||
        lim.max_labels > SIZE_MAX / sizeof(*walk.labels)) {
        rc = lf_fail(err, LF_ETOOBIG, "frame and label limits too large");
        goto out;
    }
    walk.frames = lf_malloc(lim.max_frames * sizeof(*walk.frames));
    walk.labels = lf_malloc(lim.max_labels * sizeof(*walk.labels));
    if (pp.strings == NULL || pp.functions == NULL || pp.locations == NULL || pp.lines == NULL ||
        walk.frames == NULL || walk.labels == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "out of memory for the pprof tables");
        goto out;
    }
    if ((rc = pprof_fill(&pp, err)) != LF_OK)
        goto out;

    if (pp.has_sample_type) {
        struct str type = pp.strings[pp.sample_type];
        if (!str_has_prefix_cstr(type, "goroutine")) {
            char shown[64];
            str_copy_to(type, shown, sizeof(shown));
            for (char *c = shown; *c != '\0'; c++) {
                if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                    *c = '?'; /* keep the message one printable line */
            }
            rc = lf_fail(err, LF_EINVAL, "not a goroutine profile (sample type '%s')", shown);
            goto out;
        }
        walk.leak = str_has_prefix_cstr(type, "goroutineleak");
    }
    walk.pp = &pp;
    walk.limits = &lim;
    walk.sink = sink;
    walk.ctx = ctx;
    rc = pprof_samples(&walk, err);
    if (rc < 0)
        goto out;
    rc = LF_OK;
    if (info != NULL) {
        info->format = PARSE_FORMAT_PPROF;
        info->leak_profile = walk.leak;
        info->declared_total = -1;
        info->goroutines = walk.goroutines;
        info->stacks = walk.stacks;
        info->time_nanos = pp.time_nanos;
    }
out:
    lf_free(pp.strings);
    lf_free(pp.functions);
    lf_free(pp.locations);
    lf_free(pp.lines);
    lf_free(pp.fields);
    lf_free(walk.frames);
    lf_free(walk.labels);
    return rc;
}

bool parse_pprof_sniff(const char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return false;
    const unsigned char *p = (const unsigned char *)buf, *end = p + len;
    size_t fields = 0;
    bool first_complete = false;
    while (p < end) {
        uint64_t key = 0, value = 0;
        enum varint_result vr = read_varint(&p, end, &key);
        if (vr == VARINT_OVERLONG)
            return false;
        if (vr == VARINT_TRUNCATED)
            break;
        uint64_t number = key >> 3;
        int wire = (int)(key & 7);
        if (number == 0 || number > PROFILE_LAST_FIELD)
            return false;
        /* fields 1-6 and 11 are messages or strings, 13 (comment) may be packed, the
         * rest are plain integers */
        bool len_field = number <= 6 || number == 11;
        if (len_field ? wire != WIRE_LEN
                      : (wire != WIRE_VARINT && !(number == 13 && wire == WIRE_LEN)))
            return false;
        fields++;
        vr = read_varint(&p, end, &value);
        if (vr == VARINT_OVERLONG)
            return false;
        if (vr == VARINT_TRUNCATED)
            break;
        if (wire == WIRE_LEN) {
            if (value > (uint64_t)(end - p))
                break;
            p += value;
        }
        if (fields == 1)
            first_complete = true;
    }
    /* a profile opens with a small field (Go writes sample_type first); only a long
     * prefix may end inside its first field */
    return fields > 0 && (first_complete || len >= 1024);
}

int parse_pprof_sample_type(const char *buf, size_t len, struct str *type, struct str *unit,
                            int64_t *time_nanos, struct lf_error *err)
{
    *type = STR_NULL;
    *unit = STR_NULL;
    *time_nanos = 0;
    const unsigned char *start = (const unsigned char *)(buf != NULL ? buf : "");
    struct pb root = { start, start + len, start };
    bool found = false;
    uint64_t type_index = 0, unit_index = 0;
    struct pb_field f;
    int rc;
    while ((rc = pb_next(&root, &f, err)) == 1) {
        if (f.number == PROFILE_TIME_NANOS && f.wire == WIRE_VARINT) {
            *time_nanos = as_int64(f.varint);
        } else if (f.number == PROFILE_SAMPLE_TYPE && !found) {
            if ((rc = expect_wire(&f, WIRE_LEN, "sample_type", err)) != LF_OK)
                return rc;
            found = true;
            struct pb sub = pb_sub(&root, &f);
            struct pb_field g;
            while ((rc = pb_next(&sub, &g, err)) == 1) {
                if (g.number == VALUE_TYPE_TYPE || g.number == VALUE_TYPE_UNIT) {
                    if ((rc = expect_wire(&g, WIRE_VARINT, "sample_type", err)) != LF_OK)
                        return rc;
                    if (g.number == VALUE_TYPE_TYPE)
                        type_index = g.varint;
                    else
                        unit_index = g.varint;
                }
            }
            if (rc < 0)
                return rc;
        }
    }
    if (rc < 0)
        return rc;
    if (!found)
        return LF_OK;
    /* the string table: index 0 is "" */
    root.p = start;
    uint64_t index = 0;
    bool have_type = type_index == 0, have_unit = unit_index == 0;
    while (!(have_type && have_unit) && (rc = pb_next(&root, &f, err)) == 1) {
        if (f.number != PROFILE_STRING_TABLE)
            continue;
        if ((rc = expect_wire(&f, WIRE_LEN, "string_table", err)) != LF_OK)
            return rc;
        if (index == type_index) {
            *type = str_make((const char *)f.data, f.len);
            have_type = true;
        }
        if (index == unit_index) {
            *unit = str_make((const char *)f.data, f.len);
            have_unit = true;
        }
        index++;
    }
    if (rc < 0)
        return rc;
    if (!have_type || !have_unit)
        return lf_fail(err, LF_EINVAL, "sample_type names string %llu of a %llu-string table",
                       (unsigned long long)(have_type ? unit_index : type_index),
                       (unsigned long long)index);
    return LF_OK;
}
