/* agent.c - the scrape/spool/push loop. Single-threaded and idle between events: it
 * sleeps in pselect() until the next target is due or the next retry, with SIGTERM and
 * SIGINT unblocked only there, so a signal either interrupts the sleep or is seen before
 * the next push, never in the middle of one. Every profile is spooled before it is
 * pushed and deleted after the server's 2xx (write, push, delete), so a crash at any
 * point loses nothing and a replay carries the same Idempotency-Key. A target's metrics
 * are read right after its goroutine profile, and the profile is spooled with the start
 * time and version they gave; reading them never stops a profile. The targets are
 * those of sources.h, merged again when a source is due or a watched file changes; a
 * target that goes away keeps nothing but its spooled profiles, which are pushed like
 * any other. SIGHUP parses the flags and the file again and swaps the configuration in
 * between events; a configuration that does not parse is logged and the old one kept. */
#include "agent.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "backoff.h"
#include "log.h"
#include "push.h"
#include "scrape.h"
#include "selfmetrics.h"
#include "sources.h"
#include "spool.h"
#include "target_meta.h"
#include "textbuf.h"
#include "utf8.h"

#define FIRST_SCRAPE_SPREAD_MS 1000 /* the first scrape of each target within this */
#define JITTER_PERCENT         10   /* each interval is stretched or shrunk by up to this */
#define PUSHES_PER_ROUND       100  /* then targets get a look-in again */
#define BACKOFF_BASE_MS        1000
#define ONCE_TRIES             3 /* --once: pushes tried this often, with a short backoff */
#define ONCE_BACKOFF_BASE_MS   250
#define ONCE_BACKOFF_CAP_MS    2000

_Static_assert(SPOOL_VERSION_MAX == TARGET_META_VERSION_MAX, "a version fits the spool");

enum meta_state {
    META_UNKNOWN, /* not read yet, or metrics_path none */
    META_READ,    /* the last read of the metrics worked */
    META_ABSENT,  /* the target answered 404: asked again every scrape, logged once */
    META_FAILED,  /* the last read failed: logged at the change, counted every time */
};

enum leak_probe {
    LEAK_UNKNOWN, /* not asked yet */
    LEAK_SERVED,  /* /debug/pprof/goroutineleak answered 200: scraped every time */
    LEAK_ABSENT,  /* it did not: never asked again */
};

struct target_state {
    struct target target; /* a copy: the sources' list changes under it */
    int64_t due_ms;
    /* health, for the summary and /metrics */
    uint64_t ok;          /* scrapes that gave a profile */
    uint64_t failed;      /* scrapes that did not */
    int64_t last_ok_unix; /* wall time of the last good scrape; 0 = none yet */
    char last_error[200]; /* why the last failed scrape failed */
    enum leak_probe leak;
    uint64_t failures; /* consecutive failed scrapes: warn at the first, note the recovery */
    enum meta_state meta;
    uint64_t meta_failures; /* consecutive failed metrics reads */
    /* sent with this scrape's profiles: 0 and "" when unknown */
    int64_t started;
    char version[TARGET_META_VERSION_MAX + 1];
    /* what was logged last, so that a line is written when it changes only */
    int64_t last_started;
    char last_version[TARGET_META_VERSION_MAX + 1];
    char version_from[192];
    char problem[160];
};

struct agent {
    const struct targets_config *cfg; /* the caller's, or &reloaded after a SIGHUP */
    struct targets_config reloaded;
    bool has_reloaded;
    struct spool *spool;
    struct scraper *scraper;
    struct pusher *pusher;
    struct sources *sources;
    struct selfmetrics *metrics; /* listen: the agent's own /metrics; NULL = none */
    struct backoff backoff;
    struct target_state *states;
    size_t n_states;
    struct agent_stats stats;
    bool server_down; /* the last push failed: log the recovery once */
};

enum flush_result {
    FLUSH_DONE,  /* the spool is empty */
    FLUSH_MORE,  /* stopped after PUSHES_PER_ROUND or by a signal */
    FLUSH_RETRY, /* the server is away: back off */
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reload_requested;

static void on_stop_signal(int sig)
{
    stop_requested = 1;
    stop_signal = sig;
}

static void on_reload_signal(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
    }
    return seed;
}

/* Sleeps until wake_ms (monotonic), a stop or reload signal, or one of fds[0..1] (each
 * -1 for none) is readable, whichever comes first; bit i of the result is set when
 * fds[i] is readable. */
static unsigned sleep_until(int64_t wake_ms, const int fds[2])
{
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &orig);
    int64_t wait = wake_ms - now_ms();
    unsigned readable = 0;
    if (!stop_requested && !reload_requested && wait > 0) {
        struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000 };
        if (wake_ms == INT64_MAX)
            ts.tv_sec = 24 * 3600; /* no deadline: woken by a signal or fd, or a day on */
        fd_set set;
        FD_ZERO(&set);
        int max = -1;
        for (int i = 0; i < 2; i++) {
            if (fds[i] >= 0 && fds[i] < FD_SETSIZE) {
                FD_SET(fds[i], &set);
                max = fds[i] > max ? fds[i] : max;
            }
        }
        int n = pselect(max + 1, &set, NULL, NULL, &ts, &orig);
        for (int i = 0; n > 0 && i < 2; i++)
            if (fds[i] >= 0 && fds[i] < FD_SETSIZE && FD_ISSET(fds[i], &set))
                readable |= 1u << i;
    }
    sigprocmask(SIG_SETMASK, &orig, NULL);
    return readable;
}

