/* test_agent_discovery.c - unit tests of agent/discovery.c: Prometheus target groups as
 * JSON and YAML (labels, defaults, every refusal), and the targets a Kubernetes PodList
 * gives (tests/fixtures/kubernetes/pods.json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "testutil.h"
#include "discovery.h"

static struct target defaults(void)
{
    struct target t;
    memset(&t, 0, sizeof(t));
    t.interval_ms = 15000;
    t.format = SCRAPE_FORMAT_DEBUG1;
    memcpy(t.pprof_path, TARGETS_PPROF_PATH, sizeof(TARGETS_PPROF_PATH));
    memcpy(t.metrics_path, "/metrics", sizeof("/metrics"));
    return t;
}

/* Parses text as groups; returns the code, the list in *out (released by the caller). */
static int groups(const char *text, bool yaml, struct discovery_list *out, struct lf_error *err)
{
    struct target d = defaults();
    memset(out, 0, sizeof(*out));
    lf_error_clear(err);
    return discovery_parse_groups(text, strlen(text), yaml, &d, "file_sd 'sd.json'", out, err);
}

START_TEST(test_groups_json)
{
    struct discovery_list l;
    struct lf_error err;
    int rc = groups(
            "[{\"targets\": [\"10.0.0.1:6060\", \"web-2.internal:6060\"],"
            "  \"labels\": {\"service\": \"checkout\", \"job\": \"ignored\"}},"
            " {\"targets\": [\"[fd00::7]:8080\"], \"labels\": {\"service\": \"search\","
            "  \"instance\": \"search-a\", \"__scheme__\": \"https\", \"version\": \"1.2\","
            "  \"__pprof_path__\": \"/internal/goroutine\", \"__metrics_path__\": \"none\"}},"
            " {\"targets\": [], \"labels\": {}}]",
            false, &l, &err);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.targets[0].service, "checkout");
    ck_assert_str_eq(l.targets[0].instance, "10.0.0.1:6060"); /* the address */
    ck_assert_str_eq(l.targets[0].url, "http://10.0.0.1:6060");
    ck_assert_str_eq(l.targets[0].pprof_path, "/debug/pprof/goroutine");
    ck_assert_str_eq(l.targets[0].metrics_path, "/metrics");
    ck_assert_int_eq(l.targets[0].interval_ms, 15000);
    ck_assert_int_eq(l.targets[0].format, SCRAPE_FORMAT_DEBUG1);
    ck_assert_str_eq(l.targets[0].source, "file_sd 'sd.json'");
    ck_assert_str_eq(l.targets[1].instance, "web-2.internal:6060");
    ck_assert_str_eq(l.targets[2].service, "search");
    ck_assert_str_eq(l.targets[2].instance, "search-a");
    ck_assert_str_eq(l.targets[2].url, "https://[fd00::7]:8080");
    ck_assert_str_eq(l.targets[2].pprof_path, "/internal/goroutine");
    ck_assert_str_eq(l.targets[2].metrics_path, "");
    ck_assert_str_eq(l.targets[2].version, "1.2");
    discovery_list_release(&l);
}
END_TEST

