/* auth.c - token storage and checks. Each token is held only as BLAKE2b keyed with a
 * per-process random key over the token's SHA-256 (so `token_sha256:` entries and
 * plaintext entries land in one form); a check costs one SHA-256, one BLAKE2b and one
 * constant-time comparison per configured token, never an early exit on a byte. */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "alloc.h"
#include "str.h"

#define AUTH_DIGEST_BYTES 32

struct auth_token {
    unsigned char digest[AUTH_DIGEST_BYTES];
    char **services; /* owned copies */
    size_t n_services;
    bool all_services;
    bool admin;
    char name[AUTH_NAME_MAX + 1]; /* `name:`, else "tokens.N": the actor of its actions */
};

struct auth {
    unsigned char key[crypto_generichash_KEYBYTES];
    struct auth_token *tokens;
    size_t n_tokens;
};

struct auth *auth_create(void)
{
    if (sodium_init() < 0)
        return NULL;
    struct auth *auth = lf_calloc(1, sizeof(*auth));
    if (auth == NULL)
        return NULL;
    randombytes_buf(auth->key, sizeof(auth->key));
    return auth;
}

static void token_release(struct auth_token *token)
{
    for (size_t i = 0; i < token->n_services; i++)
        lf_free(token->services[i]);
    lf_free(token->services);
    token->services = NULL;
    token->n_services = 0;
}

void auth_free(struct auth *auth)
{
    if (auth == NULL)
        return;
    for (size_t i = 0; i < auth->n_tokens; i++)
        token_release(&auth->tokens[i]);
    lf_free(auth->tokens);
    sodium_memzero(auth->key, sizeof(auth->key));
    lf_free(auth);
}

size_t auth_count(const struct auth *auth)
{
    return auth == NULL ? 0 : auth->n_tokens;
}

/* The stored form of a token from its SHA-256. */
static void keyed_digest(const struct auth *auth, const unsigned char sha[crypto_hash_sha256_BYTES],
                         unsigned char out[AUTH_DIGEST_BYTES])
{
    crypto_generichash(out, AUTH_DIGEST_BYTES, sha, crypto_hash_sha256_BYTES, auth->key,
                       sizeof(auth->key));
}

int auth_add(struct auth *auth, const char *token, const char *sha256_hex,
             const char *const *services, size_t n_services, bool admin, struct lf_error *err)
{
    unsigned char sha[crypto_hash_sha256_BYTES];
    if ((token == NULL) == (sha256_hex == NULL))
        return lf_fail(err, LF_EINVAL, "give either a token or its sha256");
    if (token != NULL) {
        if (token[0] == '\0')
            return lf_fail(err, LF_EINVAL, "empty token");
        crypto_hash_sha256(sha, (const unsigned char *)token, strlen(token));
    } else {
        size_t bin_len = 0;
        if (strlen(sha256_hex) != 2 * sizeof(sha) ||
            sodium_hex2bin(sha, sizeof(sha), sha256_hex, strlen(sha256_hex), NULL, &bin_len,
                           NULL) != 0 ||
            bin_len != sizeof(sha))
            return lf_fail(err, LF_EINVAL, "token_sha256 must be 64 hex digits");
    }
    /* One token twice would grant the rights of its first entry only: refuse it. */
    unsigned char digest[AUTH_DIGEST_BYTES];
    keyed_digest(auth, sha, digest);
    sodium_memzero(sha, sizeof(sha));
    for (size_t i = 0; i < auth->n_tokens; i++) {
        if (sodium_memcmp(auth->tokens[i].digest, digest, AUTH_DIGEST_BYTES) == 0)
            return lf_fail(err, LF_EINVAL, "the same token as tokens.%zu", i);
    }
    struct auth_token *grown =
            lf_realloc(auth->tokens, (auth->n_tokens + 1) * sizeof(*auth->tokens));
    if (grown == NULL)
        return lf_fail(err, LF_ENOMEM, "out of memory");
    auth->tokens = grown;
    struct auth_token *entry = &auth->tokens[auth->n_tokens];
    memset(entry, 0, sizeof(*entry));
    entry->admin = admin;
    if (n_services > 0) {
        entry->services = lf_calloc(n_services, sizeof(*entry->services));
        if (entry->services == NULL)
            return lf_fail(err, LF_ENOMEM, "out of memory");
        for (size_t i = 0; i < n_services; i++) {
            if (strcmp(services[i], "*") == 0)
                entry->all_services = true;
            entry->services[i] = lf_strdup(services[i]);
            if (entry->services[i] == NULL) {
                token_release(entry);
                return lf_fail(err, LF_ENOMEM, "out of memory");
            }
            entry->n_services = i + 1;
        }
    }
    memcpy(entry->digest, digest, sizeof(digest));
    snprintf(entry->name, sizeof(entry->name), "tokens.%zu", auth->n_tokens);
    auth->n_tokens++;
    return LF_OK;
}