static int64_t jittered(struct agent *agent, int64_t interval_ms)
{
    uint64_t spread = (uint64_t)(interval_ms / 100 * JITTER_PERCENT);
    int64_t shift = (int64_t)backoff_random(&agent->backoff, 2 * spread) - (int64_t)spread;
    int64_t next = interval_ms + shift;
    return next < 1 ? 1 : next;
}

/* Unix time in seconds, with the fraction. */
static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the target's metrics -------------------------------------------------------------- */

/* Logs a change of ts's metrics state (once, not every scrape) and counts failures. */
static void note_meta_state(struct agent *agent, struct target_state *ts, enum meta_state state,
                            const struct lf_error *err)
{
    const struct target *t = &ts->target;
    if (state == META_FAILED) {
        agent->stats.metrics_failures++;
        ts->meta_failures++;
    }
    if (state == ts->meta) {
        if (state == META_FAILED)
            log_debug("metrics of '%s' instance '%s' failed again (%" PRIu64 " in a row): %s",
                      t->service, t->instance, ts->meta_failures, err->msg);
        return;
    }
    switch (state) {
    case META_READ:
        if (ts->meta == META_FAILED)
            log_info("metrics of '%s' instance '%s' read again after %" PRIu64 " failures",
                     t->service, t->instance, ts->meta_failures);
        else
            log_info("'%s' instance '%s': start time and version from %s", t->service, t->instance,
                     t->metrics_path);
        ts->meta_failures = 0;
        break;
    case META_ABSENT:
        log_info("'%s' instance '%s' serves no %s (%s): profiles go without its start time",
                 t->service, t->instance, t->metrics_path, err->msg);
        ts->meta_failures = 0;
        break;
    case META_FAILED:
        log_warn("metrics of '%s' instance '%s' failed, profiles pushed without its start time%s: "
                 "%s",
                 t->service, t->instance, t->version[0] != '\0' ? "" : " and version", err->msg);
        break;
    case META_UNKNOWN:
        break;
    }
    ts->meta = state;
}

/* Reads ts's metrics (when it has a metrics_path) after its goroutine profile was asked
 * for at asked_s, and sets ts->started and ts->version for the profiles of this scrape:
 * the start time from the metrics; the version from a *_build_info metric, else the
 * configured one, else go_info's (the toolchain's). Never fails: a profile goes out
 * with whatever is known. */
static void read_meta(struct agent *agent, struct target_state *ts, double asked_s)
{
    const struct target *t = &ts->target;
    struct target_meta m;
    memset(&m, 0, sizeof(m));
    if (t->metrics_path[0] != '\0') {
        char url[TARGETS_TEXT_MAX + TARGETS_PATH_MAX];
        char *body = NULL;
        size_t len = 0;
        struct lf_error err = { 0 };
        int rc = scrape_metrics_url(t->url, t->metrics_path, url, sizeof(url), &err);
        if (rc == LF_OK)
            rc = scraper_get_metrics(agent->scraper, url, &body, &len, &err);
        if (rc == LF_OK && (rc = target_meta_parse(body, len, &m, &err)) != LF_OK)
            lf_error_prefix(&err, "'%s'", url);
        lf_free(body);
        enum meta_state state = META_FAILED;
        if (rc == LF_OK)
            state = META_READ;
        else if (rc == LF_ENOTFOUND)
            state = META_ABSENT;
        note_meta_state(agent, ts, state, &err);
    }
    if (m.started > 0 && m.start_seconds > wall_seconds()) {
        /* later than now: the target's clock is ahead of ours, or the metric is wrong; a
         * start after the push's own ts is not sent */
        if (m.problem[0] == '\0')
            snprintf(m.problem, sizeof(m.problem),
                     "process_start_time_seconds %.3f is later than this host's clock: not sent",
                     m.start_seconds);
        m.started = 0;
    } else if (m.started > 0 && m.start_seconds > asked_s) {
        /* the process that answered started after the profile was asked for: the profile
         * is its predecessor's, so neither value is its own */
        log_info("'%s' instance '%s' restarted during the scrape: this profile goes without "
                 "the start time and version of its metrics",
                 t->service, t->instance);
        memset(&m, 0, sizeof(m));
    }
    if (strcmp(m.problem, ts->problem) != 0) {
        if (m.problem[0] != '\0')
            log_warn("metrics of '%s' instance '%s': %s", t->service, t->instance, m.problem);
        memcpy(ts->problem, m.problem, sizeof(ts->problem));
    }

    /* within a second of the last one: the same start (exporters that compute it as now
     * minus uptime cross a second boundary now and then); no restart is that short-lived */
    if (m.started > 0 && ts->last_started > 0 && m.started - ts->last_started <= 1 &&
        ts->last_started - m.started <= 1)
        m.started = ts->last_started;
    ts->started = m.started;
    const char *from = NULL;
    const char *version = "";
    if (m.version[0] != '\0') {
        version = m.version;
        from = m.version_metric;
    } else if (t->version[0] != '\0') {
        version = t->version;
        from = t->source; /* the config file, the flags, a discovery label */
    } else if (m.go_version[0] != '\0') {
        version = m.go_version;
        from = "go_info (the Go toolchain's version: it changes with the toolchain only)";
    }
    snprintf(ts->version, sizeof(ts->version), "%s", version);

    if (strcmp(from != NULL ? from : "", ts->version_from) != 0) {
        if (from != NULL)
            log_info("'%s' instance '%s': version '%s' from %s", t->service, t->instance,
                     ts->version, from);
        else
            log_info("'%s' instance '%s': no version any more", t->service, t->instance);
        snprintf(ts->version_from, sizeof(ts->version_from), "%s", from != NULL ? from : "");
    }
    if (ts->started > 0) {
        if (ts->last_started > 0 && ts->started != ts->last_started)
            log_info("'%s' instance '%s' restarted: process start %" PRId64 " (was %" PRId64 ")",
                     t->service, t->instance, ts->started, ts->last_started);
        ts->last_started = ts->started;
    }
    if (ts->version[0] != '\0') {
        if (ts->last_version[0] != '\0' && strcmp(ts->version, ts->last_version) != 0)
            log_info("'%s' instance '%s' runs version '%s' (was '%s')", t->service, t->instance,
                     ts->version, ts->last_version);
        memcpy(ts->last_version, ts->version, sizeof(ts->last_version));
    }
}

