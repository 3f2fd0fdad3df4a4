/* cmd_serve.c - `leakfleet serve`: reads the YAML config and the flags (flags win), opens
 * the store and its writer, starts detection, the notification dispatcher, retention and
 * the HTTP server, and on SIGTERM or SIGINT stops in order: stop accepting, let requests
 * in flight finish, stop the background threads, drain the writer's queue, close the
 * database. Owns the process's signal handling; everything else lives in modules. */
#include "commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>

#include <curl/curl.h>

#include "alloc.h"
#include "attribute.h"
#include "auth.h"
#include "codeowners.h"
#include "config.h"
#include "detect.h"
#include "alertmanager.h"
#include "dispatch.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "opt.h"
#include "pipeline_config.h"
#include "query.h"
#include "retention.h"
#include "api.h"
#include "routes.h"
#include "serve_config.h"
#include "store.h"
#include "writer.h"

#define DEFAULT_LISTEN      "127.0.0.1:8080"
#define DEFAULT_DATABASE    "./leakfleet.db"
#define DEFAULT_MAX_BODY    ((uint64_t)8 << 20)
#define DEFAULT_MAX_DECODED ((uint64_t)64 << 20)
#define GRACE_MS            10000

static const char serve_usage[] =
        "usage: leakfleet serve [--config FILE] [--listen ADDR:PORT] [--db PATH]\n"
        "                       [--log-level debug|info|warn|error]\n"
        "\n"
        "Runs the collection server: agents push goroutine profiles to\n"
        "POST /api/v1/profiles, the query API and the dashboard are served at /.\n"
        "\n"
        "  --config FILE       YAML configuration (listen, database, log_level, log_format, auth,\n"
        "                      repo, owners, detect, notify, retention, web, tokens,\n"
        "                      limits, http; docs/config.md); flags override it. It must\n"
        "                      list tokens, or say 'auth: none' for an open local trial;\n"
        "                      an unknown key is an error\n"
        "  --listen ADDR:PORT  address to listen on (default " DEFAULT_LISTEN "; port 0\n"
        "                      picks a free port, printed at start)\n"
        "  --db PATH           SQLite database, created and migrated at start\n"
        "                      (default " DEFAULT_DATABASE ")\n"
        "  --log-level LEVEL   debug (one line per request), info, warn, error\n"
        "  --help              this text\n"
        "\n"
        "SIGTERM or SIGINT stops it gracefully.\n";

struct serve_flags {
    const char *config;
    const char *listen;
    const char *db;
    const char *log_level;
};

static int parse_flags(int argc, char **argv, struct serve_flags *flags, bool *help,
                       struct lf_error *err)
{
    enum { SERVE_CONFIG = 1, SERVE_LISTEN, SERVE_DB, SERVE_LOG_LEVEL };
    static const struct opt_spec spec[] = {
        { "--config", true, SERVE_CONFIG },
        { "--listen", true, SERVE_LISTEN },
        { "--db", true, SERVE_DB },
        { "--log-level", true, SERVE_LOG_LEVEL },
    };
    memset(flags, 0, sizeof(*flags));
    *help = false;
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    const char *value = NULL;
    int id;
    while ((id = opt_next(&reader, spec, sizeof(spec) / sizeof(spec[0]), &value, err)) != OPT_END) {
        switch (id) {
        case OPT_HELP:
            *help = true;
            return LF_OK;
        case OPT_ERROR:
            lf_error_prefix(err, "serve");
            return LF_EUSAGE;
        case OPT_OPERAND:
            return lf_fail(err, LF_EUSAGE, "serve: unexpected argument '%s'", value);
        case SERVE_CONFIG:
            flags->config = value;
            break;
        case SERVE_LISTEN:
            flags->listen = value;
            break;
        case SERVE_DB:
            flags->db = value;
            break;
        default: /* SERVE_LOG_LEVEL */
            flags->log_level = value;
            break;
        }
    }
    return LF_OK;
}

/* ---- scrape-time gauges ------------------------------------------------------------ */