bool auth_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > AUTH_NAME_MAX || name[0] == ' ' || name[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

int auth_set_name(struct auth *auth, size_t index, const char *name, struct lf_error *err)
{
    if (index >= auth->n_tokens)
        return lf_fail(err, LF_EINVAL, "no token %zu", index);
    if (!auth_name_valid(name))
        return lf_fail(err, LF_EINVAL,
                       "name: 1 to %d printable ASCII characters, no leading or trailing space",
                       AUTH_NAME_MAX);
    for (size_t i = 0; i < auth->n_tokens; i++) {
        if (i != index && strcmp(auth->tokens[i].name, name) == 0)
            return lf_fail(err, LF_EINVAL, "name: '%s' is also tokens.%zu's name", name, i);
    }
    snprintf(auth->tokens[index].name, sizeof(auth->tokens[index].name), "%s", name);
    return LF_OK;
}

/* The `auth:` key: absent or "tokens" (the default) needs at least one token, "none"
 * runs open and allows no token. */
static int read_auth_mode(const struct config *cfg, bool *open, struct lf_error *err)
{
    const struct config_node *node = config_get(NULL, cfg, "auth");
    const char *mode = NULL;
    int rc = config_node_str(cfg, node, "tokens", &mode, err);
    if (rc != LF_OK)
        return rc;
    *open = strcmp(mode, "none") == 0;
    if (!*open && strcmp(mode, "tokens") != 0)
        return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: auth: expected 'none' or 'tokens'",
                       config_name(cfg), config_node_line(node), config_node_column(node));
    return LF_OK;
}

