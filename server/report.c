/* report.c - renders a sorted aggregate as the analyze table or its JSON (jansson, with
 * the stealing *_new setters). Attribution runs once per printed location. The
 * aggregate's strings are valid UTF-8 (invalid bytes became U+FFFD there); the JSON is
 * built with utf8json all the same, and the table cuts long paths on a character
 * boundary. Nothing here knows how the input was read. */
#include "report.h"

#include <stdarg.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"
#include "utf8json.h"

/* ---- JSON ---------------------------------------------------------------------------- */

static bool shown(const struct agg_location *loc, const struct report_options *options)
{
    return loc->count >= options->min_count;
}

static void attribute(const struct report_options *options, const struct agg_location *loc,
                      struct attribution *out)
{
    if (options->attributor == NULL) {
        memset(out, 0, sizeof(*out));
        return;
    }
    attribute_site(options->attributor, str_from_cstr(loc->function), str_from_cstr(loc->file),
                   out);
}

static json_t *frame_json(const struct stack_frame *frame)
{
    return json_pack("{s:o, s:o, s:I}", "function",
                     utf8json_string(frame->function.p, frame->function.len), "file",
                     utf8json_string(frame->file.p, frame->file.len), "line",
                     (json_int_t)frame->line);
}

/* Adds "stack", "stack_truncated" and "created_by" to obj; nonzero on failure. */
static int put_stack(json_t *obj, const struct agg_location *loc)
{
    json_t *frames = json_array();
    int rc = json_object_set_new(obj, "stack", frames);
    for (size_t i = 0; rc == 0 && i < loc->n_frames; i++)
        rc = json_array_append_new(frames, frame_json(&loc->frames[i]));
    if (rc == 0 && loc->truncated)
        rc = json_object_set_new(obj, "stack_truncated", json_true());
    if (rc == 0)
        rc = json_object_set_new(obj, "created_by",
                                 loc->creator.function.len > 0 ? frame_json(&loc->creator)
                                                               : json_null());
    return rc;
}