struct gauges {
    const char *db_path;
    struct writer *writer;
    struct detect *detect;
    struct dispatch *dispatch;
    struct alertmanager *alertmanager; /* NULL without notify.alertmanager */
    struct retention *retention;
};

static double file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0;
}

static double gauge_db_bytes(void *ctx)
{
    const struct gauges *g = ctx;
    char wal[4096];
    int n = snprintf(wal, sizeof(wal), "%s-wal", g->db_path);
    double size = file_size(g->db_path);
    if (n > 0 && (size_t)n < sizeof(wal))
        size += file_size(wal);
    return size;
}

static double gauge_queue_depth(void *ctx)
{
    struct writer_stats stats;
    writer_get_stats(((const struct gauges *)ctx)->writer, &stats);
    return (double)stats.depth;
}

static double gauge_commits(void *ctx)
{
    struct writer_stats stats;
    writer_get_stats(((const struct gauges *)ctx)->writer, &stats);
    return (double)stats.commits;
}

static double gauge_jobs(void *ctx)
{
    struct writer_stats stats;
    writer_get_stats(((const struct gauges *)ctx)->writer, &stats);
    return (double)stats.jobs;
}

static double gauge_reruns(void *ctx)
{
    struct writer_stats stats;
    writer_get_stats(((const struct gauges *)ctx)->writer, &stats);
    return (double)stats.reruns;
}

static double gauge_largest_batch(void *ctx)
{
    struct writer_stats stats;
    writer_get_stats(((const struct gauges *)ctx)->writer, &stats);
    return (double)stats.largest_batch;
}

static double gauge_suspects(void *ctx)
{
    size_t verdicts = 0, suspects = 0;
    detect_counts(((const struct gauges *)ctx)->detect, &verdicts, &suspects);
    return (double)suspects;
}

static double gauge_delivered(void *ctx)
{
    struct dispatch_stats stats;
    dispatch_get_stats(((const struct gauges *)ctx)->dispatch, &stats);
    return (double)stats.delivered;
}

static double gauge_unrouted(void *ctx)
{
    struct dispatch_stats stats;
    dispatch_get_stats(((const struct gauges *)ctx)->dispatch, &stats);
    return (double)stats.unrouted;
}

static double gauge_delivery_failures(void *ctx)
{
    struct dispatch_stats stats;
    dispatch_get_stats(((const struct gauges *)ctx)->dispatch, &stats);
    return (double)stats.failed;
}

static double gauge_dispatch_skipped(void *ctx)
{
    struct dispatch_stats stats;
    dispatch_get_stats(((const struct gauges *)ctx)->dispatch, &stats);
    return (double)stats.skipped;
}

static double gauge_alerts_posted(void *ctx)
{
    struct alertmanager_stats stats;
    alertmanager_get_stats(((const struct gauges *)ctx)->alertmanager, &stats);
    return (double)stats.posted;
}

static double gauge_alert_failures(void *ctx)
{
    struct alertmanager_stats stats;
    alertmanager_get_stats(((const struct gauges *)ctx)->alertmanager, &stats);
    return (double)stats.failed;
}

static double gauge_profiles_expired(void *ctx)
{
    struct retention_stats stats;
    retention_get_stats(((const struct gauges *)ctx)->retention, &stats);
    return (double)stats.profiles_deleted;
}

