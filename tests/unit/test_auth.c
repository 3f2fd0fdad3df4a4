/* test_auth.c - the token matrix: plaintext and SHA-256 entries from a real YAML config,
 * services and "*", admin, header parsing, config errors, no tokens only with `auth:
 * none`, and one token listed twice. */
#include <stdio.h>
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

/* sha256("other-secret"), and the same in capitals */
#define SHA_OTHER       "9c0ee26e4a1fbb028187486a7ea91f81f8ab81fcf467cba75107dbd3a64244d7"
#define SHA_OTHER_UPPER "9C0EE26E4A1FBB028187486A7EA91F81F8AB81FCF467CBA75107DBD3A64244D7"

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

START_TEST(test_open_only_when_said)
{
    struct lf_error err;
    int rc;
    /* no tokens and no `auth: none`: refused, not open */
    static const char *const closed[] = { "listen: \"127.0.0.1:0\"\n", "tokens: []\n",
                                          "auth: tokens\n", "auth: ~\ntokens:\n" };
    for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++) {
        struct auth *auth = load(closed[i], &err, &rc);
        ck_assert_int_eq(rc, LF_EINVAL);
        ck_assert_str_eq(err.msg, "auth.yaml: no tokens: list tokens, or set 'auth: none' for a "
                                  "local trial (anyone who can reach the server may then push "
                                  "and act on notifications)");
        auth_free(auth);
    }
    struct auth *auth = load("listen: \"127.0.0.1:0\"\nauth: none\n", &err, &rc);
    ck_assert_int_eq(rc, LF_OK);
    ck_assert_uint_eq(auth_count(auth), 0);
    ck_assert_int_eq(auth_check(auth, NULL, AUTH_ADMIN, NULL, &err), LF_OK);
    auth_free(auth);
    auth = load("auth: none\ntokens:\n  - token: x\n", &err, &rc);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_str_eq(err.msg, "auth.yaml:1:7: auth: 'none' but tokens are listed");
    auth_free(auth);
    auth = load("auth: off\n", &err, &rc);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_str_eq(err.msg, "auth.yaml:1:7: auth: expected 'none' or 'tokens'");
    auth_free(auth);
    auth = load("auth: [none]\n", &err, &rc);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_str_eq(err.msg, "auth.yaml:1:7: auth: expected a string");
    auth_free(auth);
}
END_TEST

START_TEST(test_duplicate_tokens)
{
    struct lf_error err;
    int rc;
    static const char *const twice[][2] = {
        { "tokens:\n  - token: a\n    services: [x]\n  - token: b\n  - token: a\n    admin: true\n",
          "auth.yaml:5:5: tokens.2: the same token as tokens.0" },
        { "tokens:\n  - token_sha256: " SHA_OTHER "\n  - token_sha256: " SHA_OTHER_UPPER "\n",
          "auth.yaml:3:5: tokens.1: the same token as tokens.0" },
        { "tokens:\n  - token_sha256: " SHA_OTHER "\n  - token: other-secret\n",
          "auth.yaml:3:5: tokens.1: the same token as tokens.0" },
        { "tokens:\n  - token: other-secret\n  - token_sha256: " SHA_OTHER "\n",
          "auth.yaml:3:5: tokens.1: the same token as tokens.0" },
    };
    for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
        struct auth *auth = load(twice[i][0], &err, &rc);
        ck_assert_int_eq(rc, LF_EINVAL);
        ck_assert_str_eq(err.msg, twice[i][1]);
        auth_free(auth);
    }
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

