/* test_attribute.c - unit tests of attribute: in-repo roots by file and by module path,
 * with and without -trimpath, closures, methods, generics, vendored and module-cache
 * paths, owners from CODEOWNERS, every frame of a real debug=2 dump, and every frame of
 * dumps taken live from the team's Go fixture service (tests/goleaky), both builds. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "attribute.h"
#include "check_main.h"
#include "codeowners.h"

static const char owners_text[] = "* @acme/core\n"
                                  "/pkg/queue/ @acme/queue\n"
                                  "/svc/checkout/ @acme/payments\n"
                                  "/tools/\n"
                                  "*.pb.go @acme/proto\n";

static const char *const roots[] = { "github.com/acme/monorepo/", "/build/monorepo/" };

struct site_case {
    const char *function;
    const char *file;
    bool in_repo;
    const char *path;
    const char *owner; /* NULL: none */
    bool unowned;
};

static const struct site_case site_cases[] = {
    /* main.* carries no module path: the file decides */
    { "main.ncast.func1", "/build/monorepo/svc/leaky/main.go", true, "svc/leaky/main.go",
      "@acme/core", false },
    /* -trimpath: the file starts with the module path */
    { "main.main", "github.com/acme/monorepo/svc/checkout/main.go", true, "svc/checkout/main.go",
      "@acme/payments", false },
    { "github.com/acme/monorepo/svc/checkout.(*Server).handle.func2.1",
      "github.com/acme/monorepo/svc/checkout/server.go", true, "svc/checkout/server.go",
      "@acme/payments", false },
    /* a method built from the module cache: package dir + base name */
    { "github.com/acme/monorepo/pkg/queue.(*Q).Push",
      "/home/x/go/pkg/mod/github.com/acme/monorepo@v1.4.0/pkg/queue/queue.go", true,
      "pkg/queue/queue.go", "@acme/queue", false },
    { "github.com/acme/monorepo/pkg/queue.(*Q).Push", "github.com/acme/monorepo/pkg/queue/queue.go",
      true, "pkg/queue/queue.go", "@acme/queue", false },
    /* -trimpath of a dependency on the module: module@version is not the root */
    { "github.com/acme/monorepo/pkg/queue.(*Q).Pop",
      "github.com/acme/monorepo@v1.4.0/pkg/queue/queue.go", true, "pkg/queue/queue.go",
      "@acme/queue", false },
    /* generics: type arguments may hold slashes */
    { "github.com/acme/monorepo/pkg/pool.Get[...]", "/build/monorepo/pkg/pool/pool.go", true,
      "pkg/pool/pool.go", "@acme/core", false },
    { "github.com/acme/monorepo/pkg/pool.(*Pool[go.shape.*github.com/acme/other/x.T]).Get",
      "/go/pkg/mod/github.com/acme/monorepo@v1.0.0/pkg/pool/pool.go", true, "pkg/pool/pool.go",
      "@acme/core", false },
    /* the module's root package */
    { "github.com/acme/monorepo.Version", "/go/pkg/mod/github.com/acme/monorepo@v1.0.0/version.go",
      true, "version.go", "@acme/core", false },
    /* the linker writes '.' in the last import path element as %2e */
    { "github.com/acme/monorepo/pkg/yaml%2ev3.Unmarshal", "/go/pkg/mod/x/decode.go", true,
      "pkg/yaml.v3/decode.go", "@acme/core", false },
    /* last match wins: generated code */
    { "github.com/acme/monorepo/pkg/queue.(*Msg).Reset", "/build/monorepo/pkg/queue/queue.pb.go",
      true, "pkg/queue/queue.pb.go", "@acme/proto", false },
    /* a CODEOWNERS line without owners: in-repo, explicitly unowned */
    { "main.main", "/build/monorepo/tools/gen/main.go", true, "tools/gen/main.go", NULL, true },
    /* vendored third-party code inside the checkout is not ours */
    { "github.com/gorilla/websocket.(*Conn).ReadMessage",
      "/build/monorepo/vendor/github.com/gorilla/websocket/conn.go", false, "", NULL, false },
    { "github.com/gorilla/websocket.(*Conn).ReadMessage",
      "github.com/acme/monorepo/vendor/github.com/gorilla/websocket/conn.go", false, "", NULL,
      false },
    /* standard library and the module cache of others */
    { "runtime.gopark", "/usr/lib/go-1.19/src/runtime/proc.go", false, "", NULL, false },
    { "net/http.(*conn).serve", "/usr/local/go/src/net/http/server.go", false, "", NULL, false },
    { "sync.(*WaitGroup).Wait", "sync/waitgroup.go", false, "", NULL, false },
    { "github.com/lib/pq.(*conn).recv", "/root/go/pkg/mod/github.com/lib/pq@v1.10.9/conn.go", false,
      "", NULL, false },
    /* a sibling module whose name starts like the root */
    { "github.com/acme/monorepo-tools/x.Run", "github.com/acme/monorepo-tools/x/run.go", false, "",
      NULL, false },
    /* main.* outside the roots */
    { "main.main", "/home/dev/other/main.go", false, "", NULL, false },
};

