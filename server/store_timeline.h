/* store_timeline.h - the named statements of a service's timeline (timeline.c), read on
 * a reader. The SQL is in store_timeline.c. */
#ifndef LF_STORE_TIMELINE_H
#define LF_STORE_TIMELINE_H

#include "store_stmt.h"

enum store_timeline_sql {
    TIMELINE_SQL_SERVICE_ID = STORE_SID(STORE_TABLE_TIMELINE, 0),
    TIMELINE_SQL_INSTANCES,
    TIMELINE_SQL_PUSHES,
    TIMELINE_SQL_EVENTS,
    TIMELINE_SQL_END,
};

#endif
