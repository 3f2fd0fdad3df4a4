/* targets.h - what the agent scrapes and where it pushes: the command-line flags and
 * the optional YAML file (--config), merged into one struct. Flags override the file;
 * a --service/--target pair on the command line adds one target to the file's list. */
#ifndef LF_TARGETS_H
#define LF_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "log.h"
#include "scrape.h"
#include "target_meta.h"

#define TARGETS_TEXT_MAX 1024
#define TARGETS_PATH_MAX 256

struct target {
    char service[128];
    char instance[256]; /* default: the host name */
    char url[TARGETS_TEXT_MAX];
    int64_t interval_ms; /* default 60 s */
    enum scrape_format format;
    char metrics_path[TARGETS_PATH_MAX];       /* default "/metrics"; "" = none scraped */
    char version[TARGET_META_VERSION_MAX + 1]; /* configured version; "" = none */
};

struct targets_config {
    char server[TARGETS_TEXT_MAX];
    char token[TARGETS_TEXT_MAX];
    char spool_dir[TARGETS_TEXT_MAX]; /* default ./leakfleet-spool */
    char ca_file[TARGETS_TEXT_MAX];   /* PEM CA bundle for https; empty = the system's */
    uint64_t spool_max_bytes;         /* default 256 MiB */
    size_t spool_max_files;           /* default 10000 */
    int64_t connect_timeout_ms;       /* default 5 s, scrape and push */
    int64_t timeout_ms;               /* default 30 s per request */
    uint64_t max_profile_bytes;       /* default 64 MiB: larger scrapes are refused */
    int64_t retry_max_ms;             /* default 5 min: cap of the push backoff */
    int64_t summary_interval_ms;      /* default 5 min: a log line of counts */
    bool once;
    bool help;
    enum log_level log_level;
    enum log_format log_format;       /* default logfmt */
    struct target *targets;
    size_t n_targets;
};

/* Fills cfg from argv (and the --config file it names). Returns LF_OK; LF_EUSAGE for bad
 * flags or missing required values (err says which, without a "leakfleet-agent:"
 * prefix); LF_EINVAL / LF_EIO for a bad or unreadable config file. With --help,
 * cfg->help is set and nothing else is checked. Release cfg with targets_release on
 * every path. */
int targets_parse_args(struct targets_config *cfg, int argc, char **argv, struct lf_error *err);

/* Frees what targets_parse_args allocated; cfg may be zeroed. */
void targets_release(struct targets_config *cfg);

/* Parses a duration: digits with an optional unit ms, s (default), m, h, d; e.g. "60s",
 * "500ms", "5m". false for anything else or zero-or-negative. */
bool targets_parse_duration_ms(const char *s, int64_t *out_ms);

/* The --help text (borrowed, static). */
const char *targets_usage(void);

#endif
