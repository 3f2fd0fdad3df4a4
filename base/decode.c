/* decode.c - gzip with zlib: a streaming gunzip that hands output to a sink in 64 KiB
 * pieces and counts every byte against the cap as it comes out of inflate(), plus one-shot
 * gunzip/gzip of a buffer. It knows nothing of profile formats. zlib allocates through
 * lf_malloc, so allocation-failure tests reach its paths too. */
#include "decode.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "alloc.h"

#define DECODE_CHUNK 65536

struct decode {
    z_stream z;
    bool z_ready;           /* inflateInit2 succeeded */
    bool in_member;         /* bytes of a gzip member were consumed and it has not ended yet */
    bool any_input;         /* at least one byte was fed */
    struct lf_error failed; /* sticky: the first error, code LF_OK while none */
    size_t max_out;
    size_t total_out;
    decode_sink_fn sink;
    void *ctx;
    unsigned char out[DECODE_CHUNK];
};

bool decode_is_gzip(const char *buf, size_t len)
{
    return buf != NULL && len >= 2 && (unsigned char)buf[0] == 0x1f &&
           (unsigned char)buf[1] == 0x8b;
}

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size != 0 && items > SIZE_MAX / size)
        return Z_NULL;
    return lf_malloc((size_t)items * size);
}

static void zlib_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    lf_free(ptr);
}

struct decode *decode_create(size_t max_out, decode_sink_fn sink, void *ctx)
{
    /* not calloc: clearing the 64 KiB output buffer cost more than the inflate of a
     * typical pushed profile */
    struct decode *decode = lf_malloc(sizeof(*decode));
    if (decode == NULL)
        return NULL;
    memset(decode, 0, offsetof(struct decode, out));
    decode->z.zalloc = zlib_alloc;
    decode->z.zfree = zlib_free;
    decode->z.opaque = Z_NULL;
    /* 16 + MAX_WBITS: a gzip wrapper is required, its CRC and length are checked */
    if (inflateInit2(&decode->z, 16 + MAX_WBITS) != Z_OK) {
        lf_free(decode);
        return NULL;
    }
    decode->z_ready = true;
    decode->max_out = max_out;
    decode->sink = sink;
    decode->ctx = ctx;
    lf_error_clear(&decode->failed);
    return decode;
}

/* Records the first error so later calls repeat it; returns its code. */
static int decode_fail(struct decode *decode, struct lf_error *err)
{
    decode->failed = *err;
    return err->code;
}

int decode_feed(struct decode *decode, const char *in, size_t len, struct lf_error *err)
{
    struct lf_error local;
    if (err == NULL)
        err = &local;
    if (decode->failed.code != LF_OK) {
        *err = decode->failed;
        return err->code;
    }
    if (len == 0)
        return LF_OK;
    decode->any_input = true;
    const unsigned char *next = (const unsigned char *)in;
    size_t left = len;
    bool more_output = false;
    while (left > 0 || decode->z.avail_in > 0 || more_output) {
        /* uInt may be narrower than size_t: feed at most 1 GiB per round */
        if (decode->z.avail_in == 0 && left > 0) {
            size_t take = left < (1u << 30) ? left : (1u << 30);
            decode->z.next_in = (Bytef *)(uintptr_t)next;
            decode->z.avail_in = (uInt)take;
            next += take;
            left -= take;
        }
        decode->in_member = true;
        decode->z.next_out = decode->out;
        decode->z.avail_out = DECODE_CHUNK;
        int zr = inflate(&decode->z, Z_NO_FLUSH);
        size_t produced = DECODE_CHUNK - decode->z.avail_out;
        more_output = decode->z.avail_out == 0;
        if (zr == Z_MEM_ERROR) {
            lf_fail(err, LF_ENOMEM, "gunzip: out of memory");
            return decode_fail(decode, err);
        }
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            lf_fail(err, LF_EINVAL, "corrupt gzip stream at byte %zu: %s",
                    (size_t)decode->z.total_in, decode->z.msg != NULL ? decode->z.msg : "bad data");
            return decode_fail(decode, err);
        }
        if (produced > 0) {
            if (decode->max_out != 0 && produced > decode->max_out - decode->total_out) {
                lf_fail(err, LF_ETOOBIG, "gunzipped profile is over the %zu-byte limit",
                        decode->max_out);
                return decode_fail(decode, err);
            }
            decode->total_out += produced;
            if (decode->sink != NULL) {
                int rc = decode->sink(decode->ctx, (const char *)decode->out, produced, err);
                if (rc != LF_OK)
                    return decode_fail(decode, err);
            }
        }
        if (zr == Z_STREAM_END) {
            /* the member ended; whatever follows must be another member */
            decode->in_member = false;
            more_output = false;
            uLong total_in = decode->z.total_in;
            if (inflateReset(&decode->z) != Z_OK) {
                lf_fail(err, LF_EINTERNAL, "gunzip: cannot reset the inflater");
                return decode_fail(decode, err);
            }
            decode->z.total_in = total_in;
            continue;
        }
        if (zr == Z_BUF_ERROR && decode->z.avail_in > 0 && !more_output) {
            lf_fail(err, LF_EINVAL, "corrupt gzip stream at byte %zu", (size_t)decode->z.total_in);
            return decode_fail(decode, err);
        }
    }
    return LF_OK;
}

