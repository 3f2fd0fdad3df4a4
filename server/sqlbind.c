/* sqlbind.c - prepare, bind from a type string, step. Every SQLite result is checked and
 * the message copied into err at once. */
#include "sqlbind.h"

#include <stdarg.h>
#include <stdbool.h>

static int fail(sqlite3 *db, struct lf_error *err)
{
    int code = sqlite3_errcode(db);
    return lf_fail(err, code == SQLITE_FULL ? LF_EUNAVAIL : LF_EDB, "database: %s",
                   sqlite3_errmsg(db));
}

static int bind_args(sqlite3 *db, sqlite3_stmt *stmt, const char *types, va_list ap,
                     struct lf_error *err)
{
    for (int i = 0; types && types[i]; i++) {
        int rc = SQLITE_OK;
        switch (types[i]) {
        case 'i':
            rc = sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
            break;
        case 'd':
            rc = sqlite3_bind_double(stmt, i + 1, va_arg(ap, double));
            break;
        case 't': {
            const char *text = va_arg(ap, const char *);
            rc = text ? sqlite3_bind_text(stmt, i + 1, text, -1, SQLITE_TRANSIENT)
                      : sqlite3_bind_null(stmt, i + 1);
            break;
        }
        case 'n':
            rc = sqlite3_bind_null(stmt, i + 1);
            break;
        default:
            return lf_fail(err, LF_EINTERNAL, "sqlbind: bad type '%c'", types[i]);
        }
        if (rc != SQLITE_OK)
            return fail(db, err);
    }
    return LF_OK;
}

static int prepare_va(sqlite3 *db, sqlite3_stmt **out, struct lf_error *err, const char *sql,
                      const char *types, va_list ap)
{
    *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK)
        return fail(db, err);
    int rc = bind_args(db, *out, types, ap, err);
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

int sqlbind_exec(sqlite3 *db, struct lf_error *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *stmt;
    va_list ap;
    va_start(ap, types);
    int rc = prepare_va(db, &stmt, err, sql, types, ap);
    va_end(ap);
    if (rc != LF_OK)
        return rc;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (step != SQLITE_DONE)
        rc = fail(db, err);
    sqlite3_finalize(stmt);
    return rc;
}

int sqlbind_int(sqlite3 *db, int64_t *value, bool *found, struct lf_error *err, const char *sql,
                const char *types, ...)
{
    sqlite3_stmt *stmt;
    va_list ap;
    va_start(ap, types);
    int rc = prepare_va(db, &stmt, err, sql, types, ap);
    va_end(ap);
    if (rc != LF_OK)
        return rc;
    *found = false;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *found = true;
        *value = sqlite3_column_int64(stmt, 0);
    } else if (step != SQLITE_DONE) {
        rc = fail(db, err);
    }
    sqlite3_finalize(stmt);
    return rc;
}
