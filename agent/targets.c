/* targets.c - the agent's configuration: flags (opt.h) and the YAML file read
 * through config.h, merged into struct targets_config. Everything is validated here,
 * once, so the scrape loop never meets an unusable value: URLs are http(s), names hold
 * no control characters, durations and limits are positive. The discovery sources are
 * checked here too (and Kubernetes' environment resolved), then read by sources.c. No
 * network, no files other than the config file. */
#include "targets.h"

#include <errno.h>
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

/* Raw flag values; NULL when not given. */
struct flags {
    const char *server, *token, *service, *target, *instance, *interval, *format, *spool;
    const char *spool_max_bytes, *spool_max_files, *connect_timeout, *timeout, *ca_file;
    const char *max_profile_bytes, *config, *log_level, *retry_max, *metrics_path, *version;
    const char *listen;
    const char *log_format, *summary_interval;
};

/* A positive duration in the grammar of units.h. */
static bool parse_duration(const char *s, int64_t *out_ms)
{
    int64_t ms = 0;
    if (!units_duration_ms(s, strlen(s), &ms) || ms <= 0)
        return false;
    *out_ms = ms;
    return true;
}

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

/* ---- the YAML file ------------------------------------------------------------------- */

/* The flag values that override the file's top-level defaults (per-target values in the
 * file stay as written): instance (NULL = none), interval (0 = none), format (NULL). */
struct overrides {
    const char *instance;
    int64_t interval_ms;
    const char *format;
    const char *metrics_path;
};

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

