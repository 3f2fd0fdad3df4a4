/* store_detect.c - the SQL of the detection pass (detect.c): the candidates, a service's
 * history and a site's stack and first version read on a reader; the verdicts written in
 * one writer job. Prepared on every connection. */
#include "store_detect.h"

#define I(sid) [STORE_SID_INDEX(sid)]

static const char *const sql[] = {
    /* ?1 seen since -> service id, service, location id, op, is channel, in repo, owner
     * (in-repo sites), function, file, line, service owner; the sites the pass judges,
     * by service and location */
    I(DETECT_SQL_CANDIDATES) =
            "SELECT sl.service_id, s.name, sl.location_id, l.op, l.is_channel, l.in_repo,"
            " CASE WHEN l.in_repo THEN COALESCE(l.owner, s.owner) END, l.function, l.file,"
            " l.line, s.owner"
            " FROM service_locations sl"
            " JOIN locations l ON l.id = sl.location_id"
            " JOIN services s ON s.id = sl.service_id"
            " WHERE (l.in_repo = 1 OR l.is_channel = 1 OR l.op IN ('sync.Mutex.Lock',"
            " 'sync.RWMutex.Lock', 'sync.RWMutex.RLock', 'sync.WaitGroup.Wait',"
            " 'sync.Cond.Wait'))"
            " AND sl.last_seen >= ?1"
            " ORDER BY sl.service_id, sl.location_id",
    /* ?1 service id, ?2 history from, ?3 window from, ?4 thinning, ?5..?6 location ids,
     * ?7..?8 the window's hours a day before -> profile id, instance id, ts, goroutines,
     * instance's last push, busy (-1: none), started (0: none), version, instance name,
     * location id, count, confirmed: every profile of the history once (in the window and
     * in [?7, ?8] all, elsewhere one minute in ?4), with its samples at locations in
     * [?5, ?6] (none: one row of NULLs), in no order */
    I(DETECT_SQL_HISTORY) = "SELECT p.id, p.instance_id, p.ts, p.goroutines, i.last_push,"
                            " COALESCE(p.busy, -1), COALESCE(p.started, 0), p.version, i.name,"
                            " sm.location_id, sm.count, sm.confirmed"
                            " FROM profiles p JOIN instances i ON i.id = p.instance_id"
                            " LEFT JOIN samples sm ON sm.profile_id = p.id"
                            " AND sm.location_id BETWEEN ?5 AND ?6"
                            " WHERE p.service_id = ?1 AND p.ts >= ?2"
                            " AND (p.ts >= ?3 OR p.ts BETWEEN ?7 AND ?8 OR p.ts / 60 % ?4 = 0)",
    /* ?1 service id, ?2 location id, ?3 since -> the version at the earliest sample of
     * the site at or after its growth began */
    I(DETECT_SQL_SINCE_VERSION) =
            "SELECT COALESCE(sm.version, p.version) FROM profiles p"
            " LEFT JOIN samples sm ON sm.profile_id = p.id AND sm.location_id = ?2"
            " WHERE p.service_id = ?1 AND p.ts >= ?3"
            " AND COALESCE(sm.version, p.version) IS NOT NULL"
            " ORDER BY p.ts, p.id LIMIT 1",
    /* ?1 location id -> function, file, line of each frame of its stack, by depth */
    I(DETECT_SQL_STACK) =
            "SELECT function, file, line FROM stacks WHERE location_id = ?1 ORDER BY depth",
    /* ?1 service id, ?2 location id, ?3 count, ?4 growth per hour, ?5 p value, ?6 growing,
     * ?7 confirmed, ?8 suspect, ?9 suppressed, ?10 since (0: none), ?11 segments,
     * ?12 samples, ?13 now, ?14 since version, ?15 reason, ?16 instances (JSON),
     * ?17 culprit function, ?18 culprit file, ?19 culprit line (with a function),
     * ?20 culprit owner, ?21 whether ?4 and ?5 hold a growth */
    I(DETECT_SQL_UPSERT) =
            "INSERT INTO detections (service_id, location_id, count, growth_per_hour, p_value,"
            " growing, confirmed, suspect, suppressed, since, segments, samples, first_suspect,"
            " last_suspect, updated, since_version, reason, instances, culprit_function,"
            " culprit_file, culprit_line, culprit_owner)"
            " VALUES (?1, ?2, ?3, CASE WHEN ?21 THEN ?4 END, CASE WHEN ?21 THEN ?5 END, ?6, ?7, ?8,"
            " ?9, NULLIF(?10, 0), ?11, ?12,"
            " CASE WHEN ?8 THEN ?13 END, CASE WHEN ?8 THEN ?13 END, ?13, ?14, ?15, ?16, ?17, ?18,"
            " CASE WHEN ?17 IS NOT NULL THEN ?19 END, ?20)"
            " ON CONFLICT (service_id, location_id) DO UPDATE SET count = excluded.count,"
            " growth_per_hour = excluded.growth_per_hour, p_value = excluded.p_value,"
            " growing = excluded.growing, confirmed = excluded.confirmed,"
            " suspect = excluded.suspect, suppressed = excluded.suppressed,"
            " since = excluded.since, since_version = excluded.since_version,"
            " segments = excluded.segments, samples = excluded.samples,"
            " reason = excluded.reason, instances = excluded.instances,"
            " culprit_function = excluded.culprit_function, culprit_file = excluded.culprit_file,"
            " culprit_line = excluded.culprit_line, culprit_owner = excluded.culprit_owner,"
            " first_suspect = COALESCE(detections.first_suspect, excluded.first_suspect),"
            " last_suspect = COALESCE(excluded.last_suspect, detections.last_suspect),"
            " updated = excluded.updated",
    /* ?1 now: the verdicts of sites this pass did not judge */
    I(DETECT_SQL_DELETE_STALE) = "DELETE FROM detections WHERE updated <> ?1",
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == STORE_SID_INDEX(DETECT_SQL_END),
               "one SQL text per detect statement");

const struct store_table store_detect_table = {
    .name = "detect",
    .sql = sql,
    .n = sizeof(sql) / sizeof(sql[0]),
    .readers = true,
};
