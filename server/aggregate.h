/* aggregate.h - sums the goroutines of one profile by location (op + function + file +
 * line of the site, see classify.h). A stack_sink_fn, so a parser streams straight into
 * it: memory grows with the number of unique locations, never with goroutines. */
#ifndef LF_AGGREGATE_H
#define LF_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "error.h"
#include "stack.h"
#include "str.h"

/* The most locations one aggregate keeps; one more is LF_ETOOBIG. */
#define AGGREGATE_MAX_LOCATIONS ((size_t)1 << 20)

/* One location. Every string and array is owned by the aggregate (valid until
 * aggregate_free) and NUL-terminated. */
struct agg_location {
    enum op_kind op;
    const char *op_text;  /* the op's words ("chan send", or a verbatim reason) */
    const char *function; /* the site frame; "" when the stack had no frames */
    const char *file;
    int64_t line;             /* 0 when unknown */
    int64_t count;            /* goroutines at this location */
    int64_t n_stacks;         /* stacks merged into it (distinct call paths or, for
                                 debug=2, goroutines) */
    int64_t max_wait_minutes; /* the longest wait seen; -1 when the format carries none */
    bool confirmed;           /* some goroutine here was leaked by the runtime's verdict */
    bool locked_to_thread;    /* some goroutine here was locked to its thread */
    /* the representative stack: the first one seen at this location */
    const struct stack_frame *frames; /* innermost first; views into owned copies */
    size_t n_frames;
    size_t site_frame;          /* index of the site in frames (n_frames when none) */
    struct stack_frame creator; /* the representative's "created by"; function empty
                                   when none */
    bool truncated;
    const struct stack_label *labels;
    size_t n_labels;
};

struct aggregate;

/* Returns a new, empty aggregate (caller frees with aggregate_free), or NULL when
 * allocation fails. */
struct aggregate *aggregate_create(void);

/* Frees agg and every location; NULL does nothing. */
void aggregate_free(struct aggregate *agg);

/* A stack_sink_fn: classifies the stack and adds its count to its location (created
 * on first sight, with the stack copied as the representative). agg is a struct
 * aggregate *. Returns LF_OK, LF_ENOMEM, or LF_ETOOBIG past AGGREGATE_MAX_LOCATIONS. */
int aggregate_sink(void *agg, const struct stack *stack, struct lf_error *err);

/* Sorts the locations largest count first; ties by function, file, line, then op
 * words, so the order is the same on every run. Adding after sorting is allowed (the
 * order is then insertion order again until the next sort). */
void aggregate_sort(struct aggregate *agg);

/* Number of locations. */
size_t aggregate_size(const struct aggregate *agg);

/* The i-th location (borrowed; valid until aggregate_free), in the order of the last
 * aggregate_sort; NULL when i is out of range. */
const struct agg_location *aggregate_at(const struct aggregate *agg, size_t i);

/* Goroutines and stacks seen in total (the sum of every location's count / n_stacks). */
int64_t aggregate_goroutines(const struct aggregate *agg);
int64_t aggregate_stacks(const struct aggregate *agg);

/* A view of a location's representative stack as a struct stack (count, wait and
 * verdict from the location; the wait reason is the op words, empty for OP_UNKNOWN),
 * for code that prints or stores stacks. Borrowed views
 * into the aggregate. */
void agg_location_stack(const struct agg_location *loc, struct stack *out);

#endif
