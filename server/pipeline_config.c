/* pipeline_config.c - reads detect.*, notify.*, retention.* and web.* with the typed
 * accessors of config.h, so a wrong type fails at start with the file, line and key, never
 * later; misspelt keys are serve_config.c's (one table for the whole file). */
#include "pipeline_config.h"

#include <string.h>

#include "alloc.h"
#include "codeowners.h"

static int read_detect(const struct config *cfg, struct pipeline_config *out, struct lf_error *err)
{
    struct detect_options *d = &out->detect;
    int64_t min_samples = (int64_t)d->trend.min_samples;
    int rc = config_int(cfg, "detect.threshold", d->threshold, 1, INT64_MAX, &d->threshold, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "detect.window", d->window, &d->window, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "detect.load_history", d->load_history, &d->load_history,
                                     err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "detect.live_window", d->live_window, &d->live_window,
                                     err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "detect.interval", d->interval, &d->interval, err);
    if (rc == LF_OK) {
        int64_t threads = (int64_t)d->threads;
        rc = config_int(cfg, "detect.threads", threads, 1, DETECT_MAX_THREADS, &threads, err);
        d->threads = (size_t)threads;
    }
    if (rc == LF_OK)
        rc = config_int(cfg, "detect.min_samples", min_samples, 3, 100000, &min_samples, err);
    if (rc == LF_OK) {
        d->trend.min_samples = (size_t)min_samples;
        rc = config_strings(cfg, "detect.ops", &out->ops, &d->n_ops, err);
        d->ops = d->n_ops > 0 ? out->ops : NULL;
    }
    if (rc == LF_OK)
        rc = config_double(cfg, "detect.min_growth_per_hour", d->trend.min_growth_per_hour, 0, 1e12,
                           &d->trend.min_growth_per_hour, err);
    if (rc == LF_OK)
        rc = config_double(cfg, "detect.min_relative_growth", d->trend.min_relative_growth, 0, 10,
                           &d->trend.min_relative_growth, err);
    if (rc == LF_OK)
        rc = config_double(cfg, "detect.min_growth_per_instance", d->trend.min_growth_per_instance,
                           0, 1e12, &d->trend.min_growth_per_instance, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "detect.recent", d->trend.recent, &d->trend.recent, err);
    if (rc == LF_OK)
        rc = config_double(cfg, "detect.alpha", d->trend.alpha, 1e-12, 0.5, &d->trend.alpha, err);
    if (rc == LF_OK)
        rc = config_double(cfg, "detect.restart_drop", d->trend.restart_drop, 0.01, 1,
                           &d->trend.restart_drop, err);
    if (rc == LF_OK)
        rc = suppress_from_config(cfg, &out->suppress, err);
    if (rc == LF_OK && out->suppress) {
        d->suppress = suppress_site;
        d->suppress_ctx = out->suppress;
    }
    return rc;
}

static int read_notify(const struct config *cfg, struct pipeline_config *out, struct lf_error *err)
{
    struct notify_options *n = &out->notify;
    struct dispatch_options *d = &out->dispatch;
    int64_t timeout = d->timeout_ms / 1000;
    int rc = config_str(cfg, "notify.webhook", NULL, &d->webhook, err);
    if (rc == LF_OK)
        rc = config_str(cfg, "notify.dashboard_url", NULL, &d->dashboard_url, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "notify.group_wait", n->group_wait, &n->group_wait, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "notify.repeat_interval", n->repeat_interval,
                                     &n->repeat_interval, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "notify.resolve_after", n->resolve_after,
                                     &n->resolve_after, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "notify.reopen_after", n->reopen_after, &n->reopen_after,
                                     err);
    if (rc == LF_OK)
        rc = config_int(cfg, "notify.rate_per_hour", d->rate_per_hour, 0, 1000000,
                        &d->rate_per_hour, err);
    if (rc == LF_OK)
        rc = config_int(cfg, "notify.projection_target", d->projection_target, 1, INT64_MAX,
                        &d->projection_target, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "notify.timeout", timeout, &timeout, err);
    if (rc != LF_OK)
        return rc;
    d->timeout_ms = timeout > 0 ? (long)timeout * 1000 : 10000;
    n->rate_per_hour = d->rate_per_hour;

    /* notify.routes: a map of owner -> webhook URL. */
    const struct config_node *routes = config_get(NULL, cfg, "notify.routes");
    if (routes && config_node_type(routes) != CONFIG_MAP)
        return lf_fail(err, LF_EINVAL, "%s:%zu: notify.routes: expected a map of owner: url",
                       config_name(cfg), config_node_line(routes));
    size_t n_routes = config_node_len(routes);
    out->routes = lf_calloc(n_routes + 1, sizeof(*out->routes));
    if (!out->routes)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_routes; i++) {
        const struct config_node *route = config_node_at(routes, i);
        const char *owner = config_node_key(routes, i);
        const char *url = config_node_scalar(route);
        if (!codeowners_owner_valid(owner, strlen(owner), true))
            return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected " CODEOWNERS_OWNER_FORM,
                           config_name(cfg), config_node_line(route), config_node_column(route),
                           config_node_path(route));
        if (!url || !url[0])
            return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected a URL", config_name(cfg),
                           config_node_line(route), config_node_column(route),
                           config_node_path(route));
        out->routes[i] = (struct dispatch_route){ owner, url };
    }
    d->routes = out->routes;
    d->n_routes = n_routes;
    return LF_OK;
}

