/* push.c - the ingest client. One kept-alive libcurl handle; per push it builds the
 * query (every value escaped by libcurl), the headers, and sorts the answer into
 * ok / retry / rejected: only a 4xx other than 408 and 429 is a refusal; a 3xx is a
 * misconfigured --server, retried. It never touches the spool: the caller deletes,
 * keeps or sets aside the file according to the outcome. */
#include "push.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "alloc.h"

#define PUSH_ANSWER_MAX 512 /* bytes of the server's answer kept for log lines */

struct pusher {
    CURL *curl;
    char *server;
    char *auth_header;
    char errbuf[CURL_ERROR_SIZE];
};

struct answer {
    char text[PUSH_ANSWER_MAX];
    size_t len;
};

struct pusher *pusher_create(const char *server, const char *token, const char *ca_file,
                             long connect_timeout_ms, long timeout_ms, struct lf_error *err)
{
    struct pusher *pusher = lf_calloc(1, sizeof(*pusher));
    if (pusher == NULL) {
        lf_fail(err, LF_ENOMEM, "pusher: out of memory");
        return NULL;
    }
    size_t len = strlen(server);
    while (len > 0 && server[len - 1] == '/')
        len--;
    pusher->server = lf_strndup(server, len);
    size_t auth_size = strlen(token) + sizeof("Authorization: Bearer ");
    pusher->auth_header = lf_malloc(auth_size);
    pusher->curl = curl_easy_init();
    if (pusher->server == NULL || pusher->auth_header == NULL || pusher->curl == NULL) {
        lf_fail(err, LF_ENOMEM, "pusher: out of memory");
        goto fail;
    }
    snprintf(pusher->auth_header, auth_size, "Authorization: Bearer %s", token);
    CURL *c = pusher->curl;
    if (curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, pusher->errbuf) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_USERAGENT, "leakfleet-agent/1") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        (ca_file != NULL && ca_file[0] != '\0' &&
         curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK)) {
        lf_fail(err, LF_EINTERNAL, "pusher: curl_easy_setopt failed");
        goto fail;
    }
    return pusher;
fail:
    pusher_free(pusher);
    return NULL;
}

void pusher_free(struct pusher *pusher)
{
    if (pusher == NULL)
        return;
    curl_easy_cleanup(pusher->curl);
    lf_free(pusher->server);
    lf_free(pusher->auth_header);
    lf_free(pusher);
}

static size_t on_answer(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    size_t room = sizeof(a->text) - 1 - a->len;
    size_t take = n < room ? n : room;
    memcpy(a->text + a->len, data, take);
    a->len += take;
    a->text[a->len] = '\0';
    return n;
}

/* Replaces control characters so a hostile answer cannot forge log lines. */
static void clean_answer(struct answer *a)
{
    while (a->len > 0 && (a->text[a->len - 1] == '\n' || a->text[a->len - 1] == '\r'))
        a->text[--a->len] = '\0';
    for (size_t i = 0; i < a->len; i++) {
        unsigned char ch = (unsigned char)a->text[i];
        if (ch < 0x20 || ch == 0x7f)
            a->text[i] = ' ';
    }
}

static enum push_outcome fail_retry(struct lf_error *err, const char *what)
{
    lf_fail(err, LF_EIO, "push: %s", what);
    return PUSH_RETRY;
}

