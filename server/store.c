/* store.c - the SQLite database: pragmas, migrations from the embedded schema, the table
 * of named statements, the reader pool and writing one aggregated profile. It decides no
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

#define SAMPLE_COLUMNS 6

/* A service's last sighting of a location is rewritten at most this often (seconds):
 * it feeds the detection window and the inventory's last_seen, minutes-grained. */
#define SIGHTING_GRAIN 60
#define SEEN_MAX       65536

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
    /* ?1 location_id, ?2 depth, ?3 function, ?4 file, ?5 line */
    [STORE_STMT_STACK_INSERT] = "INSERT OR IGNORE INTO stacks(location_id, depth, function, "
                                "file, line) VALUES (?1, ?2, ?3, ?4, ?5)",
    /* ?1 service_id, ?2 location_id, ?3 ts */
    [STORE_STMT_SERVICE_LOCATION_UPSERT] =
            "INSERT INTO service_locations(service_id, location_id, first_seen, last_seen) "
            "VALUES (?1, ?2, ?3, ?3) ON CONFLICT(service_id, location_id) DO UPDATE SET "
            "first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)",

    /* ?1 live since (unix s), ?2 service name or NULL. One row per (service, location):
     * the sum over the latest profile of each live instance. */
    [STORE_STMT_LEAKS] =
            "SELECT l.id, sv.name, l.function, l.file, l.line, l.op, l.is_channel, "
            "l.in_repo, CASE WHEN l.in_repo THEN coalesce(l.owner, sv.owner) END, sum(sm.count), max(sm.confirmed), "
            "sl.first_seen, sl.last_seen "
            /* CROSS JOIN fixes the order: live instances first (instances_last_push), then
             * the contiguous samples of each one's latest profile; never every location
             * ever seen times every instance */
            "FROM instances i "
            "CROSS JOIN samples sm ON sm.profile_id = i.latest_profile_id "
            "JOIN services sv ON sv.id = i.service_id "
            "JOIN locations l ON l.id = sm.location_id "
            "JOIN service_locations sl ON sl.service_id = i.service_id "
            "AND sl.location_id = sm.location_id "
            "WHERE i.last_push >= ?1 AND (?2 IS NULL OR sv.name = ?2) "
            "GROUP BY i.service_id, l.id ORDER BY 10 DESC, sv.name, l.id",
    /* ?1 id */
    [STORE_STMT_LOCATION_GET] =
            "SELECT id, op, function, file, line, is_channel, in_repo, repo_path, owner, "
            "first_seen FROM locations WHERE id = ?1",
    [STORE_STMT_LOCATION_STACK] =
            "SELECT function, file, line FROM stacks WHERE location_id = ?1 ORDER BY depth",
    /* ?1 function, ?2 file, ?3 id to leave out */
    [STORE_STMT_LOCATION_SITES] = "SELECT id, op, line FROM locations WHERE function = ?1 "
                                  "AND file = ?2 AND id <> ?3 ORDER BY line, op",
    /* ?1 location id, ?2 live since: per service, the live count and instances */
    [STORE_STMT_LOCATION_SERVICES] =
            "SELECT sv.name, sl.first_seen, sl.last_seen, "
            "(SELECT coalesce(sum(sm.count), 0) FROM instances i JOIN samples sm "
            "ON sm.profile_id = i.latest_profile_id AND sm.location_id = sl.location_id "
            "WHERE i.service_id = sl.service_id AND i.last_push >= ?2), "
            "(SELECT count(*) FROM instances i JOIN samples sm "
            "ON sm.profile_id = i.latest_profile_id AND sm.location_id = sl.location_id "
            "WHERE i.service_id = sl.service_id AND i.last_push >= ?2) "
            "FROM service_locations sl JOIN services sv ON sv.id = sl.service_id "
            "WHERE sl.location_id = ?1 ORDER BY sv.name",
    /* ?1 location id, ?2 from, ?3 to, ?4 service name or NULL, ?5 instance name or NULL:
     * every profile of the services where the location is seen, with its count there (0
     * when absent), in time order (profiles_service_ts per service) */
    [STORE_STMT_SERIES] =
            "SELECT p.ts, p.instance_id, coalesce(sm.count, 0) "
            "FROM service_locations sl "
            "JOIN services sv ON sv.id = sl.service_id "
            "JOIN profiles p ON p.service_id = sl.service_id AND p.ts BETWEEN ?2 AND ?3 "
            "LEFT JOIN samples sm ON sm.profile_id = p.id AND sm.location_id = ?1 "
            "WHERE sl.location_id = ?1 AND (?4 IS NULL OR sv.name = ?4) "
            "AND (?5 IS NULL OR p.instance_id IN (SELECT i.id FROM instances i "
            "WHERE i.service_id = sl.service_id AND i.name = ?5)) "
            "ORDER BY p.ts, p.id",
    [STORE_STMT_SERVICES] =
            "SELECT sv.name, sv.owner, i.name, i.profiles, i.last_push FROM services sv "
            "LEFT JOIN instances i ON i.service_id = sv.id ORDER BY sv.name, i.name",
    /* ?1 location id, ?2 first hour, ?3 last hour, ?4 service name or NULL: rolled-up
     * hours in which some service where the location is seen had live instances at the
     * hour's end, with the location's value then, summed over those services (0 where
     * their live instances lacked it) */
    [STORE_STMT_SERIES_ROLLUPS] =
            "SELECT lv.hour, sum(coalesce(r.end_count, 0)) "
            "FROM service_locations sl "
            "JOIN services sv ON sv.id = sl.service_id "
            "JOIN rollup_live lv ON lv.service_id = sl.service_id AND lv.hour BETWEEN ?2 AND ?3 "
            "LEFT JOIN rollups r ON r.location_id = ?1 AND r.service_id = sl.service_id "
            "AND r.hour = lv.hour "
            "WHERE sl.location_id = ?1 AND (?4 IS NULL OR sv.name = ?4) "
            "GROUP BY lv.hour ORDER BY lv.hour",
    /* every hour before it is rolled up; raw profiles before it may be gone */
    [STORE_STMT_ROLLED_UNTIL] = "SELECT rolled_until FROM retention_state WHERE id = 1",
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

