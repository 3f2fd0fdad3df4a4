/* targets.c - the agent's configuration: flags (opt.h) and the YAML file read
 * through config.h, merged into struct targets_config. A key is declared once, in
 * settings[] or target_keys[] ({file key, flag, kind}), and one setter reads it from the
 * file and from its flag alike. Everything is validated here,
 * once, so the scrape loop never meets an unusable value: URLs are http(s), names hold
 * no control characters, durations and limits are positive. The discovery sources are
 * checked here too (and Kubernetes' environment resolved), then read by sources.c. No
 * network, no files other than the config file. */
#include "targets.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "opt.h"
#include "units.h"
#include "utf8.h"

#define DEFAULT_INTERVAL_MS         (60 * 1000)
#define DEFAULT_SPOOL_DIR           "./leakfleet-spool"
#define DEFAULT_SPOOL_MAX_BYTES     ((uint64_t)256 << 20)
#define DEFAULT_SPOOL_MAX_FILES     10000
#define DEFAULT_CONNECT_TIMEOUT_MS  5000
#define DEFAULT_TIMEOUT_MS          30000
#define DEFAULT_MAX_PROFILE_BYTES   ((uint64_t)64 << 20)
#define DEFAULT_RETRY_MAX_MS        (5 * 60 * 1000)
#define DEFAULT_SUMMARY_INTERVAL_MS (5 * 60 * 1000)
#define DEFAULT_METRICS_PATH        "/metrics"
#define DEFAULT_FILE_SD_REFRESH_S   300
#define DEFAULT_HTTP_SD_REFRESH_S   60
#define DEFAULT_KUBE_REFRESH_S      30
#define MAX_SD_SOURCES              64 /* file_sd patterns, and http_sd URLs */
#define KUBE_SA_DIR                 "/var/run/secrets/kubernetes.io/serviceaccount"

static const char usage_text[] =
        "usage: leakfleet-agent --server URL --token TOKEN --service NAME --target URL\n"
        "                       [--instance ID] [--interval 60s] [--format pprof|debug1|debug2]\n"
        "                       [--metrics-path /metrics] [--version V] [--spool DIR]\n"
        "                       [--config FILE] [--listen ADDR] [--once] [--check]\n"
        "\n"
        "Scrapes TARGET/debug/pprof/goroutine of Go services every interval (with jitter)\n"
        "and pushes the profiles to the leakfleet server, keeping unsent ones in the spool.\n"
        "\n"
        "  --server URL            leakfleet server, e.g. http://127.0.0.1:8080\n"
        "  --token TOKEN           ingest token (or env LEAKFLEET_AGENT_TOKEN)\n"
        "  --service NAME          service of the --target\n"
        "  --target URL            base URL of a Go service's net/http/pprof handlers\n"
        "  --instance ID           instance name (default: host name)\n"
        "  --interval DURATION     time between scrapes, e.g. 60s, 5m (default 60s)\n"
        "  --format F              pprof (debug=0, default), debug1 or debug2\n"
        "  --metrics-path PATH     the target's Prometheus metrics, read for its process\n"
        "                          start time and version (default /metrics; none: not read)\n"
        "  --version V             the --target's version when its metrics name none;\n"
        "                          --version alone prints the agent's own version\n"
        "  --spool DIR             unsent profiles (default ./leakfleet-spool)\n"
        "  --spool-max-bytes N     spool size limit, suffix K, M or G (default 256M)\n"
        "  --spool-max-files N     spool file limit (default 10000)\n"
        "  --connect-timeout DUR   per connection (default 5s)\n"
        "  --timeout DUR           per request (default 30s)\n"
        "  --max-profile-bytes N   larger scrapes are refused (default 64M)\n"
        "  --retry-max DUR         longest wait between push retries (default 5m)\n"
        "  --ca-file FILE          PEM CA certificates trusted for https server and target\n"
        "                          URLs (default: the system's)\n"
        "  --config FILE           YAML file: server, token, instance, interval, format,\n"
        "                          metrics_path, pprof_path, retry_max, max_profile_bytes,\n"
        "                          ca_file, listen, spool {dir, max_bytes, max_files},\n"
        "                          timeouts {connect, total}, log_level, log_format,\n"
        "                          summary_interval, targets [{service,\n"
        "                          instance, url, interval, format, metrics_path,\n"
        "                          pprof_path, version}], file_sd [{files,\n"
        "                          refresh_interval}], http_sd [{url, refresh_interval}],\n"
        "                          kubernetes {node, api_server, token_file, ca_file,\n"
        "                          refresh_interval}; flags override it. SIGHUP reads the\n"
        "                          flags and the file again (a bad one is logged and the\n"
        "                          running configuration kept)\n"
        "  --listen ADDR           serve the agent's own /metrics on host:port (default: off)\n"
        "  --check                 check the flags and the file, print what would run, exit\n"
        "                          (0: usable; nothing is read from the network)\n"
        "  --once                  scrape every target once, flush the spool, exit 0 only\n"
        "                          if everything reached the server\n"
        "  --log-level L           debug, info (default), warn, error\n"
        "  --log-format F          logfmt (default) or json: one line an event either way\n"
        "  --summary-interval DUR  a log line of counts (scrapes, pushes, spool) this often\n"
        "                          (default 5m)\n"
        "  --help                  this text\n";