static json_t *location_json(const struct agg_location *loc, const struct report_options *options)
{
    struct attribution attribution;
    attribute(options, loc, &attribution);
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    int rc = 0;
    rc |= json_object_set_new(obj, "op", utf8json_cstr(loc->op_text));
    rc |= json_object_set_new(obj, "function", utf8json_cstr(loc->function));
    rc |= json_object_set_new(obj, "file", utf8json_cstr(loc->file));
    rc |= json_object_set_new(obj, "line", json_integer(loc->line));
    rc |= json_object_set_new(obj, "count", json_integer(loc->count));
    rc |= json_object_set_new(obj, "in_repo", json_boolean(attribution.in_repo));
    rc |= json_object_set_new(obj, "owner",
                              attribution.owner != NULL ? utf8json_cstr(attribution.owner)
                                                        : json_null());
    if (loc->max_wait_minutes >= 0)
        rc |= json_object_set_new(obj, "max_wait_minutes", json_integer(loc->max_wait_minutes));
    if (loc->confirmed)
        rc |= json_object_set_new(obj, "confirmed", json_true());
    if (rc == 0 && options->stacks)
        rc = put_stack(obj, loc);
    if (rc != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *report_json(const struct aggregate *agg, const struct report_options *options,
                    struct lf_error *err)
{
    json_t *root = json_object();
    json_t *locations = json_array();
    if (root == NULL || locations == NULL)
        goto out_nomem;
    if (json_object_set_new(root, "format", utf8json_cstr(options->format)) != 0 ||
        json_object_set_new(root, "goroutines", json_integer(options->goroutines)) != 0)
        goto out_nomem;
    if (options->truncated && json_object_set_new(root, "truncated", json_true()) != 0)
        goto out_nomem;
    if (options->stacks && options->crash != NULL && options->crash[0] != '\0' &&
        json_object_set_new(root, "crash", utf8json_cstr(options->crash)) != 0)
        goto out_nomem;
    for (size_t i = 0; i < aggregate_size(agg); i++) {
        const struct agg_location *loc = aggregate_at(agg, i);
        if (!shown(loc, options))
            continue;
        if (json_array_append_new(locations, location_json(loc, options)) != 0)
            goto out_nomem;
    }
    if (json_object_set_new(root, "locations", locations) != 0) {
        locations = NULL; /* the failed setter released it */
        goto out_nomem;
    }
    return root;
out_nomem:
    json_decref(locations);
    json_decref(root);
    lf_fail(err, LF_ENOMEM, "out of memory building the JSON report");
    return NULL;
}

int report_write_json(FILE *out, const struct aggregate *agg, const struct report_options *options,
                      struct lf_error *err)
{
    json_t *root = report_json(agg, options, err);
    if (root == NULL)
        return err != NULL ? err->code : LF_ENOMEM;
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc != 0 || fputc('\n', out) == EOF || fflush(out) != 0 || ferror(out))
        return lf_fail(err, LF_EIO, "cannot write the report");
    return LF_OK;
}

/* ---- text ---------------------------------------------------------------------------- */

#define TEXT_MAX_COLUMN 80

/* Prints one formatted line without trailing blanks, then a newline. */
static void emit_line(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit_line(FILE *out, const char *fmt, ...)
{
    char small[1024];
    char *buf = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(small)) {
        buf = lf_malloc((size_t)n + 1);
        if (buf == NULL) {
            buf = small; /* print what fitted, up to its last whole character */
            n = (int)utf8_cut(small, (size_t)n, sizeof(small) - 1);
        } else {
            va_start(ap, fmt);
            vsnprintf(buf, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
    }
    size_t len = (size_t)n;
    while (len > 0 && buf[len - 1] == ' ')
        len--;
    fwrite(buf, 1, len, out);
    fputc('\n', out);
    if (buf != small)
        lf_free(buf);
}

static int clamp_width(size_t width)
{
    return width > TEXT_MAX_COLUMN ? TEXT_MAX_COLUMN : (int)width;
}

/* The representative stack of the n-th location shown (1-based), as the header of
 * report.h says. */
static void write_stack(FILE *out, size_t n, const struct agg_location *loc)
{
    emit_line(out, "#%zu  %lld goroutine%s  %s  %s  %s:%lld", n, (long long)loc->count,
              loc->count == 1 ? "" : "s", loc->op_text, loc->function, loc->file,
              (long long)loc->line);
    for (size_t i = 0; i < loc->n_frames; i++) {
        const struct stack_frame *f = &loc->frames[i];
        emit_line(out, "  %s %.*s", i == loc->site_frame ? ">" : " ", (int)f->function.len,
                  f->function.p);
        emit_line(out, "        %.*s:%lld", (int)f->file.len, f->file.p, (long long)f->line);
    }
    if (loc->n_frames == 0)
        emit_line(out, "    (no frames)");
    if (loc->truncated)
        emit_line(out, "    ...additional frames elided...");
    if (loc->creator.function.len > 0) {
        emit_line(out, "    created by %.*s", (int)loc->creator.function.len,
                  loc->creator.function.p);
        emit_line(out, "        %.*s:%lld", (int)loc->creator.file.len, loc->creator.file.p,
                  (long long)loc->creator.line);
    }
}

int report_write_text(FILE *out, const struct aggregate *agg, const struct report_options *options,
                      struct lf_error *err)
{
    size_t n_shown = 0;
    size_t w_count = strlen("COUNT"), w_op = strlen("OP"), w_function = strlen("FUNCTION");
    size_t w_where = strlen("FILE:LINE"), w_owner = strlen("OWNER");
    bool waits = false, leaked = false;
    char where[TEXT_MAX_COLUMN + 64];
    for (size_t i = 0; i < aggregate_size(agg); i++) {
        const struct agg_location *loc = aggregate_at(agg, i);
        if (!shown(loc, options))
            continue;
        n_shown++;
        struct attribution attribution;
        attribute(options, loc, &attribution);
        char number[32];
        size_t len = (size_t)snprintf(number, sizeof(number), "%lld", (long long)loc->count);
        w_count = len > w_count ? len : w_count;
        len = strlen(loc->op_text);
        w_op = len > w_op ? len : w_op;
        len = strlen(loc->function);
        w_function = len > w_function ? len : w_function;
        len = strlen(loc->file) + 1 +
              (size_t)snprintf(number, sizeof(number), "%lld", (long long)loc->line);
        w_where = len > w_where ? len : w_where;
        if (attribution.owner != NULL) {
            len = strlen(attribution.owner);
            w_owner = len > w_owner ? len : w_owner;
        }
        waits = waits || loc->max_wait_minutes > 0;
        leaked = leaked || loc->confirmed;
    }
    fprintf(out, "%s: %lld goroutines, %zu location%s", options->format,
            (long long)options->goroutines, n_shown, n_shown == 1 ? "" : "s");
    if (options->min_count > 1)
        fprintf(out, " with %lld or more", (long long)options->min_count);
    fputc('\n', out);
    if (options->stacks && options->crash != NULL && options->crash[0] != '\0')
        fprintf(out, "%s\n", options->crash);
    emit_line(out, "%*s  %-*s  %-*s  %-*s  %-*s  %s%s%s", (int)w_count, "COUNT", clamp_width(w_op),
              "OP", clamp_width(w_function), "FUNCTION", clamp_width(w_where), "FILE:LINE",
              clamp_width(w_owner), "OWNER", "REPO", waits ? "  WAIT" : "",
              leaked ? "  LEAKED" : "");
    for (size_t i = 0; i < aggregate_size(agg); i++) {
        const struct agg_location *loc = aggregate_at(agg, i);
        if (!shown(loc, options))
            continue;
        struct attribution attribution;
        attribute(options, loc, &attribution);
        snprintf(where, sizeof(where), "%.*s:%lld",
                 (int)utf8_cut(loc->file, strlen(loc->file), TEXT_MAX_COLUMN), loc->file,
                 (long long)loc->line);
        char wait[32] = "";
        if (waits && loc->max_wait_minutes >= 0)
            snprintf(wait, sizeof(wait), "  %3lldm", (long long)loc->max_wait_minutes);
        else if (waits)
            snprintf(wait, sizeof(wait), "      ");
        emit_line(out, "%*lld  %-*s  %-*s  %-*s  %-*s  %-4s%s%s", (int)w_count,
                  (long long)loc->count, clamp_width(w_op), loc->op_text, clamp_width(w_function),
                  loc->function, clamp_width(w_where), where, clamp_width(w_owner),
                  attribution.owner != NULL ? attribution.owner : "-",
                  attribution.in_repo ? "yes" : "", wait, loc->confirmed ? "  leaked" : "");
    }
    for (size_t i = 0, n = 0; options->stacks && i < aggregate_size(agg); i++) {
        const struct agg_location *loc = aggregate_at(agg, i);
        if (!shown(loc, options))
            continue;
        fputc('\n', out);
        write_stack(out, ++n, loc);
    }
    if (fflush(out) != 0 || ferror(out))
        return lf_fail(err, LF_EIO, "cannot write the report");
    return LF_OK;
}
