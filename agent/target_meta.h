/* target_meta.h - what a target says about itself on its Prometheus /metrics: when its
 * process started (process_start_time_seconds) and which version it runs (the version
 * label of a *_build_info metric; go_info's version label, the Go toolchain's, is kept
 * apart as a last resort). The agent sends both with every push, so the server can tell
 * restarts and deploys from real signals. */
#ifndef LF_TARGET_META_H
#define LF_TARGET_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define TARGET_META_VERSION_MAX 128 /* bytes of a version sent with a push */

struct target_meta {
    double start_seconds; /* process_start_time_seconds as served; 0 = none usable */
    int64_t started;      /* the same in whole unix seconds (rounded down); 0 = none */
    /* The version label of the first <name>_build_info sample other than go_build_info;
     * without one, of go_build_info (the main module's version) unless it is "(devel)".
     * "" = none. */
    char version[TARGET_META_VERSION_MAX + 1];
    char version_metric[64]; /* the metric it came from (truncated), for log lines */
    char go_version[TARGET_META_VERSION_MAX + 1]; /* go_info's version label, or "" */
    /* A value that was served but cannot be used (a start time that is not a unix
     * time, a version with control characters or over TARGET_META_VERSION_MAX bytes),
     * worded for a log line; "" = none. */
    char problem[160];
};

/* Reads the start time and the versions from an exposition (text, len) into *out
 * (cleared first). A metric served twice: the first sample counts. Returns LF_OK (also
 * when none of them is there); LF_EINVAL with "line N column C: why" for a body that is
 * not the text format; LF_ENOMEM. */
int target_meta_parse(const char *text, size_t len, struct target_meta *out, struct lf_error *err);

/* true when (s, len) is usable as a version: 1 to TARGET_META_VERSION_MAX bytes of
 * UTF-8 without control characters. */
bool target_meta_version_ok(const char *s, size_t len);

#endif
