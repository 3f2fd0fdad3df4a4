/* discovery.c - Prometheus target groups and Kubernetes pod lists into struct target.
 * JSON is read with jansson; a YAML file is read with config.h and turned into the same
 * jansson tree, so one reader checks both. A bad target group refuses its document (the
 * caller keeps what it had), a bad pod is skipped and counted (one team's typo never
 * hides the other pods of the node). Every value is checked as targets.c checks the
 * config file's: nothing unusable reaches the scrape loop. */
#include "discovery.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "config.h"
#include "utf8.h"

void discovery_list_release(struct discovery_list *list)
{
    lf_free(list->targets);
    list->targets = NULL;
    list->n = 0;
}

int discovery_list_add(struct discovery_list *list, const struct target *t, struct lf_error *err)
{
    if (list->n >= TARGETS_MAX)
        return lf_fail(err, LF_EINVAL, "more than %d targets", TARGETS_MAX);
    struct target *grown = lf_realloc(list->targets, (list->n + 1) * sizeof(*grown));
    if (grown == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    list->targets = grown;
    grown[list->n++] = *t;
    return LF_OK;
}

/* ---- YAML into the jansson tree --------------------------------------------------- */

/* Scalars become strings (the values of target groups are all strings). New reference,
 * or NULL when out of memory. */
static json_t *yaml_to_json(const struct config_node *node)
{
    switch (config_node_type(node)) {
    case CONFIG_NULL:
        return json_null();
    case CONFIG_SCALAR:
        return json_string(config_node_scalar(node));
    case CONFIG_SEQ: {
        json_t *array = json_array();
        for (size_t i = 0; array != NULL && i < config_node_len(node); i++) {
            if (json_array_append_new(array, yaml_to_json(config_node_at(node, i))) != 0) {
                json_decref(array);
                array = NULL;
            }
        }
        return array;
    }
    case CONFIG_MAP: {
        json_t *object = json_object();
        for (size_t i = 0; object != NULL && i < config_node_len(node); i++) {
            if (json_object_set_new(object, config_node_key(node, i),
                                    yaml_to_json(config_node_at(node, i))) != 0) {
                json_decref(object);
                object = NULL;
            }
        }
        return object;
    }
    }
    return NULL;
}

/* Parses buf as JSON (or YAML) into a new jansson tree, or NULL with err set. */
static json_t *load_document(const char *buf, size_t len, bool yaml, const char *source,
                             struct lf_error *err)
{
    if (len > DISCOVERY_MAX_BYTES) {
        lf_fail(err, LF_ETOOBIG, "%s: %zu bytes is over the %zu byte limit", source, len,
                DISCOVERY_MAX_BYTES);
        return NULL;
    }
    if (yaml) {
        struct config *doc = config_parse_list(buf, len, source, err);
        if (doc == NULL)
            return NULL;
        json_t *root = yaml_to_json(config_root(doc));
        config_free(doc);
        if (root == NULL)
            lf_fail(err, LF_ENOMEM, "%s: out of memory", source);
        return root;
    }
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        lf_fail(err, LF_EINVAL, "%s:%d:%d: %s", source, jerr.line, jerr.column, jerr.text);
    return root;
}

/* ---- checks ---------------------------------------------------------------------- */

/* host:port, host or [v6]:port: no scheme, path, user, query or blanks. */
static bool address_ok(const char *s)
{
    if (s[0] == '\0' || strlen(s) >= TARGETS_TEXT_MAX - sizeof("https://"))
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || strchr("/?#@\\\"'<>", c) != NULL)
            return false;
    }
    const char *colon = strrchr(s, ':');
    if (colon != NULL && s[0] != '[' && strchr(s, ':') != colon)
        return false; /* a bare IPv6 address needs brackets */
    if (colon != NULL && !(s[0] == '[' && strchr(colon, ']') != NULL)) {
        const char *port = colon + 1;
        long v = 0;
        if (*port == '\0' || strlen(port) > 5)
            return false;
        for (const char *p = port; *p != '\0'; p++) {
            if (*p < '0' || *p > '9')
                return false;
            v = v * 10 + (*p - '0');
        }
        if (v < 1 || v > 65535)
            return false;
    }
    return true;
}

