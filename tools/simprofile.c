/* simprofile.c - the simulators' shared helpers and pprof goroutine profile encoder. The
 * tables of a service (functions, locations, the string table) are encoded once; a push
 * adds only its samples and time, then gzips the whole with a reused deflate stream.
 * See simprofile.h; nothing here knows HTTP or the scenarios. */
#include "simprofile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

const char *sim_program = "sim";

/* ---- helpers ------------------------------------------------------------------------ */

void sim_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", sim_program);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

void *sim_malloc(size_t size)
{
    void *p = lf_malloc(size == 0 ? 1 : size);
    if (p == NULL)
        sim_die("out of memory");
    return p;
}

void *sim_realloc(void *ptr, size_t size)
{
    void *p = lf_realloc(ptr, size == 0 ? 1 : size);
    if (p == NULL)
        sim_die("out of memory");
    return p;
}

char *sim_strdup(const char *s)
{
    char *copy = lf_strdup(s);
    if (copy == NULL)
        sim_die("out of memory");
    return copy;
}

double sim_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t sim_parse_int(const char *name, const char *value, int64_t min, int64_t max)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
        sim_die("%s: expected an integer in [%lld, %lld], not '%s'", name, (long long)min,
                (long long)max, value);
    return (int64_t)v;
}

double sim_parse_double(const char *name, const char *value)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !(v >= 0) || isinf(v))
        sim_die("%s: expected a non-negative number, not '%s'", name, value);
    return v;
}

int sim_opt_next(struct opt_reader *reader, const struct opt_spec *specs, size_t n_specs,
                 const char **value, const char *usage)
{
    struct lf_error err = { LF_OK, "" };
    int id = opt_next(reader, specs, n_specs, value, &err);
    if (id == OPT_HELP) {
        fputs(usage, stdout);
        exit(0);
    }
    if (id == OPT_ERROR)
        sim_die("%s\n%s", err.msg, usage);
    if (id == OPT_OPERAND)
        sim_die("unknown argument '%s'\n%s", *value, usage);
    return id;
}

uint64_t sim_rng_next(uint64_t *state)
{
    uint64_t x = *state != 0 ? *state : UINT64_C(0x9E3779B97F4A7C15);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(2685821657736338717);
}

unsigned sim_rng_below(uint64_t *state, unsigned n)
{
    return n == 0 ? 0 : (unsigned)(sim_rng_next(state) % n);
}

