/* cmd_classify.c - `leakfleet classify`: sorts every goroutine stack of one profile into
 * classes by an ordered rule file (the first match wins, the rest are UNKNOWN), prints
 * "COUNT CLASS" largest first and, with --out, streams each class's stacks to
 * DIR/CLASS.txt as the stacks arrive. Memory: one counter and at most one open file per
 * class. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "classify.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "opt.h"
#include "parse.h"
#include "rules.h"

static const char classify_usage[] =
        "usage: leakfleet classify --rules RULES [--out DIR] FILE|-\n"
        "\n"
        "Applies an ordered list of rules to every goroutine stack of one profile; the\n"
        "first rule that matches names the stack's class, unmatched stacks are UNKNOWN.\n"
        "Prints one line per class, COUNT CLASS, largest first.\n"
        "\n"
        "  --rules RULES   the rule file; one rule a line, '#' starts a comment:\n"
        "                    CLASS mentions PREFIX   a frame's function starts with PREFIX\n"
        "                    CLASS function PREFIX   the site's function starts with PREFIX\n"
        "                    CLASS file PREFIX       the site's file starts with PREFIX\n"
        "                    CLASS op WORDS          the op is WORDS (\"chan send\", ...)\n"
        "  --out DIR       also write each class's stacks to DIR/CLASS.txt (debug=2\n"
        "                  text, 'created by' lines kept)\n"
        "  --format F      the input format: auto (default), pprof, debug1, debug2\n"
        "  --help          this text\n"
        "\n"
        "exit status: 0 ok, 1 unreadable or malformed input or rules, 2 bad usage\n";

struct class_state {
    const char *name;
    int64_t goroutines;
    FILE *out;
};

struct classify_run {
    const struct rules *rules;
    struct class_state *classes; /* rules' classes in order, then UNKNOWN */
    size_t n_classes;
    const char *out_dir;
};

static struct class_state *class_find(struct classify_run *run, const char *name)
{
    for (size_t i = 0; i < run->n_classes; i++) {
        if (strcmp(run->classes[i].name, name) == 0)
            return &run->classes[i];
    }
    return &run->classes[run->n_classes - 1]; /* UNKNOWN */
}

/* Writes one stack in the debug=2 shape: a header, FUNCTION(...) and \tFILE:LINE per
 * frame, the "created by FUNCTION" line and its \tFILE:LINE where the input has one, a
 * blank line. */
static void write_stack(FILE *out, const struct stack *stack, const struct site *site)
{
    if (stack->goroutine_id >= 0)
        fprintf(out, "goroutine %lld [%.*s", (long long)stack->goroutine_id,
                (int)site->op_words.len, site->op_words.p);
    else
        fprintf(out, "%lld goroutines [%.*s", (long long)stack->count, (int)site->op_words.len,
                site->op_words.p);
    if (stack->wait_minutes > 0)
        fprintf(out, ", %lld minutes", (long long)stack->wait_minutes);
    if (stack->locked_to_thread)
        fputs(", locked to thread", out);
    if (stack->leaked)
        fputs(" (leaked)", out);
    fputs("]:\n", out);
    if (stack->n_labels > 0) {
        fputs("# labels: {", out);
        for (size_t i = 0; i < stack->n_labels; i++)
            fprintf(out, "%s\"%.*s\":\"%.*s\"", i > 0 ? ", " : "", (int)stack->labels[i].key.len,
                    stack->labels[i].key.p, (int)stack->labels[i].value.len,
                    stack->labels[i].value.p);
        fputs("}\n", out);
    }
    for (size_t i = 0; i < stack->n_frames; i++) {
        const struct stack_frame *f = &stack->frames[i];
        fprintf(out, "%.*s(...)\n\t%.*s:%lld\n", (int)f->function.len, f->function.p,
                (int)f->file.len, f->file.p, (long long)f->line);
    }
    if (stack->truncated)
        fputs("...additional frames elided...\n", out);
    if (stack->creator.function.len > 0)
        fprintf(out, "created by %.*s\n\t%.*s:%lld\n", (int)stack->creator.function.len,
                stack->creator.function.p, (int)stack->creator.file.len, stack->creator.file.p,
                (long long)stack->creator.line);
    fputc('\n', out);
}

