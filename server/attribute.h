/* attribute.h - decides whether a blocking site is the organisation's own code (it
 * starts with one of the configured repo roots), derives its repository-relative path
 * and looks the owner up in CODEOWNERS. Standard-library and third-party code is never
 * in-repo and never owned. The per-service fallback owner (owners.services) is the
 * caller's to apply where owner is NULL; explicitly_unowned tells a CODEOWNERS line
 * without owners apart from no matching line. */
#ifndef LF_ATTRIBUTE_H
#define LF_ATTRIBUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codeowners.h"
#include "str.h"

/* Size of attribution.path, NUL included; longer repo paths are not attributed. */
#define ATTRIBUTE_PATH_MAX 1024

struct attributor;

/* The verdict for one site. owner/owners are borrowed from the codeowners object given
 * to attributor_create (valid until it is freed). */
struct attribution {
    bool in_repo;                  /* the file (outside any vendor/ dir) or the function's
                                      package starts with a repo root */
    char path[ATTRIBUTE_PATH_MAX]; /* repo-relative path ("pkg/queue/queue.go"), "" when
                                      not in-repo or not derivable */
    const char *owner;             /* the first owner of the matching rule; NULL = none */
    const char *const *owners;     /* every owner of the matching rule (NULL when none) */
    size_t n_owners;
    bool explicitly_unowned; /* the last matching rule lists no owners */
    size_t rule_line;        /* CODEOWNERS line of the matching rule; 0 = no match */
};

/* Creates an attributor over n roots: each is a prefix of a function name, i.e. a
 * module path ("github.com/acme/monorepo/"), or of a file path ("/build/monorepo/").
 * A root without a trailing '/' gets one; empty or NULL roots are ignored. The roots
 * are copied; co (may be NULL: no owners) is borrowed and must outlive the attributor.
 * Returns a new object (caller frees with attributor_free), or NULL when allocation
 * fails. */
struct attributor *attributor_create(const char *const *roots, size_t n,
                                     const struct codeowners *co);

/* Attributes the site (function, file) as a frame names them: "main.ncast.func1",
 * "/build/acme/leaky/main.go", or with -trimpath "github.com/acme/leaky/main.go".
 * Always fills *out. The repo-relative path is what follows a file-path root; else the
 * file itself when it starts with a module root (-trimpath); else the function's
 * package directory under a module root joined with the file's base name. Reads attr
 * only: any number of threads may attribute at once. */
void attribute_site(const struct attributor *attr, struct str function, struct str file,
                    struct attribution *out);

/* Size of the buffer attribute_source_url needs at most, NUL included. */
#define ATTRIBUTE_URL_MAX 2048

/* The source link of a repo-relative path (web.source_url): url_template with every
 * "{path}" replaced by path escaped as JavaScript's encodeURI does (so the dashboard and
 * the messages link alike) and every "{line}" by line. True with the NUL-terminated URL
 * in out; false, with out "", when the template or path is NULL or empty, the result is
 * not an http:// or https:// URL, or it does not fit in size bytes. */
bool attribute_source_url(const char *url_template, const char *path, int64_t line, char *out,
                          size_t size);

/* Number of roots kept, and the i-th (borrowed, with its trailing '/'). */
size_t attributor_n_roots(const struct attributor *attr);
const char *attributor_root_at(const struct attributor *attr, size_t i);

/* Frees attr (not the codeowners it borrows); NULL does nothing. */
void attributor_free(struct attributor *attr);

#endif
