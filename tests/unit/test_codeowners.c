/* test_codeowners.c - unit tests of codeowners: GitHub's pattern rules case by case, the
 * documented example file, last match wins, explicit unowned, invalid lines, limits and
 * allocation failures. */
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "check_main.h"
#include "codeowners.h"

struct pattern_case {
    const char *pattern;
    const char *path;
    bool match;
};

/* From GitHub's "About code owners" page and the gitignore rules it points to. */
static const struct pattern_case cases[] = {
    /* `*` owns everything */
    { "*", "README.md", true },
    { "*", "a/b/c.go", true },
    /* an extension at any depth */
    { "*.js", "app.js", true },
    { "*.js", "src/web/app.js", true },
    { "*.js", "app.jsx", false },
    { "*.js", "app.ts", false },
    { "*.go", "pkg/queue/queue.go", true },
    { "*.JS", "app.js", false }, /* paths are case-sensitive */
    /* `/build/logs/`: that directory at the root and all below it */
    { "/build/logs/", "build/logs/a.log", true },
    { "/build/logs/", "build/logs/old/a.log", true },
    { "/build/logs/", "x/build/logs/a.log", false },
    { "/build/logs/", "build/logs", false },
    /* docs/<star>: files directly in docs, not nested files */
    { "docs/*", "docs/getting-started.md", true },
    { "docs/*", "docs/build-app/troubleshooting.md", false },
    { "docs/*", "src/docs/a.md", false },
    /* `apps/`: an apps directory anywhere */
    { "apps/", "apps/a.go", true },
    { "apps/", "x/apps/a.go", true },
    { "apps/", "x/y/apps/z/a.go", true },
    { "apps/", "apps", false },
    { "apps/", "myapps/a.go", false },
    /* `/docs/`: the root docs directory only */
    { "/docs/", "docs/a.md", true },
    { "/docs/", "docs/x/y.md", true },
    { "/docs/", "src/docs/a.md", false },
    /* `**` forms */
    { "**/logs", "build/logs/a.log", true },
    { "**/logs", "scripts/logs/a.log", true },
    { "**/logs", "deeply/nested/logs/a.log", true },
    { "**/logs", "logs/a.log", true },
    { "**/logs", "logs", true },
    { "**/logs", "catalogs/a", false },
    { "apps/**", "apps/a", true },
    { "apps/**", "apps/b/c", true },
    { "apps/**", "x/apps/b", false },
    { "a/**/b", "a/b", true },
    { "a/**/b", "a/x/b", true },
    { "a/**/b", "a/x/y/b", true },
    { "a/**/b", "a/b/c.go", true },
    { "a/**/b", "x/a/b", false },
    { "a/**/b", "a/bc", false },
    { "docs/**/*.md", "docs/a.md", true },
    { "docs/**/*.md", "docs/x/y/a.md", true },
    { "docs/**/*.md", "docs/a.txt", false },
    { "**", "a/b/c", true },
    /* a name without a slash matches at any depth, as a file or a directory */
    { "foo", "foo", true },
    { "foo", "a/foo", true },
    { "foo", "a/foo/b.go", true },
    { "foo", "foobar", false },
    { "foo", "a/foobar", false },
    /* a leading slash anchors; a slash in the middle anchors too */
    { "/foo", "foo/b.go", true },
    { "/foo", "a/foo", false },
    { "/apps/github", "apps/github/x.go", true },
    { "/apps/github", "apps/github", true },
    { "/apps/github", "apps/githubx/a", false },
    { "pkg/queue", "pkg/queue/queue.go", true },
    { "pkg/queue", "x/pkg/queue/queue.go", false },
    { "src/*.go", "src/main.go", true },
    { "src/*.go", "src/x/main.go", false },
    { "src/*.go", "a/src/main.go", false },
    { "/*", "README.md", true },
    { "/*", "docs/a.md", false },
    /* `?` is one character */
    { "file?.go", "file1.go", true },
    { "file?.go", "file10.go", false },
    { "Docs/", "docs/a", false },
    /* an escaped space is part of the pattern */
    { "my\\ file.txt", "my file.txt", true },
};

