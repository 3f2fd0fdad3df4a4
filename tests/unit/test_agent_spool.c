/* test_agent_spool.c - unit tests of agent/spool.c on a temporary directory: oldest
 * first replay, persistence across reopen, the lock, crash leftovers, corrupt files set
 * aside, rejected files moved, byte and file limits dropping the oldest, a key of its
 * own for every profile (across restarts too), a profile kept when the directory fsync
 * fails, and clean failure at every allocation. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc.h"
#include "check_main.h"
#include "spool.h"

static char dir[64];

/* fsync of this binary (spool.c's calls land here): fails for directories while
 * fail_dir_fsync is set, as a file system that cannot flush its directory does. */
static int fail_dir_fsync;

int fsync(int fd)
{
    struct stat st;
    if (fail_dir_fsync && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char child[PATH_MAX];
        snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
        rm_tree(child);
    }
    closedir(d);
    rmdir(path);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/lf-spool-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    rm_tree(dir);
}

/* Files in dir/sub (NULL: dir itself) whose names end in .prof. */
static int count_files(const char *sub)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s%s%s", dir, sub != NULL ? "/" : "", sub != NULL ? sub : "");
    DIR *d = opendir(path);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        n += len > 5 && strcmp(de->d_name + len - 5, ".prof") == 0;
    }
    closedir(d);
    return n;
}

/* The path of the oldest queued file. */
static void oldest_path(char *out, size_t size)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    char best[256] = "";
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".prof") == 0 &&
            (best[0] == '\0' || strcmp(de->d_name, best) < 0))
            snprintf(best, sizeof(best), "%s", de->d_name);
    }
    closedir(d);
    ck_assert(best[0] != '\0');
    snprintf(out, size, "%s/%s", dir, best);
}

static struct spool_meta meta_n(int n)
{
    struct spool_meta m;
    memset(&m, 0, sizeof(m));
    snprintf(m.service, sizeof(m.service), "checkout");
    snprintf(m.instance, sizeof(m.instance), "host-%d", n);
    m.ts = 1795600000 + n;
    snprintf(m.format, sizeof(m.format), "%s", n % 2 ? "debug1" : "pprof");
    m.leak = n == 3;
    m.gzip = n % 2 == 1;
    /* a key the caller left there: spool_put draws the profile's own over it */
    snprintf(m.key, sizeof(m.key), "%032x", 0xabc);
    return m;
}

/* Keys given to the profiles put so far, by n (the tests use n < 64). */
static char keys[64][SPOOL_KEY_LEN + 1];

static void put_n(struct spool *s, int n, const char *body)
{
    struct spool_meta m = meta_n(n);
    struct lf_error err = { 0 };
    ck_assert_msg(spool_put(s, &m, body, strlen(body), &err) == LF_OK, "%s", err.msg);
    ck_assert_uint_eq(strlen(m.key), SPOOL_KEY_LEN);
    ck_assert_str_ne(m.key, meta_n(n).key);
    memcpy(keys[n], m.key, sizeof(keys[n]));
}

static void expect_oldest(struct spool *s, int n, const char *body)
{
    struct spool_meta got;
    char *data = NULL;
    size_t len = 0;
    struct lf_error err = { 0 };
    ck_assert_msg(spool_peek(s, &got, &data, &len, &err) == LF_OK, "%s", err.msg);
    struct spool_meta want = meta_n(n);
    ck_assert_str_eq(got.service, want.service);
    ck_assert_str_eq(got.instance, want.instance);
    ck_assert_int_eq(got.ts, want.ts);
    ck_assert_str_eq(got.format, want.format);
    ck_assert_int_eq(got.leak, want.leak);
    ck_assert_int_eq(got.gzip, want.gzip);
    ck_assert_str_eq(got.key, keys[n]);
    ck_assert_uint_eq(len, strlen(body));
    ck_assert_mem_eq(data, body, len);
    ck_assert_int_eq(data[len], '\0');
    lf_free(data);
}

static const struct spool_limits roomy = { 1 << 20, 100 };

