/* suppress.h - known false positives kept out of the suspects: a rules file in the
 * `classify` syntax (rules.h) names classes of stacks, and the configuration declares some
 * classes expected, each with a reason and an optional expiry:
 *
 *   detect:
 *     suppress:
 *       rules: ./leak-rules.txt
 *       expected:
 *         - class: WorkerPool
 *           reason: "fixed-size pool, idle by design"
 *           until: 1798761600        # unix seconds; omitted = for good
 *
 * A suppressed site stays visible, with "CLASS: reason" recorded as why. */
#ifndef LF_SUPPRESS_H
#define LF_SUPPRESS_H

#include <stdint.h>

#include "config.h"
#include "error.h"
#include "stack.h"

struct suppress;

/* Reads detect.suppress from cfg (borrowed for the call). Returns LF_OK with *out set —
 * NULL when the configuration declares no suppression — or LF_EINVAL / LF_EIO with err
 * naming the file and line (a rules file that does not parse, an expected class no rule
 * names). Free with suppress_free. */
int suppress_from_config(const struct config *cfg, struct suppress **out, struct lf_error *err);

/* Builds a suppression from a rules text and expected classes directly (for tests and
 * for suppress_from_config): classes[i] is expected for reasons[i] until untils[i]
 * (0 = for good). */
int suppress_create(const char *rules_text, size_t rules_len, const char *rules_name,
                    const char *const *classes, const char *const *reasons, const int64_t *untils,
                    size_t n_expected, struct suppress **out, struct lf_error *err);

/* A detect_suppress_fn (ctx = struct suppress *): "CLASS: reason" when rep's class is
 * expected and unexpired at now, else NULL. The text is owned by the suppression and
 * valid until the next call on it from the same thread (detection runs one pass at a
 * time). */
const char *suppress_site(void *ctx, const char *service, const struct stack *rep, const char *op,
                          int64_t now);

void suppress_free(struct suppress *suppress);

#endif
