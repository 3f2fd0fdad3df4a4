/* serve_config.c - the table of every key the server's config file may hold, as
 * docs/config.md lists them. A reader of a new key adds it here too: until then every file
 * that sets the key is refused, loudly, never read half. */
#include "serve_config.h"

#include <stddef.h>

static const struct config_key any_name[] = {
    { "*", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key repo_keys[] = {
    { "roots", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key owners_keys[] = {
    { "codeowners", CONFIG_VALUE, NULL },
    { "services", CONFIG_SECTION, any_name }, /* service -> owner */
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key token_keys[] = {
    { "token", CONFIG_VALUE, NULL },        /* the token itself, or */
    { "token_sha256", CONFIG_VALUE, NULL }, /* its SHA-256 */
    { "name", CONFIG_VALUE, NULL },         /* who acts with it (the queue's history) */
    { "services", CONFIG_VALUE, NULL },     /* what it may push for */
    { "admin", CONFIG_VALUE, NULL },        /* may act on the queue */
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key limits_keys[] = {
    { "max_body_bytes", CONFIG_VALUE, NULL },
    { "max_decoded_bytes", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key http_keys[] = {
    { "threads", CONFIG_VALUE, NULL },
    { "max_connections", CONFIG_VALUE, NULL },
    { "max_connections_per_ip", CONFIG_VALUE, NULL },
    { "timeout", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key expected_keys[] = {
    { "class", CONFIG_VALUE, NULL },
    { "reason", CONFIG_VALUE, NULL },
    { "until", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key suppress_keys[] = {
    { "rules", CONFIG_VALUE, NULL },
    { "expected", CONFIG_ENTRIES, expected_keys },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key detect_keys[] = {
    { "threshold", CONFIG_VALUE, NULL },
    { "window", CONFIG_VALUE, NULL },
    { "load_history", CONFIG_VALUE, NULL },
    { "live_window", CONFIG_VALUE, NULL },
    { "interval", CONFIG_VALUE, NULL },
    { "threads", CONFIG_VALUE, NULL },
    { "ops", CONFIG_VALUE, NULL },
    { "min_samples", CONFIG_VALUE, NULL },
    { "min_growth_per_hour", CONFIG_VALUE, NULL },
    { "min_relative_growth", CONFIG_VALUE, NULL },
    { "min_growth_per_instance", CONFIG_VALUE, NULL },
    { "recent", CONFIG_VALUE, NULL },
    { "alpha", CONFIG_VALUE, NULL },
    { "restart_drop", CONFIG_VALUE, NULL },
    { "suppress", CONFIG_SECTION, suppress_keys },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key alertmanager_keys[] = {
    { "url", CONFIG_VALUE, NULL },
    { "labels", CONFIG_SECTION, any_name }, /* label name -> value */
    { "interval", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key notify_keys[] = {
    { "webhook", CONFIG_VALUE, NULL },
    { "routes", CONFIG_SECTION, any_name }, /* owner -> URL */
    { "dashboard_url", CONFIG_VALUE, NULL },
    { "group_wait", CONFIG_VALUE, NULL },
    { "repeat_interval", CONFIG_VALUE, NULL },
    { "resolve_after", CONFIG_VALUE, NULL },
    { "reopen_after", CONFIG_VALUE, NULL },
    { "rate_per_hour", CONFIG_VALUE, NULL },
    { "projection_target", CONFIG_VALUE, NULL },
    { "timeout", CONFIG_VALUE, NULL },
    { "alertmanager", CONFIG_SECTION, alertmanager_keys },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key retention_keys[] = {
    { "raw", CONFIG_VALUE, NULL },      /* raw samples kept */
    { "rollups", CONFIG_VALUE, NULL },  /* hourly rollups kept */
    { "interval", CONFIG_VALUE, NULL }, /* between passes */
    { "batch", CONFIG_VALUE, NULL },    /* profiles per transaction */
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key metrics_keys[] = {
    { "top_sites", CONFIG_VALUE, NULL }, /* non-suspect sites on /metrics */
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key web_keys[] = {
    { "source_url", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};

static const struct config_key top_keys[] = {
    { "listen", CONFIG_VALUE, NULL },                /* cmd_serve.c */
    { "database", CONFIG_VALUE, NULL },              /* cmd_serve.c */
    { "log_level", CONFIG_VALUE, NULL },             /* cmd_serve.c */
    { "log_format", CONFIG_VALUE, NULL },            /* cmd_serve.c */
    { "auth", CONFIG_VALUE, NULL },                  /* auth.c */
    { "repo", CONFIG_SECTION, repo_keys },           /* cmd_serve.c, cmd_analyze.c */
    { "owners", CONFIG_SECTION, owners_keys },       /* cmd_serve.c, cmd_analyze.c */
    { "tokens", CONFIG_ENTRIES, token_keys },        /* auth.c */
    { "limits", CONFIG_SECTION, limits_keys },       /* cmd_serve.c */
    { "http", CONFIG_SECTION, http_keys },           /* cmd_serve.c */
    { "detect", CONFIG_SECTION, detect_keys },       /* pipeline_config.c, suppress.c */
    { "notify", CONFIG_SECTION, notify_keys },       /* pipeline_config.c */
    { "retention", CONFIG_SECTION, retention_keys }, /* pipeline_config.c */
    { "web", CONFIG_SECTION, web_keys },             /* pipeline_config.c */
    { "metrics", CONFIG_SECTION, metrics_keys },     /* pipeline_config.c */
    { NULL, CONFIG_VALUE, NULL },
};

int serve_config_check(const struct config *cfg, struct lf_error *err)
{
    return config_check_schema(cfg, top_keys, err);
}