START_TEST(test_site_table)
{
    struct codeowners *co = codeowners_parse(owners_text, sizeof(owners_text) - 1, NULL);
    ck_assert_ptr_nonnull(co);
    struct attributor *attr = attributor_create(roots, 2, co);
    ck_assert_ptr_nonnull(attr);
    for (size_t i = 0; i < sizeof(site_cases) / sizeof(site_cases[0]); i++) {
        const struct site_case *c = &site_cases[i];
        struct attribution out;
        attribute_site(attr, str_from_cstr(c->function), str_from_cstr(c->file), &out);
        ck_assert_msg(out.in_repo == c->in_repo, "%s %s: in_repo", c->function, c->file);
        ck_assert_msg(strcmp(out.path, c->path) == 0, "%s %s: path '%s', expected '%s'",
                      c->function, c->file, out.path, c->path);
        if (c->owner == NULL)
            ck_assert_msg(out.owner == NULL, "%s: owner '%s'", c->file, out.owner);
        else
            ck_assert_msg(out.owner != NULL && strcmp(out.owner, c->owner) == 0,
                          "%s: owner '%s', expected '%s'", c->file,
                          out.owner == NULL ? "(null)" : out.owner, c->owner);
        ck_assert_msg(out.explicitly_unowned == c->unowned, "%s: unowned", c->file);
        ck_assert_uint_eq(out.n_owners, c->owner == NULL ? 0 : 1);
    }
    attributor_free(attr);
    codeowners_free(co);
}
END_TEST

START_TEST(test_roots_and_no_owners)
{
    /* a root without its slash gets one; empty and NULL roots are ignored */
    const char *const some[] = { "github.com/acme/monorepo", "", NULL, "/srv/build/shop" };
    struct attributor *attr = attributor_create(some, 4, NULL);
    ck_assert_ptr_nonnull(attr);
    ck_assert_uint_eq(attributor_n_roots(attr), 2);
    ck_assert_str_eq(attributor_root_at(attr, 0), "github.com/acme/monorepo/");
    ck_assert_str_eq(attributor_root_at(attr, 1), "/srv/build/shop/");
    ck_assert_ptr_null(attributor_root_at(attr, 2));
    struct attribution out;
    attribute_site(attr, STR_LIT("main.nilSend"), STR_LIT("/srv/build/shop/main.go"), &out);
    ck_assert(out.in_repo);
    ck_assert_str_eq(out.path, "main.go");
    ck_assert_ptr_null(out.owner);
    ck_assert(!out.explicitly_unowned);
    ck_assert_uint_eq(out.rule_line, 0);
    attribute_site(attr, STR_LIT("github.com/acme/monorepo-x/a.F"), STR_LIT("/x/a.go"), &out);
    ck_assert(!out.in_repo);
    /* a function under the root with no file: the package directory */
    attribute_site(attr, STR_LIT("github.com/acme/monorepo/pkg/a.F"), STR_NULL, &out);
    ck_assert(out.in_repo);
    ck_assert_str_eq(out.path, "pkg/a");
    attributor_free(attr);

    /* no roots: nothing is in-repo */
    attr = attributor_create(NULL, 0, NULL);
    ck_assert_ptr_nonnull(attr);
    attribute_site(attr, STR_LIT("main.main"), STR_LIT("/srv/build/shop/main.go"), &out);
    ck_assert(!out.in_repo);
    ck_assert_str_eq(out.path, "");
    attributor_free(attr);
    attribute_site(NULL, STR_LIT("main.main"), STR_LIT("/a.go"), &out);
    ck_assert(!out.in_repo);
    attributor_free(NULL);

    /* nested roots: the repository root (the shortest) gives the path */
    const char *const nested[] = { "/build/monorepo/svc/", "/build/monorepo/" };
    attr = attributor_create(nested, 2, NULL);
    attribute_site(attr, STR_LIT("main.main"), STR_LIT("/build/monorepo/svc/a/main.go"), &out);
    ck_assert_str_eq(out.path, "svc/a/main.go");
    attributor_free(attr);
}
END_TEST