static int load_file(struct targets_config *cfg, const char *path, const char *host,
                     const struct overrides *over, struct lf_error *err)
{
    static const char *const top_keys[] = {
        "server",  "token",      "instance",     "interval",          "format",
        "spool",   "timeouts",   "log_level",    "max_profile_bytes", "retry_max",
        "targets", "ca_file",    "metrics_path", "pprof_path",        "file_sd",
        "http_sd", "kubernetes", "listen",       "log_format",        "summary_interval"
    };
    static const char *const spool_keys[] = { "dir", "max_bytes", "max_files" };
    static const char *const timeout_keys[] = { "connect", "total" };
    static const char *const target_keys[] = { "service", "instance",     "url",        "interval",
                                               "format",  "metrics_path", "pprof_path", "version" };
    int rc = LF_OK;
    struct config *file = config_load(path, err);
    if (file == NULL)
        return err != NULL && err->code != LF_OK ? err->code : LF_EINVAL;
    const char *s = NULL;
    int64_t v = 0;
    char where[96];

    if ((rc = config_check_keys(file, NULL, top_keys, sizeof(top_keys) / sizeof(top_keys[0]),
                                err)) != LF_OK ||
        (rc = config_check_keys(file, "spool", spool_keys, 3, err)) != LF_OK ||
        (rc = config_check_keys(file, "timeouts", timeout_keys, 2, err)) != LF_OK)
        goto out;
    if ((rc = config_str(file, "server", NULL, &s, err)) != LF_OK)
        goto out;
    if (s != NULL && (rc = set_text(cfg->server, sizeof(cfg->server), s, "server", true, LF_EINVAL,
                                    err)) != LF_OK)
        goto out;
    if ((rc = config_str(file, "ca_file", NULL, &s, err)) != LF_OK)
        goto out;
    if (s != NULL && (rc = set_text(cfg->ca_file, sizeof(cfg->ca_file), s, "ca_file", false,
                                    LF_EINVAL, err)) != LF_OK)
        goto out;
    if ((rc = config_str(file, "token", NULL, &s, err)) != LF_OK)
        goto out;
    if (s != NULL &&
        (rc = set_text(cfg->token, sizeof(cfg->token), s, "token", false, LF_EINVAL, err)) != LF_OK)
        goto out;
    const char *instance = host;
    if ((rc = config_str(file, "instance", host, &instance, err)) != LF_OK)
        goto out;
    if (over->instance != NULL)
        instance = over->instance;
    int64_t interval_ms = 0;
    if ((rc = config_duration_ms(file, "interval", DEFAULT_INTERVAL_MS, &interval_ms, err)) !=
        LF_OK)
        goto out;
    if (over->interval_ms > 0)
        interval_ms = over->interval_ms;
    const char *format_name = NULL;
    if ((rc = config_str(file, "format", "pprof", &format_name, err)) != LF_OK)
        goto out;
    if (over->format != NULL)
        format_name = over->format;
    enum scrape_format format;
    if (!scrape_format_from_name(format_name, &format)) {
        rc = lf_fail(err, LF_EINVAL, "%s: format: expected pprof, debug1 or debug2, not '%s'", path,
                     format_name);
        goto out;
    }
    const char *metrics_path = NULL;
    if ((rc = config_str(file, "metrics_path", DEFAULT_METRICS_PATH, &metrics_path, err)) != LF_OK)
        goto out;
    if (over->metrics_path != NULL)
        metrics_path = over->metrics_path;
    if (!metrics_path_ok(metrics_path)) {
        rc = lf_fail(err, LF_EINVAL, "%s: metrics_path: " METRICS_PATH_EXPECTED ", not '%s'", path,
                     metrics_path);
        goto out;
    }
    const char *pprof_path = NULL;
    if ((rc = config_str(file, "pprof_path", TARGETS_PPROF_PATH, &pprof_path, err)) != LF_OK)
        goto out;
    if (!targets_path_ok(pprof_path)) {
        rc = lf_fail(err, LF_EINVAL, "%s: pprof_path: " PPROF_PATH_EXPECTED ", not '%s'", path,
                     pprof_path);
        goto out;
    }
    if ((rc = config_str(file, "listen", NULL, &s, err)) != LF_OK)
        goto out;
    if (s != NULL && (rc = set_text(cfg->listen, sizeof(cfg->listen), s, "listen", false, LF_EINVAL,
                                    err)) != LF_OK)
        goto out;
    /* what discovered targets take: the top level, after the flags' overrides */
    cfg->defaults.interval_ms = interval_ms;
    cfg->defaults.format = format;
    set_metrics_path(cfg->defaults.metrics_path, metrics_path);
    memcpy(cfg->defaults.pprof_path, pprof_path, strlen(pprof_path) + 1);
    if ((rc = load_discovery(cfg, file, path, err)) != LF_OK)
        goto out;
    if ((rc = config_str(file, "spool.dir", NULL, &s, err)) != LF_OK)
        goto out;
    if (s != NULL && (rc = set_text(cfg->spool_dir, sizeof(cfg->spool_dir), s, "spool.dir", false,
                                    LF_EINVAL, err)) != LF_OK)
        goto out;
    if ((rc = config_size(file, "spool.max_bytes", cfg->spool_max_bytes, 1, INT64_MAX,
                          &cfg->spool_max_bytes, err)) != LF_OK)
        goto out;
    if ((rc = config_int(file, "spool.max_files", (int64_t)cfg->spool_max_files, 1, 10000000, &v,
                         err)) != LF_OK)
        goto out;
    cfg->spool_max_files = (size_t)v;
    if ((rc = config_size(file, "max_profile_bytes", cfg->max_profile_bytes, 1, INT64_MAX,
                          &cfg->max_profile_bytes, err)) != LF_OK)
        goto out;
    if ((rc = config_duration_ms(file, "timeouts.connect", cfg->connect_timeout_ms,
                                 &cfg->connect_timeout_ms, err)) != LF_OK ||
        (rc = config_duration_ms(file, "timeouts.total", cfg->timeout_ms, &cfg->timeout_ms, err)) !=
                LF_OK ||
        (rc = config_duration_ms(file, "retry_max", cfg->retry_max_ms, &cfg->retry_max_ms, err)) !=
                LF_OK)
        goto out;
    if ((rc = config_str(file, "log_level", NULL, &s, err)) != LF_OK)
        goto out;
    if (s != NULL && !log_level_from_name(s, &cfg->log_level)) {
        rc = lf_fail(err, LF_EINVAL, "%s: log_level: expected debug, info, warn or error", path);
        goto out;
    }
    if ((rc = config_duration_ms(file, "summary_interval", cfg->summary_interval_ms,
                                 &cfg->summary_interval_ms, err)) != LF_OK)
        goto out;
    if ((rc = config_str(file, "log_format", NULL, &s, err)) != LF_OK)
        goto out;
    if (s != NULL && !log_format_from_name(s, &cfg->log_format)) {
        rc = lf_fail(err, LF_EINVAL, "%s: log_format: expected logfmt or json", path);
        goto out;
    }

    const struct config_node *list = config_get(NULL, file, "targets");
    if (list != NULL && config_node_type(list) != CONFIG_SEQ &&
        config_node_type(list) != CONFIG_NULL) {
        rc = lf_fail(err, LF_EINVAL, "%s:%zu:%zu: targets: expected a list", path,
                     config_node_line(list), config_node_column(list));
        goto out;
    }
    for (size_t i = 0; i < config_node_len(list); i++) {
        snprintf(where, sizeof(where), "targets.%zu", i);
        if ((rc = config_check_keys(file, where, target_keys, 8, err)) != LF_OK)
            goto out;
        const struct config_node *item = config_node_at(list, i);
        struct target *t = NULL;
        if ((rc = add_target(cfg, &t, err)) != LF_OK)
            goto out;
        const char *service = NULL, *t_instance = NULL, *url = NULL, *t_format = NULL;
        const char *t_metrics_path = NULL, *t_version = NULL, *t_pprof_path = NULL;
        int64_t t_interval = 0;
        if ((rc = config_node_str(file, config_get(item, file, "service"), NULL, &service, err)) !=
                    LF_OK ||
            (rc = config_node_str(file, config_get(item, file, "instance"), instance, &t_instance,
                                  err)) != LF_OK ||
            (rc = config_node_str(file, config_get(item, file, "url"), NULL, &url, err)) != LF_OK ||
            (rc = config_node_str(file, config_get(item, file, "format"), format_name, &t_format,
                                  err)) != LF_OK ||
            (rc = config_node_duration_ms(file, config_get(item, file, "interval"), interval_ms,
                                          &t_interval, err)) != LF_OK ||
            (rc = config_node_str(file, config_get(item, file, "metrics_path"), metrics_path,
                                  &t_metrics_path, err)) != LF_OK ||
            (rc = config_node_str(file, config_get(item, file, "version"), NULL, &t_version,
                                  err)) != LF_OK ||
            (rc = config_node_str(file, config_get(item, file, "pprof_path"), pprof_path,
                                  &t_pprof_path, err)) != LF_OK)
            goto out;
        if (service == NULL || url == NULL) {
            rc = lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: needs service and url", path,
                         config_node_line(item), config_node_column(item), where);
            goto out;
        }
        char what[128];
        utf8_snprintf(what, sizeof(what), "%s: %s.service", path, where);
        if ((rc = set_text(t->service, sizeof(t->service), service, what, false, LF_EINVAL, err)) !=
            LF_OK)
            goto out;
        utf8_snprintf(what, sizeof(what), "%s: %s.instance", path, where);
        if ((rc = set_text(t->instance, sizeof(t->instance), t_instance, what, false, LF_EINVAL,
                           err)) != LF_OK)
            goto out;
        utf8_snprintf(what, sizeof(what), "%s: %s.url", path, where);
        if ((rc = set_text(t->url, sizeof(t->url), url, what, true, LF_EINVAL, err)) != LF_OK)
            goto out;
        if (!scrape_format_from_name(t_format, &t->format)) {
            rc = lf_fail(err, LF_EINVAL,
                         "%s: %s.format: expected pprof, debug1 or debug2, not '%s'", path, where,
                         t_format);
            goto out;
        }
        if (t_interval <= 0) {
            rc = lf_fail(err, LF_EINVAL, "%s: %s.interval: must be more than 0", path, where);
            goto out;
        }
        t->interval_ms = t_interval;
        if (over->interval_ms > 0 && config_get(item, file, "interval") == NULL)
            t->interval_ms = over->interval_ms;
        if (!metrics_path_ok(t_metrics_path)) {
            rc = lf_fail(err, LF_EINVAL, "%s: %s.metrics_path: " METRICS_PATH_EXPECTED ", not '%s'",
                         path, where, t_metrics_path);
            goto out;
        }
        set_metrics_path(t->metrics_path, t_metrics_path);
        if (!targets_path_ok(t_pprof_path)) {
            rc = lf_fail(err, LF_EINVAL, "%s: %s.pprof_path: " PPROF_PATH_EXPECTED ", not '%s'",
                         path, where, t_pprof_path);
            goto out;
        }
        memcpy(t->pprof_path, t_pprof_path, strlen(t_pprof_path) + 1);
        utf8_snprintf(t->source, sizeof(t->source), "%s", path);
        if (t_version != NULL && !version_ok(t_version)) {
            rc = lf_fail(err, LF_EINVAL, "%s: %s.version: " VERSION_EXPECTED, path, where);
            goto out;
        }
        if (t_version != NULL)
            memcpy(t->version, t_version, strlen(t_version) + 1);
    }
