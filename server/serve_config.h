/* serve_config.h - the keys of the server's config file (`leakfleet serve --config`, also
 * read by `leakfleet analyze --config`): one table of every key at every level, checked
 * before any value is read, so a misspelt key anywhere (`token:` for `tokens:`,
 * `repo.root`, a key of a tokens or suppress entry) fails at start with file:line:col and
 * the key instead of leaving a default in its place. The values are read by the modules
 * that use them (cmd_serve.c, auth.c, pipeline_config.c, suppress.c); docs/config.md
 * lists them. */
#ifndef LF_SERVE_CONFIG_H
#define LF_SERVE_CONFIG_H

#include "config.h"
#include "error.h"

/* Checks every key of cfg against the table. Returns LF_OK, or LF_EINVAL as
 * config_check_schema: "config.yaml:2:1: token: unknown key". */
int serve_config_check(const struct config *cfg, struct lf_error *err);

#endif
