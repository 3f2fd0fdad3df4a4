/* codeowners.c - GitHub CODEOWNERS: parsing into compiled rules and the last-match-wins
 * look-up. Each pattern is compiled once into path segments (`**`, `*`, or a glob with
 * `*`, `?` and `\` escapes). A look-up splits the path once, takes as candidates only the
 * rules whose literal segment the path holds (an index by hash) plus the rules without
 * one, and tries them from the last down with a two-row dynamic programme, O(segments x
 * path segments) per rule, so no pattern makes matching exponential and a large file
 * costs little per path. Lines GitHub does not accept (`!` negation, `[ ]` ranges, `\#`,
 * malformed owners) are skipped and counted. codeowners_owner_valid is the one definition
 * of an owner for the whole server: CODEOWNERS lines, the config and the API. */
#include "codeowners.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "file.h"
#include "arena.h"
#include "utf8.h"

#define MAX_PATTERN_SEGMENTS 256
#define STACK_PATH_SEGMENTS  128

enum seg_kind {
    SEG_GLOB,        /* a name, possibly with `*`, `?`, `\x` */
    SEG_STAR,        /* exactly `*`: one whole path segment */
    SEG_DOUBLE_STAR, /* `**`: any number of segments (see match_rule) */
};

struct pattern_seg {
    enum seg_kind kind;
    const char *p; /* raw text with escapes, for SEG_GLOB */
    size_t len;
    bool literal; /* a SEG_GLOB without `*`, `?` or `\`: equals exactly one path segment */
};

struct rule {
    struct codeowners_rule pub;
    struct pattern_seg *segs; /* in the arena */
    size_t n_segs;
    bool tail_any;      /* a final name also matches everything below it */
    bool first_literal; /* segs[0] is a plain name: the path's first segment must equal it */
};

/* The look-up index: a rule with a literal segment can only match a path holding that
 * segment, so rules are filed under the hash of their last literal segment; the rest
 * are tried for every path. */
struct keyed_rule {
    uint64_t hash;
    size_t rule;
};

struct codeowners {
    struct arena arena;
    struct rule *rules;
    size_t n_rules;
    size_t cap_rules;
    size_t n_invalid;
    size_t first_invalid_line;
    struct keyed_rule *keyed; /* sorted by (hash, rule) */
    size_t n_keyed;
    size_t *generic; /* ascending */
    size_t n_generic;
};

/* A descending walk over one candidate list: keyed[0..left) or generic[0..left). */
struct cursor {
    const struct keyed_rule *keyed;
    const size_t *generic;
    size_t left;
};

/* ---- pattern matching -------------------------------------------------------------- */

