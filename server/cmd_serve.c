/* cmd_serve.c - `leakfleet serve`: reads the YAML config and the flags (flags win), opens
 * the store and its writer, starts detection, the notification dispatcher, retention and
 * the HTTP server, and on SIGTERM or SIGINT stops in order: stop accepting, let requests
 * in flight finish, stop the background threads, drain the writer's queue, close the
 * database. Owns the process's signal handling; everything else lives in modules. */
#include "commands.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
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

/* Where a gauge's value comes from: a file size, the detection pass, or one field of a
 * component's stats (gauge.offset and gauge.size name it). */
enum gauge_source {
    GAUGE_DATABASE,
    GAUGE_SUSPECTS,
    GAUGE_WRITER,
    GAUGE_DISPATCH,
    GAUGE_ALERTMANAGER, /* registered only with notify.alertmanager */
    GAUGE_RETENTION,
};

struct gauge {
    const char *name;
    const char *help;
    const char *type;
    enum gauge_source source;
    size_t offset; /* of the field in the source's stats struct */
    size_t size;   /* of that field: uint64_t or size_t */
};

#define STAT(type, field) offsetof(type, field), sizeof(((type *)0)->field)

/* In the order /metrics prints them. */
static const struct gauge gauge_table[] = {
    { "leakfleet_database_bytes", "Size of the SQLite database and its WAL.", "gauge",
      GAUGE_DATABASE, 0, 0 },
    { "leakfleet_writer_queue_depth", "Store jobs waiting for the writer thread.", "gauge",
      GAUGE_WRITER, STAT(struct writer_stats, depth) },
    { "leakfleet_writer_commits_total", "Transactions committed by the writer (group commit).",
      "counter", GAUGE_WRITER, STAT(struct writer_stats, commits) },
    { "leakfleet_writer_jobs_total", "Store jobs run by the writer.", "counter", GAUGE_WRITER,
      STAT(struct writer_stats, jobs) },
    { "leakfleet_writer_reruns_total",
      "Batches run again job by job because one of their jobs failed.", "counter", GAUGE_WRITER,
      STAT(struct writer_stats, reruns) },
    { "leakfleet_writer_largest_batch", "Most jobs committed in one transaction.", "gauge",
      GAUGE_WRITER, STAT(struct writer_stats, largest_batch) },
    { "leakfleet_suspects", "Sites the latest detection pass found suspect.", "gauge",
      GAUGE_SUSPECTS, 0, 0 },
    { "leakfleet_notifications_delivered_total", "Owner messages delivered.", "counter",
      GAUGE_DISPATCH, STAT(struct dispatch_stats, delivered) },
    { "leakfleet_notifications_unrouted_total",
      "Owner messages with no route (no notify.webhook, no notify.routes entry): written to the "
      "log only, nobody told.",
      "counter", GAUGE_DISPATCH, STAT(struct dispatch_stats, unrouted) },
    { "leakfleet_notification_failures_total",
      "Owner message deliveries that failed (retried later).", "counter", GAUGE_DISPATCH,
      STAT(struct dispatch_stats, failed) },
    { "leakfleet_dispatch_skipped_total",
      "Owner messages a delivery pass skipped: not built, or outcome not recorded (held back, "
      "then retried).",
      "counter", GAUGE_DISPATCH, STAT(struct dispatch_stats, skipped) },
    { "leakfleet_alertmanager_alerts_posted_total",
      "Alerts Alertmanager accepted (every open one is posted again each "
      "notify.alertmanager.interval).",
      "counter", GAUGE_ALERTMANAGER, STAT(struct alertmanager_stats, posted) },
    { "leakfleet_alertmanager_failures_total",
      "Posts to Alertmanager that failed (posted again next pass).", "counter", GAUGE_ALERTMANAGER,
      STAT(struct alertmanager_stats, failed) },
    { "leakfleet_profiles_expired_total", "Raw profiles deleted by retention after their rollup.",
      "counter", GAUGE_RETENTION, STAT(struct retention_stats, profiles_deleted) },
};
#define N_GAUGES (sizeof(gauge_table) / sizeof(gauge_table[0]))

