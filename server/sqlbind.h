/* sqlbind.h - one-call prepare, bind and step of SQL text on a raw connection, for the
 * tests' own statements (fixtures, counts). The modules run named statements instead
 * (store_stmt.h). Values are always bound, never formatted into SQL. */
#ifndef LF_SQLBIND_H
#define LF_SQLBIND_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Prepares sql on db and binds the arguments described by types, one letter each:
 * 'i' an int64_t, 'd' a double, 't' a const char * (NULL binds NULL), 'n' NULL (no
 * argument). Returns LF_OK with *out set (caller finalizes), or LF_EDB with err set. */
int sqlbind_prepare(sqlite3 *db, sqlite3_stmt **out, struct lf_error *err, const char *sql,
                    const char *types, ...);

/* Prepares, binds as sqlbind_prepare, steps to the end and finalizes: for statements
 * that return no rows. LF_EUNAVAIL for a full disk, LF_EDB otherwise. */
int sqlbind_exec(sqlite3 *db, struct lf_error *err, const char *sql, const char *types, ...);

/* The first column of the first row as an integer (*found false when no row). */
int sqlbind_int(sqlite3 *db, int64_t *value, bool *found, struct lf_error *err, const char *sql,
                const char *types, ...);

#endif
