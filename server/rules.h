/* rules.h - ordered classifier rules over goroutine stacks, Dotmesh-style: the first
 * rule that matches names the stack's class. One rule a line:
 *
 *     # comment                      (a '#' at a line's start or after blanks)
 *     CLASS  mentions  PREFIX        some frame's function starts with PREFIX
 *     CLASS  function  PREFIX        the site's function starts with PREFIX
 *     CLASS  file      PREFIX        the site's file starts with PREFIX
 *     CLASS  op        WORDS         the op's words are WORDS ("chan send", "IO wait")
 *
 * CLASS is letters, digits, '_', '-' and '.', not starting with '.', at most
 * RULES_MAX_CLASS bytes (it names a file). Used by `leakfleet classify` and for
 * suppressions. */
#ifndef LF_RULES_H
#define LF_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "error.h"
#include "stack.h"

#define RULES_MAX_BYTES ((size_t)1 << 20) /* largest rule file */
#define RULES_MAX_RULES 10000
#define RULES_MAX_CLASS 128

/* The class of stacks no rule matches. */
#define RULES_UNKNOWN "UNKNOWN"

enum rule_matcher {
    RULE_MENTIONS,
    RULE_FUNCTION,
    RULE_FILE,
    RULE_OP,
};

/* One rule; strings borrowed from the rules object. */
struct rule {
    const char *class_name;
    enum rule_matcher matcher;
    const char *argument; /* the prefix, or the op words */
    size_t line;          /* 1-based line in the file */
};

struct rules;

/* Parses a rule text of len bytes (need not be NUL-terminated); name labels errors
 * (NULL gives "rules"). Returns a new object (caller frees with rules_free), or NULL
 * with err set: LF_EINVAL "NAME: line N: ..." for a bad line (unknown matcher, missing
 * argument, bad class name, NUL byte), LF_ETOOBIG past RULES_MAX_BYTES or
 * RULES_MAX_RULES, LF_ENOMEM. An empty text (or only comments) is valid: no rules. */
struct rules *rules_parse(const char *buf, size_t len, const char *name, struct lf_error *err);

/* Reads and parses the file at path (errors name the path; LF_EIO when unreadable). */
struct rules *rules_load(const char *path, struct lf_error *err);

/* Frees rules; NULL does nothing. */
void rules_free(struct rules *rules);

/* Number of rules, and the i-th in file order (borrowed; NULL out of range). */
size_t rules_count(const struct rules *rules);
const struct rule *rules_at(const struct rules *rules, size_t i);

/* Distinct class names in order of first appearance (borrowed), for reports. */
size_t rules_n_classes(const struct rules *rules);
const char *rules_class_at(const struct rules *rules, size_t i);

/* True when rule matches stack, whose classification is site (from classify_stack). */
bool rule_matches(const struct rule *rule, const struct stack *stack, const struct site *site);

/* The first rule matching stack (site from classify_stack; NULL to have it computed),
 * or NULL when none does. Borrowed from rules. */
const struct rule *rules_match(const struct rules *rules, const struct stack *stack,
                               const struct site *site);

/* The class of stack: the first matching rule's class, or RULES_UNKNOWN. Borrowed. */
const char *rules_classify(const struct rules *rules, const struct stack *stack);

/* "mentions", "function", "file", "op". */
const char *rule_matcher_name(enum rule_matcher matcher);

#endif
