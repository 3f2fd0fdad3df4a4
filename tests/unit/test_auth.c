/* test_auth.c - the token matrix: plaintext and SHA-256 entries from a real YAML config,
 * services and "*", admin, header parsing, and config errors. */
#include <string.h>

#include "auth.h"
#include "check_main.h"
#include "config.h"

static const char config_text[] =
        "tokens:\n"
        "  - token: \"agent-secret\"\n"
        "    services: [\"checkout\", \"search\"]\n"
        /* sha256("other-secret") */
        "  - token_sha256: "
        "\"9c0ee26e4a1fbb028187486a7ea91f81f8ab81fcf467cba75107dbd3a64244d7\"\n"
        "    services: [\"billing\"]\n"
        "  - token: \"fleet-secret\"\n"
        "    services: \"*\"\n"
        "  - token: \"admin-secret\"\n"
        "    admin: true\n";

static struct auth *load(const char *text, struct lf_error *err, int *rc)
{
    struct config *cfg = config_parse(text, strlen(text), "auth.yaml", err);
    ck_assert_ptr_nonnull(cfg);
    struct auth *auth = auth_create();
    ck_assert_ptr_nonnull(auth);
    *rc = auth_load_config(auth, cfg, err);
    config_free(cfg);
    return auth;
}

START_TEST(test_matrix)
{
    struct lf_error err;
    int rc;
    struct auth *auth = load(config_text, &err, &rc);
    ck_assert_int_eq(rc, LF_OK);
    ck_assert_uint_eq(auth_count(auth), 4);

    ck_assert_int_eq(auth_check(auth, NULL, AUTH_INGEST, "checkout", &err), LF_EAUTH);
    ck_assert_str_eq(err.msg, "missing bearer token");
    ck_assert_int_eq(auth_check(auth, "Bearer nope", AUTH_INGEST, "checkout", &err), LF_EAUTH);
    ck_assert_str_eq(err.msg, "unknown token");
    ck_assert_int_eq(auth_check(auth, "Basic YWJj", AUTH_INGEST, "checkout", &err), LF_EAUTH);
    ck_assert_int_eq(auth_check(auth, "Bearer ", AUTH_INGEST, "checkout", &err), LF_EAUTH);
    ck_assert_int_eq(auth_check(auth, "Bearer agent-secretX", AUTH_INGEST, "checkout", &err),
                     LF_EAUTH);

    ck_assert_int_eq(auth_check(auth, "Bearer agent-secret", AUTH_INGEST, "checkout", &err), LF_OK);
    ck_assert_int_eq(auth_check(auth, "bearer  agent-secret ", AUTH_INGEST, "search", &err), LF_OK);
    ck_assert_int_eq(auth_check(auth, "Bearer agent-secret", AUTH_INGEST, "billing", &err),
                     LF_EFORBIDDEN);
    ck_assert_str_eq(err.msg, "token may not push for service 'billing'");
    ck_assert_int_eq(auth_check(auth, "Bearer agent-secret", AUTH_ADMIN, NULL, &err),
                     LF_EFORBIDDEN);
    ck_assert_str_eq(err.msg, "this route needs an admin token");
    ck_assert_int_eq(auth_check(auth, "Bearer agent-secret", AUTH_NONE, NULL, &err), LF_OK);
    ck_assert_int_eq(auth_check(auth, "Bearer agent-secret", AUTH_INGEST, NULL, &err), LF_EINVAL);

    ck_assert_int_eq(auth_check(auth, "Bearer other-secret", AUTH_INGEST, "billing", &err), LF_OK);
    ck_assert_int_eq(auth_check(auth, "Bearer other-secret", AUTH_INGEST, "checkout", &err),
                     LF_EFORBIDDEN);
    ck_assert_int_eq(auth_check(auth, "Bearer fleet-secret", AUTH_INGEST, "anything", &err), LF_OK);
    ck_assert_int_eq(auth_check(auth, "Bearer admin-secret", AUTH_ADMIN, NULL, &err), LF_OK);
    ck_assert_int_eq(auth_check(auth, "Bearer admin-secret", AUTH_INGEST, "checkout", &err),
                     LF_EFORBIDDEN);
    auth_free(auth);
}
END_TEST

START_TEST(test_open_when_empty)
{
    struct lf_error err;
    int rc;
    struct auth *auth = load("listen: \"127.0.0.1:0\"\n", &err, &rc);
    ck_assert_int_eq(rc, LF_OK);
    ck_assert_uint_eq(auth_count(auth), 0);
    ck_assert_int_eq(auth_check(auth, NULL, AUTH_ADMIN, NULL, &err), LF_OK);
    auth_free(auth);
}
END_TEST

START_TEST(test_config_errors)
{
    struct lf_error err;
    int rc;
    struct auth *auth = load("tokens:\n  - token_sha256: \"abc\"\n", &err, &rc);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_str_eq(err.msg, "auth.yaml:2:5: tokens.0: token_sha256 must be 64 hex digits");
    auth_free(auth);
    auth = load("tokens:\n  - services: [a]\n", &err, &rc);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_str_eq(err.msg, "auth.yaml:2:5: tokens.0: give either a token or its sha256");
    auth_free(auth);
    auth = load("tokens: \"x\"\n", &err, &rc);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_str_eq(err.msg, "auth.yaml:1:9: tokens: expected a list");
    auth_free(auth);
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("check");
    tcase_add_test(tc, test_matrix);
    tcase_add_test(tc, test_open_when_empty);
    tcase_add_test(tc, test_config_errors);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(auth_suite)
