/* test_rules.c - unit tests of rules: the rule grammar and its errors with line numbers,
 * first-match-wins over hand-built stacks, and exact class counts over the real
 * shop-n25 dumps in every format. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "parse.h"
#include "rules.h"

static struct rules *parse_ok(const char *text)
{
    struct lf_error err;
    lf_error_clear(&err);
    struct rules *rules = rules_parse(text, strlen(text), "test.rules", &err);
    ck_assert_msg(rules != NULL, "%s", err.msg);
    return rules;
}

static void parse_fails(const char *text, enum lf_code code, const char *message)
{
    struct lf_error err;
    lf_error_clear(&err);
    struct rules *rules = rules_parse(text, strlen(text), "test.rules", &err);
    ck_assert_ptr_null(rules);
    ck_assert_int_eq(err.code, code);
    ck_assert_str_eq(err.msg, message);
}

START_TEST(test_grammar)
{
    struct rules *rules = parse_ok("# a comment\n"
                                   "\n"
                                   "pubsub   mentions  example.com/acme/leaky/internal/pubsub.\n"
                                   "  workers\tfunction main.worker   # trailing comment\n"
                                   "locks op sync.Mutex.Lock\n"
                                   "nil-chan op chan send (nil chan)\r\n"
                                   "vendor file /build/acme/vendor/\n"
                                   "pubsub mentions main.publish#not-a-comment\n");
    ck_assert_uint_eq(rules_count(rules), 6);
    const struct rule *r = rules_at(rules, 0);
    ck_assert_str_eq(r->class_name, "pubsub");
    ck_assert_int_eq(r->matcher, RULE_MENTIONS);
    ck_assert_str_eq(r->argument, "example.com/acme/leaky/internal/pubsub.");
    ck_assert_uint_eq(r->line, 3);
    r = rules_at(rules, 1);
    ck_assert_str_eq(r->class_name, "workers");
    ck_assert_int_eq(r->matcher, RULE_FUNCTION);
    ck_assert_str_eq(r->argument, "main.worker");
    ck_assert_uint_eq(r->line, 4);
    ck_assert_str_eq(rules_at(rules, 3)->argument, "chan send (nil chan)");
    ck_assert_int_eq(rules_at(rules, 4)->matcher, RULE_FILE);
    ck_assert_str_eq(rules_at(rules, 5)->argument, "main.publish#not-a-comment");
    ck_assert_ptr_null(rules_at(rules, 6));
    /* classes in order of first appearance, each once */
    ck_assert_uint_eq(rules_n_classes(rules), 5);
    ck_assert_str_eq(rules_class_at(rules, 0), "pubsub");
    ck_assert_str_eq(rules_class_at(rules, 4), "vendor");
    ck_assert_ptr_null(rules_class_at(rules, 5));
    ck_assert_str_eq(rule_matcher_name(RULE_OP), "op");
    rules_free(rules);

    rules = parse_ok("");
    ck_assert_uint_eq(rules_count(rules), 0);
    rules_free(rules);
    rules = parse_ok("# only\n   # comments\n\n");
    ck_assert_uint_eq(rules_count(rules), 0);
    rules_free(rules);
    rules_free(NULL);
}
END_TEST