/* Matches one path segment against a glob: `*` any run, `?` one byte, `\x` a literal x. */
static bool glob_match(const char *p, size_t plen, const char *s, size_t slen)
{
    size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
    while (si < slen) {
        if (pi < plen && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < plen) {
            char c = p[pi];
            size_t advance = 1;
            bool any = c == '?';
            if (c == '\\' && pi + 1 < plen) {
                c = p[pi + 1];
                advance = 2;
            }
            if (any || c == s[si]) {
                pi += advance;
                si++;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

/* Does the rule match the path split into n segments? Row i of the table says, for each
 * start j, whether segs[i..] match path[j..]; it is computed from row i+1. `**` first or
 * in the middle matches zero or more segments, `**` last one or more, `**` alone all. */
static bool match_rule(const struct rule *rule, const struct str *path, size_t n, bool *next,
                       bool *cur)
{
    /* Cheap necessary conditions first: most rules of a large file are anchored names, or
     * name a directory the path does not contain. */
    if (rule->first_literal && !str_eq(path[0], str_make(rule->segs[0].p, rule->segs[0].len)))
        return false;
    for (size_t i = 0; i < rule->n_segs; i++) {
        const struct pattern_seg *seg = &rule->segs[i];
        if (!seg->literal)
            continue;
        bool present = false;
        for (size_t j = 0; j < n && !present; j++)
            present = str_eq(path[j], str_make(seg->p, seg->len));
        if (!present)
            return false;
    }
    for (size_t j = 0; j <= n; j++)
        next[j] = rule->tail_any || j == n;
    for (size_t i = rule->n_segs; i-- > 0;) {
        const struct pattern_seg *seg = &rule->segs[i];
        if (seg->kind == SEG_DOUBLE_STAR && i == rule->n_segs - 1) {
            for (size_t j = 0; j <= n; j++)
                cur[j] = j < n;
        } else if (seg->kind == SEG_DOUBLE_STAR) {
            bool any = false;
            for (size_t j = n + 1; j-- > 0;) {
                any = any || next[j];
                cur[j] = any;
            }
        } else {
            for (size_t j = 0; j <= n; j++) {
                cur[j] = j < n && next[j + 1] &&
                         (seg->kind == SEG_STAR ||
                          glob_match(seg->p, seg->len, path[j].p, path[j].len));
            }
        }
        bool *swap = next;
        next = cur;
        cur = swap;
    }
    return next[0];
}

static size_t cursor_rule(const struct cursor *c)
{
    return c->keyed != NULL ? c->keyed[c->left - 1].rule : c->generic[c->left - 1];
}

/* Adds the cursor over the keyed rules filed under hash (none when there are none). */
static size_t add_keyed_cursor(const struct codeowners *co, uint64_t hash, struct cursor *cursors,
                               size_t n_cursors)
{
    size_t lo = 0, hi = co->n_keyed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (co->keyed[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < co->n_keyed && co->keyed[end].hash == hash)
        end++;
    if (end > lo)
        cursors[n_cursors++] = (struct cursor){ co->keyed + lo, NULL, end - lo };
    return n_cursors;
}

const struct codeowners_rule *codeowners_match(const struct codeowners *co, const char *repo_path)
{
    if (co == NULL || repo_path == NULL || co->n_rules == 0)
        return NULL;
    size_t len = strlen(repo_path);
    size_t max_segs = len / 2 + 1;
    struct str stack_segs[STACK_PATH_SEGMENTS];
    bool stack_rows[2 * (STACK_PATH_SEGMENTS + 1)];
    struct cursor stack_cursors[STACK_PATH_SEGMENTS + 1];
    uint64_t stack_hashes[STACK_PATH_SEGMENTS];
    struct str *segs = stack_segs;
    bool *rows = stack_rows;
    struct cursor *cursors = stack_cursors;
    uint64_t *hashes = stack_hashes;
    if (max_segs > STACK_PATH_SEGMENTS) {
        segs = lf_malloc(max_segs * sizeof(*segs));
        rows = lf_malloc(2 * (max_segs + 1) * sizeof(*rows));
        cursors = lf_malloc((max_segs + 1) * sizeof(*cursors));
        hashes = lf_malloc(max_segs * sizeof(*hashes));
    }
    const struct codeowners_rule *found = NULL;
    if (segs == NULL || rows == NULL || cursors == NULL || hashes == NULL)
        goto out;
    /* empty segments ("a//b", a leading or trailing "/") carry no name: skip them */
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t start = i;
        while (i < len && repo_path[i] != '/')
            i++;
        if (i > start && !(i - start == 1 && repo_path[start] == '.'))
            segs[n++] = str_make(repo_path + start, i - start);
        i++;
    }
    if (n == 0)
        goto out;
    /* candidates: the generic rules and the rules filed under each distinct segment */
    size_t n_cursors = 0;
    if (co->n_generic > 0)
        cursors[n_cursors++] = (struct cursor){ NULL, co->generic, co->n_generic };
    for (size_t j = 0; j < n; j++) {
        hashes[j] = str_hash(segs[j], STR_HASH_SEED);
        bool seen = false;
        for (size_t k = 0; k < j && !seen; k++)
            seen = hashes[k] == hashes[j];
        if (!seen)
            n_cursors = add_keyed_cursor(co, hashes[j], cursors, n_cursors);
    }
    /* last match wins: try the candidates from the highest rule number down */
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t c = 0; c < n_cursors; c++) {
            if (cursors[c].left > 0 &&
                (best == SIZE_MAX || cursor_rule(&cursors[c]) > cursor_rule(&cursors[best])))
                best = c;
        }
        if (best == SIZE_MAX)
            break;
        size_t r = cursor_rule(&cursors[best]);
        cursors[best].left--;
        if (match_rule(&co->rules[r], segs, n, rows, rows + n + 1)) {
            found = &co->rules[r].pub;
            break;
        }
    }
out:
    if (segs != stack_segs) {
        lf_free(segs);
        lf_free(rows);
        lf_free(cursors);
        lf_free(hashes);
    }
    return found;
}

/* ---- parsing ----------------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* True when valid UTF-8 (p, len) holds a control character: C0, DEL, or C1 (U+0080 to
 * U+009F, encoded C2 80 to C2 9F). */
static bool has_control(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f)
            return true;
        if (c == 0xc2 && i + 1 < len && (unsigned char)p[i + 1] <= 0x9f)
            return true;
    }
    return false;
}

