/* decode.h - gzip in and out with zlib, with a cap on the decoded size that is enforced
 * while inflating, so a gzip bomb is stopped after at most one 64 KiB chunk past the cap,
 * never after it has been expanded into memory. Concatenated gzip members (RFC 1952
 * allows them; `cat a.gz b.gz` makes them) decode to the concatenation of their data. */
#ifndef LF_DECODE_H
#define LF_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* True when (buf, len) starts with the gzip magic bytes 1f 8b. */
bool decode_is_gzip(const char *buf, size_t len);

/* Receives the next piece of decoded output, borrowed for the duration of the call;
 * returns LF_OK to go on, or a negative code (with err set) to stop the decode. */
typedef int (*decode_sink_fn)(void *ctx, const char *buf, size_t len, struct lf_error *err);

struct decode;

/* Returns a new streaming gunzip that passes decoded bytes to sink(ctx, ...) and fails
 * once more than max_out bytes have been decoded (0 = no cap). Caller frees with
 * decode_free. NULL when allocation fails. */
struct decode *decode_create(size_t max_out, decode_sink_fn sink, void *ctx);

/* Feeds the next (in, len) compressed bytes; chunks may split anywhere, including
 * between gzip members. Returns LF_OK, LF_EINVAL for a corrupt stream, LF_ETOOBIG past
 * max_out, LF_ENOMEM, or the sink's own error. After an error it accepts nothing more. */
int decode_feed(struct decode *decode, const char *in, size_t len, struct lf_error *err);

/* Ends the input: LF_OK when it ended exactly at the end of a gzip member, LF_EINVAL
 * when it was empty or truncated ("truncated gzip stream"), or an earlier error. */
int decode_finish(struct decode *decode, struct lf_error *err);

/* Bytes decoded so far. */
size_t decode_total_out(const struct decode *decode);

/* Frees the decoder; NULL is allowed. */
void decode_free(struct decode *decode);

/* One shot: gunzips (in, len) into *out, a new NUL-terminated buffer of *out_len bytes
 * (NUL not counted; caller frees with lf_free). Fails with LF_ETOOBIG when the decoded
 * size would pass max_out (0 = no cap), LF_EINVAL when the input is not a complete gzip
 * stream, LF_ENOMEM; *out is NULL on failure. */
int decode_gunzip_buffer(const char *in, size_t len, size_t max_out, char **out, size_t *out_len,
                         struct lf_error *err);

/* One shot: gzips (in, len) into *out, a new buffer of *out_len bytes (caller frees with
 * lf_free). LF_ENOMEM or LF_EINTERNAL on failure; *out is NULL then. */
int decode_gzip_buffer(const char *in, size_t len, char **out, size_t *out_len,
                       struct lf_error *err);

#endif