START_TEST(test_put_peek_remove_oldest_first)
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_uint_eq(spool_count(s), 0);
    ck_assert_int_eq(
            spool_peek(s, &(struct spool_meta){ 0 }, &(char *){ NULL }, &(size_t){ 0 }, &err),
            LF_ENOTFOUND);
    put_n(s, 1, "first body");
    put_n(s, 2, "second\nbody with \0 nothing after");
    put_n(s, 3, "");
    ck_assert_uint_eq(spool_count(s), 3);
    ck_assert_int_eq(count_files(NULL), 3);
    /* bytes on disk equal the index's total */
    expect_oldest(s, 1, "first body");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    expect_oldest(s, 2, "second\nbody with ");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    expect_oldest(s, 3, "");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    ck_assert_uint_eq(spool_count(s), 0);
    ck_assert_uint_eq(spool_bytes(s), 0);
    ck_assert_int_eq(spool_remove(s, &err), LF_ENOTFOUND);
    ck_assert_int_eq(count_files(NULL), 0);
    spool_close(s);
}
END_TEST

START_TEST(test_reopen_keeps_queue_lock_and_leftovers)
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    for (int i = 1; i <= 4; i++)
        put_n(s, i, "profile");
    uint64_t bytes = spool_bytes(s);
    /* a second agent on the same spool is refused */
    struct spool *other = spool_open(dir, &roomy, &err);
    ck_assert_ptr_null(other);
    ck_assert_int_eq(err.code, LF_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "in use by another agent") != NULL, "%s", err.msg);
    spool_close(s);

    /* a crash in the middle of a write leaves a temporary file: removed at open */
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof(tmp), "%s/.tmp-00000000000000000001-x.prof", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "leakfleet-spool 1\nserv", 22), 22);
    close(fd);

    s = spool_open(dir, &roomy, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(access(tmp, F_OK), -1);
    ck_assert_uint_eq(spool_count(s), 4);
    ck_assert_uint_eq(spool_bytes(s), bytes);
    expect_oldest(s, 1, "profile");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    /* new files still sort after the old ones */
    put_n(s, 5, "newest");
    expect_oldest(s, 2, "profile");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    expect_oldest(s, 3, "profile");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    expect_oldest(s, 4, "profile");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    expect_oldest(s, 5, "newest");
    spool_close(s);
}
END_TEST

/* Rewrites the oldest file through fn, then expects it to be set aside as corrupt. */
static void corrupt_oldest_and_check(void (*fn)(char *buf, size_t *len))
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    put_n(s, 1, "the body that gets damaged");
    put_n(s, 2, "a good one");
    char path[PATH_MAX];
    oldest_path(path, sizeof(path));
    char buf[4096];
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    fn(buf, &len);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);

    expect_oldest(s, 2, "a good one");
    ck_assert_uint_eq(spool_corrupt(s), 1);
    ck_assert_uint_eq(spool_count(s), 1);
    ck_assert_int_eq(count_files("corrupt"), 1);
    ck_assert_int_eq(count_files(NULL), 1);
    spool_close(s);
}

static void flip_body_byte(char *buf, size_t *len)
{
    buf[*len - 3] ^= 0x20;
}

static void truncate_body(char *buf, size_t *len)
{
    (void)buf;
    *len -= 5;
}

static void bad_magic(char *buf, size_t *len)
{
    (void)len;
    buf[0] = 'L';
}

static void change_service(char *buf, size_t *len)
{
    (void)len;
    char *p = strstr(buf, "service checkout");
    ck_assert_ptr_nonnull(p);
    p[8] = 'C'; /* header bytes are covered by the CRC too */
}

static void cut_in_header(char *buf, size_t *len)
{
    (void)buf;
    *len = 40;
}

START_TEST(test_corrupt_flipped_byte)
{
    corrupt_oldest_and_check(flip_body_byte);
}
END_TEST

START_TEST(test_corrupt_truncated)
{
    corrupt_oldest_and_check(truncate_body);
}
END_TEST

START_TEST(test_corrupt_magic_header_and_cut)
{
    corrupt_oldest_and_check(bad_magic);
    teardown();
    setup();
    corrupt_oldest_and_check(change_service);
    teardown();
    setup();
    corrupt_oldest_and_check(cut_in_header);
}
END_TEST