static int add_pipeline_gauges(struct metrics *metrics, struct gauges *g, struct lf_error *err)
{
    int rc = metrics_add_value(metrics, "leakfleet_suspects",
                               "Sites the latest detection pass found suspect.", "gauge",
                               gauge_suspects, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_notifications_delivered_total",
                               "Owner messages delivered.", "counter", gauge_delivered, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_notifications_unrouted_total",
                               "Owner messages with no route (no notify.webhook, no notify.routes "
                               "entry): written to the log only, nobody told.",
                               "counter", gauge_unrouted, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_notification_failures_total",
                               "Owner message deliveries that failed (retried later).", "counter",
                               gauge_delivery_failures, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_dispatch_skipped_total",
                               "Owner messages a delivery pass skipped: not built, or outcome "
                               "not recorded (held back, then retried).",
                               "counter", gauge_dispatch_skipped, g, err);
    if (rc == LF_OK && g->alertmanager != NULL)
        rc = metrics_add_value(metrics, "leakfleet_alertmanager_alerts_posted_total",
                               "Alerts Alertmanager accepted (every open one is posted again "
                               "each notify.alertmanager.interval).",
                               "counter", gauge_alerts_posted, g, err);
    if (rc == LF_OK && g->alertmanager != NULL)
        rc = metrics_add_value(metrics, "leakfleet_alertmanager_failures_total",
                               "Posts to Alertmanager that failed (posted again next pass).",
                               "counter", gauge_alert_failures, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_profiles_expired_total",
                               "Raw profiles deleted by retention after their rollup.", "counter",
                               gauge_profiles_expired, g, err);
    return rc;
}

static int add_gauges(struct metrics *metrics, struct gauges *g, struct lf_error *err)
{
    int rc = metrics_add_value(metrics, "leakfleet_database_bytes",
                               "Size of the SQLite database and its WAL.", "gauge", gauge_db_bytes,
                               g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_writer_queue_depth",
                               "Store jobs waiting for the writer thread.", "gauge",
                               gauge_queue_depth, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_writer_commits_total",
                               "Transactions committed by the writer (group commit).", "counter",
                               gauge_commits, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_writer_jobs_total",
                               "Store jobs run by the writer.", "counter", gauge_jobs, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_writer_reruns_total",
                               "Batches run again job by job because one of their jobs failed.",
                               "counter", gauge_reruns, g, err);
    if (rc == LF_OK)
        rc = metrics_add_value(metrics, "leakfleet_writer_largest_batch",
                               "Most jobs committed in one transaction.", "gauge",
                               gauge_largest_batch, g, err);
    return rc;
}

/* ---- configuration ----------------------------------------------------------------- */

struct serve_settings {
    const char *listen;
    const char *db;
    const char *log_level;  /* NULL = not set */
    const char *log_format; /* "logfmt" (the default) or "json" */
    uint64_t max_body;
    uint64_t max_decoded;
    int64_t threads; /* 0 = thread per connection */
    int64_t max_connections;
    int64_t max_connections_per_ip; /* 0 = a quarter of max_connections */
    int64_t timeout;                /* idle connection timeout, seconds */
    const char *codeowners;
    const char **roots;
    size_t n_roots;
    const char **owner_services; /* owners.services keys (borrowed from the config) */
    const char **owner_names;
    size_t n_owners;
};

