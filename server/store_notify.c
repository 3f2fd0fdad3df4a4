/* store_notify.c - the SQL of the notification queue (notify.c), prepared on every
 * connection: the queue moves in writer jobs, the listings read on the readers. */
#include "store_notify.h"

#define I(sid) [STORE_SID_INDEX(sid)]

static const char *const sql[] = {
    /* ?1 id, ?2 now, ?3 event, ?4 detail: the next entry of the notification's history */
    I(NOTIFY_SQL_EVENT_ADD) =
            "INSERT INTO notification_events (notification_id, seq, ts, event, detail)"
            " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM notification_events"
            " WHERE notification_id = ?1), ?2, ?3, ?4)",
    /* ?1 now, ?2 service, ?3 owner, ?4 location id -> the reason of an active silence */
    I(NOTIFY_SQL_SILENCE_FIND) =
            "SELECT reason FROM silences WHERE expires > ?1"
            " AND (service IS NULL OR service = ?2)"
            " AND (owner IS NULL OR owner = ?3)"
            " AND (function IS NULL OR function = (SELECT function FROM locations WHERE id = ?4))"
            " ORDER BY id LIMIT 1",
    /* ?1 service id, ?2 location id, ?3 owner -> the notification standing for the site */
    I(NOTIFY_SQL_CURRENT_FIND) =
            "SELECT id, state, send_due IS NOT NULL, COALESCE(delivered_at, 0),"
            " COALESCE(reminded_at, 0), COALESCE(snoozed_until, 0), COALESCE(resolved_at, 0),"
            " resolved_manual, resolved_version, send_kind, regression"
            " FROM notifications WHERE service_id = ?1 AND location_id = ?2"
            " AND (owner_manual = 1 OR owner = ?3) ORDER BY owner_manual DESC LIMIT 1",
    /* ?1 id, ?2 state, ?3 send kind, ?4 now: a message a silence holds back; a pending
     * notification keeps its kind (nothing due) for when the silence has ended */
    I(NOTIFY_SQL_WITHHOLD) =
            "UPDATE notifications SET state = ?2, updated = ?4, send_kind = CASE"
            " WHEN send_due IS NULL AND ?2 = 'pending' THEN ?3 ELSE send_kind END WHERE id = ?1",
    /* ?1 id, ?2 state, ?3 send kind, ?4 due, ?5 now */
    I(NOTIFY_SQL_SCHEDULE) =
            "UPDATE notifications SET state = ?2, send_kind = ?3, send_due = ?4, updated = ?5"
            " WHERE id = ?1",
    /* ?1 service id, ?2 location id, ?3 owner, ?4 now, ?5 due, ?6 send kind */
    I(NOTIFY_SQL_INSERT) =
            "INSERT INTO notifications (service_id, location_id, owner, state, created,"
            " updated, send_due, send_kind) VALUES (?1, ?2, ?3, 'pending', ?4, ?4, ?5, ?6)",
    /* ?1 id */
    I(NOTIFY_SQL_UNSCHEDULE) = "UPDATE notifications SET send_due = NULL WHERE id = ?1",
    /* ?1 id */
    I(NOTIFY_SQL_REOPEN) = "UPDATE notifications SET regression = 1, resolved_at = NULL,"
                           " resolved_manual = 0, resolved_version = NULL WHERE id = ?1",
    /* ?1 id, ?2 now */
    I(NOTIFY_SQL_REMINDED) = "UPDATE notifications SET reminded_at = ?2 WHERE id = ?1",
    /* ?1 quiet since -> id, delivered: open notifications whose site went quiet */
    I(NOTIFY_SQL_QUIET) = "SELECT n.id, n.delivered_at IS NOT NULL FROM notifications n"
                          " LEFT JOIN detections d ON d.service_id = n.service_id"
                          " AND d.location_id = n.location_id"
                          " WHERE n.state <> 'resolved' AND COALESCE(d.suspect, 0) = 0"
                          " AND COALESCE(d.last_suspect, n.updated) <= ?1",
    /* ?1 id, ?2 now: resolved, with a resolve message to send */
    I(NOTIFY_SQL_RESOLVE_TELL) =
            "UPDATE notifications SET state = 'resolved', resolved_at = ?2, updated = ?2,"
            " resolved_manual = 0, resolved_version = NULL,"
            " send_kind = 'resolve', send_due = ?2 WHERE id = ?1",
    /* ?1 id, ?2 now: resolved, nothing to send */
    I(NOTIFY_SQL_RESOLVE_QUIETLY) =
            "UPDATE notifications SET state = 'resolved', resolved_at = ?2, updated = ?2,"
            " resolved_manual = 0, resolved_version = NULL,"
            " send_kind = NULL, send_due = NULL WHERE id = ?1",
    /* ?1 id -> the version the notification's service runs now */
    I(NOTIFY_SQL_SERVICE_VERSION) =
            "SELECT COALESCE(sm.version, p.version) FROM notifications n"
            " JOIN instances i ON i.service_id = n.service_id"
            " JOIN profiles p ON p.id = i.latest_profile_id"
            " LEFT JOIN samples sm ON sm.profile_id = p.id AND sm.location_id = n.location_id"
            " WHERE n.id = ?1 AND COALESCE(sm.version, p.version) IS NOT NULL"
            " ORDER BY p.ts DESC, p.id DESC LIMIT 1",
    /* ?1 id -> state */
    I(NOTIFY_SQL_STATE_GET) = "SELECT state FROM notifications WHERE id = ?1",
    /* ?1 id, ?2 actor */
    I(NOTIFY_SQL_ACTOR_SET) = "UPDATE notifications SET actor = ?2 WHERE id = ?1",
    /* ?1 id, ?2 now */
    I(NOTIFY_SQL_ACK) = "UPDATE notifications SET state = 'acknowledged', send_due = NULL,"
                        " send_kind = NULL, updated = ?2 WHERE id = ?1",
    /* ?1 id, ?2 until, ?3 now */
    I(NOTIFY_SQL_SNOOZE) =
            "UPDATE notifications SET state = 'snoozed', snoozed_until = ?2, send_due = NULL,"
            " send_kind = NULL, updated = ?3 WHERE id = ?1",
    /* ?1 id, ?2 now, ?3 version (NULL: none known) */
    I(NOTIFY_SQL_RESOLVE_MANUAL) = "UPDATE notifications SET state = 'resolved', resolved_at = ?2,"
                                   " resolved_manual = 1, resolved_version = ?3, send_due = NULL,"
                                   " send_kind = NULL, updated = ?2 WHERE id = ?1",
    /* ?1 id, ?2 owner, ?3 now */
    I(NOTIFY_SQL_REASSIGN) =
            "UPDATE notifications SET owner = ?2, owner_manual = 1, updated = ?3 WHERE id = ?1",
    /* ?1 service, ?2 function, ?3 owner, ?4 reason, ?5 now, ?6 expires, ?7 actor */
    I(NOTIFY_SQL_SILENCE_ADD) =
            "INSERT INTO silences (service, function, owner, reason, created, expires,"
            " created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* ?1 state (NULL: any), ?2 id (0: any): the listing, one object per row by column name */
    I(NOTIFY_SQL_LIST) =
            "SELECT n.id, s.name AS service, n.location_id, l.function, l.file, l.line, l.op,"
            " n.owner, n.owner_manual, n.state, n.regression, n.created, n.updated, n.attempts,"
            " n.last_error, n.snoozed_until, n.delivered_at, n.resolved_at, n.send_due,"
            " n.send_kind, n.message, d.count, d.growth_per_hour, n.actor, n.resolved_manual,"
            " n.resolved_version, CASE WHEN l.in_repo THEN l.repo_path END AS repo_path"
            " FROM notifications n JOIN services s ON s.id = n.service_id"
            " JOIN locations l ON l.id = n.location_id"
            " LEFT JOIN detections d ON d.service_id = n.service_id"
            " AND d.location_id = n.location_id"
            " WHERE (?1 IS NULL OR n.state = ?1) AND (?2 = 0 OR n.id = ?2)"
            " ORDER BY n.updated DESC, n.id DESC LIMIT 1000",
    /* ?1 id: its history */
    I(NOTIFY_SQL_EVENTS) = "SELECT ts, event, detail FROM notification_events"
                           " WHERE notification_id = ?1 ORDER BY seq",
    /* ?1 now */
    I(NOTIFY_SQL_SILENCES) =
            "SELECT id, service, function, owner, reason, created, expires,"
            " expires > ?1 AS active, created_by FROM silences ORDER BY id DESC LIMIT 1000",
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == STORE_SID_INDEX(NOTIFY_SQL_END),
               "one SQL text per notify statement");

const struct store_table store_notify_table = {
    .name = "notify",
    .sql = sql,
    .n = sizeof(sql) / sizeof(sql[0]),
    .readers = true,
};