START_TEST(test_pattern_table)
{
    size_t n = sizeof(cases) / sizeof(cases[0]);
    ck_assert_uint_ge(n, 40);
    for (size_t i = 0; i < n; i++) {
        char text[256];
        int w = snprintf(text, sizeof(text), "%s @owner\n", cases[i].pattern);
        ck_assert(w > 0 && (size_t)w < sizeof(text));
        struct lf_error err;
        struct codeowners *co = codeowners_parse(text, (size_t)w, &err);
        ck_assert_ptr_nonnull(co);
        ck_assert_msg(codeowners_n_rules(co) == 1, "pattern '%s' not valid", cases[i].pattern);
        const struct codeowners_rule *rule = codeowners_match(co, cases[i].path);
        ck_assert_msg((rule != NULL) == cases[i].match, "pattern '%s' path '%s': expected %s",
                      cases[i].pattern, cases[i].path, cases[i].match ? "match" : "no match");
        codeowners_free(co);
    }
}
END_TEST

/* The indexed look-up of a 300-rule file against a brute force over the same rules one
 * file each: the answer is the last line whose single-rule file matches. */
START_TEST(test_index_against_brute_force)
{
    /* the first six are literal; every rule gets at least one, so catch-alls stay rare */
    static const char *const parts[] = { "a", "b",  "src",  "gen", "x.go", "ab",
                                         "*", "**", "*.go", "?b",  "x*" };
    static const char *const names[] = { "a", "b", "src", "gen", "x.go", "ab", "xy", "bb" };
    enum { N_RULES = 300, N_PATHS = 1500 };
    static char lines[N_RULES][64];
    static struct codeowners *single[N_RULES];
    static char text[N_RULES * 64];
    size_t len = 0;
    unsigned seed = 7;
    for (int r = 0; r < N_RULES; r++) {
        size_t l = 0;
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 3 == 0)
            lines[r][l++] = '/';
        size_t n_parts = 1 + (seed >> 20) % 3;
        size_t literal_at = (seed >> 8) % n_parts;
        for (size_t i = 0; i < n_parts; i++) {
            seed = seed * 1103515245u + 12345u;
            size_t pick = i == literal_at ? (seed >> 16) % 6 : (seed >> 16) % 11;
            l += (size_t)snprintf(lines[r] + l, sizeof(lines[r]) - l, "%s%s", i > 0 ? "/" : "",
                                  parts[pick]);
        }
        if ((seed >> 24) % 5 == 0)
            lines[r][l++] = '/';
        l += (size_t)snprintf(lines[r] + l, sizeof(lines[r]) - l, " @o%d\n", r);
        memcpy(text + len, lines[r], l);
        len += l;
        single[r] = codeowners_parse(lines[r], l, NULL);
        ck_assert_uint_eq(codeowners_n_rules(single[r]), 1);
    }
    struct codeowners *co = codeowners_parse(text, len, NULL);
    ck_assert_uint_eq(codeowners_n_rules(co), N_RULES);
    static bool seen[N_RULES + 1];
    size_t distinct = 0;
    for (int p = 0; p < N_PATHS; p++) {
        char path[128];
        size_t l = 0;
        seed = seed * 1103515245u + 12345u;
        size_t n_names = 1 + (seed >> 16) % 5;
        for (size_t i = 0; i < n_names; i++) {
            seed = seed * 1103515245u + 12345u;
            l += (size_t)snprintf(path + l, sizeof(path) - l, "%s%s", i > 0 ? "/" : "",
                                  names[(seed >> 16) % 8]);
        }
        size_t expect = 0;
        for (int r = N_RULES; r-- > 0 && expect == 0;) {
            if (codeowners_match(single[r], path) != NULL)
                expect = (size_t)r + 1;
        }
        const struct codeowners_rule *rule = codeowners_match(co, path);
        ck_assert_msg((rule == NULL ? 0 : rule->line) == expect,
                      "path '%s': line %zu, expected %zu", path, rule == NULL ? 0 : rule->line,
                      expect);
        distinct += !seen[expect];
        seen[expect] = true;
    }
    ck_assert_uint_gt(distinct, 10); /* different rules win, not one catch-all */
    for (int r = 0; r < N_RULES; r++)
        codeowners_free(single[r]);
    codeowners_free(co);
}
END_TEST

