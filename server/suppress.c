/* suppress.c - expected classes over the rules module. The rules do the matching; this
 * module only remembers which classes are expected, why, and until when. */
#include "suppress.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rules.h"
#include "utf8.h"

struct expected {
    char *class_name;
    char *reason;
    int64_t until;
};

struct suppress {
    struct rules *rules;
    struct expected *expected;
    size_t n_expected;
    char reason[320];
};

void suppress_free(struct suppress *suppress)
{
    if (!suppress)
        return;
    rules_free(suppress->rules);
    for (size_t i = 0; i < suppress->n_expected; i++) {
        lf_free(suppress->expected[i].class_name);
        lf_free(suppress->expected[i].reason);
    }
    lf_free(suppress->expected);
    lf_free(suppress);
}

static bool rules_name_class(const struct rules *rules, const char *class_name)
{
    for (size_t i = 0; i < rules_n_classes(rules); i++)
        if (strcmp(rules_class_at(rules, i), class_name) == 0)
            return true;
    return false;
}

static int finish(struct suppress *suppress, const char *const *classes, const char *const *reasons,
                  const int64_t *untils, size_t n, struct lf_error *err)
{
    suppress->expected = lf_calloc(n ? n : 1, sizeof(*suppress->expected));
    if (!suppress->expected)
        return lf_fail(err, LF_ENOMEM, "suppress: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!rules_name_class(suppress->rules, classes[i]))
            return lf_fail(err, LF_EINVAL, "suppress: expected class '%s' has no rule", classes[i]);
        struct expected *e = &suppress->expected[suppress->n_expected++];
        e->class_name = lf_strdup(classes[i]);
        e->reason = lf_strdup(reasons[i] ? reasons[i] : "");
        e->until = untils ? untils[i] : 0;
        if (!e->class_name || !e->reason)
            return lf_fail(err, LF_ENOMEM, "suppress: out of memory");
    }
    return LF_OK;
}

int suppress_create(const char *rules_text, size_t rules_len, const char *rules_name,
                    const char *const *classes, const char *const *reasons, const int64_t *untils,
                    size_t n_expected, struct suppress **out, struct lf_error *err)
{
    *out = NULL;
    struct suppress *suppress = lf_calloc(1, sizeof(*suppress));
    if (!suppress)
        return lf_fail(err, LF_ENOMEM, "suppress: out of memory");
    suppress->rules = rules_parse(rules_text, rules_len, rules_name, err);
    int rc = suppress->rules ? finish(suppress, classes, reasons, untils, n_expected, err)
                             : (err ? (int)err->code : LF_EINVAL);
    if (rc != LF_OK) {
        suppress_free(suppress);
        return rc;
    }
    *out = suppress;
    return LF_OK;
}

int suppress_from_config(const struct config *cfg, struct suppress **out, struct lf_error *err)
{
    *out = NULL;
    const char *path = NULL;
    int rc = config_str(cfg, "detect.suppress.rules", NULL, &path, err);
    const struct config_node *list = config_get(NULL, cfg, "detect.suppress.expected");
    if (rc == LF_OK && !path && config_node_len(list) > 0)
        return lf_fail(err, LF_EINVAL,
                       "%s:%zu:%zu: detect.suppress.expected: needs "
                       "detect.suppress.rules (the file that defines its classes)",
                       config_name(cfg), config_node_line(list), config_node_column(list));
    if (rc != LF_OK || !path)
        return rc;
    size_t n = config_node_len(list);
    const char **classes = lf_calloc(n + 1, sizeof(*classes));
    const char **reasons = lf_calloc(n + 1, sizeof(*reasons));
    int64_t *untils = lf_calloc(n + 1, sizeof(*untils));
    struct suppress *suppress = lf_calloc(1, sizeof(*suppress));
    if (!classes || !reasons || !untils || !suppress) {
        rc = lf_fail(err, LF_ENOMEM, "suppress: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        const struct config_node *item = config_node_at(list, i);
        rc = config_node_str(cfg, config_get(item, cfg, "class"), NULL, &classes[i], err);
        if (rc == LF_OK && !classes[i])
            rc = lf_fail(err, LF_EINVAL, "%s:%zu: detect.suppress.expected: 'class' is required",
                         config_name(cfg), config_node_line(item));
        if (rc == LF_OK)
            rc = config_node_str(cfg, config_get(item, cfg, "reason"), "expected", &reasons[i],
                                 err);
        if (rc == LF_OK)
            rc = config_node_int(cfg, config_get(item, cfg, "until"), 0, 0, INT64_MAX, &untils[i],
                                 err);
    }
    if (rc != LF_OK)
        goto out;
    suppress->rules = rules_load(path, err);
    if (!suppress->rules) {
        rc = err ? (int)err->code : LF_EINVAL;
        goto out;
    }
    rc = finish(suppress, classes, reasons, untils, n, err);
    if (rc == LF_OK) {
        *out = suppress;
        suppress = NULL;
    }
out:
    suppress_free(suppress);
    lf_free(classes);
    lf_free(reasons);
    lf_free(untils);
    return rc;
}

const char *suppress_site(void *ctx, const char *service, const struct stack *rep, const char *op,
                          int64_t now)
{
    struct suppress *suppress = ctx;
    (void)service;
    (void)op;
    const char *class_name = rules_classify(suppress->rules, rep);
    for (size_t i = 0; i < suppress->n_expected; i++) {
        const struct expected *e = &suppress->expected[i];
        if (strcmp(e->class_name, class_name) != 0)
            continue;
        if (e->until && now >= e->until)
            return NULL;
        /* stored with the verdict: a long reason is cut on a character boundary */
        utf8_snprintf(suppress->reason, sizeof(suppress->reason), "%s: %s", e->class_name,
                      e->reason);
        return suppress->reason;
    }
    return NULL;
}
