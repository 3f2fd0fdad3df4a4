/* agent.h - the agent's main loop: scrape every target when it is due, write each
 * profile to the spool, push the spool oldest first, back off while the server is away,
 * sleep in between. */
#ifndef LF_AGENT_H
#define LF_AGENT_H

#include <stdint.h>

#include "error.h"
#include "targets.h"

struct agent_stats {
    uint64_t scrapes;          /* profiles scraped and spooled (goroutine and goroutineleak) */
    uint64_t scrape_failures;  /* targets that did not answer with a profile */
    uint64_t metrics_failures; /* metrics reads that failed (a 404 is no failure) */
    uint64_t pushed;           /* profiles the server accepted */
    uint64_t push_failures;    /* pushes to retry later */
    uint64_t rejected;         /* profiles the server refused for good, set aside */
    uint64_t dropped;          /* profiles dropped to keep the spool within its limits */
    uint64_t corrupt;          /* spool files set aside as corrupt */
    uint64_t left;             /* profiles still in the spool at exit */
};

/* Runs the agent described by cfg (validated by targets_parse_args) until SIGTERM or
 * SIGINT (the push in flight finishes; unsent profiles stay in the spool), or with
 * cfg->once after one scrape of each target and a flush of the spool. stats may be NULL.
 * Returns LF_OK; with cfg->once LF_EUNAVAIL when a target could not be scraped or a
 * profile did not reach the server; LF_ECONFLICT / LF_EIO when the spool cannot be
 * opened; LF_ENOMEM. */
int agent_run(const struct targets_config *cfg, struct agent_stats *stats, struct lf_error *err);

#endif