/* notify.alertmanager: {url, labels: {name: value}, interval}; dashboard_url,
 * projection_target and timeout are notify's. */
static int read_alertmanager(const struct config *cfg, struct pipeline_config *out,
                             struct lf_error *err)
{
    struct alertmanager_options *a = &out->alertmanager;
    a->dashboard_url = out->dispatch.dashboard_url;
    a->projection_target = out->dispatch.projection_target;
    a->timeout_ms = out->dispatch.timeout_ms;
    int rc = config_str(cfg, "notify.alertmanager.url", NULL, &a->url, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "notify.alertmanager.interval", a->interval, &a->interval,
                                     err);
    if (rc != LF_OK)
        return rc;
    const struct config_node *section = config_get(NULL, cfg, "notify.alertmanager");
    if (section != NULL && (a->url == NULL || a->url[0] == '\0'))
        return lf_fail(err, LF_EINVAL, "%s:%zu: notify.alertmanager.url: expected a URL",
                       config_name(cfg), config_node_line(section));
    if (a->interval < 1)
        return lf_fail(err, LF_EINVAL, "%s: notify.alertmanager.interval: at least 1s",
                       config_name(cfg));
    const struct config_node *labels = config_get(NULL, cfg, "notify.alertmanager.labels");
    if (labels && config_node_type(labels) != CONFIG_MAP)
        return lf_fail(err, LF_EINVAL,
                       "%s:%zu: notify.alertmanager.labels: expected a map of name: value",
                       config_name(cfg), config_node_line(labels));
    size_t n = config_node_len(labels);
    out->alertmanager_labels = lf_calloc(n + 1, sizeof(*out->alertmanager_labels));
    if (!out->alertmanager_labels)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct config_node *node = config_node_at(labels, i);
        const char *name = config_node_key(labels, i);
        const char *value = config_node_scalar(node);
        if (!alertmanager_label_name_valid(name))
            return lf_fail(err, LF_EINVAL,
                           "%s:%zu:%zu: %s: a label name is [a-zA-Z_][a-zA-Z0-9_]* and none of "
                           "alertname, service, owner, function, file, line, op",
                           config_name(cfg), config_node_line(node), config_node_column(node),
                           config_node_path(node));
        if (!value || !value[0])
            return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected a value", config_name(cfg),
                           config_node_line(node), config_node_column(node),
                           config_node_path(node));
        out->alertmanager_labels[i] = (struct alertmanager_label){ name, value };
    }
    a->labels = out->alertmanager_labels;
    a->n_labels = n;
    return LF_OK;
}

static int read_retention(const struct config *cfg, struct pipeline_config *out,
                          struct lf_error *err)
{
    struct retention_options *r = &out->retention;
    int64_t batch = (int64_t)r->batch;
    int rc =
            config_duration_seconds(cfg, "retention.raw", r->raw_retention, &r->raw_retention, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "retention.rollups", r->rollup_retention,
                                     &r->rollup_retention, err);
    if (rc == LF_OK)
        rc = config_duration_seconds(cfg, "retention.interval", r->interval, &r->interval, err);
    if (rc == LF_OK)
        rc = config_int(cfg, "retention.batch", batch, 1, 100000, &batch, err);
    if (rc == LF_OK && r->raw_retention < 3600)
        rc = lf_fail(err, LF_EINVAL, "%s: retention.raw: at least 1h", config_name(cfg));
    r->batch = (size_t)batch;
    r->live_window = out->detect.live_window; /* rolled-up hours follow the series' rule */
    return rc;
}

int pipeline_config_read(const struct config *cfg, struct pipeline_config *out,
                         struct lf_error *err)
{
    memset(out, 0, sizeof(*out));
    detect_options_default(&out->detect);
    notify_options_default(&out->notify);
    dispatch_options_default(&out->dispatch);
    alertmanager_options_default(&out->alertmanager);
    retention_options_default(&out->retention);
    out->metrics_top_sites = 100;
    if (!cfg)
        return LF_OK;
    int rc = read_detect(cfg, out, err);
    if (rc == LF_OK)
        rc = read_notify(cfg, out, err);
    if (rc == LF_OK)
        rc = read_alertmanager(cfg, out, err);
    if (rc == LF_OK)
        rc = read_retention(cfg, out, err);
    if (rc == LF_OK)
        rc = config_str(cfg, "web.source_url", NULL, &out->source_url, err);
    if (rc == LF_OK)
        rc = config_int(cfg, "metrics.top_sites", out->metrics_top_sites, 0, 10000,
                        &out->metrics_top_sites, err);
    return rc;
}

void pipeline_config_release(struct pipeline_config *config)
{
    suppress_free(config->suppress);
    lf_free(config->ops);
    lf_free(config->routes);
    lf_free(config->alertmanager_labels);
    memset(config, 0, sizeof(*config));
}
