/* parse_pprof.h - goroutine profiles in the pprof protobuf format (?debug=0 and the
 * goroutineleak profile), already gunzipped. The message is parsed whole: its string
 * table usually comes last, so nothing can be resolved before the end anyway. */
#ifndef LF_PARSE_PPROF_H
#define LF_PARSE_PPROF_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "parse.h"
#include "stack.h"
#include "str.h"

/* Parses the perftools.profiles.Profile message (buf, len) and sends one stack per
 * sample with a positive value[0] to sink(ctx, ...), in the order of the samples.
 * Frames are the lines of the sample's locations, innermost first (a location with
 * several lines is an inlined call chain); runtime frames are kept. String labels become
 * stack labels (numeric ones are dropped); wait_reason is empty and wait_minutes -1.
 * A profile whose first sample type is "goroutineleak" sets info->leak_profile and marks
 * every stack leaked. limits may be NULL for the defaults. Fills *info (may be NULL):
 * format, leak_profile, goroutines, stacks, time_nanos, declared_total -1 (gzipped is
 * left to the caller). Returns LF_OK; LF_EINVAL for a malformed message (bad varint,
 * truncation, an index or id that points nowhere) or a profile that is not a goroutine
 * profile, with a one-line message; LF_ETOOBIG when the index tables would pass
 * limits->max_decoded_bytes; LF_ENOMEM; or the sink's own error. buf is borrowed, and so
 * are the views the sink receives. */
int parse_pprof(const char *buf, size_t len, const struct parse_limits *limits, stack_sink_fn sink,
                void *ctx, struct parse_info *info, struct lf_error *err);

/* The first sample type of the Profile message (buf, len), already gunzipped: *type and
 * *unit as views into buf (empty views when the profile declares no sample type), and
 * *time_nanos (0 when absent). Reads only the top-level fields, the first sample type
 * and the string table, so it is cheap on any profile (CPU, memory, ...). Returns LF_OK,
 * or LF_EINVAL for a malformed message or an index past the string table. */
int parse_pprof_sample_type(const char *buf, size_t len, struct str *type, struct str *unit,
                            int64_t *time_nanos, struct lf_error *err);

/* True when (buf, len), the start of a decoded input, reads as the start of a Profile
 * message: every field up to the end of buf (the last one may be cut) has a Profile
 * field number and the wire type that field uses. */
bool parse_pprof_sniff(const char *buf, size_t len);

#endif
