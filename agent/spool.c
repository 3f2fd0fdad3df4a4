/* spool.c - the on-disk queue of profiles between scrape and push. Owns the spool
 * directory and each profile's Idempotency-Key (128 random bits drawn here, stored in
 * the file): one file per profile named <unix-ns>-<key>.prof so that name order is age
 * order, written as .tmp-<name> + fsync + rename + fsync(dir) so a crash leaves either
 * the whole file or a temporary that the next spool_open deletes. An in-memory index of
 * (name, size), sorted by name, keeps the byte and file limits cheap to enforce; the
 * files themselves are read only when they are replayed. No HTTP here. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc.h"
#include "file.h"
#include "log.h"
#include "str.h"

#define SPOOL_MAGIC      "leakfleet-spool 1\n"
#define SPOOL_NAME_MAX   64
#define SPOOL_HEADER_MAX 1024

struct spool_entry {
    char name[SPOOL_NAME_MAX];
    uint64_t size;
};

struct spool {
    char *dir;
    int lock_fd;
    struct spool_limits limits;
    struct spool_entry *entries; /* sorted by name: oldest first */
    size_t n_entries;
    size_t cap_entries;
    uint64_t bytes;
    uint64_t dropped;
    uint64_t corrupt;
    int64_t last_ns; /* names stay strictly increasing even if the clock steps back */
};

/* ---- paths and directories --------------------------------------------------------- */

static int spool_path(const struct spool *spool, const char *sub, const char *name, char *buf,
                      size_t size, struct lf_error *err)
{
    int n = sub != NULL ? snprintf(buf, size, "%s/%s/%s", spool->dir, sub, name)
                        : snprintf(buf, size, "%s/%s", spool->dir, name);
    if (n < 0 || (size_t)n >= size)
        return lf_fail(err, LF_EINVAL, "spool path too long: '%s/%s'", spool->dir, name);
    return LF_OK;
}

static int mkdir_p(const char *path, struct lf_error *err)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf))
        return lf_fail(err, LF_EINVAL, "bad spool directory '%s'", path);
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return lf_fail(err, LF_EIO, "create directory '%s': %s", buf, strerror(errno));
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return lf_fail(err, LF_EIO, "'%s' is not a directory", path);
    return LF_OK;
}

static int fsync_dir(const char *dir, struct lf_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lf_fail(err, LF_EIO, "open directory '%s': %s", dir, strerror(errno));
    int rc = LF_OK;
    if (fsync(fd) != 0)
        rc = lf_fail(err, LF_EIO, "fsync directory '%s': %s", dir, strerror(errno));
    close(fd);
    return rc;
}

static bool is_spool_name(const char *name)
{
    size_t len = strlen(name);
    return len < SPOOL_NAME_MAX && len > 5 && name[0] != '.' &&
           strcmp(name + len - 5, ".prof") == 0;
}

/* ---- the index ---------------------------------------------------------------------- */

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct spool_entry *)a)->name, ((const struct spool_entry *)b)->name);
}

/* Makes room for one more entry, so that the index_add after it cannot fail. */
static int index_reserve(struct spool *spool, struct lf_error *err)
{
    if (!LF_ALLOC_GROW(spool->entries, spool->n_entries + 1, spool->cap_entries, 64))
        return lf_fail(err, LF_ENOMEM, "spool index: out of memory");
    return LF_OK;
}

static int index_add(struct spool *spool, const char *name, uint64_t size, struct lf_error *err)
{
    int rc = index_reserve(spool, err);
    if (rc != LF_OK)
        return rc;
    /* new names are nearly always the largest: insert from the end */
    size_t i = spool->n_entries;
    while (i > 0 && strcmp(spool->entries[i - 1].name, name) > 0) {
        spool->entries[i] = spool->entries[i - 1];
        i--;
    }
    struct spool_entry *e = &spool->entries[i];
    size_t len = strlen(name);
    memcpy(e->name, name, len + 1);
    e->size = size;
    spool->n_entries++;
    spool->bytes += size;
    return LF_OK;
}

static void index_pop_oldest(struct spool *spool)
{
    if (spool->n_entries == 0)
        return;
    spool->bytes -= spool->entries[0].size;
    memmove(&spool->entries[0], &spool->entries[1],
            (spool->n_entries - 1) * sizeof(spool->entries[0]));
    spool->n_entries--;
}