const char *targets_usage(void)
{
    return usage_text;
}

#define N_SETTINGS 14 /* rows of settings[] below */

#define N_TARGET_KEYS 8 /* rows of target_keys[] below */

/* Raw flag values; NULL when not given. setting[i] is the flag of settings[i], target[i]
 * the flag of target_keys[i]. */
struct flags {
    const char *config;
    const char *setting[N_SETTINGS];
    const char *target[N_TARGET_KEYS];
};

/* A positive size in the grammar of units.h. */
static bool parse_size(const char *s, uint64_t *out)
{
    uint64_t n = 0;
    if (!units_size(s, strlen(s), &n) || n == 0)
        return false;
    *out = n;
    return true;
}

static bool text_ok(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static bool url_ok(const char *s)
{
    return text_ok(s) && strchr(s, ' ') == NULL &&
           ((strncmp(s, "http://", 7) == 0 && s[7] != '\0') ||
            (strncmp(s, "https://", 8) == 0 && s[8] != '\0'));
}

bool targets_name_ok(const char *s, size_t max)
{
    return text_ok(s) && strlen(s) < max;
}

bool targets_path_ok(const char *s)
{
    return s[0] == '/' && text_ok(s) && strchr(s, ' ') == NULL && strlen(s) < TARGETS_PATH_MAX;
}

bool targets_url_ok(const char *s)
{
    return url_ok(s) && strlen(s) < TARGETS_TEXT_MAX;
}

/* A metrics path: "none", or a path starting with '/' without blanks or control bytes. */
static bool metrics_path_ok(const char *s)
{
    return strcmp(s, "none") == 0 || targets_path_ok(s);
}

/* Sets dst[TARGETS_PATH_MAX] from a path metrics_path_ok accepted ("none": empty). */
static void set_metrics_path(char *dst, const char *path)
{
    size_t len = strcmp(path, "none") == 0 ? 0 : strlen(path);
    memcpy(dst, path, len);
    dst[len] = '\0';
}

static bool version_ok(const char *s)
{
    return target_meta_version_ok(s, strlen(s));
}

#define METRICS_PATH_EXPECTED "expected a path starting with '/' (at most 255 bytes), or none"
#define PPROF_PATH_EXPECTED   "expected a path starting with '/' (at most 255 bytes)"
#define VERSION_EXPECTED      "expected 1 to 128 bytes of UTF-8 without control characters"

/* Copies a validated text value into dst[size]; what names it in errors. */
static int set_text(char *dst, size_t size, const char *value, const char *what, bool is_url,
                    enum lf_code code, struct lf_error *err)
{
    if (!(is_url ? url_ok(value) : text_ok(value)))
        return lf_fail(err, code, "%s: %s '%s'", what,
                       is_url ? "expected an http:// or https:// URL" : "bad value", value);
    size_t len = strlen(value);
    if (len >= size)
        return lf_fail(err, code, "%s: longer than %zu bytes", what, size - 1);
    memcpy(dst, value, len + 1);
    return LF_OK;
}

static int add_target(struct targets_config *cfg, struct target **out, struct lf_error *err)
{
    if (cfg->n_targets >= TARGETS_MAX)
        return lf_fail(err, LF_EINVAL, "more than %d targets", TARGETS_MAX);
    struct target *grown = lf_realloc(cfg->targets, (cfg->n_targets + 1) * sizeof(*grown));
    if (grown == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    cfg->targets = grown;
    *out = &grown[cfg->n_targets++];
    memset(*out, 0, sizeof(**out));
    return LF_OK;
}

/* ---- settings: one row a key, for the file and its flag alike ------------------------- */

enum setting_kind {
    SETTING_URL,           /* char[size]: http:// or https:// */
    SETTING_TEXT,          /* char[size]: no control bytes */
    SETTING_SIZE,          /* uint64_t, >= 1, units.h */
    SETTING_COUNT,         /* size_t, 1 to 10000000, units.h sizes */
    SETTING_DURATION,      /* int64_t ms, > 0, units.h */
    SETTING_DURATION_OR_0, /* int64_t ms, 0 = never */
    SETTING_LOG_LEVEL,     /* enum log_level */
    SETTING_LOG_FORMAT,    /* enum log_format */
};

/* A setting of struct targets_config read from the file's key and overridden by its flag
 * (the file is read first, the flags after it). */
struct setting {
    const char *key;  /* dotted path in the --config file */
    const char *flag; /* command-line flag */
    enum setting_kind kind;
    size_t offset; /* of the field in struct targets_config */
    size_t size;   /* of a text field; 0 otherwise */
};

#define FIELD(name) offsetof(struct targets_config, name), 0
#define TEXT_FIELD(name)                                                                           \
    offsetof(struct targets_config, name), sizeof(((struct targets_config *)0)->name)

static const struct setting settings[N_SETTINGS] = {
    { "server", "--server", SETTING_URL, TEXT_FIELD(server) },
    { "token", "--token", SETTING_TEXT, TEXT_FIELD(token) },
    { "ca_file", "--ca-file", SETTING_TEXT, TEXT_FIELD(ca_file) },
    { "listen", "--listen", SETTING_TEXT, TEXT_FIELD(listen) },
    { "spool.dir", "--spool", SETTING_TEXT, TEXT_FIELD(spool_dir) },
    { "spool.max_bytes", "--spool-max-bytes", SETTING_SIZE, FIELD(spool_max_bytes) },
    { "spool.max_files", "--spool-max-files", SETTING_COUNT, FIELD(spool_max_files) },
    { "max_profile_bytes", "--max-profile-bytes", SETTING_SIZE, FIELD(max_profile_bytes) },
    { "timeouts.connect", "--connect-timeout", SETTING_DURATION, FIELD(connect_timeout_ms) },
    { "timeouts.total", "--timeout", SETTING_DURATION, FIELD(timeout_ms) },
    { "retry_max", "--retry-max", SETTING_DURATION, FIELD(retry_max_ms) },
    { "summary_interval", "--summary-interval", SETTING_DURATION_OR_0, FIELD(summary_interval_ms) },
    { "log_level", "--log-level", SETTING_LOG_LEVEL, FIELD(log_level) },
    { "log_format", "--log-format", SETTING_LOG_FORMAT, FIELD(log_format) },
};

/* Sets setting s of cfg from value; name says where it came from in errors ("--timeout",
 * "agent.yaml:3:10: timeouts.total"), code is LF_EUSAGE for a flag, LF_EINVAL for the file. */
static int set_setting(struct targets_config *cfg, const struct setting *s, const char *value,
                       const char *name, enum lf_code code, struct lf_error *err)
{
    void *field = (char *)cfg + s->offset;
    int64_t ms = 0;
    uint64_t n = 0;
    switch (s->kind) {
    case SETTING_URL:
    case SETTING_TEXT:
        return set_text(field, s->size, value, name, s->kind == SETTING_URL, code, err);
    case SETTING_SIZE:
        if (!parse_size(value, &n) || n > INT64_MAX)
            return lf_fail(err, code, "%s: expected " UNITS_SIZE_EXPECTED ", not '%s'", name,
                           value);
        *(uint64_t *)field = n;
        return LF_OK;
    case SETTING_COUNT:
        if (!parse_size(value, &n) || n > 10000000)
            return lf_fail(err, code, "%s: expected a count from 1 to 10000000, not '%s'", name,
                           value);
        *(size_t *)field = (size_t)n;
        return LF_OK;
    case SETTING_DURATION:
    case SETTING_DURATION_OR_0:
        if (!units_duration_ms(value, strlen(value), &ms))
            return lf_fail(err, code, "%s: expected " UNITS_DURATION_EXPECTED ", not '%s'", name,
                           value);
        if (ms == 0 && s->kind == SETTING_DURATION)
            return lf_fail(err, code, "%s: must be more than 0", name);
        *(int64_t *)field = ms;
        return LF_OK;
    case SETTING_LOG_LEVEL:
        if (!log_level_from_name(value, field))
            return lf_fail(err, code, "%s: expected debug, info, warn or error, not '%s'", name,
                           value);
        return LF_OK;
    case SETTING_LOG_FORMAT:
        if (!log_format_from_name(value, field))
            return lf_fail(err, code, "%s: expected logfmt or json, not '%s'", name, value);
        return LF_OK;
    }
    return lf_fail(err, LF_EINTERNAL, "%s: unknown kind of setting", name);
}

/* The value of key in the entry item of file (NULL: the top level), at where ("targets.3";
 * "" at the top): LF_OK with *value NULL when the file does not give it, else name set to
 * "PATH:LINE:COLUMN: WHERE.KEY" for the messages about it. */
static int file_key(const struct config *file, const struct config_node *item, const char *key,
                    const char *path, const char *where, const char **value, char *name,
                    size_t size, struct lf_error *err)
{
    const struct config_node *node = config_get(item, file, key);
    *value = NULL;
    int rc = config_node_str(file, node, NULL, value, err);
    if (rc != LF_OK || *value == NULL)
        return rc;
    utf8_snprintf(name, size, "%s:%zu:%zu: %s%s%s", path, config_node_line(node),
                  config_node_column(node), where, where[0] != '\0' ? "." : "", key);
    return LF_OK;
}

/* The file's value of every setting it names. */
static int load_settings(struct targets_config *cfg, const struct config *file, const char *path,
                         struct lf_error *err)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *value = NULL;
        char name[TARGETS_PATH_MAX + 96];
        int rc = file_key(file, NULL, settings[i].key, path, "", &value, name, sizeof(name), err);
        if (rc == LF_OK && value != NULL)
            rc = set_setting(cfg, &settings[i], value, name, LF_EINVAL, err);
        if (rc != LF_OK)
            return rc;
    }
    return LF_OK;
}