START_TEST(test_reject_moves_aside)
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    put_n(s, 1, "refused");
    put_n(s, 2, "fine");
    ck_assert_int_eq(spool_reject(s, "server answered HTTP 400: bad profile", &err), LF_OK);
    ck_assert_int_eq(count_files("rejected"), 1);
    ck_assert_int_eq(count_files(NULL), 1);
    expect_oldest(s, 2, "fine");
    spool_close(s);
}
END_TEST

START_TEST(test_aside_directories_are_bounded)
{
    struct lf_error err = { 0 };
    struct spool_limits limits = { 1 << 20, 2 };
    struct spool *s = spool_open(dir, &limits, &err);
    ck_assert_ptr_nonnull(s);
    for (int i = 1; i <= 5; i++) {
        put_n(s, i, "refused again");
        ck_assert_int_eq(spool_reject(s, "server answered HTTP 401: unknown token", &err), LF_OK);
    }
    ck_assert_int_eq(count_files("rejected"), 2);
    ck_assert_uint_eq(spool_count(s), 0);
    spool_close(s);
}
END_TEST

START_TEST(test_file_limit_drops_oldest)
{
    struct lf_error err = { 0 };
    struct spool_limits limits = { 1 << 20, 3 };
    struct spool *s = spool_open(dir, &limits, &err);
    ck_assert_ptr_nonnull(s);
    for (int i = 1; i <= 7; i++)
        put_n(s, i, "x");
    ck_assert_uint_eq(spool_count(s), 3);
    ck_assert_uint_eq(spool_dropped(s), 4);
    ck_assert_int_eq(count_files(NULL), 3);
    expect_oldest(s, 5, "x");
    spool_close(s);
}
END_TEST

START_TEST(test_byte_limit_drops_oldest_and_too_big)
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    char body[1001];
    memset(body, 'b', 1000);
    body[1000] = '\0';
    put_n(s, 2, body);
    uint64_t one = spool_bytes(s); /* header + 1000 bytes: every test file has the same */
    ck_assert_uint_gt(one, 1000);
    spool_close(s);
    teardown();
    setup();

    /* room for two and a half files: the third drops the first, and so on */
    struct spool_limits limits = { one * 5 / 2, 100 };
    s = spool_open(dir, &limits, &err);
    ck_assert_ptr_nonnull(s);
    put_n(s, 2, body);
    put_n(s, 4, body);
    ck_assert_uint_eq(spool_dropped(s), 0);
    put_n(s, 6, body);
    ck_assert_uint_eq(spool_count(s), 2);
    ck_assert_uint_eq(spool_dropped(s), 1);
    ck_assert_uint_eq(spool_bytes(s), 2 * one);
    expect_oldest(s, 4, body);

    /* one profile larger than the whole spool is refused and drops nothing */
    char *huge = lf_malloc(one * 3);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'h', one * 3);
    struct spool_meta m = meta_n(8);
    ck_assert_int_eq(spool_put(s, &m, huge, one * 3, &err), LF_ETOOBIG);
    lf_free(huge);
    ck_assert_uint_eq(spool_count(s), 2);
    ck_assert_uint_eq(spool_dropped(s), 1);
    spool_close(s);
}
END_TEST

/* Pops every queued profile; appends its key to seen[*n_seen]. */
static void drain_keys(struct spool *s, char (*seen)[SPOOL_KEY_LEN + 1], size_t *n_seen)
{
    struct lf_error err = { 0 };
    for (;;) {
        struct spool_meta got;
        char *data = NULL;
        size_t len = 0;
        int rc = spool_peek(s, &got, &data, &len, &err);
        if (rc == LF_ENOTFOUND)
            return;
        ck_assert_msg(rc == LF_OK, "%s", err.msg);
        lf_free(data);
        memcpy(seen[(*n_seen)++], got.key, SPOOL_KEY_LEN + 1);
        ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    }
}

/* Two profiles never share an Idempotency-Key, not even byte-identical ones scraped in
 * the same second, and not across a restart of the agent (close, reopen); a queued
 * profile keeps its key across the restart. The caller cannot choose the key. */