/* GitHub's documented example file, in its order. */
static const char example[] = "# This is a comment.\n"
                              "*       @global-owner1 @global-owner2\n"
                              "*.js    @js-owner #This is an inline comment.\n"
                              "*.go docs@example.com\n"
                              "*.txt @octo-org/octocats\n"
                              "/build/logs/ @doctocat\n"
                              "docs/*  docs@example.com\n"
                              "apps/ @octocat\n"
                              "/docs/ @doctocat\n"
                              "/scripts/ @doctocat @octocat\n"
                              "**/logs @octocat\n"
                              "\n"
                              "/apps/ @octocat\n"
                              "/apps/github\n";

static const char *owner_of(const struct codeowners *co, const char *path, size_t *n_owners,
                            size_t *line)
{
    const struct codeowners_rule *rule = codeowners_match(co, path);
    *n_owners = rule == NULL ? 0 : rule->n_owners;
    *line = rule == NULL ? 0 : rule->line;
    return rule == NULL || rule->n_owners == 0 ? NULL : rule->owners[0];
}

/* The naive model: each pattern as a POSIX regular expression over the whole path, built
 * segment by segment the way gitignore-style CODEOWNERS matchers are commonly written.
 * Returns false (skip) for the shapes where such regexes disagree with gitignore itself
 * (two `**` in a row). */
static bool model_regex(const char *pattern, char *re, size_t size)
{
    char segs[16][16];
    size_t n = 0, len = 0;
    for (const char *p = pattern;; p++) {
        if (*p == '/' || *p == '\0') {
            segs[n][len] = '\0';
            n++;
            len = 0;
            if (*p == '\0')
                break;
        } else {
            segs[n][len++] = *p;
        }
    }
    size_t first = 0;
    const char *list[18];
    size_t k = 0;
    if (segs[0][0] == '\0')
        first = 1;
    else if ((n == 1 || (n == 2 && segs[1][0] == '\0')) && strcmp(segs[0], "**") != 0)
        list[k++] = "**";
    for (size_t i = first; i < n; i++)
        list[k++] = segs[i];
    if (k > 1 && list[k - 1][0] == '\0')
        list[k - 1] = "**";
    size_t w = 0;
    w += (size_t)snprintf(re + w, size - w, "^");
    bool need_slash = false;
    for (size_t i = 0; i < k; i++) {
        bool last = i == k - 1;
        if (i > 0 && strcmp(list[i], "**") == 0 && strcmp(list[i - 1], "**") == 0)
            return false;
        if (strcmp(list[i], "**") == 0) {
            const char *part = i == 0 && last ? ".+" : i == 0 ? "(.+/)?" : last ? "/.*" : "(/.+)?";
            w += (size_t)snprintf(re + w, size - w, "%s", part);
            need_slash = i != 0;
        } else if (strcmp(list[i], "*") == 0) {
            w += (size_t)snprintf(re + w, size - w, "%s[^/]+", need_slash ? "/" : "");
            need_slash = true;
        } else {
            w += (size_t)snprintf(re + w, size - w, "%s", need_slash ? "/" : "");
            for (const char *c = list[i]; *c != '\0'; c++) {
                const char *part = *c == '*' ? "[^/]*" : *c == '?' ? "[^/]" : NULL;
                if (part != NULL)
                    w += (size_t)snprintf(re + w, size - w, "%s", part);
                else
                    w += (size_t)snprintf(re + w, size - w, "%c", *c);
            }
            if (last)
                w += (size_t)snprintf(re + w, size - w, "(/.*)?");
            need_slash = true;
        }
    }
    snprintf(re + w, size - w, "$");
    return true;
}

