/* backoff.c - capped exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff and Jitter"): spreading retries uniformly over [0, ceiling]
 * keeps a fleet of agents from hammering a server that has just come back all at once.
 * Owns no clock and no I/O; the caller sleeps. */
#include "backoff.h"

void backoff_init(struct backoff *b, uint64_t base_ms, uint64_t cap_ms, uint64_t seed)
{
    b->base_ms = base_ms == 0 ? 1 : base_ms;
    b->cap_ms = cap_ms < b->base_ms ? b->base_ms : cap_ms;
    b->attempt = 0;
    b->rng = seed == 0 ? UINT64_C(0x9E3779B97F4A7C15) : seed;
}

uint64_t backoff_ceiling_ms(const struct backoff *b)
{
    uint64_t ceiling = b->base_ms;
    for (unsigned i = 0; i < b->attempt; i++) {
        if (ceiling >= b->cap_ms / 2 + 1)
            return b->cap_ms;
        ceiling *= 2;
    }
    return ceiling < b->cap_ms ? ceiling : b->cap_ms;
}

uint64_t backoff_random(struct backoff *b, uint64_t bound)
{
    /* xorshift64*: good enough to spread timers, not for secrets */
    uint64_t x = b->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    b->rng = x;
    uint64_t r = x * UINT64_C(2685821657736338717);
    if (bound == UINT64_MAX)
        return r;
    return r % (bound + 1);
}

uint64_t backoff_next_ms(struct backoff *b)
{
    uint64_t ceiling = backoff_ceiling_ms(b);
    if (b->attempt < 64)
        b->attempt++;
    return backoff_random(b, ceiling);
}

void backoff_reset(struct backoff *b)
{
    b->attempt = 0;
}