START_TEST(test_errors_name_the_line)
{
    parse_fails("a mentions main.\nb frobnicates main.\n", LF_EINVAL,
                "test.rules: line 2: unknown matcher 'frobnicates' (want mentions, function, file "
                "or op)");
    parse_fails("\n\nlonely\n", LF_EINVAL,
                "test.rules: line 3: missing matcher after 'lonely' (want mentions, function, file "
                "or op)");
    parse_fails("x mentions\n", LF_EINVAL, "test.rules: line 1: 'mentions' needs an argument");
    parse_fails("x op   # nothing\n", LF_EINVAL, "test.rules: line 1: 'op' needs an argument");
    parse_fails("x function main.a main.b\n", LF_EINVAL,
                "test.rules: line 1: 'function' takes one prefix, got more");
    parse_fails("../etc mentions main.\n", LF_EINVAL,
                "test.rules: line 1: class name '../etc' starts with '.'");
    parse_fails(
            "ok mentions a\nbad/class mentions main.\n", LF_EINVAL,
            "test.rules: line 2: class name 'bad/class' may hold only letters, digits, '_', '-' "
            "and '.'");
    char with_nul[] = "a mentions main.\0x\n";
    struct lf_error err;
    ck_assert_ptr_null(rules_parse(with_nul, sizeof(with_nul) - 1, "nul.rules", &err));
    ck_assert_str_eq(err.msg, "nul.rules: line 1: NUL byte");
    char long_class[RULES_MAX_CLASS + 32];
    memset(long_class, 'c', RULES_MAX_CLASS + 1);
    memcpy(long_class + RULES_MAX_CLASS + 1, " op x\n", 7);
    parse_fails(long_class, LF_EINVAL, "test.rules: line 1: class name longer than 128 bytes");
    ck_assert_ptr_null(rules_load("tests/unit/no-such.rules", &err));
    ck_assert_int_eq(err.code, LF_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "tests/unit/no-such.rules"));
}
END_TEST

START_TEST(test_caps)
{
    size_t n = RULES_MAX_RULES + 1;
    char *text = lf_malloc(n * 16 + 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, 17, "c%05zu op sleep\n", i % 100000);
    struct lf_error err;
    ck_assert_ptr_null(rules_parse(text, len, "big.rules", &err));
    ck_assert_int_eq(err.code, LF_ETOOBIG);
    ck_assert_str_eq(err.msg, "big.rules: line 10001: more than 10000 rules");
    struct rules *rules = rules_parse(text, len - 16, "big.rules", &err);
    ck_assert_ptr_nonnull(rules);
    ck_assert_uint_eq(rules_count(rules), RULES_MAX_RULES);
    rules_free(rules);
    lf_free(text);
    ck_assert_ptr_null(rules_parse("", RULES_MAX_BYTES + 1, NULL, &err));
    ck_assert_int_eq(err.code, LF_ETOOBIG);
}
END_TEST

/* ---- matching ---------------------------------------------------------------------- */

static struct stack stack_of(struct stack_frame *frames, size_t n, const char *reason)
{
    struct stack s;
    memset(&s, 0, sizeof(s));
    s.count = 1;
    s.goroutine_id = 1;
    s.wait_reason = str_from_cstr(reason);
    s.wait_minutes = -1;
    s.frames = frames;
    s.n_frames = n;
    return s;
}

START_TEST(test_first_match_wins)
{
    struct rules *rules = parse_ok("publish  mentions example.com/acme/leaky/internal/pubsub.\n"
                                   "senders  op chan send\n"
                                   "workers  function main.work\n"
                                   "vendored file /build/acme/vendor/\n"
                                   "anything mentions main.\n");
    struct stack_frame publish[] = {
        { STR_LIT("example.com/acme/leaky/internal/pubsub.(*Bus).Publish.func1"),
          STR_LIT("/build/acme/pubsub.go"), 27 },
    };
    struct stack_frame worker[] = {
        { STR_LIT("runtime.gopark"), STR_LIT("/go/src/runtime/proc.go"), 363 },
        { STR_LIT("runtime.selectgo"), STR_LIT("/go/src/runtime/select.go"), 328 },
        { STR_LIT("main.worker"), STR_LIT("/build/acme/main.go"), 10 },
        { STR_LIT("main.main"), STR_LIT("/build/acme/main.go"), 3 },
    };
    struct stack_frame vendored[] = {
        { STR_LIT("github.com/x/y.Loop"), STR_LIT("/build/acme/vendor/github.com/x/y/y.go"), 9 },
        { STR_LIT("main.run"), STR_LIT("/build/acme/main.go"), 30 },
    };
    struct stack_frame runtime_only[] = {
        { STR_LIT("runtime.gopark"), STR_LIT("/go/src/runtime/proc.go"), 363 },
        { STR_LIT("runtime.bgsweep"), STR_LIT("/go/src/runtime/mgcsweep.go"), 278 },
    };
    struct stack s = stack_of(publish, 1, "chan send");
    ck_assert_str_eq(rules_classify(rules, &s), "publish"); /* not "senders": first wins */
    s = stack_of(publish, 1, "chan receive");
    ck_assert_str_eq(rules_classify(rules, &s), "publish");
    s = stack_of(worker, 4, "");
    /* "function" sees the site (main.worker), not the runtime frames */
    ck_assert_str_eq(rules_classify(rules, &s), "workers");
    const struct rule *rule = rules_match(rules, &s, NULL);
    ck_assert_uint_eq(rule->line, 3);
    s = stack_of(worker + 3, 1, "chan send");
    ck_assert_str_eq(rules_classify(rules, &s), "senders");
    s = stack_of(worker + 3, 1, "select");
    ck_assert_str_eq(rules_classify(rules, &s), "anything");
    s = stack_of(vendored, 2, "IO wait");
    ck_assert_str_eq(rules_classify(rules, &s), "vendored");
    s = stack_of(runtime_only, 2, "GC sweep wait");
    ck_assert_str_eq(rules_classify(rules, &s), RULES_UNKNOWN);
    ck_assert_ptr_null(rules_match(rules, &s, NULL));
    s = stack_of(NULL, 0, "");
    ck_assert_str_eq(rules_classify(rules, &s), RULES_UNKNOWN);
    rules_free(rules);
}
END_TEST