START_TEST(test_groups_yaml)
{
    struct discovery_list l;
    struct lf_error err;
    int rc = groups("# the same as JSON\n"
                    "- targets: ['127.0.0.1:6060']\n"
                    "  labels:\n"
                    "    service: checkout\n"
                    "    instance: 7\n"
                    "- targets:\n"
                    "    - host-b:6060\n"
                    "  labels: {service: cart}\n",
                    true, &l, &err);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_str_eq(l.targets[0].instance, "7"); /* a YAML number read as its text */
    ck_assert_str_eq(l.targets[1].url, "http://host-b:6060");
    discovery_list_release(&l);
    ck_assert_int_eq(groups("", true, &l, &err), LF_OK); /* an empty file: no targets */
    ck_assert_uint_eq(l.n, 0);
    discovery_list_release(&l);
    ck_assert_int_eq(groups("service: x\n", true, &l, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "file_sd 'sd.json':1:1: the top level must be a list");
    discovery_list_release(&l);
}
END_TEST

/* Each refusal names the document and the group; nothing of the document is kept. */
START_TEST(test_groups_refused)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        { "[{\"targets\": [\"a:1\"]}]",
          "file_sd 'sd.json': group 0: no 'service' label (leakfleet needs each target's service)" },
        { "{\"targets\": []}",
          "file_sd 'sd.json': expected a list of target groups ([{\"targets\": "
          "[...], \"labels\": {...}}])" },
        { "[{\"targets\": [\"a:1\"], \"labels\": {\"service\": \"s\"}}, 7]",
          "file_sd 'sd.json': group 1: expected an object with targets and labels" },
        { "[{\"targets\": \"a:1\", \"labels\": {\"service\": \"s\"}}]",
          "file_sd 'sd.json': group 0: targets: expected a list of \"host:port\"" },
        { "[{\"targets\": [\"http://a:1\"], \"labels\": {\"service\": \"s\"}}]",
          "file_sd 'sd.json': group 0: target 0: expected \"host:port\", not 'http://a:1'" },
        { "[{\"targets\": [\"a:1/x\"], \"labels\": {\"service\": \"s\"}}]",
          "file_sd 'sd.json': group 0: target 0: expected \"host:port\", not 'a:1/x'" },
        { "[{\"targets\": [\"a:99999\"], \"labels\": {\"service\": \"s\"}}]",
          "file_sd 'sd.json': group 0: target 0: expected \"host:port\", not 'a:99999'" },
        { "[{\"targets\": [\"fd00::1\"], \"labels\": {\"service\": \"s\"}}]",
          "file_sd 'sd.json': group 0: target 0: expected \"host:port\", not 'fd00::1'" },
        { "[{\"targets\": [3], \"labels\": {\"service\": \"s\"}}]",
          "file_sd 'sd.json': group 0: target 0: expected \"host:port\", not a non-string" },
        { "[{\"targets\": [\"a:1\"], \"labels\": {\"service\": 3}}]",
          "file_sd 'sd.json': group 0: label 'service' must be a string" },
        { "[{\"targets\": [\"a:1\"], \"labels\": {\"service\": \"a\\nb\"}}]",
          "file_sd 'sd.json': group 0: label 'service': 1 to 127 bytes without control characters, "
          "not 'a\nb'" },
        { "[{\"targets\": [\"a:1\"], \"labels\": {\"service\": \"s\", \"__scheme__\": \"ftp\"}}]",
          "file_sd 'sd.json': group 0: label '__scheme__': http or https, not 'ftp'" },
        { "[{\"targets\": [\"a:1\"], \"labels\": {\"service\": \"s\", \"__pprof_path__\": \"x\"}}]",
          "file_sd 'sd.json': group 0: label '__pprof_path__': a path starting with '/', not 'x'" },
        { "[{\"targets\": [\"a:1\", \"b:1\"], \"labels\": {\"service\": \"s\", \"instance\": \"i\"}}]",
          "file_sd 'sd.json': group 0: label 'instance' with 2 targets (each target is its own "
          "instance: one target per group, or no instance label)" },
        { "[{\"targets\": [\"a:1\"], \"labels\": {\"service\": \"s\"}, \"label\": {}}]",
          "file_sd 'sd.json': group 0: unknown key 'label' (targets, labels)" },
        { "[{\"targets\": [\"a:1\"], \"targets\": [\"b:1\"], \"labels\": {\"service\": \"s\"}}]",
          "file_sd 'sd.json':1:31: duplicate object key near '\"targets\"'" },
        { "[{\"targets\": [\"a:1\"]", "file_sd 'sd.json':1:20: '}' expected near end of file" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct discovery_list l;
        struct lf_error err;
        ck_assert_int_eq(groups(cases[i].text, false, &l, &err), LF_EINVAL);
        ck_assert_str_eq(err.msg, cases[i].msg);
        discovery_list_release(&l);
    }
}
END_TEST

/* The API server answers the fieldSelector with node-a's pods only: the fixture less
 * node-b's. Here the whole list is parsed, so node-b's checkout pod shows up too. */
START_TEST(test_pods)
{
    size_t len = 0;
    char *body = testutil_read_fixture(LF_FIXTURE("kubernetes/pods.json"), &len);
    struct target d = defaults();
    struct discovery_list l = { 0 };
    struct discovery_skips skips = { 0 };
    struct lf_error err = { 0 };
    int rc = discovery_parse_pods(body, len, &d, &l, &skips, &err);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_uint_eq(l.n, 4);
    /* a Deployment's pod: its ReplicaSet's name less the pod-template-hash */
    ck_assert_str_eq(l.targets[0].service, "checkout");
    ck_assert_str_eq(l.targets[0].instance, "checkout-7d9f8b6c5d-x2x7k");
    ck_assert_str_eq(l.targets[0].url, "http://10.244.1.17:6060");
    ck_assert_str_eq(l.targets[0].pprof_path, "/debug/pprof/goroutine");
    ck_assert_str_eq(l.targets[0].source, "kubernetes pod shop/checkout-7d9f8b6c5d-x2x7k");
    ck_assert_int_eq(l.targets[0].interval_ms, 15000);
    /* the service annotation wins over app.kubernetes.io/name; a named port; a path */
    ck_assert_str_eq(l.targets[1].service, "search-indexer");
    ck_assert_str_eq(l.targets[1].instance, "search-0");
    ck_assert_str_eq(l.targets[1].url, "http://10.244.1.23:6061");
    ck_assert_str_eq(l.targets[1].pprof_path, "/internal/pprof/goroutine");
    ck_assert_str_eq(l.targets[1].version, "2.3.1");
    /* Grafana's annotations, port_name */
    ck_assert_str_eq(l.targets[2].service, "payments-api");
    ck_assert_str_eq(l.targets[2].url, "http://10.244.1.31:8080");
    ck_assert_str_eq(l.targets[3].instance, "checkout-7d9f8b6c5d-r6h2c");
    /* the annotated pod without a port is counted; pending, deleted, finished and
     * switched-off pods are not */
    ck_assert_uint_eq(skips.n, 1);
    ck_assert_str_eq(skips.first, "pod payments/ledger-5f6d7c8b9a-zz9kq: no leakfleet.io/port "
                                  "annotation");
    discovery_list_release(&l);
    free(body);
}
END_TEST

