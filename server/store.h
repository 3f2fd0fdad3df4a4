/* store.h - the SQLite database of leakfleet: opening and migrating it from the embedded
 * schema/NNNN_*.sql files, the connections (one writer, a pool of readers), the named
 * prepared statements, and writing one aggregated profile. Knows no HTTP and no profile
 * formats; the writer thread (writer.h) decides when transactions begin and commit, the
 * queries (query.h) read through the reader pool. */
#ifndef LF_STORE_H
#define LF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "str.h"

struct store;
struct store_conn;

struct store_options {
    int busy_timeout_ms;   /* how long a connection waits for a lock (default 5000) */
    bool synchronous_full; /* PRAGMA synchronous=FULL (default true): a commit survives
                              power loss, not only a crash of the process */
    size_t n_readers;      /* read connections for queries (default 4); a ":memory:"
                              database has none: queries share the write connection */
};

/* Fills opts with the defaults above. */
void store_options_default(struct store_options *opts);

/* Opens (creating it when missing) the database at path, sets the pragmas (WAL,
 * foreign_keys: on for readers, off for the writer, which orders its own inserts;
 * busy_timeout, synchronous, temp_store in memory), applies every embedded migration newer than
 * PRAGMA user_version (each in one transaction), and prepares every statement. opts may
 * be NULL for the defaults. Returns LF_OK with *out set (caller closes with store_close),
 * or LF_EDB / LF_EIO / LF_ENOMEM with err set and *out NULL. A database newer than this
 * binary (user_version above the last migration) is LF_EDB. */
int store_open(const char *path, const struct store_options *opts, struct store **out,
               struct lf_error *err);

/* Finalizes every statement and closes every connection; NULL does nothing. The caller
 * stops the writer (writer_free) and every query first. */
void store_close(struct store *store);

/* PRAGMA user_version of the open database: the number of the last migration applied. */
int store_schema_version(const struct store *store);

/* The number of the newest embedded migration (NNNN of the last schema/NNNN_*.sql). */
int store_schema_latest(void);

/* ---- writing a profile -------------------------------------------------------------- */

/* One frame of a representative stack. */
struct store_frame {
    struct str function;
    struct str file;
    int64_t line;
    bool created_by; /* the debug=2 "created by" frame, stored last; not on the stack */
};

/* One aggregated blocking site of a profile. Every view is borrowed for the call. */
struct store_site {
    struct str op;       /* runtime wait words: "chan send", "select", "unknown" */
    bool is_channel;     /* op is a channel operation (send, receive, select, nil) */
    struct str function; /* the site: first frame outside the Go runtime */
    struct str file;
    int64_t line;
    bool in_repo;                     /* the organisation's own code */
    struct str repo_path;             /* repo-relative path; empty when not derivable */
    struct str owner;                 /* CODEOWNERS owner; empty = none */
    int64_t count;                    /* goroutines blocked here */
    int64_t max_wait_minutes;         /* -1 when the format carries no wait times */
    bool confirmed;                   /* the runtime's goroutine-leak verdict */
    struct str version;               /* the `version` pprof label at the site; empty = none */
    const struct store_frame *frames; /* representative stack, innermost first */
    size_t n_frames;
};

/* One push, aggregated. Every view is borrowed for the call. */
struct store_profile {
    struct str service;
    struct str service_owner; /* owner from the configuration; empty keeps the stored one */
    struct str instance;
    int64_t ts;        /* profile time, unix seconds */
    int64_t received;  /* server clock at the push, unix seconds (liveness) */
    struct str format; /* "pprof", "debug1", "debug2" */
    int64_t goroutines;
    struct str idempotency_key; /* empty = none */
    struct str request_hash;    /* with a key: the push's fingerprint (1..64 bytes, required),
                                   which a replay under the key must repeat; else ignored */
    struct str version;         /* the version the push names (?version=); empty = none */
    int64_t started;            /* the process start the push names (?started=); 0 = none */
    int64_t busy;               /* running, runnable, IO wait and syscall goroutines */
    const struct store_site *sites;
    size_t n_sites;
};

/* The answer to a push; the same answer again for a retry with the same key. */
struct store_put_result {
    int64_t profile_id;
    int64_t goroutines;
    int64_t locations; /* distinct sites stored for the profile */
    bool replayed;     /* an earlier push with the same (service, key) answered */
};

/* The message of LF_EMISMATCH: a stored (service, key) met another request. */
#define STORE_KEY_REUSED "Idempotency-Key reused with a different request"

/* Writes one profile on conn, which must be the write connection inside an open
 * transaction (the writer thread calls it): upserts the service, instance and locations,
 * inserts the profile and its samples, keeps the instance's latest profile. When
 * (service, idempotency_key) is already stored with the same request_hash (or with none,
 * stored before hashes were), writes nothing else and fills *out from the first push
 * with replayed set; with another request_hash it writes nothing else and returns
 * LF_EMISMATCH (message STORE_KEY_REUSED). Returns LF_OK, LF_EMISMATCH, LF_EINVAL (empty
 * service or instance, a key without request_hash), LF_EUNAVAIL (disk full) or LF_EDB. */
int store_put_profile(struct store_conn *conn, const struct store_profile *profile,
                      struct store_put_result *out, struct lf_error *err);

/* Looks (service, key) up on a reader connection: LF_OK with *found set and *out filled
 * when found with request_hash (or with none stored); LF_EMISMATCH (message
 * STORE_KEY_REUSED, *found set, *out untouched) when found with another hash; LF_EDB on
 * failure. Lets ingest answer a retry, or refuse a reuse, without parsing the body. */
int store_find_idempotent(struct store *store, struct str service, struct str key,
                          struct str request_hash, struct store_put_result *out, bool *found,
                          struct lf_error *err);

/* ---- connections and transactions (writer.c and query.c) ---------------------------- */

/* The write connection. Only one thread (the writer) may use it at a time. */
struct store_conn *store_writer_conn(struct store *store);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on conn; SAVEPOINT, RELEASE and ROLLBACK TO of
 * the one savepoint a job runs in when its batch is run job by job. Return LF_OK, LF_EUNAVAIL (disk
 * full, database busy) or LF_EDB. store_rollback tolerates a transaction SQLite already rolled
 * back. */
int store_begin(struct store_conn *conn, struct lf_error *err);
int store_commit(struct store_conn *conn, struct lf_error *err);
int store_rollback(struct store_conn *conn, struct lf_error *err);
int store_savepoint(struct store_conn *conn, struct lf_error *err);
int store_savepoint_release(struct store_conn *conn, struct lf_error *err);
int store_savepoint_rollback(struct store_conn *conn, struct lf_error *err);

/* Takes a reader connection from the pool, waiting while all are busy (with a
 * ":memory:" database: the write connection, serialised with the writer). Returns
 * LF_OK with *out set; give it back with store_reader_release. */
int store_reader_acquire(struct store *store, struct store_conn **out, struct lf_error *err);
/* Takes a reader connection without waiting, and only while more than keep readers are
 * free, so that keep of them stay for others: true with *out set (give it back with
 * store_reader_release); false when there is none to spare, and always with a ":memory:"
 * database (its one connection is never shared). */
bool store_reader_try_acquire(struct store *store, size_t keep, struct store_conn **out);
void store_reader_release(struct store *store, struct store_conn *conn);

/* Copies the connection's last SQLite error into err with code (LF_EUNAVAIL instead for
 * a full disk or a busy database) and the prefix what; returns the code. */
int store_fail(struct store_conn *conn, struct lf_error *err, enum lf_code code, const char *what);

#endif
