/* targets.h - what the agent scrapes and where it pushes: the command-line flags and
 * the optional YAML file (--config), merged into one struct. Flags override the file;
 * a --service/--target pair on the command line adds one target to the file's list.
 * The file may also name discovery sources (file_sd, http_sd, kubernetes): they are
 * checked here and read while the agent runs (sources.h). */
#ifndef LF_TARGETS_H
#define LF_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "log.h"
#include "scrape.h"
#include "target_meta.h"

#define TARGETS_TEXT_MAX     1024
#define TARGETS_PATH_MAX     256
#define TARGETS_MAX          4096 /* targets at once, static and discovered */
#define TARGETS_PPROF_PATH   "/debug/pprof/goroutine"
#define TARGETS_SERVICE_MAX  128
#define TARGETS_INSTANCE_MAX 256

struct target {
    char service[TARGETS_SERVICE_MAX];
    char instance[TARGETS_INSTANCE_MAX]; /* default: the host name (discovered: the address) */
    char url[TARGETS_TEXT_MAX];          /* scheme://host:port, the base of the paths */
    int64_t interval_ms;                 /* default 60 s */
    enum scrape_format format;
    char pprof_path[TARGETS_PATH_MAX];         /* default TARGETS_PPROF_PATH */
    char metrics_path[TARGETS_PATH_MAX];       /* default "/metrics"; "" = none scraped */
    char version[TARGET_META_VERSION_MAX + 1]; /* configured version; "" = none */
    char source[160]; /* where it came from, for logs: "flags", "config", "file_sd 'F'"... */
};

/* One file_sd pattern (a path or a glob in its last segment) with its entry's interval. */
struct targets_file_sd {
    char pattern[TARGETS_TEXT_MAX];
    int64_t refresh_ms; /* default 5 min; files are also re-read when they change */
};

struct targets_http_sd {
    char url[TARGETS_TEXT_MAX];
    int64_t refresh_ms; /* default 60 s */
};

/* The pods of this node from the Kubernetes API server (kube.h). */
struct targets_kubernetes {
    bool enabled;                      /* the file has a kubernetes: section */
    char api_server[TARGETS_TEXT_MAX]; /* default https://$KUBERNETES_SERVICE_HOST:PORT */
    char node[256];                    /* default $NODE_NAME */
    char token_file[TARGETS_TEXT_MAX]; /* default: the service account's; re-read every poll */
    char ca_file[TARGETS_TEXT_MAX];    /* default: the service account's ca.crt */
    int64_t refresh_ms;                /* default 30 s */
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
    bool check; /* --check: print what would run and exit */
    bool help;
    enum log_level log_level;
    enum log_format log_format; /* default logfmt */
    struct target *targets;     /* the static ones: flags and the file's targets: list */
    size_t n_targets;
    /* what a discovered target takes from the top level: interval, format, paths */
    struct target defaults;
    struct targets_file_sd *file_sd;
    size_t n_file_sd;
    struct targets_http_sd *http_sd;
    size_t n_http_sd;
    struct targets_kubernetes kubernetes;
    char listen[256]; /* host:port of the agent's own /metrics; "" = none */
    /* the command line, borrowed, parsed again on SIGHUP (argv NULL: no reload) */
    int argc;
    char **argv;
};

/* Fills cfg from argv (and the --config file it names). Returns LF_OK; LF_EUSAGE for bad
 * flags or missing required values (err says which, without a "leakfleet-agent:"
 * prefix); LF_EINVAL / LF_EIO for a bad or unreadable config file. With --help,
 * cfg->help is set and nothing else is checked. Release cfg with targets_release on
 * every path. */
int targets_parse_args(struct targets_config *cfg, int argc, char **argv, struct lf_error *err);

/* true when a and b scrape the same way (all but source are equal). */
bool targets_equal(const struct target *a, const struct target *b);

/* true when cfg names a discovery source (file_sd, http_sd or kubernetes). */
bool targets_discovers(const struct targets_config *cfg);

/* Checks a discovered service or instance name (1 to max-1 bytes, no control bytes), a
 * path (starts with '/', no blanks or control bytes, under TARGETS_PATH_MAX) and a
 * URL (http:// or https://, no blanks or control bytes). */
bool targets_name_ok(const char *s, size_t max);
bool targets_path_ok(const char *s);
bool targets_url_ok(const char *s);

/* Frees what targets_parse_args allocated; cfg may be zeroed. */
void targets_release(struct targets_config *cfg);

/* The --help text (borrowed, static). */
const char *targets_usage(void);

#endif