START_TEST(test_long_path)
{
    const char *const one[] = { "/b/" };
    struct codeowners *co = codeowners_parse("* @all\n", 7, NULL);
    struct attributor *attr = attributor_create(one, 1, co);
    char file[ATTRIBUTE_PATH_MAX + 64];
    memcpy(file, "/b/", 3);
    memset(file + 3, 'x', sizeof(file) - 4);
    file[sizeof(file) - 1] = '\0';
    struct attribution out;
    attribute_site(attr, STR_LIT("main.f"), str_from_cstr(file), &out);
    ck_assert(out.in_repo);
    ck_assert_str_eq(out.path, "");
    ck_assert_ptr_null(out.owner);
    /* exactly the largest path that fits */
    file[3 + ATTRIBUTE_PATH_MAX - 1] = '\0';
    attribute_site(attr, STR_LIT("main.f"), str_from_cstr(file), &out);
    ck_assert_uint_eq(strlen(out.path), ATTRIBUTE_PATH_MAX - 1);
    ck_assert_str_eq(out.owner, "@all");
    attributor_free(attr);
    codeowners_free(co);
}
END_TEST

/* Calls fn for every frame of a debug=2 text: a function line ("created by " and the
 * arguments dropped), then a tab and "file:line +0x..". */
typedef void (*frame_fn)(void *ctx, const char *function, struct str file);

static void walk_frames(const char *text, size_t len, frame_fn fn, void *ctx)
{
    char function[4096] = "";
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl == NULL ? len : (size_t)(nl - text);
        const char *line = text + i;
        size_t line_len = end - i;
        i = end + 1;
        if (line_len > 0 && line_len < sizeof(function) && line[0] != '\t') {
            const char *fn_start = line;
            size_t fn_len = line_len;
            if (fn_len > 11 && memcmp(line, "created by ", 11) == 0) {
                fn_start += 11;
                fn_len -= 11;
                const char *in = memchr(fn_start, ' ', fn_len); /* " in goroutine N" */
                if (in != NULL)
                    fn_len = (size_t)(in - fn_start);
            }
            if (fn_len > 0 && fn_start[fn_len - 1] == ')') {
                size_t open = fn_len;
                while (open > 0 && fn_start[open - 1] != '(')
                    open--;
                if (open > 0)
                    fn_len = open - 1;
            }
            memcpy(function, fn_start, fn_len);
            function[fn_len] = '\0';
            continue;
        }
        if (line_len < 2 || line[0] != '\t')
            continue;
        size_t file_len = 0;
        while (1 + file_len < line_len && line[1 + file_len] != ' ')
            file_len++;
        const char *colon = NULL;
        for (size_t k = 0; k < file_len; k++) {
            if (line[1 + k] == ':')
                colon = line + 1 + k;
        }
        if (colon != NULL)
            file_len = (size_t)(colon - (line + 1));
        fn(ctx, function, str_make(line + 1, file_len));
    }
}

struct shop_tally {
    const struct attributor *attr;
    size_t frames, in_repo, shop, queue, by_function, bad_paths;
};