/* Sets t->url from scheme ("http" or "https") and address; false when it does not fit. */
static bool set_url(struct target *t, const char *scheme, const char *address)
{
    int n = snprintf(t->url, sizeof(t->url), "%s://%s", scheme, address);
    return n > 0 && (size_t)n < sizeof(t->url) && targets_url_ok(t->url);
}

static void copy_text(char *dst, size_t size, const char *s)
{
    size_t len = strlen(s);
    if (len >= size)
        len = size - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* ---- target groups ------------------------------------------------------------------ */

/* The string value of label key in labels, dflt when absent; NULL (and err set) when
 * it is not a string. */
static const char *label(const json_t *labels, const char *key, const char *dflt, const char *where,
                         bool *bad, struct lf_error *err)
{
    const json_t *v = json_object_get(labels, key);
    if (v == NULL || json_is_null(v))
        return dflt;
    if (!json_is_string(v)) {
        *bad = true;
        lf_fail(err, LF_EINVAL, "%s: label '%s' must be a string", where, key);
        return NULL;
    }
    return json_string_value(v);
}

static int parse_group(const json_t *group, size_t gi, const struct target *defaults,
                       const char *source, struct discovery_list *out, struct lf_error *err)
{
    char where[TARGETS_TEXT_MAX + 64];
    utf8_snprintf(where, sizeof(where), "%s: group %zu", source, gi);
    if (!json_is_object(group))
        return lf_fail(err, LF_EINVAL, "%s: expected an object with targets and labels", where);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)(uintptr_t)group, key, value) {
        if (strcmp(key, "targets") != 0 && strcmp(key, "labels") != 0)
            return lf_fail(err, LF_EINVAL, "%s: unknown key '%s' (targets, labels)", where, key);
    }
    const json_t *addresses = json_object_get(group, "targets");
    const json_t *labels = json_object_get(group, "labels");
    if (!json_is_array(addresses))
        return lf_fail(err, LF_EINVAL, "%s: targets: expected a list of \"host:port\"", where);
    if (labels != NULL && !json_is_null(labels) && !json_is_object(labels))
        return lf_fail(err, LF_EINVAL, "%s: labels: expected a map of strings", where);
    bool bad = false;
    const char *service = label(labels, "service", NULL, where, &bad, err);
    const char *instance = label(labels, "instance", NULL, where, &bad, err);
    const char *version = label(labels, "version", NULL, where, &bad, err);
    const char *scheme = label(labels, "__scheme__", "http", where, &bad, err);
    const char *pprof_path =
            label(labels, "__pprof_path__", defaults->pprof_path, where, &bad, err);
    const char *metrics_path = label(labels, "__metrics_path__", NULL, where, &bad, err);
    if (bad)
        return LF_EINVAL;
    if (json_array_size(addresses) == 0)
        return LF_OK; /* Prometheus' way of saying "none for now" */
    if (service == NULL)
        return lf_fail(err, LF_EINVAL,
                       "%s: no 'service' label (leakfleet needs each target's "
                       "service)",
                       where);
    if (!targets_name_ok(service, TARGETS_SERVICE_MAX))
        return lf_fail(err, LF_EINVAL,
                       "%s: label 'service': 1 to %d bytes without control characters, not '%s'",
                       where, TARGETS_SERVICE_MAX - 1, service);
    if (instance != NULL && !targets_name_ok(instance, TARGETS_INSTANCE_MAX))
        return lf_fail(err, LF_EINVAL,
                       "%s: label 'instance': 1 to %d bytes without control characters, not '%s'",
                       where, TARGETS_INSTANCE_MAX - 1, instance);
    if (instance != NULL && json_array_size(addresses) > 1)
        return lf_fail(err, LF_EINVAL,
                       "%s: label 'instance' with %zu targets (each target is its own instance: "
                       "one target per group, or no instance label)",
                       where, json_array_size(addresses));
    if (version != NULL && !target_meta_version_ok(version, strlen(version)))
        return lf_fail(err, LF_EINVAL,
                       "%s: label 'version': 1 to 128 bytes of UTF-8 without control characters",
                       where);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        return lf_fail(err, LF_EINVAL, "%s: label '__scheme__': http or https, not '%s'", where,
                       scheme);
    if (!targets_path_ok(pprof_path))
        return lf_fail(err, LF_EINVAL,
                       "%s: label '__pprof_path__': a path starting with '/', not '%s'", where,
                       pprof_path);
    if (metrics_path != NULL && strcmp(metrics_path, "none") != 0 && !targets_path_ok(metrics_path))
        return lf_fail(err, LF_EINVAL,
                       "%s: label '__metrics_path__': a path starting with '/' or none, not '%s'",
                       where, metrics_path);
    for (size_t i = 0; i < json_array_size(addresses); i++) {
        const json_t *a = json_array_get(addresses, i);
        const char *address = json_string_value(a);
        if (address == NULL || !address_ok(address))
            return lf_fail(err, LF_EINVAL, "%s: target %zu: expected \"host:port\", not %s%s%s",
                           where, i, address != NULL ? "'" : "",
                           address != NULL ? address : "a non-string", address != NULL ? "'" : "");
        struct target t = *defaults;
        copy_text(t.service, sizeof(t.service), service);
        copy_text(t.instance, sizeof(t.instance), instance != NULL ? instance : address);
        if (strlen(instance != NULL ? instance : address) >= sizeof(t.instance) ||
            !set_url(&t, scheme, address))
            return lf_fail(err, LF_EINVAL, "%s: target %zu: '%s' is too long", where, i, address);
        copy_text(t.pprof_path, sizeof(t.pprof_path), pprof_path);
        if (metrics_path != NULL)
            copy_text(t.metrics_path, sizeof(t.metrics_path),
                      strcmp(metrics_path, "none") == 0 ? "" : metrics_path);
        copy_text(t.version, sizeof(t.version), version != NULL ? version : "");
        copy_text(t.source, sizeof(t.source), source);
        int rc = discovery_list_add(out, &t, err);
        if (rc != LF_OK)
            return rc;
    }
    return LF_OK;
}

