/* store_internal.h - what the store's own files (store*.c) share: the connection and the
 * store themselves, and the mapping of SQLite results to error codes. No other module
 * includes it. */
#ifndef LF_STORE_INTERNAL_H
#define LF_STORE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "error.h"
#include "seen.h"
#include "store.h"
#include "store_stmt.h"

/* The store's own named statements (transactions and the write path), prepared once per
 * connection. The SQL is in store.c. */
enum store_stmt_id {
    STORE_STMT_BEGIN,
    STORE_STMT_COMMIT,
    STORE_STMT_ROLLBACK,
    STORE_STMT_SAVEPOINT,
    STORE_STMT_RELEASE,
    STORE_STMT_ROLLBACK_TO,
    STORE_STMT_SERVICE_UPSERT,
    STORE_STMT_IDEMPOTENT_FIND,
    STORE_STMT_IDEMPOTENT_FIND_BY_NAME,
    STORE_STMT_INSTANCE_FIND,
    STORE_STMT_INSTANCE_INSERT,
    STORE_STMT_INSTANCE_PUSHED,
    STORE_STMT_PROFILE_INSERT,
    STORE_STMT_LOCATION_FIND,
    STORE_STMT_LOCATION_INSERT,
    STORE_STMT_LOCATION_UPDATE,
    STORE_STMT_STACK_EXISTS,
    STORE_STMT_STACK_INSERT,
    STORE_STMT_SERVICE_LOCATION_UPSERT,
    STORE_N_STMTS,
};

/* The prepared statement id on conn, reset and with bindings cleared (borrowed; the
 * caller steps it and need not reset it: the next store_stmt call does). */
sqlite3_stmt *store_stmt(struct store_conn *conn, enum store_stmt_id id);

/* A profile's samples go in by statements of up to 2^5 rows: one statement per row was
 * most of the writer's time spent outside the B-trees. */
#define SAMPLE_ROWS_LOG2_MAX 5

struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[STORE_N_STMTS];
    sqlite3_stmt **tables[STORE_N_TABLES]; /* the modules' statements; NULL: not on this one */
    pthread_mutex_t *shared; /* ":memory:": the store's lock held from BEGIN to the end */
    bool in_transaction;     /* the shared lock is held by this transaction */
    struct store_conn *next_free;
    /* the writer only: rows it knows are stored, cleared on every rollback */
    struct seen *locations; /* identity + attributes -> (id, first_seen) */
    struct seen *sightings; /* (service_id, location_id) -> (first_seen, last_seen) */
    struct seen *services;  /* name NUL owner (absent: no NUL) -> (id, 0) */
    struct seen *instances; /* service_id, name -> (id, 0) */
    /* the writer only: INSERT INTO samples of 1, 2, 4, ... 32 rows, prepared when needed */
    sqlite3_stmt *sample_rows[SAMPLE_ROWS_LOG2_MAX + 1];
};

struct store {
    bool memory;
    int version;
    struct store_conn writer;
    struct store_conn *readers;
    size_t n_readers;
    struct store_conn *free_readers;
    pthread_mutex_t lock; /* the reader pool; with ":memory:", the one connection */
    pthread_cond_t cond;
    bool lock_ready;
};

/* The lf_code of SQLite result sqlite_rc: LF_EUNAVAIL for a full disk, a busy or locked
 * database and a refused write, LF_ENOMEM, else dflt. */
int store_code_for(int sqlite_rc, enum lf_code dflt);

/* Binds the arguments ap described by types (store_stmt.h's letters) to stmt of db. */
int store_bind_va(sqlite3 *db, sqlite3_stmt *stmt, const char *types, va_list ap,
                  struct lf_error *err);

/* db's last error into err as "database: <message>": LF_EUNAVAIL for a full disk, else
 * LF_EDB; returns the code. */
int store_db_fail(sqlite3 *db, struct lf_error *err);

/* Steps stmt of db to its end, passing over any rows: LF_OK, or store_db_fail's code. The
 * caller resets or finalizes stmt. */
int store_step_done(sqlite3 *db, sqlite3_stmt *stmt, struct lf_error *err);

/* Steps stmt of db once: *found true and *value the first column when it gave a row, false
 * at its end; a failed step is store_db_fail's code. The caller resets or finalizes stmt. */
int store_step_int(sqlite3 *db, sqlite3_stmt *stmt, int64_t *value, bool *found,
                   struct lf_error *err);

/* Prepares every table of store_tables on conn (the writer: every table, after each
 * table's setup; a reader: the tables marked readers), and finalizes them. */
int store_tables_prepare(struct store_conn *conn, bool reader, struct lf_error *err);
void store_tables_finalize(struct store_conn *conn);

/* Resets every module statement of conn (a reader going back to the pool). */
void store_tables_reset(struct store_conn *conn);

#endif
