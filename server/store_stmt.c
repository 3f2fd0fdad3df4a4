/* store_stmt.c - preparing the modules' statement tables on each connection and running
 * their statements: bind from a type string, step, read columns. Every SQLite result is
 * checked and its message copied into err at once. */
#include "store_stmt.h"

#include <stdarg.h>

#include "alloc.h"
#include "store_internal.h"

const struct store_table *const store_tables[STORE_N_TABLES] = {
    [STORE_TABLE_NOTIFY] = &store_notify_table,
    [STORE_TABLE_DISPATCH] = &store_dispatch_table,
    [STORE_TABLE_RETENTION] = &store_retention_table,
    [STORE_TABLE_TIMELINE] = &store_timeline_table,
    [STORE_TABLE_ALERTMANAGER] = &store_alertmanager_table,
    [STORE_TABLE_DETECT] = &store_detect_table,
    [STORE_TABLE_QUERY] = &store_query_table,
};

/* ---- preparing ------------------------------------------------------------------------ */

int store_tables_prepare(struct store_conn *conn, bool reader, struct lf_error *err)
{
    for (size_t t = 0; t < STORE_N_TABLES; t++) {
        const struct store_table *table = store_tables[t];
        if (reader && !table->readers)
            continue;
        if (!reader && table->setup != NULL) {
            char *msg = NULL;
            int rc = sqlite3_exec(conn->db, table->setup, NULL, NULL, &msg);
            if (rc != SQLITE_OK) {
                int code = lf_fail(err, store_code_for(rc, LF_EDB), "%s statements: setup: %s",
                                   table->name, msg != NULL ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                return code;
            }
        }
        conn->tables[t] = lf_calloc(table->n, sizeof(*conn->tables[t]));
        if (conn->tables[t] == NULL)
            return lf_fail(err, LF_ENOMEM, "%s statements: out of memory", table->name);
        for (size_t i = 0; i < table->n; i++) {
            if (table->sql[i] == NULL)
                return lf_fail(err, LF_EINTERNAL, "%s statement %zu has no SQL", table->name, i);
            int rc = sqlite3_prepare_v3(conn->db, table->sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                        &conn->tables[t][i], NULL);
            if (rc != SQLITE_OK)
                return lf_fail(err, store_code_for(rc, LF_EDB), "prepare %s statement %zu: %s",
                               table->name, i, sqlite3_errmsg(conn->db));
        }
    }
    return LF_OK;
}

void store_tables_finalize(struct store_conn *conn)
{
    for (size_t t = 0; t < STORE_N_TABLES; t++) {
        if (conn->tables[t] == NULL)
            continue;
        for (size_t i = 0; i < store_tables[t]->n; i++)
            sqlite3_finalize(conn->tables[t][i]);
        lf_free(conn->tables[t]);
        conn->tables[t] = NULL;
    }
}

void store_tables_reset(struct store_conn *conn)
{
    for (size_t t = 0; t < STORE_N_TABLES; t++)
        for (size_t i = 0; conn->tables[t] != NULL && i < store_tables[t]->n; i++)
            sqlite3_reset(conn->tables[t][i]);
}

/* ---- running -------------------------------------------------------------------------- */

int store_db_fail(sqlite3 *db, struct lf_error *err)
{
    int code = sqlite3_errcode(db);
    return lf_fail(err, code == SQLITE_FULL ? LF_EUNAVAIL : LF_EDB, "database: %s",
                   sqlite3_errmsg(db));
}

int store_step_done(sqlite3 *db, sqlite3_stmt *stmt, struct lf_error *err)
{
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    return step == SQLITE_DONE ? LF_OK : store_db_fail(db, err);
}

int store_step_int(sqlite3 *db, sqlite3_stmt *stmt, int64_t *value, bool *found,
                   struct lf_error *err)
{
    *found = false;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *found = true;
        *value = sqlite3_column_int64(stmt, 0);
    } else if (step != SQLITE_DONE) {
        return store_db_fail(db, err);
    }
    return LF_OK;
}

int store_bind_va(sqlite3 *db, sqlite3_stmt *stmt, const char *types, va_list ap,
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
            return lf_fail(err, LF_EINTERNAL, "store: bad type '%c'", types[i]);
        }
        if (rc != SQLITE_OK)
            return store_db_fail(db, err);
    }
    return LF_OK;
}

