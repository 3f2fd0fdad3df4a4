/* test_attribute.c - unit tests of attribute: in-repo roots by file and by module path,
 * with and without -trimpath, closures, methods, generics, vendored and module-cache
 * paths, owners from CODEOWNERS, and every frame of a real debug=2 dump. */
#include <stdio.h>
#include <string.h>

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

/* Every frame of the real debug=2 dump: function line, then a tab and file:line. */
START_TEST(test_fixture_frames)
{
    FILE *f = fopen(LF_FIXTURE("shop-n25.debug2.txt"), "r");
    ck_assert_ptr_nonnull(f);
    static const char shop_owners[] = "* @acme/shop\n/internal/queue/ @acme/queue\n";
    struct codeowners *co = codeowners_parse(shop_owners, sizeof(shop_owners) - 1, NULL);
    const char *const shop_roots[] = { "/srv/build/shop/", "github.com/acme/shop/" };
    struct attributor *attr = attributor_create(shop_roots, 2, co);
    char line[4096], function[4096] = "";
    size_t frames = 0, in_repo = 0, shop = 0, queue = 0, by_function = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strcspn(line, "\n");
        line[len] = '\0';
        if (line[0] != '\t') {
            const char *fn = strncmp(line, "created by ", 11) == 0 ? line + 11 : line;
            size_t fn_len = strlen(fn);
            if (fn_len > 0 && fn[fn_len - 1] == ')')
                fn_len = (size_t)(strrchr(fn, '(') - fn);
            memcpy(function, fn, fn_len);
            function[fn_len] = '\0';
            continue;
        }
        size_t file_len = strcspn(line + 1, " ");
        char *colon = memchr(line + 1, ':', file_len);
        if (colon != NULL)
            file_len = (size_t)(colon - (line + 1));
        struct attribution out;
        attribute_site(attr, str_from_cstr(function), str_make(line + 1, file_len), &out);
        frames++;
        in_repo += out.in_repo;
        shop += out.owner != NULL && strcmp(out.owner, "@acme/shop") == 0;
        queue += out.owner != NULL && strcmp(out.owner, "@acme/queue") == 0;
        by_function += strncmp(function, "github.com/acme/shop/", 21) == 0;
        if (out.in_repo)
            ck_assert_msg(strcmp(out.path, "main.go") == 0 ||
                                  strcmp(out.path, "internal/queue/queue.go") == 0,
                          "path '%s'", out.path);
    }
    fclose(f);
    ck_assert_uint_eq(frames, 1881);
    ck_assert_uint_eq(in_repo, 1578); /* every /srv/build/shop/ frame, no /usr/lib/go one */
    ck_assert_uint_eq(queue, 50);     /* internal/queue: work and Submit, 25 each */
    ck_assert_uint_eq(shop, 1528);
    ck_assert_uint_eq(by_function, 50);
    attributor_free(attr);
    codeowners_free(co);
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
    suite_add_tcase(s, tc);
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(attribute_suite)
