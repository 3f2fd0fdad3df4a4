/* test_config.c - unit tests of config: the example file of docs/config.md verbatim, typed
 * reads and their errors with line:column, YAML syntax errors, alias bombs, nesting caps,
 * files, and allocation failures. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "check_main.h"
#include "config.h"

/* docs/config.md, "Example", verbatim. */
static const char contract_example[] =
        "listen: \"127.0.0.1:8080\"\n"
        "database: \"./leakfleet.db\"\n"
        "repo:\n"
        "  # in-repo code: a frame whose function or file starts with one of these;\n"
        "  # what follows a file-path root is the repo-relative path used for CODEOWNERS\n"
        "  roots: [\"github.com/acme/monorepo/\", \"/build/monorepo/\"]\n"
        "owners:\n"
        "  codeowners: \"./CODEOWNERS\"        # GitHub syntax, last match wins\n"
        "  services:                         # fallback owner per service\n"
        "    checkout: \"@acme/payments\"\n"
        "detect:\n"
        "  threshold: 100                    # blocked goroutines at one site, summed over a "
        "service's instances\n"
        "tokens:\n"
        "  - token: \"agent-secret\"           # ingest token, limited to these services\n"
        "    services: [\"checkout\", \"search\"]\n"
        "  - token: \"admin-secret\"           # may act on the notification queue\n"
        "    admin: true\n"
        "notify:\n"
        "  webhook: \"https://hooks.example/leakfleet\"   # default delivery; per-owner routes "
        "may follow\n";

static struct config *parse(const char *text, struct lf_error *err)
{
    return config_parse(text, strlen(text), "config.yaml", err);
}