START_TEST(test_pods_refused)
{
    struct target d = defaults();
    struct discovery_list l = { 0 };
    struct discovery_skips skips = { 0 };
    struct lf_error err = { 0 };
    const char *status = "{\"kind\": \"Status\", \"apiVersion\": \"v1\", \"status\": \"Failure\","
                         " \"reason\": \"Forbidden\", \"code\": 403}";
    ck_assert_int_eq(discovery_parse_pods(status, strlen(status), &d, &l, &skips, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "pod list: expected a PodList with items, not kind 'Status'");
    ck_assert_int_eq(discovery_parse_pods("[]", 2, &d, &l, &skips, &err), LF_EINVAL);
    /* a bad pod is skipped, the others kept */
    const char *pods = "{\"kind\": \"PodList\", \"items\": ["
                       "{\"metadata\": {\"name\": \"a\", \"namespace\": \"n\", \"annotations\": "
                       "{\"leakfleet.io/scrape\": \"true\", \"leakfleet.io/port\": \"70000\"}},"
                       " \"status\": {\"phase\": \"Running\", \"podIP\": \"10.1.1.1\"}},"
                       "{\"metadata\": {\"name\": \"b\", \"namespace\": \"n\", \"annotations\": "
                       "{\"leakfleet.io/scrape\": \"true\", \"leakfleet.io/port\": \"6060\"}},"
                       " \"status\": {\"phase\": \"Running\", \"podIP\": \"10.1.1.2\"}},"
                       "{\"metadata\": {\"name\": \"c\", \"namespace\": \"n\", \"annotations\": "
                       "{\"leakfleet.io/scrape\": \"true\", \"leakfleet.io/port\": \"6060\", "
                       "\"leakfleet.io/service\": \"svc\", \"leakfleet.io/scheme\": \"gopher\"}},"
                       " \"status\": {\"phase\": \"Running\", \"podIP\": \"10.1.1.3\"}},"
                       "{\"metadata\": {\"name\": \"d\", \"namespace\": \"n\", \"annotations\": "
                       "{\"leakfleet.io/scrape\": \"true\", \"leakfleet.io/port\": \"6060\", "
                       "\"leakfleet.io/service\": \"svc\"}},"
                       " \"status\": {\"phase\": \"Running\", \"podIP\": \"fd00::9\"}}]}";
    ck_assert_int_eq(discovery_parse_pods(pods, strlen(pods), &d, &l, &skips, &err), LF_OK);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.targets[0].url, "http://[fd00::9]:6060");
    ck_assert_uint_eq(skips.n, 3);
    ck_assert_str_eq(skips.first, "pod n/a: port '70000' is neither a port number nor a container "
                                  "port's name");
    discovery_list_release(&l);
}
END_TEST

/* Every allocation failing in turn: a clean error, no leak (ASan), never a crash. */
START_TEST(test_out_of_memory)
{
    size_t len = 0;
    char *body = testutil_read_fixture(LF_FIXTURE("kubernetes/pods.json"), &len);
    struct target d = defaults();
    for (long n = 0; n < 100000; n++) {
        struct discovery_list l = { 0 };
        struct discovery_skips skips = { 0 };
        struct lf_error err = { 0 };
        lf_alloc_fail_after(n);
        int rc = discovery_parse_pods(body, len, &d, &l, &skips, &err);
        lf_alloc_fail_after(-1);
        discovery_list_release(&l);
        if (rc == LF_OK)
            break;
        ck_assert_int_eq(rc, LF_ENOMEM);
    }
    for (long n = 0; n < 1000; n++) {
        struct discovery_list l = { 0 };
        struct lf_error err = { 0 };
        const char *yaml = "- targets: [a:1, b:2]\n  labels: {service: s}\n";
        lf_alloc_fail_after(n);
        int rc = discovery_parse_groups(yaml, strlen(yaml), true, &d, "f", &l, &err);
        lf_alloc_fail_after(-1);
        discovery_list_release(&l);
        if (rc == LF_OK)
            break;
        ck_assert_msg(rc == LF_ENOMEM || rc == LF_EINVAL, "%d %s", rc, err.msg);
    }
    free(body);
}
END_TEST

static Suite *discovery_suite(void)
{
    Suite *s = suite_create("agent_discovery");
    TCase *tc = tcase_create("groups");
    tcase_add_test(tc, test_groups_json);
    tcase_add_test(tc, test_groups_yaml);
    tcase_add_test(tc, test_groups_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("pods");
    tcase_add_test(tc, test_pods);
    tcase_add_test(tc, test_pods_refused);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(discovery_suite)