/* ---- scrape ------------------------------------------------------------------------- */

/* Scrapes one profile of ts and spools it; the goroutine profile (not leak) is followed
 * by a read of the target's metrics, whose values both profiles of the scrape carry.
 * *fetched tells a failed GET (err says why, the caller logs it) from a failure to spool
 * (logged here). */
static int scrape_one(struct agent *agent, struct target_state *ts, bool leak, bool *fetched,
                      struct lf_error *err)
{
    const struct target *t = &ts->target;
    *fetched = false;
    char url[TARGETS_TEXT_MAX + TARGETS_PATH_MAX + 32];
    int rc = scrape_url(t->url, t->pprof_path, leak, t->format, url, sizeof(url), err);
    if (rc != LF_OK)
        return rc;
    char *body = NULL;
    size_t len = 0;
    struct spool_meta meta;
    memset(&meta, 0, sizeof(meta));
    double asked_s = wall_seconds();
    rc = scraper_get(agent->scraper, url, t->format, &body, &len, &meta.gzip, err);
    if (rc != LF_OK)
        return rc;
    *fetched = true;
    meta.ts = (int64_t)time(NULL);
    if (!leak)
        read_meta(agent, ts, asked_s);
    meta.started = ts->started;
    memcpy(meta.version, ts->version, sizeof(meta.version));
    memcpy(meta.service, t->service, sizeof(meta.service));
    memcpy(meta.instance, t->instance, sizeof(meta.instance));
    snprintf(meta.format, sizeof(meta.format), "%s", scrape_format_name(t->format));
    meta.leak = leak;
    rc = spool_put(agent->spool, &meta, body, len, err); /* draws the profile's own key */
    if (rc == LF_OK) {
        agent->stats.scrapes++;
        log_debug("scraped %s%s profile of '%s' instance '%s': %zu bytes, started %" PRId64
                  ", version '%s', key %s",
                  meta.format, leak ? " goroutineleak" : "", t->service, t->instance, len,
                  meta.started, meta.version, meta.key);
    } else {
        log_error("spool %s profile of '%s': %s", meta.format, t->service, err->msg);
    }
    lf_free(body);
    return rc;
}

/* Scrapes target ts (and its goroutineleak profile when served); false when the
 * goroutine profile could not be had. */
