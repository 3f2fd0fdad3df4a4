/* sources.c - reads the discovery sources when they are due and merges their targets
 * with the static ones. file_sd: the patterns are globbed again, every matched file read
 * and parsed (YAML for .yml/.yaml, JSON otherwise); inotify on the patterns' directories
 * makes a change seen at once (a ConfigMap's symlink swap included), the refresh interval
 * catches what inotify cannot see (NFS, a directory created later). http_sd and
 * Kubernetes are polled over libcurl. A failed read keeps the source's last good targets
 * and is logged when its message changes, not at every poll. Nothing here scrapes or
 * spools: the agent compares the merged list with what it runs. */
#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "discovery.h"
#include "file.h"
#include "log.h"
#include "scrape.h"
#include "utf8.h"

#define TOKEN_MAX_BYTES    (64 * 1024)
#define CHANGES_LOGGED_MAX 20 /* targets added or removed named one by one, then counted */

struct file_entry {
    char *path;
    size_t pattern; /* the first pattern that matched it */
    struct discovery_list list;
    char problem[256]; /* the last failure logged; "" while it reads */
    bool matched;
};

/* A polled source: an http_sd URL, or the Kubernetes API server. */
struct polled {
    char url[TARGETS_TEXT_MAX + 512];
    int64_t refresh_ms;
    int64_t due_ms;
    struct discovery_list list;
    char problem[256];
};

struct sources {
    struct target *statics;
    size_t n_static;
    struct target defaults;
    struct targets_file_sd *patterns;
    size_t n_patterns;
    int64_t *pattern_due;
    struct file_entry *files;
    size_t n_files;
    struct polled *http;
    size_t n_http;
    bool kube_enabled;
    struct polled kube;
    char kube_token_file[TARGETS_TEXT_MAX];
    char kube_skipped[256]; /* the last skipped-pods line logged */
    char duplicate[512];    /* the first duplicate of the last merge, logged when it changes */
    struct scraper *http_scraper;
    struct scraper *kube_scraper;
    int inotify_fd;
    struct target *merged;
    size_t n_merged;
    bool merged_once;
    struct sources_counts counts;
};

/* ---- set-up ----------------------------------------------------------------------------- */

/* Watches the directory of pattern (its part before the last '/'); best effort. */
static void watch_dir(struct sources *s, const char *pattern)
{
    if (s->inotify_fd < 0)
        return;
    char dir[TARGETS_TEXT_MAX];
    const char *slash = strrchr(pattern, '/');
    size_t len = slash == NULL ? 1 : slash == pattern ? 1 : (size_t)(slash - pattern);
    memcpy(dir, slash == NULL ? "." : pattern, len);
    dir[len] = '\0';
    if (strpbrk(dir, "*?[") != NULL) {
        log_info("file_sd '%s': a glob in a directory is not watched; read every refresh_interval",
                 pattern);
        return;
    }
    if (inotify_add_watch(s->inotify_fd, dir,
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                  IN_DELETE_SELF | IN_MOVE_SELF) < 0)
        log_info("file_sd '%s': cannot watch '%s' (%s); read every refresh_interval", pattern, dir,
                 strerror(errno));
}

