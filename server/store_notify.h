/* store_notify.h - the named statements of the notification queue (notify.c; dispatch.c
 * records its outcomes with NOTIFY_SQL_EVENT_ADD). The SQL and what each binds and returns
 * are in store_notify.c. */
#ifndef LF_STORE_NOTIFY_H
#define LF_STORE_NOTIFY_H

#include "store_stmt.h"

enum store_notify_sql {
    NOTIFY_SQL_EVENT_ADD = STORE_SID(STORE_TABLE_NOTIFY, 0),
    NOTIFY_SQL_SILENCE_FIND,
    NOTIFY_SQL_CURRENT_FIND,
    NOTIFY_SQL_STATE_SET,
    NOTIFY_SQL_SCHEDULE,
    NOTIFY_SQL_INSERT,
    NOTIFY_SQL_UNSCHEDULE,
    NOTIFY_SQL_REOPEN,
    NOTIFY_SQL_REMINDED,
    NOTIFY_SQL_QUIET,
    NOTIFY_SQL_RESOLVE_TELL,
    NOTIFY_SQL_RESOLVE_QUIETLY,
    NOTIFY_SQL_SERVICE_VERSION,
    NOTIFY_SQL_STATE_GET,
    NOTIFY_SQL_ACTOR_SET,
    NOTIFY_SQL_ACK,
    NOTIFY_SQL_SNOOZE,
    NOTIFY_SQL_RESOLVE_MANUAL,
    NOTIFY_SQL_REASSIGN,
    NOTIFY_SQL_SILENCE_ADD,
    NOTIFY_SQL_LIST,
    NOTIFY_SQL_EVENTS,
    NOTIFY_SQL_SILENCES,
    NOTIFY_SQL_END,
};

#endif