static bool scrape_target(struct agent *agent, struct target_state *ts)
{
    const struct target *t = &ts->target;
    struct lf_error err = { 0 };
    bool fetched = false;
    int rc = scrape_one(agent, ts, false, &fetched, &err);
    if (rc != LF_OK) {
        agent->stats.scrape_failures++;
        ts->failed++;
        utf8_snprintf(ts->last_error, sizeof(ts->last_error), "%s%s", fetched ? "spool: " : "",
                      err.msg);
        if (fetched)
            return false; /* spool errors are logged by scrape_one */
        if (ts->failures++ == 0)
            log_warn("scrape of '%s' instance '%s' failed, nothing pushed: %s", t->service,
                     t->instance, err.msg);
        else
            log_debug("scrape of '%s' instance '%s' failed again (%" PRIu64 " in a row): %s",
                      t->service, t->instance, ts->failures, err.msg);
        return false;
    }
    ts->ok++;
    ts->last_ok_unix = (int64_t)time(NULL);
    if (ts->failures > 0) {
        log_info("scrape of '%s' instance '%s' works again after %" PRIu64 " failures", t->service,
                 t->instance, ts->failures);
        ts->failures = 0;
    }
    if (ts->leak == LEAK_ABSENT)
        return true;
    rc = scrape_one(agent, ts, true, &fetched, &err);
    if (rc == LF_OK) {
        if (ts->leak == LEAK_UNKNOWN)
            log_info("'%s' serves /debug/pprof/goroutineleak: pushing its confirmed leaks too",
                     t->service);
        ts->leak = LEAK_SERVED;
    } else if (fetched) {
        /* spool error, logged by scrape_one */
    } else if (ts->leak == LEAK_UNKNOWN) {
        log_info("'%s' does not serve /debug/pprof/goroutineleak (%s); goroutine profile only",
                 t->service, err.msg);
        ts->leak = LEAK_ABSENT;
    } else {
        log_warn("scrape of '%s' goroutineleak failed: %s", t->service, err.msg);
    }
    return true;
}

/* ---- push --------------------------------------------------------------------------- */

static enum flush_result flush(struct agent *agent, long *retry_after_s)
{
    *retry_after_s = 0;
    for (int i = 0; i < PUSHES_PER_ROUND; i++) {
        if (stop_requested)
            return FLUSH_MORE;
        struct spool_meta meta;
        char *body = NULL;
        size_t len = 0;
        struct lf_error err = { 0 };
        int rc = spool_peek(agent->spool, &meta, &body, &len, &err);
        agent->stats.corrupt = spool_corrupt(agent->spool);
        if (rc == LF_ENOTFOUND)
            return FLUSH_DONE;
        if (rc != LF_OK) {
            log_error("spool: %s", err.msg);
            return FLUSH_RETRY;
        }
        enum push_outcome outcome =
                pusher_send(agent->pusher, &meta, body, len, retry_after_s, &err);
        lf_free(body);
        switch (outcome) {
        case PUSH_OK:
            agent->stats.pushed++;
            if (agent->server_down) {
                log_info("server reachable again: replaying %zu spooled profiles",
                         spool_count(agent->spool));
                agent->server_down = false;
            }
            log_debug("pushed %s profile of '%s' instance '%s' ts %" PRId64 ", key %s", meta.format,
                      meta.service, meta.instance, meta.ts, meta.key);
            if (spool_remove(agent->spool, &err) != LF_OK)
                log_error("%s", err.msg);
            break;
        case PUSH_REJECTED:
            agent->stats.rejected++;
            log_error("server rejected %s profile of '%s' instance '%s' (key %s): %s", meta.format,
                      meta.service, meta.instance, meta.key, err.msg);
            if (spool_reject(agent->spool, err.msg, &err) != LF_OK)
                log_error("%s", err.msg);
            break;
        case PUSH_RETRY:
            agent->stats.push_failures++;
            if (!agent->server_down)
                log_warn("push failed, keeping %zu profiles in the spool: %s",
                         spool_count(agent->spool), err.msg);
            agent->server_down = true;
            return FLUSH_RETRY;
        }
    }
    return FLUSH_MORE;
}

/* ---- the loop ------------------------------------------------------------------------ */

/* One line of a target's health: scrapes, failures, the last good one, the last error. */
static void log_health(const struct target_state *ts, const char *what)
{
    const struct target *t = &ts->target;
    char last_ok[64] = "never";
    if (ts->last_ok_unix > 0)
        snprintf(last_ok, sizeof(last_ok), "%" PRId64 " s ago",
                 (int64_t)time(NULL) - ts->last_ok_unix);
    log_info("%s'%s' instance '%s' (%s): %" PRIu64 " scraped, %" PRIu64
             " failed, last good scrape %s%s%s",
             what, t->service, t->instance, t->source, ts->ok, ts->failed, last_ok,
             ts->failures > 0 ? ", failing now: " : "", ts->failures > 0 ? ts->last_error : "");
}

/* Takes the sources' merged list as the running targets: a target that stays keeps its
 * state (due time, probes, health), a new one is scraped within FIRST_SCRAPE_SPREAD_MS,
 * a removed one is dropped (its spooled profiles stay queued and are pushed). On
 * failure (out of memory) the running targets are kept. */