/* What the gauges read, and one (row, sources) pair per row for its callback's ctx. */
struct gauges {
    const char *db_path;
    struct writer *writer;
    struct detect *detect;
    struct dispatch *dispatch;
    struct alertmanager *alertmanager; /* NULL without notify.alertmanager */
    struct retention *retention;
    struct gauge_binding {
        const struct gauge *row;
        const struct gauges *sources;
    } bound[N_GAUGES];
};

static double file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0;
}

static double database_bytes(const char *db_path)
{
    char wal[4096];
    int n = snprintf(wal, sizeof(wal), "%s-wal", db_path);
    double size = file_size(db_path);
    if (n > 0 && (size_t)n < sizeof(wal))
        size += file_size(wal);
    return size;
}

/* The field the row names in a stats struct just filled. */
static double stat_field(const void *stats, const struct gauge *row)
{
    const unsigned char *p = (const unsigned char *)stats + row->offset;
    if (row->size == sizeof(uint64_t)) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return (double)v;
    }
    size_t v;
    memcpy(&v, p, sizeof(v));
    return (double)v;
}

static double gauge_read(void *ctx)
{
    const struct gauge_binding *b = ctx;
    const struct gauges *g = b->sources;
    switch (b->row->source) {
    case GAUGE_DATABASE:
        return database_bytes(g->db_path);
    case GAUGE_SUSPECTS: {
        size_t verdicts = 0, suspects = 0;
        detect_counts(g->detect, &verdicts, &suspects);
        return (double)suspects;
    }
    case GAUGE_WRITER: {
        struct writer_stats stats;
        writer_get_stats(g->writer, &stats);
        return stat_field(&stats, b->row);
    }
    case GAUGE_DISPATCH: {
        struct dispatch_stats stats;
        dispatch_get_stats(g->dispatch, &stats);
        return stat_field(&stats, b->row);
    }
    case GAUGE_ALERTMANAGER: {
        struct alertmanager_stats stats;
        alertmanager_get_stats(g->alertmanager, &stats);
        return stat_field(&stats, b->row);
    }
    case GAUGE_RETENTION: {
        struct retention_stats stats;
        retention_get_stats(g->retention, &stats);
        return stat_field(&stats, b->row);
    }
    }
    return 0;
}

