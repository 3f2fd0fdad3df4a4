/* main.c - leakfleet-agent: scrapes local Go services and pushes their goroutine
 * profiles to the leakfleet server, spooling to disk while it is away. A thin shell:
 * flags and config in targets.c, the loop in agent.c; error codes become exit status
 * here only (2 bad usage, 1 anything else that stops the agent). */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "agent.h"
#include "error.h"
#include "log.h"
#include "targets.h"
#include "version.h"

/* --check: what the flags and the file make, one line each. */
static void print_check(const struct targets_config *cfg)
{
    printf("server %s\nspool %s\n", cfg->server, cfg->spool_dir);
    for (size_t i = 0; i < cfg->n_targets; i++)
        printf("target '%s' instance '%s' %s%s every %lld ms\n", cfg->targets[i].service,
               cfg->targets[i].instance, cfg->targets[i].url, cfg->targets[i].pprof_path,
               (long long)cfg->targets[i].interval_ms);
    for (size_t i = 0; i < cfg->n_file_sd; i++)
        printf("file_sd %s every %lld ms and on change\n", cfg->file_sd[i].pattern,
               (long long)cfg->file_sd[i].refresh_ms);
    for (size_t i = 0; i < cfg->n_http_sd; i++)
        printf("http_sd %s every %lld ms\n", cfg->http_sd[i].url,
               (long long)cfg->http_sd[i].refresh_ms);
    if (cfg->kubernetes.enabled)
        printf("kubernetes %s node '%s' every %lld ms (token %s, CA %s)\n",
               cfg->kubernetes.api_server, cfg->kubernetes.node,
               (long long)cfg->kubernetes.refresh_ms, cfg->kubernetes.token_file,
               cfg->kubernetes.ca_file[0] != '\0' ? cfg->kubernetes.ca_file : "none");
    if (cfg->listen[0] != '\0')
        printf("listen %s\n", cfg->listen);
}

int main(int argc, char **argv)
{
    /* `--version` alone is the agent's own; with a value it is the --target's (targets.c) */
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        puts("leakfleet-agent " LEAKFLEET_VERSION);
        return 0;
    }
    struct targets_config cfg;
    struct lf_error err = { 0 };
    int rc = targets_parse_args(&cfg, argc, argv, &err);
    if (rc == LF_OK && cfg.help) {
        fputs(targets_usage(), stdout);
        targets_release(&cfg);
        return 0;
    }
    if (rc != LF_OK) {
        fprintf(stderr, "leakfleet-agent: %s\n", err.msg);
        targets_release(&cfg);
        return rc == LF_EUSAGE ? 2 : 1;
    }
    if (cfg.check) {
        print_check(&cfg);
        targets_release(&cfg);
        return 0;
    }
    log_set_level(cfg.log_level);
    log_set_format(cfg.log_format);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("leakfleet-agent: libcurl initialisation failed\n", stderr);
        targets_release(&cfg);
        return 1;
    }
    rc = agent_run(&cfg, NULL, &err);
    curl_global_cleanup();
    targets_release(&cfg);
    if (rc != LF_OK) {
        fprintf(stderr, "leakfleet-agent: %s\n", err.msg);
        return 1;
    }
    return 0;
}
