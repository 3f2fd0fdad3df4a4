/* cli.c - usage errors and input streaming for the commands (options: opt.h). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define CLI_CHUNK ((size_t)64 << 10)

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "leakfleet %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see leakfleet %s --help)\n", command);
    return LF_EUSAGE;
}

int cli_parse_input(const char *path, enum parse_format format, stack_sink_fn sink, void *ctx,
                    struct parse_info *info, struct lf_error *err)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *in = from_stdin ? stdin : fopen(path, "rb");
    if (in == NULL)
        return lf_fail(err, LF_EIO, "cannot open: %s", strerror(errno));
    char *buf = lf_malloc(CLI_CHUNK);
    struct parser *parser = parser_create(format, NULL, sink, ctx);
    enum parse_format sniffed = PARSE_FORMAT_AUTO;
    int rc = LF_OK;
    if (buf == NULL || parser == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "out of memory");
        goto out;
    }
    for (bool first = true;; first = false) {
        size_t n = fread(buf, 1, CLI_CHUNK, in);
        if (first && n > 0)
            sniffed = parse_sniff(buf, n);
        if (n > 0 && (rc = parser_feed(parser, buf, n, err)) != LF_OK)
            goto out;
        if (n < CLI_CHUNK) {
            if (ferror(in)) {
                rc = lf_fail(err, LF_EIO, "read error: %s", strerror(errno));
                goto out;
            }
            if (feof(in))
                break;
        }
    }
    struct parse_info local;
    if (info == NULL)
        info = &local;
    rc = parser_finish(parser, info, err);
    if (rc == LF_OK && info->truncated)
        fprintf(stderr,
                "leakfleet: warning: %s: %s line %lld: the dump is cut off inside a goroutine; "
                "analyzed up to there\n",
                from_stdin ? "stdin" : path,
                info->format == PARSE_FORMAT_DEBUG2 ? "debug=2" : "text",
                (long long)info->truncated_line);
out:
    /* A format forced by hand that the first bytes contradict: say what they look like. */
    if (err != NULL && rc != LF_OK && rc != LF_ENOMEM && rc != LF_EIO &&
        format != PARSE_FORMAT_AUTO && sniffed != PARSE_FORMAT_AUTO && sniffed != format) {
        char msg[sizeof(err->msg) + 128];
        snprintf(msg, sizeof(msg), "%s (the input looks like %s, not %s: try --format auto)",
                 err->msg, parse_format_name(sniffed), parse_format_name(format));
        size_t len = strlen(msg);
        if (len >= sizeof(err->msg))
            len = sizeof(err->msg) - 1;
        memcpy(err->msg, msg, len);
        err->msg[len] = '\0';
    }
    parser_free(parser);
    lf_free(buf);
    if (!from_stdin)
        fclose(in);
    return rc;
}
