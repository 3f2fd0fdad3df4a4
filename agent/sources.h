/* sources.h - the agent's targets while it runs: the static ones of its configuration
 * merged with what its discovery sources say now (file_sd files, re-read when they
 * change and every refresh interval; http_sd URLs and the Kubernetes pods of the node,
 * polled). A source that cannot be read keeps its last good targets; a file that is
 * gone, or no longer matched, takes its targets with it. */
#ifndef LF_SOURCES_H
#define LF_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "targets.h"

struct sources;

/* Copies what it needs of cfg (nothing is borrowed). Watches the directories of the
 * file_sd patterns with inotify where it can. Reads nothing yet: every source is due at
 * once. Returns new (sources_free), or NULL with err set (LF_ENOMEM, or LF_EINTERNAL
 * when libcurl cannot be set up). */
struct sources *sources_create(const struct targets_config *cfg, struct lf_error *err);
void sources_free(struct sources *sources);

/* After a reload: s (new, not refreshed yet) starts from what old last read of the
 * sources they share (the same file_sd pattern, http_sd URL, Kubernetes API server), so
 * a source that fails on its first read in s keeps its targets, as it would have in old;
 * and from old's running list, so that the first refresh logs changes only. Best effort:
 * out of memory, s starts from nothing. */
void sources_adopt(struct sources *s, const struct sources *old);

/* Reads every source due at now_ms (monotonic) and merges: the static targets first,
 * then the file_sd files (in the order of their patterns, files sorted), http_sd, and
 * Kubernetes; a (service, instance) already taken is left out with a warning. Logs what
 * each source added and removed. Returns true when the merged list changed. */
bool sources_refresh(struct sources *sources, int64_t now_ms);

/* When a source is next due (monotonic ms; INT64_MAX when none is). */
int64_t sources_next_ms(const struct sources *sources);

/* The inotify descriptor to wait on (readable when a watched directory changed), or -1.
 * When it is readable, sources_notice drains it and makes the file sources due now. */
int sources_watch_fd(const struct sources *sources);
void sources_notice(struct sources *sources, int64_t now_ms);

/* The merged targets (borrowed: valid until the next sources_refresh or sources_free). */
const struct target *sources_targets(const struct sources *sources, size_t *n);

/* Targets each kind of source gives now (after the merge, duplicates left out). */
struct sources_counts {
    size_t static_targets, file_sd, http_sd, kubernetes, duplicates;
    uint64_t errors; /* reads of a source that failed since sources_create */
};
void sources_counts(const struct sources *sources, struct sources_counts *out);

#endif