static void apply_targets(struct agent *agent, int64_t now)
{
    size_t n = 0;
    const struct target *targets = sources_targets(agent->sources, &n);
    struct target_state *states = lf_calloc(n + 1, sizeof(*states));
    if (states == NULL) {
        log_error("targets: out of memory; the running ones kept");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct target_state *old = NULL;
        for (size_t j = 0; j < agent->n_states && old == NULL; j++)
            if (agent->states[j].due_ms != INT64_MIN &&
                targets_equal(&agent->states[j].target, &targets[i]))
                old = &agent->states[j];
        if (old != NULL) {
            states[i] = *old;
            states[i].target = targets[i]; /* its source may have changed */
            old->due_ms = INT64_MIN;       /* taken */
            continue;
        }
        states[i].target = targets[i];
        int64_t spread = targets[i].interval_ms < FIRST_SCRAPE_SPREAD_MS ? targets[i].interval_ms
                                                                         : FIRST_SCRAPE_SPREAD_MS;
        states[i].due_ms = now + (int64_t)backoff_random(&agent->backoff, (uint64_t)spread);
    }
    for (size_t j = 0; j < agent->n_states; j++)
        if (agent->states[j].due_ms != INT64_MIN &&
            agent->states[j].ok + agent->states[j].failed > 0)
            log_health(&agent->states[j], "gone: ");
    lf_free(agent->states);
    agent->states = states;
    agent->n_states = n;
}

/* Reads the sources that are due (or all of them when the watch fd said a file changed)
 * and applies a changed list. */
static void refresh_targets(struct agent *agent, bool files_changed)
{
    int64_t now = now_ms();
    if (files_changed)
        sources_notice(agent->sources, now);
    if (sources_refresh(agent->sources, now))
        apply_targets(agent, now_ms());
}

/* SIGHUP: the command line and the file again. What can change: targets and discovery,
 * the server, token, CA, timeouts, intervals, log level. The spool cannot (its files
 * would be left behind): a new spool setting refuses the reload. */
static void reload(struct agent *agent)
{
    reload_requested = 0;
    const struct targets_config *cur = agent->cfg;
    if (cur->argv == NULL) {
        log_warn("reload: no command line to read again; configuration unchanged");
        return;
    }
    struct targets_config fresh;
    struct lf_error err = { 0 };
    struct scraper *scraper = NULL;
    struct pusher *pusher = NULL;
    struct sources *sources = NULL;
    int rc = targets_parse_args(&fresh, cur->argc, cur->argv, &err);
    if (rc == LF_OK && fresh.once)
        rc = lf_fail(&err, LF_EUSAGE, "--once cannot be reloaded");
    if (rc == LF_OK && (strcmp(fresh.spool_dir, cur->spool_dir) != 0 ||
                        fresh.spool_max_bytes != cur->spool_max_bytes ||
                        fresh.spool_max_files != cur->spool_max_files))
        rc = lf_fail(&err, LF_EINVAL,
                     "the spool settings changed (restart the agent to move or "
                     "resize the spool)");
    if (rc == LF_OK && strcmp(fresh.listen, cur->listen) != 0)
        rc = lf_fail(&err, LF_EINVAL, "listen changed (restart the agent to move its /metrics)");
    if (rc == LF_OK)
        scraper = scraper_create((long)fresh.connect_timeout_ms, (long)fresh.timeout_ms,
                                 (size_t)fresh.max_profile_bytes, fresh.ca_file, &err);
    if (scraper != NULL)
        pusher = pusher_create(fresh.server, fresh.token, fresh.ca_file,
                               (long)fresh.connect_timeout_ms, (long)fresh.timeout_ms, &err);
    if (pusher != NULL)
        sources = sources_create(&fresh, &err);
    if (sources != NULL)
        sources_adopt(sources, agent->sources);
    if (sources == NULL) {
        log_error("reload: %s; the running configuration kept", err.msg);
        pusher_free(pusher);
        scraper_free(scraper);
        targets_release(&fresh);
        return;
    }
    pusher_free(agent->pusher);
    scraper_free(agent->scraper);
    sources_free(agent->sources);
    agent->pusher = pusher;
    agent->scraper = scraper;
    agent->sources = sources;
    if (agent->has_reloaded)
        targets_release(&agent->reloaded);
    agent->reloaded = fresh;
    agent->has_reloaded = true;
    agent->cfg = &agent->reloaded;
    log_set_level(fresh.log_level);
    backoff_init(&agent->backoff, BACKOFF_BASE_MS, (uint64_t)fresh.retry_max_ms, random_seed());
    log_info("reload: configuration read again (%zu static target%s%s)", fresh.n_targets,
             fresh.n_targets == 1 ? "" : "s", targets_discovers(&fresh) ? ", discovery" : "");
    refresh_targets(agent, false);
}

static int run_once(struct agent *agent)
{
    bool all_scraped = true;
    refresh_targets(agent, false);
    for (size_t i = 0; i < agent->n_states && !stop_requested; i++)
        all_scraped &= scrape_target(agent, &agent->states[i]);
    backoff_init(&agent->backoff, ONCE_BACKOFF_BASE_MS, ONCE_BACKOFF_CAP_MS, random_seed());
    enum flush_result result = FLUSH_MORE;
    for (int tries = 0; !stop_requested;) {
        long retry_after_s = 0;
        result = flush(agent, &retry_after_s);
        if (result == FLUSH_DONE)
            break;
        if (result == FLUSH_RETRY) {
            if (++tries >= ONCE_TRIES)
                break;
            sleep_until(now_ms() + (int64_t)backoff_next_ms(&agent->backoff),
                        (const int[2]){ -1, -1 });
        }
    }
    if (!all_scraped || result != FLUSH_DONE || agent->stats.rejected > 0)
        return LF_EUNAVAIL;
    return LF_OK;
}