int decode_finish(struct decode *decode, struct lf_error *err)
{
    struct lf_error local;
    if (err == NULL)
        err = &local;
    if (decode->failed.code != LF_OK) {
        *err = decode->failed;
        return err->code;
    }
    if (!decode->any_input) {
        lf_fail(err, LF_EINVAL, "empty gzip stream");
        return decode_fail(decode, err);
    }
    if (decode->in_member) {
        lf_fail(err, LF_EINVAL, "truncated gzip stream (%zu bytes in, %zu decoded)",
                (size_t)decode->z.total_in, decode->total_out);
        return decode_fail(decode, err);
    }
    return LF_OK;
}

size_t decode_total_out(const struct decode *decode)
{
    return decode->total_out;
}

void decode_free(struct decode *decode)
{
    if (decode == NULL)
        return;
    if (decode->z_ready)
        inflateEnd(&decode->z);
    lf_free(decode);
}

/* ---- one-shot helpers ------------------------------------------------------------------ */

struct grow_buf {
    char *p;
    size_t len;
    size_t cap;
};

static int grow_buf_sink(void *ctx, const char *buf, size_t len, struct lf_error *err)
{
    struct grow_buf *out = ctx;
    if (len >= SIZE_MAX / 2 - out->len)
        return lf_fail(err, LF_ENOMEM, "gunzip: output too large");
    if (!LF_ALLOC_GROW(out->p, out->len + len + 1, out->cap, DECODE_CHUNK))
        return lf_fail(err, LF_ENOMEM, "gunzip: out of memory");
    memcpy(out->p + out->len, buf, len);
    out->len += len;
    out->p[out->len] = '\0';
    return LF_OK;
}

int decode_gunzip_buffer(const char *in, size_t len, size_t max_out, char **out, size_t *out_len,
                         struct lf_error *err)
{
    struct grow_buf buf = { NULL, 0, 0 };
    int rc;
    *out = NULL;
    *out_len = 0;
    struct decode *decode = decode_create(max_out, grow_buf_sink, &buf);
    if (decode == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "gunzip: out of memory");
        goto out;
    }
    rc = decode_feed(decode, in, len, err);
    if (rc == LF_OK)
        rc = decode_finish(decode, err);
    if (rc != LF_OK)
        goto out;
    if (buf.p == NULL) {
        /* a valid stream of empty members */
        buf.p = lf_malloc(1);
        if (buf.p == NULL) {
            rc = lf_fail(err, LF_ENOMEM, "gunzip: out of memory");
            goto out;
        }
        buf.p[0] = '\0';
    }
    *out = buf.p;
    *out_len = buf.len;
    buf.p = NULL;
out:
    decode_free(decode);
    lf_free(buf.p);
    return rc;
}

int decode_gzip_buffer(const char *in, size_t len, char **out, size_t *out_len,
                       struct lf_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    z.zalloc = zlib_alloc;
    z.zfree = zlib_free;
    *out = NULL;
    *out_len = 0;
    if (len > (size_t)UINT32_MAX)
        return lf_fail(err, LF_ETOOBIG, "gzip: input over 4 GiB");
    int zr = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                          Z_DEFAULT_STRATEGY);
    if (zr != Z_OK)
        return lf_fail(err, zr == Z_MEM_ERROR ? LF_ENOMEM : LF_EINTERNAL,
                       "gzip: cannot start deflate");
    /* deflateBound plus the gzip header and trailer always fits in one call */
    size_t cap = (size_t)deflateBound(&z, (uLong)len) + 32;
    char *buf = lf_malloc(cap);
    int rc = LF_OK;
    if (buf == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "gzip: out of memory");
        goto out;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)cap;
    zr = deflate(&z, Z_FINISH);
    if (zr != Z_STREAM_END) {
        rc = lf_fail(err, zr == Z_MEM_ERROR ? LF_ENOMEM : LF_EINTERNAL, "gzip: deflate failed");
        goto out;
    }
    *out = buf;
    *out_len = cap - z.avail_out;
    buf = NULL;
out:
    deflateEnd(&z);
    lf_free(buf);
    return rc;
}