/* ---- a target's keys: in each targets entry; the top-level ones are every target's
 * default, and a flag overrides the top level ---------------------------------------- */

enum target_kind {
    TARGET_SERVICE,
    TARGET_URL,
    TARGET_INSTANCE,
    TARGET_INTERVAL,
    TARGET_FORMAT,
    TARGET_METRICS_PATH,
    TARGET_PPROF_PATH,
    TARGET_VERSION,
};

struct target_key {
    const char *key;  /* in a targets entry; also at the top level when top */
    const char *flag; /* NULL: none */
    enum target_kind kind;
    bool top;
};

static const struct target_key target_keys[N_TARGET_KEYS] = {
    { "service", "--service", TARGET_SERVICE, false },
    { "url", "--target", TARGET_URL, false },
    { "instance", "--instance", TARGET_INSTANCE, true },
    { "interval", "--interval", TARGET_INTERVAL, true },
    { "format", "--format", TARGET_FORMAT, true },
    { "metrics_path", "--metrics-path", TARGET_METRICS_PATH, true },
    { "pprof_path", NULL, TARGET_PPROF_PATH, true },
    { "version", "--version", TARGET_VERSION, false },
};

/* Sets one key of t from value; name and code as for set_setting. */
static int set_target_key(struct target *t, enum target_kind kind, const char *value,
                          const char *name, enum lf_code code, struct lf_error *err)
{
    switch (kind) {
    case TARGET_SERVICE:
        return set_text(t->service, sizeof(t->service), value, name, false, code, err);
    case TARGET_URL:
        return set_text(t->url, sizeof(t->url), value, name, true, code, err);
    case TARGET_INSTANCE:
        return set_text(t->instance, sizeof(t->instance), value, name, false, code, err);
    case TARGET_INTERVAL:
        if (!units_duration_ms(value, strlen(value), &t->interval_ms))
            return lf_fail(err, code, "%s: expected " UNITS_DURATION_EXPECTED ", not '%s'", name,
                           value);
        if (t->interval_ms == 0)
            return lf_fail(err, code, "%s: must be more than 0", name);
        return LF_OK;
    case TARGET_FORMAT:
        if (!scrape_format_from_name(value, &t->format))
            return lf_fail(err, code, "%s: expected pprof, debug1 or debug2, not '%s'", name,
                           value);
        return LF_OK;
    case TARGET_METRICS_PATH:
        if (!metrics_path_ok(value))
            return lf_fail(err, code, "%s: " METRICS_PATH_EXPECTED ", not '%s'", name, value);
        set_metrics_path(t->metrics_path, value);
        return LF_OK;
    case TARGET_PPROF_PATH:
        if (!targets_path_ok(value))
            return lf_fail(err, code, "%s: " PPROF_PATH_EXPECTED ", not '%s'", name, value);
        memcpy(t->pprof_path, value, strlen(value) + 1);
        return LF_OK;
    case TARGET_VERSION:
        if (!version_ok(value))
            return lf_fail(err, code, "%s: " VERSION_EXPECTED, name);
        memcpy(t->version, value, strlen(value) + 1);
        return LF_OK;
    }
    return lf_fail(err, LF_EINTERNAL, "%s: unknown target key", name);
}