/* ---- the agent's own /metrics ----------------------------------------------------------- */

/* A label value of the text format: \, " and newline escaped (names hold no other
 * control characters: targets.c and discovery.c refuse them). */
static const char *label_value(const char *s, char *buf, size_t size)
{
    size_t at = 0;
    for (; *s != '\0' && at + 3 < size; s++) {
        if (*s == '\\' || *s == '"')
            buf[at++] = '\\';
        buf[at++] = *s;
    }
    buf[at] = '\0';
    return buf;
}

static void serve_metrics(struct agent *agent)
{
    struct textbuf t = { 0 };
    struct sources_counts c;
    sources_counts(agent->sources, &c);
    const struct agent_stats *st = &agent->stats;
    textbuf_printf(&t,
                   "# HELP leakfleet_agent_targets Targets scraped now, by the kind of source.\n"
                   "# TYPE leakfleet_agent_targets gauge\n"
                   "leakfleet_agent_targets{source=\"static\"} %zu\n"
                   "leakfleet_agent_targets{source=\"file_sd\"} %zu\n"
                   "leakfleet_agent_targets{source=\"http_sd\"} %zu\n"
                   "leakfleet_agent_targets{source=\"kubernetes\"} %zu\n"
                   "# HELP leakfleet_agent_target_duplicates Discovered targets left out: their "
                   "service and instance are scraped already.\n"
                   "# TYPE leakfleet_agent_target_duplicates gauge\n"
                   "leakfleet_agent_target_duplicates %zu\n"
                   "# HELP leakfleet_agent_discovery_errors_total Reads of a discovery source that "
                   "failed (its targets kept).\n"
                   "# TYPE leakfleet_agent_discovery_errors_total counter\n"
                   "leakfleet_agent_discovery_errors_total %" PRIu64 "\n",
                   c.static_targets, c.file_sd, c.http_sd, c.kubernetes, c.duplicates, c.errors);
    textbuf_printf(&t,
                   "# HELP leakfleet_agent_profiles_total Profiles by what became of them.\n"
                   "# TYPE leakfleet_agent_profiles_total counter\n"
                   "leakfleet_agent_profiles_total{result=\"scraped\"} %" PRIu64 "\n"
                   "leakfleet_agent_profiles_total{result=\"pushed\"} %" PRIu64 "\n"
                   "leakfleet_agent_profiles_total{result=\"rejected\"} %" PRIu64 "\n"
                   "leakfleet_agent_profiles_total{result=\"dropped\"} %" PRIu64 "\n"
                   "leakfleet_agent_profiles_total{result=\"corrupt\"} %" PRIu64 "\n"
                   "# HELP leakfleet_agent_push_failures_total Pushes to be retried.\n"
                   "# TYPE leakfleet_agent_push_failures_total counter\n"
                   "leakfleet_agent_push_failures_total %" PRIu64 "\n"
                   "# HELP leakfleet_agent_spool_profiles Profiles waiting in the spool.\n"
                   "# TYPE leakfleet_agent_spool_profiles gauge\n"
                   "leakfleet_agent_spool_profiles %zu\n"
                   "# HELP leakfleet_agent_spool_bytes Bytes of the spool's files.\n"
                   "# TYPE leakfleet_agent_spool_bytes gauge\n"
                   "leakfleet_agent_spool_bytes %" PRIu64 "\n",
                   st->scrapes, st->pushed, st->rejected, spool_dropped(agent->spool),
                   spool_corrupt(agent->spool), st->push_failures, spool_count(agent->spool),
                   spool_bytes(agent->spool));
    textbuf_printf(&t, "# HELP leakfleet_agent_target_up 1 when the target's last scrape gave a "
                       "profile.\n"
                       "# TYPE leakfleet_agent_target_up gauge\n");
    for (size_t i = 0; i < agent->n_states; i++) {
        const struct target_state *ts = &agent->states[i];
        char service[2 * TARGETS_SERVICE_MAX], instance[2 * TARGETS_INSTANCE_MAX];
        textbuf_printf(&t, "leakfleet_agent_target_up{service=\"%s\",instance=\"%s\"} %d\n",
                       label_value(ts->target.service, service, sizeof(service)),
                       label_value(ts->target.instance, instance, sizeof(instance)),
                       ts->ok > 0 && ts->failures == 0 ? 1 : 0);
    }
    textbuf_printf(&t,
                   "# HELP leakfleet_agent_target_scrapes_total Scrapes of each target by result.\n"
                   "# TYPE leakfleet_agent_target_scrapes_total counter\n");
    for (size_t i = 0; i < agent->n_states; i++) {
        const struct target_state *ts = &agent->states[i];
        char service[2 * TARGETS_SERVICE_MAX], instance[2 * TARGETS_INSTANCE_MAX];
        label_value(ts->target.service, service, sizeof(service));
        label_value(ts->target.instance, instance, sizeof(instance));
        textbuf_printf(&t,
                       "leakfleet_agent_target_scrapes_total{service=\"%s\",instance=\"%s\","
                       "result=\"ok\"} %" PRIu64 "\n"
                       "leakfleet_agent_target_scrapes_total{service=\"%s\",instance=\"%s\","
                       "result=\"error\"} %" PRIu64 "\n",
                       service, instance, ts->ok, service, instance, ts->failed);
    }
    textbuf_printf(&t,
                   "# HELP leakfleet_agent_target_last_success_timestamp_seconds When the target "
                   "last gave a profile (absent: never).\n"
                   "# TYPE leakfleet_agent_target_last_success_timestamp_seconds gauge\n");
    for (size_t i = 0; i < agent->n_states; i++) {
        const struct target_state *ts = &agent->states[i];
        char service[2 * TARGETS_SERVICE_MAX], instance[2 * TARGETS_INSTANCE_MAX];
        if (ts->last_ok_unix > 0)
            textbuf_printf(&t,
                           "leakfleet_agent_target_last_success_timestamp_seconds{service=\"%s\","
                           "instance=\"%s\"} %" PRId64 "\n",
                           label_value(ts->target.service, service, sizeof(service)),
                           label_value(ts->target.instance, instance, sizeof(instance)),
                           ts->last_ok_unix);
    }
    if (t.failed) {
        log_warn("/metrics: out of memory; answered empty");
        t.len = 0;
    }
    selfmetrics_serve(agent->metrics, t.p != NULL ? t.p : "", t.len);
    lf_free(t.p);
}

