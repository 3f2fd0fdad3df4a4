/* alertmanager.h - delivery of the notification queue to a Prometheus Alertmanager
 * (`notify.alertmanager`), beside the webhooks: a thread that every interval posts each
 * open notification (pending, delivered or unrouted) as a firing alert to POST /api/v2/alerts, and
 * each one closed (resolved, acknowledged or snoozed) since the last few passes with
 * endsAt at its close. Alertmanager owns grouping, routing by owner, silences of its own
 * and repeats; leakfleet only keeps the alerts current, as Prometheus does: a firing
 * alert's endsAt is four intervals ahead, so alerts that stop arriving (the server is
 * gone) resolve by themselves, and no state is kept between passes. */
#ifndef LF_ALERTMANAGER_H
#define LF_ALERTMANAGER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "store.h"

/* Labels of every alert: the fixed ones and notify.alertmanager.labels. */
struct alertmanager_label {
    const char *name; /* [a-zA-Z_][a-zA-Z0-9_]*, not one of the fixed names */
    const char *value;
};

struct alertmanager_options {
    const char *url; /* notify.alertmanager.url, e.g. "http://127.0.0.1:9093"; NULL = off */
    const struct alertmanager_label *labels; /* notify.alertmanager.labels */
    size_t n_labels;
    int64_t interval;          /* seconds between passes (60) */
    const char *dashboard_url; /* notify.dashboard_url: dashboard annotation, generatorURL */
    int64_t projection_target; /* "reaches N in H hours" uses this N */
    long timeout_ms;           /* per HTTP attempt */
};

struct alertmanager_stats {
    uint64_t posted; /* alerts Alertmanager accepted */
    uint64_t failed; /* posts that failed (the next pass posts again) */
};

struct alertmanager;

void alertmanager_options_default(struct alertmanager_options *opts);

/* True when name may be a label of notify.alertmanager.labels: Prometheus's label name
 * form and none of the fixed labels (alertname, service, owner, function, file, line,
 * op). */
bool alertmanager_label_name_valid(const char *name);

/* Creates the deliverer (opts copied, its strings borrowed; store borrowed); opts->url
 * must be set. It does nothing until alertmanager_start or alertmanager_run_once. */
int alertmanager_create(struct store *store, const struct alertmanager_options *opts,
                        struct alertmanager **out, struct lf_error *err);

/* The alerts of one pass at now, on a reader connection: a JSON array in Alertmanager's
 * API v2 form [{"labels", "annotations", "startsAt", "endsAt", "generatorURL"}], texts
 * repaired to valid UTF-8. *out new (json_decref). For the thread and for tests. */
int alertmanager_alerts(struct alertmanager *am, int64_t now, json_t **out, struct lf_error *err);

/* One pass at now (0 = the clock): builds the alerts and posts them, at most 1,000 a
 * request. *posted gets the number accepted. LF_EIO when Alertmanager cannot be reached
 * or does not answer 2xx (the next pass posts everything again), LF_EDB. */
int alertmanager_run_once(struct alertmanager *am, int64_t now, size_t *posted,
                          struct lf_error *err);

int alertmanager_start(struct alertmanager *am, struct lf_error *err);

void alertmanager_get_stats(struct alertmanager *am, struct alertmanager_stats *out);

/* Stops the thread (finishing the pass in flight) and frees; NULL does nothing. */
void alertmanager_free(struct alertmanager *am);

#endif
