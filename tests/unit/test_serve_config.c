/* test_serve_config.c - unit tests of serve_config: every key docs/config.md lists for the
 * server's file is accepted, and a misspelt or misplaced key at every level (the top,
 * each section, tokens entries, suppress entries) is refused with file:line:col and the
 * key, as a wrong shape (a section that is not a map) is. */
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "config.h"
#include "serve_config.h"

static int check(const char *yaml, struct lf_error *err)
{
    struct config *cfg = config_parse(yaml, strlen(yaml), "leakfleet.yaml", err);
    ck_assert_msg(cfg != NULL, "%s", err->msg);
    int rc = serve_config_check(cfg, err);
    config_free(cfg);
    return rc;
}

START_TEST(test_every_key)
{
    static const char every_key[] =
            "listen: \"127.0.0.1:8080\"\n"
            "database: \"./leakfleet.db\"\n"
            "log_level: info\n"
            "auth: tokens\n"
            "repo:\n"
            "  roots: [\"github.com/acme/monorepo/\", \"/build/monorepo/\"]\n"
            "owners:\n"
            "  codeowners: \"./CODEOWNERS\"\n"
            "  services:\n"
            "    checkout: \"@acme/payments\"\n"
            "    search.v2: \"search@acme.example\"\n"
            "tokens:\n"
            "  - token: \"agent-secret\"\n"
            "    services: [\"checkout\", \"search\"]\n"
            "  - token_sha256: "
            "\"9c0ee26e4a1fbb028187486a7ea91f81f8ab81fcf467cba75107dbd3a64244d7\"\n"
            "    admin: true\n"
            "    name: \"alice@acme.example\"\n"
            "limits:\n"
            "  max_body_bytes: 1048576\n"
            "  max_decoded_bytes: 4194304\n"
            "http:\n"
            "  threads: 4\n"
            "  max_connections: 1024\n"
            "  max_connections_per_ip: 64\n"
            "  timeout: 30s\n"
            "detect:\n"
            "  threshold: 100\n"
            "  window: 6h\n"
            "  live_window: 5m\n"
            "  interval: 30s\n"
            "  threads: 2\n"
            "  ops: [\"sync.Mutex.Lock\"]\n"
            "  min_samples: 6\n"
            "  min_growth_per_hour: 1\n"
            "  alpha: 0.01\n"
            "  restart_drop: 0.5\n"
            "  suppress:\n"
            "    rules: rules.txt\n"
            "    expected:\n"
            "      - class: Pool\n"
            "        reason: fixed-size pool\n"
            "        until: 1900000000\n"
            "notify:\n"
            "  webhook: \"https://hooks.example/leakfleet\"\n"
            "  routes:\n"
            "    \"@acme/payments\": \"https://hooks.example/payments\"\n"
            "  dashboard_url: \"http://lf.example:8080\"\n"
            "  group_wait: 30s\n"
            "  repeat_interval: 24h\n"
            "  resolve_after: 1h\n"
            "  reopen_after: 1h\n"
            "  rate_per_hour: 20\n"
            "  projection_target: 10000\n"
            "  timeout: 10s\n"
            "retention:\n"
            "  raw: 7d\n"
            "  rollups: 400d\n"
            "  interval: 5m\n"
            "  batch: 500\n"
            "web:\n"
            "  source_url: \"https://git.example/acme/repo/blob/main/{path}#L{line}\"\n";
    struct lf_error err;
    ck_assert_msg(check(every_key, &err) == LF_OK, "%s", err.msg);
    ck_assert_msg(check("", &err) == LF_OK, "%s", err.msg);
    ck_assert_msg(check("repo:\nowners:\ntokens:\ndetect:\n  suppress:\n", &err) == LF_OK, "%s",
                  err.msg);
}
END_TEST

/* The YAML that sets one dotted key of the docs ("tokens.N.token": an entry of a list). */
static void yaml_for_key(const char *key, char *out, size_t size)
{
    size_t len = 0, depth = 0;
    bool item = false;
    for (const char *p = key; *p != '\0';) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (n == 1 && p[0] == 'N') {
            item = true;
        } else {
            int w = snprintf(out + len, size - len, "%*s%s%.*s:%s", (int)(2 * depth), "",
                             item ? "- " : "", (int)n, p, dot != NULL ? "\n" : " ~\n");
            ck_assert(w > 0 && (size_t)w < size - len);
            len += (size_t)w;
            depth++;
            item = false;
        }
        p += n;
        if (*p == '.')
            p++;
    }
}