enum push_outcome pusher_send(struct pusher *pusher, const struct spool_meta *meta,
                              const char *body, size_t len, long *retry_after_s,
                              struct lf_error *err)
{
    CURL *c = pusher->curl;
    enum push_outcome outcome = PUSH_RETRY;
    struct curl_slist *headers = NULL;
    char *service = curl_easy_escape(c, meta->service, 0);
    char *instance = curl_easy_escape(c, meta->instance, 0);
    char *version = meta->version[0] != '\0' ? curl_easy_escape(c, meta->version, 0) : NULL;
    char *url = NULL;
    struct answer answer = { .len = 0 };
    *retry_after_s = 0;
    if (service == NULL || instance == NULL || (meta->version[0] != '\0' && version == NULL)) {
        outcome = fail_retry(err, "out of memory");
        goto out;
    }
    size_t url_size = strlen(pusher->server) + strlen(service) + strlen(instance) +
                      strlen(meta->format) + (version != NULL ? strlen(version) : 0) + 192;
    url = lf_malloc(url_size);
    if (url == NULL) {
        outcome = fail_retry(err, "out of memory");
        goto out;
    }
    /* the target's start time and version as scraped with this profile, when known */
    char started[48] = "";
    if (meta->started > 0)
        snprintf(started, sizeof(started), "&started=%" PRId64, meta->started);
    snprintf(url, url_size,
             "%s/api/v1/profiles?service=%s&instance=%s&ts=%" PRId64 "&format=%s%s%s%s",
             pusher->server, service, instance, meta->ts, meta->format, started,
             version != NULL ? "&version=" : "", version != NULL ? version : "");

    char key_header[64];
    snprintf(key_header, sizeof(key_header), "Idempotency-Key: %s", meta->key);
    const char *lines[] = { pusher->auth_header, key_header,
                            meta->gzip ? "Content-Encoding: gzip" : NULL };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (lines[i] == NULL)
            continue;
        struct curl_slist *grown = curl_slist_append(headers, lines[i]);
        if (grown == NULL) {
            outcome = fail_retry(err, "out of memory");
            goto out;
        }
        headers = grown;
    }
    {
        struct curl_slist *grown =
                curl_slist_append(headers, "Content-Type: application/octet-stream");
        if (grown == NULL) {
            outcome = fail_retry(err, "out of memory");
            goto out;
        }
        headers = grown;
        grown = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
        if (grown == NULL) {
            outcome = fail_retry(err, "out of memory");
            goto out;
        }
        headers = grown;
    }

    pusher->errbuf[0] = '\0';
    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer) != CURLE_OK) {
        outcome = fail_retry(err, "curl_easy_setopt failed");
        goto out;
    }
    CURLcode res = curl_easy_perform(c);
    if (res != CURLE_OK) {
        lf_fail(err, LF_EIO, "POST '%s': %s", pusher->server,
                pusher->errbuf[0] != '\0' ? pusher->errbuf : curl_easy_strerror(res));
        outcome = PUSH_RETRY;
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    clean_answer(&answer);
    if (status >= 200 && status < 300) {
        outcome = PUSH_OK;
        goto out;
    }
    if (status >= 300 && status < 400) {
        /* a redirect: --server points at something other than the ingest API (a login
         * proxy, http in front of https, a moved host). The server has not refused the
         * profile, so it stays spooled; a POST is not followed to wherever the answer
         * says, with the bearer token, and the line says what to fix. */
        char location[256] = "";
        char *redirect = NULL;
        if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK &&
            redirect != NULL) {
            size_t n = strnlen(redirect, sizeof(location) - 1);
            for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)redirect[i];
                location[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
            }
            location[n] = '\0';
        }
        if (location[0] != '\0')
            lf_fail(err, LF_EUNAVAIL,
                    "server answered HTTP %ld, a redirect to '%s': check --server (the agent "
                    "follows no redirects; the profile stays spooled): %s",
                    status, location, answer.text);
        else
            lf_fail(err, LF_EUNAVAIL,
                    "server answered HTTP %ld, a 3xx where the ingest API answers 2xx or 4xx: "
                    "check --server (the profile stays spooled): %s",
                    status, answer.text);
        outcome = PUSH_RETRY;
        goto out;
    }
    if (status == 408 || status == 429 || status >= 500 || status < 200) {
        curl_off_t after = 0;
        if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
            *retry_after_s = after > 3600 ? 3600 : (long)after;
        lf_fail(err, LF_EUNAVAIL, "server answered HTTP %ld: %s", status, answer.text);
        outcome = PUSH_RETRY;
        goto out;
    }
    lf_fail(err, LF_EINVAL, "server answered HTTP %ld: %s", status, answer.text);
    outcome = PUSH_REJECTED;
out:
    /* the handle outlives this call: drop pointers into this frame */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(headers);
    curl_free(service);
    curl_free(instance);
    curl_free(version);
    lf_free(url);
    return outcome;
}
