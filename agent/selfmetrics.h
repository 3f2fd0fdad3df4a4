/* selfmetrics.h - the agent's own /metrics (listen: host:port, off by default): a
 * listening socket the agent's loop waits on beside its timers, and a minimal HTTP/1.0
 * answer per connection (GET /metrics, GET /healthz; 404 for anything else, 405 for
 * other methods). Served from the agent's single thread between scrapes: each
 * connection gets at most SELFMETRICS_DEADLINE_MS of it, so a stalled client delays a
 * scrape by that much at most and never stops one. */
#ifndef LF_SELFMETRICS_H
#define LF_SELFMETRICS_H

#include <stddef.h>

#include "error.h"

#define SELFMETRICS_DEADLINE_MS 1000
#define SELFMETRICS_MAX_CONNS   8 /* connections answered per wake-up; the rest wait */

struct selfmetrics;

/* Binds host:port (a numeric IPv4 or IPv6 address, "[::1]:9465", or a name such as
 * "localhost"; port 0 picks one) and listens. Returns new (selfmetrics_close), or NULL
 * with err set: LF_EINVAL for an address that does not parse, LF_EIO when it cannot be
 * bound (in use, not this host's). */
struct selfmetrics *selfmetrics_open(const char *listen, struct lf_error *err);
void selfmetrics_close(struct selfmetrics *m);

/* The listening descriptor (readable when a client is waiting), and the address it is
 * bound to ("127.0.0.1:9465"; borrowed). */
int selfmetrics_fd(const struct selfmetrics *m);
const char *selfmetrics_address(const struct selfmetrics *m);

/* Accepts the waiting connections (at most SELFMETRICS_MAX_CONNS) and answers each
 * with (body, len) as the Prometheus text format for GET /metrics. Never fails: a
 * client that errs or stalls is dropped. */
void selfmetrics_serve(struct selfmetrics *m, const char *body, size_t len);

#endif
