/* store_query.h - the named statements of the read routes (query.c: the inventory, a
 * location, a series, the services), read on a reader. The SQL is in store_query.c. */
#ifndef LF_STORE_QUERY_H
#define LF_STORE_QUERY_H

#include "store_stmt.h"

enum store_query_sql {
    QUERY_SQL_LEAKS = STORE_SID(STORE_TABLE_QUERY, 0),
    QUERY_SQL_LOCATION_GET,
    QUERY_SQL_LOCATION_STACK,
    QUERY_SQL_LOCATION_SITES,
    QUERY_SQL_LOCATION_SERVICES,
    QUERY_SQL_SERIES,
    QUERY_SQL_SERVICES,
    QUERY_SQL_SERIES_ROLLUPS,
    QUERY_SQL_ROLLED_UNTIL,
    QUERY_SQL_END,
};

#endif
