/* simprofile.h - what the fleet simulators (tools/fleetsim.c, tools/detectsim.c) share to
 * play Go services: small helpers (sim_*: a fatal error, allocation that cannot fail, a
 * seeded random generator, option values), a growable buffer with the protobuf wire
 * writer, and one service's pprof goroutine profile (simprofile_*): the tables of its
 * stacks encoded once, then a gzipped profile per push from one count per stack, as Go's
 * runtime/pprof writes it. Test tools, not the server: every failure is fatal
 * (sim_die prints "PROGRAM: message" and exits 2). */
#ifndef LF_SIMPROFILE_H
#define LF_SIMPROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "opt.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* The name sim_die prints first; main sets it. */
extern const char *sim_program;

/* Prints "PROGRAM: message" on stderr and exits 2. */
void sim_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* lf_malloc / lf_realloc that die instead of returning NULL (size 0 allocates 1 byte);
 * free with lf_free. */
void *sim_malloc(size_t size);
void *sim_realloc(void *ptr, size_t size);
char *sim_strdup(const char *s);

/* Seconds of CLOCK_MONOTONIC. */
double sim_now(void);

/* An integer option value in [min, max], a number >= 0; dies naming the option. */
int64_t sim_parse_int(const char *name, const char *value, int64_t min, int64_t max);
double sim_parse_double(const char *name, const char *value);

/* opt_next over the simulator's options that handles the rest itself: -h and --help
 * print usage and exit 0; an unknown option, a missing value or an operand dies with
 * usage. Returns an option's id (its value in *value) or OPT_END. */
int sim_opt_next(struct opt_reader *reader, const struct opt_spec *specs, size_t n_specs,
                 const char **value, const char *usage);

/* xorshift64*: deterministic for a seed (a state of 0 is replaced by a constant). */
uint64_t sim_rng_next(uint64_t *state);
/* Uniform in [0, n); 0 when n is 0. */
unsigned sim_rng_below(uint64_t *state, unsigned n);
/* Uniform in [0, 1). */
double sim_rng_uniform(uint64_t *state);
/* Standard normal (Box-Muller). */
double sim_rng_normal(uint64_t *state);
/* Poisson with the given mean (>= 0): exact below 30, the normal approximation above. */
uint64_t sim_rng_poisson(uint64_t *state, double mean);

/* ---- a growable byte buffer, the protobuf wire writer -------------------------------- */

struct sim_buf {
    unsigned char *p;
    size_t len;
    size_t cap;
};

void sim_buf_reserve(struct sim_buf *b, size_t more);
void sim_buf_add(struct sim_buf *b, const void *data, size_t len);
/* Frees the bytes and zeroes b. */
void sim_buf_release(struct sim_buf *b);

void sim_pb_varint(struct sim_buf *b, uint64_t v);
void sim_pb_uint(struct sim_buf *b, unsigned field, uint64_t v);
void sim_pb_bytes(struct sim_buf *b, unsigned field, const void *data, size_t len);

/* ---- one service's goroutine profile ---------------------------------------------------- */

#define SIMPROFILE_MAX_FRAMES 14

/* One frame; "%s" in function or file becomes the service name. */
struct simprofile_frame {
    const char *function;
    const char *file;
    int line;
};

/* A service's stacks encoded once: head (period and sample types) and tail (mapping,
 * locations, functions, string table) around the samples of each push. */
struct simprofile {
    struct sim_buf head;
    struct sim_buf tail;
    size_t n_stacks;
    uint64_t **loc_ids; /* per stack, leaf first */
    size_t *n_locs;
};

/* What encoding one profile needs, reused from push to push (one per thread). */
struct simprofile_scratch {
    struct sim_buf raw;
    struct sim_buf sample;
    struct sim_buf ids;
    struct sim_buf packed;
    z_stream z;
    bool z_ready;
};

/* Encodes the tables of n_stacks stacks for service (the binary is /app/SERVICE). Each
 * stacks[i] holds up to SIMPROFILE_MAX_FRAMES frames, leaf first, runtime.goexit left
 * out as Go does, ended early by a frame whose function is NULL. Release with
 * simprofile_release. */
void simprofile_init(struct simprofile *profile, const char *service,
                     const struct simprofile_frame *const *stacks, size_t n_stacks);
void simprofile_release(struct simprofile *profile);

/* Writes into out (replacing its bytes) the gzipped profile holding counts[i] goroutines
 * at stack i (stacks with 0 are left out) taken at unix time ts. */
void simprofile_encode(const struct simprofile *profile, const uint64_t *counts, int64_t ts,
                       struct simprofile_scratch *scratch, struct sim_buf *out);
void simprofile_scratch_release(struct simprofile_scratch *scratch);

#endif
