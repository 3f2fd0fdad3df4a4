/* testutil.c - helpers the unit tests share; failures are Check assertions, so a helper
 * that cannot do its job fails the test that called it. */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

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
