/* test_pipeline_config.c - unit tests of pipeline_config: defaults, every key read, and
 * clear errors for wrong types and owners that are not owners (misspelt keys are
 * test_serve_config.c's). */
#include <string.h>

#include "check_main.h"
#include "config.h"
#include "pipeline_config.h"

static struct config *parse(const char *yaml)
{
    struct lf_error err;
    struct config *cfg = config_parse(yaml, strlen(yaml), "leakfleet.yaml", &err);
    ck_assert_msg(cfg != NULL, "%s", err.msg);
    return cfg;
}

START_TEST(test_defaults)
{
    struct pipeline_config pc;
    struct lf_error err;
    ck_assert_int_eq(pipeline_config_read(NULL, &pc, &err), LF_OK);
    ck_assert_int_eq(pc.detect.threshold, 100);
    ck_assert_int_eq(pc.detect.window, 6 * 3600);
    ck_assert_uint_eq(pc.detect.threads, 0); /* the CPUs, at most 4 */
    ck_assert_int_eq(pc.notify.group_wait, 30);
    ck_assert_int_eq(pc.retention.raw_retention, 7 * 86400);
    ck_assert_ptr_null(pc.dispatch.webhook);
    ck_assert_ptr_null(pc.suppress);
    pipeline_config_release(&pc);
}
END_TEST

START_TEST(test_every_key)
{
    FILE *rules = fopen("build/test-pipeline-rules.txt", "w");
    ck_assert_ptr_nonnull(rules);
    fputs("Pool mentions github.com/acme/leaky/internal/worker.(*Pool).run\n", rules);
    fclose(rules);
    struct config *cfg =
            parse("detect:\n"
                  "  threshold: 250\n"
                  "  window: 12h\n"
                  "  live_window: 10m\n"
                  "  interval: 15s\n"
                  "  threads: 3\n"
                  "  min_samples: 8\n"
                  "  min_growth_per_hour: 5\n"
                  "  alpha: 0.001\n"
                  "  restart_drop: 0.3\n"
                  "  ops: [\"sync.Mutex.Lock\", \"sync.WaitGroup.Wait\"]\n"
                  "  suppress:\n"
                  "    rules: build/test-pipeline-rules.txt\n"
                  "    expected:\n"
                  "      - class: Pool\n"
                  "        reason: fixed-size pool\n"
                  "        until: 1900000000\n"
                  "notify:\n"
                  "  webhook: \"https://hooks.example/leakfleet\"\n"
                  "  dashboard_url: \"http://lf.example:8080\"\n"
                  "  group_wait: 1m\n"
                  "  repeat_interval: 12h\n"
                  "  resolve_after: 2h\n"
                  "  rate_per_hour: 5\n"
                  "  routes:\n"
                  "    \"@acme/payments\": \"https://hooks.example/payments\"\n"
                  "    unowned: \"https://hooks.example/nobody\"\n"
                  "retention:\n"
                  "  raw: 3d\n"
                  "  rollups: 90d\n"
                  "web:\n"
                  "  source_url: \"https://git.example/acme/repo/blob/main/{path}#L{line}\"\n");
    struct pipeline_config pc;
    struct lf_error err;
    ck_assert_msg(pipeline_config_read(cfg, &pc, &err) == LF_OK, "%s", err.msg);
    ck_assert_int_eq(pc.detect.threshold, 250);
    ck_assert_int_eq(pc.detect.window, 12 * 3600);
    ck_assert_int_eq(pc.detect.live_window, 600);
    ck_assert_int_eq(pc.detect.interval, 15);
    ck_assert_uint_eq(pc.detect.threads, 3);
    ck_assert_uint_eq(pc.detect.trend.min_samples, 8);
    ck_assert_double_eq(pc.detect.trend.min_growth_per_hour, 5);
    ck_assert_double_eq(pc.detect.trend.alpha, 0.001);
    ck_assert_double_eq(pc.detect.trend.restart_drop, 0.3);
    ck_assert_uint_eq(pc.detect.n_ops, 2);
    ck_assert_str_eq(pc.detect.ops[1], "sync.WaitGroup.Wait");
    ck_assert_ptr_nonnull(pc.suppress);
    ck_assert_ptr_nonnull(pc.detect.suppress);
    ck_assert_str_eq(pc.dispatch.webhook, "https://hooks.example/leakfleet");
    ck_assert_str_eq(pc.dispatch.dashboard_url, "http://lf.example:8080");
    ck_assert_int_eq(pc.notify.group_wait, 60);
    ck_assert_int_eq(pc.notify.repeat_interval, 12 * 3600);
    ck_assert_int_eq(pc.notify.resolve_after, 7200);
    ck_assert_int_eq(pc.dispatch.rate_per_hour, 5);
    ck_assert_uint_eq(pc.dispatch.n_routes, 2);
    ck_assert_str_eq(pc.dispatch.routes[1].owner, "unowned");
    ck_assert_str_eq(pc.dispatch.routes[0].owner, "@acme/payments");
    ck_assert_str_eq(pc.dispatch.routes[0].url, "https://hooks.example/payments");
    ck_assert_int_eq(pc.retention.raw_retention, 3 * 86400);
    ck_assert_int_eq(pc.retention.rollup_retention, 90 * 86400);
    ck_assert_str_eq(pc.source_url, "https://git.example/acme/repo/blob/main/{path}#L{line}");
    pipeline_config_release(&pc);
    config_free(cfg);
}
END_TEST