/* The keys of a target that the file gives: at the top level (item NULL, where "", only the
 * top keys) or in the targets entry item at where ("targets.3"). */
static int load_target_keys(struct target *t, const struct config *file,
                            const struct config_node *item, const char *where, const char *path,
                            struct lf_error *err)
{
    for (size_t i = 0; i < N_TARGET_KEYS; i++) {
        if (item == NULL && !target_keys[i].top)
            continue;
        const char *value = NULL;
        char name[TARGETS_PATH_MAX + 96];
        int rc = file_key(file, item, target_keys[i].key, path, where, &value, name, sizeof(name),
                          err);
        if (rc == LF_OK && value != NULL)
            rc = set_target_key(t, target_keys[i].kind, value, name, LF_EINVAL, err);
        if (rc != LF_OK)
            return rc;
    }
    return LF_OK;
}

/* The flags that override the top level (--instance, --interval, --format, --metrics-path). */
static int apply_top_flags(struct target *top, const struct flags *f, struct lf_error *err)
{
    for (size_t i = 0; i < N_TARGET_KEYS; i++) {
        int rc;
        if (target_keys[i].top && f->target[i] != NULL &&
            (rc = set_target_key(top, target_keys[i].kind, f->target[i], target_keys[i].flag,
                                 LF_EUSAGE, err)) != LF_OK)
            return rc;
    }
    return LF_OK;
}

/* The value of the flag of the target key of kind; NULL when not given. */
static const char *target_flag(const struct flags *f, enum target_kind kind)
{
    for (size_t i = 0; i < N_TARGET_KEYS; i++) {
        if (target_keys[i].kind == kind)
            return f->target[i];
    }
    return NULL;
}

/* A new target of cfg that starts from the top level: service, url and version empty. */
static int add_target_from(struct targets_config *cfg, const struct target *top,
                           struct target **out, struct lf_error *err)
{
    int rc = add_target(cfg, out, err);
    if (rc != LF_OK)
        return rc;
    **out = *top;
    (*out)->service[0] = (*out)->url[0] = (*out)->version[0] = '\0';
    return LF_OK;
}