out:
    config_free(file);
    return rc;
}

/* ---- flags ---------------------------------------------------------------------------- */

enum {
    FLAG_SERVER = 1,
    FLAG_TOKEN,
    FLAG_SERVICE,
    FLAG_TARGET,
    FLAG_INSTANCE,
    FLAG_INTERVAL,
    FLAG_FORMAT,
    FLAG_SPOOL,
    FLAG_SPOOL_MAX_BYTES,
    FLAG_SPOOL_MAX_FILES,
    FLAG_CONNECT_TIMEOUT,
    FLAG_TIMEOUT,
    FLAG_MAX_PROFILE_BYTES,
    FLAG_CONFIG,
    FLAG_ONCE,
    FLAG_CHECK,
    FLAG_LOG_LEVEL,
    FLAG_RETRY_MAX,
    FLAG_CA_FILE,
    FLAG_METRICS_PATH,
    FLAG_LOG_FORMAT,
    FLAG_SUMMARY_INTERVAL,
    FLAG_VERSION,
    FLAG_LISTEN,
};

static const struct opt_spec flag_specs[] = {
    { "--server", true, FLAG_SERVER },
    { "--token", true, FLAG_TOKEN },
    { "--service", true, FLAG_SERVICE },
    { "--target", true, FLAG_TARGET },
    { "--instance", true, FLAG_INSTANCE },
    { "--interval", true, FLAG_INTERVAL },
    { "--format", true, FLAG_FORMAT },
    { "--spool", true, FLAG_SPOOL },
    { "--spool-max-bytes", true, FLAG_SPOOL_MAX_BYTES },
    { "--spool-max-files", true, FLAG_SPOOL_MAX_FILES },
    { "--connect-timeout", true, FLAG_CONNECT_TIMEOUT },
    { "--timeout", true, FLAG_TIMEOUT },
    { "--max-profile-bytes", true, FLAG_MAX_PROFILE_BYTES },
    { "--config", true, FLAG_CONFIG },
    { "--once", false, FLAG_ONCE },
    { "--check", false, FLAG_CHECK },
    { "--log-level", true, FLAG_LOG_LEVEL },
    { "--retry-max", true, FLAG_RETRY_MAX },
    { "--ca-file", true, FLAG_CA_FILE },
    { "--metrics-path", true, FLAG_METRICS_PATH },
    { "--version", true, FLAG_VERSION },
    { "--listen", true, FLAG_LISTEN },
    { "--log-format", true, FLAG_LOG_FORMAT },
    { "--summary-interval", true, FLAG_SUMMARY_INTERVAL },
};