START_TEST(test_against_regex_model)
{
    static const char *const pattern_segs[] = { "a", "b", "*", "**", "a*", "?b", "*a", "ab" };
    static const char *const path_segs[] = { "a", "b", "ab", "ba", "bb" };
    unsigned seed = 12345;
    size_t compared = 0, matched = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char pattern[128] = "", path[128] = "";
        size_t plen = 0, tlen = 0;
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 3 == 0)
            pattern[plen++] = '/';
        size_t n_pat = 1 + (seed >> 20) % 4;
        for (size_t i = 0; i < n_pat; i++) {
            seed = seed * 1103515245u + 12345u;
            plen += (size_t)snprintf(pattern + plen, sizeof(pattern) - plen, "%s%s",
                                     i > 0 ? "/" : "", pattern_segs[(seed >> 16) % 8]);
        }
        if ((seed >> 24) % 4 == 0)
            pattern[plen++] = '/';
        pattern[plen] = '\0';
        seed = seed * 1103515245u + 12345u;
        size_t n_path = 1 + (seed >> 16) % 5;
        for (size_t i = 0; i < n_path; i++) {
            seed = seed * 1103515245u + 12345u;
            tlen += (size_t)snprintf(path + tlen, sizeof(path) - tlen, "%s%s", i > 0 ? "/" : "",
                                     path_segs[(seed >> 16) % 5]);
        }
        char re[512];
        if (!model_regex(pattern, re, sizeof(re)))
            continue;
        regex_t rx;
        ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
        bool expect = regexec(&rx, path, 0, NULL, 0) == 0;
        regfree(&rx);
        char text[160];
        int w = snprintf(text, sizeof(text), "%s @o\n", pattern);
        struct codeowners *co = codeowners_parse(text, (size_t)w, NULL);
        ck_assert_uint_eq(codeowners_n_rules(co), 1);
        bool got = codeowners_match(co, path) != NULL;
        codeowners_free(co);
        ck_assert_msg(got == expect, "pattern '%s' (%s) path '%s': got %d", pattern, re, path, got);
        compared++;
        matched += got;
    }
    ck_assert_uint_gt(compared, 15000);
    ck_assert_uint_gt(matched, 1000);
}
END_TEST

START_TEST(test_github_example)
{
    struct lf_error err;
    struct codeowners *co = codeowners_parse(example, strlen(example), &err);
    ck_assert_ptr_nonnull(co);
    ck_assert_uint_eq(codeowners_n_rules(co), 12);
    ck_assert_uint_eq(codeowners_n_invalid(co), 0);
    size_t n = 0, line = 0;
    ck_assert_str_eq(owner_of(co, "README.md", &n, &line), "@global-owner1");
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(line, 2);
    ck_assert_str_eq(owner_of(co, "web/app.js", &n, &line), "@js-owner");
    ck_assert_uint_eq(n, 1); /* the inline comment is not an owner */
    ck_assert_str_eq(owner_of(co, "cmd/main.go", &n, &line), "docs@example.com");
    ck_assert_str_eq(owner_of(co, "notes.txt", &n, &line), "@octo-org/octocats");
    ck_assert_str_eq(owner_of(co, "docs/getting-started.md", &n, &line), "@doctocat");
    ck_assert_uint_eq(line, 9); /* the /docs/ rule comes after the docs/<star> one */
    ck_assert_str_eq(owner_of(co, "scripts/deploy.sh", &n, &line), "@doctocat");
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(owner_of(co, "deeply/nested/logs/x.log", &n, &line), "@octocat");
    ck_assert_uint_eq(line, 11);
    ck_assert_str_eq(owner_of(co, "apps/web/index.go", &n, &line), "@octocat");
    ck_assert_uint_eq(line, 13);
    /* the last rule lists nobody: apps/github is explicitly unowned */
    ck_assert_ptr_null(owner_of(co, "apps/github/main.go", &n, &line));
    ck_assert_uint_eq(line, 14);
    const struct codeowners_rule *rule = codeowners_match(co, "apps/github/main.go");
    ck_assert_ptr_nonnull(rule);
    ck_assert_uint_eq(rule->n_owners, 0);
    ck_assert_str_eq(rule->pattern, "/apps/github");
    /* nested apps dirs keep apps/ */
    ck_assert_str_eq(owner_of(co, "services/apps/x.go", &n, &line), "@octocat");
    ck_assert_uint_eq(line, 8);
    codeowners_free(co);
}
END_TEST