/* ---- the YAML file ------------------------------------------------------------------- */

/* Appends one element of size to the array *items of *n, zeroed; NULL when out of memory. */
static void *grow(void *items_ptr, size_t *n, size_t size)
{
    void **items = items_ptr;
    char *grown = lf_realloc(*items, (*n + 1) * size);
    if (grown == NULL)
        return NULL;
    *items = grown;
    memset(grown + *n * size, 0, size);
    return grown + (*n)++ * size;
}

/* Reads a refresh_interval of the entry at where (dflt_s when absent) into *out_ms. */
static int refresh_interval(const struct config *file, const char *path, const char *where,
                            int64_t dflt_s, int64_t *out_ms, struct lf_error *err)
{
    char key[128];
    snprintf(key, sizeof(key), "%s.refresh_interval", where);
    int64_t v = 0;
    int rc = config_duration_seconds(file, key, dflt_s, &v, err);
    if (rc != LF_OK)
        return rc;
    if (v <= 0)
        return lf_fail(err, LF_EINVAL, "%s: %s: must be at least 1s", path, key);
    *out_ms = v * 1000;
    return LF_OK;
}

/* Copies an environment variable's value into dst[size] ("" when unset or too long). */
static void copy_env(char *dst, size_t size, const char *name)
{
    const char *v = getenv(name);
    size_t len = v != NULL ? strlen(v) : 0;
    if (len >= size)
        len = 0;
    memcpy(dst, v != NULL ? v : "", len);
    dst[len] = '\0';
}