/* One line of counts: since the start, and what the spool holds now. */
static void log_summary(struct agent *agent, const char *msg)
{
    const struct agent_stats *st = &agent->stats;
    char v[8][24];
    snprintf(v[0], sizeof(v[0]), "%" PRIu64, st->scrapes);
    snprintf(v[1], sizeof(v[1]), "%" PRIu64, st->scrape_failures);
    snprintf(v[2], sizeof(v[2]), "%" PRIu64, st->pushed);
    snprintf(v[3], sizeof(v[3]), "%" PRIu64, st->push_failures);
    snprintf(v[4], sizeof(v[4]), "%" PRIu64, st->rejected);
    snprintf(v[5], sizeof(v[5]), "%zu", spool_count(agent->spool));
    snprintf(v[6], sizeof(v[6]), "%" PRIu64, spool_bytes(agent->spool));
    snprintf(v[7], sizeof(v[7]), "%" PRIu64, spool_dropped(agent->spool));
    log_fields(LOG_LEVEL_INFO, msg, "scrapes", v[0], "scrape_failures", v[1], "pushed", v[2],
               "push_failures", v[3], "rejected", v[4], "spool_files", v[5], "spool_bytes", v[6],
               "spool_dropped", v[7], (const char *)NULL);
}

static void run_loop(struct agent *agent)
{
    int64_t flush_due = now_ms(); /* replay what a previous run left behind */
    /* 0 in the file turns the summary off */
    int64_t summary_due = agent->cfg->summary_interval_ms > 0
                                  ? flush_due + agent->cfg->summary_interval_ms
                                  : INT64_MAX;
    bool files_changed = false;
    refresh_targets(agent, false); /* the static targets, and every source once */
    while (!stop_requested) {
        if (reload_requested)
            reload(agent);
        int64_t now = now_ms();
        if (now >= summary_due) {
            log_summary(agent, "agent summary");
            summary_due = now + agent->cfg->summary_interval_ms; /* > 0 here */
        }
        if (files_changed || now >= sources_next_ms(agent->sources))
            refresh_targets(agent, files_changed);
        files_changed = false;
        now = now_ms();
        for (size_t i = 0; i < agent->n_states && !stop_requested && !reload_requested; i++) {
            struct target_state *ts = &agent->states[i];
            if (now < ts->due_ms)
                continue;
            scrape_target(agent, ts);
            int64_t next = ts->due_ms + jittered(agent, ts->target.interval_ms);
            now = now_ms();
            ts->due_ms = next > now ? next : now + jittered(agent, ts->target.interval_ms);
            if (agent->backoff.attempt == 0 && flush_due > now)
                flush_due = now;
        }
        if (stop_requested)
            break;
        if (spool_count(agent->spool) > 0 && now >= flush_due) {
            long retry_after_s = 0;
            enum flush_result result = flush(agent, &retry_after_s);
            now = now_ms();
            if (result == FLUSH_RETRY) {
                int64_t wait = (int64_t)backoff_next_ms(&agent->backoff);
                if (wait < (int64_t)retry_after_s * 1000)
                    wait = (int64_t)retry_after_s * 1000;
                flush_due = now + wait;
                log_debug("next push attempt in %" PRId64 " ms", wait);
            } else {
                backoff_reset(&agent->backoff);
                flush_due = result == FLUSH_MORE ? now : INT64_MAX;
            }
        } else if (spool_count(agent->spool) == 0) {
            flush_due = agent->backoff.attempt == 0 ? INT64_MAX : flush_due;
        }
        int64_t wake = spool_count(agent->spool) > 0 ? flush_due : INT64_MAX;
        for (size_t i = 0; i < agent->n_states; i++)
            if (agent->states[i].due_ms < wake)
                wake = agent->states[i].due_ms;
        if (sources_next_ms(agent->sources) < wake)
            wake = sources_next_ms(agent->sources);
        if (summary_due < wake)
            wake = summary_due;
        int fds[2] = { sources_watch_fd(agent->sources),
                       agent->metrics != NULL ? selfmetrics_fd(agent->metrics) : -1 };
        unsigned readable = sleep_until(wake, fds);
        files_changed = (readable & 1u) != 0;
        if ((readable & 2u) != 0)
            serve_metrics(agent);
    }
}

