/* test_agent_targets.c - unit tests of agent/targets.c: flag defaults and validation,
 * durations and sizes, the YAML file with several targets, and which of flags and file
 * wins. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "targets.h"

static char yaml_path[64];

/* Parses the NULL-terminated argument list into cfg; returns the result code. */
#define PARSE(cfg, err, ...)                                                                       \
    parse_args((cfg), (err), (const char *[]){ "leakfleet-agent", __VA_ARGS__, NULL })

static int parse_args(struct targets_config *cfg, struct lf_error *err, const char **args)
{
    int argc = 0;
    while (args[argc] != NULL)
        argc++;
    char *argv[64];
    ck_assert_int_lt(argc, 64);
    for (int i = 0; i <= argc; i++)
        argv[i] = (char *)(uintptr_t)args[i];
    lf_error_clear(err);
    return targets_parse_args(cfg, argc, argv, err);
}

static void write_yaml(const char *text)
{
    snprintf(yaml_path, sizeof(yaml_path), "/tmp/lf-targets-XXXXXX");
    int fd = mkstemp(yaml_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void teardown(void)
{
    if (yaml_path[0] != '\0')
        unlink(yaml_path);
    yaml_path[0] = '\0';
}

/* The file text is refused (LF_EINVAL) with a message that contains needle. */
static void file_refused(const char *text, const char *needle)
{
    struct targets_config cfg;
    struct lf_error err;
    write_yaml(text);
    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path), LF_EINVAL);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "%s: %s", text, err.msg);
    targets_release(&cfg);
    teardown();
}

START_TEST(test_flags_and_defaults)
{
    struct targets_config cfg;
    struct lf_error err;
    int rc = PARSE(&cfg, &err, "--server", "http://127.0.0.1:8080", "--token", "t", "--service",
                   "checkout", "--target", "http://127.0.0.1:6060/");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.server, "http://127.0.0.1:8080");
    ck_assert_str_eq(cfg.token, "t");
    ck_assert_str_eq(cfg.spool_dir, "./leakfleet-spool");
    ck_assert_uint_eq(cfg.n_targets, 1);
    ck_assert_str_eq(cfg.targets[0].service, "checkout");
    ck_assert_str_eq(cfg.targets[0].url, "http://127.0.0.1:6060/");
    ck_assert_int_eq(cfg.targets[0].interval_ms, 60000);
    ck_assert_int_eq(cfg.targets[0].format, SCRAPE_FORMAT_PPROF);
    char host[256] = "";
    gethostname(host, sizeof(host));
    ck_assert_str_eq(cfg.targets[0].instance, host);
    ck_assert_uint_eq(cfg.spool_max_bytes, 256u << 20);
    ck_assert_uint_eq(cfg.spool_max_files, 10000);
    ck_assert_int_eq(cfg.connect_timeout_ms, 5000);
    ck_assert_int_eq(cfg.timeout_ms, 30000);
    ck_assert(!cfg.once);
    targets_release(&cfg);

    rc = PARSE(&cfg, &err, "--server", "https://lf.example", "--token", "t", "--service", "s",
               "--target", "http://a:1", "--instance", "pod-7", "--interval", "500ms", "--format",
               "debug2", "--spool", "/var/spool/lf", "--spool-max-bytes", "8M", "--spool-max-files",
               "12", "--timeout", "2s", "--connect-timeout", "1s", "--retry-max", "1m", "--once",
               "--log-level", "warn");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.targets[0].instance, "pod-7");
    ck_assert_int_eq(cfg.targets[0].interval_ms, 500);
    ck_assert_int_eq(cfg.targets[0].format, SCRAPE_FORMAT_DEBUG2);
    ck_assert_str_eq(cfg.spool_dir, "/var/spool/lf");
    ck_assert_uint_eq(cfg.spool_max_bytes, 8u << 20);
    ck_assert_uint_eq(cfg.spool_max_files, 12);
    ck_assert_int_eq(cfg.timeout_ms, 2000);
    ck_assert_int_eq(cfg.connect_timeout_ms, 1000);
    ck_assert_int_eq(cfg.retry_max_ms, 60000);
    ck_assert(cfg.once);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_WARN);
    targets_release(&cfg);
}
END_TEST