START_TEST(test_last_match_wins)
{
    static const char text[] = "*.js @js-owner\n*.css @css-owner\n*.js @second\n";
    struct codeowners *co = codeowners_parse(text, sizeof(text) - 1, NULL);
    ck_assert_ptr_nonnull(co);
    size_t n = 0, line = 0;
    ck_assert_str_eq(owner_of(co, "a.js", &n, &line), "@second");
    ck_assert_uint_eq(line, 3);
    ck_assert_str_eq(owner_of(co, "a.css", &n, &line), "@css-owner");
    ck_assert_ptr_null(codeowners_match(co, "a.html"));
    /* an owned pattern after an unowned one gives the owner back */
    static const char text2[] = "/apps/ @octocat\n/apps/github\n/apps/github @doctocat\n";
    struct codeowners *co2 = codeowners_parse(text2, sizeof(text2) - 1, NULL);
    ck_assert_str_eq(owner_of(co2, "apps/github/x", &n, &line), "@doctocat");
    ck_assert_uint_eq(line, 3);
    codeowners_free(co2);
    codeowners_free(co);
}
END_TEST

START_TEST(test_invalid_lines)
{
    static const char text[] = "*.go @go\n"
                               "!vendor/ @nobody\n"  /* negation: not in GitHub */
                               "[abc].go @ranges\n"  /* character range */
                               "\\#notes @hash\n"    /* escaped # */
                               "*.md not-an-owner\n" /* malformed owner */
                               "*.c @org/\n"         /* team without a name */
                               "a//b @x\n"           /* empty segment */
                               "/ @root\n"           /* nothing after the slash */
                               "*.h a\xff@acme.io\n" /* owner not UTF-8 */
                               "  # indented comment\n"
                               "\t\n"
                               "*.rs   @rust   \r\n";
    struct lf_error err;
    struct codeowners *co = codeowners_parse(text, sizeof(text) - 1, &err);
    ck_assert_ptr_nonnull(co);
    ck_assert_uint_eq(codeowners_n_rules(co), 2);
    ck_assert_uint_eq(codeowners_n_invalid(co), 8);
    ck_assert_uint_eq(codeowners_first_invalid_line(co), 2);
    size_t n = 0, line = 0;
    /* `!vendor/` must not silently match or unown anything */
    ck_assert_str_eq(owner_of(co, "vendor/x.go", &n, &line), "@go");
    ck_assert_ptr_null(codeowners_match(co, "a.go.bak"));
    ck_assert_ptr_null(codeowners_match(co, "a.go.md"));
    ck_assert_ptr_null(codeowners_match(co, "#notes"));
    ck_assert_str_eq(owner_of(co, "src/lib.rs", &n, &line), "@rust");
    ck_assert_uint_eq(line, 12);
    ck_assert_ptr_null(codeowners_match(co, "a.h"));
    ck_assert_str_eq(codeowners_rule_at(co, 1)->pattern, "*.rs");
    ck_assert_ptr_null(codeowners_rule_at(co, 2));
    codeowners_free(co);
}
END_TEST