START_TEST(test_every_profile_has_its_own_key)
{
    enum { PER_RUN = 8, RUNS = 3 };
    char seen[PER_RUN * RUNS][SPOOL_KEY_LEN + 1];
    size_t n_seen = 0;
    char kept[SPOOL_KEY_LEN + 1] = "";
    struct lf_error err = { 0 };
    for (int run = 0; run < RUNS; run++) {
        struct spool *s = spool_open(dir, &roomy, &err);
        ck_assert_msg(s != NULL, "%s", err.msg);
        if (run > 0) {
            /* the profile left queued by the last run comes back with its key */
            struct spool_meta got;
            char *data = NULL;
            size_t len = 0;
            ck_assert_int_eq(spool_peek(s, &got, &data, &len, &err), LF_OK);
            lf_free(data);
            ck_assert_str_eq(got.key, kept);
        }
        for (int i = 0; i < PER_RUN; i++) {
            struct spool_meta m = meta_n(1); /* the same metadata, ts and body each time */
            ck_assert_int_eq(spool_put(s, &m, "same body", 9, &err), LF_OK);
            if (i == PER_RUN - 1)
                memcpy(kept, m.key, sizeof(kept));
        }
        /* push all but the newest; it stays queued over the restart */
        size_t before = n_seen;
        struct spool_meta got;
        char *data = NULL;
        size_t len = 0;
        while (spool_count(s) > 1) {
            ck_assert_int_eq(spool_peek(s, &got, &data, &len, &err), LF_OK);
            lf_free(data);
            memcpy(seen[n_seen++], got.key, SPOOL_KEY_LEN + 1);
            ck_assert_int_eq(spool_remove(s, &err), LF_OK);
        }
        ck_assert_uint_eq(n_seen - before, run == 0 ? PER_RUN - 1 : PER_RUN);
        spool_close(s);
    }
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    drain_keys(s, seen, &n_seen);
    spool_close(s);
    ck_assert_uint_eq(n_seen, PER_RUN * RUNS);
    for (size_t i = 0; i < n_seen; i++) {
        ck_assert_uint_eq(strlen(seen[i]), SPOOL_KEY_LEN);
        for (size_t j = i + 1; j < n_seen; j++)
            ck_assert_msg(strcmp(seen[i], seen[j]) != 0, "profiles %zu and %zu share key %s", i, j,
                          seen[i]);
    }
}
END_TEST

/* The directory fsync after the rename fails: the profile is in place and must be
 * queued and replayed now, not only after the agent restarts. */
START_TEST(test_dir_fsync_failure_keeps_the_profile)
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    put_n(s, 1, "before");
    fail_dir_fsync = 1;
    struct spool_meta m = meta_n(2);
    int rc = spool_put(s, &m, "during", 6, &err);
    fail_dir_fsync = 0;
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    memcpy(keys[2], m.key, sizeof(keys[2]));
    put_n(s, 3, "after");
    ck_assert_uint_eq(spool_count(s), 3);
    ck_assert_int_eq(count_files(NULL), 3);
    expect_oldest(s, 1, "before");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    expect_oldest(s, 2, "during");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    expect_oldest(s, 3, "after");
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    ck_assert_uint_eq(spool_bytes(s), 0);
    spool_close(s);
}
END_TEST

START_TEST(test_bad_meta_refused)
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    struct spool_meta m = meta_n(1);
    snprintf(m.service, sizeof(m.service), "evil\nservice x");
    ck_assert_int_eq(spool_put(s, &m, "b", 1, &err), LF_EINVAL);
    m = meta_n(1);
    m.instance[0] = '\0';
    ck_assert_int_eq(spool_put(s, &m, "b", 1, &err), LF_EINVAL);
    m = meta_n(1);
    snprintf(m.format, sizeof(m.format), "de bug");
    ck_assert_int_eq(spool_put(s, &m, "b", 1, &err), LF_EINVAL);
    m = meta_n(1);
    snprintf(m.version, sizeof(m.version), "1.0\nkey 0123");
    ck_assert_int_eq(spool_put(s, &m, "b", 1, &err), LF_EINVAL);
    m = meta_n(1);
    m.started = -1;
    ck_assert_int_eq(spool_put(s, &m, "b", 1, &err), LF_EINVAL);
    ck_assert_uint_eq(spool_count(s), 0);
    ck_assert_int_eq(count_files(NULL), 0);
    spool_close(s);
}
END_TEST