START_TEST(test_bad_usage)
{
    struct targets_config cfg;
    struct lf_error err;
    ck_assert_int_eq(PARSE(&cfg, &err, "--token", "t", "--service", "s", "--target", "http://a"),
                     LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--server is required (see --help)");
    targets_release(&cfg);
    unsetenv("LEAKFLEET_AGENT_TOKEN");
    ck_assert_int_eq(
            PARSE(&cfg, &err, "--server", "http://x", "--service", "s", "--target", "http://a"),
            LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--token is required (or LEAKFLEET_AGENT_TOKEN)");
    targets_release(&cfg);
    setenv("LEAKFLEET_AGENT_TOKEN", "from-env", 1);
    ck_assert_int_eq(
            PARSE(&cfg, &err, "--server", "http://x", "--service", "s", "--target", "http://a"),
            LF_OK);
    ck_assert_str_eq(cfg.token, "from-env");
    targets_release(&cfg);
    unsetenv("LEAKFLEET_AGENT_TOKEN");
    ck_assert_int_eq(PARSE(&cfg, &err, "--server", "http://x", "--token", "t"), LF_EUSAGE);
    ck_assert_str_eq(err.msg, "no targets: give --service and --target, or --config with targets, "
                              "file_sd, http_sd or kubernetes");
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--server", "http://x", "--token", "t", "--service", "s",
                           "--target", "http://a", "--format", "json"),
                     LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--format: expected pprof, debug1 or debug2, not 'json'");
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--server", "http://x", "--token", "t", "--service", "s",
                           "--target", "http://a", "--interval", "0s"),
                     LF_EUSAGE);
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--server", "http://x", "--token", "t", "--service", "a\nb",
                           "--target", "http://a"),
                     LF_EUSAGE);
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--server", "x", "--token", "t"), LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--server: expected an http:// or https:// URL 'x'");
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--server"), LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--server needs a value");
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--server", "http://x", "stray"), LF_EUSAGE);
    ck_assert_str_eq(err.msg, "unexpected argument 'stray' (see --help)");
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--help"), LF_OK);
    ck_assert(cfg.help);
    targets_release(&cfg);
}
END_TEST

/* One grammar (units.h) for flags and file: "1h30m" and "500ms" work in both, and so do
 * sizes with K, M, G; a bad value names what is accepted. */