static int read_settings(const struct config *cfg, const struct serve_flags *flags,
                         struct serve_settings *s, struct lf_error *err)
{
    memset(s, 0, sizeof(*s));
    int rc = config_str(cfg, "listen", DEFAULT_LISTEN, &s->listen, err);
    if (rc == LF_OK)
        rc = config_str(cfg, "database", DEFAULT_DATABASE, &s->db, err);
    if (rc == LF_OK)
        rc = config_str(cfg, "log_level", NULL, &s->log_level, err);
    if (rc == LF_OK)
        rc = config_str(cfg, "log_format", "logfmt", &s->log_format, err);
    if (rc == LF_OK)
        rc = config_size(cfg, "limits.max_body_bytes", DEFAULT_MAX_BODY, 1024, (uint64_t)1 << 32,
                         &s->max_body, err);
    if (rc == LF_OK)
        rc = config_size(cfg, "limits.max_decoded_bytes", DEFAULT_MAX_DECODED, 1024,
                         (uint64_t)1 << 34, &s->max_decoded, err);
    if (rc == LF_OK)
        rc = config_int(cfg, "http.threads", 0, 0, 1024, &s->threads, err);
    if (rc == LF_OK)
        rc = config_int(cfg, "http.max_connections", 4096, 16, 65536, &s->max_connections, err);
    if (rc == LF_OK)
        rc = config_int(cfg, "http.max_connections_per_ip", 0, 0, 65536, &s->max_connections_per_ip,
                        err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "http.timeout", 30, &s->timeout, err);
    if (rc == LF_OK)
        rc = config_str(cfg, "owners.codeowners", NULL, &s->codeowners, err);
    if (rc == LF_OK)
        rc = config_strings(cfg, "repo.roots", &s->roots, &s->n_roots, err);
    if (rc != LF_OK)
        return rc;
    const struct config_node *services = config_get(NULL, cfg, "owners.services");
    size_t n = config_node_len(services);
    if (services != NULL && config_node_type(services) != CONFIG_MAP &&
        config_node_type(services) != CONFIG_NULL)
        return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: owners.services: expected a map",
                       config_name(cfg), config_node_line(services), config_node_column(services));
    if (n > 0) {
        s->owner_services = lf_calloc(n, sizeof(*s->owner_services));
        s->owner_names = lf_calloc(n, sizeof(*s->owner_names));
        if (s->owner_services == NULL || s->owner_names == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            const struct config_node *owner = config_node_at(services, i);
            s->owner_services[i] = config_node_key(services, i);
            rc = config_node_str(cfg, owner, "", &s->owner_names[i], err);
            if (rc != LF_OK)
                return rc;
            if (!codeowners_owner_valid(s->owner_names[i], strlen(s->owner_names[i]), true))
                return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected " CODEOWNERS_OWNER_FORM,
                               config_name(cfg), config_node_line(owner), config_node_column(owner),
                               config_node_path(owner));
        }
        s->n_owners = n;
    }
    if (flags->listen != NULL)
        s->listen = flags->listen;
    if (flags->db != NULL)
        s->db = flags->db;
    return LF_OK;
}

static void settings_release(struct serve_settings *s)
{
    lf_free(s->roots);
    lf_free(s->owner_services);
    lf_free(s->owner_names);
}

/* ---- the command ---------------------------------------------------------------------- */

