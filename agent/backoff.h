/* backoff.h - exponential backoff with full jitter, capped: the wait before the n-th
 * retry is uniform in [0, min(cap, base * 2^n)]. Pure arithmetic on a caller-owned
 * struct with its own random state, so it needs no clock and tests are deterministic. */
#ifndef LF_BACKOFF_H
#define LF_BACKOFF_H

#include <stdint.h>

struct backoff {
    uint64_t base_ms; /* ceiling of the first wait */
    uint64_t cap_ms;  /* no ceiling grows past this */
    unsigned attempt; /* failures since the last success */
    uint64_t rng;     /* xorshift64 state, never 0 */
};

/* Initializes b with the given base and cap (cap is raised to base when lower) and a
 * random seed (0 picks a fixed non-zero seed). */
void backoff_init(struct backoff *b, uint64_t base_ms, uint64_t cap_ms, uint64_t seed);

/* The ceiling of the next wait: min(cap, base * 2^attempt), without overflow. */
uint64_t backoff_ceiling_ms(const struct backoff *b);

/* Records one more failure and returns the wait before the next try, uniform in
 * [0, backoff_ceiling_ms()] as it was before the call. */
uint64_t backoff_next_ms(struct backoff *b);

/* Records a success: the next failure starts again from base. */
void backoff_reset(struct backoff *b);

/* A uniform random number in [0, bound] from b's random state (also used for jitter
 * of scrape times). */
uint64_t backoff_random(struct backoff *b, uint64_t bound);

#endif