START_TEST(test_durations)
{
    struct targets_config cfg;
    struct lf_error err;
    int rc = PARSE(&cfg, &err, "--server", "http://x", "--token", "t", "--service", "a", "--target",
                   "http://a", "--interval", "1h30m", "--timeout", "500ms", "--connect-timeout",
                   "2s500ms", "--retry-max", "90", "--summary-interval", "1w",
                   "--max-profile-bytes", "64K", "--spool-max-bytes", "1G");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_int_eq(cfg.targets[0].interval_ms, 5400000);
    ck_assert_int_eq(cfg.timeout_ms, 500);
    ck_assert_int_eq(cfg.connect_timeout_ms, 2500);
    ck_assert_int_eq(cfg.retry_max_ms, 90000);
    ck_assert_int_eq(cfg.summary_interval_ms, 604800000);
    ck_assert_uint_eq(cfg.max_profile_bytes, 64 << 10);
    ck_assert_uint_eq(cfg.spool_max_bytes, (uint64_t)1 << 30);
    targets_release(&cfg);

    write_yaml("server: http://x\ntoken: t\ninterval: 1h30m\nmax_profile_bytes: 64K\n"
               "spool: {max_bytes: 1G}\ntimeouts: {connect: 2s500ms, total: 500ms}\n"
               "retry_max: 90\nsummary_interval: 1w\n"
               "targets:\n  - {service: a, url: http://a}\n  - {service: b, url: http://b, "
               "interval: 250ms}\n");
    rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_int_eq(cfg.targets[0].interval_ms, 5400000);
    ck_assert_int_eq(cfg.targets[1].interval_ms, 250);
    ck_assert_int_eq(cfg.defaults.interval_ms, 5400000);
    ck_assert_int_eq(cfg.timeout_ms, 500);
    ck_assert_int_eq(cfg.connect_timeout_ms, 2500);
    ck_assert_int_eq(cfg.retry_max_ms, 90000);
    ck_assert_int_eq(cfg.summary_interval_ms, 604800000);
    ck_assert_uint_eq(cfg.max_profile_bytes, 64 << 10);
    ck_assert_uint_eq(cfg.spool_max_bytes, (uint64_t)1 << 30);
    targets_release(&cfg);

    static const char *const bad[] = { "",  "-5s",  "0",    "5 s",
                                       "s", "1h30", "1.5h", "99999999999999999999d" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = PARSE(&cfg, &err, "--server", "http://x", "--token", "t", "--service", "a", "--target",
                   "http://a", "--interval", bad[i]);
        ck_assert_msg(rc == LF_EUSAGE, "'%s' accepted", bad[i]);
        targets_release(&cfg);
    }
    ck_assert_str_eq(err.msg, "--interval: expected a duration such as 90s, 500ms, 5m, 1h30m or "
                              "2d (units ms, s, m, h, d, w; a bare number is seconds), not "
                              "'99999999999999999999d'");
    teardown();
    write_yaml("server: http://x\ntoken: t\ntimeouts: {total: 5x}\n"
               "targets:\n  - {service: a, url: http://a}\n");
    rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "timeouts.total: expected a duration such as 90s, 500ms") != NULL,
                  "%s", err.msg);
    targets_release(&cfg);
    teardown();
    write_yaml("server: http://x\ntoken: t\nmax_profile_bytes: 1T\n"
               "targets:\n  - {service: a, url: http://a}\n");
    rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "max_profile_bytes: expected a size such as 65536, 64K") != NULL,
                  "%s", err.msg);
    targets_release(&cfg);
}
END_TEST

START_TEST(test_yaml_targets_and_overrides)
{
    write_yaml("server: \"http://lf.internal:8080\"\n"
               "token: \"agent-secret\"\n"
               "interval: 30s\n"
               "format: debug1\n"
               "spool:\n"
               "  dir: /var/lib/leakfleet-agent\n"
               "  max_bytes: 1048576\n"
               "  max_files: 50\n"
               "timeouts: {connect: 2s, total: 10s}\n"
               "targets:\n"
               "  - service: checkout\n"
               "    url: http://127.0.0.1:6060\n"
               "  - service: search\n"
               "    instance: search-2\n"
               "    url: http://127.0.0.1:6061\n"
               "    interval: 2m\n"
               "    format: pprof\n");
    struct targets_config cfg;
    struct lf_error err;
    int rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.server, "http://lf.internal:8080");
    ck_assert_str_eq(cfg.token, "agent-secret");
    ck_assert_str_eq(cfg.spool_dir, "/var/lib/leakfleet-agent");
    ck_assert_uint_eq(cfg.spool_max_bytes, 1048576);
    ck_assert_uint_eq(cfg.spool_max_files, 50);
    ck_assert_int_eq(cfg.connect_timeout_ms, 2000);
    ck_assert_int_eq(cfg.timeout_ms, 10000);
    ck_assert_uint_eq(cfg.n_targets, 2);
    char host[256] = "";
    gethostname(host, sizeof(host));
    ck_assert_str_eq(cfg.targets[0].service, "checkout");
    ck_assert_str_eq(cfg.targets[0].instance, host);
    ck_assert_int_eq(cfg.targets[0].interval_ms, 30000);
    ck_assert_int_eq(cfg.targets[0].format, SCRAPE_FORMAT_DEBUG1);
    ck_assert_str_eq(cfg.targets[1].service, "search");
    ck_assert_str_eq(cfg.targets[1].instance, "search-2");
    ck_assert_str_eq(cfg.targets[1].url, "http://127.0.0.1:6061");
    ck_assert_int_eq(cfg.targets[1].interval_ms, 120000);
    ck_assert_int_eq(cfg.targets[1].format, SCRAPE_FORMAT_PPROF);
    targets_release(&cfg);

    /* flags override the file's top-level values; a flag target joins the file's */
    rc = PARSE(&cfg, &err, "--config", yaml_path, "--server", "http://other:1", "--instance",
               "node-9", "--interval", "5s", "--spool", "/tmp/s", "--service", "cart", "--target",
               "http://127.0.0.1:7000");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.server, "http://other:1");
    ck_assert_str_eq(cfg.spool_dir, "/tmp/s");
    ck_assert_uint_eq(cfg.n_targets, 3);
    ck_assert_str_eq(cfg.targets[0].instance, "node-9");
    ck_assert_int_eq(cfg.targets[0].interval_ms, 5000);
    ck_assert_str_eq(cfg.targets[1].instance, "search-2");
    ck_assert_int_eq(cfg.targets[1].interval_ms, 120000);
    ck_assert_str_eq(cfg.targets[2].service, "cart");
    ck_assert_str_eq(cfg.targets[2].instance, "node-9");
    ck_assert_int_eq(cfg.targets[2].interval_ms, 5000);
    ck_assert_int_eq(cfg.targets[2].format, SCRAPE_FORMAT_PPROF);
    targets_release(&cfg);
}
END_TEST