START_TEST(test_errors_name_the_key)
{
    static const char *const bad[][2] = {
        { "notify:\n  routes:\n    payments: https://hooks.example/p\n",
          "leakfleet.yaml:3:15: notify.routes.payments: expected @user, @org/team or an e-mail "
          "address" },
        { "notify:\n  routes:\n    \"@acme/pay\": [a]\n",
          "leakfleet.yaml:3:18: notify.routes.@acme/pay: expected a URL" },
        { "detect:\n  window: soon\n", "detect.window" },
        { "detect:\n  threads: 0\n",
          "leakfleet.yaml:2:12: detect.threads: expected an integer from 1 to 16" },
        { "detect:\n  threads: 17\n", "detect.threads: expected an integer from 1 to 16" },
        { "detect:\n  suppress:\n    expected:\n      - class: Pool\n",
          "leakfleet.yaml:4:7: detect.suppress.expected: needs detect.suppress.rules" },
        { "notify:\n  routes: [a]\n", "notify.routes" },
        { "retention:\n  raw: 10m\n", "retention.raw" },
        { "detect:\n  suppress:\n    rules: /nonexistent/rules.txt\n", "rules.txt" },
        { "notify:\n  alertmanager:\n    interval: 1m\n",
          "leakfleet.yaml:3: notify.alertmanager.url: expected a URL" },
        { "notify:\n  alertmanager:\n    url: http://am:9093\n    labels:\n      owner: x\n",
          "leakfleet.yaml:5:14: notify.alertmanager.labels.owner: a label name is" },
        { "notify:\n  alertmanager:\n    url: http://am:9093\n    labels:\n      a-b: x\n",
          "notify.alertmanager.labels.a-b: a label name is" },
        { "notify:\n  alertmanager:\n    url: http://am:9093\n    labels: [a]\n",
          "notify.alertmanager.labels: expected a map" },
        { "notify:\n  alertmanager:\n    url: http://am:9093\n    interval: 0s\n",
          "notify.alertmanager.interval: at least 1s" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct config *cfg = parse(bad[i][0]);
        struct pipeline_config pc;
        struct lf_error err;
        lf_error_clear(&err);
        ck_assert_int_ne(pipeline_config_read(cfg, &pc, &err), LF_OK);
        ck_assert_msg(strstr(err.msg, bad[i][1]) != NULL, "'%s' does not name '%s'", err.msg,
                      bad[i][1]);
        pipeline_config_release(&pc);
        config_free(cfg);
    }
}
END_TEST

START_TEST(test_alertmanager)
{
    struct config *cfg = parse("notify:\n  dashboard_url: http://lf\n  timeout: 5s\n"
                               "  alertmanager:\n    url: http://am:9093\n    interval: 2m\n"
                               "    labels:\n      source: leakfleet\n      env: prod\n");
    struct pipeline_config pc;
    struct lf_error err;
    ck_assert_msg(pipeline_config_read(cfg, &pc, &err) == LF_OK, "%s", err.msg);
    ck_assert_str_eq(pc.alertmanager.url, "http://am:9093");
    ck_assert_int_eq(pc.alertmanager.interval, 120);
    ck_assert_uint_eq(pc.alertmanager.n_labels, 2);
    ck_assert_str_eq(pc.alertmanager.labels[1].name, "env");
    ck_assert_str_eq(pc.alertmanager.labels[1].value, "prod");
    ck_assert_str_eq(pc.alertmanager.dashboard_url, "http://lf");
    ck_assert_int_eq(pc.alertmanager.timeout_ms, 5000);
    pipeline_config_release(&pc);
    config_free(cfg);
    /* off unless configured */
    ck_assert_int_eq(pipeline_config_read(NULL, &pc, &err), LF_OK);
    ck_assert_ptr_null(pc.alertmanager.url);
    pipeline_config_release(&pc);
}
END_TEST

static Suite *pipeline_config_suite(void)
{
    Suite *suite = suite_create("pipeline_config");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_every_key);
    tcase_add_test(tc, test_errors_name_the_key);
    tcase_add_test(tc, test_alertmanager);
    suite_add_tcase(suite, tc);
    return suite;
}

LF_CHECK_MAIN(pipeline_config_suite)
