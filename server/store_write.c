/* store_write.c - writing one aggregated profile on the write connection: the service,
 * instance and locations upserted (skipping what the connection's seen maps know is
 * stored), the profile and its samples inserted in multi-row statements, the instance's
 * latest profile kept, and the Idempotency-Key answered. The connection, its statements
 * and transactions are store.c's. */
#include "store.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "seen.h"

#define SAMPLE_COLUMNS 6

/* A service's last sighting of a location is rewritten at most this often (seconds):
 * it feeds the detection window and the inventory's last_seen, minutes-grained. */
#define SIGHTING_GRAIN 60

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
        sqlite3_bind_int(stmt, 6, site->frames[i].created_by);
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
