/* webhook.c - one JSON POST with libcurl: a fresh easy handle per post (posts are
 * seconds apart at most, so a kept connection would save nothing worth its state), the
 * response body discarded. */
#include "webhook.h"

#include <curl/curl.h>

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

int webhook_post_json(const char *url, const char *body, long timeout_ms, const char *who,
                      long *status, struct lf_error *err)
{
    *status = 0;
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return lf_fail(err, LF_ENOMEM, "%s: curl_easy_init failed", who);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char curl_error[CURL_ERROR_SIZE] = "";
    CURLcode code = headers != NULL ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    const char *option = "headers";
#define SETOPT(opt, value)                                                                         \
    do {                                                                                           \
        if (code == CURLE_OK) {                                                                    \
            code = curl_easy_setopt(curl, opt, value);                                             \
            option = #opt;                                                                         \
        }                                                                                          \
    } while (0)
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_HTTPHEADER, headers);
    SETOPT(CURLOPT_POSTFIELDS, body);
    SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_WRITEFUNCTION, discard_body);
    SETOPT(CURLOPT_ERRORBUFFER, curl_error);
    SETOPT(CURLOPT_USERAGENT, "leakfleet");
#undef SETOPT
    int rc = LF_OK;
    if (code != CURLE_OK) {
        rc = lf_fail(err, LF_EINTERNAL, "%s: %s: %s", who, option, curl_easy_strerror(code));
        goto out;
    }
    code = curl_easy_perform(curl);
    long answered = 0;
    if (code == CURLE_OK)
        code = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answered);
    if (code != CURLE_OK) {
        rc = lf_fail(err, LF_EIO, "%s",
                     curl_error[0] != '\0' ? curl_error : curl_easy_strerror(code));
    } else {
        *status = answered;
        if (answered < 200 || answered > 299)
            rc = lf_fail(err, LF_EIO, "%s answered HTTP %ld", who, answered);
    }
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc;
}