double sim_rng_uniform(uint64_t *state)
{
    return (double)(sim_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

double sim_rng_normal(uint64_t *state)
{
    double u = sim_rng_uniform(state), v = sim_rng_uniform(state);
    return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

uint64_t sim_rng_poisson(uint64_t *state, double mean)
{
    if (!(mean > 0))
        return 0;
    if (mean >= 30) {
        double x = floor(mean + sqrt(mean) * sim_rng_normal(state) + 0.5);
        return x > 0 ? (uint64_t)x : 0;
    }
    double limit = exp(-mean), product = sim_rng_uniform(state);
    uint64_t n = 0;
    while (product > limit) {
        n++;
        product *= sim_rng_uniform(state);
    }
    return n;
}

/* ---- buffer and protobuf ------------------------------------------------------------ */

void sim_buf_reserve(struct sim_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap == 0 ? 256 : b->cap;
    while (cap < b->len + more)
        cap *= 2;
    b->p = sim_realloc(b->p, cap);
    b->cap = cap;
}

void sim_buf_add(struct sim_buf *b, const void *data, size_t len)
{
    if (len == 0)
        return;
    sim_buf_reserve(b, len);
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

void sim_buf_release(struct sim_buf *b)
{
    lf_free(b->p);
    memset(b, 0, sizeof(*b));
}

void sim_pb_varint(struct sim_buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        unsigned char byte = (unsigned char)(v & 0x7f);
        v >>= 7;
        tmp[n++] = (unsigned char)(byte | (v != 0 ? 0x80 : 0));
    } while (v != 0);
    sim_buf_add(b, tmp, n);
}

static void pb_key(struct sim_buf *b, unsigned field, unsigned wire)
{
    sim_pb_varint(b, ((uint64_t)field << 3) | wire);
}

void sim_pb_uint(struct sim_buf *b, unsigned field, uint64_t v)
{
    pb_key(b, field, 0);
    sim_pb_varint(b, v);
}

void sim_pb_bytes(struct sim_buf *b, unsigned field, const void *data, size_t len)
{
    pb_key(b, field, 2);
    sim_pb_varint(b, len);
    sim_buf_add(b, data, len);
}

/* ---- the profile ------------------------------------------------------------------------ */

/* Field numbers of google/pprof profile.proto. */
enum {
    PROFILE_SAMPLE_TYPE = 1,
    PROFILE_SAMPLE = 2,
    PROFILE_MAPPING = 3,
    PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6,
    PROFILE_TIME_NANOS = 9,
    PROFILE_PERIOD_TYPE = 11,
    PROFILE_PERIOD = 12,
};

struct table {
    char **items;
    size_t len;
};

/* Index of s in t, appended when new (the string table and function names). */
static uint64_t table_index(struct table *t, const char *s)
{
    for (size_t i = 0; i < t->len; i++) {
        if (strcmp(t->items[i], s) == 0)
            return i;
    }
    t->items = sim_realloc(t->items, (t->len + 1) * sizeof(*t->items));
    t->items[t->len] = sim_strdup(s);
    return t->len++;
}

static void table_release(struct table *t)
{
    for (size_t i = 0; i < t->len; i++)
        lf_free(t->items[i]);
    lf_free(t->items);
    memset(t, 0, sizeof(*t));
}

static void expand(const char *fmt, const char *service, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = fmt; *p != '\0' && o + 1 < size; p++) {
        if (p[0] == '%' && p[1] == 's') {
            size_t n = strlen(service);
            if (o + n >= size)
                break;
            memcpy(out + o, service, n);
            o += n;
            p++;
            continue;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
}

static size_t stack_depth(const struct simprofile_frame *frames)
{
    size_t n = 0;
    while (n < SIMPROFILE_MAX_FRAMES && frames[n].function != NULL)
        n++;
    return n;
}

void simprofile_init(struct simprofile *profile, const char *service,
                     const struct simprofile_frame *const *stacks, size_t n_stacks)
{
    memset(profile, 0, sizeof(*profile));
    profile->n_stacks = n_stacks;
    profile->loc_ids = sim_malloc(n_stacks * sizeof(*profile->loc_ids));
    profile->n_locs = sim_malloc(n_stacks * sizeof(*profile->n_locs));

    struct table strings = { 0 };
    struct table functions = { 0 }; /* "name\nfile" */
    struct table locations = { 0 }; /* "name\nfile\nline" */
    table_index(&strings, "");
    uint64_t goroutine = table_index(&strings, "goroutine");
    uint64_t count = table_index(&strings, "count");
    struct sim_buf vt = { 0 };
    sim_pb_uint(&vt, 1, goroutine);
    sim_pb_uint(&vt, 2, count);
    sim_pb_bytes(&profile->head, PROFILE_PERIOD_TYPE, vt.p, vt.len);
    sim_pb_uint(&profile->head, PROFILE_PERIOD, 1);
    sim_pb_bytes(&profile->head, PROFILE_SAMPLE_TYPE, vt.p, vt.len);
    sim_buf_release(&vt);

    struct sim_buf locs = { 0 }, funcs = { 0 }, msg = { 0 }, line = { 0 };
    for (size_t s = 0; s < n_stacks; s++) {
        size_t depth = stack_depth(stacks[s]);
        profile->loc_ids[s] = sim_malloc(depth * sizeof(uint64_t));
        profile->n_locs[s] = depth;
        for (size_t f = 0; f < depth; f++) {
            const struct simprofile_frame *frame = &stacks[s][f];
            char function[256], file[256], key[600];
            expand(frame->function, service, function, sizeof(function));
            expand(frame->file, service, file, sizeof(file));
            snprintf(key, sizeof(key), "%s\n%s", function, file);
            size_t known_functions = functions.len;
            uint64_t function_id = table_index(&functions, key) + 1;
            if (functions.len > known_functions) {
                uint64_t name = table_index(&strings, function);
                uint64_t filename = table_index(&strings, file);
                msg.len = 0;
                sim_pb_uint(&msg, 1, function_id);
                sim_pb_uint(&msg, 2, name);
                sim_pb_uint(&msg, 3, name);
                sim_pb_uint(&msg, 4, filename);
                sim_pb_bytes(&funcs, PROFILE_FUNCTION, msg.p, msg.len);
            }
            snprintf(key, sizeof(key), "%s\n%s\n%d", function, file, frame->line);
            size_t known_locations = locations.len;
            uint64_t location_id = table_index(&locations, key) + 1;
            profile->loc_ids[s][f] = location_id;
            if (locations.len > known_locations) {
                line.len = 0;
                sim_pb_uint(&line, 1, function_id);
                sim_pb_uint(&line, 2, (uint64_t)frame->line);
                msg.len = 0;
                sim_pb_uint(&msg, 1, location_id);
                sim_pb_uint(&msg, 2, 1);
                sim_pb_uint(&msg, 3, 0x401000 + location_id * 0x1a3);
                sim_pb_bytes(&msg, 4, line.p, line.len);
                sim_pb_bytes(&locs, PROFILE_LOCATION, msg.p, msg.len);
            }
        }
    }
    char binary[300];
    snprintf(binary, sizeof(binary), "/app/%s", service);
    uint64_t filename = table_index(&strings, binary);
    msg.len = 0;
    sim_pb_uint(&msg, 1, 1);
    sim_pb_uint(&msg, 2, 0x400000);
    sim_pb_uint(&msg, 3, 0x1400000);
    sim_pb_uint(&msg, 5, filename);
    sim_pb_uint(&msg, 7, 1);
    sim_pb_bytes(&profile->tail, PROFILE_MAPPING, msg.p, msg.len);
    sim_buf_add(&profile->tail, locs.p, locs.len);
    sim_buf_add(&profile->tail, funcs.p, funcs.len);
    for (size_t i = 0; i < strings.len; i++)
        sim_pb_bytes(&profile->tail, PROFILE_STRING_TABLE, strings.items[i],
                     strlen(strings.items[i]));
    sim_buf_release(&locs);
    sim_buf_release(&funcs);
    sim_buf_release(&msg);
    sim_buf_release(&line);
    table_release(&strings);
    table_release(&functions);
    table_release(&locations);
}

void simprofile_release(struct simprofile *profile)
{
    sim_buf_release(&profile->head);
    sim_buf_release(&profile->tail);
    for (size_t s = 0; s < profile->n_stacks; s++)
        lf_free(profile->loc_ids[s]);
    lf_free(profile->loc_ids);
    lf_free(profile->n_locs);
    memset(profile, 0, sizeof(*profile));
}

void simprofile_encode(const struct simprofile *profile, const uint64_t *counts, int64_t ts,
                       struct simprofile_scratch *scratch, struct sim_buf *out)
{
    struct sim_buf *raw = &scratch->raw;
    raw->len = 0;
    sim_buf_add(raw, profile->head.p, profile->head.len);
    for (size_t s = 0; s < profile->n_stacks; s++) {
        if (counts[s] == 0)
            continue;
        scratch->ids.len = 0;
        for (size_t f = 0; f < profile->n_locs[s]; f++)
            sim_pb_varint(&scratch->ids, profile->loc_ids[s][f]);
        scratch->sample.len = 0;
        sim_pb_bytes(&scratch->sample, 1, scratch->ids.p, scratch->ids.len);
        scratch->packed.len = 0;
        sim_pb_varint(&scratch->packed, counts[s]);
        sim_pb_bytes(&scratch->sample, 2, scratch->packed.p, scratch->packed.len);
        sim_pb_bytes(raw, PROFILE_SAMPLE, scratch->sample.p, scratch->sample.len);
    }
    sim_buf_add(raw, profile->tail.p, profile->tail.len);
    sim_pb_uint(raw, PROFILE_TIME_NANOS, (uint64_t)ts * 1000000000u);

    z_stream *z = &scratch->z;
    if (!scratch->z_ready) {
        memset(z, 0, sizeof(*z));
        if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            sim_die("deflateInit2 failed");
        scratch->z_ready = true;
    } else if (deflateReset(z) != Z_OK) {
        sim_die("deflateReset failed");
    }
    size_t bound = deflateBound(z, raw->len) + 32;
    out->len = 0;
    sim_buf_reserve(out, bound);
    z->next_in = raw->p;
    z->avail_in = (uInt)raw->len;
    z->next_out = out->p;
    z->avail_out = (uInt)bound;
    if (deflate(z, Z_FINISH) != Z_STREAM_END)
        sim_die("deflate failed");
    out->len = bound - z->avail_out;
}

void simprofile_scratch_release(struct simprofile_scratch *scratch)
{
    sim_buf_release(&scratch->raw);
    sim_buf_release(&scratch->sample);
    sim_buf_release(&scratch->ids);
    sim_buf_release(&scratch->packed);
    if (scratch->z_ready)
        deflateEnd(&scratch->z);
    scratch->z_ready = false;
}
