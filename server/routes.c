/* routes.c - the route table as data, and the matcher. The table is small (tens of rows)
 * and matched linearly segment by segment with no allocation; a test walks it for
 * duplicates and for an auth level, a handler and a metric on every row. */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "api.h"

#define INGEST_BODY_LIMIT ((size_t)8 << 20) /* replaced by `limits.max_body_bytes` */
#define SMALL_BODY_LIMIT  ((size_t)64 << 10)

/* Fields: method, path pattern, auth level, body cap in bytes (0 = no body), handler,
 * metric label. Order matters only for the final wildcard row, which must stay last. */
const struct route routes[] = {
    { "GET", "/healthz", AUTH_NONE, 0, api_health, "healthz" },
    { "GET", "/metrics", AUTH_NONE, 0, api_metrics, "metrics" },
    { "POST", "/api/v1/profiles", AUTH_INGEST, INGEST_BODY_LIMIT, api_ingest, "ingest" },
    { "GET", "/api/v1/leaks", AUTH_NONE, 0, api_leaks, "leaks" },
    { "GET", "/api/v1/locations/:id", AUTH_NONE, 0, api_location, "location" },
    { "GET", "/api/v1/locations/:id/series", AUTH_NONE, 0, api_location_series, "series" },
    { "GET", "/api/v1/services", AUTH_NONE, 0, api_services, "services" },
    { "GET", "/api/v1/notifications", AUTH_NONE, 0, api_notifications, "notifications" },
    { "POST", "/api/v1/notifications/:id/ack", AUTH_ADMIN, SMALL_BODY_LIMIT, api_notification_ack,
      "notification_ack" },
    { "POST", "/api/v1/notifications/:id/snooze", AUTH_ADMIN, SMALL_BODY_LIMIT,
      api_notification_snooze, "notification_snooze" },
    { "POST", "/api/v1/notifications/:id/resolve", AUTH_ADMIN, SMALL_BODY_LIMIT,
      api_notification_resolve, "notification_resolve" },
    { "GET", "/api/v1/notifications/:id", AUTH_NONE, 0, api_notification_get, "notification" },
    { "POST", "/api/v1/notifications/:id/reassign", AUTH_ADMIN, SMALL_BODY_LIMIT,
      api_notification_reassign, "notification_reassign" },
    { "GET", "/api/v1/trends", AUTH_NONE, 0, api_trends, "trends" },
    { "POST", "/api/v1/detect", AUTH_ADMIN, SMALL_BODY_LIMIT, api_detect_run, "detect" },
    { "GET", "/api/v1/silences", AUTH_NONE, 0, api_silences, "silences" },
    { "POST", "/api/v1/silences", AUTH_ADMIN, SMALL_BODY_LIMIT, api_silence_create, "silence" },
    { "GET", "/api/v1/settings", AUTH_NONE, 0, api_settings, "settings" },
    { "GET", "/api/v1/whoami", AUTH_ADMIN, 0, api_whoami, "whoami" },
    { "GET", "/api/v1/timeline", AUTH_NONE, 0, api_timeline, "timeline" },
    { "POST", "/ingest", AUTH_INGEST_LABELS, INGEST_BODY_LIMIT, api_pyroscope_ingest,
      "pyroscope_ingest" },
    { "POST", "/push.v1.PusherService/Push", AUTH_INGEST_LABELS, INGEST_BODY_LIMIT,
      api_pyroscope_push, "pyroscope_push" },
    { "GET", "/*", AUTH_NONE, 0, http_static, "static" },
};
const size_t routes_count = sizeof(routes) / sizeof(routes[0]);

bool routes_is_connect(const struct route *route)
{
    const char *p = route->pattern;
    if (p[0] != '/')
        return false;
    for (p++; *p != '\0' && *p != '/'; p++) {
        if (*p == '.')
            return true;
    }
    return false;
}

/* Matches one pattern against path; sets *id for a ":id" segment. */
static bool pattern_matches(const char *pattern, const char *path, struct str *id)
{
    *id = STR_NULL;
    const char *p = pattern;
    const char *s = path;
    for (;;) {
        if (p[0] == '*' && p[1] == '\0')
            return true;
        if (*p == '\0' || *s == '\0')
            return *p == '\0' && *s == '\0';
        if (p[0] == ':' && p > pattern && p[-1] == '/') {
            const char *seg_end = s;
            while (*seg_end != '\0' && *seg_end != '/')
                seg_end++;
            if (seg_end == s)
                return false;
            *id = str_make(s, (size_t)(seg_end - s));
            s = seg_end;
            while (*p != '\0' && *p != '/')
                p++;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
}

/* A GET row answers HEAD too: http.c runs its handler and MHD sends no body. */
static bool method_matches(const char *row_method, const char *method)
{
    return strcmp(row_method, method) == 0 ||
           (strcmp(row_method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

static bool is_wildcard(const struct route *route)
{
    size_t len = strlen(route->pattern);
    return len > 0 && route->pattern[len - 1] == '*';
}

enum route_match routes_match(const struct route *table, size_t n, const char *method,
                              const char *path, size_t *index, struct str *id, char *allow,
                              size_t allow_size)
{
    allow[0] = '\0';
    size_t allow_len = 0;
    bool other_method = false;
    for (size_t i = 0; i < n; i++) {
        struct str seg_id;
        if (!pattern_matches(table[i].pattern, path, &seg_id))
            continue;
        /* a path a row names for another method is that row's: the wildcard (last)
         * does not answer it */
        if (other_method && is_wildcard(&table[i]))
            continue;
        if (method_matches(table[i].method, method)) {
            *index = i;
            *id = seg_id;
            return ROUTE_FOUND;
        }
        if (is_wildcard(&table[i]))
            continue;
        other_method = true;
        if (strstr(allow, table[i].method) == NULL) {
            bool get = strcmp(table[i].method, "GET") == 0;
            int w = snprintf(allow + allow_len, allow_size - allow_len, "%s%s%s",
                             allow_len > 0 ? ", " : "", table[i].method, get ? ", HEAD" : "");
            if (w > 0 && (size_t)w < allow_size - allow_len)
                allow_len += (size_t)w;
        }
    }
    return other_method ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
