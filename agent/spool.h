/* spool.h - the agent's on-disk queue of scraped profiles waiting for the server.
 * Every scraped profile is written here before it is pushed and removed only after the
 * server accepted it, so a crash or an outage loses nothing. One file per profile
 * (a text header with the metadata, idempotency key and CRC, then the body as it goes
 * on the wire), written atomically; replayed oldest first; bounded by bytes and files. */
#ifndef LF_SPOOL_H
#define LF_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SPOOL_KEY_LEN     32  /* hex digits of the 128-bit idempotency key */
#define SPOOL_VERSION_MAX 128 /* bytes of the service's version */

/* What the server needs besides the body. Text fields hold no control characters. */
struct spool_meta {
    char service[128];
    char instance[256];
    int64_t ts;                  /* unix seconds of the scrape */
    char format[16];             /* "pprof", "debug1", "debug2" */
    bool leak;                   /* from /debug/pprof/goroutineleak: confirmed leaks */
    bool gzip;                   /* body is gzip for Content-Encoding (text formats) */
    char key[SPOOL_KEY_LEN + 1]; /* Idempotency-Key, lower-case hex: drawn by spool_put */
    /* What the target said about itself when it was scraped, pushed with the profile
     * (a replay carries the values of its scrape, not of the replay): */
    int64_t started;                     /* its process start, unix seconds; 0 = unknown */
    char version[SPOOL_VERSION_MAX + 1]; /* the service's version; "" = unknown */
};

struct spool_limits {
    uint64_t max_bytes; /* total size of the queued files, headers included */
    size_t max_files;
};

struct spool;

/* Opens (creating as needed) the spool directory dir with its corrupt/ and rejected/
 * subdirectories, takes an exclusive lock on dir/.lock (a second agent on the same
 * spool fails with LF_ECONFLICT), deletes temporary files a crash left behind and
 * indexes the queued files. Returns new (spool_close), or NULL with err set. */
struct spool *spool_open(const char *dir, const struct spool_limits *limits, struct lf_error *err);

/* Releases the lock and the index; NULL is fine. Queued files stay on disk. */
void spool_close(struct spool *spool);

/* Queues one profile under a key of its own: draws a random 128-bit Idempotency-Key
 * into meta->key (whatever the caller left there is replaced), so no two profiles ever
 * share one, in this run or any other; the key is stored in the file and replayed with
 * it. Writes a temporary file, fsyncs it, renames it into place and fsyncs the
 * directory. Once renamed the profile is queued: a failing directory fsync is logged
 * (the rename may not survive a power loss) but the profile is replayed all the same.
 * When the queue would pass its limits the oldest files are dropped first, each with a
 * warning, counted by spool_dropped(). LF_EINVAL for bad metadata, LF_ETOOBIG for a
 * profile larger than max_bytes by itself, LF_ENOMEM, LF_EIO (nothing queued). */
int spool_put(struct spool *spool, struct spool_meta *meta, const char *body, size_t len,
              struct lf_error *err);

/* Number of queued profiles and their total bytes on disk. */
size_t spool_count(const struct spool *spool);
uint64_t spool_bytes(const struct spool *spool);

/* Profiles dropped to keep the spool within its limits, and files set aside as
 * corrupt, since spool_open. */
uint64_t spool_dropped(const struct spool *spool);
uint64_t spool_corrupt(const struct spool *spool);

/* Loads the oldest queued profile into *meta and *body (new, caller frees with lf_free;
 * *len bytes, also NUL-terminated). A file that fails its checks (header, length, CRC)
 * is moved to corrupt/ with a warning and the next one is tried. Returns LF_OK,
 * LF_ENOTFOUND when the queue is empty, LF_ENOMEM or LF_EIO. */
int spool_peek(struct spool *spool, struct spool_meta *meta, char **body, size_t *len,
               struct lf_error *err);

/* Deletes the oldest queued profile (the one spool_peek returned). */
int spool_remove(struct spool *spool, struct lf_error *err);

/* Moves the oldest queued profile to rejected/ (the server refused it for good) and
 * logs why. corrupt/ and rejected/ are each kept within the spool's limits by deleting
 * their oldest files. */
int spool_reject(struct spool *spool, const char *reason, struct lf_error *err);

/* The path of the spool directory (borrowed, valid until spool_close). */
const char *spool_dir(const struct spool *spool);

#endif