/* Registers every row of gauge_table (the Alertmanager ones only with g->alertmanager). */
static int add_gauges(struct metrics *metrics, struct gauges *g, struct lf_error *err)
{
    int rc = LF_OK;
    for (size_t i = 0; i < N_GAUGES && rc == LF_OK; i++) {
        const struct gauge *row = &gauge_table[i];
        if (row->source == GAUGE_ALERTMANAGER && g->alertmanager == NULL)
            continue;
        g->bound[i] = (struct gauge_binding){ row, g };
        rc = metrics_add_value(metrics, row->name, row->help, row->type, gauge_read, &g->bound[i],
                               err);
    }
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

/* Everything a running server holds, built by the steps below in this order and released
 * by server_release in reverse; handlers and gauges borrow from it. */
struct server {
    struct config *cfg;
    struct serve_settings settings;
    struct pipeline_config pipeline;
    bool curl_ready;
    struct auth *auth;
    struct codeowners *owners;
    struct store *store;
    struct writer *writer;
    struct attributor *attributor;
    const char **route_names; /* one per row of routes[], for the latency histograms */
    struct metrics *metrics;
    struct detect *detect;
    struct dispatch *dispatch;
    struct alertmanager *alertmanager; /* NULL without notify.alertmanager */
    struct retention *retention;
    struct gauges gauges;
    struct ingest_context ingest;
    struct query_options query;
    struct api_context app;
    struct http_server *http;
};

/* --log-level, which wins over the config's log_level. */
static int apply_log_level_flag(const struct serve_flags *flags, struct lf_error *err)
{
    if (flags->log_level == NULL)
        return LF_OK;
    enum log_level level;
    if (!log_level_from_name(flags->log_level, &level))
        return lf_fail(err, LF_EUSAGE,
                       "serve: --log-level must be debug, info, warn or "
                       "error, not '%s'",
                       flags->log_level);
    log_set_level(level);
    return LF_OK;
}

/* Blocks the stop signals before any thread starts, so every thread inherits the mask
 * and only sigwait in wait_for_stop receives them. */
static void block_stop_signals(sigset_t *stop_signals)
{
    sigemptyset(stop_signals);
    sigaddset(stop_signals, SIGTERM);
    sigaddset(stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* libcurl's global state (TLS, resolver), set up once before any thread exists: the
 * dispatcher posts webhooks from its own thread, and curl_easy_init would otherwise do
 * it lazily, which is not thread-safe. */
static int init_curl(struct server *sv, struct lf_error *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return lf_fail(err, LF_EINTERNAL, "serve: curl_global_init failed");
    sv->curl_ready = true;
    return LF_OK;
}

/* The config file (or none), its keys checked and read, and the logging it asks for. */
static int load_config(struct server *sv, const struct serve_flags *flags, struct lf_error *err)
{
    sv->cfg = flags->config != NULL ? config_load(flags->config, err)
                                    : config_parse("", 0, "no --config", err);
    if (sv->cfg == NULL)
        return err->code;
    int rc = serve_config_check(sv->cfg, err);
    if (rc == LF_OK)
        rc = read_settings(sv->cfg, flags, &sv->settings, err);
    if (rc == LF_OK)
        rc = pipeline_config_read(sv->cfg, &sv->pipeline, err);
    if (rc != LF_OK)
        return rc;
    if (flags->log_level == NULL && sv->settings.log_level != NULL) {
        enum log_level level;
        if (!log_level_from_name(sv->settings.log_level, &level))
            return lf_fail(err, LF_EINVAL, "%s: log_level must be debug, info, warn or error",
                           config_name(sv->cfg));
        log_set_level(level);
    }
    enum log_format format;
    if (!log_format_from_name(sv->settings.log_format, &format))
        return lf_fail(err, LF_EINVAL, "%s: log_format must be logfmt or json, not '%s'",
                       config_name(sv->cfg), sv->settings.log_format);
    log_set_format(format);
    return LF_OK;
}

/* Tokens, the listen address and CODEOWNERS, all before the database: a config that
 * would leave the server open by mistake, or a typo in either, stops the start having
 * created nothing. */
static int check_before_store(struct server *sv, struct lf_error *err)
{
    sv->auth = auth_create();
    if (sv->auth == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    int rc = auth_load_config(sv->auth, sv->cfg, err);
    if (rc != LF_OK)
        return rc;
    if (auth_count(sv->auth) == 0)
        log_warn("serve: auth: none: no tokens, anyone who can reach %s may push and act on "
                 "notifications (for local trials only)",
                 sv->settings.listen);
    rc = http_check_listen(sv->settings.listen, err);
    if (rc != LF_OK)
        return rc;
    const char *path = sv->settings.codeowners;
    if (path == NULL || path[0] == '\0')
        return LF_OK;
    sv->owners = codeowners_load(path, err);
    if (sv->owners == NULL)
        return err->code;
    if (codeowners_n_invalid(sv->owners) > 0)
        log_warn("serve: %s:%zu: line skipped, with %zu such line(s) in all (GitHub rejects "
                 "'!', '[ ]', '\\#' and owners other than @user, @org/team or an e-mail "
                 "address)",
                 path, codeowners_first_invalid_line(sv->owners), codeowners_n_invalid(sv->owners));
    return LF_OK;
}

/* The database, its writer, the attributor and the metrics (a latency histogram for
 * every route of the table). */
static int open_store(struct server *sv, struct lf_error *err)
{
    struct store_options store_opts;
    store_options_default(&store_opts);
    /* a reader for each thread of a detection pass, and two beside them for requests */
    size_t pass_readers = detect_threads(&sv->pipeline.detect) + 2;
    if (store_opts.n_readers < pass_readers)
        store_opts.n_readers = pass_readers;
    int rc = store_open(sv->settings.db, &store_opts, &sv->store, err);
    if (rc == LF_OK)
        rc = writer_create(sv->store, NULL, &sv->writer, err);
    if (rc != LF_OK)
        return rc;
    sv->attributor = attributor_create(sv->settings.roots, sv->settings.n_roots, sv->owners);
    sv->route_names = lf_calloc(routes_count, sizeof(*sv->route_names));
    if (sv->route_names != NULL) {
        for (size_t i = 0; i < routes_count; i++)
            sv->route_names[i] = routes[i].metric;
        sv->metrics = metrics_create(sv->route_names, routes_count);
    }
    if (sv->attributor == NULL || sv->metrics == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    return LF_OK;
}

/* Detection, delivery, Alertmanager and retention, created but not started, and their
 * gauges. */
static int create_pipeline(struct server *sv, struct lf_error *err)
{
    struct pipeline_config *pipeline = &sv->pipeline;
    struct detect_options detect_opts = pipeline->detect;
    detect_opts.attributor = sv->attributor;
    detect_opts.after_pass = notify_update;
    detect_opts.after_ctx = &pipeline->notify;
    int rc = detect_create(sv->store, sv->writer, &detect_opts, &sv->detect, err);
    /* with Alertmanager, an owner without a webhook route is told there */
    pipeline->dispatch.alertmanager = pipeline->alertmanager.url != NULL;
    pipeline->dispatch.attributor = sv->attributor;
    pipeline->dispatch.source_url = pipeline->source_url;
    if (rc == LF_OK)
        rc = dispatch_create(sv->store, sv->writer, &pipeline->dispatch, &sv->dispatch, err);
    if (rc == LF_OK && pipeline->alertmanager.url != NULL)
        rc = alertmanager_create(sv->store, &pipeline->alertmanager, &sv->alertmanager, err);
    if (rc == LF_OK)
        rc = retention_create(sv->store, sv->writer, &pipeline->retention, &sv->retention, err);
    if (rc != LF_OK)
        return rc;
    sv->gauges = (struct gauges){ .db_path = sv->settings.db,
                                  .writer = sv->writer,
                                  .detect = sv->detect,
                                  .dispatch = sv->dispatch,
                                  .alertmanager = sv->alertmanager,
                                  .retention = sv->retention };
    return add_gauges(sv->metrics, &sv->gauges, err);
}

/* The handlers' context, then the listening socket. */
static int open_http(struct server *sv, struct lf_error *err)
{
    const struct serve_settings *settings = &sv->settings;
    const struct pipeline_config *pipeline = &sv->pipeline;
    sv->ingest = (struct ingest_context){
        .store = sv->store,
        .writer = sv->writer,
        .attributor = sv->attributor,
        .owner_services = settings->owner_services,
        .owner_names = settings->owner_names,
        .n_owners = settings->n_owners,
        .max_age = pipeline->retention.raw_retention,
    };
    sv->ingest.limits = parse_limits_default();
    sv->ingest.limits.max_decoded_bytes = (size_t)settings->max_decoded;
    query_options_default(&sv->query);
    sv->query.threshold = pipeline->detect.threshold;
    sv->query.live_window = pipeline->detect.live_window;
    sv->query.judge = detect_judge;
    sv->query.judge_ctx = sv->detect;
    sv->query.attributor = sv->attributor;
    sv->app = (struct api_context){
        .detect = sv->detect,
        .source_url = pipeline->source_url,
        .projection_target = pipeline->dispatch.projection_target,
        .store = sv->store,
        .writer = sv->writer,
        .ingest = &sv->ingest,
        .query = &sv->query,
        .metrics = sv->metrics,
        .max_decoded_bytes = (size_t)settings->max_decoded,
        .auth = sv->auth,
        .reopen_after = pipeline->notify.reopen_after,
        .resolve_after = pipeline->notify.resolve_after,
        .detect_window = pipeline->detect.window,
        .metrics_top_sites = (size_t)pipeline->metrics_top_sites,
    };
    struct http_options http_opts = {
        .listen = settings->listen,
        .threading = settings->threads > 0 ? HTTP_THREAD_POOL : HTTP_THREAD_PER_CONNECTION,
        .threads = (unsigned)settings->threads,
        .max_body_bytes = (size_t)settings->max_body,
        .connection_limit = (unsigned)settings->max_connections,
        .per_ip_limit = (unsigned)settings->max_connections_per_ip,
        .timeout_seconds = settings->timeout > 0 ? (unsigned)settings->timeout : 30,
    };
    int rc = http_open(&http_opts, routes, routes_count, sv->auth, sv->metrics, &sv->app, &sv->http,
                       err);
    if (rc != LF_OK)
        return rc;
    char host[256];
    const char *colon = strrchr(settings->listen, ':');
    str_copy_to(str_make(settings->listen, colon != NULL ? (size_t)(colon - settings->listen) : 0),
                host, sizeof(host));
    log_info("serve: listening on http://%s:%u/ (database %s, schema version %d, %s)", host,
             (unsigned)http_port(sv->http), settings->db, store_schema_version(sv->store),
             settings->threads > 0 ? "thread pool" : "thread per connection");
    return LF_OK;
}

/* The pipeline's threads. */
static int start_pipeline(struct server *sv, struct lf_error *err)
{
    int rc = detect_start(sv->detect, err);
    if (rc == LF_OK)
        rc = dispatch_start(sv->dispatch, err);
    if (rc == LF_OK && sv->alertmanager != NULL)
        rc = alertmanager_start(sv->alertmanager, err);
    if (rc == LF_OK)
        rc = retention_start(sv->retention, err);
    return rc;
}

/* Stops in order, each part once: no new request, requests in flight answered (GRACE_MS
 * at most), the pipeline's threads, the writer drained, the database closed. Safe on a
 * server that did not get as far as starting; releases the rest too. */
static void server_release(struct server *sv, unsigned grace_ms)
{
    http_close(sv->http, grace_ms);
    detect_free(sv->detect);
    dispatch_free(sv->dispatch);
    alertmanager_free(sv->alertmanager);
    retention_free(sv->retention);
    writer_free(sv->writer);
    store_close(sv->store);
    metrics_free(sv->metrics);
    lf_free(sv->route_names);
    auth_free(sv->auth);
    attributor_free(sv->attributor);
    codeowners_free(sv->owners);
    settings_release(&sv->settings);
    pipeline_config_release(&sv->pipeline);
    config_free(sv->cfg);
    if (sv->curl_ready)
        curl_global_cleanup(); /* every thread has stopped */
}

/* Waits for SIGTERM or SIGINT. */
static void wait_for_stop(const struct server *sv, const sigset_t *stop_signals)
{
    int sig = 0;
    while (sigwait(stop_signals, &sig) != 0) {
    }
    log_info("serve: %s received, stopping (%u requests in flight)",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", http_in_flight(sv->http));
}

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
    if ((rc = apply_log_level_flag(&flags, err)) != LF_OK)
        return rc;

    struct server sv;
    memset(&sv, 0, sizeof(sv));
    sigset_t stop_signals;
    block_stop_signals(&stop_signals);
    rc = init_curl(&sv, err);
    if (rc == LF_OK)
        rc = load_config(&sv, &flags, err);
    if (rc == LF_OK)
        rc = check_before_store(&sv, err);
    if (rc == LF_OK)
        rc = open_store(&sv, err);
    if (rc == LF_OK)
        rc = create_pipeline(&sv, err);
    if (rc == LF_OK)
        rc = open_http(&sv, err);
    if (rc == LF_OK)
        rc = start_pipeline(&sv, err);
    if (rc != LF_OK) {
        server_release(&sv, 0);
        return rc;
    }
    wait_for_stop(&sv, &stop_signals);
    server_release(&sv, GRACE_MS);
    log_info("serve: stopped, database closed");
    return LF_OK;
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
