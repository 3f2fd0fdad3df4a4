/* store_alertmanager.c - the SQL of the alerts posted to Alertmanager (alertmanager.c):
 * read-only, prepared on every connection. */
#include "store_alertmanager.h"

#define I(sid) [STORE_SID_INDEX(sid)]

static const char *const sql[] = {
    /* ?1 closed since, ?2 limit -> id, owner, state, created, updated, service, location
     * id, function, file, line, op, count, growth per hour, since version */
    I(ALERTMANAGER_SQL_ALERTS) =
            "SELECT n.id, n.owner, n.state, n.created, n.updated, s.name, l.id, l.function,"
            " l.file, l.line, l.op, COALESCE(d.count, 0), d.growth_per_hour, d.since_version"
            " FROM notifications n JOIN services s ON s.id = n.service_id"
            " JOIN locations l ON l.id = n.location_id"
            " LEFT JOIN detections d ON d.service_id = n.service_id"
            " AND d.location_id = n.location_id"
            " WHERE n.state IN ('pending', 'delivered', 'unrouted') OR n.updated >= ?1"
            " ORDER BY n.id LIMIT ?2",
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == STORE_SID_INDEX(ALERTMANAGER_SQL_END),
               "one SQL text per alertmanager statement");

const struct store_table store_alertmanager_table = {
    .name = "alertmanager",
    .sql = sql,
    .n = sizeof(sql) / sizeof(sql[0]),
    .readers = true,
};
