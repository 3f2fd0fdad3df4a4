/* store_dispatch.h - the named statements of notification delivery (dispatch.c): the due
 * queue it reads on a reader, the outcomes it records in writer jobs. The SQL is in
 * store_dispatch.c. */
#ifndef LF_STORE_DISPATCH_H
#define LF_STORE_DISPATCH_H

#include "store_stmt.h"

enum store_dispatch_sql {
    DISPATCH_SQL_DUE = STORE_SID(STORE_TABLE_DISPATCH, 0),
    DISPATCH_SQL_POSTPONE,
    DISPATCH_SQL_UNROUTED,
    DISPATCH_SQL_DELIVERED,
    DISPATCH_SQL_FAILED,
    DISPATCH_SQL_END,
};

/* The columns of DISPATCH_SQL_DUE. */
enum store_dispatch_due_col {
    DUE_ID,
    DUE_OWNER,
    DUE_ATTEMPTS,
    DUE_KIND,
    DUE_SERVICE,
    DUE_LOCATION_ID,
    DUE_FUNCTION,
    DUE_FILE,
    DUE_LINE,
    DUE_OP,
    DUE_COUNT,
    DUE_GROWTH,
    DUE_SINCE,
    DUE_SINCE_VERSION,
    DUE_REPO_PATH,
    DUE_CULPRIT_FUNCTION,
    DUE_CULPRIT_FILE,
    DUE_CULPRIT_LINE,
};

#endif
