/* store_dispatch.c - the SQL of notification delivery (dispatch.c), prepared on every
 * connection: the due queue is read on a reader, outcomes are written by the writer. */
#include "store_dispatch.h"

#define I(sid) [STORE_SID_INDEX(sid)]

static const char *const sql[] = {
    /* ?1 now, ?2 limit -> the due notifications with their finding (store_dispatch_due_col) */
    I(DISPATCH_SQL_DUE) =
            "SELECT n.id, n.owner, n.attempts, COALESCE(n.send_kind, 'new'), s.name, l.id,"
            " l.function, l.file, l.line, l.op, COALESCE(d.count, 0), d.growth_per_hour,"
            " d.since, d.since_version, l.repo_path, d.culprit_function, d.culprit_file,"
            " d.culprit_line"
            " FROM notifications n JOIN services s ON s.id = n.service_id"
            " JOIN locations l ON l.id = n.location_id"
            " LEFT JOIN detections d ON d.service_id = n.service_id"
            " AND d.location_id = n.location_id"
            " WHERE n.send_due IS NOT NULL AND n.send_due <= ?1"
            " ORDER BY n.owner, n.id LIMIT ?2",
    /* ?1 id, ?2 retry at: rate-limited */
    I(DISPATCH_SQL_POSTPONE) = "UPDATE notifications SET send_due = ?2 WHERE id = ?1",
    /* ?1 id, ?2 now, ?3 message: no route, written to the log */
    I(DISPATCH_SQL_UNROUTED) =
            "UPDATE notifications SET attempts = attempts + 1, last_error = NULL,"
            " delivered_at = ?2, updated = ?2, send_due = NULL, send_kind = NULL,"
            " message = ?3,"
            " state = CASE WHEN state IN ('pending', 'delivered') THEN 'unrouted'"
            " ELSE state END"
            " WHERE id = ?1",
    /* ?1 id, ?2 now, ?3 message */
    I(DISPATCH_SQL_DELIVERED) =
            "UPDATE notifications SET attempts = attempts + 1, last_error = NULL,"
            " delivered_at = ?2, updated = ?2, send_due = NULL, send_kind = NULL,"
            " message = ?3,"
            " state = CASE WHEN state IN ('pending', 'unrouted') THEN 'delivered'"
            " ELSE state END"
            " WHERE id = ?1",
    /* ?1 id, ?2 error, ?3 retry at, ?4 now (in parentheses: clang -Wstring-concatenation
     * takes two literals in a row in an initializer list for a missing comma) */
    I(DISPATCH_SQL_FAILED) = ("UPDATE notifications SET attempts = attempts + 1, last_error = ?2,"
                              " send_due = ?3, updated = ?4 WHERE id = ?1"),
};

_Static_assert(sizeof(sql) / sizeof(sql[0]) == STORE_SID_INDEX(DISPATCH_SQL_END),
               "one SQL text per dispatch statement");

const struct store_table store_dispatch_table = {
    .name = "dispatch",
    .sql = sql,
    .n = sizeof(sql) / sizeof(sql[0]),
    .readers = true,
};