/* ---- writing a profile ------------------------------------------------------------------ */

static int bind_str(sqlite3_stmt *stmt, int index, struct str s)
{
    if (s.p == NULL)
        return sqlite3_bind_text(stmt, index, "", 0, SQLITE_STATIC);
    if (s.len > (size_t)0x7fffffff)
        return SQLITE_TOOBIG;
    return sqlite3_bind_text(stmt, index, s.p, (int)s.len, SQLITE_STATIC);
}

/* Binds NULL for an empty view. */
static int bind_str_or_null(sqlite3_stmt *stmt, int index, struct str s)
{
    if (str_is_empty(s))
        return sqlite3_bind_null(stmt, index);
    return bind_str(stmt, index, s);
}

/* True when column col holds exactly s (NULL matches the empty view). */
static bool column_eq(sqlite3_stmt *stmt, int col, struct str s)
{
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return str_is_empty(s);
    const unsigned char *text = sqlite3_column_text(stmt, col);
    size_t len = (size_t)sqlite3_column_bytes(stmt, col);
    return text != NULL && str_eq(str_make((const char *)text, len), s);
}

/* Steps stmt expecting one row; its first column into *id. */
static int step_id(struct store_conn *conn, sqlite3_stmt *stmt, int64_t *id, const char *what,
                   struct lf_error *err)
{
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        int code = store_fail(conn, err, LF_EDB, what);
        sqlite3_reset(stmt);
        return code;
    }
    *id = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return LF_OK;
}

static int step_done(struct store_conn *conn, sqlite3_stmt *stmt, const char *what,
                     struct lf_error *err)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return store_fail(conn, err, LF_EDB, what);
    return LF_OK;
}

/* Looks (service, key) up; a stored key answers only the request it was first used
 * with: the same request_hash, or any request when the row has none (stored before
 * migration 0007 kept hashes). Another request under the key is LF_EMISMATCH. */
