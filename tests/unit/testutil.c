/* testutil.c - helpers the unit tests share; failures are Check assertions, so a helper
 * that cannot do its job fails the test that called it. */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

char *testutil_read_fixture(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            ck_assert_ptr_nonnull(grown);
            buf = grown;
        }
    }
    ck_assert_msg(!ferror(f), "cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

struct sqlite3 *store_conn_db(struct store_conn *conn)
{
    return conn->db;
}

void testutil_db_init(struct testutil_db *db, const char *suite)
{
    static int serial;
    snprintf(db->dir, sizeof(db->dir), "/tmp/lf_%s_%d_%d", suite, (int)getpid(), serial++);
    ck_assert_msg(mkdir(db->dir, 0700) == 0, "cannot create %s", db->dir);
    snprintf(db->path, sizeof(db->path), "%s/leakfleet.db", db->dir);
}

void testutil_db_release(struct testutil_db *db)
{
    char p[160];
    const char *suffixes[] = { "", "-wal", "-shm" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", db->path, suffixes[i]);
        unlink(p);
    }
    rmdir(db->dir);
}