/* Each token's name is who acted; an unnamed one is "tokens.N". */
START_TEST(test_names)
{
    struct lf_error err;
    int rc;
    struct auth *auth = load("tokens:\n"
                             "  - token: \"agent-secret\"\n"
                             "    services: [\"checkout\"]\n"
                             "  - token: \"alice-secret\"\n"
                             "    name: \"alice@acme.example\"\n"
                             "    admin: true\n",
                             &err, &rc);
    ck_assert_int_eq(rc, LF_OK);
    char name[AUTH_NAME_MAX + 1];
    bool admin = true;
    ck_assert_int_eq(auth_who(auth, "Bearer alice-secret", name, sizeof(name), &admin, &err),
                     LF_OK);
    ck_assert_str_eq(name, "alice@acme.example");
    ck_assert(admin);
    ck_assert_int_eq(auth_who(auth, "Bearer agent-secret", name, sizeof(name), &admin, &err),
                     LF_OK);
    ck_assert_str_eq(name, "tokens.0");
    ck_assert(!admin);
    ck_assert_int_eq(auth_who(auth, "Bearer nope", name, sizeof(name), &admin, &err), LF_EAUTH);
    ck_assert_int_eq(auth_who(auth, NULL, name, sizeof(name), &admin, &err), LF_EAUTH);
    auth_free(auth);

    /* Names that would garble a log line or a history, and a name used twice. */
    static const char *const bad[] = {
        "\"\"", "\" alice\"", "\"al\\nice\"", "\"al\\u00e9\"",
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "tokens:\n  - token: \"t\"\n    name: %s\n", bad[i]);
        auth = load(text, &err, &rc);
        ck_assert_msg(rc == LF_EINVAL, "%s", bad[i]);
        ck_assert_msg(strstr(err.msg, "auth.yaml:2:5: tokens.0: name:") == err.msg, "%s", err.msg);
        auth_free(auth);
    }
    auth = load("tokens:\n  - token: \"a\"\n    name: bob\n  - token: \"b\"\n    name: bob\n", &err,
                &rc);
    ck_assert_int_eq(rc, LF_EINVAL);
    ck_assert_str_eq(err.msg, "auth.yaml:4:5: tokens.1: name: 'bob' is also tokens.0's name");
    auth_free(auth);

    /* With no tokens (auth: none) everyone is anonymous, and may act. */
    auth = auth_create();
    ck_assert_int_eq(auth_who(auth, NULL, name, sizeof(name), &admin, &err), LF_OK);
    ck_assert_str_eq(name, AUTH_ANONYMOUS);
    ck_assert(admin);
    auth_free(auth);
}
END_TEST

/* HTTP Basic with the token as the password (Alloy's basic_auth): the same check, the
 * same scoping; the user name plays no part. */
START_TEST(test_basic)
{
    struct lf_error err;
    int rc;
    struct auth *auth = load(config_text, &err, &rc);
    ck_assert_int_eq(rc, LF_OK);
    /* "tenant:agent-secret", ":agent-secret", "a:b:agent-secret" has password "b:agent-secret" */
    ck_assert_int_eq(
            auth_check(auth, "Basic dGVuYW50OmFnZW50LXNlY3JldA==", AUTH_INGEST, "checkout", &err),
            LF_OK);
    ck_assert_int_eq(auth_check(auth, "basic  OmFnZW50LXNlY3JldA== ", AUTH_INGEST, "search", &err),
                     LF_OK);
    ck_assert_int_eq(
            auth_check(auth, "Basic dGVuYW50OmFnZW50LXNlY3JldA==", AUTH_INGEST, "billing", &err),
            LF_EFORBIDDEN);
    ck_assert_str_eq(err.msg, "token may not push for service 'billing'");
    ck_assert_int_eq(
            auth_check(auth, "Basic YTpiOmFnZW50LXNlY3JldA==", AUTH_INGEST, "checkout", &err),
            LF_EAUTH);
    ck_assert_str_eq(err.msg, "unknown token");
    /* the token as the user name is not the password */
    ck_assert_int_eq(auth_check(auth, "Basic YWdlbnQtc2VjcmV0Og==", AUTH_INGEST, "checkout", &err),
                     LF_EAUTH);
    ck_assert_str_eq(err.msg, "missing token (the basic password)");
    ck_assert_int_eq(auth_check(auth, "Basic YWdlbnQtc2VjcmV0", AUTH_INGEST, "checkout", &err),
                     LF_EAUTH);
    ck_assert_str_eq(err.msg, "basic credentials must be base64 of USER:TOKEN");
    ck_assert_int_eq(auth_check(auth, "Basic !!!", AUTH_INGEST, "checkout", &err), LF_EAUTH);
    ck_assert_int_eq(auth_check(auth, "Basic ", AUTH_INGEST, "checkout", &err), LF_EAUTH);
    ck_assert_int_eq(auth_check(auth, "Basic eDphZG1pbi1zZWNyZXQ=", AUTH_ADMIN, NULL, &err), LF_OK);
    ck_assert_int_eq(auth_check(auth, "Digest abc", AUTH_ADMIN, NULL, &err), LF_EAUTH);
    ck_assert_str_eq(err.msg, "authorization must be 'Bearer TOKEN' or Basic");
    /* longer than any token may be: refused, not overflowed */
    char long_header[4096] = "Basic ";
    memset(long_header + 6, 'Q', sizeof(long_header) - 7);
    long_header[sizeof(long_header) - 1] = '\0';
    ck_assert_int_eq(auth_check(auth, long_header, AUTH_INGEST, "checkout", &err), LF_EAUTH);
    auth_free(auth);
}
END_TEST

