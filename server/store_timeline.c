/* store_timeline.c - the SQL of a service's timeline (timeline.c): read-only, prepared
 * on every connection. */
#include "store_timeline.h"

#define I(sid) [STORE_SID_INDEX(sid)]

static const char *const sql[] = {
    /* ?1 name -> id */
    I(TIMELINE_SQL_SERVICE_ID) = "SELECT id FROM services WHERE name = ?1",
    /* ?1 service id -> its instances */
    I(TIMELINE_SQL_INSTANCES) = "SELECT COUNT(*) FROM instances WHERE service_id = ?1",
    /* ?1 service id, ?2 limit -> instance id, ts of its latest pushes */
    I(TIMELINE_SQL_PUSHES) = "SELECT instance_id, ts FROM profiles WHERE service_id = ?1"
                             " ORDER BY ts DESC LIMIT ?2",
    /* ?1 service id, ?2 from, ?3 to, ?4 limit -> ts, instance, version, previous version,
     * restart (the same version started again) */
    I(TIMELINE_SQL_EVENTS) =
            "SELECT ts, instance, version, previous, started IS NOT previous_started"
            " AND version IS previous FROM ("
            "  SELECT p.ts, i.name AS instance, p.version, p.started,"
            "   LAG(p.version) OVER w AS previous, LAG(p.started) OVER w AS previous_started,"
            "   ROW_NUMBER() OVER w AS n"
            "  FROM profiles p JOIN instances i ON i.id = p.instance_id"
            "  WHERE p.service_id = ?1 AND p.ts >= ?2 AND p.ts <= ?3"
            "  WINDOW w AS (PARTITION BY p.instance_id ORDER BY p.ts, p.id))"
            " WHERE n > 1 AND (version IS NOT previous"
            "  OR (started IS NOT NULL AND started IS NOT previous_started))"
            " ORDER BY ts, instance LIMIT ?4",
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == STORE_SID_INDEX(TIMELINE_SQL_END),
               "one SQL text per timeline statement");

const struct store_table store_timeline_table = {
    .name = "timeline",
    .sql = sql,
    .n = sizeof(sql) / sizeof(sql[0]),
    .readers = true,
};