static void tally_shop(void *ctx, const char *function, struct str file)
{
    struct shop_tally *t = ctx;
    struct attribution out;
    attribute_site(t->attr, str_from_cstr(function), file, &out);
    t->frames++;
    t->in_repo += out.in_repo;
    t->shop += out.owner != NULL && strcmp(out.owner, "@acme/shop") == 0;
    t->queue += out.owner != NULL && strcmp(out.owner, "@acme/queue") == 0;
    t->by_function += strncmp(function, "github.com/acme/shop/", 21) == 0;
    t->bad_paths += out.in_repo && strcmp(out.path, "main.go") != 0 &&
                    strcmp(out.path, "internal/queue/queue.go") != 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20;
    char *buf = lf_malloc(cap);
    *len = 0;
    size_t n;
    while (buf != NULL && (n = fread(buf + *len, 1, cap - *len, f)) > 0) {
        *len += n;
        if (*len == cap) {
            cap *= 2;
            char *bigger = lf_realloc(buf, cap);
            if (bigger == NULL)
                lf_free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    return buf;
}

/* Every frame of the real debug=2 fixture. */
START_TEST(test_fixture_frames)
{
    size_t len = 0;
    char *text = read_all(LF_FIXTURE("shop-n25.debug2.txt"), &len);
    ck_assert_ptr_nonnull(text);
    static const char shop_owners[] = "* @acme/shop\n/internal/queue/ @acme/queue\n";
    struct codeowners *co = codeowners_parse(shop_owners, sizeof(shop_owners) - 1, NULL);
    const char *const shop_roots[] = { "/srv/build/shop/", "github.com/acme/shop/" };
    struct attributor *attr = attributor_create(shop_roots, 2, co);
    struct shop_tally t = { .attr = attr };
    walk_frames(text, len, tally_shop, &t);
    ck_assert_uint_eq(t.frames, 1881);
    ck_assert_uint_eq(t.in_repo, 1578); /* every /srv/build/shop/ frame, no /usr/lib/go one */
    ck_assert_uint_eq(t.queue, 50);     /* internal/queue: work and Submit, 25 each */
    ck_assert_uint_eq(t.shop, 1528);
    ck_assert_uint_eq(t.by_function, 50);
    ck_assert_uint_eq(t.bad_paths, 0);
    attributor_free(attr);
    codeowners_free(co);
    lf_free(text);
}
END_TEST

/* ---- live dumps from tests/goleaky ---------------------------------------------------- */

/* The site functions of tests/goleaky/README.md and their CODEOWNERS verdicts. */
static const struct {
    const char *function;
    const char *path;
    const char *owner; /* NULL: explicitly unowned */
} leaky_sites[] = {
    { "github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1", "internal/ncast/ncast.go",
      "@acme/messaging" },
    { "github.com/acme/leaky/internal/worker.(*job).await", "internal/worker/worker.go",
      "@acme/workers" },
    { "github.com/acme/leaky/internal/worker.waitReply", "internal/worker/worker.go",
      "@acme/workers" },
    { "main.nilSend", "cmd/leaky/main.go", "@acme/cli" },
    { "main.nilRecv", "cmd/leaky/main.go", "@acme/cli" },
    { "main.forever", "cmd/leaky/main.go", "@acme/cli" },
    { "github.com/acme/leaky/internal/cache.(*Cache).get", "internal/cache/cache.go",
      "@acme/storage" },
    { "github.com/acme/leaky/internal/cache.(*Cache).awaitFlush", "internal/cache/flush.go", NULL },
    { "github.com/acme/leaky/internal/gate.(*Gate).wait", "internal/gate/gate.go", "@acme/leaky" },
};
#define N_LEAKY_SITES (sizeof(leaky_sites) / sizeof(leaky_sites[0]))

struct leaky_tally {
    const struct attributor *attr;
    size_t frames, in_repo, runtime_in_repo, unowned_in_repo, wrong;
    size_t seen[N_LEAKY_SITES];
};

static void tally_leaky(void *ctx, const char *function, struct str file)
{
    struct leaky_tally *t = ctx;
    struct attribution out;
    attribute_site(t->attr, str_from_cstr(function), file, &out);
    t->frames++;
    t->in_repo += out.in_repo;
    bool ours = strncmp(function, "github.com/acme/leaky/", 22) == 0 ||
                strncmp(function, "main.", 5) == 0;
    t->runtime_in_repo += out.in_repo && !ours;
    t->wrong += ours && !out.in_repo;
    t->unowned_in_repo += out.in_repo && out.owner == NULL && !out.explicitly_unowned;
    for (size_t i = 0; i < N_LEAKY_SITES; i++) {
        if (strcmp(function, leaky_sites[i].function) != 0)
            continue;
        t->seen[i]++;
        bool ok = strcmp(out.path, leaky_sites[i].path) == 0 &&
                  (leaky_sites[i].owner == NULL
                           ? out.explicitly_unowned && out.owner == NULL
                           : out.owner != NULL && strcmp(out.owner, leaky_sites[i].owner) == 0);
        if (!ok)
            fprintf(stderr, "%s: path '%s' owner '%s'\n", function, out.path,
                    out.owner == NULL ? "(none)" : out.owner);
        t->wrong += !ok;
    }
}

struct body {
    char *p;
    size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct body *body = ctx;
    char *bigger = lf_realloc(body->p, body->len + size * n + 1);
    if (bigger == NULL)
        return 0;
    memcpy(bigger + body->len, p, size * n);
    body->len += size * n;
    bigger[body->len] = '\0';
    body->p = bigger;
    return size * n;
}

/* GETs url into *body (caller frees body->p with lf_free); returns the HTTP status or -1. */
static long http_get(const char *url, struct body *body)
{
    body->p = NULL;
    body->len = 0;
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return -1;
    long status = -1;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    return status;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Starts bin with 5 goroutines per leak kind, takes its debug=2 dump once ready, stops
 * it. Returns the dump (caller frees with lf_free) or NULL. */
static char *leaky_dump(const char *bin, size_t *len)
{
    char addr_file[] = "/tmp/lf_leaky_addr......";
    memset(addr_file + sizeof(addr_file) - 7, 'X', 6); /* the mkstemp template */
    int fd = mkstemp(addr_file);
    ck_assert_int_ge(fd, 0);
    close(fd);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        null = freopen("/dev/null", "w", stderr);
        (void)null;
        execl(bin, bin, "-listen", "127.0.0.1:0", "-addr-file", addr_file, "-start", "5",
              "-leak-rate", "0", (char *)NULL);
        _exit(127);
    }
    char addr[128] = "";
    for (int i = 0; i < 400 && addr[0] == '\0'; i++) {
        FILE *f = fopen(addr_file, "r");
        if (f != NULL) {
            if (fgets(addr, sizeof(addr), f) == NULL || strchr(addr, '\n') == NULL)
                addr[0] = '\0';
            fclose(f);
        }
        if (addr[0] == '\0')
            sleep_ms(25);
    }
    addr[strcspn(addr, "\n")] = '\0';
    char *dump = NULL;
    char url[256];
    struct body body = { NULL, 0 };
    long status = -1;
    snprintf(url, sizeof(url), "http://%s/ready", addr);
    for (int i = 0; addr[0] != '\0' && i < 200 && status != 200; i++) {
        status = http_get(url, &body);
        lf_free(body.p);
        if (status != 200)
            sleep_ms(50);
    }
    if (status == 200) {
        snprintf(url, sizeof(url), "http://%s/debug/pprof/goroutine?debug=2", addr);
        if (http_get(url, &body) == 200) {
            dump = body.p;
            *len = body.len;
        } else {
            lf_free(body.p);
        }
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(addr_file);
    return dump;
}

static void check_live(const char *bin, const char *root)
{
    /* tests/goleaky/build.sh builds nothing without a Go toolchain: a missing fixture is a
     * failure, as in the integration tests, so a run without Go cannot pass unnoticed */
    ck_assert_msg(access(bin, X_OK) == 0, "%s not built (make go-fixture; needs a Go toolchain)",
                  bin);
    size_t len = 0;
    char *dump = leaky_dump(bin, &len);
    ck_assert_msg(dump != NULL, "no debug=2 dump from %s", bin);
    size_t co_len = 0;
    char *co_text = read_all("tests/goleaky/CODEOWNERS", &co_len);
    ck_assert_ptr_nonnull(co_text);
    struct codeowners *co = codeowners_parse(co_text, co_len, NULL);
    ck_assert_uint_eq(codeowners_n_invalid(co), 0);
    const char *const leaky_roots[] = { root };
    struct attributor *attr = attributor_create(leaky_roots, 1, co);
    struct leaky_tally t = { .attr = attr };
    walk_frames(dump, len, tally_leaky, &t);
    ck_assert_uint_gt(t.frames, 100);
    ck_assert_uint_gt(t.in_repo, 45);
    ck_assert_uint_eq(t.runtime_in_repo, 0); /* standard library never in-repo */
    ck_assert_uint_eq(t.unowned_in_repo, 0); /* the `*` rule owns the rest */
    ck_assert_uint_eq(t.wrong, 0);
    /* -start 5: exactly five goroutines block at each kind's site (README) */
    for (size_t i = 0; i < N_LEAKY_SITES; i++)
        ck_assert_msg(t.seen[i] == 5, "%s: %zu frames", leaky_sites[i].function, t.seen[i]);
    attributor_free(attr);
    codeowners_free(co);
    lf_free(co_text);
    lf_free(dump);
}

START_TEST(test_live_trimpath)
{
    /* -trimpath: files are module paths, so the module root alone attributes main.* too */
    check_live("build/goleaky/leaky-trimpath", "github.com/acme/leaky/");
}
END_TEST

START_TEST(test_live_build_paths)
{
    /* absolute build paths: the checkout directory is the root */
    size_t len = 0;
    char *srcdir = read_all("build/goleaky/srcdir", &len);
    ck_assert_msg(srcdir != NULL, "build/goleaky/srcdir missing (make go-fixture)");
    while (len > 0 && srcdir[len - 1] == '\n')
        len--;
    srcdir[len] = '\0';
    check_live("build/goleaky/leaky", srcdir);
    lf_free(srcdir);
}
END_TEST

/* web.source_url: {path} and {line} substituted (every time), the path escaped as
 * encodeURI does; nothing unless the result is http(s) and fits. */
START_TEST(test_source_url)
{
    char url[ATTRIBUTE_URL_MAX];
    ck_assert(attribute_source_url("https://github.com/acme/m/blob/main/{path}#L{line}",
                                   "internal/ncast/ncast.go", 33, url, sizeof(url)));
    ck_assert_str_eq(url, "https://github.com/acme/m/blob/main/internal/ncast/ncast.go#L33");
    ck_assert(attribute_source_url("http://src/{path}?l={line}&p={path}", "a b/%x\xc3\xa9.go", 7,
                                   url, sizeof(url)));
    ck_assert_str_eq(url, "http://src/a%20b/%25x%C3%A9.go?l=7&p=a%20b/%25x%C3%A9.go");
    /* no template, no path, another scheme, too long: no link */
    ck_assert(!attribute_source_url(NULL, "main.go", 1, url, sizeof(url)));
    ck_assert(!attribute_source_url("https://src/{path}", "", 1, url, sizeof(url)));
    ck_assert(!attribute_source_url("https://src/{path}", NULL, 1, url, sizeof(url)));
    ck_assert(!attribute_source_url("javascript:alert({line})//{path}", "main.go", 1, url,
                                    sizeof(url)));
    ck_assert_str_eq(url, "");
    ck_assert(!attribute_source_url("https://src/{path}", "main.go", 1, url, 16));
    ck_assert_str_eq(url, "");
    ck_assert(!attribute_source_url("https://src/{path}", "main.go", 1, url, 19));
    ck_assert(attribute_source_url("https://src/{path}", "main.go", 1, url, 20));
    ck_assert_str_eq(url, "https://src/main.go");
}
END_TEST

START_TEST(test_allocation_failures)
{
    bool succeeded = false;
    for (long n = 0; n < 100 && !succeeded; n++) {
        lf_alloc_fail_after(n);
        struct attributor *attr = attributor_create(roots, 2, NULL);
        lf_alloc_fail_after(-1);
        if (attr == NULL)
            continue;
        ck_assert_uint_eq(attributor_n_roots(attr), 2);
        attributor_free(attr);
        succeeded = true;
    }
    ck_assert(succeeded);
}
END_TEST

static Suite *attribute_suite(void)
{
    Suite *s = suite_create("attribute");
    TCase *tc = tcase_create("sites");
    tcase_add_test(tc, test_site_table);
    tcase_add_test(tc, test_roots_and_no_owners);
    tcase_add_test(tc, test_long_path);
    tcase_add_test(tc, test_fixture_frames);
    tcase_add_test(tc, test_source_url);
    suite_add_tcase(s, tc);
    tc = tcase_create("live");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_live_trimpath);
    tcase_add_test(tc, test_live_build_paths);
    suite_add_tcase(s, tc);
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(attribute_suite)