static int serve(int argc, char **argv, struct lf_error *err)
{
    struct serve_flags flags;
    bool help = false;
    int rc = parse_flags(argc, argv, &flags, &help, err);
    if (rc != LF_OK)
        return rc;
    if (help) {
        fputs(serve_usage, stdout);
        return LF_OK;
    }
    if (flags.log_level != NULL) {
        enum log_level level;
        if (!log_level_from_name(flags.log_level, &level))
            return lf_fail(err, LF_EUSAGE,
                           "serve: --log-level must be debug, info, warn or "
                           "error, not '%s'",
                           flags.log_level);
        log_set_level(level);
    }

    struct config *cfg = NULL;
    struct store *store = NULL;
    struct writer *writer = NULL;
    struct codeowners *owners = NULL;
    struct attributor *attributor = NULL;
    struct auth *auth = NULL;
    struct metrics *metrics = NULL;
    struct http_server *server = NULL;
    struct detect *detect = NULL;
    struct dispatch *dispatch = NULL;
    struct alertmanager *alertmanager = NULL;
    struct retention *retention = NULL;
    bool curl_ready = false;
    struct serve_settings settings;
    struct pipeline_config pipeline;
    memset(&settings, 0, sizeof(settings));
    memset(&pipeline, 0, sizeof(pipeline));

    /* Block the stop signals before any thread starts, so every thread inherits the
     * mask and only sigwait below receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* libcurl's global state (TLS, resolver), set up once before any thread exists: the
     * dispatcher posts webhooks from its own thread, and curl_easy_init would otherwise
     * do it lazily, which is not thread-safe. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rc = lf_fail(err, LF_EINTERNAL, "serve: curl_global_init failed");
        goto out;
    }
    curl_ready = true;

    cfg = flags.config != NULL ? config_load(flags.config, err)
                               : config_parse("", 0, "no --config", err);
    if (cfg == NULL) {
        rc = err->code;
        goto out;
    }
    rc = serve_config_check(cfg, err);
    if (rc == LF_OK)
        rc = read_settings(cfg, &flags, &settings, err);
    if (rc == LF_OK)
        rc = pipeline_config_read(cfg, &pipeline, err);
    if (rc != LF_OK)
        goto out;
    if (flags.log_level == NULL && settings.log_level != NULL) {
        enum log_level level;
        if (!log_level_from_name(settings.log_level, &level)) {
            rc = lf_fail(err, LF_EINVAL, "%s: log_level must be debug, info, warn or error",
                         config_name(cfg));
            goto out;
        }
        log_set_level(level);
    }
    enum log_format format;
    if (!log_format_from_name(settings.log_format, &format)) {
        rc = lf_fail(err, LF_EINVAL, "%s: log_format must be logfmt or json, not '%s'",
                     config_name(cfg), settings.log_format);
        goto out;
    }
    log_set_format(format);
    /* Tokens before the database: a config that would leave the server open by mistake
     * stops here, having created nothing. */
    auth = auth_create();
    if (auth == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "out of memory");
        goto out;
    }
    rc = auth_load_config(auth, cfg, err);
    if (rc != LF_OK)
        goto out;
    if (auth_count(auth) == 0)
        log_warn("serve: auth: none: no tokens, anyone who can reach %s may push and act on "
                 "notifications (for local trials only)",
                 settings.listen);

    /* The listen address and CODEOWNERS before the database too: a typo in either stops
     * the start with nothing created. */
    rc = http_check_listen(settings.listen, err);
    if (rc != LF_OK)
        goto out;
    if (settings.codeowners != NULL && settings.codeowners[0] != '\0') {
        owners = codeowners_load(settings.codeowners, err);
        if (owners == NULL) {
            rc = err->code;
            goto out;
        }
        if (codeowners_n_invalid(owners) > 0)
            log_warn("serve: %s:%zu: line skipped, with %zu such line(s) in all (GitHub rejects "
                     "'!', '[ ]', '\\#' and owners other than @user, @org/team or an e-mail "
                     "address)",
                     settings.codeowners, codeowners_first_invalid_line(owners),
                     codeowners_n_invalid(owners));
    }
    struct store_options store_opts;
    store_options_default(&store_opts);
    rc = store_open(settings.db, &store_opts, &store, err);
    if (rc != LF_OK)
        goto out;
    rc = writer_create(store, NULL, &writer, err);
    if (rc != LF_OK)
        goto out;
    attributor = attributor_create(settings.roots, settings.n_roots, owners);
    const char *route_names[64];
    for (size_t i = 0; i < routes_count && i < 64; i++)
        route_names[i] = routes[i].metric;
    metrics = metrics_create(route_names, routes_count < 64 ? routes_count : 64);
    if (attributor == NULL || metrics == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "out of memory");
        goto out;
    }

    struct detect_options detect_opts = pipeline.detect;
    detect_opts.attributor = attributor;
    detect_opts.after_pass = notify_update;
    detect_opts.after_ctx = &pipeline.notify;
    rc = detect_create(store, writer, &detect_opts, &detect, err);
    /* with Alertmanager, an owner without a webhook route is told there */
    pipeline.dispatch.alertmanager = pipeline.alertmanager.url != NULL;
    if (rc == LF_OK)
        rc = dispatch_create(store, writer, &pipeline.dispatch, &dispatch, err);
    if (rc == LF_OK && pipeline.alertmanager.url != NULL)
        rc = alertmanager_create(store, &pipeline.alertmanager, &alertmanager, err);
    if (rc == LF_OK)
        rc = retention_create(store, writer, &pipeline.retention, &retention, err);
    if (rc != LF_OK)
        goto out;

    struct gauges gauges = { settings.db, writer, detect, dispatch, alertmanager, retention };
    rc = add_gauges(metrics, &gauges, err);
    if (rc == LF_OK)
        rc = add_pipeline_gauges(metrics, &gauges, err);
    if (rc != LF_OK)
        goto out;

    struct ingest_context ingest = {
        .store = store,
        .writer = writer,
        .attributor = attributor,
        .owner_services = settings.owner_services,
        .owner_names = settings.owner_names,
        .n_owners = settings.n_owners,
        .max_age = pipeline.retention.raw_retention,
    };
    ingest.limits = parse_limits_default();
    ingest.limits.max_decoded_bytes = (size_t)settings.max_decoded;
    struct query_options query;
    query_options_default(&query);
    query.threshold = pipeline.detect.threshold;
    query.live_window = pipeline.detect.live_window;
    query.judge = detect_judge;
    query.judge_ctx = detect;
    struct api_context app = {
        .detect = detect,
        .source_url = pipeline.source_url,
        .projection_target = pipeline.dispatch.projection_target,
        .store = store,
        .writer = writer,
        .ingest = &ingest,
        .query = &query,
        .metrics = metrics,
        .max_decoded_bytes = (size_t)settings.max_decoded,
        .auth = auth,
        .reopen_after = pipeline.notify.reopen_after,
        .detect_window = pipeline.detect.window,
        .metrics_top_sites = (size_t)pipeline.metrics_top_sites,
    };
    struct http_options http_opts = {
        .listen = settings.listen,
        .threading = settings.threads > 0 ? HTTP_THREAD_POOL : HTTP_THREAD_PER_CONNECTION,
        .threads = (unsigned)settings.threads,
        .max_body_bytes = (size_t)settings.max_body,
        .connection_limit = (unsigned)settings.max_connections,
        .per_ip_limit = (unsigned)settings.max_connections_per_ip,
        .timeout_seconds = settings.timeout > 0 ? (unsigned)settings.timeout : 30,
    };
    rc = http_open(&http_opts, routes, routes_count, auth, metrics, &app, &server, err);
    if (rc != LF_OK)
        goto out;
    char host[256];
    const char *colon = strrchr(settings.listen, ':');
    str_copy_to(str_make(settings.listen, colon != NULL ? (size_t)(colon - settings.listen) : 0),
                host, sizeof(host));
    log_info("serve: listening on http://%s:%u/ (database %s, schema version %d, %s)", host,
             (unsigned)http_port(server), settings.db, store_schema_version(store),
             settings.threads > 0 ? "thread pool" : "thread per connection");

    rc = detect_start(detect, err);
    if (rc == LF_OK)
        rc = dispatch_start(dispatch, err);
    if (rc == LF_OK && alertmanager != NULL)
        rc = alertmanager_start(alertmanager, err);
    if (rc == LF_OK)
        rc = retention_start(retention, err);
    if (rc != LF_OK)
        goto out;

    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    log_info("serve: %s received, stopping (%u requests in flight)",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", http_in_flight(server));
    http_close(server, GRACE_MS);
    server = NULL;
    detect_free(detect);
    detect = NULL;
    dispatch_free(dispatch);
    dispatch = NULL;
    alertmanager_free(alertmanager);
    alertmanager = NULL;
    retention_free(retention);
    retention = NULL;
    writer_free(writer);
    writer = NULL;
    store_close(store);
    store = NULL;
    log_info("serve: stopped, database closed");
    rc = LF_OK;
out:
    http_close(server, 0);
    detect_free(detect);
    dispatch_free(dispatch);
    alertmanager_free(alertmanager);
    retention_free(retention);
    writer_free(writer);
    store_close(store);
    metrics_free(metrics);
    auth_free(auth);
    attributor_free(attributor);
    codeowners_free(owners);
    settings_release(&settings);
    pipeline_config_release(&pipeline);
    config_free(cfg);
    if (curl_ready)
        curl_global_cleanup(); /* every thread has stopped */
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    struct lf_error err;
    lf_error_clear(&err);
    int rc = serve(argc, argv, &err);
    if (rc != LF_OK) {
        fprintf(stderr, "leakfleet: %s\n",
                err.msg[0] != '\0' ? err.msg : lf_code_name((enum lf_code)rc));
        if (rc == LF_EUSAGE)
            fputs(serve_usage, stderr);
    }
    return rc;
}