static int classify_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    struct classify_run *run = ctx;
    struct site site;
    classify_stack(stack, &site);
    const struct rule *rule = rules_match(run->rules, stack, &site);
    struct class_state *class = class_find(run, rule != NULL ? rule->class_name : RULES_UNKNOWN);
    class->goroutines += stack->count > 0 ? stack->count : 0;
    if (run->out_dir == NULL)
        return LF_OK;
    if (class->out == NULL) {
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s/%s.txt", run->out_dir, class->name);
        if (n < 0 || (size_t)n >= sizeof(path))
            return lf_fail(err, LF_EIO, "output path too long");
        class->out = fopen(path, "w");
        if (class->out == NULL)
            return lf_fail(err, LF_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    write_stack(class->out, stack, &site);
    if (ferror(class->out))
        return lf_fail(err, LF_EIO, "cannot write '%s/%s.txt'", run->out_dir, class->name);
    return LF_OK;
}

static int compare_classes(const void *a, const void *b)
{
    const struct class_state *x = a, *y = b;
    if (x->goroutines != y->goroutines)
        return x->goroutines > y->goroutines ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int read_input(const char *input, enum parse_format format, struct classify_run *run,
                      struct lf_error *err)
{
    return cli_parse_input(input, format, classify_sink, run, NULL, err);
}

int cmd_classify(int argc, char **argv)
{
    const char *rules_path = NULL, *out_dir = NULL, *input = NULL;
    enum parse_format format = PARSE_FORMAT_AUTO;
    enum { CLASSIFY_RULES = 1, CLASSIFY_OUT, CLASSIFY_FORMAT };
    static const struct opt_spec spec[] = {
        { "--rules", true, CLASSIFY_RULES },
        { "--out", true, CLASSIFY_OUT },
        { "--format", true, CLASSIFY_FORMAT },
    };
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    struct lf_error opt_err;
    lf_error_clear(&opt_err);
    const char *value = NULL;
    int id;
    while ((id = opt_next(&reader, spec, sizeof(spec) / sizeof(spec[0]), &value, &opt_err)) !=
           OPT_END) {
        if (id == OPT_OPERAND) {
            if (input != NULL)
                return cli_usage_error("classify", "more than one input: '%s'", value);
            input = value;
        } else if (id == OPT_HELP) {
            fputs(classify_usage, stdout);
            return LF_OK;
        } else if (id == OPT_ERROR) {
            return cli_usage_error("classify", "%s", opt_err.msg);
        } else if (id == CLASSIFY_RULES) {
            rules_path = value;
        } else if (id == CLASSIFY_OUT) {
            out_dir = value;
        } else if (!parse_format_from_name(value, &format)) {
            return cli_usage_error(
                    "classify", "unknown format '%s' (want auto, pprof, debug1 or debug2)", value);
        }
    }
    if (rules_path == NULL)
        return cli_usage_error("classify", "missing --rules RULES");
    if (input == NULL)
        return cli_usage_error("classify", "missing input FILE (or - for stdin)");

    struct lf_error err;
    lf_error_clear(&err);
    struct classify_run run = { .out_dir = out_dir };
    struct rules *rules = rules_load(rules_path, &err);
    int rc = LF_OK;
    if (rules == NULL) {
        rc = err.code;
        fprintf(stderr, "leakfleet: %s\n", err.msg);
        goto out;
    }
    run.rules = rules;
    run.n_classes = rules_n_classes(rules) + 1;
    run.classes = lf_calloc(run.n_classes, sizeof(*run.classes));
    if (run.classes == NULL) {
        rc = LF_ENOMEM;
        fprintf(stderr, "leakfleet: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i + 1 < run.n_classes; i++)
        run.classes[i].name = rules_class_at(rules, i);
    run.classes[run.n_classes - 1].name = RULES_UNKNOWN;
    if (out_dir != NULL && mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        rc = LF_EIO;
        fprintf(stderr, "leakfleet: cannot create '%s': %s\n", out_dir, strerror(errno));
        goto out;
    }
    rc = read_input(input, format, &run, &err);
    for (size_t i = 0; i < run.n_classes; i++) {
        if (run.classes[i].out != NULL && fclose(run.classes[i].out) != 0 && rc == LF_OK)
            rc = lf_fail(&err, LF_EIO, "cannot write '%s/%s.txt'", out_dir, run.classes[i].name);
        run.classes[i].out = NULL;
    }
    if (rc != LF_OK) {
        fprintf(stderr, "leakfleet: %s: %s\n", strcmp(input, "-") == 0 ? "stdin" : input, err.msg);
        goto out;
    }
    qsort(run.classes, run.n_classes, sizeof(*run.classes), compare_classes);
    for (size_t i = 0; i < run.n_classes; i++) {
        if (run.classes[i].goroutines > 0)
            printf("%lld %s\n", (long long)run.classes[i].goroutines, run.classes[i].name);
    }
    if (fflush(stdout) != 0) {
        rc = LF_EIO;
        fprintf(stderr, "leakfleet: cannot write the summary\n");
    }
out:
    if (run.classes != NULL) {
        for (size_t i = 0; i < run.n_classes; i++) {
            if (run.classes[i].out != NULL)
                fclose(run.classes[i].out);
        }
    }
    lf_free(run.classes);
    rules_free(rules);
    return rc;
}