START_TEST(test_yaml_errors)
{
    struct targets_config cfg;
    struct lf_error err;
    write_yaml("server: http://x\ntoken: t\ntargets:\n  - service: a\n    urll: http://b\n");
    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path), LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "targets.0.urll") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "unknown key") != NULL, "%s", err.msg);
    targets_release(&cfg);
    teardown();

    file_refused("server: http://x\ntoken: t\ntargets:\n  - service: a\n",
                 "targets.0: needs service and url");

    file_refused("server: http://x\ntoken: t\ntargets:\n  - {service: a, url: http://b, "
                 "format: xml}\n",
                 "targets.0.format: expected pprof, debug1 or debug2");

    write_yaml("server: [http://x\n");
    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path), LF_EINVAL);
    targets_release(&cfg);

    ck_assert_int_eq(PARSE(&cfg, &err, "--config", "/nonexistent/agent.yaml"), LF_EIO);
    targets_release(&cfg);
}
END_TEST

/* The CA bundle for https: from the flag or the file (the flag wins), empty by default,
 * and refused at start when it cannot be read. */
/* log_format and summary_interval are keys of the file (they were refused as unknown:
 * the list of known keys was counted by hand). */
START_TEST(test_yaml_log_format_and_summary_interval)
{
    struct targets_config cfg;
    struct lf_error err;
    write_yaml("server: http://x\ntoken: t\nlog_format: json\nsummary_interval: 10m\n"
               "targets:\n  - {service: a, url: http://a}\n");
    int rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_int_eq(cfg.log_format, LOG_FORMAT_JSON);
    ck_assert_int_eq(cfg.summary_interval_ms, 600000);
    targets_release(&cfg);
    teardown();
}
END_TEST

/* Every setting is one key of the file and one flag, read by the same setter: the file's
 * values land, and each flag overrides its key; a bad value names the file's line or the
 * flag. */