/* Sets *out to the statement sid of conn, reset, with its arguments bound. */
static int bound(struct store_conn *conn, int sid, sqlite3_stmt **out, struct lf_error *err,
                 const char *types, va_list ap)
{
    *out = NULL;
    int t = STORE_SID_TABLE(sid), i = STORE_SID_INDEX(sid);
    if (t < 0 || t >= STORE_N_TABLES || conn->tables[t] == NULL || i < 0 ||
        (size_t)i >= store_tables[t]->n)
        return lf_fail(err, LF_EINTERNAL, "store: statement %d is not prepared on this connection",
                       sid);
    sqlite3_stmt *stmt = conn->tables[t][i];
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    int rc = store_bind_va(conn->db, stmt, types, ap, err);
    if (rc == LF_OK)
        *out = stmt;
    return rc;
}

/* Runs the statement sid of conn with its arguments: one integer into *value (found or
 * not), or, when value is NULL, to its end. */
static int run_va(struct store_conn *conn, int sid, int64_t *value, bool *found,
                  struct lf_error *err, const char *types, va_list ap)
{
    sqlite3_stmt *stmt;
    int rc = bound(conn, sid, &stmt, err, types, ap);
    if (rc != LF_OK)
        return rc;
    rc = value != NULL ? store_step_int(conn->db, stmt, value, found, err)
                       : store_step_done(conn->db, stmt, err);
    sqlite3_reset(stmt);
    return rc;
}

int store_exec(struct store_conn *conn, int sid, struct lf_error *err, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = run_va(conn, sid, NULL, NULL, err, types, ap);
    va_end(ap);
    return rc;
}

int store_int(struct store_conn *conn, int sid, int64_t *value, bool *found, struct lf_error *err,
              const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = run_va(conn, sid, value, found, err, types, ap);
    va_end(ap);
    return rc;
}

int64_t store_last_insert_id(struct store_conn *conn)
{
    return sqlite3_last_insert_rowid(conn->db);
}

int64_t store_changes(struct store_conn *conn)
{
    return sqlite3_changes64(conn->db);
}

bool store_unique_violation(struct store_conn *conn)
{
    return sqlite3_extended_errcode(conn->db) == SQLITE_CONSTRAINT_UNIQUE;
}

/* ---- reading rows --------------------------------------------------------------------- */

int store_query(struct store_conn *conn, int sid, struct store_rows *rows, struct lf_error *err,
                const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    *rows = (struct store_rows){ .conn = conn, .step = SQLITE_DONE };
    int rc = bound(conn, sid, &rows->stmt, err, types, ap);
    va_end(ap);
    return rc;
}

bool store_row(struct store_rows *rows)
{
    if (rows->stmt == NULL)
        return false;
    rows->step = sqlite3_step(rows->stmt);
    return rows->step == SQLITE_ROW;
}

bool store_rows_failed(const struct store_rows *rows)
{
    return rows->step != SQLITE_DONE && rows->step != SQLITE_ROW;
}

int store_rows_end(struct store_rows *rows, int rc, const char *what, struct lf_error *err)
{
    if (rc == LF_OK && store_rows_failed(rows))
        rc = lf_fail(err, LF_EDB, "%s: %s", what, sqlite3_errmsg(rows->conn->db));
    if (rows->stmt != NULL)
        sqlite3_reset(rows->stmt);
    rows->stmt = NULL;
    return rc;
}

int64_t store_col_int(const struct store_rows *rows, int col)
{
    return sqlite3_column_int64(rows->stmt, col);
}

double store_col_double(const struct store_rows *rows, int col)
{
    return sqlite3_column_double(rows->stmt, col);
}

const char *store_col_text(const struct store_rows *rows, int col)
{
    return (const char *)sqlite3_column_text(rows->stmt, col);
}

size_t store_col_bytes(const struct store_rows *rows, int col)
{
    return (size_t)sqlite3_column_bytes(rows->stmt, col);
}

enum store_type store_col_type(const struct store_rows *rows, int col)
{
    switch (sqlite3_column_type(rows->stmt, col)) {
    case SQLITE_INTEGER:
        return STORE_INTEGER;
    case SQLITE_FLOAT:
        return STORE_FLOAT;
    case SQLITE_TEXT:
        return STORE_TEXT;
    case SQLITE_BLOB:
        return STORE_BLOB;
    default:
        return STORE_NULL;
    }
}

int store_col_count(const struct store_rows *rows)
{
    return sqlite3_column_count(rows->stmt);
}

const char *store_col_name(const struct store_rows *rows, int col)
{
    return sqlite3_column_name(rows->stmt, col);
}