static int find_idempotent(struct store_conn *conn, enum store_stmt_id id, sqlite3_int64 service_id,
                           struct str service, struct str key, struct str request_hash,
                           struct store_put_result *out, bool *found, struct lf_error *err)
{
    sqlite3_stmt *stmt = store_stmt(conn, id);
    if (id == STORE_STMT_IDEMPOTENT_FIND)
        sqlite3_bind_int64(stmt, 1, service_id);
    else
        bind_str(stmt, 1, service);
    bind_str(stmt, 2, key);
    int rc = sqlite3_step(stmt);
    *found = rc == SQLITE_ROW;
    bool same = true;
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 3) != SQLITE_NULL) {
        const void *stored = sqlite3_column_blob(stmt, 3);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 3);
        same = len == request_hash.len && len > 0 && stored != NULL &&
               memcmp(stored, request_hash.p, len) == 0;
    }
    if (rc == SQLITE_ROW && same) {
        out->profile_id = sqlite3_column_int64(stmt, 0);
        out->goroutines = sqlite3_column_int64(stmt, 1);
        out->locations = sqlite3_column_int64(stmt, 2);
        out->replayed = true;
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(conn, err, LF_EDB, "idempotency look-up");
    if (!same)
        return lf_fail(err, LF_EMISMATCH, STORE_KEY_REUSED);
    return LF_OK;
}

int store_find_idempotent(struct store *store, struct str service, struct str key,
                          struct str request_hash, struct store_put_result *out, bool *found,
                          struct lf_error *err)
{
    *found = false;
    struct store_conn *conn = NULL;
    int rc = store_reader_acquire(store, &conn, err);
    if (rc != LF_OK)
        return rc;
    rc = find_idempotent(conn, STORE_STMT_IDEMPOTENT_FIND_BY_NAME, 0, service, key, request_hash,
                         out, found, err);
    store_reader_release(store, conn);
    return rc;
}

/* Appends len bytes and a NUL separator to a key being built in buf[size] at *pos;
 * false (and *pos past size) once it does not fit. */
static bool key_append(char *buf, size_t size, size_t *pos, const void *p, size_t len)
{
    if (*pos > size || size - *pos < len + 1) {
        *pos = size + 1;
        return false;
    }
    if (len > 0)
        memcpy(buf + *pos, p, len);
    *pos += len;
    buf[(*pos)++] = '\0';
    return true;
}

/* The key under which the writer remembers a location with exactly these attributes;
 * 0 when it does not fit (such sites always take the full path). */
static size_t location_key(const struct store_site *site, char *buf, size_t size)
{
    size_t pos = 0;
    int64_t line = site->line;
    unsigned char flags[3] = { site->is_channel, site->in_repo, site->n_frames > 0 };
    key_append(buf, size, &pos, site->function.p, site->function.len);
    key_append(buf, size, &pos, site->file.p, site->file.len);
    key_append(buf, size, &pos, &line, sizeof(line));
    key_append(buf, size, &pos, site->op.p, site->op.len);
    key_append(buf, size, &pos, flags, sizeof(flags));
    key_append(buf, size, &pos, site->repo_path.p, site->repo_path.len);
    key_append(buf, size, &pos, site->owner.p, site->owner.len);
    return pos <= size ? pos : 0;
}

static int put_location_stored(struct store_conn *conn, const struct store_site *site, int64_t ts,
                               int64_t *id, int64_t *first_seen, struct lf_error *err);

/* Finds or creates the location of site, keeping its attribution current and its
 * representative stack stored; *id receives its id. */
static int put_location(struct store_conn *conn, const struct store_site *site, int64_t ts,
                        int64_t *id, struct lf_error *err)
{
    char key[4096];
    size_t len = location_key(site, key, sizeof(key));
    int64_t known_id = 0, first_seen = 0;
    if (len > 0 && seen_get(conn->locations, key, len, &known_id, &first_seen) &&
        first_seen <= ts) {
        *id = known_id;
        return LF_OK;
    }
    int rc = put_location_stored(conn, site, ts, id, &first_seen, err);
    if (rc == LF_OK && len > 0)
        seen_put(conn->locations, key, len, *id, first_seen);
    return rc;
}