START_TEST(test_open_fails_cleanly)
{
    struct lf_error err = { 0 };
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/file", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/file/spool", dir);
    ck_assert_ptr_null(spool_open(path, &roomy, &err));
    ck_assert_int_eq(err.code, LF_EIO);
}
END_TEST

START_TEST(test_every_allocation_failure_is_clean)
{
    /* walk the failing allocation across open, put, peek and remove: every path must
     * return an error (or succeed) without leaking; ASan's leak check proves the rest */
    for (long n = 0; n < 64; n++) {
        lf_alloc_fail_after(n);
        struct lf_error err = { 0 };
        struct spool *s = spool_open(dir, &roomy, &err);
        if (s != NULL) {
            struct spool_meta m = meta_n(1);
            if (spool_put(s, &m, "body", 4, &err) == LF_OK) {
                struct spool_meta got;
                char *data = NULL;
                size_t len = 0;
                if (spool_peek(s, &got, &data, &len, &err) == LF_OK) {
                    lf_free(data);
                    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
                }
            }
            spool_close(s);
        } else {
            ck_assert_int_eq(err.code, LF_ENOMEM);
        }
        lf_alloc_fail_after(-1);
    }
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    spool_close(s);
}
END_TEST

/* Writes dir/NAME as a spool file: header_lines (every header line after the magic and
 * before crc32), the CRC an agent computes, the empty line and body. */
static void write_spool_file(const char *name, const char *header_lines, const char *body)
{
    char text[2048];
    int n = snprintf(text, sizeof(text), "leakfleet-spool 1\n%slength %zu\n", header_lines,
                     strlen(body));
    ck_assert(n > 0 && (size_t)n < sizeof(text));
    uLong crc = crc32(0L, (const Bytef *)text, (uInt)n);
    crc = crc32(crc, (const Bytef *)body, (uInt)strlen(body));
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%scrc32 %08lx\n\n%s", text, (unsigned long)crc, body);
    fclose(f);
}

/* The whole header of the oldest queued file. */
static void oldest_header(char *out, size_t size)
{
    char path[PATH_MAX];
    oldest_path(path, sizeof(path));
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t len = fread(out, 1, size - 1, f);
    fclose(f);
    out[len] = '\0';
    char *end = strstr(out, "\n\n");
    ck_assert_ptr_nonnull(end);
    end[1] = '\0';
}

START_TEST(test_started_and_version_kept)
{
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    struct spool_meta m = meta_n(1);
    m.started = 1795590000;
    snprintf(m.version, sizeof(m.version), "1.4.2 (rc \"1\") \xc3\xa9");
    ck_assert_msg(spool_put(s, &m, "with", 4, &err) == LF_OK, "%s", err.msg);
    char want[256];
    snprintf(want, sizeof(want),
             "\nkey %s\nstarted 1795590000\nversion 1.4.2 (rc \"1\") \xc3\xa9\n"
             "length 4\n",
             m.key);
    m = meta_n(2);
    ck_assert_msg(spool_put(s, &m, "without", 7, &err) == LF_OK, "%s", err.msg);
    memcpy(keys[2], m.key, sizeof(keys[2]));

    char header[1024];
    oldest_header(header, sizeof(header));
    ck_assert_msg(strstr(header, want) != NULL, "%s", header);
    struct spool_meta got;
    char *data = NULL;
    size_t len = 0;
    ck_assert_msg(spool_peek(s, &got, &data, &len, &err) == LF_OK, "%s", err.msg);
    ck_assert_int_eq(got.started, 1795590000);
    ck_assert_str_eq(got.version, "1.4.2 (rc \"1\") \xc3\xa9");
    ck_assert_str_eq(got.instance, "host-1");
    lf_free(data);
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);

    /* without values the file is what an agent without them wrote */
    oldest_header(header, sizeof(header));
    snprintf(want, sizeof(want), "\nkey %s\nlength 7\n", keys[2]);
    ck_assert_msg(strstr(header, want) != NULL, "%s", header);
    expect_oldest(s, 2, "without");
    ck_assert_msg(spool_peek(s, &got, &data, &len, &err) == LF_OK, "%s", err.msg);
    ck_assert_int_eq(got.started, 0);
    ck_assert_str_eq(got.version, "");
    lf_free(data);
    spool_close(s);
}
END_TEST

