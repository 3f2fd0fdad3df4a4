/* attribute.c - in-repo test and repository-relative path of a blocking site, and its
 * owner from CODEOWNERS. Pure string work on the frame's function and file: no file
 * system access, no allocation per site. A site is in-repo when its file starts with a
 * root (a checkout directory, or a module path under -trimpath) outside any vendor/
 * directory, or when its function's package path starts with a module root. */
#include "attribute.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

struct attributor {
    char **roots; /* each ending in '/' */
    size_t n_roots;
    const struct codeowners *co;
};

struct attributor *attributor_create(const char *const *roots, size_t n,
                                     const struct codeowners *co)
{
    struct attributor *attr = lf_calloc(1, sizeof(*attr));
    if (attr == NULL)
        return NULL;
    attr->co = co;
    if (n > 0) {
        attr->roots = lf_calloc(n, sizeof(*attr->roots));
        if (attr->roots == NULL)
            goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (roots == NULL || roots[i] == NULL || roots[i][0] == '\0')
            continue;
        size_t len = strlen(roots[i]);
        bool slash = roots[i][len - 1] == '/';
        char *copy = lf_malloc(len + (slash ? 1 : 2));
        if (copy == NULL)
            goto fail;
        memcpy(copy, roots[i], len);
        if (!slash)
            copy[len++] = '/';
        copy[len] = '\0';
        attr->roots[attr->n_roots++] = copy;
    }
    return attr;
fail:
    attributor_free(attr);
    return NULL;
}

void attributor_free(struct attributor *attr)
{
    if (attr == NULL)
        return;
    for (size_t i = 0; i < attr->n_roots; i++)
        lf_free(attr->roots[i]);
    lf_free(attr->roots);
    lf_free(attr);
}

size_t attributor_n_roots(const struct attributor *attr)
{
    return attr == NULL ? 0 : attr->n_roots;
}

const char *attributor_root_at(const struct attributor *attr, size_t i)
{
    if (attr == NULL || i >= attr->n_roots)
        return NULL;
    return attr->roots[i];
}

/* The shortest root that prefixes s (the repository root when roots nest), or NULL. */
static const char *shortest_root(const struct attributor *attr, struct str s)
{
    const char *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < attr->n_roots; i++) {
        size_t len = strlen(attr->roots[i]);
        if (s.len > len && memcmp(s.p, attr->roots[i], len) == 0 &&
            (best == NULL || len < best_len)) {
            best = attr->roots[i];
            best_len = len;
        }
    }
    return best;
}

/* Is there a path segment named "vendor" in rel (vendored third-party code)? */
static bool has_vendor_dir(struct str rel)
{
    size_t i = 0;
    while (i < rel.len) {
        size_t start = i;
        while (i < rel.len && rel.p[i] != '/')
            i++;
        if (i < rel.len && i - start == 6 && memcmp(rel.p + start, "vendor", 6) == 0)
            return true;
        i++;
    }
    return false;
}

/* Appends (p, len) to out at *n; false when it does not fit. The linker writes a '.' in
 * the last element of an import path as "%2e"; it is decoded here. */
static bool append(struct attribution *out, size_t *n, const char *p, size_t len, bool decode)
{
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (decode && c == '%' && i + 2 < len && p[i + 1] == '2' &&
            (p[i + 2] == 'e' || p[i + 2] == 'E')) {
            c = '.';
            i += 2;
        }
        if (*n + 1 >= sizeof(out->path))
            return false;
        out->path[(*n)++] = c;
    }
    out->path[*n] = '\0';
    return true;
}

/* The package path of a Go function name: up to the first '.' after the last '/' that
 * comes before any receiver "(" or type arguments "[" (which may contain slashes). */
static struct str package_path(struct str function)
{
    size_t limit = function.len;
    for (size_t i = 0; i < function.len; i++) {
        if (function.p[i] == '(' || function.p[i] == '[') {
            limit = i;
            break;
        }
    }
    size_t after_slash = 0;
    for (size_t i = 0; i < limit; i++) {
        if (function.p[i] == '/')
            after_slash = i + 1;
    }
    const char *dot = memchr(function.p + after_slash, '.', function.len - after_slash);
    if (dot == NULL)
        return function;
    return str_make(function.p, (size_t)(dot - function.p));
}

