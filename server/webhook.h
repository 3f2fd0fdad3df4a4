/* webhook.h - one JSON POST over http or https, the HTTP client of the owner messages
 * (dispatch.c) and of Alertmanager (alertmanager.c). libcurl's global state must be set
 * up before the first call (cmd_serve.c does it before any thread starts). */
#ifndef LF_WEBHOOK_H
#define LF_WEBHOOK_H

#include "error.h"

/* Posts body (a NUL-terminated JSON text) to url with Content-Type: application/json,
 * over http or https only, redirects included (a URL cannot make the server read files
 * or speak another protocol), the connection and the whole post each timeout_ms at most.
 * *status gets the HTTP status, 0 when none came back. LF_OK on a 2xx; else LF_EIO with
 * "WHO answered HTTP 500", or with libcurl's reason alone when no status came back
 * ("Couldn't connect to server", "Operation timed out after 10001 milliseconds ...");
 * LF_ENOMEM "WHO: curl_easy_init failed"; LF_EINTERNAL "WHO: OPTION: REASON" when libcurl
 * refuses an option. who names the sender ("webhook", "alertmanager"). */
int webhook_post_json(const char *url, const char *body, long timeout_ms, const char *who,
                      long *status, struct lf_error *err);

#endif
