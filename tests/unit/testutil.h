/* testutil.h - what the unit tests share besides check_main.h: reading a fixture whole,
 * a database path of a test's own, and a store connection's SQLite handle for SQL of their
 * own. Linked into every unit-test binary (tests/unit/testutil.c). */
#ifndef LF_TESTUTIL_H
#define LF_TESTUTIL_H

#include <stddef.h>

/* Returns a new copy of the whole file at path with a NUL after its len bytes (caller
 * frees with free or lf_free); fails the running Check test when the file cannot be read.
 * Allocates with malloc, not lf_malloc, so failure injection never reaches it. */
char *testutil_read_fixture(const char *path, size_t *len);

/* A database file path in a new directory of its own under /tmp. */
struct testutil_db {
    char dir[64];
    char path[128];
};

/* Creates the directory, named for suite ("/tmp/lf_SUITE_PID_N"), and sets path to
 * leakfleet.db in it; fails the running Check test when it cannot. */
void testutil_db_init(struct testutil_db *db, const char *suite);

/* Removes the database with its -wal and -shm files, and the directory. */
void testutil_db_release(struct testutil_db *db);

/* The SQLite handle of conn (borrowed), for the tests' own SQL (fixtures, counts, traces):
 * the server reaches SQLite only through the store's statements. Used only by the thread
 * that holds conn. */
struct sqlite3;
struct store_conn;
struct sqlite3 *store_conn_db(struct store_conn *conn);

#endif