bool codeowners_owner_valid(const char *owner, size_t len, bool unowned_ok)
{
    if (owner == NULL || len == 0 || len > CODEOWNERS_OWNER_MAX_BYTES)
        return false;
    if (unowned_ok && len == strlen(CODEOWNERS_UNOWNED) &&
        memcmp(owner, CODEOWNERS_UNOWNED, len) == 0)
        return true;
    struct str o = str_make(owner, len);
    if (!utf8_valid(o.p, o.len) || has_control(o.p, o.len))
        return false;
    /* "@user" or "@org/team": ASCII names, as GitHub allows */
    if (o.len >= 2 && o.p[0] == '@') {
        size_t i = 1, slash = 0;
        for (; i < o.len; i++) {
            if (o.p[i] == '/' && slash == 0 && i > 1)
                slash = i;
            else if (!is_name_char(o.p[i]))
                return false;
        }
        return slash == 0 || slash + 1 < o.len;
    }
    /* "local@domain.tld": printable UTF-8 (an internationalised address); the bytes of
     * a multi-byte character are never ASCII */
    size_t at = 0, n_at = 0;
    for (size_t i = 0; i < o.len; i++) {
        char c = o.p[i];
        if (c == ' ' || c == '/' || c == '\\' || c == '"' || c == ',')
            return false;
        if (c == '@') {
            at = i;
            n_at++;
        }
    }
    if (n_at != 1 || at == 0 || at + 1 >= o.len)
        return false;
    const char *dot = memchr(o.p + at + 1, '.', o.len - at - 1);
    return dot != NULL && dot > o.p + at + 1 && dot < o.p + o.len - 1;
}

/* Splits a pattern into segments the way GitHub reads gitignore patterns. Returns 1,
 * 0 for a pattern GitHub does not accept, or LF_ENOMEM. */