/* file_sd, http_sd and kubernetes: checked and copied into cfg; nothing read yet. */
static int load_discovery(struct targets_config *cfg, const struct config *file, const char *path,
                          struct lf_error *err)
{
    static const char *const file_sd_keys[] = { "files", "refresh_interval" };
    static const char *const http_sd_keys[] = { "url", "refresh_interval" };
    static const char *const kube_keys[] = { "node", "api_server", "token_file", "ca_file",
                                             "refresh_interval" };
    char where[96];
    int rc = LF_OK;
    const char *const lists[] = { "file_sd", "http_sd" };
    for (size_t l = 0; l < 2; l++) {
        const struct config_node *list = config_get(NULL, file, lists[l]);
        if (list != NULL && config_node_type(list) != CONFIG_SEQ &&
            config_node_type(list) != CONFIG_NULL)
            return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected a list", path,
                           config_node_line(list), config_node_column(list), lists[l]);
        for (size_t i = 0; i < config_node_len(list); i++) {
            snprintf(where, sizeof(where), "%s.%zu", lists[l], i);
            const struct config_node *item = config_node_at(list, i);
            if (config_node_type(item) != CONFIG_MAP)
                return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected a map", path,
                               config_node_line(item), config_node_column(item), where);
            if ((rc = config_check_keys(file, where, l == 0 ? file_sd_keys : http_sd_keys, 2,
                                        err)) != LF_OK)
                return rc;
            int64_t refresh_ms = 0;
            if ((rc = refresh_interval(file, path, where,
                                       l == 0 ? DEFAULT_FILE_SD_REFRESH_S
                                              : DEFAULT_HTTP_SD_REFRESH_S,
                                       &refresh_ms, err)) != LF_OK)
                return rc;
            char what[160];
            if (l == 1) {
                const char *url = NULL;
                if ((rc = config_node_str(file, config_get(item, file, "url"), NULL, &url, err)) !=
                    LF_OK)
                    return rc;
                if (url == NULL)
                    return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: needs url", path,
                                   config_node_line(item), config_node_column(item), where);
                if (cfg->n_http_sd >= MAX_SD_SOURCES)
                    return lf_fail(err, LF_EINVAL, "%s: http_sd: more than %d URLs", path,
                                   MAX_SD_SOURCES);
                struct targets_http_sd *h = grow(&cfg->http_sd, &cfg->n_http_sd, sizeof(*h));
                if (h == NULL)
                    return lf_fail(err, LF_ENOMEM, "out of memory");
                h->refresh_ms = refresh_ms;
                utf8_snprintf(what, sizeof(what), "%s: %s.url", path, where);
                if ((rc = set_text(h->url, sizeof(h->url), url, what, true, LF_EINVAL, err)) !=
                    LF_OK)
                    return rc;
                continue;
            }
            const char **files = NULL;
            size_t n_files = 0;
            snprintf(what, sizeof(what), "%s.files", where);
            if ((rc = config_strings(file, what, &files, &n_files, err)) != LF_OK)
                return rc;
            if (n_files == 0)
                rc = lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: needs files (paths or globs)", path,
                             config_node_line(item), config_node_column(item), where);
            for (size_t f = 0; rc == LF_OK && f < n_files; f++) {
                if (cfg->n_file_sd >= MAX_SD_SOURCES) {
                    rc = lf_fail(err, LF_EINVAL, "%s: file_sd: more than %d patterns", path,
                                 MAX_SD_SOURCES);
                    break;
                }
                struct targets_file_sd *fs = grow(&cfg->file_sd, &cfg->n_file_sd, sizeof(*fs));
                if (fs == NULL) {
                    rc = lf_fail(err, LF_ENOMEM, "out of memory");
                    break;
                }
                fs->refresh_ms = refresh_ms;
                utf8_snprintf(what, sizeof(what), "%s: %s.files.%zu", path, where, f);
                rc = set_text(fs->pattern, sizeof(fs->pattern), files[f], what, false, LF_EINVAL,
                              err);
            }
            lf_free(files);
            if (rc != LF_OK)
                return rc;
        }
    }

    const struct config_node *kube = config_get(NULL, file, "kubernetes");
    if (kube == NULL || config_node_type(kube) == CONFIG_NULL)
        return LF_OK;
    if (config_node_type(kube) != CONFIG_MAP)
        return lf_fail(err, LF_EINVAL,
                       "%s:%zu:%zu: kubernetes: expected a map ({} for the defaults)", path,
                       config_node_line(kube), config_node_column(kube));
    if ((rc = config_check_keys(file, "kubernetes", kube_keys, 5, err)) != LF_OK)
        return rc;
    struct targets_kubernetes *k = &cfg->kubernetes;
    k->enabled = true;
    if ((rc = refresh_interval(file, path, "kubernetes", DEFAULT_KUBE_REFRESH_S, &k->refresh_ms,
                               err)) != LF_OK)
        return rc;
    const char *node = NULL, *api = NULL, *token_file = NULL, *ca = NULL;
    if ((rc = config_str(file, "kubernetes.node", NULL, &node, err)) != LF_OK ||
        (rc = config_str(file, "kubernetes.api_server", NULL, &api, err)) != LF_OK ||
        (rc = config_str(file, "kubernetes.token_file", KUBE_SA_DIR "/token", &token_file, err)) !=
                LF_OK ||
        (rc = config_str(file, "kubernetes.ca_file", KUBE_SA_DIR "/ca.crt", &ca, err)) != LF_OK)
        return rc;
    if (node != NULL && (rc = set_text(k->node, sizeof(k->node), node, "kubernetes.node", false,
                                       LF_EINVAL, err)) != LF_OK)
        return rc;
    if (node == NULL)
        copy_env(k->node, sizeof(k->node), "NODE_NAME");
    if (k->node[0] == '\0' || !text_ok(k->node))
        return lf_fail(err, LF_EINVAL,
                       "%s: kubernetes.node: not set, and NODE_NAME is empty (give it the pod's "
                       "spec.nodeName through the downward API)",
                       path);
    if (api != NULL && (rc = set_text(k->api_server, sizeof(k->api_server), api,
                                      "kubernetes.api_server", true, LF_EINVAL, err)) != LF_OK)
        return rc;
    if (api == NULL) {
        char host[256], port[16];
        copy_env(host, sizeof(host), "KUBERNETES_SERVICE_HOST");
        copy_env(port, sizeof(port), "KUBERNETES_SERVICE_PORT");
        if (host[0] == '\0' || port[0] == '\0')
            return lf_fail(err, LF_EINVAL,
                           "%s: kubernetes.api_server: not set, and KUBERNETES_SERVICE_HOST/PORT "
                           "are empty (not in a pod?)",
                           path);
        bool v6 = strchr(host, ':') != NULL;
        int n = snprintf(k->api_server, sizeof(k->api_server), "https://%s%s%s:%s", v6 ? "[" : "",
                         host, v6 ? "]" : "", port);
        if (n < 0 || (size_t)n >= sizeof(k->api_server) || !url_ok(k->api_server))
            return lf_fail(err, LF_EINVAL, "%s: kubernetes: bad KUBERNETES_SERVICE_HOST/PORT",
                           path);
    }
    if ((rc = set_text(k->token_file, sizeof(k->token_file), token_file, "kubernetes.token_file",
                       false, LF_EINVAL, err)) != LF_OK)
        return rc;
    if (ca[0] != '\0' && (rc = set_text(k->ca_file, sizeof(k->ca_file), ca, "kubernetes.ca_file",
                                        false, LF_EINVAL, err)) != LF_OK)
        return rc;
    return LF_OK;
}

/* Reads the file at path into cfg; top is every target's default, the top-level keys and
 * then the flags f applied to it. */
