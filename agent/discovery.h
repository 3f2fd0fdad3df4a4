/* discovery.h - targets from discovery documents: Prometheus target groups (the files of
 * file_sd, JSON or YAML, and the answers of http_sd) and the Kubernetes API's list of the
 * pods of one node. Pure: bytes in, validated targets out; fetching and watching are
 * sources.h's. */
#ifndef LF_DISCOVERY_H
#define LF_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "targets.h"

#define DISCOVERY_MAX_BYTES ((size_t)16 << 20) /* largest document read */

/* Targets found in one document: new, released with discovery_list_release. */
struct discovery_list {
    struct target *targets;
    size_t n;
};

void discovery_list_release(struct discovery_list *list);

/* Appends a copy of t to list (LF_EINVAL past TARGETS_MAX, LF_ENOMEM). */
int discovery_list_add(struct discovery_list *list, const struct target *t, struct lf_error *err);

/* Parses a list of Prometheus target groups, as JSON (yaml false) or YAML:
 *   [{"targets": ["host:port", ...], "labels": {"service": "checkout", ...}}, ...]
 * Each address becomes a target with defaults' interval, format and paths, and
 * url "SCHEME://host:port". Labels read: service (required), instance (default: the
 * address), version, __scheme__ (http or https), __pprof_path__, __metrics_path__
 * (a path, or none); others are ignored. source names the document in errors and in
 * each target's source. Appends to *out (released by the caller on every path).
 * LF_EINVAL for anything else, naming the group and target: the document is refused
 * whole, so a half-written file never drops its other targets. */
int discovery_parse_groups(const char *buf, size_t len, bool yaml, const struct target *defaults,
                           const char *source, struct discovery_list *out, struct lf_error *err);

/* Pods that were annotated for scraping and yet left out, and why the first one was. */
struct discovery_skips {
    size_t n;
    char first[256];
};

/* Parses a Kubernetes PodList (GET /api/v1/pods?fieldSelector=spec.nodeName=NODE) and
 * appends a target for each running pod annotated leakfleet.io/scrape: "true" (port
 * from leakfleet.io/port, a number or a container port's name; leakfleet.io/path,
 * leakfleet.io/scheme, leakfleet.io/service, leakfleet.io/metrics-path) or, failing
 * that, profiles.grafana.com/goroutine.scrape: "true" (.port, .port_name, .path,
 * .scheme). Service: the annotation, else the label app.kubernetes.io/name, else the
 * controlling owner's name (a ReplicaSet's pod-template-hash suffix taken off: the
 * Deployment's name); instance: the pod's name; version: the label
 * app.kubernetes.io/version. Pods not running, without an IP or being deleted are left
 * out silently; annotated pods that cannot be scraped (no port, a bad value) are left
 * out and counted in *skips. LF_EINVAL when the document is not a PodList. */
int discovery_parse_pods(const char *buf, size_t len, const struct target *defaults,
                         struct discovery_list *out, struct discovery_skips *skips,
                         struct lf_error *err);

#endif
