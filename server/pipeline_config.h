/* pipeline_config.h - the configuration of everything after ingest, read from the YAML
 * file in one place: detection (detect.*), suppressions (detect.suppress.*), the
 * notification queue and its delivery (notify.*), retention (retention.*) and what the
 * dashboard is told (web.*). Every key has a default; docs/config.md lists them. */
#ifndef LF_PIPELINE_CONFIG_H
#define LF_PIPELINE_CONFIG_H

#include <stdint.h>

#include "config.h"
#include "detect.h"
#include "alertmanager.h"
#include "dispatch.h"
#include "error.h"
#include "notify.h"
#include "retention.h"
#include "suppress.h"

struct pipeline_config {
    struct detect_options detect; /* suppress/after_pass wired by the caller */
    struct notify_options notify;
    struct dispatch_options dispatch; /* strings borrowed from the config tree */
    struct retention_options retention;
    struct suppress *suppress;                /* owned; NULL = no suppression */
    const char **ops;                         /* detect.ops: owned array of borrowed strings */
    struct dispatch_route *routes;            /* owned array of borrowed strings */
    struct alertmanager_options alertmanager; /* notify.alertmanager; url NULL = off */
    struct alertmanager_label *alertmanager_labels; /* owned array of borrowed strings */
    const char *source_url;                         /* web.source_url; NULL = none */
    int64_t metrics_top_sites;                      /* metrics.top_sites (100) */
};

/* Reads the keys from cfg (NULL = all defaults). Strings stay borrowed from cfg, which
 * must outlive out. Returns LF_OK, or LF_EINVAL naming the key (a wrong type, an owner of
 * notify.routes that fails codeowners_owner_valid). Unknown keys are not looked for here:
 * serve_config_check has checked the file first. Release with pipeline_config_release
 * even after a failure. */
int pipeline_config_read(const struct config *cfg, struct pipeline_config *out,
                         struct lf_error *err);

void pipeline_config_release(struct pipeline_config *config);

#endif