START_TEST(test_settings_file_and_flags)
{
    struct targets_config cfg;
    struct lf_error err;
    write_yaml("server: http://file\ntoken: file-token\nca_file: /dev/null\n"
               "listen: 127.0.0.1:1\nspool: {dir: /tmp/file-spool, max_bytes: 1M, max_files: 2K}\n"
               "max_profile_bytes: 3M\ntimeouts: {connect: 4s, total: 5s}\nretry_max: 6s\n"
               "summary_interval: 0\nlog_level: debug\nlog_format: json\n"
               "targets:\n  - {service: a, url: http://a}\n");
    int rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.server, "http://file");
    ck_assert_str_eq(cfg.token, "file-token");
    ck_assert_str_eq(cfg.ca_file, "/dev/null");
    ck_assert_str_eq(cfg.listen, "127.0.0.1:1");
    ck_assert_str_eq(cfg.spool_dir, "/tmp/file-spool");
    ck_assert_uint_eq(cfg.spool_max_bytes, 1 << 20);
    ck_assert_uint_eq(cfg.spool_max_files, 2048);
    ck_assert_uint_eq(cfg.max_profile_bytes, 3 << 20);
    ck_assert_int_eq(cfg.connect_timeout_ms, 4000);
    ck_assert_int_eq(cfg.timeout_ms, 5000);
    ck_assert_int_eq(cfg.retry_max_ms, 6000);
    ck_assert_int_eq(cfg.summary_interval_ms, 0);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
    ck_assert_int_eq(cfg.log_format, LOG_FORMAT_JSON);
    targets_release(&cfg);

    rc = PARSE(&cfg, &err, "--config", yaml_path, "--server=http://flag", "--token", "flag-token",
               "--listen", "127.0.0.1:2", "--spool", "/tmp/flag-spool", "--spool-max-bytes", "7",
               "--spool-max-files", "8", "--max-profile-bytes", "9", "--connect-timeout", "10ms",
               "--timeout", "11ms", "--retry-max", "12ms", "--summary-interval", "13ms",
               "--log-level", "warn", "--log-format", "logfmt");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.server, "http://flag");
    ck_assert_str_eq(cfg.token, "flag-token");
    ck_assert_str_eq(cfg.listen, "127.0.0.1:2");
    ck_assert_str_eq(cfg.spool_dir, "/tmp/flag-spool");
    ck_assert_uint_eq(cfg.spool_max_bytes, 7);
    ck_assert_uint_eq(cfg.spool_max_files, 8);
    ck_assert_uint_eq(cfg.max_profile_bytes, 9);
    ck_assert_int_eq(cfg.connect_timeout_ms, 10);
    ck_assert_int_eq(cfg.timeout_ms, 11);
    ck_assert_int_eq(cfg.retry_max_ms, 12);
    ck_assert_int_eq(cfg.summary_interval_ms, 13);
    ck_assert_int_eq(cfg.log_level, LOG_LEVEL_WARN);
    ck_assert_int_eq(cfg.log_format, LOG_FORMAT_LOGFMT);
    targets_release(&cfg);

    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path, "--timeout", "0"), LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--timeout: must be more than 0");
    targets_release(&cfg);
    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path, "--log-level", "loud"), LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--log-level: expected debug, info, warn or error, not 'loud'");
    targets_release(&cfg);
    teardown();

    write_yaml("server: http://x\ntoken: t\nspool:\n  max_files: 20000000\n"
               "targets:\n  - {service: a, url: http://a}\n");
    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path), LF_EINVAL);
    ck_assert_msg(strstr(err.msg, ":4:14: spool.max_files: expected a count from 1 to 10000000, "
                                  "not '20000000'") != NULL,
                  "%s", err.msg);
    targets_release(&cfg);
    teardown();
}
END_TEST

START_TEST(test_ca_file)
{
    struct targets_config cfg;
    struct lf_error err;
    int rc = PARSE(&cfg, &err, "--server", "https://lf.internal", "--token", "t", "--service", "s",
                   "--target", "http://127.0.0.1:6060");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.ca_file, "");
    targets_release(&cfg);

    write_yaml("server: https://lf.internal\ntoken: t\nca_file: /dev/null\n"
               "targets:\n  - {service: a, url: http://b}\n");
    rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.ca_file, "/dev/null");
    targets_release(&cfg);
    rc = PARSE(&cfg, &err, "--config", yaml_path, "--ca-file", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.ca_file, yaml_path);
    targets_release(&cfg);

    rc = PARSE(&cfg, &err, "--config", yaml_path, "--ca-file", "/nonexistent/ca.pem");
    ck_assert_int_eq(rc, LF_EUSAGE);
    ck_assert_str_eq(err.msg, "--ca-file: cannot read '/nonexistent/ca.pem': "
                              "No such file or directory");
    targets_release(&cfg);
    teardown();

    file_refused("server: https://lf.internal\ntoken: t\nca_file: /nonexistent/ca.pem\n"
                 "targets:\n  - {service: a, url: http://b}\n",
                 "ca_file: cannot read");
}
END_TEST