int agent_run(const struct targets_config *cfg, struct agent_stats *stats, struct lf_error *err)
{
    struct agent agent;
    memset(&agent, 0, sizeof(agent));
    agent.cfg = cfg;
    int rc = LF_OK;
    struct sigaction sa, old_term, old_int, old_pipe, old_hup;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = on_reload_signal;
    sigaction(SIGHUP, &sa, &old_hup);
    sa.sa_handler = SIG_IGN; /* libcurl with CURLOPT_NOSIGNAL leaves SIGPIPE to us */
    sigaction(SIGPIPE, &sa, &old_pipe);
    stop_requested = 0;
    reload_requested = 0;

    struct spool_limits limits = { cfg->spool_max_bytes, cfg->spool_max_files };
    agent.spool = spool_open(cfg->spool_dir, &limits, err);
    if (agent.spool == NULL) {
        rc = err != NULL ? err->code : LF_EIO;
        goto out;
    }
    agent.scraper = scraper_create((long)cfg->connect_timeout_ms, (long)cfg->timeout_ms,
                                   (size_t)cfg->max_profile_bytes, cfg->ca_file, err);
    agent.pusher = agent.scraper == NULL ? NULL
                                         : pusher_create(cfg->server, cfg->token, cfg->ca_file,
                                                         (long)cfg->connect_timeout_ms,
                                                         (long)cfg->timeout_ms, err);
    agent.sources = agent.pusher == NULL ? NULL : sources_create(cfg, err);
    if (agent.scraper == NULL || agent.pusher == NULL || agent.sources == NULL) {
        rc = err != NULL ? err->code : LF_ENOMEM;
        goto out;
    }
    if (cfg->listen[0] != '\0' && !cfg->once) {
        agent.metrics = selfmetrics_open(cfg->listen, err);
        if (agent.metrics == NULL) {
            rc = err != NULL ? err->code : LF_EIO;
            goto out;
        }
        log_info("agent: /metrics on http://%s/metrics", selfmetrics_address(agent.metrics));
    }
    backoff_init(&agent.backoff, BACKOFF_BASE_MS, (uint64_t)cfg->retry_max_ms, random_seed());

    log_info("agent: %zu static target%s%s%s%s, server %s, spool '%s' (%zu profiles waiting)",
             cfg->n_targets, cfg->n_targets == 1 ? "" : "s", cfg->n_file_sd > 0 ? ", file_sd" : "",
             cfg->n_http_sd > 0 ? ", http_sd" : "", cfg->kubernetes.enabled ? ", kubernetes" : "",
             cfg->server, cfg->spool_dir, spool_count(agent.spool));
    if (cfg->once) {
        rc = run_once(&agent);
        if (rc != LF_OK)
            lf_fail(err, rc, "not everything reached the server; %zu profiles left in '%s'",
                    spool_count(agent.spool), cfg->spool_dir);
    } else {
        run_loop(&agent);
    }
    if (stop_requested)
        log_info("agent: stopping on signal %d", (int)stop_signal);
    agent.stats.dropped = spool_dropped(agent.spool);
    agent.stats.corrupt = spool_corrupt(agent.spool);
    agent.stats.left = spool_count(agent.spool);
    log_info("agent: %" PRIu64 " scraped, %" PRIu64 " scrapes failed, %" PRIu64 " pushed, %" PRIu64
             " push failures, %" PRIu64 " rejected, %" PRIu64 " dropped (spool full), %" PRIu64
             " corrupt, %" PRIu64 " metrics reads failed; %" PRIu64 " left in the spool",
             agent.stats.scrapes, agent.stats.scrape_failures, agent.stats.pushed,
             agent.stats.push_failures, agent.stats.rejected, agent.stats.dropped,
             agent.stats.corrupt, agent.stats.metrics_failures, agent.stats.left);
    for (size_t i = 0; i < agent.n_states; i++)
        log_health(&agent.states[i], "");
out:
    if (stats != NULL)
        *stats = agent.stats;
    pusher_free(agent.pusher);
    scraper_free(agent.scraper);
    sources_free(agent.sources);
    selfmetrics_close(agent.metrics);
    spool_close(agent.spool);
    lf_free(agent.states);
    if (agent.has_reloaded)
        targets_release(&agent.reloaded);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return rc;
}