static int read_flags(struct targets_config *cfg, struct flags *f, int argc, char **argv,
                      struct lf_error *err)
{
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    const char *value = NULL;
    int c;
    while ((c = opt_next(&reader, flag_specs, sizeof(flag_specs) / sizeof(flag_specs[0]), &value,
                         err)) != OPT_END) {
        switch (c) {
        case FLAG_SERVER:
            f->server = value;
            break;
        case FLAG_TOKEN:
            f->token = value;
            break;
        case FLAG_SERVICE:
            f->service = value;
            break;
        case FLAG_TARGET:
            f->target = value;
            break;
        case FLAG_INSTANCE:
            f->instance = value;
            break;
        case FLAG_INTERVAL:
            f->interval = value;
            break;
        case FLAG_FORMAT:
            f->format = value;
            break;
        case FLAG_SPOOL:
            f->spool = value;
            break;
        case FLAG_SPOOL_MAX_BYTES:
            f->spool_max_bytes = value;
            break;
        case FLAG_SPOOL_MAX_FILES:
            f->spool_max_files = value;
            break;
        case FLAG_CONNECT_TIMEOUT:
            f->connect_timeout = value;
            break;
        case FLAG_TIMEOUT:
            f->timeout = value;
            break;
        case FLAG_MAX_PROFILE_BYTES:
            f->max_profile_bytes = value;
            break;
        case FLAG_CA_FILE:
            f->ca_file = value;
            break;
        case FLAG_CONFIG:
            f->config = value;
            break;
        case FLAG_METRICS_PATH:
            f->metrics_path = value;
            break;
        case FLAG_VERSION:
            f->version = value;
            break;
        case FLAG_LISTEN:
            f->listen = value;
            break;
        case FLAG_ONCE:
            cfg->once = true;
            break;
        case FLAG_CHECK:
            cfg->check = true;
            break;
        case FLAG_LOG_LEVEL:
            f->log_level = value;
            break;
        case FLAG_RETRY_MAX:
            f->retry_max = value;
            break;
        case FLAG_LOG_FORMAT:
            f->log_format = value;
            break;
        case FLAG_SUMMARY_INTERVAL:
            f->summary_interval = value;
            break;
        case OPT_HELP:
            cfg->help = true;
            break;
        case OPT_OPERAND:
            return lf_fail(err, LF_EUSAGE, "unexpected argument '%s' (see --help)", value);
        default: /* OPT_ERROR */
            return LF_EUSAGE;
        }
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

    char host[256] = "localhost";
    if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
        memcpy(host, "localhost", sizeof("localhost"));
    host[sizeof(host) - 1] = '\0';
    if (f.instance != NULL && !text_ok(f.instance))
        return lf_fail(err, LF_EUSAGE, "--instance: bad value '%s'", f.instance);
    const char *dflt_instance = f.instance != NULL ? f.instance : host;
    int64_t interval_ms = DEFAULT_INTERVAL_MS;
    if (f.interval != NULL && !parse_duration(f.interval, &interval_ms))
        return lf_fail(err, LF_EUSAGE, "--interval: expected " UNITS_DURATION_EXPECTED ", not '%s'",
                       f.interval);
    enum scrape_format format = SCRAPE_FORMAT_PPROF;
    if (f.format != NULL && !scrape_format_from_name(f.format, &format))
        return lf_fail(err, LF_EUSAGE, "--format: expected pprof, debug1 or debug2, not '%s'",
                       f.format);
    if (f.metrics_path != NULL && !metrics_path_ok(f.metrics_path))
        return lf_fail(err, LF_EUSAGE, "--metrics-path: " METRICS_PATH_EXPECTED ", not '%s'",
                       f.metrics_path);
    if (f.version != NULL && !version_ok(f.version))
        return lf_fail(err, LF_EUSAGE, "--version: " VERSION_EXPECTED);
    if (f.version != NULL && f.target == NULL)
        return lf_fail(err, LF_EUSAGE,
                       "--version is the version of the --target's service (in --config: "
                       "targets[].version)");
    cfg->defaults.interval_ms = interval_ms;
    cfg->defaults.format = format;
    set_metrics_path(cfg->defaults.metrics_path,
                     f.metrics_path != NULL ? f.metrics_path : DEFAULT_METRICS_PATH);
    memcpy(cfg->defaults.pprof_path, TARGETS_PPROF_PATH, sizeof(TARGETS_PPROF_PATH));
    if (f.config != NULL) {
        struct overrides over = { f.instance, f.interval != NULL ? interval_ms : 0, f.format,
                                  f.metrics_path };
        if ((rc = load_file(cfg, f.config, host, &over, err)) != LF_OK)
            return rc;
    }

    /* flags override the file */
    if (f.server != NULL && (rc = set_text(cfg->server, sizeof(cfg->server), f.server, "--server",
                                           true, LF_EUSAGE, err)) != LF_OK)
        return rc;
    const char *env_token = getenv("LEAKFLEET_AGENT_TOKEN");
    const char *token = f.token != NULL ? f.token : cfg->token[0] == '\0' ? env_token : NULL;
    if (token != NULL && (rc = set_text(cfg->token, sizeof(cfg->token), token, "--token", false,
                                        LF_EUSAGE, err)) != LF_OK)
        return rc;
    if (f.listen != NULL && (rc = set_text(cfg->listen, sizeof(cfg->listen), f.listen, "--listen",
                                           false, LF_EUSAGE, err)) != LF_OK)
        return rc;
    if (f.spool != NULL && (rc = set_text(cfg->spool_dir, sizeof(cfg->spool_dir), f.spool,
                                          "--spool", false, LF_EUSAGE, err)) != LF_OK)
        return rc;
    if (f.ca_file != NULL && (rc = set_text(cfg->ca_file, sizeof(cfg->ca_file), f.ca_file,
                                            "--ca-file", false, LF_EUSAGE, err)) != LF_OK)
        return rc;
    if (cfg->ca_file[0] != '\0' && access(cfg->ca_file, R_OK) != 0)
        return lf_fail(err, f.ca_file != NULL ? LF_EUSAGE : LF_EINVAL, "%s: cannot read '%s': %s",
                       f.ca_file != NULL ? "--ca-file" : "ca_file", cfg->ca_file, strerror(errno));
    if (f.spool_max_bytes != NULL && !parse_size(f.spool_max_bytes, &cfg->spool_max_bytes))
        return lf_fail(err, LF_EUSAGE,
                       "--spool-max-bytes: expected " UNITS_SIZE_EXPECTED ", not '%s'",
                       f.spool_max_bytes);
    if (f.spool_max_files != NULL) {
        uint64_t n = 0;
        if (!parse_size(f.spool_max_files, &n) || n > 10000000)
            return lf_fail(err, LF_EUSAGE,
                           "--spool-max-files: expected a count from 1 to 10000000, not '%s'",
                           f.spool_max_files);
        cfg->spool_max_files = (size_t)n;
    }
    if (f.max_profile_bytes != NULL && !parse_size(f.max_profile_bytes, &cfg->max_profile_bytes))
        return lf_fail(err, LF_EUSAGE,
                       "--max-profile-bytes: expected " UNITS_SIZE_EXPECTED ", not '%s'",
                       f.max_profile_bytes);
    if (f.connect_timeout != NULL && !parse_duration(f.connect_timeout, &cfg->connect_timeout_ms))
        return lf_fail(err, LF_EUSAGE,
                       "--connect-timeout: expected " UNITS_DURATION_EXPECTED ", not '%s'",
                       f.connect_timeout);
    if (f.retry_max != NULL && !parse_duration(f.retry_max, &cfg->retry_max_ms))
        return lf_fail(err, LF_EUSAGE,
                       "--retry-max: expected " UNITS_DURATION_EXPECTED ", not '%s'", f.retry_max);
    if (f.timeout != NULL && !parse_duration(f.timeout, &cfg->timeout_ms))
        return lf_fail(err, LF_EUSAGE, "--timeout: expected " UNITS_DURATION_EXPECTED ", not '%s'",
                       f.timeout);
    if (f.log_level != NULL && !log_level_from_name(f.log_level, &cfg->log_level))
        return lf_fail(err, LF_EUSAGE, "--log-level: expected debug, info, warn or error, not '%s'",
                       f.log_level);
    if (f.summary_interval != NULL &&
        !parse_duration(f.summary_interval, &cfg->summary_interval_ms))
        return lf_fail(err, LF_EUSAGE,
                       "--summary-interval: expected " UNITS_DURATION_EXPECTED ", not '%s'",
                       f.summary_interval);
    if (f.log_format != NULL && !log_format_from_name(f.log_format, &cfg->log_format))
        return lf_fail(err, LF_EUSAGE, "--log-format: expected logfmt or json, not '%s'",
                       f.log_format);
    if ((f.service == NULL) != (f.target == NULL))
        return lf_fail(err, LF_EUSAGE, "--service and --target go together");
    if (f.target != NULL) {
        struct target *t = NULL;
        if ((rc = add_target(cfg, &t, err)) != LF_OK)
            return rc;
        if ((rc = set_text(t->service, sizeof(t->service), f.service, "--service", false, LF_EUSAGE,
                           err)) != LF_OK ||
            (rc = set_text(t->url, sizeof(t->url), f.target, "--target", true, LF_EUSAGE, err)) !=
                    LF_OK ||
            (rc = set_text(t->instance, sizeof(t->instance), dflt_instance, "--instance", false,
                           LF_EUSAGE, err)) != LF_OK)
            return rc;
        t->interval_ms = interval_ms;
        t->format = format;
        set_metrics_path(t->metrics_path,
                         f.metrics_path != NULL ? f.metrics_path : DEFAULT_METRICS_PATH);
        memcpy(t->pprof_path, TARGETS_PPROF_PATH, sizeof(TARGETS_PPROF_PATH));
        memcpy(t->source, "flags", sizeof("flags"));
        if (f.version != NULL)
            memcpy(t->version, f.version, strlen(f.version) + 1);
    }
    if (cfg->server[0] == '\0')
        return lf_fail(err, LF_EUSAGE, "--server is required (see --help)");
    if (cfg->token[0] == '\0')
        return lf_fail(err, LF_EUSAGE, "--token is required (or LEAKFLEET_AGENT_TOKEN)");
    if (cfg->n_targets == 0 && !targets_discovers(cfg))
        return lf_fail(err, LF_EUSAGE,
                       "no targets: give --service and --target, or --config with targets, "
                       "file_sd, http_sd or kubernetes");
    if (cfg->connect_timeout_ms <= 0 || cfg->timeout_ms <= 0 || cfg->retry_max_ms <= 0)
        return lf_fail(err, LF_EUSAGE, "timeouts must be positive");
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