int auth_load_config(struct auth *auth, const struct config *cfg, struct lf_error *err)
{
    bool open = false;
    int rc = read_auth_mode(cfg, &open, err);
    if (rc != LF_OK)
        return rc;
    const struct config_node *list = config_get(NULL, cfg, "tokens");
    if (list != NULL && config_node_type(list) != CONFIG_NULL &&
        config_node_type(list) != CONFIG_SEQ)
        return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: tokens: expected a list", config_name(cfg),
                       config_node_line(list), config_node_column(list));
    if (open && config_node_len(list) > 0) {
        const struct config_node *node = config_get(NULL, cfg, "auth");
        return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: auth: 'none' but tokens are listed",
                       config_name(cfg), config_node_line(node), config_node_column(node));
    }
    if (!open && config_node_len(list) == 0)
        return lf_fail(err, LF_EINVAL,
                       "%s: no tokens: list tokens, or set 'auth: none' for a local trial (anyone "
                       "who can reach the server may then push and act on notifications)",
                       config_name(cfg));
    const char **services = NULL;
    for (size_t i = 0; i < config_node_len(list); i++) {
        const struct config_node *entry = config_node_at(list, i);
        char path[32];
        snprintf(path, sizeof(path), "tokens.%zu", i);
        if (config_node_type(entry) != CONFIG_MAP) {
            rc = lf_fail(err, LF_EINVAL,
                         "%s:%zu:%zu: %s: expected a map with token:", config_name(cfg),
                         config_node_line(entry), config_node_column(entry), path);
            goto out;
        }
        const char *token = NULL;
        const char *sha = NULL;
        const char *name = NULL;
        bool admin = false;
        size_t n_services = 0;
        rc = config_node_str(cfg, config_get(entry, cfg, "token"), NULL, &token, err);
        if (rc == LF_OK)
            rc = config_node_str(cfg, config_get(entry, cfg, "token_sha256"), NULL, &sha, err);
        if (rc == LF_OK)
            rc = config_node_str(cfg, config_get(entry, cfg, "name"), NULL, &name, err);
        if (rc == LF_OK)
            rc = config_node_bool(cfg, config_get(entry, cfg, "admin"), false, &admin, err);
        if (rc == LF_OK)
            rc = config_node_strings(cfg, config_get(entry, cfg, "services"), &services,
                                     &n_services, err);
        if (rc != LF_OK)
            goto out;
        rc = auth_add(auth, token, sha, services, n_services, admin, err);
        lf_free(services);
        services = NULL;
        if (rc == LF_OK && name != NULL)
            rc = auth_set_name(auth, auth->n_tokens - 1, name, err);
        if (rc != LF_OK) {
            lf_error_prefix(err, "%s:%zu:%zu: %s", config_name(cfg), config_node_line(entry),
                            config_node_column(entry), path);
            goto out;
        }
    }
out:
    lf_free(services);
    return rc;
}

static bool token_allows(const struct auth_token *token, const char *service)
{
    if (token->all_services)
        return true;
    for (size_t i = 0; i < token->n_services; i++) {
        if (strcmp(token->services[i], service) == 0)
            return true;
    }
    return false;
}

/* Trims spaces on both ends of *value. */
static void trim_spaces(struct str *value)
{
    while (value->len > 0 && value->p[0] == ' ') {
        value->p++;
        value->len--;
    }
    while (value->len > 0 && value->p[value->len - 1] == ' ')
        value->len--;
}

/* Longest Basic credentials accepted, decoded (a token is far shorter). */
#define AUTH_BASIC_MAX 1024

/* The token of "Bearer TOKEN" or "Basic BASE64(USER:TOKEN)", hashed into *digest.
 * LF_EAUTH when the value is neither or holds no token. */
