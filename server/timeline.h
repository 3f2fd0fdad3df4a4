/* timeline.h - what happened to one service over time, for the dashboard's charts: its
 * deploys and restarts, and how often its instances push. */
#ifndef LF_TIMELINE_H
#define LF_TIMELINE_H

#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "store.h"

/* GET /api/v1/timeline?service=S[&from=F][&to=T]: {"service", "from", "to",
 * "push_interval", "events":[{"ts", "instance", "kind", "version", "previous"}],
 * "truncated"} where kind is "deploy" (the instance's push names another version than its
 * previous push in the range) or "restart" (another process start time, same version);
 * previous is the version before a deploy. Events oldest first, at most 2,000
 * ("truncated": true when more). push_interval is the median gap between consecutive
 * pushes of an instance over the service's latest profiles (null when no instance has
 * two): a chart's step should not be finer. to 0 = now, from 0 = 24 h before to.
 * LF_ENOTFOUND for an unknown service, LF_EINVAL for to < from. On a reader connection;
 * *out new (json_decref). */
int timeline_service(struct store *store, const char *service, int64_t from, int64_t to,
                     int64_t now, json_t **out, struct lf_error *err);

#endif