START_TEST(test_owner_valid)
{
    char longest[CODEOWNERS_OWNER_MAX_BYTES + 2];
    memset(longest, 'a', sizeof(longest));
    longest[0] = '@';
    static const struct {
        const char *owner;
        bool in_file, anywhere;
    } owners[] = {
        { "@jdoe", true, true },
        { "@acme/payments", true, true },
        { "@my-org.x/team_1", true, true },
        { "jane@acme.example", true, true },
        { "j\xC3\xA9r\xC3\xB4me@acme.example", true, true }, /* UTF-8 in the local part */
        { "unowned", false, true },                          /* the fallback owner */
        { "", false, false },
        { "@", false, false },
        { "@acme/", false, false },
        { "@/team", false, false },
        { "@acme/a/b", false, false },
        { "@te\377am", false, false }, /* not UTF-8 */
        { "te\377am@acme.example", false, false },
        { "@team\n\x1B[31m", false, false }, /* newline, ANSI escape */
        { "x\x1B[31m@acme.example", false, false },
        { "x\xC2\x85@acme.example", false, false }, /* U+0085, a C1 control */
        { "x\x7F@acme.example", false, false },
        { "x\xC0\xA0@acme.example", false, false },         /* overlong */
        { "x\xED\xA0\x80@acme.example", false, false },     /* a surrogate */
        { "x\xF4\x90\x80\x80@acme.example", false, false }, /* past U+10FFFF */
        { "x\xE2\x82@acme.example", false, false },         /* truncated */
        { "a b@acme.example", false, false },
        { "a@b@acme.example", false, false },
        { "jane@acme", false, false },
        { "jane@.example", false, false },
        { "@jdoe ", false, false },
        { "Unowned", false, false },
        { "unowned ", false, false },
    };
    for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
        const char *o = owners[i].owner;
        ck_assert_msg(codeowners_owner_valid(o, strlen(o), false) == owners[i].in_file,
                      "case %zu in a file", i);
        ck_assert_msg(codeowners_owner_valid(o, strlen(o), true) == owners[i].anywhere,
                      "case %zu anywhere", i);
    }
    /* at most 256 bytes; a NUL inside is a control character */
    ck_assert(codeowners_owner_valid(longest, CODEOWNERS_OWNER_MAX_BYTES, false));
    ck_assert(!codeowners_owner_valid(longest, CODEOWNERS_OWNER_MAX_BYTES + 1, true));
    ck_assert(!codeowners_owner_valid("x\0y@acme.example", 16, true));
    ck_assert(!codeowners_owner_valid(NULL, 0, true));

    /* in a file, a line with such an owner is skipped and counted, never matched */
    static const char text[] = "* @all\n"
                               "*.go @go te\377am@acme.example\n"
                               "*.c unowned\n";
    struct codeowners *co = codeowners_parse(text, sizeof(text) - 1, NULL);
    ck_assert_ptr_nonnull(co);
    ck_assert_uint_eq(codeowners_n_rules(co), 1);
    ck_assert_uint_eq(codeowners_n_invalid(co), 2);
    ck_assert_uint_eq(codeowners_first_invalid_line(co), 2);
    ck_assert_str_eq(codeowners_match(co, "main.go")->owners[0], "@all");
    ck_assert_str_eq(codeowners_match(co, "main.c")->owners[0], "@all");
    codeowners_free(co);
}
END_TEST

START_TEST(test_owner_forms_and_paths)
{
    static const char text[] = "\xEF\xBB\xBF* @acme/core jane@acme.example @jdoe\n";
    struct codeowners *co = codeowners_parse(text, sizeof(text) - 1, NULL);
    ck_assert_ptr_nonnull(co);
    const struct codeowners_rule *rule = codeowners_match(co, "/svc/main.go");
    ck_assert_ptr_nonnull(rule);
    ck_assert_uint_eq(rule->n_owners, 3);
    ck_assert_str_eq(rule->pattern, "*");
    ck_assert_str_eq(rule->owners[0], "@acme/core");
    ck_assert_str_eq(rule->owners[1], "jane@acme.example");
    ck_assert_str_eq(rule->owners[2], "@jdoe");
    ck_assert_ptr_nonnull(codeowners_match(co, "./svc/main.go"));
    ck_assert_ptr_null(codeowners_match(co, ""));
    ck_assert_ptr_null(codeowners_match(co, "/"));
    ck_assert_ptr_null(codeowners_match(NULL, "a"));
    ck_assert_ptr_null(codeowners_match(co, NULL));
    /* a path with more segments than fit on the stack */
    char deep[2048];
    size_t len = 0;
    for (int i = 0; i < 300; i++) {
        memcpy(deep + len, "d/", 2);
        len += 2;
    }
    memcpy(deep + len, "x.go", 5);
    ck_assert_ptr_nonnull(codeowners_match(co, deep));
    codeowners_free(co);
    codeowners_free(NULL);

    /* the text is copied: matching after the caller freed its buffer */
    char *heap = lf_strdup("/pkg/queue/ @acme/queue\ndocs/*.md @docs\n");
    co = codeowners_parse(heap, strlen(heap), NULL);
    memset(heap, '#', strlen(heap));
    lf_free(heap);
    ck_assert_str_eq(codeowners_match(co, "pkg/queue/queue.go")->owners[0], "@acme/queue");
    ck_assert_str_eq(codeowners_match(co, "docs/a.md")->pattern, "docs/*.md");
    ck_assert_ptr_null(codeowners_match(co, "pkg/other/a.go"));
    codeowners_free(co);

    /* empty input: no rules, nothing matches */
    co = codeowners_parse("", 0, NULL);
    ck_assert_ptr_nonnull(co);
    ck_assert_uint_eq(codeowners_n_rules(co), 0);
    ck_assert_ptr_null(codeowners_match(co, "a"));
    codeowners_free(co);
}
END_TEST

