/* store_retention.c - the SQL of rollups and deletion (retention.c). Prepared on the
 * write connection only, after its two TEMP work tables exist. */
#include "store_retention.h"

#define I(sid) [STORE_SID_INDEX(sid)]

static const char setup[] =
        "CREATE TEMP TABLE IF NOT EXISTS retention_ends (hour INTEGER NOT NULL,"
        " service_id INTEGER NOT NULL, profile_id INTEGER NOT NULL);"
        "CREATE TEMP TABLE IF NOT EXISTS retention_doomed (id INTEGER PRIMARY KEY);";

static const char *const sql[] = {
    /* every hour before it is rolled up */
    I(RETENTION_SQL_ROLLED_UNTIL) = "SELECT rolled_until FROM retention_state WHERE id = 1",
    I(RETENTION_SQL_OLDEST) = "SELECT MIN(ts) FROM profiles",
    /* ?1 rolled until */
    I(RETENTION_SQL_ROLLED_SET) = "UPDATE retention_state SET rolled_until = ?1",
    /* ?1 from, ?2 until: each hour's max, mean and samples per location and service */
    I(RETENTION_SQL_ROLLUP_HOURS) =
            "INSERT INTO rollups (service_id, location_id, hour, max_count, mean_count, samples)"
            " SELECT service_id, location_id, hour, SUM(mx), SUM(av), SUM(n) FROM ("
            "  SELECT p.service_id, s.location_id, p.ts / 3600 * 3600 AS hour, p.instance_id,"
            "   MAX(s.count) AS mx, AVG(s.count) AS av, COUNT(*) AS n"
            "  FROM profiles p JOIN samples s ON s.profile_id = p.id"
            "  WHERE p.ts >= ?1 AND p.ts < ?2"
            "  GROUP BY p.service_id, s.location_id, hour, p.instance_id)"
            " GROUP BY service_id, location_id, hour"
            " ON CONFLICT (location_id, service_id, hour) DO UPDATE SET"
            "  max_count = max(rollups.max_count, excluded.max_count),"
            "  mean_count = excluded.mean_count, samples = rollups.samples + excluded.samples",
    I(RETENTION_SQL_ENDS_CLEAR) = "DELETE FROM retention_ends",
    /* ?1 from, ?2 until, ?3 window: each instance's latest profile at each hour's end */
    I(RETENTION_SQL_ENDS_FILL) = "INSERT INTO retention_ends (hour, service_id, profile_id)"
                                 " WITH RECURSIVE hours(hour) AS (SELECT ?1 UNION ALL"
                                 "  SELECT hour + 3600 FROM hours WHERE hour + 3600 < ?2)"
                                 " SELECT hour, service_id, id FROM ("
                                 "  SELECT h.hour AS hour, p.service_id AS service_id, p.id AS id,"
                                 "   row_number() OVER (PARTITION BY h.hour, p.instance_id"
                                 "    ORDER BY p.ts DESC, p.id DESC) AS n"
                                 "  FROM hours h JOIN profiles p"
                                 "   ON p.ts BETWEEN h.hour + 3599 - ?3 AND h.hour + 3599)"
                                 " WHERE n = 1",
    I(RETENTION_SQL_ENDS_LIVE) =
            "INSERT INTO rollup_live (service_id, hour, instances)"
            " SELECT service_id, hour, COUNT(*) FROM retention_ends GROUP BY service_id, hour"
            " ON CONFLICT (service_id, hour) DO UPDATE SET instances = excluded.instances",
    I(RETENTION_SQL_ENDS_COUNT) =
            "INSERT INTO rollups (service_id, location_id, hour, max_count, mean_count,"
            "  samples, end_count)"
            " SELECT e.service_id, s.location_id, e.hour, 0, 0, 0, SUM(s.count)"
            " FROM retention_ends e JOIN samples s ON s.profile_id = e.profile_id"
            " GROUP BY e.service_id, s.location_id, e.hour"
            " ON CONFLICT (location_id, service_id, hour) DO UPDATE SET"
            "  end_count = excluded.end_count",
    /* ?1 from, ?2 until */
    I(RETENTION_SQL_ENDS_ZERO) = "UPDATE rollups SET end_count = 0"
                                 " WHERE hour >= ?1 AND hour < ?2 AND end_count IS NULL",
    I(RETENTION_SQL_DOOMED_CLEAR) = "DELETE FROM retention_doomed",
    /* ?1 before, ?2 batch: never an instance's latest profile */
    I(RETENTION_SQL_DOOMED_FILL) =
            "INSERT INTO retention_doomed (id) SELECT id FROM profiles WHERE ts < ?1"
            " AND id NOT IN (SELECT latest_profile_id FROM instances"
            "  WHERE latest_profile_id IS NOT NULL)"
            " ORDER BY ts LIMIT ?2",
    /* driven from the doomed ids (CROSS JOIN fixes the order): no index reads profiles by
     * instance */
    I(RETENTION_SQL_DOOMED_UNCOUNT) =
            "UPDATE instances SET profiles = profiles - gone.n FROM"
            " (SELECT p.instance_id AS instance_id, COUNT(*) AS n"
            "  FROM retention_doomed d CROSS JOIN profiles p ON p.id = d.id"
            "  GROUP BY p.instance_id) AS gone"
            " WHERE instances.id = gone.instance_id",
    /* samples first, by hand: the writer's connection does not cascade */
    I(RETENTION_SQL_DOOMED_SAMPLES) =
            "DELETE FROM samples WHERE profile_id IN (SELECT id FROM retention_doomed)",
    I(RETENTION_SQL_DOOMED_PROFILES) =
            "DELETE FROM profiles WHERE id IN (SELECT id FROM retention_doomed)",
    /* ?1 before, ?2 batch */
    I(RETENTION_SQL_ROLLUPS_DELETE) =
            "DELETE FROM rollups WHERE (location_id, service_id, hour) IN"
            " (SELECT location_id, service_id, hour FROM rollups WHERE hour < ?1 LIMIT ?2)",
    /* ?1 before, ?2 batch */
    I(RETENTION_SQL_LIVE_DELETE) =
            "DELETE FROM rollup_live WHERE (service_id, hour) IN"
            " (SELECT service_id, hour FROM rollup_live WHERE hour < ?1 LIMIT ?2)",
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == STORE_SID_INDEX(RETENTION_SQL_END),
               "one SQL text per retention statement");

const struct store_table store_retention_table = {
    .name = "retention",
    .sql = sql,
    .n = sizeof(sql) / sizeof(sql[0]),
    .readers = false,
    .setup = setup,
};
