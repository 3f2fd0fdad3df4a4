/* stack.h - what every parser emits: one group of goroutines sharing a stack. The
 * parsers stream these to a sink one at a time, so memory grows with the number of
 * unique stacks a consumer keeps, never with the number of goroutines. */
#ifndef LF_STACK_H
#define LF_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "str.h"

/* One frame: function as the runtime names it ("main.(*T).run.func1"), the source
 * file and line. For pprof, inlined calls are separate frames, innermost first. */
struct stack_frame {
    struct str function;
    struct str file;
    int64_t line;
};

/* One pprof label (debug=1 "# labels:" or pprof Sample.label). */
struct stack_label {
    struct str key;
    struct str value;
};

/* A group of `count` goroutines with one stack. Every view and array is borrowed:
 * valid only during the sink call that receives it. */
struct stack {
    int64_t count;                    /* goroutines with this stack (1 for debug=2) */
    int64_t goroutine_id;             /* debug=2 only; -1 elsewhere */
    struct str wait_reason;           /* debug=2 status verbatim ("chan send", "IO wait",
                                         "running"), without minutes, "locked to thread" or
                                         "(leaked)"; empty where the format has none */
    int64_t wait_minutes;             /* debug=2 "N minutes"; 0 when shown without, -1 when
                                         the format carries no wait times */
    bool locked_to_thread;            /* debug=2 ", locked to thread" */
    bool leaked;                      /* the runtime's goroutine-leak verdict: from a
                                         goroutineleak profile, or "(leaked)" in debug=2 */
    bool truncated;                   /* frames were elided or cut at the runtime's depth */
    const struct stack_frame *frames; /* innermost first */
    size_t n_frames;
    const struct stack_label *labels;
    size_t n_labels;
    struct stack_frame creator; /* debug=2 "created by": the go statement that started the
                                   goroutine; function empty when the format has none.
                                   Not one of frames: it is not on the stack */
};

/* Receives one stack from a parser; returns LF_OK to go on, or a negative code (with
 * err set) to stop the parse with that error. */
typedef int (*stack_sink_fn)(void *ctx, const struct stack *stack, struct lf_error *err);

#endif