int discovery_parse_groups(const char *buf, size_t len, bool yaml, const struct target *defaults,
                           const char *source, struct discovery_list *out, struct lf_error *err)
{
    json_t *root = load_document(buf, len, yaml, source, err);
    if (root == NULL)
        return err != NULL && err->code != LF_OK ? err->code : LF_EINVAL;
    int rc = LF_OK;
    if (!json_is_array(root))
        rc = lf_fail(err, LF_EINVAL,
                     "%s: expected a list of target groups "
                     "([{\"targets\": [...], \"labels\": {...}}])",
                     source);
    for (size_t i = 0; rc == LF_OK && i < json_array_size(root); i++)
        rc = parse_group(json_array_get(root, i), i, defaults, source, out, err);
    json_decref(root);
    return rc;
}

/* ---- Kubernetes pods ------------------------------------------------------------------ */

/* obj[key] as a string, or NULL. */
static const char *str_at(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void skip(struct discovery_skips *skips, const char *ns, const char *name, const char *why)
{
    if (skips->n++ == 0)
        utf8_snprintf(skips->first, sizeof(skips->first), "pod %s/%s: %s", ns, name, why);
}

/* The port named by value (a number, or the name of one of the pod's container ports);
 * 0 when there is none. */
static long pod_port(const json_t *pod, const char *value)
{
    if (value[0] >= '0' && value[0] <= '9') {
        long v = 0;
        for (const char *p = value; *p != '\0'; p++) {
            if (*p < '0' || *p > '9' || v > 65535)
                return 0;
            v = v * 10 + (*p - '0');
        }
        return v >= 1 && v <= 65535 ? v : 0;
    }
    const json_t *containers = json_object_get(json_object_get(pod, "spec"), "containers");
    for (size_t c = 0; c < json_array_size(containers); c++) {
        const json_t *ports = json_object_get(json_array_get(containers, c), "ports");
        for (size_t p = 0; p < json_array_size(ports); p++) {
            const json_t *port = json_array_get(ports, p);
            const char *name = str_at(port, "name");
            json_int_t number = json_integer_value(json_object_get(port, "containerPort"));
            if (name != NULL && strcmp(name, value) == 0 && number >= 1 && number <= 65535)
                return (long)number;
        }
    }
    return 0;
}

/* The service of a pod without a leakfleet.io/service annotation: its
 * app.kubernetes.io/name label, else its controlling owner's name, with a ReplicaSet's
 * "-<pod-template-hash>" taken off (the Deployment's name). dst[size]; "" for none. */
static void pod_service(const json_t *meta, char *dst, size_t size)
{
    const json_t *labels = json_object_get(meta, "labels");
    const char *name = str_at(labels, "app.kubernetes.io/name");
    if (name != NULL) {
        copy_text(dst, size, name);
        return;
    }
    dst[0] = '\0';
    const json_t *owners = json_object_get(meta, "ownerReferences");
    const json_t *owner = NULL;
    for (size_t i = 0; i < json_array_size(owners); i++) {
        const json_t *o = json_array_get(owners, i);
        if (owner == NULL || json_is_true(json_object_get(o, "controller")))
            owner = o;
    }
    const char *owner_name = str_at(owner, "name");
    if (owner_name == NULL)
        return;
    copy_text(dst, size, owner_name);
    const char *kind = str_at(owner, "kind");
    const char *hash = str_at(labels, "pod-template-hash");
    size_t len = strlen(dst), hash_len = hash != NULL ? strlen(hash) : 0;
    if (kind != NULL && strcmp(kind, "ReplicaSet") == 0 && hash_len > 0 && len > hash_len + 1 &&
        dst[len - hash_len - 1] == '-' && strcmp(dst + len - hash_len, hash) == 0)
        dst[len - hash_len - 1] = '\0';
}

/* One pod: a target appended to out, a skip counted, or nothing (not annotated, not
 * running). LF_OK unless out of memory or past TARGETS_MAX. */
static int parse_pod(const json_t *pod, const struct target *defaults, struct discovery_list *out,
                     struct discovery_skips *skips, struct lf_error *err)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const json_t *annotations = json_object_get(meta, "annotations");
    const char *name = str_at(meta, "name");
    const char *ns = str_at(meta, "namespace");
    if (name == NULL)
        return LF_OK;
    if (ns == NULL)
        ns = "default";
    /* leakfleet's own annotations first; Grafana's (for Pyroscope) otherwise */
    const char *prefix = NULL;
    const char *scrape = str_at(annotations, "leakfleet.io/scrape");
    if (scrape != NULL)
        prefix = "leakfleet.io/";
    else if ((scrape = str_at(annotations, "profiles.grafana.com/goroutine.scrape")) != NULL)
        prefix = "profiles.grafana.com/goroutine.";
    if (prefix == NULL || strcmp(scrape, "true") != 0)
        return LF_OK;
    const json_t *status = json_object_get(pod, "status");
    const char *phase = str_at(status, "phase");
    const char *ip = str_at(status, "podIP");
    if (phase == NULL || strcmp(phase, "Running") != 0 || ip == NULL || ip[0] == '\0' ||
        json_object_get(meta, "deletionTimestamp") != NULL)
        return LF_OK;
    bool grafana = prefix[0] == 'p';
    char key[96];
#define ANNOTATION(suffix)                                                                         \
    (snprintf(key, sizeof(key), "%s%s", prefix, suffix), str_at(annotations, key))
    const char *port_text = ANNOTATION("port");
    if (port_text == NULL && grafana)
        port_text = ANNOTATION("port_name");
    const char *path = ANNOTATION("path");
    const char *scheme = ANNOTATION("scheme");
    const char *service = grafana ? NULL : ANNOTATION("service");
    const char *metrics_path = grafana ? NULL : ANNOTATION("metrics-path");
#undef ANNOTATION
    char why[200];
    if (port_text == NULL) {
        snprintf(why, sizeof(why), "no %s annotation",
                 grafana ? "profiles.grafana.com/goroutine.port" : "leakfleet.io/port");
        skip(skips, ns, name, why);
        return LF_OK;
    }
    long port = pod_port(pod, port_text);
    if (port == 0) {
        utf8_snprintf(why, sizeof(why),
                      "port '%s' is neither a port number nor a container port's "
                      "name",
                      port_text);
        skip(skips, ns, name, why);
        return LF_OK;
    }
    if (scheme == NULL)
        scheme = "http";
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        utf8_snprintf(why, sizeof(why), "scheme '%s': http or https", scheme);
        skip(skips, ns, name, why);
        return LF_OK;
    }
    if (path == NULL)
        path = defaults->pprof_path;
    if (!targets_path_ok(path) || (metrics_path != NULL && strcmp(metrics_path, "none") != 0 &&
                                   !targets_path_ok(metrics_path))) {
        skip(skips, ns, name, "a path that does not start with '/' (or has blanks)");
        return LF_OK;
    }
    struct target t = *defaults;
    if (service != NULL)
        copy_text(t.service, sizeof(t.service), service);
    else
        pod_service(meta, t.service, sizeof(t.service));
    if (t.service[0] == '\0' || (service != NULL && strlen(service) >= sizeof(t.service)) ||
        !targets_name_ok(t.service, sizeof(t.service))) {
        skip(skips, ns, name,
             "no service: set leakfleet.io/service or the label app.kubernetes.io/name");
        return LF_OK;
    }
    if (!targets_name_ok(name, sizeof(t.instance))) {
        skip(skips, ns, name, "pod name too long");
        return LF_OK;
    }
    copy_text(t.instance, sizeof(t.instance), name);
    char address[128];
    bool v6 = strchr(ip, ':') != NULL;
    int n = snprintf(address, sizeof(address), "%s%s%s:%ld", v6 ? "[" : "", ip, v6 ? "]" : "",
                     port);
    if (n < 0 || (size_t)n >= sizeof(address) || !address_ok(address) ||
        !set_url(&t, scheme, address)) {
        skip(skips, ns, name, "bad status.podIP");
        return LF_OK;
    }
    copy_text(t.pprof_path, sizeof(t.pprof_path), path);
    if (metrics_path != NULL)
        copy_text(t.metrics_path, sizeof(t.metrics_path),
                  strcmp(metrics_path, "none") == 0 ? "" : metrics_path);
    const char *version = str_at(json_object_get(meta, "labels"), "app.kubernetes.io/version");
    copy_text(t.version, sizeof(t.version),
              version != NULL && target_meta_version_ok(version, strlen(version)) ? version : "");
    utf8_snprintf(t.source, sizeof(t.source), "kubernetes pod %s/%s", ns, name);
    return discovery_list_add(out, &t, err);
}

int discovery_parse_pods(const char *buf, size_t len, const struct target *defaults,
                         struct discovery_list *out, struct discovery_skips *skips,
                         struct lf_error *err)
{
    json_t *root = load_document(buf, len, false, "pod list", err);
    if (root == NULL)
        return err != NULL && err->code != LF_OK ? err->code : LF_EINVAL;
    int rc = LF_OK;
    const json_t *items = json_object_get(root, "items");
    const char *kind = str_at(root, "kind");
    if (!json_is_array(items) || (kind != NULL && strcmp(kind, "PodList") != 0))
        rc = lf_fail(err, LF_EINVAL, "pod list: expected a PodList with items, not kind '%s'",
                     kind != NULL ? kind : "(none)");
    for (size_t i = 0; rc == LF_OK && i < json_array_size(items); i++)
        rc = parse_pod(json_array_get(items, i), defaults, out, skips, err);
    json_decref(root);
    return rc;
}