/* A route whose services are named inside the request: the token is identified first,
 * then the grant answers for each service; a zeroed grant allows nothing. */
START_TEST(test_grant)
{
    struct lf_error err;
    int rc;
    struct auth *auth = load(config_text, &err, &rc);
    ck_assert_int_eq(rc, LF_OK);
    struct auth_grant grant;
    ck_assert_int_eq(
            auth_identify(auth, "Bearer agent-secret", AUTH_INGEST_LABELS, NULL, &grant, &err),
            LF_OK);
    ck_assert(auth_grant_allows(&grant, "checkout"));
    ck_assert(auth_grant_allows(&grant, "search"));
    ck_assert(!auth_grant_allows(&grant, "billing"));
    ck_assert(!auth_grant_allows(&grant, ""));
    ck_assert(!auth_grant_allows(&grant, NULL));
    ck_assert_int_eq(auth_identify(auth, "Basic dDpmbGVldC1zZWNyZXQ=", AUTH_INGEST_LABELS, NULL,
                                   &grant, &err),
                     LF_OK);
    ck_assert(auth_grant_allows(&grant, "anything"));
    /* an admin token pushes for no service */
    ck_assert_int_eq(
            auth_identify(auth, "Bearer admin-secret", AUTH_INGEST_LABELS, NULL, &grant, &err),
            LF_EFORBIDDEN);
    ck_assert_str_eq(err.msg, "token may not push for any service");
    ck_assert(!auth_grant_allows(&grant, "checkout"));
    ck_assert_int_eq(auth_identify(auth, "Bearer nope", AUTH_INGEST_LABELS, NULL, &grant, &err),
                     LF_EAUTH);
    ck_assert(!auth_grant_allows(&grant, "checkout"));
    struct auth_grant zero;
    memset(&zero, 0, sizeof(zero));
    ck_assert(!auth_grant_allows(&zero, "checkout"));
    auth_free(auth);
    /* an open server: every service */
    auth = load("auth: none\n", &err, &rc);
    ck_assert_int_eq(rc, LF_OK);
    ck_assert_int_eq(auth_identify(auth, NULL, AUTH_INGEST_LABELS, NULL, &grant, &err), LF_OK);
    ck_assert(auth_grant_allows(&grant, "checkout"));
    auth_free(auth);
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("check");
    tcase_add_test(tc, test_matrix);
    tcase_add_test(tc, test_open_only_when_said);
    tcase_add_test(tc, test_duplicate_tokens);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_basic);
    tcase_add_test(tc, test_grant);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(auth_suite)