struct sources *sources_create(const struct targets_config *cfg, struct lf_error *err)
{
    struct sources *s = lf_calloc(1, sizeof(*s));
    if (s == NULL) {
        lf_fail(err, LF_ENOMEM, "out of memory");
        return NULL;
    }
    s->inotify_fd = -1;
    s->defaults = cfg->defaults;
    s->n_static = cfg->n_targets;
    s->n_patterns = cfg->n_file_sd;
    s->n_http = cfg->n_http_sd;
    s->statics = lf_calloc(cfg->n_targets + 1, sizeof(*s->statics));
    s->patterns = lf_calloc(cfg->n_file_sd + 1, sizeof(*s->patterns));
    s->pattern_due = lf_calloc(cfg->n_file_sd + 1, sizeof(*s->pattern_due));
    s->http = lf_calloc(cfg->n_http_sd + 1, sizeof(*s->http));
    if (s->statics == NULL || s->patterns == NULL || s->pattern_due == NULL || s->http == NULL)
        goto oom;
    if (cfg->n_targets > 0)
        memcpy(s->statics, cfg->targets, cfg->n_targets * sizeof(*s->statics));
    if (cfg->n_file_sd > 0)
        memcpy(s->patterns, cfg->file_sd, cfg->n_file_sd * sizeof(*s->patterns));
    for (size_t i = 0; i < cfg->n_http_sd; i++) {
        snprintf(s->http[i].url, sizeof(s->http[i].url), "%s", cfg->http_sd[i].url);
        s->http[i].refresh_ms = cfg->http_sd[i].refresh_ms;
        s->http[i].due_ms = INT64_MIN;
    }
    for (size_t i = 0; i < cfg->n_file_sd; i++)
        s->pattern_due[i] = INT64_MIN;
    if (cfg->n_file_sd > 0) {
        s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (s->inotify_fd < 0)
            log_info("file_sd: inotify unavailable (%s); files read every refresh_interval",
                     strerror(errno));
        for (size_t i = 0; i < cfg->n_file_sd; i++)
            watch_dir(s, cfg->file_sd[i].pattern);
    }
    if (cfg->n_http_sd > 0) {
        s->http_scraper = scraper_create((long)cfg->connect_timeout_ms, (long)cfg->timeout_ms,
                                         DISCOVERY_MAX_BYTES, cfg->ca_file, err);
        if (s->http_scraper == NULL)
            goto fail;
    }
    const struct targets_kubernetes *k = &cfg->kubernetes;
    if (k->enabled) {
        s->kube_enabled = true;
        s->kube.refresh_ms = k->refresh_ms;
        s->kube.due_ms = INT64_MIN;
        snprintf(s->kube_token_file, sizeof(s->kube_token_file), "%s", k->token_file);
        /* the node's pods only: ?fieldSelector=spec.nodeName=NODE, the node escaped */
        size_t len = strlen(k->api_server);
        while (len > 0 && k->api_server[len - 1] == '/')
            len--;
        int n = snprintf(s->kube.url, sizeof(s->kube.url),
                         "%.*s/api/v1/pods?fieldSelector=spec.nodeName%%3D", (int)len,
                         k->api_server);
        size_t at = (size_t)n;
        for (const unsigned char *p = (const unsigned char *)k->node; *p != '\0'; p++) {
            bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                         (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_';
            if (at + 4 >= sizeof(s->kube.url)) {
                lf_fail(err, LF_EINVAL, "kubernetes: node name too long");
                goto fail;
            }
            at += (size_t)snprintf(s->kube.url + at, sizeof(s->kube.url) - at,
                                   plain ? "%c" : "%%%02X", *p);
        }
        s->kube_scraper = scraper_create((long)cfg->connect_timeout_ms, (long)cfg->timeout_ms,
                                         DISCOVERY_MAX_BYTES, k->ca_file, err);
        if (s->kube_scraper == NULL)
            goto fail;
    }
    return s;
oom:
    lf_fail(err, LF_ENOMEM, "out of memory");
fail:
    sources_free(s);
    return NULL;
}

void sources_free(struct sources *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_files; i++) {
        lf_free(s->files[i].path);
        discovery_list_release(&s->files[i].list);
    }
    for (size_t i = 0; i < s->n_http && s->http != NULL; i++)
        discovery_list_release(&s->http[i].list);
    discovery_list_release(&s->kube.list);
    if (s->inotify_fd >= 0)
        close(s->inotify_fd);
    scraper_free(s->http_scraper);
    scraper_free(s->kube_scraper);
    lf_free(s->files);
    lf_free(s->http);
    lf_free(s->statics);
    lf_free(s->patterns);
    lf_free(s->pattern_due);
    lf_free(s->merged);
    lf_free(s);
}

/* Appends copies of from's targets to to. */
static int copy_list(struct discovery_list *to, const struct discovery_list *from)
{
    for (size_t i = 0; i < from->n; i++)
        if (discovery_list_add(to, &from->targets[i], NULL) != LF_OK)
            return LF_ENOMEM;
    return LF_OK;
}

