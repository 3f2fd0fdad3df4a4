/* store_query.c - the SQL of the read routes (query.c): read-only, prepared on every
 * connection. */
#include "store_query.h"

#define I(sid) [STORE_SID_INDEX(sid)]

static const char *const sql[] = {
    /* ?1 live since (unix s), ?2 service name or NULL. One row per (service, location):
     * the sum over the latest profile of each live instance. */
    I(QUERY_SQL_LEAKS) =
            "SELECT l.id, sv.name, l.function, l.file, l.line, l.op, l.is_channel, "
            "l.in_repo, CASE WHEN l.in_repo THEN coalesce(l.owner, sv.owner) END, sum(sm.count), max(sm.confirmed), "
            "sl.first_seen, sl.last_seen, CASE WHEN l.in_repo THEN l.repo_path END "
            /* CROSS JOIN fixes the order: live instances first (instances_last_push), then
             * the contiguous samples of each one's latest profile; never every location
             * ever seen times every instance */
            "FROM instances i "
            "CROSS JOIN samples sm ON sm.profile_id = i.latest_profile_id "
            "JOIN services sv ON sv.id = i.service_id "
            "JOIN locations l ON l.id = sm.location_id "
            "JOIN service_locations sl ON sl.service_id = i.service_id "
            "AND sl.location_id = sm.location_id "
            "WHERE i.last_push >= ?1 AND (?2 IS NULL OR sv.name = ?2) "
            "GROUP BY i.service_id, l.id ORDER BY 10 DESC, sv.name, l.id",
    /* ?1 id */
    I(QUERY_SQL_LOCATION_GET) =
            "SELECT id, op, function, file, line, is_channel, in_repo, repo_path, owner, "
            "first_seen FROM locations WHERE id = ?1",
    I(QUERY_SQL_LOCATION_STACK) =
            "SELECT function, file, line, created_by FROM stacks WHERE location_id = ?1 "
            "ORDER BY depth",
    /* ?1 function, ?2 file, ?3 id to leave out */
    I(QUERY_SQL_LOCATION_SITES) = "SELECT id, op, line FROM locations WHERE function = ?1 "
                                  "AND file = ?2 AND id <> ?3 ORDER BY line, op",
    /* ?1 location id, ?2 live since: per service, the live count and instances */
    I(QUERY_SQL_LOCATION_SERVICES) =
            "SELECT sv.name, sl.first_seen, sl.last_seen, "
            "(SELECT coalesce(sum(sm.count), 0) FROM instances i JOIN samples sm "
            "ON sm.profile_id = i.latest_profile_id AND sm.location_id = sl.location_id "
            "WHERE i.service_id = sl.service_id AND i.last_push >= ?2), "
            "(SELECT count(*) FROM instances i JOIN samples sm "
            "ON sm.profile_id = i.latest_profile_id AND sm.location_id = sl.location_id "
            "WHERE i.service_id = sl.service_id AND i.last_push >= ?2) "
            "FROM service_locations sl JOIN services sv ON sv.id = sl.service_id "
            "WHERE sl.location_id = ?1 ORDER BY sv.name",
    /* ?1 location id, ?2 from, ?3 to, ?4 service name or NULL, ?5 instance name or NULL:
     * every profile of the services where the location is seen, with its count there (0
     * when absent), in time order (profiles_service_ts per service) */
    I(QUERY_SQL_SERIES) =
            "SELECT p.ts, p.instance_id, coalesce(sm.count, 0) "
            "FROM service_locations sl "
            "JOIN services sv ON sv.id = sl.service_id "
            "JOIN profiles p ON p.service_id = sl.service_id AND p.ts BETWEEN ?2 AND ?3 "
            "LEFT JOIN samples sm ON sm.profile_id = p.id AND sm.location_id = ?1 "
            "WHERE sl.location_id = ?1 AND (?4 IS NULL OR sv.name = ?4) "
            "AND (?5 IS NULL OR p.instance_id IN (SELECT i.id FROM instances i "
            "WHERE i.service_id = sl.service_id AND i.name = ?5)) "
            "ORDER BY p.ts, p.id",
    I(QUERY_SQL_SERVICES) =
            "SELECT sv.name, sv.owner, i.name, i.profiles, i.last_push FROM services sv "
            "LEFT JOIN instances i ON i.service_id = sv.id ORDER BY sv.name, i.name",
    /* ?1 location id, ?2 first hour, ?3 last hour, ?4 service name or NULL: rolled-up
     * hours in which some service where the location is seen had live instances at the
     * hour's end, with the location's value then, summed over those services (0 where
     * their live instances lacked it) */
    I(QUERY_SQL_SERIES_ROLLUPS) =
            "SELECT lv.hour, sum(coalesce(r.end_count, 0)) "
            "FROM service_locations sl "
            "JOIN services sv ON sv.id = sl.service_id "
            "JOIN rollup_live lv ON lv.service_id = sl.service_id AND lv.hour BETWEEN ?2 AND ?3 "
            "LEFT JOIN rollups r ON r.location_id = ?1 AND r.service_id = sl.service_id "
            "AND r.hour = lv.hour "
            "WHERE sl.location_id = ?1 AND (?4 IS NULL OR sv.name = ?4) "
            "GROUP BY lv.hour ORDER BY lv.hour",
    /* every hour before it is rolled up; raw profiles before it may be gone */
    I(QUERY_SQL_ROLLED_UNTIL) = "SELECT rolled_until FROM retention_state WHERE id = 1",
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == STORE_SID_INDEX(QUERY_SQL_END),
               "one SQL text per query statement");

const struct store_table store_query_table = {
    .name = "query",
    .sql = sql,
    .n = sizeof(sql) / sizeof(sql[0]),
    .readers = true,
};
