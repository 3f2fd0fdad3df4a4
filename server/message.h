/* message.h - the JSON body of one owner's message (the webhook's payload): the
 * findings and a Slack-compatible "text" summing them up. */
#ifndef LF_MESSAGE_H
#define LF_MESSAGE_H

#include <jansson.h>

/* Builds the JSON body for one owner's findings: {"owner", "kind", "text", "service",
 * "location_id", "function", "file", "line", "op", "count", "growth_per_hour",
 * "projection", "link", "findings":[...]} where the top-level site fields are the first
 * finding's. "text" is one line per finding naming the site by its "repo_path" where the
 * finding has one (else "file"), then its "source_url" and its "culprit" ({"function",
 * "file", "line", "repo_path", "source_url"}) on lines of their own when present; at most
 * 4,095 bytes, cut on a character boundary. raw_owner may hold any bytes (repaired to
 * U+FFFD). Returns a new reference, or NULL when findings is empty or allocation fails. */
json_t *message_build(const char *raw_owner, json_t *findings);

#endif