static int load_file(struct targets_config *cfg, const char *path, struct target *top,
                     const struct flags *f, struct lf_error *err)
{
    static const char *const top_keys[] = {
        "server",  "token",      "instance",     "interval",          "format",
        "spool",   "timeouts",   "log_level",    "max_profile_bytes", "retry_max",
        "targets", "ca_file",    "metrics_path", "pprof_path",        "file_sd",
        "http_sd", "kubernetes", "listen",       "log_format",        "summary_interval"
    };
    static const char *const spool_keys[] = { "dir", "max_bytes", "max_files" };
    static const char *const timeout_keys[] = { "connect", "total" };
    const char *target_entry_keys[N_TARGET_KEYS];
    for (size_t i = 0; i < N_TARGET_KEYS; i++)
        target_entry_keys[i] = target_keys[i].key;
    int rc = LF_OK;
    struct config *file = config_load(path, err);
    if (file == NULL)
        return err != NULL && err->code != LF_OK ? err->code : LF_EINVAL;
    char where[96];

    if ((rc = config_check_keys(file, NULL, top_keys, sizeof(top_keys) / sizeof(top_keys[0]),
                                err)) != LF_OK ||
        (rc = config_check_keys(file, "spool", spool_keys, 3, err)) != LF_OK ||
        (rc = config_check_keys(file, "timeouts", timeout_keys, 2, err)) != LF_OK)
        goto out;
    if ((rc = load_target_keys(top, file, NULL, "", path, err)) != LF_OK ||
        (rc = apply_top_flags(top, f, err)) != LF_OK)
        goto out;
    if ((rc = load_discovery(cfg, file, path, err)) != LF_OK)
        goto out;
    if ((rc = load_settings(cfg, file, path, err)) != LF_OK)
        goto out;

    const struct config_node *list = config_get(NULL, file, "targets");
    if (list != NULL && config_node_type(list) != CONFIG_SEQ &&
        config_node_type(list) != CONFIG_NULL) {
        rc = lf_fail(err, LF_EINVAL, "%s:%zu:%zu: targets: expected a list", path,
                     config_node_line(list), config_node_column(list));
        goto out;
    }
    for (size_t i = 0; i < config_node_len(list); i++) {
        snprintf(where, sizeof(where), "targets.%zu", i);
        if ((rc = config_check_keys(file, where, target_entry_keys, N_TARGET_KEYS, err)) != LF_OK)
            goto out;
        const struct config_node *item = config_node_at(list, i);
        struct target *t = NULL;
        if ((rc = add_target_from(cfg, top, &t, err)) != LF_OK ||
            (rc = load_target_keys(t, file, item, where, path, err)) != LF_OK)
            goto out;
        if (t->service[0] == '\0' || t->url[0] == '\0') {
            rc = lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: needs service and url", path,
                         config_node_line(item), config_node_column(item), where);
            goto out;
        }
        utf8_snprintf(t->source, sizeof(t->source), "%s", path);
    }
out:
    config_free(file);
    return rc;
}

/* ---- flags ---------------------------------------------------------------------------- */

/* The flags that are neither settings nor target keys; a setting's flag has the id
 * FLAG_SETTING + its row, a target key's FLAG_TARGET_KEY + its row. */
enum {
    FLAG_CONFIG = 1,
    FLAG_ONCE,
    FLAG_CHECK,
    FLAG_TARGET_KEY,
    FLAG_SETTING = FLAG_TARGET_KEY + N_TARGET_KEYS,
};

static int read_flags(struct targets_config *cfg, struct flags *f, int argc, char **argv,
                      struct lf_error *err)
{
    struct opt_spec specs[3 + N_TARGET_KEYS + N_SETTINGS] = {
        { "--config", true, FLAG_CONFIG },
        { "--once", false, FLAG_ONCE },
        { "--check", false, FLAG_CHECK },
    };
    size_t n_specs = 3;
    for (size_t i = 0; i < N_TARGET_KEYS; i++) {
        if (target_keys[i].flag != NULL)
            specs[n_specs++] =
                    (struct opt_spec){ target_keys[i].flag, true, FLAG_TARGET_KEY + (int)i };
    }
    for (size_t i = 0; i < N_SETTINGS; i++)
        specs[n_specs++] = (struct opt_spec){ settings[i].flag, true, FLAG_SETTING + (int)i };
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    const char *value = NULL;
    int id;
    while ((id = opt_next(&reader, specs, n_specs, &value, err)) != OPT_END) {
        if (id == OPT_HELP)
            cfg->help = true;
        else if (id == OPT_OPERAND)
            return lf_fail(err, LF_EUSAGE, "unexpected argument '%s' (see --help)", value);
        else if (id == OPT_ERROR)
            return LF_EUSAGE;
        else if (id == FLAG_CONFIG)
            f->config = value;
        else if (id == FLAG_ONCE)
            cfg->once = true;
        else if (id == FLAG_CHECK)
            cfg->check = true;
        else if (id >= FLAG_SETTING)
            f->setting[id - FLAG_SETTING] = value;
        else
            f->target[id - FLAG_TARGET_KEY] = value;
    }
    return LF_OK;
}