START_TEST(test_contract_example)
{
    struct lf_error err;
    struct config *cfg = parse(contract_example, &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    ck_assert_str_eq(config_name(cfg), "config.yaml");
    const char *s = NULL;
    ck_assert_int_eq(config_str(cfg, "listen", "x", &s, &err), LF_OK);
    ck_assert_str_eq(s, "127.0.0.1:8080");
    ck_assert_int_eq(config_str(cfg, "database", "x", &s, &err), LF_OK);
    ck_assert_str_eq(s, "./leakfleet.db");
    ck_assert_int_eq(config_str(cfg, "owners.codeowners", NULL, &s, &err), LF_OK);
    ck_assert_str_eq(s, "./CODEOWNERS");
    ck_assert_int_eq(config_str(cfg, "owners.services.checkout", NULL, &s, &err), LF_OK);
    ck_assert_str_eq(s, "@acme/payments");
    ck_assert_int_eq(config_str(cfg, "notify.webhook", NULL, &s, &err), LF_OK);
    ck_assert_str_eq(s, "https://hooks.example/leakfleet");
    ck_assert_int_eq(config_str(cfg, "log.level", "info", &s, &err), LF_OK);
    ck_assert_str_eq(s, "info");

    const char **roots = NULL;
    size_t n = 0;
    ck_assert_int_eq(config_strings(cfg, "repo.roots", &roots, &n, &err), LF_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(roots[0], "github.com/acme/monorepo/");
    ck_assert_str_eq(roots[1], "/build/monorepo/");
    lf_free(roots);

    int64_t threshold = 0;
    ck_assert_int_eq(config_int(cfg, "detect.threshold", 10, 1, 1000000, &threshold, &err), LF_OK);
    ck_assert_int_eq(threshold, 100);
    const struct config_node *node = config_get(NULL, cfg, "detect.threshold");
    ck_assert_uint_eq(config_node_line(node), 12);
    ck_assert_uint_eq(config_node_column(node), 14);
    ck_assert_str_eq(config_node_path(node), "detect.threshold");
    ck_assert_int_eq(config_node_type(node), CONFIG_SCALAR);

    /* tokens: a sequence of maps */
    const struct config_node *tokens = config_get(NULL, cfg, "tokens");
    ck_assert_int_eq(config_node_type(tokens), CONFIG_SEQ);
    ck_assert_uint_eq(config_node_len(tokens), 2);
    const struct config_node *first = config_node_at(tokens, 0);
    ck_assert_int_eq(config_node_type(first), CONFIG_MAP);
    ck_assert_str_eq(config_node_key(first, 0), "token");
    ck_assert_str_eq(config_node_scalar(config_node_at(first, 0)), "agent-secret");
    ck_assert_int_eq(config_node_strings(cfg, config_get(first, cfg, "services"), &roots, &n, &err),
                     LF_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(roots[1], "search");
    lf_free(roots);
    bool admin = true;
    ck_assert_int_eq(config_node_bool(cfg, config_get(first, cfg, "admin"), false, &admin, &err),
                     LF_OK);
    ck_assert(!admin);
    ck_assert_int_eq(config_bool(cfg, "tokens.1.admin", false, &admin, &err), LF_OK);
    ck_assert(admin);
    ck_assert_str_eq(config_node_path(config_get(NULL, cfg, "tokens.1.admin")), "tokens.1.admin");
    ck_assert_ptr_null(config_get(NULL, cfg, "tokens.2"));
    ck_assert_ptr_null(config_get(NULL, cfg, "tokens.-1"));
    ck_assert_ptr_null(config_get(NULL, cfg, "listen.x"));

    /* map iteration in file order */
    const struct config_node *root = config_root(cfg);
    ck_assert_uint_eq(config_node_len(root), 7);
    ck_assert_str_eq(config_node_key(root, 0), "listen");
    ck_assert_str_eq(config_node_key(root, 6), "notify");
    ck_assert_ptr_null(config_node_key(root, 7));
    ck_assert_ptr_null(config_node_at(root, 7));
    ck_assert_ptr_eq(config_get(root, cfg, ""), root);

    static const char *const known[] = { "listen", "database", "repo",  "owners",
                                         "detect", "tokens",   "notify" };
    ck_assert_int_eq(config_check_keys(cfg, NULL, known, 7, &err), LF_OK);
    ck_assert_int_eq(config_check_keys(cfg, NULL, known, 6, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "config.yaml:18:1: notify: unknown key");
    static const char *const any[] = { "*" };
    ck_assert_int_eq(config_check_keys(cfg, "owners.services", any, 1, &err), LF_OK);
    ck_assert_int_eq(config_check_keys(cfg, "tokens.0", known, 7, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "config.yaml:14:5: tokens.0.token: unknown key");
    ck_assert_int_eq(config_check_keys(cfg, "listen", known, 7, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "config.yaml:1:9: listen: expected a map");
    ck_assert_int_eq(config_check_keys(cfg, "absent", known, 0, &err), LF_OK);
    config_free(cfg);
}
END_TEST

/* A schema of three levels: sections, a list of entries, a map of any names. */
static const struct config_key entry_keys[] = {
    { "name", CONFIG_VALUE, NULL },
    { "tags", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};
static const struct config_key any_keys[] = {
    { "*", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};
static const struct config_key inner_keys[] = {
    { "entries", CONFIG_ENTRIES, entry_keys },
    { "names", CONFIG_SECTION, any_keys },
    { "limit", CONFIG_VALUE, NULL },
    { NULL, CONFIG_VALUE, NULL },
};
static const struct config_key root_keys[] = {
    { "listen", CONFIG_VALUE, NULL },
    { "outer", CONFIG_SECTION, inner_keys },
    { "items", CONFIG_ENTRIES, entry_keys },
    { NULL, CONFIG_VALUE, NULL },
};

START_TEST(test_schema)
{
    static const char *const good[] = {
        "",
        "listen: x\n",
        "listen: [a, b]\nouter:\nitems:\n",
        "outer:\n  limit: 3\n  names: {a: 1, \"b.c\": [x], d: {e: f}}\n"
        "  entries:\n    - name: a\n      tags: [x]\n    - {}\n",
        "items: []\nouter: {}\n",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct lf_error err;
        struct config *cfg = parse(good[i], &err);
        ck_assert_msg(cfg != NULL, "%s", err.msg);
        ck_assert_msg(config_check_schema(cfg, root_keys, &err) == LF_OK, "case %zu: %s", i,
                      err.msg);
        config_free(cfg);
    }
    static const struct {
        const char *yaml, *msg;
    } bad[] = {
        /* unknown keys, at the key: the top level, a section, an entry, an entry of a
         * section, and the first of several in file order */
        { "listen: x\nlisten_addr: y\n", "config.yaml:2:1: listen_addr: unknown key" },
        { "outer:\n  limits: 3\n", "config.yaml:2:3: outer.limits: unknown key" },
        { "items:\n  - name: a\n  - nam: b\n", "config.yaml:3:5: items.1.nam: unknown key" },
        { "outer:\n  entries:\n    - {name: a, tag: [x]}\n",
          "config.yaml:3:17: outer.entries.0.tag: unknown key" },
        { "zz: 1\nouter:\n  x: 1\n", "config.yaml:1:1: zz: unknown key" },
        /* a key that only holds an anchor is a key too */
        { "base: &b {name: a}\nitems: [*b]\n", "config.yaml:1:1: base: unknown key" },
        { "items:\n  - &e {name: a}\n  - <<: *e\n", "config.yaml:3:5: items.1.<<: unknown key" },
        /* shapes, at the value */
        { "outer: x\n", "config.yaml:1:8: outer: expected a map" },
        { "outer: [a]\n", "config.yaml:1:8: outer: expected a map" },
        { "outer:\n  names: [a]\n", "config.yaml:2:10: outer.names: expected a map" },
        { "items: {name: a}\n", "config.yaml:1:8: items: expected a list of maps" },
        { "items: a\n", "config.yaml:1:8: items: expected a list of maps" },
        { "items:\n  - a\n", "config.yaml:2:5: items.0: expected a map" },
        { "items:\n  -\n  - name: b\n", "config.yaml:2:4: items.0: expected a map" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lf_error err;
        struct config *cfg = parse(bad[i].yaml, &err);
        ck_assert_msg(cfg != NULL, "%s", err.msg);
        ck_assert_int_eq(config_check_schema(cfg, root_keys, &err), LF_EINVAL);
        ck_assert_str_eq(err.msg, bad[i].msg);
        config_free(cfg);
    }
}
END_TEST

struct error_case {
    const char *yaml;
    const char *path;
    const char *kind; /* str, int, bool, duration, strings */
    const char *msg;
};

static const struct error_case type_errors[] = {
    { "detect:\n  threshold: abc\n", "detect.threshold", "int",
      "config.yaml:2:14: detect.threshold: expected an integer" },
    { "detect:\n  threshold: 0\n", "detect.threshold", "int",
      "config.yaml:2:14: detect.threshold: expected an integer from 1 to 1000" },
    { "detect:\n  threshold: [1]\n", "detect.threshold", "int",
      "config.yaml:2:14: detect.threshold: expected an integer" },
    { "listen:\n  a: b\n", "listen", "str", "config.yaml:2:3: listen: expected a string" },
    { "tokens:\n- admin: maybe\n", "tokens.0.admin", "bool",
      "config.yaml:2:10: tokens.0.admin: expected true or false" },
    { "detect:\n  window: 5x\n", "detect.window", "duration",
      "config.yaml:2:11: detect.window: expected a duration such as 90s, 500ms, 5m, 1h30m or 2d "
      "(units ms, s, m, h, d, w; a bare number is seconds)" },
    { "repo:\n  roots: {a: b}\n", "repo.roots", "strings",
      "config.yaml:2:10: repo.roots: expected a list of strings" },
    { "repo:\n  roots:\n  - a\n  - [b]\n", "repo.roots", "strings",
      "config.yaml:4:5: repo.roots.1: expected a string" },
};

START_TEST(test_type_errors)
{
    for (size_t i = 0; i < sizeof(type_errors) / sizeof(type_errors[0]); i++) {
        const struct error_case *c = &type_errors[i];
        struct lf_error err;
        struct config *cfg = parse(c->yaml, &err);
        ck_assert_msg(cfg != NULL, "%s", err.msg);
        int rc = LF_OK;
        const char *s = "unchanged";
        int64_t v = 7;
        bool b = true;
        const char **list = NULL;
        size_t n = 0;
        if (strcmp(c->kind, "int") == 0)
            rc = config_int(cfg, c->path, 5, 1, 1000, &v, &err);
        else if (strcmp(c->kind, "str") == 0)
            rc = config_str(cfg, c->path, "d", &s, &err);
        else if (strcmp(c->kind, "bool") == 0)
            rc = config_bool(cfg, c->path, false, &b, &err);
        else if (strcmp(c->kind, "duration") == 0)
            rc = config_duration_seconds(cfg, c->path, 60, &v, &err);
        else
            rc = config_strings(cfg, c->path, &list, &n, &err);
        ck_assert_int_eq(rc, LF_EINVAL);
        ck_assert_str_eq(err.msg, c->msg);
        ck_assert_int_eq(v, 7);
        ck_assert_str_eq(s, "unchanged");
        ck_assert(b);
        ck_assert_ptr_null(list);
        config_free(cfg);
    }
}
END_TEST

struct syntax_case {
    const char *yaml;
    enum lf_code code;
    const char *msg;
};

static const struct syntax_case syntax_errors[] = {
    { "listen: [a, b\n", LF_EINVAL,
      "config.yaml:2:1: while parsing a flow sequence did not find expected ',' or ']'" },
    { "a: b\n c: d\n", LF_EINVAL,
      "config.yaml:2:3: mapping values are not allowed in this context" },
    { "a: 1\na: 2\n", LF_EINVAL, "config.yaml:2:1: a: duplicate key" },
    { "a: *nope\n", LF_EINVAL, "config.yaml:1:4: alias to an unknown anchor" },
    { "- a\n- b\n", LF_EINVAL, "config.yaml:1:1: the top level must be a map of keys" },
    { "just text\n", LF_EINVAL, "config.yaml:1:1: the top level must be a map of keys" },
    { "a: 1\n---\nb: 2\n", LF_EINVAL, "config.yaml:2:1: more than one document" },
    { "? [a]\n: b\n", LF_EINVAL, "config.yaml:1:3: a key must be a scalar" },
    { "a: \"\\xff\n", LF_EINVAL,
      "config.yaml:2:1: while scanning a quoted scalar found unexpected end of stream" },
    { "a: \xff\n", LF_EINVAL, "config.yaml: byte 3: invalid leading UTF-8 octet" },
};

START_TEST(test_syntax_errors)
{
    for (size_t i = 0; i < sizeof(syntax_errors) / sizeof(syntax_errors[0]); i++) {
        struct lf_error err;
        struct config *cfg = parse(syntax_errors[i].yaml, &err);
        ck_assert_msg(cfg == NULL, "case %zu parsed", i);
        ck_assert_int_eq(err.code, syntax_errors[i].code);
        ck_assert_str_eq(err.msg, syntax_errors[i].msg);
    }
}
END_TEST

START_TEST(test_durations_and_bools)
{
    static const struct {
        const char *text;
        int64_t seconds; /* -1: invalid */
    } durations[] = {
        { "90s", 90 },
        { "5m", 300 },
        { "1h", 3600 },
        { "2d", 172800 },
        { "1w", 604800 },
        { "90", 90 },
        { "0", 0 },
        { "1h30m", 5400 },
        { "1500ms", -1 }, /* kept in whole seconds */
        { "2000ms", 2 },
        { "'60s'", 60 },
        { "5x", -1 },
        { "-5s", -1 },
        { "1.5h", -1 },
        { "h", -1 },
        { "1h30", -1 },
        { "s5", -1 },
        { "99999999999999999999s", -1 },
        { "153722867280912931m", -1 },
    };
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "d: %s\n", durations[i].text);
        struct lf_error err;
        struct config *cfg = parse(text, &err);
        ck_assert_msg(cfg != NULL, "%s", err.msg);
        int64_t v = -7;
        int rc = config_duration_seconds(cfg, "d", 1, &v, &err);
        if (durations[i].seconds < 0) {
            ck_assert_msg(rc == LF_EINVAL, "'%s' accepted", durations[i].text);
        } else {
            ck_assert_msg(rc == LF_OK, "'%s': %s", durations[i].text, err.msg);
            ck_assert_int_eq(v, durations[i].seconds);
        }
        config_free(cfg);
    }
    struct lf_error err;
    struct config *cfg = parse("a: yes\nb: Off\nc: TRUE\nd: false\ne: ~\nf:\ng: null\n", &err);
    ck_assert_ptr_nonnull(cfg);
    bool b = false;
    ck_assert_int_eq(config_bool(cfg, "a", false, &b, &err), LF_OK);
    ck_assert(b);
    ck_assert_int_eq(config_bool(cfg, "b", true, &b, &err), LF_OK);
    ck_assert(!b);
    ck_assert_int_eq(config_bool(cfg, "c", false, &b, &err), LF_OK);
    ck_assert(b);
    ck_assert_int_eq(config_bool(cfg, "d", true, &b, &err), LF_OK);
    ck_assert(!b);
    /* null and empty values are absent: the default */
    for (const char *k = "efg"; *k != '\0'; k++) {
        char key[2] = { *k, '\0' };
        ck_assert_int_eq(config_node_type(config_get(NULL, cfg, key)), CONFIG_NULL);
        ck_assert_int_eq(config_bool(cfg, key, true, &b, &err), LF_OK);
        ck_assert(b);
        int64_t v = 0;
        ck_assert_int_eq(config_duration_seconds(cfg, key, 300, &v, &err), LF_OK);
        ck_assert_int_eq(v, 300);
    }
    ck_assert_str_eq(config_node_scalar(config_get(NULL, cfg, "e")), "");
    double x = 0.5;
    ck_assert_int_eq(config_double(cfg, "e", 0.25, 0, 1, &x, &err), LF_OK);
    ck_assert(x == 0.25);
    config_free(cfg);

    /* numbers */
    cfg = parse("alpha: 0.05\nbig: 1e3\nneg: -2.5\nhex: 0x10\ninf: inf\nnan: nan\nword: "
                "abc\ndot: .\n",
                &err);
    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(config_double(cfg, "alpha", 0.01, 0, 1, &x, &err), LF_OK);
    ck_assert(x == 0.05);
    ck_assert_int_eq(config_double(cfg, "big", 0, 0, 1e6, &x, &err), LF_OK);
    ck_assert(x == 1000.0);
    ck_assert_int_eq(config_double(cfg, "neg", 0, -10, 10, &x, &err), LF_OK);
    ck_assert(x == -2.5);
    ck_assert_int_eq(config_double(cfg, "big", 0, 0, 1, &x, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "config.yaml:2:6: big: expected a number from 0 to 1");
    for (const char *const *k = (const char *const[]){ "hex", "inf", "nan", "word", "dot", NULL };
         *k != NULL; k++) {
        ck_assert_int_eq(config_double(cfg, *k, 0, -1e9, 1e9, &x, &err), LF_EINVAL);
        ck_assert_msg(strstr(err.msg, ": expected a number") != NULL, "%s", err.msg);
    }
    config_free(cfg);

    /* quoted empty string and quoted null are strings */
    cfg = parse("a: \"\"\nb: 'null'\nc: 12\n", &err);
    const char *s = NULL;
    ck_assert_int_eq(config_str(cfg, "a", "dflt", &s, &err), LF_OK);
    ck_assert_str_eq(s, "");
    ck_assert_int_eq(config_str(cfg, "b", "dflt", &s, &err), LF_OK);
    ck_assert_str_eq(s, "null");
    ck_assert_int_eq(config_str(cfg, "c", "dflt", &s, &err), LF_OK);
    ck_assert_str_eq(s, "12");
    const char **list = NULL;
    size_t n = 0;
    ck_assert_int_eq(config_strings(cfg, "c", &list, &n, &err), LF_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(list[0], "12");
    lf_free(list);
    ck_assert_int_eq(config_strings(cfg, "missing", &list, &n, &err), LF_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(list);
    int64_t v = 0;
    ck_assert_int_eq(config_int(cfg, "c", 0, INT64_MIN, INT64_MAX, &v, &err), LF_OK);
    ck_assert_int_eq(v, 12);
    config_free(cfg);
}
END_TEST

START_TEST(test_empty_documents)
{
    static const char *const empties[] = { "", "# only a comment\n", "~\n", "---\n", "{}\n" };
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        struct lf_error err;
        struct config *cfg = parse(empties[i], &err);
        ck_assert_msg(cfg != NULL, "'%s': %s", empties[i], err.msg);
        ck_assert_int_eq(config_node_type(config_root(cfg)), CONFIG_MAP);
        ck_assert_uint_eq(config_node_len(config_root(cfg)), 0);
        const char *s = NULL;
        ck_assert_int_eq(config_str(cfg, "listen", "127.0.0.1:8080", &s, &err), LF_OK);
        ck_assert_str_eq(s, "127.0.0.1:8080");
        config_free(cfg);
    }
    ck_assert_ptr_null(config_get(NULL, NULL, "a"));
    ck_assert_uint_eq(config_node_len(NULL), 0);
    config_free(NULL);
}
END_TEST

/* A document whose top level is a list (a file of Prometheus target groups). */
START_TEST(test_list_documents)
{
    struct lf_error err;
    const char *text = "- targets: [a:1]\n  labels: {service: s}\n- targets: []\n";
    struct config *cfg = config_parse_list(text, strlen(text), "sd.yaml", &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    const struct config_node *root = config_root(cfg);
    ck_assert_int_eq(config_node_type(root), CONFIG_SEQ);
    ck_assert_uint_eq(config_node_len(root), 2);
    const char *service = NULL;
    ck_assert_int_eq(config_str(cfg, "0.labels.service", NULL, &service, &err), LF_OK);
    ck_assert_str_eq(service, "s");
    config_free(cfg);
    cfg = config_parse_list("", 0, "sd.yaml", &err); /* empty: an empty list */
    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(config_node_type(config_root(cfg)), CONFIG_SEQ);
    ck_assert_uint_eq(config_node_len(config_root(cfg)), 0);
    config_free(cfg);
    ck_assert_ptr_null(config_parse_list("a: 1\n", 5, "sd.yaml", &err));
    ck_assert_str_eq(err.msg, "sd.yaml:1:1: the top level must be a list");
}
END_TEST

START_TEST(test_aliases)
{
    static const char text[] = "defaults: &d\n"
                               "  services: [checkout, search]\n"
                               "tokens:\n"
                               "  - token: a\n"
                               "    scope: *d\n"
                               "  - token: b\n"
                               "    scope: *d\n";
    struct lf_error err;
    struct config *cfg = parse(text, &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    const struct config_node *node = config_get(NULL, cfg, "tokens.1.scope.services.1");
    ck_assert_str_eq(config_node_scalar(node), "search");
    ck_assert_str_eq(config_node_path(node), "tokens.1.scope.services.1");
    ck_assert_uint_eq(config_node_line(config_get(NULL, cfg, "tokens.1.scope")), 7);
    config_free(cfg);

    /* billion laughs: each level doubles nine times; stopped by the node budget */
    char bomb[2048];
    size_t len = (size_t)snprintf(bomb, sizeof(bomb), "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
        len += (size_t)snprintf(
                bomb + len, sizeof(bomb) - len,
                "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i - 1,
                i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    }
    cfg = config_parse(bomb, len, "bomb.yaml", &err);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, LF_ETOOBIG);
    ck_assert_msg(strstr(err.msg, "more than 20000 values once aliases are expanded") != NULL, "%s",
                  err.msg);

    /* an anchored key aliased as a value */
    cfg = parse("&k key: 1\nother: *k\n", &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    const char *value = NULL;
    ck_assert_int_eq(config_str(cfg, "other", NULL, &value, &err), LF_OK);
    ck_assert_str_eq(value, "key");
    config_free(cfg);

    /* an anchor used as a key */
    cfg = parse("k: &k name\n*k : v\n", &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    const char *s = NULL;
    ck_assert_int_eq(config_str(cfg, "name", NULL, &s, &err), LF_OK);
    ck_assert_str_eq(s, "v");
    config_free(cfg);
}
END_TEST

START_TEST(test_depth_cap)
{
    /* the root map is one level: the 64th '[' is one too many */
    char text[512];
    size_t len = (size_t)snprintf(text, sizeof(text), "a: ");
    for (int i = 0; i < CONFIG_MAX_DEPTH + 1; i++)
        text[len++] = '[';
    struct lf_error err;
    struct config *cfg = config_parse(text, len, "deep.yaml", &err);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "deep.yaml:1:67: nesting deeper than 64 levels");

    /* exactly at the cap is fine */
    len = 0;
    len += (size_t)snprintf(text, sizeof(text), "a: ");
    for (int i = 0; i < CONFIG_MAX_DEPTH - 1; i++)
        text[len++] = '[';
    for (int i = 0; i < CONFIG_MAX_DEPTH - 1; i++)
        text[len++] = ']';
    cfg = config_parse(text, len, "deep.yaml", &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    config_free(cfg);

    /* an alias that would push a subtree past the cap */
    len = (size_t)snprintf(text, sizeof(text), "a: &x ");
    for (int i = 0; i < 40; i++)
        text[len++] = '[';
    for (int i = 0; i < 40; i++)
        text[len++] = ']';
    len += (size_t)snprintf(text + len, sizeof(text) - len, "\nb: ");
    for (int i = 0; i < 30; i++)
        text[len++] = '[';
    len += (size_t)snprintf(text + len, sizeof(text) - len, "*x");
    for (int i = 0; i < 30; i++)
        text[len++] = ']';
    cfg = config_parse(text, len, "deep.yaml", &err);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, LF_ETOOBIG);
}
END_TEST

START_TEST(test_load)
{
    char path[] = "/tmp/lf_config_......";
    memset(path + sizeof(path) - 7, 'X', 6); /* the mkstemp template */
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(contract_example);
    ck_assert_int_eq(write(fd, contract_example, len), (ssize_t)len);
    ck_assert_int_eq(write(fd, "detect:\n  threshold: 5\n", 23), 23);
    close(fd);
    struct lf_error err;
    struct config *cfg = config_load(path, &err);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, LF_EINVAL);
    char expect[256];
    snprintf(expect, sizeof(expect), "%s:20:1: detect: duplicate key", path);
    ck_assert_str_eq(err.msg, expect);
    ck_assert_int_eq(truncate(path, (off_t)len), 0);
    cfg = config_load(path, &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    ck_assert_str_eq(config_name(cfg), path);
    config_free(cfg);
    unlink(path);

    cfg = config_load("/nonexistent/leakfleet.yaml", &err);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, LF_EIO);
    ck_assert_str_eq(err.msg, "/nonexistent/leakfleet.yaml: No such file or directory");
    cfg = config_parse("a: b\n", CONFIG_MAX_BYTES + 1, NULL, &err);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, LF_ETOOBIG);
}
END_TEST

START_TEST(test_allocation_failures)
{
    bool succeeded = false;
    for (long n = 0; n < 5000 && !succeeded; n++) {
        struct lf_error err;
        lf_alloc_fail_after(n);
        struct config *cfg = parse(contract_example, &err);
        lf_alloc_fail_after(-1);
        if (cfg == NULL) {
            ck_assert_msg(err.code == LF_ENOMEM, "%ld: %s", n, err.msg);
            continue;
        }
        int64_t v = 0;
        ck_assert_int_eq(config_int(cfg, "detect.threshold", 1, 1, 1000, &v, &err), LF_OK);
        ck_assert_int_eq(v, 100);
        config_free(cfg);
        succeeded = true;
    }
    ck_assert(succeeded);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("values");
    tcase_add_test(tc, test_contract_example);
    tcase_add_test(tc, test_schema);
    tcase_add_test(tc, test_type_errors);
    tcase_add_test(tc, test_durations_and_bools);
    tcase_add_test(tc, test_empty_documents);
    suite_add_tcase(s, tc);
    tc = tcase_create("parse");
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_aliases);
    tcase_add_test(tc, test_list_documents);
    tcase_add_test(tc, test_depth_cap);
    tcase_add_test(tc, test_load);
    tcase_add_test(tc, test_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(config_suite)