/* The full path: find (or insert) the location, bring its attributes and first sighting
 * up to date, store its stack if it has none; *first_seen gets its first sighting. */
static int put_location_stored(struct store_conn *conn, const struct store_site *site, int64_t ts,
                               int64_t *id, int64_t *first_seen, struct lf_error *err)
{
    *first_seen = ts;
    sqlite3_stmt *stmt = store_stmt(conn, STORE_STMT_LOCATION_FIND);
    bind_str(stmt, 1, site->function);
    bind_str(stmt, 2, site->file);
    sqlite3_bind_int64(stmt, 3, site->line);
    bind_str(stmt, 4, site->op);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        int64_t stored_first = sqlite3_column_int64(stmt, 5);
        if (stored_first < ts)
            *first_seen = stored_first;
        bool same = sqlite3_column_int(stmt, 1) == (int)site->is_channel &&
                    sqlite3_column_int(stmt, 2) == (int)site->in_repo &&
                    column_eq(stmt, 3, site->repo_path) && column_eq(stmt, 4, site->owner) &&
                    sqlite3_column_int64(stmt, 5) <= ts;
        sqlite3_reset(stmt);
        if (!same) {
            stmt = store_stmt(conn, STORE_STMT_LOCATION_UPDATE);
            sqlite3_bind_int64(stmt, 1, *id);
            sqlite3_bind_int(stmt, 2, site->is_channel);
            sqlite3_bind_int(stmt, 3, site->in_repo);
            bind_str_or_null(stmt, 4, site->repo_path);
            bind_str_or_null(stmt, 5, site->owner);
            sqlite3_bind_int64(stmt, 6, ts);
            int code = step_done(conn, stmt, "update location", err);
            if (code != LF_OK)
                return code;
        }
    } else if (rc == SQLITE_DONE) {
        sqlite3_reset(stmt);
        stmt = store_stmt(conn, STORE_STMT_LOCATION_INSERT);
        bind_str(stmt, 1, site->function);
        bind_str(stmt, 2, site->file);
        sqlite3_bind_int64(stmt, 3, site->line);
        bind_str(stmt, 4, site->op);
        sqlite3_bind_int(stmt, 5, site->is_channel);
        sqlite3_bind_int(stmt, 6, site->in_repo);
        bind_str_or_null(stmt, 7, site->repo_path);
        bind_str_or_null(stmt, 8, site->owner);
        sqlite3_bind_int64(stmt, 9, ts);
        int code = step_done(conn, stmt, "insert location", err);
        if (code != LF_OK)
            return code;
        *id = sqlite3_last_insert_rowid(conn->db);
    } else {
        int code = store_fail(conn, err, LF_EDB, "find location");
        sqlite3_reset(stmt);
        return code;
    }

    if (site->n_frames == 0)
        return LF_OK;
    stmt = store_stmt(conn, STORE_STMT_STACK_EXISTS);
    sqlite3_bind_int64(stmt, 1, *id);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc == SQLITE_ROW)
        return LF_OK;
    if (rc != SQLITE_DONE)
        return store_fail(conn, err, LF_EDB, "find stack");
    for (size_t i = 0; i < site->n_frames; i++) {
        stmt = store_stmt(conn, STORE_STMT_STACK_INSERT);
        sqlite3_bind_int64(stmt, 1, *id);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
        bind_str(stmt, 3, site->frames[i].function);
        bind_str(stmt, 4, site->frames[i].file);
        sqlite3_bind_int64(stmt, 5, site->frames[i].line);
        int code = step_done(conn, stmt, "insert stack", err);
        if (code != LF_OK)
            return code;
    }
    return LF_OK;
}

/* Finds or creates the service of profile, with its configured owner; *id receives its
 * id. A service already written with this owner in this process is not written again. */
