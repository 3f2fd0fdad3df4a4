/* codeowners.h - a parsed GitHub CODEOWNERS file and the owner look-up over it, with
 * GitHub's semantics: `PATTERN OWNER...` lines, `#` comments, last matching line wins,
 * gitignore-style patterns as GitHub applies them (no `!` negation, no `[ ]` ranges, no
 * `\#` escape: such lines are invalid, skipped and counted, as are lines with an owner
 * that fails codeowners_owner_valid), a pattern without owners marks its files explicitly
 * unowned. Paths are case-sensitive. */
#ifndef LF_CODEOWNERS_H
#define LF_CODEOWNERS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The largest CODEOWNERS file accepted (GitHub ignores files over 3 MB). */
#define CODEOWNERS_MAX_BYTES ((size_t)3 << 20)

/* The longest owner accepted, in bytes. */
#define CODEOWNERS_OWNER_MAX_BYTES 256

/* The owner of sites no CODEOWNERS line and no owners.services entry names. */
#define CODEOWNERS_UNOWNED "unowned"

/* What an owner is, for messages. */
#define CODEOWNERS_OWNER_FORM                                                                      \
    "@user, @org/team or an e-mail address (UTF-8 without control characters, at most 256 bytes)"

struct codeowners;

/* Is the len bytes at owner an owner in CODEOWNERS form: "@user" or "@org/team" (ASCII
 * letters, digits, '-', '_', '.'), or an e-mail address "local@domain.tld" (UTF-8 without
 * control characters, spaces, '/', '\\', '"' or ','), at most CODEOWNERS_OWNER_MAX_BYTES?
 * With unowned_ok, CODEOWNERS_UNOWNED passes too: owners named in the config and the API
 * may be the fallback owner, CODEOWNERS lines may not. The one owner check of the server. */
bool codeowners_owner_valid(const char *owner, size_t len, bool unowned_ok);

/* One valid rule. Every pointer is borrowed from the codeowners object. */
struct codeowners_rule {
    const char *pattern;       /* as written */
    const char *const *owners; /* "@user", "@org/team" or an email address */
    size_t n_owners;           /* 0: the matching files are explicitly unowned */
    size_t line;               /* 1-based line number in the file */
};

/* Parses a CODEOWNERS text of len bytes (need not be NUL-terminated; copied, not kept:
 * the caller may free buf at once). Lines end in "\n" or "\r\n". Invalid lines
 * (negation, character ranges, a malformed owner) are skipped and counted, see
 * codeowners_n_invalid(). Returns a new object (caller frees with codeowners_free), or
 * NULL with err set: LF_ETOOBIG over CODEOWNERS_MAX_BYTES, LF_ENOMEM. */
struct codeowners *codeowners_parse(const char *buf, size_t len, struct lf_error *err);

/* Reads and parses the file at path. Returns a new object (caller frees with
 * codeowners_free), or NULL with err set (LF_EIO naming the file, or as
 * codeowners_parse, with the file name prefixed). */
struct codeowners *codeowners_load(const char *path, struct lf_error *err);

/* The last rule whose pattern matches repo_path, a path relative to the repository
 * root without a leading slash ("pkg/queue/queue.go"; a leading "/" is ignored).
 * Returns a borrowed rule (valid until codeowners_free; n_owners 0 = explicitly
 * unowned), or NULL when no rule matches or co is NULL. Reads co only: any number of
 * threads may match at once. Costs O(rules x pattern segments x path segments). */
const struct codeowners_rule *codeowners_match(const struct codeowners *co, const char *repo_path);

/* Number of valid rules, and the i-th of them (borrowed; NULL when i is out of range). */
size_t codeowners_n_rules(const struct codeowners *co);
const struct codeowners_rule *codeowners_rule_at(const struct codeowners *co, size_t i);

/* Number of lines skipped as invalid, and the line number of the first of them (0 when
 * none), for one warning at load time. */
size_t codeowners_n_invalid(const struct codeowners *co);
size_t codeowners_first_invalid_line(const struct codeowners *co);

/* Frees co and everything it owns; NULL does nothing. */
void codeowners_free(struct codeowners *co);

#endif