/* Where a target's metrics are read and its configured version: flags for the flag
 * target, metrics_path at the top of the file and per target, version per target. */
START_TEST(test_metrics_path_and_version)
{
    struct targets_config cfg;
    struct lf_error err;
    int rc = PARSE(&cfg, &err, "--server", "http://lf", "--token", "t", "--service", "s",
                   "--target", "http://127.0.0.1:6060");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.targets[0].metrics_path, "/metrics");
    ck_assert_str_eq(cfg.targets[0].version, "");
    targets_release(&cfg);
    rc = PARSE(&cfg, &err, "--server", "http://lf", "--token", "t", "--service", "s", "--target",
               "http://127.0.0.1:6060", "--metrics-path", "/internal/metrics?x=1", "--version",
               "1.4.2 (r\xc3\xa9l)");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.targets[0].metrics_path, "/internal/metrics?x=1");
    ck_assert_str_eq(cfg.targets[0].version, "1.4.2 (r\xc3\xa9l)");
    targets_release(&cfg);
    rc = PARSE(&cfg, &err, "--server", "http://lf", "--token", "t", "--service", "s", "--target",
               "http://127.0.0.1:6060", "--metrics-path", "none");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.targets[0].metrics_path, "");
    targets_release(&cfg);

    static const struct {
        const char *flag, *value, *error;
    } bad[] = {
        { "--metrics-path", "metrics", "--metrics-path: expected a path starting with '/'" },
        { "--metrics-path", "/a b", "--metrics-path: expected a path starting with '/'" },
        { "--metrics-path", "", "--metrics-path: expected a path starting with '/'" },
        { "--version", "", "--version: expected 1 to 128 bytes of UTF-8" },
        { "--version", "1.0\nforged", "--version: expected 1 to 128 bytes of UTF-8" },
        { "--version", "\xff", "--version: expected 1 to 128 bytes of UTF-8" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = PARSE(&cfg, &err, "--server", "http://lf", "--token", "t", "--service", "s",
                   "--target", "http://a", bad[i].flag, bad[i].value);
        ck_assert_int_eq(rc, LF_EUSAGE);
        ck_assert_msg(strncmp(err.msg, bad[i].error, strlen(bad[i].error)) == 0, "%s", err.msg);
        targets_release(&cfg);
    }

    write_yaml("server: http://lf\ntoken: t\nmetrics_path: /m\n"
               "targets:\n"
               "  - {service: a, url: http://a}\n"
               "  - {service: b, url: http://b, metrics_path: none, version: \"2.0\"}\n"
               "  - {service: c, url: http://c, metrics_path: /c/metrics, version: 3}\n");
    rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.targets[0].metrics_path, "/m");
    ck_assert_str_eq(cfg.targets[0].version, "");
    ck_assert_str_eq(cfg.targets[1].metrics_path, "");
    ck_assert_str_eq(cfg.targets[1].version, "2.0");
    ck_assert_str_eq(cfg.targets[2].metrics_path, "/c/metrics");
    ck_assert_str_eq(cfg.targets[2].version, "3");
    targets_release(&cfg);
    /* --metrics-path overrides the file's top-level value, not a target's own */
    rc = PARSE(&cfg, &err, "--config", yaml_path, "--metrics-path", "/flag");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.targets[0].metrics_path, "/flag");
    ck_assert_str_eq(cfg.targets[1].metrics_path, "");
    ck_assert_str_eq(cfg.targets[2].metrics_path, "/c/metrics");
    targets_release(&cfg);
    /* --version belongs to the flag target */
    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path, "--version", "1"), LF_EUSAGE);
    ck_assert_msg(strstr(err.msg, "--version is the version of the --target's service") != NULL,
                  "%s", err.msg);
    targets_release(&cfg);
    teardown();

    file_refused("server: http://lf\ntoken: t\nmetrics_path: metrics\n"
                 "targets:\n  - {service: a, url: http://a}\n",
                 ": metrics_path: expected a path starting with '/'");
    file_refused("server: http://lf\ntoken: t\n"
                 "targets:\n  - {service: a, url: http://a, metrics_path: \"x y\"}\n",
                 "targets.0.metrics_path: expected a path");
    file_refused("server: http://lf\ntoken: t\n"
                 "targets:\n  - {service: a, url: http://a, version: \"1\\t2\"}\n",
                 "targets.0.version: expected 1 to 128 bytes");
    file_refused("server: http://lf\ntoken: t\ntargets:\n  - {service: a, url: http://a, "
                 "versoin: 1}\n",
                 "targets.0.versoin");
}
END_TEST

