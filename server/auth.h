/* auth.h - tokens of the server: ingest tokens limited to a list of services and admin
 * tokens for the notification queue, given as `Authorization: Bearer TOKEN` or as the
 * password of HTTP Basic (Grafana Alloy's and the Pyroscope SDKs' basic_auth; the user
 * name is ignored). Tokens are kept only as keyed BLAKE2b digests of their SHA-256 and
 * compared in constant time; a config may hold the SHA-256 instead of the token
 * (`token_sha256:`), so no plaintext secret need sit in a file. */
#ifndef LF_AUTH_H
#define LF_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "error.h"

/* What a route needs from its caller. */
enum auth_level {
    AUTH_NONE,          /* anyone */
    AUTH_INGEST,        /* a token whose services include the request's `service` */
    AUTH_ADMIN,         /* an admin token */
    AUTH_INGEST_LABELS, /* a token that may push for some service: the request names its
                           services inside (Pyroscope labels), so the handler checks each
                           one with auth_grant_allows before anything is stored */
};

struct auth;
struct auth_token;

/* A token's name (`name:`) is at most this many bytes. */
#define AUTH_NAME_MAX 64

/* The actor of every action on a server without tokens (`auth: none`). */
#define AUTH_ANONYMOUS "anonymous"

/* What the token of a request may do, as auth_identify found it. A zeroed grant allows
 * nothing; on an open server (no tokens) a grant with auth set allows every service. */
struct auth_grant {
    const struct auth *auth;
    const struct auth_token *token; /* NULL when the server is open or the route needs none */
};

/* Returns a new, empty token set (caller frees with auth_free), or NULL when allocation
 * or libsodium's initialization fails. An empty set is "open": auth_check passes every
 * request (auth_load_config leaves a set empty only for `auth: none`, and the server warns
 * about it at every start). */
struct auth *auth_create(void);

/* Frees the set; NULL is allowed. */
void auth_free(struct auth *auth);

/* Adds one token. Exactly one of token (the secret itself) and sha256_hex (64 hex digits
 * of its SHA-256) is non-NULL. services lists the services it may push for (n_services
 * names, copied; "*" means every service); admin grants AUTH_ADMIN routes. Returns LF_OK,
 * LF_EINVAL for an empty token, bad hex, or a token already in the set (given either way:
 * "the same token as tokens.N", N counting from 0 in the order of adding), LF_ENOMEM. */
int auth_add(struct auth *auth, const char *token, const char *sha256_hex,
             const char *const *services, size_t n_services, bool admin, struct lf_error *err);

/* Names token index (0-based, in the order of adding; LF_EINVAL when there is no such
 * token). A name is 1..AUTH_NAME_MAX printable ASCII characters without a leading or
 * trailing space, and no two tokens share one (LF_EINVAL). An unnamed token is called
 * "tokens.N". The name is who acted, in the queue's history and in the log. */
int auth_set_name(struct auth *auth, size_t index, const char *name, struct lf_error *err);

/* true when name is a valid token name (see auth_set_name). */
bool auth_name_valid(const char *name);

/* Adds every entry of the config's `tokens:` sequence: maps with `token:` or
 * `token_sha256:`, optional `name:`, `services: [..]` and `admin: true` (other keys are
 * serve_config_check's to refuse). No tokens is an error unless the file says `auth: none`
 * (then tokens are an error); `auth: tokens` is the default. Returns LF_OK or LF_EINVAL
 * naming the entry ("config.yaml:12:5: tokens.1: ...") or the key ("config.yaml: no
 * tokens: ..."), LF_ENOMEM. */
int auth_load_config(struct auth *auth, const struct config *cfg, struct lf_error *err);

/* Number of tokens held. */
size_t auth_count(const struct auth *auth);

/* Checks an Authorization header value (NULL when absent) for a route needing `need`;
 * service is the ingest target (ignored unless need is AUTH_INGEST). The value is
 * "Bearer TOKEN" or "Basic BASE64(USER:TOKEN)". Returns LF_OK, LF_EAUTH when the header
 * is missing, neither form or the token is unknown, LF_EFORBIDDEN when the token is known
 * but not good for this service or route (AUTH_INGEST_LABELS: good for no service). */
int auth_check(const struct auth *auth, const char *authorization, enum auth_level need,
               const char *service, struct lf_error *err);

/* auth_check, and on LF_OK fills *grant (may be NULL) with what the token may do: the
 * handler of an AUTH_INGEST_LABELS route asks it about each service it would store.
 * On failure *grant is zeroed. */
int auth_identify(const struct auth *auth, const char *authorization, enum auth_level need,
                  const char *service, struct auth_grant *grant, struct lf_error *err);

/* True when grant may store profiles of service (NUL-terminated, non-empty): the server
 * is open, or the token lists the service or "*". False for a zeroed grant. */
bool auth_grant_allows(const struct auth_grant *grant, const char *service);

/* Who an Authorization header value is: copies the token's name into name (size bytes,
 * truncated) and sets *admin. On a server without tokens everyone is AUTH_ANONYMOUS and
 * admin. LF_EAUTH as auth_check for a missing, malformed or unknown token. */
int auth_who(const struct auth *auth, const char *authorization, char *name, size_t size,
             bool *admin, struct lf_error *err);

#endif