static int compile_pattern(struct arena *arena, struct str pat, struct rule *rule)
{
    if (pat.len == 0 || pat.p[0] == '!' || (pat.len >= 2 && pat.p[0] == '\\' && pat.p[1] == '#'))
        return 0;
    for (size_t i = 0; i < pat.len; i++) {
        if (pat.p[i] == '\\') {
            if (i + 1 == pat.len)
                return 0;
            i++;
        } else if (pat.p[i] == '[' || pat.p[i] == ']') {
            return 0;
        }
    }
    struct str raw[MAX_PATTERN_SEGMENTS + 2];
    size_t n = 0;
    for (size_t i = 0;; i++) {
        size_t start = i;
        while (i < pat.len && pat.p[i] != '/')
            i++;
        if (n == MAX_PATTERN_SEGMENTS)
            return 0;
        raw[n++] = str_make(pat.p + start, i - start);
        if (i >= pat.len)
            break;
    }
    size_t first = 0;
    bool prepend = false;
    if (raw[0].len == 0) {
        first = 1; /* leading slash: anchored at the root */
    } else if ((n == 1 || (n == 2 && raw[1].len == 0)) && !str_eq_cstr(raw[0], "**")) {
        prepend = true; /* one name without a slash: at any depth */
    }
    bool trailing = n - first > 1 && raw[n - 1].len == 0;
    size_t count = (prepend ? 1 : 0) + (n - first);
    struct pattern_seg *segs = arena_alloc(arena, count * sizeof(*segs));
    if (segs == NULL)
        return LF_ENOMEM;
    size_t k = 0;
    if (prepend)
        segs[k++] = (struct pattern_seg){ SEG_DOUBLE_STAR, NULL, 0, false };
    for (size_t i = first; i < n; i++) {
        struct str s = raw[i];
        if (i == n - 1 && trailing) {
            segs[k++] = (struct pattern_seg){ SEG_DOUBLE_STAR, NULL, 0, false };
        } else if (s.len == 0) {
            return 0;
        } else if (str_eq_cstr(s, "**")) {
            segs[k++] = (struct pattern_seg){ SEG_DOUBLE_STAR, NULL, 0, false };
        } else if (str_eq_cstr(s, "*")) {
            segs[k++] = (struct pattern_seg){ SEG_STAR, NULL, 0, false };
        } else {
            segs[k++] = (struct pattern_seg){ SEG_GLOB, s.p, s.len, false };
        }
    }
    if (k == 0)
        return 0;
    rule->segs = segs;
    rule->n_segs = k;
    rule->tail_any = segs[k - 1].kind == SEG_GLOB;
    for (size_t i = 0; i < k; i++) {
        segs[i].literal = segs[i].kind == SEG_GLOB;
        for (size_t c = 0; c < segs[i].len && segs[i].literal; c++)
            segs[i].literal = segs[i].p[c] != '*' && segs[i].p[c] != '?' && segs[i].p[c] != '\\';
    }
    rule->first_literal = segs[0].literal;
    return 1;
}

static void note_invalid(struct codeowners *co, size_t line)
{
    if (co->n_invalid++ == 0)
        co->first_invalid_line = line;
}

/* Parses one line (without its newline). Returns LF_OK (the line was used, skipped or
 * counted as invalid) or LF_ENOMEM. */
static int parse_line(struct codeowners *co, const char *p, size_t len, size_t line,
                      struct lf_error *err)
{
    size_t i = 0;
    while (i < len && is_space(p[i]))
        i++;
    if (i == len || p[i] == '#')
        return LF_OK;
    size_t start = i;
    while (i < len && !is_space(p[i])) {
        if (p[i] == '\\' && i + 1 < len)
            i++;
        i++;
    }
    if (i > len)
        i = len;
    struct str pattern = str_make(p + start, i - start);