void sources_adopt(struct sources *s, const struct sources *old)
{
    for (size_t i = 0; i < old->n_files; i++) {
        const struct file_entry *f = &old->files[i];
        size_t p = 0;
        while (p < s->n_patterns &&
               strcmp(s->patterns[p].pattern, old->patterns[f->pattern].pattern) != 0)
            p++;
        if (p == s->n_patterns)
            continue;
        struct file_entry *grown = lf_realloc(s->files, (s->n_files + 1) * sizeof(*grown));
        if (grown == NULL)
            return;
        s->files = grown;
        struct file_entry *copy = &s->files[s->n_files];
        memset(copy, 0, sizeof(*copy));
        copy->pattern = p;
        copy->path = lf_strdup(f->path);
        memcpy(copy->problem, f->problem, sizeof(copy->problem));
        if (copy->path == NULL || copy_list(&copy->list, &f->list) != LF_OK) {
            lf_free(copy->path);
            discovery_list_release(&copy->list);
            return;
        }
        s->n_files++;
    }
    for (size_t i = 0; i < s->n_http; i++)
        for (size_t j = 0; j < old->n_http; j++)
            if (strcmp(s->http[i].url, old->http[j].url) == 0 && s->http[i].list.n == 0) {
                copy_list(&s->http[i].list, &old->http[j].list);
                memcpy(s->http[i].problem, old->http[j].problem, sizeof(s->http[i].problem));
            }
    if (s->kube_enabled && old->kube_enabled && strcmp(s->kube.url, old->kube.url) == 0) {
        copy_list(&s->kube.list, &old->kube.list);
        memcpy(s->kube.problem, old->kube.problem, sizeof(s->kube.problem));
        memcpy(s->kube_skipped, old->kube_skipped, sizeof(s->kube_skipped));
    }
    /* the running list, so that the first merge logs changes, not every target again */
    s->merged = lf_calloc(old->n_merged + 1, sizeof(*s->merged));
    if (s->merged != NULL) {
        if (old->n_merged > 0)
            memcpy(s->merged, old->merged, old->n_merged * sizeof(*s->merged));
        s->n_merged = old->n_merged;
        s->merged_once = false; /* merged at the first refresh all the same */
    }
    memcpy(s->duplicate, old->duplicate, sizeof(s->duplicate));
}

/* ---- reading ---------------------------------------------------------------------------- */

/* Logs a source's failure when it differs from the last one, or its recovery. */
static void note(struct sources *s, char problem[256], const char *what, int rc,
                 const struct lf_error *err, size_t kept)
{
    if (rc == LF_OK) {
        if (problem[0] != '\0')
            log_info("%s read again", what);
        problem[0] = '\0';
        return;
    }
    s->counts.errors++;
    /* parse errors name the source already */
    bool named = strncmp(err->msg, what, strlen(what)) == 0;
    if (strcmp(problem, err->msg) != 0)
        log_warn("%s%s%s (its %zu target%s kept)", named ? "" : what, named ? "" : ": ", err->msg,
                 kept, kept == 1 ? "" : "s");
    else
        log_debug("%s failed again: %s", what, err->msg);
    utf8_snprintf(problem, 256, "%s", err->msg);
}

static bool is_yaml(const char *path)
{
    size_t len = strlen(path);
    return (len > 4 && strcmp(path + len - 4, ".yml") == 0) ||
           (len > 5 && strcmp(path + len - 5, ".yaml") == 0);
}

/* Ends a read of source whose fetch gave rc and (body, len), taken: its groups replace *list
 * when the fetch and every group are good, else *list is kept; noted in problem. */
static void take_groups(struct sources *s, char problem[256], const char *source, int rc,
                        char *body, size_t len, bool yaml, struct discovery_list *list,
                        struct lf_error *err)
{
    struct discovery_list parsed = { 0 };
    if (rc == LF_OK)
        rc = discovery_parse_groups(body, len, yaml, &s->defaults, source, &parsed, err);
    lf_free(body);
    if (rc == LF_OK) {
        discovery_list_release(list);
        *list = parsed;
    } else {
        discovery_list_release(&parsed);
    }
    note(s, problem, source, rc, err, list->n);
}