/* ---- real dumps ---------------------------------------------------------------------- */

struct tally {
    const struct rules *rules;
    const char *names[16];
    int64_t counts[16];
    size_t n;
};

static int tally_sink(void *ctx, const struct stack *stack, struct lf_error *err)
{
    (void)err;
    struct tally *t = ctx;
    const char *class_name = rules_classify(t->rules, stack);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->names[i], class_name) == 0) {
            t->counts[i] += stack->count;
            return LF_OK;
        }
    }
    ck_assert_uint_lt(t->n, 16);
    t->names[t->n] = class_name;
    t->counts[t->n++] = stack->count;
    return LF_OK;
}

static int64_t tally_of(const struct tally *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->names[i], name) == 0)
            return t->counts[i];
    }
    return 0;
}

START_TEST(test_shop_classes_every_format)
{
    struct lf_error err;
    struct rules *rules = rules_load("tests/golden/inputs/shop.rules", &err);
    ck_assert_msg(rules != NULL, "%s", err.msg);
    const char *files[] = { LF_FIXTURE("shop-n25.pb.gz"), LF_FIXTURE("shop-n25.debug1.txt"),
                            LF_FIXTURE("shop-n25.debug2.txt") };
    for (size_t k = 0; k < 3; k++) {
        FILE *f = fopen(files[k], "rb");
        ck_assert_ptr_nonnull(f);
        static char buf[1 << 18];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        struct tally t = { .rules = rules };
        ck_assert_int_eq(
                parse_buffer(PARSE_FORMAT_AUTO, buf, len, NULL, tally_sink, &t, NULL, &err), LF_OK);
        ck_assert_int_eq(tally_of(&t, "queue-worker"), 25);
        ck_assert_int_eq(tally_of(&t, "locks"), 50);
        ck_assert_int_eq(tally_of(&t, "waiters"), 50);
        ck_assert_int_eq(tally_of(&t, "nil-channels"), 50);
        ck_assert_int_eq(tally_of(&t, "forever"), 25);
        ck_assert_int_eq(tally_of(&t, "sleepers"), 25);
        ck_assert_int_eq(tally_of(&t, "http-server"), 3);
        /* main.deep, main.labelled.func1 and main.locked */
        ck_assert_int_eq(tally_of(&t, RULES_UNKNOWN), 51);
    }
    rules_free(rules);
}
END_TEST

static Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_grammar);
    tcase_add_test(tc, test_errors_name_the_line);
    tcase_add_test(tc, test_caps);
    suite_add_tcase(s, tc);
    tc = tcase_create("match");
    tcase_add_test(tc, test_first_match_wins);
    tcase_add_test(tc, test_shop_classes_every_format);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(rules_suite)