static int put_service(struct store_conn *conn, const struct store_profile *profile, int64_t *id,
                       struct lf_error *err)
{
    char key[1024];
    size_t len = 0;
    key_append(key, sizeof(key), &len, profile->service.p, profile->service.len);
    if (profile->service_owner.p != NULL)
        key_append(key, sizeof(key), &len, profile->service_owner.p, profile->service_owner.len);
    if (len > sizeof(key))
        len = 0; /* too long to remember: always the full path */
    int64_t unused = 0;
    if (len > 0 && seen_get(conn->services, key, len, id, &unused))
        return LF_OK;
    sqlite3_stmt *stmt = store_stmt(conn, STORE_STMT_SERVICE_UPSERT);
    bind_str(stmt, 1, profile->service);
    bind_str_or_null(stmt, 2, profile->service_owner);
    sqlite3_bind_int64(stmt, 3, profile->received);
    int rc = step_id(conn, stmt, id, "upsert service", err);
    if (rc == LF_OK && len > 0)
        seen_put(conn->services, key, len, *id, 0);
    return rc;
}

/* Finds or creates the instance name of service_id; *id receives its id. Instances are
 * never deleted, so an id found once in this process is remembered. */
static int find_instance(struct store_conn *conn, int64_t service_id, struct str name,
                         int64_t received, int64_t *id, struct lf_error *err)
{
    char key[1024];
    size_t len = 0;
    key_append(key, sizeof(key), &len, &service_id, sizeof(service_id));
    key_append(key, sizeof(key), &len, name.p, name.len);
    if (len > sizeof(key))
        len = 0;
    int64_t unused = 0;
    if (len > 0 && seen_get(conn->instances, key, len, id, &unused))
        return LF_OK;
    sqlite3_stmt *stmt = store_stmt(conn, STORE_STMT_INSTANCE_FIND);
    sqlite3_bind_int64(stmt, 1, service_id);
    bind_str(stmt, 2, name);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE) {
        stmt = store_stmt(conn, STORE_STMT_INSTANCE_INSERT);
        sqlite3_bind_int64(stmt, 1, service_id);
        bind_str(stmt, 2, name);
        sqlite3_bind_int64(stmt, 3, received);
        int code = step_done(conn, stmt, "insert instance", err);
        if (code != LF_OK)
            return code;
        *id = sqlite3_last_insert_rowid(conn->db);
    } else if (rc != SQLITE_ROW) {
        return store_fail(conn, err, LF_EDB, "find instance");
    }
    if (len > 0)
        seen_put(conn->instances, key, len, *id, 0);
    return LF_OK;
}

/* One stored sample: the sites of a profile at one location, merged. */
struct sample_row {
    int64_t location_id;
    size_t site; /* the first of the merged sites, in the caller's order */
    int64_t count;
    int64_t max_wait; /* -1: none */
    bool confirmed;
};

static int compare_sample_rows(const void *a, const void *b)
{
    const struct sample_row *x = a, *y = b;
    if (x->location_id != y->location_id)
        return x->location_id < y->location_id ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

/* Sorts rows[n] by location and merges rows of one location (counts add, the longest
 * wait and any leak verdict win, the first site's version stays); returns how many
 * rows remain. */
static size_t merge_sample_rows(struct sample_row *rows, size_t n)
{
    if (n < 2)
        return n;
    qsort(rows, n, sizeof(*rows), compare_sample_rows);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        struct sample_row *into = &rows[out];
        if (rows[i].location_id != into->location_id) {
            rows[++out] = rows[i];
            continue;
        }
        into->count += rows[i].count;
        if (rows[i].max_wait > into->max_wait)
            into->max_wait = rows[i].max_wait;
        into->confirmed = into->confirmed || rows[i].confirmed;
    }
    return out + 1;
}

/* Records that service_id saw location_id at ts, rewriting the stored first/last
 * sighting only when it moves by more than SIGHTING_GRAIN. */