int targets_parse_args(struct targets_config *cfg, int argc, char **argv, struct lf_error *err)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->spool_max_bytes = DEFAULT_SPOOL_MAX_BYTES;
    cfg->spool_max_files = DEFAULT_SPOOL_MAX_FILES;
    cfg->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
    cfg->max_profile_bytes = DEFAULT_MAX_PROFILE_BYTES;
    cfg->retry_max_ms = DEFAULT_RETRY_MAX_MS;
    cfg->summary_interval_ms = DEFAULT_SUMMARY_INTERVAL_MS;
    cfg->log_level = LOG_LEVEL_INFO;
    memcpy(cfg->spool_dir, DEFAULT_SPOOL_DIR, sizeof(DEFAULT_SPOOL_DIR));

    struct flags f = { 0 };
    int rc = read_flags(cfg, &f, argc, argv, err);
    if (rc != LF_OK || cfg->help)
        return rc;
    cfg->argc = argc;
    cfg->argv = argv;

    struct target top; /* every target's default: the top level, then its flags */
    memset(&top, 0, sizeof(top));
    if (gethostname(top.instance, sizeof(top.instance)) != 0 || top.instance[0] == '\0' ||
        !text_ok(top.instance))
        memcpy(top.instance, "localhost", sizeof("localhost"));
    top.instance[sizeof(top.instance) - 1] = '\0';
    top.interval_ms = DEFAULT_INTERVAL_MS;
    top.format = SCRAPE_FORMAT_PPROF;
    set_metrics_path(top.metrics_path, DEFAULT_METRICS_PATH);
    memcpy(top.pprof_path, TARGETS_PPROF_PATH, sizeof(TARGETS_PPROF_PATH));
    const char *service = target_flag(&f, TARGET_SERVICE), *target = target_flag(&f, TARGET_URL);
    const char *version = target_flag(&f, TARGET_VERSION);
    if ((rc = apply_top_flags(&top, &f, err)) != LF_OK)
        return rc;
    if (version != NULL && !version_ok(version))
        return lf_fail(err, LF_EUSAGE, "--version: " VERSION_EXPECTED);
    if (version != NULL && target == NULL)
        return lf_fail(err, LF_EUSAGE,
                       "--version is the version of the --target's service (in --config: "
                       "targets[].version)");
    /* the --service/--target target takes the flags' values, not the file's top level */
    struct target flag_top = top;
    if (f.config != NULL && (rc = load_file(cfg, f.config, &top, &f, err)) != LF_OK)
        return rc;
    /* what discovered targets take: the top level but its instance (theirs: the address) */
    cfg->defaults = top;
    cfg->defaults.instance[0] = '\0';

    /* flags override the file */
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (f.setting[i] != NULL && (rc = set_setting(cfg, &settings[i], f.setting[i],
                                                      settings[i].flag, LF_EUSAGE, err)) != LF_OK)
            return rc;
    }
    const char *env_token = getenv("LEAKFLEET_AGENT_TOKEN");
    if (cfg->token[0] == '\0' && env_token != NULL &&
        (rc = set_text(cfg->token, sizeof(cfg->token), env_token, "LEAKFLEET_AGENT_TOKEN", false,
                       LF_EUSAGE, err)) != LF_OK)
        return rc;
    bool ca_flag = false;
    for (size_t i = 0; i < N_SETTINGS; i++)
        ca_flag = ca_flag || (f.setting[i] != NULL && strcmp(settings[i].key, "ca_file") == 0);
    if (cfg->ca_file[0] != '\0' && access(cfg->ca_file, R_OK) != 0)
        return lf_fail(err, ca_flag ? LF_EUSAGE : LF_EINVAL, "%s: cannot read '%s': %s",
                       ca_flag ? "--ca-file" : "ca_file", cfg->ca_file, strerror(errno));
    if ((service == NULL) != (target == NULL))
        return lf_fail(err, LF_EUSAGE, "--service and --target go together");
    if (target != NULL) {
        struct target *t = NULL;
        if ((rc = add_target_from(cfg, &flag_top, &t, err)) != LF_OK)
            return rc;
        for (size_t i = 0; i < N_TARGET_KEYS; i++) {
            if (!target_keys[i].top && f.target[i] != NULL &&
                (rc = set_target_key(t, target_keys[i].kind, f.target[i], target_keys[i].flag,
                                     LF_EUSAGE, err)) != LF_OK)
                return rc;
        }
        memcpy(t->source, "flags", sizeof("flags"));
    }
    if (cfg->server[0] == '\0')
        return lf_fail(err, LF_EUSAGE, "--server is required (see --help)");
    if (cfg->token[0] == '\0')
        return lf_fail(err, LF_EUSAGE, "--token is required (or LEAKFLEET_AGENT_TOKEN)");
    if (cfg->n_targets == 0 && !targets_discovers(cfg))
        return lf_fail(err, LF_EUSAGE,
                       "no targets: give --service and --target, or --config with targets, "
                       "file_sd, http_sd or kubernetes");
    return LF_OK;
}

bool targets_equal(const struct target *a, const struct target *b)
{
    return strcmp(a->service, b->service) == 0 && strcmp(a->instance, b->instance) == 0 &&
           strcmp(a->url, b->url) == 0 && a->interval_ms == b->interval_ms &&
           a->format == b->format && strcmp(a->pprof_path, b->pprof_path) == 0 &&
           strcmp(a->metrics_path, b->metrics_path) == 0 && strcmp(a->version, b->version) == 0;
}

bool targets_discovers(const struct targets_config *cfg)
{
    return cfg->n_file_sd > 0 || cfg->n_http_sd > 0 || cfg->kubernetes.enabled;
}

void targets_release(struct targets_config *cfg)
{
    lf_free(cfg->targets);
    cfg->targets = NULL;
    cfg->n_targets = 0;
    lf_free(cfg->file_sd);
    cfg->file_sd = NULL;
    cfg->n_file_sd = 0;
    lf_free(cfg->http_sd);
    cfg->http_sd = NULL;
    cfg->n_http_sd = 0;
}