/* Discovery sources: checked at start with the defaults they take; a file with only
 * sources (no static target) is a working configuration. */
START_TEST(test_discovery_keys)
{
    struct targets_config cfg;
    struct lf_error err;
    write_yaml("server: http://x\ntoken: t\ninterval: 20s\nformat: debug2\n"
               "pprof_path: /p/goroutine\nlisten: 127.0.0.1:9465\n"
               "file_sd:\n  - files: [/etc/lf/*.json, /etc/lf/*.yaml]\n    refresh_interval: 30s\n"
               "  - files: /srv/one.json\n"
               "http_sd:\n  - url: https://sd.internal/targets\n"
               "kubernetes:\n  node: node-a\n  api_server: http://127.0.0.1:1\n"
               "  token_file: /tmp/token\n  ca_file: ''\n  refresh_interval: 10s\n");
    int rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_uint_eq(cfg.n_targets, 0);
    ck_assert(targets_discovers(&cfg));
    ck_assert_uint_eq(cfg.n_file_sd, 3);
    ck_assert_str_eq(cfg.file_sd[0].pattern, "/etc/lf/*.json");
    ck_assert_str_eq(cfg.file_sd[1].pattern, "/etc/lf/*.yaml");
    ck_assert_int_eq(cfg.file_sd[1].refresh_ms, 30000);
    ck_assert_str_eq(cfg.file_sd[2].pattern, "/srv/one.json");
    ck_assert_int_eq(cfg.file_sd[2].refresh_ms, 300000);
    ck_assert_uint_eq(cfg.n_http_sd, 1);
    ck_assert_str_eq(cfg.http_sd[0].url, "https://sd.internal/targets");
    ck_assert_int_eq(cfg.http_sd[0].refresh_ms, 60000);
    ck_assert(cfg.kubernetes.enabled);
    ck_assert_str_eq(cfg.kubernetes.node, "node-a");
    ck_assert_str_eq(cfg.kubernetes.api_server, "http://127.0.0.1:1");
    ck_assert_str_eq(cfg.kubernetes.token_file, "/tmp/token");
    ck_assert_str_eq(cfg.kubernetes.ca_file, "");
    ck_assert_int_eq(cfg.kubernetes.refresh_ms, 10000);
    ck_assert_str_eq(cfg.listen, "127.0.0.1:9465");
    ck_assert_int_eq(cfg.defaults.interval_ms, 20000);
    ck_assert_int_eq(cfg.defaults.format, SCRAPE_FORMAT_DEBUG2);
    ck_assert_str_eq(cfg.defaults.pprof_path, "/p/goroutine");
    ck_assert_str_eq(cfg.defaults.metrics_path, "/metrics");
    targets_release(&cfg);
    /* flags override the top level for discovered targets too */
    rc = PARSE(&cfg, &err, "--config", yaml_path, "--interval", "5s", "--metrics-path", "none");
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_int_eq(cfg.defaults.interval_ms, 5000);
    ck_assert_str_eq(cfg.defaults.metrics_path, "");
    targets_release(&cfg);
    teardown();

    /* in a pod: the API server and the node from the environment */
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    setenv("NODE_NAME", "node-b", 1);
    write_yaml("server: http://x\ntoken: t\nkubernetes: {}\n");
    rc = PARSE(&cfg, &err, "--config", yaml_path);
    ck_assert_msg(rc == LF_OK, "%s", err.msg);
    ck_assert_str_eq(cfg.kubernetes.api_server, "https://10.96.0.1:443");
    ck_assert_str_eq(cfg.kubernetes.node, "node-b");
    ck_assert_str_eq(cfg.kubernetes.token_file,
                     "/var/run/secrets/kubernetes.io/serviceaccount/token");
    ck_assert_str_eq(cfg.kubernetes.ca_file,
                     "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
    ck_assert_int_eq(cfg.kubernetes.refresh_ms, 30000);
    targets_release(&cfg);
    unsetenv("NODE_NAME");
    ck_assert_int_eq(PARSE(&cfg, &err, "--config", yaml_path), LF_EINVAL);
    ck_assert_msg(strstr(err.msg, "kubernetes.node: not set, and NODE_NAME is empty") != NULL, "%s",
                  err.msg);
    targets_release(&cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    teardown();

    static const char *const bad[][2] = {
        { "file_sd:\n  - files: []\n", "file_sd.0: needs files (paths or globs)" },
        { "file_sd:\n  - file: [a.json]\n", "file_sd.0.file: unknown key" },
        { "file_sd: a.json\n", "file_sd: expected a list" },
        { "file_sd:\n  - files: [a.json]\n    refresh_interval: 0\n",
          "file_sd.0.refresh_interval: must be at least 1s" },
        { "file_sd:\n  - files: [a.json]\n    refresh_interval: 1x\n",
          "file_sd.0.refresh_interval: expected a duration" },
        { "http_sd:\n  - url: ftp://x\n", "http_sd.0.url: expected an http:// or https:// URL" },
        { "http_sd:\n  - {}\n", "http_sd.0: needs url" },
        { "kubernetes: true\n", "kubernetes: expected a map ({} for the defaults)" },
        { "kubernetes: {node: n, namespace: x}\n", "kubernetes.namespace: unknown key" },
        { "pprof_path: debug\n", "pprof_path: expected a path starting with '/'" },
        { "targets:\n  - {service: a, url: http://b, interval: 0}\n",
          ":4:43: targets.0.interval: must be more than 0" },
        { "format: xml\n", ":3:9: format: expected pprof, debug1 or debug2, not 'xml'" },
        { "targets:\n  - {service: a, url: http://b, pprof_path: x}\n",
          "targets.0.pprof_path: expected a path starting with '/'" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "server: http://x\ntoken: t\n%s", bad[i][0]);
        file_refused(text, bad[i][1]);
    }
}
END_TEST

static Suite *targets_suite(void)
{
    Suite *s = suite_create("agent_targets");
    TCase *tc = tcase_create("flags");
    tcase_add_test(tc, test_flags_and_defaults);
    tcase_add_test(tc, test_bad_usage);
    tcase_add_test(tc, test_durations);
    suite_add_tcase(s, tc);
    tc = tcase_create("yaml");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_yaml_targets_and_overrides);
    tcase_add_test(tc, test_yaml_errors);
    tcase_add_test(tc, test_ca_file);
    tcase_add_test(tc, test_settings_file_and_flags);
    tcase_add_test(tc, test_yaml_log_format_and_summary_interval);
    tcase_add_test(tc, test_metrics_path_and_version);
    tcase_add_test(tc, test_discovery_keys);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(targets_suite)