static int put_sighting(struct store_conn *conn, int64_t service_id, int64_t location_id,
                        int64_t ts, struct lf_error *err)
{
    int64_t sighting[2] = { service_id, location_id }, first = 0, last = 0;
    bool known = seen_get(conn->sightings, sighting, sizeof(sighting), &first, &last);
    if (known && first <= ts && ts <= last + SIGHTING_GRAIN)
        return LF_OK;
    sqlite3_stmt *stmt = store_stmt(conn, STORE_STMT_SERVICE_LOCATION_UPSERT);
    sqlite3_bind_int64(stmt, 1, service_id);
    sqlite3_bind_int64(stmt, 2, location_id);
    sqlite3_bind_int64(stmt, 3, ts);
    int rc = step_done(conn, stmt, "upsert service location", err);
    if (rc == LF_OK)
        seen_put(conn->sightings, sighting, sizeof(sighting), ts, last > ts ? last : ts);
    return rc;
}

/* The statement inserting 2^log2 sample rows: (profile_id, location_id, count, max_wait
 * or NULL, confirmed, version or NULL) each. NULL with err set when it cannot be prepared. */
static sqlite3_stmt *sample_rows_stmt(struct store_conn *conn, unsigned log2, struct lf_error *err)
{
    if (conn->sample_rows[log2] != NULL)
        return conn->sample_rows[log2];
    static const char head[] = "INSERT INTO samples(profile_id, location_id, count, max_wait, "
                               "confirmed, version) VALUES ";
    static const char row[] = "(?,?,?,?,?,?),";
    char sql[sizeof(head) + (sizeof(row) - 1) * (1u << SAMPLE_ROWS_LOG2_MAX)];
    size_t len = sizeof(head) - 1;
    memcpy(sql, head, len);
    for (size_t i = 0; i < (1u << log2); i++) {
        memcpy(sql + len, row, sizeof(row) - 1);
        len += sizeof(row) - 1;
    }
    sql[len - 1] = '\0'; /* the last comma */
    if (sqlite3_prepare_v3(conn->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT,
                           &conn->sample_rows[log2], NULL) != SQLITE_OK) {
        store_fail(conn, err, LF_EDB, "prepare sample insert");
        conn->sample_rows[log2] = NULL;
    }
    return conn->sample_rows[log2];
}

/* Inserts the n merged sample rows of profile_id, up to 2^SAMPLE_ROWS_LOG2_MAX per
 * statement. */
static int insert_samples(struct store_conn *conn, const struct store_profile *profile,
                          int64_t profile_id, const struct sample_row *rows, size_t n,
                          struct lf_error *err)
{
    for (size_t done = 0; done < n;) {
        unsigned log2 = SAMPLE_ROWS_LOG2_MAX;
        while ((size_t)1 << log2 > n - done)
            log2--;
        sqlite3_stmt *stmt = sample_rows_stmt(conn, log2, err);
        if (stmt == NULL)
            return err->code;
        for (size_t i = 0; i < (size_t)1 << log2; i++) {
            const struct sample_row *row = &rows[done + i];
            int at = (int)(i * SAMPLE_COLUMNS);
            sqlite3_bind_int64(stmt, at + 1, profile_id);
            sqlite3_bind_int64(stmt, at + 2, row->location_id);
            sqlite3_bind_int64(stmt, at + 3, row->count);
            if (row->max_wait >= 0)
                sqlite3_bind_int64(stmt, at + 4, row->max_wait);
            else
                sqlite3_bind_null(stmt, at + 4);
            sqlite3_bind_int(stmt, at + 5, row->confirmed);
            bind_str_or_null(stmt, at + 6, profile->sites[row->site].version);
        }
        int rc = step_done(conn, stmt, "insert samples", err);
        if (rc != LF_OK)
            return rc;
        done += (size_t)1 << log2;
    }
    return LF_OK;
}

int store_put_profile(struct store_conn *conn, const struct store_profile *profile,
                      struct store_put_result *out, struct lf_error *err)
{
    memset(out, 0, sizeof(*out));
    if (str_is_empty(profile->service) || str_is_empty(profile->instance))
        return lf_fail(err, LF_EINVAL, "store: empty service or instance name");
    /* a key stored without its request would answer any request under it */
    if (!str_is_empty(profile->idempotency_key) &&
        (str_is_empty(profile->request_hash) || profile->request_hash.len > 64))
        return lf_fail(err, LF_EINVAL, "store: idempotency key without a request hash");
    int rc;
    int64_t service_id = 0, instance_id = 0, profile_id = 0;
    struct sample_row stack_rows[64], *rows = stack_rows;