START_TEST(test_files_of_older_agents_replay)
{
    /* the header an agent wrote before started and version existed */
    write_spool_file("01795600000000000000-0123456789abcdef0123456789abcdef.prof",
                     "service checkout\ninstance host-1\nts 1795600000\nformat pprof\nleak 0\n"
                     "encoding identity\nkey 0123456789abcdef0123456789abcdef\n",
                     "old body");
    /* one with only a version, and one with a start time that is no unix time */
    write_spool_file("01795600000000000001-0123456789abcdef0123456789abcde0.prof",
                     "service checkout\ninstance host-1\nts 1795600001\nformat debug1\nleak 1\n"
                     "encoding gzip\nkey 0123456789abcdef0123456789abcde0\nversion v2\n",
                     "versioned");
    write_spool_file("01795600000000000002-0123456789abcdef0123456789abcde1.prof",
                     "service checkout\ninstance host-1\nts 1795600002\nformat pprof\nleak 0\n"
                     "encoding identity\nkey 0123456789abcdef0123456789abcde1\nstarted 0\n",
                     "bad start");
    struct lf_error err = { 0 };
    struct spool *s = spool_open(dir, &roomy, &err);
    ck_assert_ptr_nonnull(s);
    struct spool_meta got;
    char *data = NULL;
    size_t len = 0;
    ck_assert_msg(spool_peek(s, &got, &data, &len, &err) == LF_OK, "%s", err.msg);
    ck_assert_str_eq(data, "old body");
    ck_assert_str_eq(got.key, "0123456789abcdef0123456789abcdef");
    ck_assert_int_eq(got.ts, 1795600000);
    ck_assert_int_eq(got.started, 0);
    ck_assert_str_eq(got.version, "");
    lf_free(data);
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    ck_assert_msg(spool_peek(s, &got, &data, &len, &err) == LF_OK, "%s", err.msg);
    ck_assert_str_eq(data, "versioned");
    ck_assert(got.leak && got.gzip);
    ck_assert_int_eq(got.started, 0);
    ck_assert_str_eq(got.version, "v2");
    lf_free(data);
    ck_assert_int_eq(spool_remove(s, &err), LF_OK);
    ck_assert_int_eq(spool_peek(s, &got, &data, &len, &err), LF_ENOTFOUND);
    ck_assert_uint_eq(spool_corrupt(s), 1);
    ck_assert_int_eq(count_files("corrupt"), 1);
    spool_close(s);
}
END_TEST

static Suite *spool_suite(void)
{
    Suite *s = suite_create("agent_spool");
    TCase *tc = tcase_create("queue");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_put_peek_remove_oldest_first);
    tcase_add_test(tc, test_reopen_keeps_queue_lock_and_leftovers);
    tcase_add_test(tc, test_every_profile_has_its_own_key);
    tcase_add_test(tc, test_dir_fsync_failure_keeps_the_profile);
    tcase_add_test(tc, test_bad_meta_refused);
    tcase_add_test(tc, test_open_fails_cleanly);
    tcase_add_test(tc, test_every_allocation_failure_is_clean);
    suite_add_tcase(s, tc);
    tc = tcase_create("set_aside");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_corrupt_flipped_byte);
    tcase_add_test(tc, test_corrupt_truncated);
    tcase_add_test(tc, test_corrupt_magic_header_and_cut);
    tcase_add_test(tc, test_reject_moves_aside);
    tcase_add_test(tc, test_aside_directories_are_bounded);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_file_limit_drops_oldest);
    tcase_add_test(tc, test_byte_limit_drops_oldest_and_too_big);
    suite_add_tcase(s, tc);
    tc = tcase_create("scrape_values");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_started_and_version_kept);
    tcase_add_test(tc, test_files_of_older_agents_replay);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(spool_suite)
