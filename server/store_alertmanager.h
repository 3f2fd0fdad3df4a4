/* store_alertmanager.h - the named statement of the alerts posted to Alertmanager
 * (alertmanager.c), read on a reader. The SQL is in store_alertmanager.c. */
#ifndef LF_STORE_ALERTMANAGER_H
#define LF_STORE_ALERTMANAGER_H

#include "store_stmt.h"

enum store_alertmanager_sql {
    ALERTMANAGER_SQL_ALERTS = STORE_SID(STORE_TABLE_ALERTMANAGER, 0),
    ALERTMANAGER_SQL_END,
};

#endif
