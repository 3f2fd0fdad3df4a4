/* sqlbind.c - prepare, bind from a type string, step. Every SQLite result is checked and
 * the message copied into err at once. */
#include "sqlbind.h"

#include "store_internal.h"

#include <stdarg.h>
#include <stdbool.h>

static int prepare_va(sqlite3 *db, sqlite3_stmt **out, struct lf_error *err, const char *sql,
                      const char *types, va_list ap)
{
    *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK)
        return store_db_fail(db, err);
    int rc = store_bind_va(db, *out, types, ap, err);
    if (rc != LF_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
    }
    return rc;
}

int sqlbind_prepare(sqlite3 *db, sqlite3_stmt **out, struct lf_error *err, const char *sql,
                    const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = prepare_va(db, out, err, sql, types, ap);
    va_end(ap);
    return rc;
}

/* Prepares sql with its arguments and runs it: one integer into *value (found or not),
 * or, when value is NULL, to its end. */
static int run_va(sqlite3 *db, int64_t *value, bool *found, struct lf_error *err, const char *sql,
                  const char *types, va_list ap)
{
    sqlite3_stmt *stmt;
    int rc = prepare_va(db, &stmt, err, sql, types, ap);
    if (rc != LF_OK)
        return rc;
    rc = value != NULL ? store_step_int(db, stmt, value, found, err)
                       : store_step_done(db, stmt, err);
    sqlite3_finalize(stmt);
    return rc;
}

int sqlbind_exec(sqlite3 *db, struct lf_error *err, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = run_va(db, NULL, NULL, err, sql, types, ap);
    va_end(ap);
    return rc;
}

int sqlbind_int(sqlite3 *db, int64_t *value, bool *found, struct lf_error *err, const char *sql,
                const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = run_va(db, value, found, err, sql, types, ap);
    va_end(ap);
    return rc;
}
