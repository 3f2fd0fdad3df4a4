/* target_meta.c - picks the start time and the version out of a target's metrics. Knows
 * the metric names and which of them to prefer; the syntax is promtext.c's. Everything
 * kept is checked here, because it goes on the wire and into log lines: a start time
 * must be a finite unix time, a version short UTF-8 text without control characters. */
#include "target_meta.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "promtext.h"
#include "str.h"

#define LATEST_UNIX_TIME 253402300799.0 /* 9999-12-31T23:59:59Z */

enum version_rank {
    RANK_NONE,
    RANK_GO_BUILD_INFO, /* go_build_info: the main module's version, "(devel)" when unknown */
    RANK_BUILD_INFO,    /* any other <name>_build_info: the service's own */
};

struct scan {
    struct target_meta *out;
    bool seen_start;
    bool seen_go_info;
    enum version_rank rank;
};

bool target_meta_version_ok(const char *s, size_t len)
{
    if (len == 0 || len > TARGET_META_VERSION_MAX)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return false;
            i++;
            continue;
        }
        size_t n = 0; /* bytes of the sequence c starts */
        if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef)
            n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 4;
        if (n == 0 || i + n > len)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
        }
        unsigned char c1 = p[i + 1];
        if ((c == 0xc2 && c1 < 0xa0) ||  /* C1 controls U+0080..U+009F */
            (c == 0xe0 && c1 < 0xa0) ||  /* overlong */
            (c == 0xed && c1 >= 0xa0) || /* UTF-16 surrogates */
            (c == 0xf0 && c1 < 0x90) ||  /* overlong */
            (c == 0xf4 && c1 >= 0x90))   /* past U+10FFFF */
            return false;
        i += n;
    }
    return true;
}

/* Unescapes the version label of sample into dst[TARGET_META_VERSION_MAX + 1]; false
 * (with a problem noted when the label is there but unusable) otherwise. */
static bool take_version(struct scan *scan, const struct promtext_sample *sample, char *dst)
{
    const struct promtext_label *label = promtext_label(sample, "version");
    if (label == NULL || label->raw_value.len == 0)
        return false;
    char buf[TARGET_META_VERSION_MAX + 1];
    size_t len = 0;
    if (!promtext_unescape(label->raw_value, buf, sizeof(buf), &len) ||
        !target_meta_version_ok(buf, len)) {
        snprintf(scan->out->problem, sizeof(scan->out->problem),
                 "line %zu: the version label of %.*s is not usable (over %d bytes, control "
                 "characters or not UTF-8)",
                 sample->line, (int)(sample->name.len > 64 ? 64 : sample->name.len), sample->name.p,
                 TARGET_META_VERSION_MAX);
        return false;
    }
    memcpy(dst, buf, len + 1);
    return true;
}

static int on_sample(void *ctx, const struct promtext_sample *sample, struct lf_error *err)
{
    (void)err;
    struct scan *scan = ctx;
    struct target_meta *out = scan->out;
    struct str name = sample->name;
    if (str_eq_cstr(name, "process_start_time_seconds")) {
        if (scan->seen_start)
            return LF_OK;
        scan->seen_start = true;
        double v = sample->value;
        if (!isfinite(v) || v < 1 || v > LATEST_UNIX_TIME) {
            snprintf(out->problem, sizeof(out->problem),
                     "line %zu: process_start_time_seconds %g is not a unix time", sample->line, v);
            return LF_OK;
        }
        out->start_seconds = v;
        out->started = (int64_t)floor(v);
        return LF_OK;
    }
    if (str_eq_cstr(name, "go_info")) {
        if (!scan->seen_go_info)
            scan->seen_go_info = take_version(scan, sample, out->go_version);
        return LF_OK;
    }
    if (!str_has_suffix_cstr(name, "_build_info"))
        return LF_OK;
    enum version_rank rank =
            str_eq_cstr(name, "go_build_info") ? RANK_GO_BUILD_INFO : RANK_BUILD_INFO;
    if (rank <= scan->rank)
        return LF_OK;
    char version[TARGET_META_VERSION_MAX + 1];
    if (!take_version(scan, sample, version))
        return LF_OK;
    if (rank == RANK_GO_BUILD_INFO && strcmp(version, "(devel)") == 0)
        return LF_OK; /* built from a checkout, not a tagged module version */
    memcpy(out->version, version, sizeof(version));
    str_copy_to(name, out->version_metric, sizeof(out->version_metric));
    scan->rank = rank;
    return LF_OK;
}

int target_meta_parse(const char *text, size_t len, struct target_meta *out, struct lf_error *err)
{
    memset(out, 0, sizeof(*out));
    struct scan scan = { .out = out, .rank = RANK_NONE };
    int rc = promtext_parse(text, len, on_sample, &scan, err);
    if (rc != LF_OK) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    return LF_OK;
}