static int64_t name_ns(const char *name)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(name, &end, 10);
    if (errno != 0 || end == name || *end != '-')
        return 0;
    return (int64_t)v;
}

static int index_scan(struct spool *spool, struct lf_error *err)
{
    DIR *d = opendir(spool->dir);
    if (d == NULL)
        return lf_fail(err, LF_EIO, "open spool '%s': %s", spool->dir, strerror(errno));
    int rc = LF_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[PATH_MAX];
        if (strncmp(de->d_name, ".tmp-", 5) == 0) {
            /* a write that a crash interrupted: its profile was never queued */
            if (spool_path(spool, NULL, de->d_name, path, sizeof(path), NULL) == LF_OK &&
                unlink(path) == 0)
                log_warn("spool: removed unfinished file '%s'", path);
            continue;
        }
        if (!is_spool_name(de->d_name))
            continue;
        struct stat st;
        if (spool_path(spool, NULL, de->d_name, path, sizeof(path), err) != LF_OK ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        rc = index_add(spool, de->d_name, (uint64_t)st.st_size, err);
        if (rc != LF_OK)
            break;
        int64_t ns = name_ns(de->d_name);
        if (ns > spool->last_ns)
            spool->last_ns = ns;
    }
    closedir(d);
    if (rc == LF_OK && spool->n_entries > 1)
        qsort(spool->entries, spool->n_entries, sizeof(spool->entries[0]), compare_entries);
    return rc;
}

/* ---- open and close ------------------------------------------------------------------ */

