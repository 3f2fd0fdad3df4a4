/* store_stmt.h - the named statements of the modules that keep or read rows (notify,
 * dispatch, retention, timeline, alertmanager, query, detect), run with plain C values. Each
 * module's SQL is a table in store_<module>.c, prepared once by store_open on the connections
 * that run it, so a statement that does not prepare fails the open, not a request. A module
 * names a statement by its id, binds from a type string and reads rows through a cursor: it
 * sees neither SQL nor SQLite. */
#ifndef LF_STORE_STMT_H
#define LF_STORE_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

/* The statement tables, one per module. */
enum store_table_id {
    STORE_TABLE_NOTIFY,
    STORE_TABLE_DISPATCH,
    STORE_TABLE_RETENTION,
    STORE_TABLE_TIMELINE,
    STORE_TABLE_ALERTMANAGER,
    STORE_TABLE_DETECT,
    STORE_TABLE_QUERY,
    STORE_N_TABLES,
};

/* A statement id: its table and its index in the table. */
#define STORE_SID(table, index) ((int)(table)*256 + (index))
#define STORE_SID_TABLE(sid)    ((sid) / 256)
#define STORE_SID_INDEX(sid)    ((sid) % 256)

/* One module's statements. */
struct store_table {
    const char *name;
    const char *const *sql; /* indexed by STORE_SID_INDEX; every entry set */
    size_t n;
    bool readers;      /* prepared on the read connections too; always on the writer */
    const char *setup; /* run on the writer before it prepares (TEMP tables); NULL: none */
};

/* Every table, indexed by enum store_table_id (store_<module>.c). */
extern const struct store_table store_notify_table;
extern const struct store_table store_dispatch_table;
extern const struct store_table store_retention_table;
extern const struct store_table store_timeline_table;
extern const struct store_table store_alertmanager_table;
extern const struct store_table store_detect_table;
extern const struct store_table store_query_table;
extern const struct store_table *const store_tables[STORE_N_TABLES];

/* Binding: types has one letter per parameter ?1, ?2, ...: 'i' an int64_t, 'd' a double,
 * 't' a const char * (NULL binds NULL), 'n' NULL (no argument). */

/* Runs statement sid on conn to its end: for statements that return no rows. LF_EUNAVAIL
 * for a full disk, LF_EDB otherwise (message "database: ..."). */
int store_exec(struct store_conn *conn, int sid, struct lf_error *err, const char *types, ...);

/* The first column of the first row as an integer (*found false when there is no row). */
int store_int(struct store_conn *conn, int sid, int64_t *value, bool *found, struct lf_error *err,
              const char *types, ...);

/* The rowid of the last INSERT on conn, and the rows the last INSERT, UPDATE or DELETE
 * changed. */
int64_t store_last_insert_id(struct store_conn *conn);
int64_t store_changes(struct store_conn *conn);

/* Whether the last failure on conn was a UNIQUE constraint. */
bool store_unique_violation(struct store_conn *conn);

/* ---- reading rows --------------------------------------------------------------------- */

/* A statement being stepped. Read it only between store_row and store_rows_end. */
struct store_rows {
    struct store_conn *conn;
    struct sqlite3_stmt *stmt;
    int step; /* the last step's SQLite result */
};

enum store_type { STORE_NULL, STORE_INTEGER, STORE_FLOAT, STORE_TEXT, STORE_BLOB };

/* Binds statement sid on conn for reading into *rows. LF_OK, or LF_EDB / LF_EINTERNAL with
 * err set (rows then reads nothing; store_rows_end is still safe). */
int store_query(struct store_conn *conn, int sid, struct store_rows *rows, struct lf_error *err,
                const char *types, ...);

/* Steps to the next row: true when there is one. */
bool store_row(struct store_rows *rows);

/* Whether the last step of rows failed (neither a row nor the end). */
bool store_rows_failed(const struct store_rows *rows);

/* Ends the reading (resets the statement; stopping before the last row is fine) and
 * returns rc, or, when rc is LF_OK and a step failed, LF_EDB with "what: <message>". */
int store_rows_end(struct store_rows *rows, int rc, const char *what, struct lf_error *err);

/* Columns of the current row (col from 0). store_col_text is NULL for SQL NULL; its
 * bytes stay valid until the next step. */
int64_t store_col_int(const struct store_rows *rows, int col);
double store_col_double(const struct store_rows *rows, int col);
const char *store_col_text(const struct store_rows *rows, int col);
size_t store_col_bytes(const struct store_rows *rows, int col);
enum store_type store_col_type(const struct store_rows *rows, int col);
int store_col_count(const struct store_rows *rows);
const char *store_col_name(const struct store_rows *rows, int col);

#endif
