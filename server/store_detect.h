/* store_detect.h - the named statements of the detection pass (detect.c): its reads on a
 * reader, its one write in a writer job. The SQL and what each binds and returns are in
 * store_detect.c. */
#ifndef LF_STORE_DETECT_H
#define LF_STORE_DETECT_H

#include "store_stmt.h"

enum store_detect_sql {
    DETECT_SQL_CANDIDATES = STORE_SID(STORE_TABLE_DETECT, 0),
    DETECT_SQL_HISTORY,
    DETECT_SQL_SINCE_VERSION,
    DETECT_SQL_STACK,
    DETECT_SQL_UPSERT,
    DETECT_SQL_DELETE_STALE,
    DETECT_SQL_END,
};

#endif