static struct file_entry *find_file(struct sources *s, const char *path)
{
    for (size_t i = 0; i < s->n_files; i++)
        if (strcmp(s->files[i].path, path) == 0)
            return &s->files[i];
    return NULL;
}

static void read_one_file(struct sources *s, struct file_entry *f)
{
    char *buf = NULL;
    size_t len = 0;
    struct lf_error err = { 0 };
    char source[TARGETS_TEXT_MAX + 16];
    utf8_snprintf(source, sizeof(source), "file_sd '%s'", f->path);
    int rc = file_load(f->path, DISCOVERY_MAX_BYTES, &buf, &len, &err);
    take_groups(s, f->problem, source, rc, buf, len, is_yaml(f->path), &f->list, &err);
}

static void refresh_pattern(struct sources *s, size_t p)
{
    const char *pattern = s->patterns[p].pattern;
    glob_t g;
    memset(&g, 0, sizeof(g));
    int grc = glob(pattern, GLOB_ERR, NULL, &g);
    if (grc != 0 && grc != GLOB_NOMATCH) {
        log_warn("file_sd '%s': cannot list its directory (%s); its targets kept", pattern,
                 grc == GLOB_NOSPACE ? "out of memory" : "read error");
        s->counts.errors++;
        globfree(&g);
        return;
    }
    for (size_t i = 0; i < s->n_files; i++)
        if (s->files[i].pattern == p)
            s->files[i].matched = false;
    for (size_t m = 0; grc == 0 && m < g.gl_pathc; m++) {
        const char *path = g.gl_pathv[m];
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        struct file_entry *f = find_file(s, path);
        if (f != NULL && f->pattern != p)
            continue; /* an earlier pattern reads it */
        if (f == NULL) {
            struct file_entry *grown = lf_realloc(s->files, (s->n_files + 1) * sizeof(*grown));
            char *copy = lf_strdup(path);
            if (grown != NULL)
                s->files = grown;
            if (grown == NULL || copy == NULL) {
                lf_free(copy);
                log_error("file_sd '%s': out of memory", pattern);
                break;
            }
            f = &s->files[s->n_files++];
            memset(f, 0, sizeof(*f));
            f->path = copy;
            f->pattern = p;
        }
        f->matched = true;
        read_one_file(s, f);
    }
    globfree(&g);
    /* files of this pattern that are gone take their targets with them */
    size_t kept = 0;
    for (size_t i = 0; i < s->n_files; i++) {
        struct file_entry *f = &s->files[i];
        if (f->pattern == p && !f->matched) {
            log_info("file_sd '%s': gone or no longer matched, its %zu target%s removed", f->path,
                     f->list.n, f->list.n == 1 ? "" : "s");
            lf_free(f->path);
            discovery_list_release(&f->list);
            continue;
        }
        s->files[kept++] = *f;
    }
    s->n_files = kept;
}

static void refresh_http(struct sources *s, struct polled *h)
{
    char *body = NULL;
    size_t len = 0;
    struct lf_error err = { 0 };
    char source[TARGETS_TEXT_MAX + 16];
    utf8_snprintf(source, sizeof(source), "http_sd '%s'", h->url);
    int rc = scraper_get_json(s->http_scraper, h->url, NULL, &body, &len, &err);
    take_groups(s, h->problem, source, rc, body, len, false, &h->list, &err);
}

/* The service account's token, re-read at every poll (projected tokens rotate). */
static int read_token(const char *path, char **out, struct lf_error *err)
{
    size_t len = 0;
    int rc = file_load(path, TOKEN_MAX_BYTES, out, &len, err);
    if (rc != LF_OK) {
        lf_error_prefix(err, "token '%s'", path);
        return rc;
    }
    while (len > 0 &&
           ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r' || (*out)[len - 1] == ' '))
        (*out)[--len] = '\0';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)(*out)[i];
        if (c < 0x21 || c == 0x7f) {
            memset(*out, 0, len);
            lf_free(*out);
            *out = NULL;
            return lf_fail(err, LF_EINVAL, "token '%s': not one line of text", path);
        }
    }
    if (len == 0) {
        lf_free(*out);
        *out = NULL;
        return lf_fail(err, LF_EINVAL, "token '%s': empty", path);
    }
    return LF_OK;
}

