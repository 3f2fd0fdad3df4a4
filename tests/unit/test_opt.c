/* test_opt.c - the one option reader (opt.h): "--x VALUE" and "--x=VALUE", flags without
 * values, -h and --help, "--" and "-" before operands, and the three usage errors. */
#include "opt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"

enum { ID_NAME = 1, ID_FLAG };

static const struct opt_spec specs[] = {
    { "--name", true, ID_NAME },
    { "--flag", false, ID_FLAG },
};

/* Reads args (NULL-terminated, argv[0] added) and writes one token a step into out:
 * "name=V", "flag", "op=V", "help", "error:MSG"; returns the number of steps. */
static size_t run(const char **args, char out[][300], size_t max)
{
    char *argv[32] = { (char *)(uintptr_t) "prog" };
    int argc = 1;
    while (args[argc - 1] != NULL)
        argv[argc] = (char *)(uintptr_t)args[argc - 1], argc++;
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    size_t n = 0;
    for (;;) {
        struct lf_error err;
        lf_error_clear(&err);
        const char *value = NULL;
        int id = opt_next(&reader, specs, 2, &value, &err);
        ck_assert_uint_lt(n, max);
        if (id == OPT_END)
            return n;
        if (id == ID_NAME)
            snprintf(out[n], 300, "name=%s", value);
        else if (id == ID_FLAG)
            snprintf(out[n], 300, "flag%s", value == NULL ? "" : "?");
        else if (id == OPT_OPERAND)
            snprintf(out[n], 300, "op=%s", value);
        else if (id == OPT_HELP)
            snprintf(out[n], 300, "help");
        else {
            ck_assert_int_eq(id, OPT_ERROR);
            ck_assert_int_eq(err.code, LF_EUSAGE);
            snprintf(out[n], 300, "error:%s", err.msg);
            return n + 1;
        }
        n++;
    }
}

#define EXPECT(want, ...)                                                                          \
    do {                                                                                           \
        const char *args_[] = { __VA_ARGS__, NULL };                                               \
        const char *want_[] = want;                                                                \
        char got_[16][300];                                                                        \
        size_t n_ = run(args_, got_, 16);                                                          \
        ck_assert_uint_eq(n_, sizeof(want_) / sizeof(want_[0]));                                   \
        for (size_t i_ = 0; i_ < n_; i_++)                                                         \
            ck_assert_str_eq(got_[i_], want_[i_]);                                                 \
    } while (0)
#define L(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

START_TEST(test_values_and_operands)
{
    EXPECT(L("name=a", "name=b", "flag", "op=x"), "--name", "a", "--name=b", "--flag", "x");
    EXPECT(L("name=", "name=-1", "name=a=b"), "--name=", "--name", "-1", "--name=a=b");
    EXPECT(L("op=x", "name=a", "op=y"), "x", "--name", "a", "y");
    EXPECT(L("op=-"), "-");
    EXPECT(L("op=--name", "op=-h", "op=--", "op=x"), "--", "--name", "-h", "--", "x");
    EXPECT(L("flag", "op=--flag"), "--flag", "--", "--flag");
}
END_TEST

START_TEST(test_help)
{
    EXPECT(L("help"), "-h");
    EXPECT(L("help"), "--help");
    EXPECT(L("name=a", "help", "op=x"), "--name", "a", "--help", "x");
}
END_TEST

START_TEST(test_errors)
{
    EXPECT(L("error:unknown option '--nam'"), "--nam", "a"); /* no abbreviations */
    EXPECT(L("error:unknown option '--names=a'"), "--names=a");
    EXPECT(L("error:unknown option '-x'"), "-x");
    EXPECT(L("error:unknown option '-name=a'"), "-name=a");
    EXPECT(L("error:--name needs a value"), "--name");
    EXPECT(L("flag", "error:--name needs a value"), "--flag", "--name");
    EXPECT(L("error:--flag takes no value, not '--flag=1'"), "--flag=1");
}
END_TEST

static Suite *opt_suite(void)
{
    Suite *s = suite_create("opt");
    TCase *tc = tcase_create("opt_next");
    tcase_add_test(tc, test_values_and_operands);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(opt_suite)