/* Many `**` segments against a long path stay fast (no exponential backtracking). */
START_TEST(test_many_double_stars)
{
    char text[4096];
    size_t len = 0;
    for (int i = 0; i < 100; i++) {
        memcpy(text + len, "**/a*/", 6);
        len += 6;
    }
    memcpy(text + len, "b @x\n", 5);
    len += 5;
    struct codeowners *co = codeowners_parse(text, len, NULL);
    ck_assert_ptr_nonnull(co);
    ck_assert_uint_eq(codeowners_n_rules(co), 1);
    char path[4096];
    size_t plen = 0;
    for (int i = 0; i < 500; i++) {
        memcpy(path + plen, "aa/", 3);
        plen += 3;
    }
    memcpy(path + plen, "c", 2);
    ck_assert_ptr_null(codeowners_match(co, path));
    path[plen] = 'b';
    ck_assert_ptr_nonnull(codeowners_match(co, path));
    codeowners_free(co);
}
END_TEST

START_TEST(test_load)
{
    char path[] = "/tmp/lf_codeowners_......";
    memset(path + sizeof(path) - 7, 'X', 6); /* the mkstemp template */
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, example, strlen(example)), (ssize_t)strlen(example));
    close(fd);
    struct lf_error err;
    struct codeowners *co = codeowners_load(path, &err);
    ck_assert_ptr_nonnull(co);
    ck_assert_uint_eq(codeowners_n_rules(co), 12);
    codeowners_free(co);
    unlink(path);
    co = codeowners_load("/nonexistent/CODEOWNERS", &err);
    ck_assert_ptr_null(co);
    ck_assert_int_eq(err.code, LF_EIO);
    ck_assert_str_eq(err.msg, "codeowners '/nonexistent/CODEOWNERS': No such file or directory");

    co = codeowners_parse("* @a\n", CODEOWNERS_MAX_BYTES + 1, &err);
    ck_assert_ptr_null(co);
    ck_assert_int_eq(err.code, LF_ETOOBIG);
}
END_TEST

/* Every allocation may fail: a clean LF_ENOMEM and no leak (ASan checks), then success. */
START_TEST(test_allocation_failures)
{
    bool succeeded = false;
    for (long n = 0; n < 1000 && !succeeded; n++) {
        struct lf_error err;
        lf_alloc_fail_after(n);
        struct codeowners *co = codeowners_parse(example, strlen(example), &err);
        lf_alloc_fail_after(-1);
        if (co == NULL) {
            ck_assert_int_eq(err.code, LF_ENOMEM);
            continue;
        }
        ck_assert_uint_eq(codeowners_n_rules(co), 12);
        ck_assert_uint_eq(codeowners_n_invalid(co), 0);
        codeowners_free(co);
        succeeded = true;
    }
    ck_assert(succeeded);
}
END_TEST

static Suite *codeowners_suite(void)
{
    Suite *s = suite_create("codeowners");
    TCase *tc = tcase_create("patterns");
    tcase_add_test(tc, test_pattern_table);
    tcase_add_test(tc, test_many_double_stars);
    tcase_add_test(tc, test_against_regex_model);
    tcase_add_test(tc, test_index_against_brute_force);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_add_test(tc, test_github_example);
    tcase_add_test(tc, test_last_match_wins);
    tcase_add_test(tc, test_invalid_lines);
    tcase_add_test(tc, test_owner_forms_and_paths);
    tcase_add_test(tc, test_owner_valid);
    tcase_add_test(tc, test_load);
    tcase_add_test(tc, test_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(codeowners_suite)
