/* cmd_analyze.c - `leakfleet analyze`: streams one goroutine profile from a file or
 * stdin through the parser into an aggregate, attributes each location to the repo and
 * its owners, and prints the table or the JSON. A thin client of the library: it owns
 * the options, the 64 KiB read loop and the one-line error messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "alloc.h"
#include "attribute.h"
#include "cli.h"
#include "codeowners.h"
#include "commands.h"
#include "config.h"
#include "error.h"
#include "opt.h"
#include "parse.h"
#include "report.h"
#include "serve_config.h"

#define ANALYZE_MAX_ROOTS 256

static const char analyze_usage[] =
        "usage: leakfleet analyze [--format auto|pprof|debug1|debug2] [--config FILE]\n"
        "                         [--repo PREFIX]... [--owners CODEOWNERS] [--min N] [--json]\n"
        "                         [--stacks] FILE|-\n"
        "\n"
        "Lists where the goroutines of one profile are blocked, largest first: the op in\n"
        "the Go runtime's words, the site (the first frame outside the runtime), and for\n"
        "in-repo sites the owner from CODEOWNERS. FILE is a pprof protobuf (gzipped or\n"
        "not), a ?debug=1 or ?debug=2 text, or a panic / SIGQUIT traceback; - reads stdin.\n"
        "Text may sit inside other output (log lines, a test runner's report with every\n"
        "line indented alike) if it starts within the first 16 MiB. A dump cut off inside\n"
        "a goroutine is analyzed as far as it goes, with a warning on stderr.\n"
        "\n"
        "  --format F      the input format; auto (the default) sniffs it\n"
        "  --config FILE   YAML config: repo.roots and owners.codeowners (flags override)\n"
        "  --repo PREFIX   an in-repo root: module path or build path prefix (repeatable)\n"
        "  --owners FILE   a CODEOWNERS file (GitHub syntax)\n"
        "  --min N         leave out locations with fewer than N goroutines\n"
        "  --json          print one JSON object instead of the table\n"
        "  --stacks        also print each location's representative stack, with the\n"
        "                  goroutine's 'created by' frame, and a crash dump's panic message\n"
        "  --help          this text\n"
        "\n"
        "exit status: 0 ok (a cut-off dump included), 1 unreadable or malformed input,\n"
        "2 bad usage\n";

struct analyze_options {
    enum parse_format format;
    const char *config_path;
    const char *roots[ANALYZE_MAX_ROOTS];
    size_t n_roots;
    const char *owners_path;
    int64_t min_count;
    bool json;
    bool stacks;
    const char *input;
};

enum {
    ANALYZE_JSON = 1,
    ANALYZE_FORMAT,
    ANALYZE_CONFIG,
    ANALYZE_REPO,
    ANALYZE_OWNERS,
    ANALYZE_MIN,
    ANALYZE_STACKS,
};

static const struct opt_spec analyze_options_spec[] = {
    { "--json", false, ANALYZE_JSON },     { "--format", true, ANALYZE_FORMAT },
    { "--config", true, ANALYZE_CONFIG },  { "--repo", true, ANALYZE_REPO },
    { "--owners", true, ANALYZE_OWNERS },  { "--min", true, ANALYZE_MIN },
    { "--stacks", false, ANALYZE_STACKS },
};

static int parse_options(int argc, char **argv, struct analyze_options *opt, bool *help)
{
    memset(opt, 0, sizeof(*opt));
    opt->format = PARSE_FORMAT_AUTO;
    opt->min_count = 1;
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    struct lf_error err;
    lf_error_clear(&err);
    const char *value = NULL;
    int id;
    while ((id = opt_next(&reader, analyze_options_spec,
                          sizeof(analyze_options_spec) / sizeof(analyze_options_spec[0]), &value,
                          &err)) != OPT_END) {
        switch (id) {
        case OPT_OPERAND:
            if (opt->input != NULL)
                return cli_usage_error("analyze", "more than one input: '%s'", value);
            opt->input = value;
            break;
        case OPT_HELP:
            *help = true;
            return LF_OK;
        case OPT_ERROR:
            return cli_usage_error("analyze", "%s", err.msg);
        case ANALYZE_JSON:
            opt->json = true;
            break;
        case ANALYZE_STACKS:
            opt->stacks = true;
            break;
        case ANALYZE_FORMAT:
            if (!parse_format_from_name(value, &opt->format))
                return cli_usage_error("analyze",
                                       "unknown format '%s' (want auto, pprof, debug1 or debug2)",
                                       value);
            break;
        case ANALYZE_CONFIG:
            opt->config_path = value;
            break;
        case ANALYZE_REPO:
            if (opt->n_roots == ANALYZE_MAX_ROOTS)
                return cli_usage_error("analyze", "too many --repo options (at most 256): '%s'",
                                       value);
            opt->roots[opt->n_roots++] = value;
            break;
        case ANALYZE_OWNERS:
            opt->owners_path = value;
            break;
        default: { /* ANALYZE_MIN */
            char *end = NULL;
            errno = 0;
            long long n = strtoll(value, &end, 10);
            if (errno != 0 || end == value || *end != '\0' || n < 0)
                return cli_usage_error("analyze", "--min wants a count of goroutines, not '%s'",
                                       value);
            opt->min_count = n;
            break;
        }
        }
    }
    if (opt->input == NULL)
        return cli_usage_error("analyze", "missing input FILE (or - for stdin)");
    return LF_OK;
}