    if ((rc = put_service(conn, profile, &service_id, err)) != LF_OK)
        return rc;
    if (!str_is_empty(profile->idempotency_key)) {
        bool found = false;
        rc = find_idempotent(conn, STORE_STMT_IDEMPOTENT_FIND, service_id, STR_NULL,
                             profile->idempotency_key, profile->request_hash, out, &found, err);
        if (rc != LF_OK || found)
            return rc;
    }
    if ((rc = find_instance(conn, service_id, profile->instance, profile->received, &instance_id,
                            err)) != LF_OK)
        return rc;

    if (profile->n_sites > sizeof(stack_rows) / sizeof(stack_rows[0])) {
        if (profile->n_sites > SIZE_MAX / sizeof(*rows))
            return lf_fail(err, LF_ENOMEM, "store: too many sites");
        rows = lf_malloc(profile->n_sites * sizeof(*rows));
        if (rows == NULL)
            return lf_fail(err, LF_ENOMEM, "store: out of memory");
    }
    for (size_t i = 0; i < profile->n_sites; i++) {
        const struct store_site *site = &profile->sites[i];
        rows[i] = (struct sample_row){ 0, i, site->count, site->max_wait_minutes, site->confirmed };
        if ((rc = put_location(conn, site, profile->ts, &rows[i].location_id, err)) != LF_OK)
            goto out;
    }
    size_t n_rows = merge_sample_rows(rows, profile->n_sites);

    sqlite3_stmt *stmt = store_stmt(conn, STORE_STMT_PROFILE_INSERT);
    sqlite3_bind_int64(stmt, 1, service_id);
    sqlite3_bind_int64(stmt, 2, instance_id);
    sqlite3_bind_int64(stmt, 3, profile->ts);
    sqlite3_bind_int64(stmt, 4, profile->received);
    bind_str(stmt, 5, profile->format);
    sqlite3_bind_int64(stmt, 6, profile->goroutines);
    sqlite3_bind_int64(stmt, 7, (sqlite3_int64)n_rows);
    bind_str_or_null(stmt, 8, profile->idempotency_key);
    bind_str_or_null(stmt, 9, profile->version);
    if (profile->started > 0)
        sqlite3_bind_int64(stmt, 10, profile->started);
    else
        sqlite3_bind_null(stmt, 10);
    sqlite3_bind_int64(stmt, 11, profile->busy);
    if (!str_is_empty(profile->idempotency_key))
        sqlite3_bind_blob(stmt, 12, profile->request_hash.p, (int)profile->request_hash.len,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, 12);
    if ((rc = step_done(conn, stmt, "insert profile", err)) != LF_OK)
        goto out;
    profile_id = sqlite3_last_insert_rowid(conn->db);

    if ((rc = insert_samples(conn, profile, profile_id, rows, n_rows, err)) != LF_OK)
        goto out;
    for (size_t i = 0; i < n_rows; i++) {
        if ((rc = put_sighting(conn, service_id, rows[i].location_id, profile->ts, err)) != LF_OK)
            goto out;
    }

    stmt = store_stmt(conn, STORE_STMT_INSTANCE_PUSHED);
    sqlite3_bind_int64(stmt, 1, instance_id);
    sqlite3_bind_int64(stmt, 2, profile->received);
    sqlite3_bind_int64(stmt, 3, profile_id);
    sqlite3_bind_int64(stmt, 4, profile->ts);
    if ((rc = step_done(conn, stmt, "update instance", err)) != LF_OK)
        goto out;

    out->profile_id = profile_id;
    out->goroutines = profile->goroutines;
    out->locations = (int64_t)n_rows;
    out->replayed = false;
out:
    if (rows != stack_rows)
        lf_free(rows);
    return rc;
}

struct sqlite3 *store_conn_db(struct store_conn *conn)
{
    return conn->db;
}