struct spool *spool_open(const char *dir, const struct spool_limits *limits, struct lf_error *err)
{
    struct spool *spool = lf_calloc(1, sizeof(*spool));
    if (spool == NULL) {
        lf_fail(err, LF_ENOMEM, "spool: out of memory");
        return NULL;
    }
    spool->lock_fd = -1;
    spool->limits = *limits;
    if (spool->limits.max_files == 0)
        spool->limits.max_files = 1;
    spool->dir = lf_strdup(dir);
    if (spool->dir == NULL) {
        lf_fail(err, LF_ENOMEM, "spool: out of memory");
        goto fail;
    }
    char path[PATH_MAX];
    if (mkdir_p(dir, err) != LF_OK ||
        spool_path(spool, NULL, "corrupt", path, sizeof(path), err) != LF_OK ||
        mkdir_p(path, err) != LF_OK ||
        spool_path(spool, NULL, "rejected", path, sizeof(path), err) != LF_OK ||
        mkdir_p(path, err) != LF_OK ||
        spool_path(spool, NULL, ".lock", path, sizeof(path), err) != LF_OK)
        goto fail;
    spool->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (spool->lock_fd < 0) {
        lf_fail(err, LF_EIO, "open '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (flock(spool->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            lf_fail(err, LF_ECONFLICT, "spool '%s' is in use by another agent", dir);
        else
            lf_fail(err, LF_EIO, "lock '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (index_scan(spool, err) != LF_OK)
        goto fail;
    return spool;
fail:
    spool_close(spool);
    return NULL;
}

void spool_close(struct spool *spool)
{
    if (spool == NULL)
        return;
    if (spool->lock_fd >= 0)
        close(spool->lock_fd);
    lf_free(spool->entries);
    lf_free(spool->dir);
    lf_free(spool);
}

size_t spool_count(const struct spool *spool)
{
    return spool->n_entries;
}

uint64_t spool_bytes(const struct spool *spool)
{
    return spool->bytes;
}

uint64_t spool_dropped(const struct spool *spool)
{
    return spool->dropped;
}

uint64_t spool_corrupt(const struct spool *spool)
{
    return spool->corrupt;
}

const char *spool_dir(const struct spool *spool)
{
    return spool->dir;
}

/* ---- the file format ----------------------------------------------------------------
 *
 *   leakfleet-spool 1
 *   service checkout
 *   instance host-1
 *   ts 1795600000
 *   format pprof
 *   leak 0
 *   encoding identity|gzip
 *   key 0123456789abcdef0123456789abcdef
 *   started 1795590000      only when known: the target's process start, unix seconds
 *   version 1.4.2           only when known: the service's version
 *   length 1234
 *   crc32 89abcdef          CRC-32 of every byte above this line, then of the body
 *   (empty line)
 *   body
 *
 * started and version came later: a file without them is read as before, and a file
 * without known values is written exactly as before.
 */

static const char *const header_keys[] = { "service", "instance", "ts",   "format",
                                           "leak",    "encoding", "key",  "started",
                                           "version", "length",   "crc32" };
enum { N_HEADER_KEYS = sizeof(header_keys) / sizeof(header_keys[0]) };
enum { HEADER_STARTED = 7, HEADER_VERSION = 8 }; /* the optional lines */

static bool text_ok(const char *s, size_t max)
{
    size_t len = strnlen(s, max);
    if (len == 0 || len == max)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static bool key_ok(const char *key, size_t len)
{
    if (len != SPOOL_KEY_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

static bool format_ok(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')))
            return false;
    }
    return true;
}

static int validate_meta(const struct spool_meta *meta, struct lf_error *err)
{
    if (!text_ok(meta->service, sizeof(meta->service)))
        return lf_fail(err, LF_EINVAL, "spool: bad service name");
    if (!text_ok(meta->instance, sizeof(meta->instance)))
        return lf_fail(err, LF_EINVAL, "spool: bad instance name");
    if (!format_ok(meta->format, strnlen(meta->format, sizeof(meta->format))) ||
        strnlen(meta->format, sizeof(meta->format)) == sizeof(meta->format))
        return lf_fail(err, LF_EINVAL, "spool: bad format '%.15s'", meta->format);
    if (!key_ok(meta->key, strnlen(meta->key, sizeof(meta->key))))
        return lf_fail(err, LF_EINVAL, "spool: bad idempotency key");
    if (meta->started < 0)
        return lf_fail(err, LF_EINVAL, "spool: bad start time");
    if (meta->version[0] != '\0' && !text_ok(meta->version, sizeof(meta->version)))
        return lf_fail(err, LF_EINVAL, "spool: bad version");
    return LF_OK;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void drop_oldest(struct spool *spool)
{
    char path[PATH_MAX];
    const char *name = spool->entries[0].name;
    if (spool_path(spool, NULL, name, path, sizeof(path), NULL) == LF_OK && unlink(path) != 0 &&
        errno != ENOENT)
        log_warn("spool: remove '%s': %s", path, strerror(errno));
    spool->dropped++;
    log_warn("spool: full (%zu files, %" PRIu64 " bytes; limits %zu files, %" PRIu64
             " bytes): dropped oldest profile '%s' (%" PRIu64 " dropped so far)",
             spool->n_entries, spool->bytes, spool->limits.max_files, spool->limits.max_bytes, name,
             spool->dropped);
    index_pop_oldest(spool);
}

/* A new random 128-bit idempotency key as 32 lower-case hex digits. */
static int new_key(char out[SPOOL_KEY_LEN + 1], struct lf_error *err)
{
    unsigned char raw[SPOOL_KEY_LEN / 2];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return lf_fail(err, LF_EIO, "spool: getrandom: %s", strerror(errno));
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[SPOOL_KEY_LEN] = '\0';
    return LF_OK;
}

int spool_put(struct spool *spool, struct spool_meta *meta, const char *body, size_t len,
              struct lf_error *err)
{
    /* the key is the profile's own: never the caller's, never one used before (a
     * reused key would have the server refuse, or with an older server drop, the
     * profile as a replay of another) */
    int rc = new_key(meta->key, err);
    if (rc == LF_OK)
        rc = validate_meta(meta, err);
    if (rc == LF_OK)
        rc = index_reserve(spool, err); /* once renamed, the file must go into the index */
    if (rc != LF_OK)
        return rc;

    char header[SPOOL_HEADER_MAX];
    char started[32] = "";
    if (meta->started > 0)
        snprintf(started, sizeof(started), "started %" PRId64 "\n", meta->started);
    int n = snprintf(header, sizeof(header),
                     SPOOL_MAGIC "service %s\ninstance %s\nts %" PRId64 "\nformat %s\nleak %d\n"
                                 "encoding %s\nkey %s\n%s%s%s%slength %zu\n",
                     meta->service, meta->instance, meta->ts, meta->format, meta->leak ? 1 : 0,
                     meta->gzip ? "gzip" : "identity", meta->key, started,
                     meta->version[0] != '\0' ? "version " : "", meta->version,
                     meta->version[0] != '\0' ? "\n" : "", len);
    if (n < 0 || (size_t)n >= sizeof(header) - 32)
        return lf_fail(err, LF_EINVAL, "spool: header too long");
    size_t header_len = (size_t)n;
    uLong crc = crc32(0L, (const Bytef *)header, (uInt)header_len);
    for (size_t off = 0; off < len;) {
        size_t chunk = len - off > (1u << 30) ? (1u << 30) : len - off;
        crc = crc32(crc, (const Bytef *)body + off, (uInt)chunk);
        off += chunk;
    }
    n = snprintf(header + header_len, sizeof(header) - header_len, "crc32 %08lx\n\n",
                 (unsigned long)crc);
    header_len += (size_t)n;

    uint64_t total = (uint64_t)header_len + len;
    if (total > spool->limits.max_bytes)
        return lf_fail(err, LF_ETOOBIG,
                       "spool: profile of %" PRIu64 " bytes is larger than the spool (%" PRIu64
                       " bytes)",
                       total, spool->limits.max_bytes);
    while (spool->n_entries > 0 && (spool->n_entries + 1 > spool->limits.max_files ||
                                    spool->bytes + total > spool->limits.max_bytes))
        drop_oldest(spool);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    if (ns <= spool->last_ns)
        ns = spool->last_ns + 1;
    char name[SPOOL_NAME_MAX];
    snprintf(name, sizeof(name), "%020" PRId64 "-%s.prof", ns, meta->key);
    char tmp_name[SPOOL_NAME_MAX + 8];
    snprintf(tmp_name, sizeof(tmp_name), ".tmp-%s", name);
    char tmp_path[PATH_MAX], path[PATH_MAX];
    rc = spool_path(spool, NULL, tmp_name, tmp_path, sizeof(tmp_path), err);
    if (rc == LF_OK)
        rc = spool_path(spool, NULL, name, path, sizeof(path), err);
    if (rc != LF_OK)
        return rc;

    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return lf_fail(err, LF_EIO, "spool: create '%s': %s", tmp_path, strerror(errno));
    if (write_all(fd, header, header_len) != 0 || write_all(fd, body, len) != 0) {
        rc = lf_fail(err, LF_EIO, "spool: write '%s': %s", tmp_path, strerror(errno));
        close(fd);
        goto out_unlink;
    }
    if (fsync(fd) != 0) {
        rc = lf_fail(err, LF_EIO, "spool: fsync '%s': %s", tmp_path, strerror(errno));
        close(fd);
        goto out_unlink;
    }
    if (close(fd) != 0) {
        rc = lf_fail(err, LF_EIO, "spool: close '%s': %s", tmp_path, strerror(errno));
        goto out_unlink;
    }
    if (rename(tmp_path, path) != 0) {
        rc = lf_fail(err, LF_EIO, "spool: rename '%s': %s", tmp_path, strerror(errno));
        goto out_unlink;
    }
    /* the file is in place: it is queued now, whatever the directory fsync says */
    spool->last_ns = ns;
    rc = index_add(spool, name, total, err); /* room was reserved: cannot fail */
    if (rc != LF_OK)
        return rc;
    struct lf_error sync_err = { 0 };
    if (fsync_dir(spool->dir, &sync_err) != LF_OK)
        log_warn("spool: %s: profile '%s' is queued, but a power loss before the directory "
                 "is written may lose it",
                 sync_err.msg, name);
    return LF_OK;
out_unlink:
    unlink(tmp_path);
    return rc;
}

/* ---- replay -------------------------------------------------------------------------- */

/* Reads the spooled file at path, of at most max bytes (a larger one is corrupt). */
static int read_file(const char *path, uint64_t max, char **out, size_t *out_len,
                     struct lf_error *err)
{
    int rc = file_load(path, max > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)max, out, out_len, err);
    if (rc == LF_ETOOBIG)
        return lf_fail(err, LF_EINVAL, "larger than the spool limit");
    if (rc != LF_OK && rc != LF_ENOTFOUND)
        lf_error_prefix(err, "read '%s'", path);
    return rc;
}

/* Copies a header value (p, len) into dst[size]; false when it does not fit or is not
 * acceptable text. */
static bool take_text(struct str value, char *dst, size_t size)
{
    if (value.len == 0 || value.len >= size)
        return false;
    memcpy(dst, value.p, value.len);
    dst[value.len] = '\0';
    return text_ok(dst, size);
}

static bool parse_hex32(struct str s, unsigned long *out)
{
    if (s.len != 8)
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return false;
        v = v * 16 + d;
    }
    *out = v;
    return true;
}

/* Checks and decodes one spool file held in (buf, len). On success the body is the
 * byte range [*body_off, len). */
static int parse_file(const char *buf, size_t len, struct spool_meta *meta, size_t *body_off,
                      struct lf_error *err)
{
    size_t magic_len = sizeof(SPOOL_MAGIC) - 1;
    if (len < magic_len || memcmp(buf, SPOOL_MAGIC, magic_len) != 0)
        return lf_fail(err, LF_EINVAL, "not a spool file (bad first line)");
    memset(meta, 0, sizeof(*meta));
    size_t pos = magic_len;
    size_t crc_line_start = 0;
    int64_t length = -1;
    unsigned long crc_want = 0;
    size_t line_no = 1;
    for (size_t k = 0; k < N_HEADER_KEYS; k++) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (nl == NULL)
            return lf_fail(err, LF_EINVAL, "truncated header");
        struct str line = str_make(buf + pos, (size_t)(nl - (buf + pos)));
        size_t key_len = strlen(header_keys[k]);
        if (line.len <= key_len || memcmp(line.p, header_keys[k], key_len) != 0 ||
            line.p[key_len] != ' ') {
            if (k == HEADER_STARTED || k == HEADER_VERSION)
                continue; /* optional: the line is read against the next key */
            return lf_fail(err, LF_EINVAL, "header line %zu: expected '%s'", line_no + 1,
                           header_keys[k]);
        }
        line_no++;
        struct str value = str_make(line.p + key_len + 1, line.len - key_len - 1);
        bool ok = true;
        int64_t v = 0;
        switch (k) {
        case 0:
            ok = take_text(value, meta->service, sizeof(meta->service));
            break;
        case 1:
            ok = take_text(value, meta->instance, sizeof(meta->instance));
            break;
        case 2:
            ok = str_to_int64(value, &meta->ts);
            break;
        case 3:
            ok = format_ok(value.p, value.len) && value.len < sizeof(meta->format);
            if (ok)
                memcpy(meta->format, value.p, value.len);
            break;
        case 4:
            ok = str_to_int64(value, &v) && (v == 0 || v == 1);
            meta->leak = v == 1;
            break;
        case 5:
            ok = str_eq_cstr(value, "gzip") || str_eq_cstr(value, "identity");
            meta->gzip = str_eq_cstr(value, "gzip");
            break;
        case 6:
            ok = key_ok(value.p, value.len);
            if (ok)
                memcpy(meta->key, value.p, value.len);
            break;
        case HEADER_STARTED:
            ok = str_to_int64(value, &meta->started) && meta->started > 0;
            break;
        case HEADER_VERSION:
            ok = take_text(value, meta->version, sizeof(meta->version));
            break;
        case 9:
            ok = str_to_int64(value, &length) && length >= 0;
            break;
        case 10:
            crc_line_start = pos;
            ok = parse_hex32(value, &crc_want);
            break;
        default:
            ok = false;
        }
        if (!ok)
            return lf_fail(err, LF_EINVAL, "header line %zu: bad %s", line_no, header_keys[k]);
        pos = (size_t)(nl - buf) + 1;
    }
    if (pos >= len || buf[pos] != '\n')
        return lf_fail(err, LF_EINVAL, "header not followed by an empty line");
    pos++;
    if ((uint64_t)(len - pos) != (uint64_t)length)
        return lf_fail(err, LF_EINVAL, "body is %zu bytes, header says %" PRId64, len - pos,
                       length);
    uLong crc = crc32(0L, (const Bytef *)buf, (uInt)crc_line_start);
    for (size_t off = pos; off < len;) {
        size_t chunk = len - off > (1u << 30) ? (1u << 30) : len - off;
        crc = crc32(crc, (const Bytef *)buf + off, (uInt)chunk);
        off += chunk;
    }
    if ((unsigned long)crc != crc_want)
        return lf_fail(err, LF_EINVAL, "CRC mismatch (%08lx, header says %08lx)",
                       (unsigned long)crc, crc_want);
    *body_off = pos;
    return LF_OK;
}

/* Keeps dir/sub (corrupt/ or rejected/) within the spool's own limits, deleting its
 * oldest files, so a server that refuses everything cannot fill the disk. */
static void trim_aside(struct spool *spool, const char *sub)
{
    char path[PATH_MAX];
    if (spool_path(spool, NULL, sub, path, sizeof(path), NULL) != LF_OK)
        return;
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct spool_entry *files = NULL;
    size_t n = 0, cap = 0;
    uint64_t bytes = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char file[PATH_MAX];
        struct stat st;
        if (!is_spool_name(de->d_name) ||
            spool_path(spool, sub, de->d_name, file, sizeof(file), NULL) != LF_OK ||
            stat(file, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (!LF_ALLOC_GROW(files, n + 1, cap, 64))
            break;
        memcpy(files[n].name, de->d_name, strlen(de->d_name) + 1);
        files[n].size = (uint64_t)st.st_size;
        bytes += files[n].size;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(files, n, sizeof(files[0]), compare_entries);
    size_t removed = 0;
    while (removed < n &&
           (n - removed > spool->limits.max_files || bytes > spool->limits.max_bytes)) {
        char file[PATH_MAX];
        if (spool_path(spool, sub, files[removed].name, file, sizeof(file), NULL) == LF_OK)
            unlink(file);
        bytes -= files[removed].size;
        removed++;
    }
    if (removed > 0)
        log_warn("spool: removed the %zu oldest files of '%s' to keep it within the spool's "
                 "limits",
                 removed, path);
    lf_free(files);
}

static void set_aside(struct spool *spool, const char *sub, const char *why)
{
    const char *name = spool->entries[0].name;
    char from[PATH_MAX], to[PATH_MAX];
    if (spool_path(spool, NULL, name, from, sizeof(from), NULL) == LF_OK &&
        spool_path(spool, sub, name, to, sizeof(to), NULL) == LF_OK && rename(from, to) == 0) {
        log_warn("spool: %s profile file moved to '%s': %s", sub, to, why);
    } else {
        log_warn("spool: %s profile file '%s' could not be moved aside (%s), removed: %s", sub,
                 from, strerror(errno), why);
        unlink(from);
    }
    index_pop_oldest(spool);
    trim_aside(spool, sub);
}

int spool_peek(struct spool *spool, struct spool_meta *meta, char **body, size_t *len,
               struct lf_error *err)
{
    while (spool->n_entries > 0) {
        char path[PATH_MAX];
        int rc = spool_path(spool, NULL, spool->entries[0].name, path, sizeof(path), err);
        if (rc != LF_OK)
            return rc;
        char *buf = NULL;
        size_t buf_len = 0;
        struct lf_error why = { 0 };
        rc = read_file(path, spool->limits.max_bytes + SPOOL_HEADER_MAX, &buf, &buf_len, &why);
        if (rc == LF_ENOTFOUND) {
            log_warn("spool: '%s' disappeared", path);
            index_pop_oldest(spool);
            continue;
        }
        if (rc == LF_OK) {
            size_t off = 0;
            rc = parse_file(buf, buf_len, meta, &off, &why);
            if (rc == LF_OK) {
                /* hand the body over in place: move it to the front of the buffer */
                memmove(buf, buf + off, buf_len - off);
                buf[buf_len - off] = '\0';
                *body = buf;
                *len = buf_len - off;
                return LF_OK;
            }
        }
        lf_free(buf);
        if (rc == LF_ENOMEM || rc == LF_EIO)
            return lf_fail(err, rc, "%s", why.msg);
        spool->corrupt++;
        set_aside(spool, "corrupt", why.msg);
    }
    return lf_fail(err, LF_ENOTFOUND, "spool is empty");
}

int spool_remove(struct spool *spool, struct lf_error *err)
{
    if (spool->n_entries == 0)
        return lf_fail(err, LF_ENOTFOUND, "spool is empty");
    char path[PATH_MAX];
    int rc = spool_path(spool, NULL, spool->entries[0].name, path, sizeof(path), err);
    if (rc != LF_OK)
        return rc;
    /* out of the index either way: a file that cannot be deleted must not be pushed in a
     * loop; the next start replays it under its key and the server answers from its store */
    rc = LF_OK;
    if (unlink(path) != 0 && errno != ENOENT)
        rc = lf_fail(err, LF_EIO, "spool: remove '%s': %s", path, strerror(errno));
    index_pop_oldest(spool);
    return rc;
}

int spool_reject(struct spool *spool, const char *reason, struct lf_error *err)
{
    if (spool->n_entries == 0)
        return lf_fail(err, LF_ENOTFOUND, "spool is empty");
    set_aside(spool, "rejected", reason);
    return LF_OK;
}