/* A naive model of the table: every key in the server tables of docs/config.md. */
START_TEST(test_documented_keys)
{
    FILE *f = fopen("docs/config.md", "r");
    ck_assert_ptr_nonnull(f);
    char line[2048];
    bool in_server = false;
    size_t n_keys = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "## ", 3) == 0)
            in_server = strncmp(line, "## Server and analyzer file", 27) == 0 ||
                        strncmp(line, "## Detection, notification, retention", 37) == 0;
        if (!in_server || strncmp(line, "| `", 3) != 0)
            continue;
        char *key = line + 3;
        char *end = strchr(key, '`');
        ck_assert_ptr_nonnull(end);
        *end = '\0';
        if (strchr(key, '*') != NULL)
            continue; /* "detect.*": the sections' own rows follow */
        char yaml[512];
        yaml_for_key(key, yaml, sizeof(yaml));
        struct lf_error err;
        ck_assert_msg(check(yaml, &err) == LF_OK, "documented key '%s' refused: %s", key, err.msg);
        n_keys++;
    }
    fclose(f);
    ck_assert_uint_ge(n_keys, 40);
}
END_TEST

START_TEST(test_unknown_keys)
{
    static const struct {
        const char *yaml, *msg;
    } bad[] = {
        /* the report: `token:` for `tokens:` left the server without tokens */
        { "listen: \"127.0.0.1:0\"\ntoken:\n  - token: s\n    admin: true\n",
          "leakfleet.yaml:2:1: token: unknown key" },
        /* `repo.root` left no in-repo roots: nothing could ever be suspect */
        { "repo:\n  root: [\"github.com/acme/\"]\n", "leakfleet.yaml:2:3: repo.root: unknown key" },
        { "log-level: debug\n", "leakfleet.yaml:1:1: log-level: unknown key" },
        { "owners:\n  codeowner: CODEOWNERS\n",
          "leakfleet.yaml:2:3: owners.codeowner: unknown key" },
        { "tokens:\n  - token: a\n  - token: b\n    admn: true\n",
          "leakfleet.yaml:4:5: tokens.1.admn: unknown key" },
        { "tokens:\n  - token: a\n    service: [x]\n",
          "leakfleet.yaml:3:5: tokens.0.service: unknown key" },
        { "limits:\n  max_body: 5\n", "leakfleet.yaml:2:3: limits.max_body: unknown key" },
        { "http:\n  thread: 4\n", "leakfleet.yaml:2:3: http.thread: unknown key" },
        { "detect:\n  treshold: 5\n", "leakfleet.yaml:2:3: detect.treshold: unknown key" },
        { "detect:\n  suppress:\n    rule: r.txt\n",
          "leakfleet.yaml:3:5: detect.suppress.rule: unknown key" },
        { "detect:\n  suppress:\n    expected:\n      - class: A\n        reson: x\n",
          "leakfleet.yaml:5:9: detect.suppress.expected.0.reson: unknown key" },
        { "notify:\n  webhok: http://x\n", "leakfleet.yaml:2:3: notify.webhok: unknown key" },
        { "retention:\n  raws: 3d\n", "leakfleet.yaml:2:3: retention.raws: unknown key" },
        { "web:\n  source: x\n", "leakfleet.yaml:2:3: web.source: unknown key" },
        /* a section that is not a map, entries that are not maps */
        { "repo: \"github.com/acme/\"\n", "leakfleet.yaml:1:7: repo: expected a map" },
        { "owners:\n  services: [\"@a\"]\n",
          "leakfleet.yaml:2:13: owners.services: expected a map" },
        { "notify:\n  routes: [a]\n", "leakfleet.yaml:2:11: notify.routes: expected a map" },
        { "tokens:\n  token: a\n", "leakfleet.yaml:2:3: tokens: expected a list of maps" },
        { "tokens:\n  - a\n", "leakfleet.yaml:2:5: tokens.0: expected a map" },
        { "detect:\n  suppress:\n    expected: [Pool]\n",
          "leakfleet.yaml:3:16: detect.suppress.expected.0: expected a map" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lf_error err;
        ck_assert_int_eq(check(bad[i].yaml, &err), LF_EINVAL);
        ck_assert_str_eq(err.msg, bad[i].msg);
    }
}
END_TEST

static Suite *serve_config_suite(void)
{
    Suite *s = suite_create("serve_config");
    TCase *tc = tcase_create("check");
    tcase_add_test(tc, test_every_key);
    tcase_add_test(tc, test_documented_keys);
    tcase_add_test(tc, test_unknown_keys);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(serve_config_suite)
