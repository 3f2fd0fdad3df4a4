/* fuzz_discovery.c - libFuzzer target for what discovery reads: the input as Prometheus
 * target groups in JSON and in YAML, and as a Kubernetes PodList. Oracle: every target
 * kept is usable by the scrape loop (an http(s) URL without blanks, names and paths that
 * targets.c would accept), whatever the document held. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct discovery_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct target *t = &l->targets[i];
        if (!targets_url_ok(t->url) || !targets_name_ok(t->service, sizeof(t->service)) ||
            !targets_name_ok(t->instance, sizeof(t->instance)) || !targets_path_ok(t->pprof_path) ||
            (t->metrics_path[0] != '\0' && !targets_path_ok(t->metrics_path)))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct target d;
    memset(&d, 0, sizeof(d));
    d.interval_ms = 60000;
    memcpy(d.pprof_path, TARGETS_PPROF_PATH, sizeof(TARGETS_PPROF_PATH));
    memcpy(d.metrics_path, "/metrics", sizeof("/metrics"));
    for (int yaml = 0; yaml < 2; yaml++) {
        struct discovery_list l = { 0 };
        struct lf_error err;
        if (discovery_parse_groups((const char *)data, size, yaml, &d, "fuzz", &l, &err) == LF_OK)
            check(&l);
        discovery_list_release(&l);
    }
    struct discovery_list l = { 0 };
    struct discovery_skips skips = { 0 };
    struct lf_error err;
    if (discovery_parse_pods((const char *)data, size, &d, &l, &skips, &err) == LF_OK)
        check(&l);
    discovery_list_release(&l);
    return 0;
}
