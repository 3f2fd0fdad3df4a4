/* store.c - the SQLite database: pragmas, migrations from the embedded schema, the table
 * of named statements, the reader pool and the transactions. Writing a profile is
 * store_write.c's, the modules' statement tables store_stmt.c's. It decides no
 * transaction boundaries (writer.c does) and formats no JSON (query.c does).
 * Durability: WAL with synchronous=FULL by default, so a COMMIT that returned is on disk
 * even after power loss; the writer's group commit pays the one fsync per batch, not per
 * push, which is what makes FULL affordable. synchronous=NORMAL survives kill -9 too
 * (the WAL is in the OS cache) but may lose the last commits on power loss. */
#include "store.h"
#include "store_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "alloc.h"
#include "embedded.h"
#include "log.h"
#include "seen.h"

#define SEEN_MAX 65536

/* ---- the statements ------------------------------------------------------------------- */

static const char *const stmt_sql[STORE_N_STMTS] = {
    [STORE_STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STORE_STMT_COMMIT] = "COMMIT",
    [STORE_STMT_ROLLBACK] = "ROLLBACK",
    [STORE_STMT_SAVEPOINT] = "SAVEPOINT job",
    [STORE_STMT_RELEASE] = "RELEASE job",
    [STORE_STMT_ROLLBACK_TO] = "ROLLBACK TO job",

    /* ?1 name, ?2 owner (NULL keeps the stored one), ?3 now */
    [STORE_STMT_SERVICE_UPSERT] =
            "INSERT INTO services(name, owner, first_seen) VALUES (?1, ?2, ?3) "
            "ON CONFLICT(name) DO UPDATE SET owner = coalesce(excluded.owner, owner) "
            "RETURNING id",
    /* ?1 service_id, ?2 key */
    [STORE_STMT_IDEMPOTENT_FIND] = "SELECT id, goroutines, locations, request_hash FROM profiles "
                                   "WHERE service_id = ?1 AND idempotency_key = ?2",
    /* ?1 service name, ?2 key */
    [STORE_STMT_IDEMPOTENT_FIND_BY_NAME] =
            "SELECT p.id, p.goroutines, p.locations, p.request_hash FROM profiles p "
            "JOIN services s ON s.id = p.service_id "
            "WHERE s.name = ?1 AND p.idempotency_key = ?2",
    /* ?1 service_id, ?2 name */
    [STORE_STMT_INSTANCE_FIND] = "SELECT id FROM instances WHERE service_id = ?1 AND name = ?2",
    /* ?1 service_id, ?2 name, ?3 received; INSTANCE_PUSHED then counts its first push */
    [STORE_STMT_INSTANCE_INSERT] =
            "INSERT INTO instances(service_id, name, first_seen, last_push, profiles) "
            "VALUES (?1, ?2, ?3, ?3, 0)",
    /* ?1 instance_id, ?2 received, ?3 profile_id, ?4 ts: one more profile, liveness, and
     * a newer (or equally recent) profile becomes the latest */
    [STORE_STMT_INSTANCE_PUSHED] =
            "UPDATE instances SET last_push = max(last_push, ?2), profiles = profiles + 1, "
            "latest_profile_id = CASE WHEN latest_ts IS NULL OR latest_ts <= ?4 THEN ?3 "
            "ELSE latest_profile_id END, "
            "latest_ts = CASE WHEN latest_ts IS NULL OR latest_ts <= ?4 THEN ?4 "
            "ELSE latest_ts END WHERE id = ?1",
    /* ?1 service_id, ?2 instance_id, ?3 ts, ?4 received, ?5 format, ?6 goroutines,
     * ?7 locations, ?8 key or NULL, ?9 version or NULL, ?10 started or NULL, ?11 busy,
     * ?12 request hash or NULL */
    [STORE_STMT_PROFILE_INSERT] =
            "INSERT INTO profiles(service_id, instance_id, ts, received, format, goroutines, "
            "locations, idempotency_key, version, started, busy, request_hash) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    /* ?1 function, ?2 file, ?3 line, ?4 op */
    [STORE_STMT_LOCATION_FIND] =
            "SELECT id, is_channel, in_repo, repo_path, owner, first_seen FROM locations "
            "WHERE function = ?1 AND file = ?2 AND line = ?3 AND op = ?4",
    /* ?1 function, ?2 file, ?3 line, ?4 op, ?5 is_channel, ?6 in_repo, ?7 repo_path,
     * ?8 owner, ?9 first_seen */
    [STORE_STMT_LOCATION_INSERT] =
            "INSERT INTO locations(function, file, line, op, is_channel, in_repo, repo_path, "
            "owner, first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    /* ?1 id, ?2 is_channel, ?3 in_repo, ?4 repo_path, ?5 owner, ?6 first_seen: the latest
     * attribution wins (the configuration may have changed) */
    [STORE_STMT_LOCATION_UPDATE] =
            "UPDATE locations SET is_channel = ?2, in_repo = ?3, repo_path = ?4, owner = ?5, "
            "first_seen = min(first_seen, ?6) WHERE id = ?1",
    [STORE_STMT_STACK_EXISTS] = "SELECT 1 FROM stacks WHERE location_id = ?1 LIMIT 1",
    /* ?1 location_id, ?2 depth, ?3 function, ?4 file, ?5 line, ?6 created_by */
    [STORE_STMT_STACK_INSERT] = "INSERT OR IGNORE INTO stacks(location_id, depth, function, "
                                "file, line, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* ?1 service_id, ?2 location_id, ?3 ts */
    [STORE_STMT_SERVICE_LOCATION_UPSERT] =
            "INSERT INTO service_locations(service_id, location_id, first_seen, last_seen) "
            "VALUES (?1, ?2, ?3, ?3) ON CONFLICT(service_id, location_id) DO UPDATE SET "
            "first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)",
};