/* The attribution setup from --config, overridden by --repo and --owners. */
struct attribution_setup {
    struct config *config;
    const char **config_roots; /* borrowed strings from config */
    size_t n_config_roots;
    struct codeowners *codeowners;
    struct attributor *attributor;
};

static void setup_release(struct attribution_setup *setup)
{
    attributor_free(setup->attributor);
    codeowners_free(setup->codeowners);
    lf_free(setup->config_roots);
    config_free(setup->config);
}

static int setup_attribution(const struct analyze_options *opt, struct attribution_setup *setup,
                             struct lf_error *err)
{
    memset(setup, 0, sizeof(*setup));
    const char *owners_path = opt->owners_path;
    const char *const *roots = opt->roots;
    size_t n_roots = opt->n_roots;
    if (opt->config_path != NULL) {
        setup->config = config_load(opt->config_path, err);
        if (setup->config == NULL)
            return err->code;
        int rc = serve_config_check(setup->config, err);
        if (rc == LF_OK)
            rc = config_strings(setup->config, "repo.roots", &setup->config_roots,
                                &setup->n_config_roots, err);
        if (rc != LF_OK)
            return rc;
        const char *configured = NULL;
        rc = config_str(setup->config, "owners.codeowners", NULL, &configured, err);
        if (rc != LF_OK)
            return rc;
        if (owners_path == NULL)
            owners_path = configured;
        if (n_roots == 0) {
            roots = setup->config_roots;
            n_roots = setup->n_config_roots;
        }
    }
    if (owners_path != NULL && owners_path[0] != '\0') {
        setup->codeowners = codeowners_load(owners_path, err);
        if (setup->codeowners == NULL)
            return err->code;
        if (codeowners_n_rules(setup->codeowners) == 0)
            fprintf(stderr,
                    "leakfleet: warning: %s has no ownership rules: every site is unowned\n",
                    owners_path);
    }
    setup->attributor = attributor_create(roots, n_roots, setup->codeowners);
    if (setup->attributor == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    return LF_OK;
}

/* Streams the input through a parser into agg. */
static int read_profile(const struct analyze_options *opt, struct aggregate *agg,
                        struct parse_info *info, struct lf_error *err)
{
    return cli_parse_input(opt->input, opt->format, aggregate_sink, agg, info, err);
}

int cmd_analyze(int argc, char **argv)
{
    struct analyze_options opt;
    bool help = false;
    int rc = parse_options(argc, argv, &opt, &help);
    if (rc != LF_OK)
        return rc;
    if (help) {
        fputs(analyze_usage, stdout);
        return LF_OK;
    }
    struct lf_error err;
    lf_error_clear(&err);
    struct attribution_setup setup;
    struct aggregate *agg = NULL;
    rc = setup_attribution(&opt, &setup, &err);
    if (rc != LF_OK) {
        fprintf(stderr, "leakfleet: %s\n", err.msg);
        goto out;
    }
    agg = aggregate_create();
    if (agg == NULL) {
        rc = LF_ENOMEM;
        fprintf(stderr, "leakfleet: out of memory\n");
        goto out;
    }
    struct parse_info info;
    memset(&info, 0, sizeof(info));
    rc = read_profile(&opt, agg, &info, &err);
    if (rc != LF_OK) {
        fprintf(stderr, "leakfleet: %s: %s\n", strcmp(opt.input, "-") == 0 ? "stdin" : opt.input,
                err.msg);
        goto out;
    }
    aggregate_sort(agg);
    struct report_options report = {
        .format = parse_format_name(info.format),
        .goroutines = aggregate_goroutines(agg),
        .min_count = opt.min_count,
        .attributor = setup.attributor,
        .truncated = info.truncated,
        .stacks = opt.stacks,
        .crash = info.crash,
    };
    rc = opt.json ? report_write_json(stdout, agg, &report, &err)
                  : report_write_text(stdout, agg, &report, &err);
    if (rc != LF_OK)
        fprintf(stderr, "leakfleet: %s\n", err.msg);
out:
    aggregate_free(agg);
    setup_release(&setup);
    return rc;
}