static void refresh_kube(struct sources *s)
{
    char *token = NULL, *body = NULL;
    size_t len = 0;
    struct lf_error err = { 0 };
    struct discovery_list list = { 0 };
    struct discovery_skips skips = { 0 };
    int rc = read_token(s->kube_token_file, &token, &err);
    if (rc == LF_OK) {
        rc = scraper_get_json(s->kube_scraper, s->kube.url, token, &body, &len, &err);
        if (rc != LF_OK && (strstr(err.msg, "HTTP 403") != NULL || strstr(err.msg, "HTTP 401"))) {
            char msg[sizeof(err.msg)];
            memcpy(msg, err.msg, sizeof(msg));
            lf_fail(&err, rc,
                    "%s (the agent's service account needs list on pods: "
                    "see deploy/kubernetes/agent.yaml)",
                    msg);
        }
        memset(token, 0, strlen(token));
        lf_free(token);
    }
    if (rc == LF_OK)
        rc = discovery_parse_pods(body, len, &s->defaults, &list, &skips, &err);
    lf_free(body);
    if (rc == LF_OK) {
        discovery_list_release(&s->kube.list);
        s->kube.list = list;
        char line[256] = "";
        if (skips.n > 0)
            utf8_snprintf(line, sizeof(line), "%zu annotated pod%s left out; %s", skips.n,
                          skips.n == 1 ? "" : "s", skips.first);
        if (strcmp(line, s->kube_skipped) != 0 && line[0] != '\0')
            log_warn("kubernetes: %s", line);
        memcpy(s->kube_skipped, line, sizeof(line));
    } else {
        discovery_list_release(&list);
    }
    note(s, s->kube.problem, "kubernetes", rc, &err, s->kube.list.n);
}

/* ---- merging ------------------------------------------------------------------------------ */

static bool contains(const struct target *list, size_t n, const struct target *t)
{
    for (size_t i = 0; i < n; i++)
        if (targets_equal(&list[i], t))
            return true;
    return false;
}

/* Appends the targets of one source to merged, leaving out the (service, instance) pairs
 * already in it; counts what it kept into *kept. */
static void merge_in(struct sources *s, struct target *merged, size_t *n, const struct target *from,
                     size_t n_from, size_t *kept)
{
    for (size_t i = 0; i < n_from; i++) {
        const struct target *t = &from[i];
        const struct target *taken = NULL;
        for (size_t j = 0; j < *n && taken == NULL; j++)
            if (strcmp(merged[j].service, t->service) == 0 &&
                strcmp(merged[j].instance, t->instance) == 0)
                taken = &merged[j];
        if (taken != NULL) {
            if (s->counts.duplicates++ == 0)
                utf8_snprintf(s->duplicate, sizeof(s->duplicate),
                              "'%s' instance '%s' from %s is already scraped from %s: left out "
                              "(one target per service and instance)",
                              t->service, t->instance, t->source, taken->source);
            continue;
        }
        if (*n >= TARGETS_MAX) {
            s->counts.duplicates++;
            if (*n == TARGETS_MAX)
                log_error("more than %d targets: %s left out", TARGETS_MAX, t->source);
            continue;
        }
        merged[(*n)++] = *t;
        (*kept)++;
    }
}

static void log_changes(const struct target *old, size_t n_old, const struct target *now,
                        size_t n_now)
{
    size_t added = 0, removed = 0;
    for (size_t i = 0; i < n_now; i++) {
        if (contains(old, n_old, &now[i]))
            continue;
        if (added++ < CHANGES_LOGGED_MAX)
            log_info("target added: '%s' instance '%s' at %s (%s)", now[i].service, now[i].instance,
                     now[i].url, now[i].source);
    }
    for (size_t i = 0; i < n_old; i++) {
        if (contains(now, n_now, &old[i]))
            continue;
        if (removed++ < CHANGES_LOGGED_MAX)
            log_info("target removed: '%s' instance '%s' at %s (%s); its spooled profiles are "
                     "still pushed",
                     old[i].service, old[i].instance, old[i].url, old[i].source);
    }
    log_info("targets: %zu (%zu added, %zu removed)", n_now, added, removed);
}