/* ---- errors ----------------------------------------------------------------------------- */

int store_code_for(int sqlite_rc, enum lf_code dflt)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR: /* a write the OS refused (a file-size limit, a failing disk): the
                          transaction is rolled back; try again later */
        return LF_EUNAVAIL;
    case SQLITE_NOMEM:
        return LF_ENOMEM;
    default:
        return dflt;
    }
}

int store_fail(struct store_conn *conn, struct lf_error *err, enum lf_code code, const char *what)
{
    if (conn == NULL || conn->db == NULL)
        return lf_fail(err, code, "%s: no database", what);
    int rc = sqlite3_extended_errcode(conn->db);
    return lf_fail(err, store_code_for(rc, code), "%s: %s", what, sqlite3_errmsg(conn->db));
}

/* ---- connections ------------------------------------------------------------------------ */

static int exec_sql(struct store_conn *conn, const char *sql, const char *what,
                    struct lf_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(conn->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code = lf_fail(err, store_code_for(rc, LF_EDB), "%s: %s", what,
                           msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return code;
    }
    return LF_OK;
}

static void conn_close(struct store_conn *conn)
{
    seen_free(conn->locations);
    seen_free(conn->sightings);
    seen_free(conn->services);
    seen_free(conn->instances);
    conn->locations = conn->sightings = conn->services = conn->instances = NULL;
    for (size_t i = 0; i <= SAMPLE_ROWS_LOG2_MAX; i++) {
        sqlite3_finalize(conn->sample_rows[i]);
        conn->sample_rows[i] = NULL;
    }
    for (size_t i = 0; i < STORE_N_STMTS; i++) {
        sqlite3_finalize(conn->stmts[i]);
        conn->stmts[i] = NULL;
    }
    store_tables_finalize(conn);
    if (conn->db != NULL) {
        if (sqlite3_close(conn->db) != SQLITE_OK)
            log_warn("store: close: %s", sqlite3_errmsg(conn->db));
        conn->db = NULL;
    }
}

static int conn_open(struct store_conn *conn, const char *path, const struct store_options *opts,
                     bool reader, struct lf_error *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &conn->db, flags, NULL);
    if (rc != SQLITE_OK) {
        int code = lf_fail(err, store_code_for(rc, LF_EIO), "open '%s': %s", path,
                           conn->db != NULL ? sqlite3_errmsg(conn->db) : sqlite3_errstr(rc));
        conn_close(conn);
        return code;
    }
    sqlite3_extended_result_codes(conn->db, 1);
    if (sqlite3_busy_timeout(conn->db, opts->busy_timeout_ms) != SQLITE_OK)
        return store_fail(conn, err, LF_EDB, "busy_timeout");
    int code = exec_sql(conn, "PRAGMA foreign_keys = ON", "foreign_keys", err);
    if (code == LF_OK)
        code = exec_sql(conn,
                        opts->synchronous_full ? "PRAGMA synchronous = FULL"
                                               : "PRAGMA synchronous = NORMAL",
                        "synchronous", err);
    /* After a checkpoint resets the WAL, truncate it to 64 MiB: a burst or a long read
     * may grow it, it must not stay that large. */
    if (code == LF_OK)
        code = exec_sql(conn, "PRAGMA journal_size_limit = 67108864", "journal_size_limit", err);
    /* Statement and savepoint journals in memory: when the writer reruns a batch job by
     * job it opens a savepoint per job, and on disk each one copied every page it
     * touched through a temporary file. */
    if (code == LF_OK)
        code = exec_sql(conn, "PRAGMA temp_store = MEMORY", "temp_store", err);
    if (code == LF_OK && reader)
        code = exec_sql(conn, "PRAGMA query_only = ON", "query_only", err);
    return code;
}

