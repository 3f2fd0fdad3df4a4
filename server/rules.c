/* rules.c - parses rule files into an array of rules whose strings live in one arena,
 * and matches stacks against them in order. Matching costs O(rules x frames) prefix
 * compares per stack at worst; a rule file is small and read once. Classes are
 * validated as file names here, so `classify --out` can trust them. */
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "file.h"
#include "arena.h"

struct rules {
    struct arena arena;
    struct rule *rules;
    size_t n_rules, cap_rules;
    const char **classes;
    size_t n_classes, cap_classes;
};

static const char *const matcher_names[] = {
    [RULE_MENTIONS] = "mentions",
    [RULE_FUNCTION] = "function",
    [RULE_FILE] = "file",
    [RULE_OP] = "op",
};

const char *rule_matcher_name(enum rule_matcher matcher)
{
    if ((int)matcher < 0 || (size_t)matcher >= sizeof(matcher_names) / sizeof(matcher_names[0]))
        return "?";
    return matcher_names[matcher];
}

void rules_free(struct rules *rules)
{
    if (rules == NULL)
        return;
    arena_release(&rules->arena);
    lf_free(rules->rules);
    lf_free(rules->classes);
    lf_free(rules);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool class_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* Splits off the next blank-separated word of *line; an empty view when none. */
static struct str next_word(struct str *line)
{
    size_t i = 0;
    while (i < line->len && is_blank(line->p[i]))
        i++;
    size_t start = i;
    while (i < line->len && !is_blank(line->p[i]))
        i++;
    struct str word = str_make(line->p + start, i - start);
    *line = str_make(line->p + i, line->len - i);
    return word;
}

static struct str trim(struct str s)
{
    while (s.len > 0 && is_blank(s.p[0]))
        s = str_make(s.p + 1, s.len - 1);
    while (s.len > 0 && is_blank(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* Cuts a comment: '#' at the start or after a blank. */
static struct str cut_comment(struct str s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] == '#' && (i == 0 || is_blank(s.p[i - 1])))
            return str_make(s.p, i);
    }
    return s;
}

static int add_class(struct rules *rules, const char *name)
{
    for (size_t i = 0; i < rules->n_classes; i++) {
        if (strcmp(rules->classes[i], name) == 0)
            return LF_OK;
    }
    if (!LF_ALLOC_GROW(rules->classes, rules->n_classes + 1, rules->cap_classes, 16))
        return LF_ENOMEM;
    rules->classes[rules->n_classes++] = name;
    return LF_OK;
}

static int parse_line(struct rules *rules, struct str line, size_t line_no, const char *name,
                      struct lf_error *err)
{
    line = trim(cut_comment(line));
    if (line.len == 0)
        return LF_OK;
    if (memchr(line.p, '\0', line.len) != NULL)
        return lf_fail(err, LF_EINVAL, "%s: line %zu: NUL byte", name, line_no);
    struct str class_name = next_word(&line);
    struct str matcher = next_word(&line);
    struct str argument = trim(line);
    if (class_name.len > RULES_MAX_CLASS)
        return lf_fail(err, LF_EINVAL, "%s: line %zu: class name longer than %d bytes", name,
                       line_no, RULES_MAX_CLASS);
    if (class_name.p[0] == '.')
        return lf_fail(err, LF_EINVAL, "%s: line %zu: class name '%.*s' starts with '.'", name,
                       line_no, (int)class_name.len, class_name.p);
    for (size_t i = 0; i < class_name.len; i++) {
        if (!class_char_ok(class_name.p[i]))
            return lf_fail(err, LF_EINVAL,
                           "%s: line %zu: class name '%.*s' may hold only letters, digits, '_', "
                           "'-' and '.'",
                           name, line_no, (int)class_name.len, class_name.p);
    }
    enum rule_matcher kind;
    if (str_eq_cstr(matcher, "mentions"))
        kind = RULE_MENTIONS;
    else if (str_eq_cstr(matcher, "function"))
        kind = RULE_FUNCTION;
    else if (str_eq_cstr(matcher, "file"))
        kind = RULE_FILE;
    else if (str_eq_cstr(matcher, "op"))
        kind = RULE_OP;
    else if (matcher.len == 0)
        return lf_fail(err, LF_EINVAL,
                       "%s: line %zu: missing matcher after '%.*s' (want mentions, function, file "
                       "or op)",
                       name, line_no, (int)class_name.len, class_name.p);
    else
        return lf_fail(err, LF_EINVAL,
                       "%s: line %zu: unknown matcher '%.*s' (want mentions, function, file or op)",
                       name, line_no, (int)(matcher.len > 64 ? 64 : matcher.len), matcher.p);
    if (argument.len == 0)
        return lf_fail(err, LF_EINVAL, "%s: line %zu: '%s' needs an argument", name, line_no,
                       rule_matcher_name(kind));
    if (kind != RULE_OP) {
        struct str rest = argument;
        struct str word = next_word(&rest);
        if (trim(rest).len > 0)
            return lf_fail(err, LF_EINVAL, "%s: line %zu: '%s' takes one prefix, got more", name,
                           line_no, rule_matcher_name(kind));
        argument = word;
    }
    if (rules->n_rules >= RULES_MAX_RULES)
        return lf_fail(err, LF_ETOOBIG, "%s: line %zu: more than %d rules", name, line_no,
                       RULES_MAX_RULES);
    if (!LF_ALLOC_GROW(rules->rules, rules->n_rules + 1, rules->cap_rules, 16))
        return lf_fail(err, LF_ENOMEM, "%s: out of memory", name);
    struct rule *rule = &rules->rules[rules->n_rules];
    rule->class_name = arena_strdup(&rules->arena, class_name.p, class_name.len).p;
    rule->argument = arena_strdup(&rules->arena, argument.p, argument.len).p;
    rule->matcher = kind;
    rule->line = line_no;
    if (rule->class_name == NULL || rule->argument == NULL ||
        add_class(rules, rule->class_name) != LF_OK)
        return lf_fail(err, LF_ENOMEM, "%s: out of memory", name);
    rules->n_rules++;
    return LF_OK;
}

struct rules *rules_parse(const char *buf, size_t len, const char *name, struct lf_error *err)
{
    if (name == NULL)
        name = "rules";
    if (len > RULES_MAX_BYTES) {
        lf_fail(err, LF_ETOOBIG, "%s: larger than %zu bytes", name, RULES_MAX_BYTES);
        return NULL;
    }
    struct rules *rules = lf_calloc(1, sizeof(*rules));
    if (rules == NULL) {
        lf_fail(err, LF_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    arena_init(&rules->arena, 0);
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        line_no++;
        if (parse_line(rules, str_make(buf + pos, end - pos), line_no, name, err) != LF_OK) {
            rules_free(rules);
            return NULL;
        }
        pos = end + 1;
    }
    return rules;
}

struct rules *rules_load(const char *path, struct lf_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    struct lf_error why;
    int rc = file_load(path, RULES_MAX_BYTES, &buf, &len, &why);
    if (rc != LF_OK) {
        lf_fail(err, rc == LF_ENOTFOUND ? LF_EIO : rc, "%s: %s", path, why.msg);
        return NULL;
    }
    struct rules *rules = rules_parse(buf, len, path, err);
    lf_free(buf);
    return rules;
}

size_t rules_count(const struct rules *rules)
{
    return rules->n_rules;
}

const struct rule *rules_at(const struct rules *rules, size_t i)
{
    return i < rules->n_rules ? &rules->rules[i] : NULL;
}

size_t rules_n_classes(const struct rules *rules)
{
    return rules->n_classes;
}

const char *rules_class_at(const struct rules *rules, size_t i)
{
    return i < rules->n_classes ? rules->classes[i] : NULL;
}

bool rule_matches(const struct rule *rule, const struct stack *stack, const struct site *site)
{
    const struct stack_frame *at =
            site->frame < stack->n_frames ? &stack->frames[site->frame] : NULL;
    switch (rule->matcher) {
    case RULE_MENTIONS:
        for (size_t i = 0; i < stack->n_frames; i++) {
            if (str_has_prefix_cstr(stack->frames[i].function, rule->argument))
                return true;
        }
        return false;
    case RULE_FUNCTION:
        return at != NULL && str_has_prefix_cstr(at->function, rule->argument);
    case RULE_FILE:
        return at != NULL && str_has_prefix_cstr(at->file, rule->argument);
    case RULE_OP:
        return str_eq_cstr(site->op_words, rule->argument);
    }
    return false;
}

const struct rule *rules_match(const struct rules *rules, const struct stack *stack,
                               const struct site *site)
{
    struct site computed;
    if (site == NULL) {
        classify_stack(stack, &computed);
        site = &computed;
    }
    for (size_t i = 0; i < rules->n_rules; i++) {
        if (rule_matches(&rules->rules[i], stack, site))
            return &rules->rules[i];
    }
    return NULL;
}

const char *rules_classify(const struct rules *rules, const struct stack *stack)
{
    const struct rule *rule = rules_match(rules, stack, NULL);
    return rule != NULL ? rule->class_name : RULES_UNKNOWN;
}