static int header_digest(const struct auth *auth, const char *authorization,
                         unsigned char digest[AUTH_DIGEST_BYTES], struct lf_error *err)
{
    if (authorization == NULL)
        return lf_fail(err, LF_EAUTH, "missing bearer token");
    struct str value = str_from_cstr(authorization);
    trim_spaces(&value);
    unsigned char sha[crypto_hash_sha256_BYTES];
    if (value.len >= 6 && strncasecmp(value.p, "basic ", 6) == 0) {
        value.p += 6;
        value.len -= 6;
        trim_spaces(&value);
        unsigned char decoded[AUTH_BASIC_MAX];
        size_t decoded_len = 0;
        if (value.len == 0 ||
            sodium_base642bin(decoded, sizeof(decoded), value.p, value.len, NULL, &decoded_len,
                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
            return lf_fail(err, LF_EAUTH, "basic credentials must be base64 of USER:TOKEN");
        const unsigned char *colon = memchr(decoded, ':', decoded_len);
        if (colon == NULL) {
            sodium_memzero(decoded, sizeof(decoded));
            return lf_fail(err, LF_EAUTH, "basic credentials must be base64 of USER:TOKEN");
        }
        size_t token_len = decoded_len - (size_t)(colon + 1 - decoded);
        crypto_hash_sha256(sha, colon + 1, token_len);
        sodium_memzero(decoded, sizeof(decoded));
        if (token_len == 0)
            return lf_fail(err, LF_EAUTH, "missing token (the basic password)");
    } else {
        if (value.len < 7 || strncasecmp(value.p, "bearer ", 7) != 0)
            return lf_fail(err, LF_EAUTH, "authorization must be 'Bearer TOKEN' or Basic");
        value.p += 7;
        value.len -= 7;
        trim_spaces(&value);
        if (value.len == 0)
            return lf_fail(err, LF_EAUTH, "missing bearer token");
        crypto_hash_sha256(sha, (const unsigned char *)value.p, value.len);
    }
    keyed_digest(auth, sha, digest);
    sodium_memzero(sha, sizeof(sha));
    return LF_OK;
}

/* The token of an Authorization header value, compared with every token in constant
 * time: LF_OK with *out set, or LF_EAUTH. */
static int find_token(const struct auth *auth, const char *authorization,
                      const struct auth_token **out, struct lf_error *err)
{
    *out = NULL;
    unsigned char digest[AUTH_DIGEST_BYTES];
    int rc = header_digest(auth, authorization, digest, err);
    if (rc != LF_OK)
        return rc;
    const struct auth_token *found = NULL;
    for (size_t i = 0; i < auth->n_tokens; i++) {
        if (sodium_memcmp(auth->tokens[i].digest, digest, AUTH_DIGEST_BYTES) == 0 && found == NULL)
            found = &auth->tokens[i];
    }
    if (found == NULL)
        return lf_fail(err, LF_EAUTH, "unknown token");
    *out = found;
    return LF_OK;
}

int auth_identify(const struct auth *auth, const char *authorization, enum auth_level need,
                  const char *service, struct auth_grant *grant, struct lf_error *err)
{
    if (grant != NULL)
        memset(grant, 0, sizeof(*grant));
    if (need == AUTH_NONE || auth == NULL || auth->n_tokens == 0) {
        if (grant != NULL)
            grant->auth = auth;
        return LF_OK;
    }
    const struct auth_token *found = NULL;
    int rc = find_token(auth, authorization, &found, err);
    if (rc != LF_OK)
        return rc;
    if (need == AUTH_ADMIN && !found->admin)
        return lf_fail(err, LF_EFORBIDDEN, "this route needs an admin token");
    if (need == AUTH_INGEST) {
        if (service == NULL || service[0] == '\0')
            return lf_fail(err, LF_EINVAL, "missing parameter 'service'");
        if (!token_allows(found, service))
            return lf_fail(err, LF_EFORBIDDEN, "token may not push for service '%s'", service);
    }
    if (need == AUTH_INGEST_LABELS && found->n_services == 0)
        return lf_fail(err, LF_EFORBIDDEN, "token may not push for any service");
    if (grant != NULL) {
        grant->auth = auth;
        grant->token = found;
    }
    return LF_OK;
}

int auth_check(const struct auth *auth, const char *authorization, enum auth_level need,
               const char *service, struct lf_error *err)
{
    return auth_identify(auth, authorization, need, service, NULL, err);
}

bool auth_grant_allows(const struct auth_grant *grant, const char *service)
{
    if (grant == NULL || grant->auth == NULL || service == NULL || service[0] == '\0')
        return false;
    if (grant->auth->n_tokens == 0)
        return true;
    return grant->token != NULL && token_allows(grant->token, service);
}

int auth_who(const struct auth *auth, const char *authorization, char *name, size_t size,
             bool *admin, struct lf_error *err)
{
    if (auth == NULL || auth->n_tokens == 0) {
        snprintf(name, size, "%s", AUTH_ANONYMOUS);
        *admin = true;
        return LF_OK;
    }
    const struct auth_token *found = NULL;
    int rc = find_token(auth, authorization, &found, err);
    if (rc != LF_OK)
        return rc;
    snprintf(name, size, "%s", found->name);
    *admin = found->admin;
    return LF_OK;
}