static int conn_prepare(struct store_conn *conn, struct lf_error *err)
{
    for (size_t i = 0; i < STORE_N_STMTS; i++) {
        int rc = sqlite3_prepare_v3(conn->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &conn->stmts[i], NULL);
        if (rc != SQLITE_OK)
            return lf_fail(err, store_code_for(rc, LF_EDB), "prepare statement %zu: %s", i,
                           sqlite3_errmsg(conn->db));
    }
    return LF_OK;
}

static int set_wal(struct store_conn *conn, struct lf_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(conn->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return store_fail(conn, err, LF_EDB, "journal_mode");
    rc = sqlite3_step(stmt);
    bool wal = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        return store_fail(conn, err, LF_EDB, "journal_mode");
    if (!wal)
        return lf_fail(err, LF_EDB, "journal_mode: the database refused WAL");
    return LF_OK;
}

/* ---- migrations ------------------------------------------------------------------------- */

static int read_user_version(struct store_conn *conn, int *out, struct lf_error *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(conn->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
        return store_fail(conn, err, LF_EDB, "user_version");
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        return store_fail(conn, err, LF_EDB, "user_version");
    return LF_OK;
}

/* The NNNN of "NNNN_name.sql"; -1 when the name does not start with digits and '_'. */
static int migration_number(const char *name)
{
    int n = 0;
    size_t i = 0;
    for (; name[i] >= '0' && name[i] <= '9'; i++) {
        if (n > 100000)
            return -1;
        n = n * 10 + (name[i] - '0');
    }
    return i > 0 && name[i] == '_' ? n : -1;
}

int store_schema_latest(void)
{
    int latest = 0;
    for (const struct embedded_file *f = embedded_schema; f->name != NULL; f++) {
        int n = migration_number(f->name);
        if (n > latest)
            latest = n;
    }
    return latest;
}

static int migrate(struct store_conn *conn, int *version, struct lf_error *err)
{
    int current = 0;
    int rc = read_user_version(conn, &current, err);
    if (rc != LF_OK)
        return rc;
    int latest = store_schema_latest();
    if (current > latest)
        return lf_fail(err, LF_EDB, "database schema version %d is newer than this binary's %d",
                       current, latest);
    int previous = 0;
    for (const struct embedded_file *f = embedded_schema; f->name != NULL; f++) {
        int n = migration_number(f->name);
        if (n <= previous)
            return lf_fail(err, LF_EINTERNAL, "migration '%s': bad or unordered number", f->name);
        previous = n;
        if (n <= current)
            continue;
        rc = exec_sql(conn, "BEGIN IMMEDIATE", "migration begin", err);
        if (rc != LF_OK)
            return rc;
        rc = exec_sql(conn, (const char *)f->data, f->name, err);
        if (rc == LF_OK) {
            /* a pragma takes no bound parameter; n is our own number, not input */
            char pragma[64];
            snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", n);
            rc = exec_sql(conn, pragma, f->name, err);
        }
        if (rc == LF_OK)
            rc = exec_sql(conn, "COMMIT", f->name, err);
        if (rc != LF_OK) {
            sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
            lf_error_prefix(err, "migrate to %d", n);
            return rc;
        }
        log_info("store: applied migration %s", f->name);
        current = n;
    }
    *version = current;
    return LF_OK;
}

/* ---- open and close --------------------------------------------------------------------- */

void store_options_default(struct store_options *opts)
{
    opts->busy_timeout_ms = 5000;
    opts->synchronous_full = true;
    opts->n_readers = 4;
}

int store_open(const char *path, const struct store_options *opts, struct store **out,
               struct lf_error *err)
{
    *out = NULL;
    struct store_options dflt;
    store_options_default(&dflt);
    if (opts == NULL)
        opts = &dflt;
    if (path == NULL || path[0] == '\0')
        return lf_fail(err, LF_EINVAL, "store: empty database path");
    struct store *store = lf_calloc(1, sizeof(*store));
    if (store == NULL)
        return lf_fail(err, LF_ENOMEM, "store: out of memory");
    int rc = LF_OK;
    if (pthread_mutex_init(&store->lock, NULL) != 0) {
        lf_free(store);
        return lf_fail(err, LF_EINTERNAL, "store: mutex");
    }
    if (pthread_cond_init(&store->cond, NULL) != 0) {
        pthread_mutex_destroy(&store->lock);
        lf_free(store);
        return lf_fail(err, LF_EINTERNAL, "store: condition variable");
    }
    store->lock_ready = true;
    store->memory = strcmp(path, ":memory:") == 0;
    if (store->memory)
        store->writer.shared = &store->lock;

    rc = conn_open(&store->writer, path, opts, false, err);
    if (rc == LF_OK && !store->memory)
        rc = set_wal(&store->writer, err);
    if (rc == LF_OK)
        rc = migrate(&store->writer, &store->version, err);
    /* The writer does not have SQLite check references: every push inserts a row's
     * parents before it in the same transaction, nothing deletes a service, instance or
     * location, and retention deletes a profile's samples itself. The checks were a
     * sixth of the writer's time (two look-ups per sample row); the tests run
     * PRAGMA foreign_key_check on what the writer left, crashes included. */
    if (rc == LF_OK)
        rc = exec_sql(&store->writer, "PRAGMA foreign_keys = OFF", "foreign_keys", err);
    if (rc == LF_OK)
        rc = conn_prepare(&store->writer, err);
    if (rc == LF_OK)
        rc = store_tables_prepare(&store->writer, false, err);
    if (rc != LF_OK)
        goto out;
    /* Without them every push takes the full path: slower, not wrong. */
    store->writer.locations = seen_create(SEEN_MAX);
    store->writer.sightings = seen_create(SEEN_MAX);
    store->writer.services = seen_create(SEEN_MAX);
    store->writer.instances = seen_create(SEEN_MAX);

    size_t n_readers = store->memory ? 0 : opts->n_readers;
    if (n_readers > 0) {
        store->readers = lf_calloc(n_readers, sizeof(*store->readers));
        if (store->readers == NULL) {
            rc = lf_fail(err, LF_ENOMEM, "store: out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n_readers; i++) {
        store->n_readers = i + 1;
        rc = conn_open(&store->readers[i], path, opts, true, err);
        if (rc == LF_OK)
            rc = conn_prepare(&store->readers[i], err);
        if (rc == LF_OK)
            rc = store_tables_prepare(&store->readers[i], true, err);
        if (rc != LF_OK)
            goto out;
        store->readers[i].next_free = store->free_readers;
        store->free_readers = &store->readers[i];
    }
    *out = store;
    return LF_OK;
out:
    lf_error_prefix(err, "store '%s'", path);
    store_close(store);
    return rc;
}

void store_close(struct store *store)
{
    if (store == NULL)
        return;
    for (size_t i = 0; i < store->n_readers; i++)
        conn_close(&store->readers[i]);
    lf_free(store->readers);
    conn_close(&store->writer);
    if (store->lock_ready) {
        pthread_cond_destroy(&store->cond);
        pthread_mutex_destroy(&store->lock);
    }
    lf_free(store);
}

int store_schema_version(const struct store *store)
{
    return store->version;
}

struct store_conn *store_writer_conn(struct store *store)
{
    return &store->writer;
}

struct sqlite3_stmt *store_stmt(struct store_conn *conn, enum store_stmt_id id)
{
    sqlite3_stmt *stmt = conn->stmts[id];
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

/* ---- readers ---------------------------------------------------------------------------- */

int store_reader_acquire(struct store *store, struct store_conn **out, struct lf_error *err)
{
    (void)err;
    pthread_mutex_lock(&store->lock);
    if (store->memory) {
        /* the lock stays held until store_reader_release: one user at a time */
        *out = &store->writer;
        return LF_OK;
    }
    while (store->free_readers == NULL)
        pthread_cond_wait(&store->cond, &store->lock);
    struct store_conn *conn = store->free_readers;
    store->free_readers = conn->next_free;
    pthread_mutex_unlock(&store->lock);
    *out = conn;
    return LF_OK;
}

bool store_reader_try_acquire(struct store *store, size_t keep, struct store_conn **out)
{
    *out = NULL;
    if (store->memory)
        return false;
    pthread_mutex_lock(&store->lock);
    size_t n_free = 0;
    for (struct store_conn *c = store->free_readers; c && n_free <= keep; c = c->next_free)
        n_free++;
    if (n_free > keep) {
        *out = store->free_readers;
        store->free_readers = (*out)->next_free;
    }
    pthread_mutex_unlock(&store->lock);
    return *out != NULL;
}

void store_reader_release(struct store *store, struct store_conn *conn)
{
    if (conn == NULL)
        return;
    for (size_t i = 0; i < STORE_N_STMTS; i++)
        sqlite3_reset(conn->stmts[i]);
    store_tables_reset(conn);
    if (store->memory) {
        pthread_mutex_unlock(&store->lock);
        return;
    }
    pthread_mutex_lock(&store->lock);
    conn->next_free = store->free_readers;
    store->free_readers = conn;
    pthread_cond_signal(&store->cond);
    pthread_mutex_unlock(&store->lock);
}

/* ---- transactions ----------------------------------------------------------------------- */

static int run_simple(struct store_conn *conn, enum store_stmt_id id, const char *what,
                      struct lf_error *err)
{
    sqlite3_stmt *stmt = store_stmt(conn, id);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return store_fail(conn, err, LF_EDB, what);
    return LF_OK;
}

int store_begin(struct store_conn *conn, struct lf_error *err)
{
    if (conn->shared != NULL)
        pthread_mutex_lock(conn->shared);
    int rc = run_simple(conn, STORE_STMT_BEGIN, "begin", err);
    if (rc != LF_OK) {
        if (conn->shared != NULL)
            pthread_mutex_unlock(conn->shared);
        return rc;
    }
    conn->in_transaction = true;
    return LF_OK;
}

static void end_transaction(struct store_conn *conn)
{
    if (conn->in_transaction && conn->shared != NULL)
        pthread_mutex_unlock(conn->shared);
    conn->in_transaction = false;
}

static void forget_seen(struct store_conn *conn)
{
    seen_clear(conn->locations);
    seen_clear(conn->sightings);
    seen_clear(conn->services);
    seen_clear(conn->instances);
}

int store_commit(struct store_conn *conn, struct lf_error *err)
{
    int rc = run_simple(conn, STORE_STMT_COMMIT, "commit", err);
    if (rc != LF_OK)
        forget_seen(conn);
    if (rc == LF_OK || sqlite3_get_autocommit(conn->db))
        end_transaction(conn);
    return rc;
}

int store_rollback(struct store_conn *conn, struct lf_error *err)
{
    forget_seen(conn);
    int rc = LF_OK;
    if (!sqlite3_get_autocommit(conn->db))
        rc = run_simple(conn, STORE_STMT_ROLLBACK, "rollback", err);
    end_transaction(conn);
    return rc;
}

int store_savepoint(struct store_conn *conn, struct lf_error *err)
{
    return run_simple(conn, STORE_STMT_SAVEPOINT, "savepoint", err);
}

int store_savepoint_release(struct store_conn *conn, struct lf_error *err)
{
    return run_simple(conn, STORE_STMT_RELEASE, "release savepoint", err);
}

int store_savepoint_rollback(struct store_conn *conn, struct lf_error *err)
{
    forget_seen(conn);
    int rc = run_simple(conn, STORE_STMT_ROLLBACK_TO, "rollback to savepoint", err);
    if (rc == LF_OK)
        rc = run_simple(conn, STORE_STMT_RELEASE, "release savepoint", err);
    return rc;
}