bool sources_refresh(struct sources *s, int64_t now_ms)
{
    bool read = !s->merged_once;
    for (size_t p = 0; p < s->n_patterns; p++) {
        if (now_ms < s->pattern_due[p])
            continue;
        refresh_pattern(s, p);
        s->pattern_due[p] = now_ms + s->patterns[p].refresh_ms;
        read = true;
    }
    for (size_t i = 0; i < s->n_http; i++) {
        if (now_ms < s->http[i].due_ms)
            continue;
        refresh_http(s, &s->http[i]);
        s->http[i].due_ms = now_ms + s->http[i].refresh_ms;
        read = true;
    }
    if (s->kube_enabled && now_ms >= s->kube.due_ms) {
        refresh_kube(s);
        s->kube.due_ms = now_ms + s->kube.refresh_ms;
        read = true;
    }
    if (!read)
        return false;

    size_t total = s->n_static + s->kube.list.n;
    for (size_t i = 0; i < s->n_files; i++)
        total += s->files[i].list.n;
    for (size_t i = 0; i < s->n_http; i++)
        total += s->http[i].list.n;
    struct target *merged = lf_calloc(total + 1, sizeof(*merged));
    if (merged == NULL) {
        log_error("targets: out of memory merging %zu targets; the running ones kept", total);
        return false;
    }
    size_t n = 0;
    struct sources_counts c = { .errors = s->counts.errors };
    char last_duplicate[sizeof(s->duplicate)];
    memcpy(last_duplicate, s->duplicate, sizeof(last_duplicate));
    s->duplicate[0] = '\0';
    s->counts.duplicates = 0;
    merge_in(s, merged, &n, s->statics, s->n_static, &c.static_targets);
    for (size_t p = 0; p < s->n_patterns; p++) /* pattern order, then the file's glob order */
        for (size_t i = 0; i < s->n_files; i++)
            if (s->files[i].pattern == p)
                merge_in(s, merged, &n, s->files[i].list.targets, s->files[i].list.n, &c.file_sd);
    for (size_t i = 0; i < s->n_http; i++)
        merge_in(s, merged, &n, s->http[i].list.targets, s->http[i].list.n, &c.http_sd);
    merge_in(s, merged, &n, s->kube.list.targets, s->kube.list.n, &c.kubernetes);
    c.duplicates = s->counts.duplicates;
    s->counts = c;
    if (c.duplicates > 0 && strcmp(s->duplicate, last_duplicate) != 0)
        log_warn("%s (%zu left out in all)", s->duplicate, c.duplicates);

    bool changed = !s->merged_once || n != s->n_merged;
    for (size_t i = 0; !changed && i < n; i++)
        changed = !targets_equal(&merged[i], &s->merged[i]);
    if (!changed) {
        lf_free(merged);
        return false;
    }
    if (s->n_merged > 0 || s->n_patterns + s->n_http > 0 || s->kube_enabled)
        log_changes(s->merged, s->n_merged, merged, n);
    lf_free(s->merged);
    s->merged = merged;
    s->n_merged = n;
    s->merged_once = true;
    return true;
}

int64_t sources_next_ms(const struct sources *s)
{
    int64_t next = INT64_MAX;
    for (size_t p = 0; p < s->n_patterns; p++)
        if (s->pattern_due[p] < next)
            next = s->pattern_due[p];
    for (size_t i = 0; i < s->n_http; i++)
        if (s->http[i].due_ms < next)
            next = s->http[i].due_ms;
    if (s->kube_enabled && s->kube.due_ms < next)
        next = s->kube.due_ms;
    return next;
}

int sources_watch_fd(const struct sources *s)
{
    return s->inotify_fd;
}

void sources_notice(struct sources *s, int64_t now_ms)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (s->inotify_fd >= 0 && read(s->inotify_fd, buf, sizeof(buf)) > 0) {
    }
    for (size_t p = 0; p < s->n_patterns; p++)
        s->pattern_due[p] = now_ms;
}

const struct target *sources_targets(const struct sources *s, size_t *n)
{
    *n = s->n_merged;
    return s->merged;
}

void sources_counts(const struct sources *s, struct sources_counts *out)
{
    *out = s->counts;
}