    struct str owners[64];
    size_t n_owners = 0;
    bool valid = true;
    for (;;) {
        while (i < len && is_space(p[i]))
            i++;
        if (i == len || p[i] == '#')
            break;
        size_t o_start = i;
        while (i < len && !is_space(p[i]))
            i++;
        struct str owner = str_make(p + o_start, i - o_start);
        if (!codeowners_owner_valid(owner.p, owner.len, false) ||
            n_owners == sizeof(owners) / sizeof(owners[0])) {
            valid = false;
            break;
        }
        owners[n_owners++] = owner;
    }
    struct rule rule;
    memset(&rule, 0, sizeof(rule));
    /* compiled segments point into the arena copy: the caller's buffer is not kept */
    struct str pat_copy = arena_strdup(&co->arena, pattern.p, pattern.len);
    if (pat_copy.p == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    int compiled = valid ? compile_pattern(&co->arena, pat_copy, &rule) : 0;
    if (compiled < 0)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    if (compiled == 0) {
        note_invalid(co, line);
        return LF_OK;
    }
    const char **owner_copies = NULL;
    if (n_owners > 0)
        owner_copies = arena_alloc(&co->arena, n_owners * sizeof(*owner_copies));
    if (n_owners > 0 && owner_copies == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    for (size_t k = 0; k < n_owners; k++) {
        struct str copy = arena_strdup(&co->arena, owners[k].p, owners[k].len);
        if (copy.p == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory");
        owner_copies[k] = copy.p;
    }
    rule.pub.pattern = pat_copy.p;
    rule.pub.owners = owner_copies;
    rule.pub.n_owners = n_owners;
    rule.pub.line = line;
    if (!LF_ALLOC_GROW(co->rules, co->n_rules + 1, co->cap_rules, 16))
        return lf_fail(err, LF_ENOMEM, "out of memory");
    co->rules[co->n_rules++] = rule;
    return LF_OK;
}

static int compare_keyed(const void *a, const void *b)
{
    const struct keyed_rule *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->rule > y->rule) - (x->rule < y->rule);
}

static int build_index(struct codeowners *co)
{
    if (co->n_rules == 0)
        return LF_OK;
    co->keyed = lf_malloc(co->n_rules * sizeof(*co->keyed));
    co->generic = lf_malloc(co->n_rules * sizeof(*co->generic));
    if (co->keyed == NULL || co->generic == NULL)
        return LF_ENOMEM;
    for (size_t r = 0; r < co->n_rules; r++) {
        const struct rule *rule = &co->rules[r];
        const struct pattern_seg *key = NULL;
        for (size_t i = 0; i < rule->n_segs; i++) {
            if (rule->segs[i].literal)
                key = &rule->segs[i];
        }
        if (key == NULL)
            co->generic[co->n_generic++] = r;
        else
            co->keyed[co->n_keyed++] =
                    (struct keyed_rule){ str_hash(str_make(key->p, key->len), STR_HASH_SEED), r };
    }
    qsort(co->keyed, co->n_keyed, sizeof(*co->keyed), compare_keyed);
    return LF_OK;
}

struct codeowners *codeowners_parse(const char *buf, size_t len, struct lf_error *err)
{
    if (len > CODEOWNERS_MAX_BYTES) {
        lf_fail(err, LF_ETOOBIG, "codeowners file of %zu bytes is over the %zu byte limit", len,
                CODEOWNERS_MAX_BYTES);
        return NULL;
    }
    struct codeowners *co = lf_calloc(1, sizeof(*co));
    if (co == NULL) {
        lf_fail(err, LF_ENOMEM, "out of memory");
        return NULL;
    }
    arena_init(&co->arena, 0);
    size_t line = 1;
    size_t i = 0;
    /* a UTF-8 byte order mark is not part of the first pattern */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl == NULL ? len : (size_t)(nl - buf);
        if (parse_line(co, buf + i, end - i, line, err) != LF_OK) {
            codeowners_free(co);
            return NULL;
        }
        line++;
        i = end + 1;
    }
    if (build_index(co) != LF_OK) {
        lf_fail(err, LF_ENOMEM, "out of memory");
        codeowners_free(co);
        return NULL;
    }
    return co;
}

struct codeowners *codeowners_load(const char *path, struct lf_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    struct lf_error why;
    int rc = file_load(path, CODEOWNERS_MAX_BYTES, &buf, &len, &why);
    if (rc != LF_OK) {
        lf_fail(err, rc == LF_ENOTFOUND ? LF_EIO : rc, "codeowners '%s': %s", path, why.msg);
        return NULL;
    }
    struct codeowners *co = codeowners_parse(buf, len, err);
    if (co == NULL)
        lf_error_prefix(err, "codeowners '%s'", path);
    lf_free(buf);
    return co;
}

size_t codeowners_n_rules(const struct codeowners *co)
{
    return co == NULL ? 0 : co->n_rules;
}

const struct codeowners_rule *codeowners_rule_at(const struct codeowners *co, size_t i)
{
    if (co == NULL || i >= co->n_rules)
        return NULL;
    return &co->rules[i].pub;
}

size_t codeowners_n_invalid(const struct codeowners *co)
{
    return co == NULL ? 0 : co->n_invalid;
}

size_t codeowners_first_invalid_line(const struct codeowners *co)
{
    return co == NULL ? 0 : co->first_invalid_line;
}

void codeowners_free(struct codeowners *co)
{
    if (co == NULL)
        return;
    arena_release(&co->arena);
    lf_free(co->rules);
    lf_free(co->keyed);
    lf_free(co->generic);
    lf_free(co);
}