/* Fills out->path from the function's package under a module root and the file's base
 * name; false when the function is not under any root. */
static bool path_from_function(const struct attributor *attr, struct str function, struct str file,
                               struct attribution *out)
{
    struct str pkg = package_path(function);
    struct str dir = STR_NULL;
    bool found = false;
    size_t best_len = 0;
    for (size_t i = 0; i < attr->n_roots; i++) {
        size_t len = strlen(attr->roots[i]); /* ends in '/' */
        if (found && len >= best_len)
            continue;
        if (pkg.len >= len && memcmp(pkg.p, attr->roots[i], len) == 0) {
            dir = str_make(pkg.p + len, pkg.len - len);
        } else if (pkg.len == len - 1 && memcmp(pkg.p, attr->roots[i], len - 1) == 0) {
            dir = STR_NULL; /* the module's root package */
        } else {
            continue;
        }
        found = true;
        best_len = len;
    }
    if (!found)
        return false;
    size_t base = file.len;
    while (base > 0 && file.p[base - 1] != '/' && file.p[base - 1] != '\\')
        base--;
    size_t n = 0;
    out->path[0] = '\0';
    bool ok = append(out, &n, dir.p, dir.len, true);
    if (ok && dir.len > 0 && base < file.len)
        ok = append(out, &n, "/", 1, false);
    if (ok)
        ok = append(out, &n, file.p + base, file.len - base, false);
    if (!ok)
        out->path[0] = '\0';
    return true;
}

void attribute_site(const struct attributor *attr, struct str function, struct str file,
                    struct attribution *out)
{
    memset(out, 0, sizeof(*out));
    if (attr == NULL)
        return;
    const char *root = shortest_root(attr, file);
    if (root != NULL) {
        struct str rel = str_make(file.p + strlen(root), file.len - strlen(root));
        if (!has_vendor_dir(rel)) {
            out->in_repo = true;
            size_t n = 0;
            if (!append(out, &n, rel.p, rel.len, false))
                out->path[0] = '\0';
        }
    }
    if (!out->in_repo && path_from_function(attr, function, file, out))
        out->in_repo = true;
    if (!out->in_repo || out->path[0] == '\0')
        return;
    const struct codeowners_rule *rule = codeowners_match(attr->co, out->path);
    if (rule == NULL)
        return;
    out->rule_line = rule->line;
    if (rule->n_owners == 0) {
        out->explicitly_unowned = true;
        return;
    }
    out->owners = rule->owners;
    out->n_owners = rule->n_owners;
    out->owner = rule->owners[0];
}

/* Bytes encodeURI leaves as they are. */
static bool uri_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr(";,/?:@&=+$-_.!~*'()#", c) != NULL);
}

bool attribute_source_url(const char *url_template, const char *path, int64_t line, char *out,
                          size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    if (size == 0)
        return false;
    out[0] = '\0';
    if (url_template == NULL || url_template[0] == '\0' || path == NULL || path[0] == '\0')
        return false;
    if (strncmp(url_template, "http://", 7) != 0 && strncmp(url_template, "https://", 8) != 0)
        return false;
    size_t n = 0;
    for (const char *t = url_template; *t != '\0';) {
        char piece[64];
        const char *add = piece;
        size_t len = 1;
        if (strncmp(t, "{path}", 6) == 0) {
            for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
                bool plain = uri_plain(*p);
                if (n + (plain ? 1 : 3) + 1 > size)
                    goto too_long;
                if (plain) {
                    out[n++] = (char)*p;
                } else {
                    out[n++] = '%';
                    out[n++] = hex[*p >> 4];
                    out[n++] = hex[*p & 15];
                }
            }
            t += 6;
            continue;
        }
        if (strncmp(t, "{line}", 6) == 0) {
            len = (size_t)snprintf(piece, sizeof(piece), "%lld", (long long)line);
            t += 6;
        } else {
            add = t++;
        }
        if (n + len + 1 > size)
            goto too_long;
        memcpy(out + n, add, len);
        n += len;
    }
    out[n] = '\0';
    return true;
too_long:
    out[0] = '\0';
    return false;
}
