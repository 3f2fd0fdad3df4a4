/* scrape.c - GET of /debug/pprof/goroutine[leak]?debug=N over one kept-alive libcurl
 * handle. Bounded: connect and total timeouts, and a body cap enforced while receiving.
 * Text bodies are gzipped at once (they compress ~10x and debug=2 can be tens of MB);
 * the pprof body is already gzipped by the Go runtime and is kept byte for byte. */
#include "scrape.h"

#include <stdint.h>
#include <string.h>

#include <curl/curl.h>
#include <zlib.h>

#include "alloc.h"

struct scraper {
    CURL *curl;
    size_t max_body;
    char errbuf[CURL_ERROR_SIZE];
};

struct recv_buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max;
    bool too_big;
    bool no_memory;
};

static const char *const format_names[] = { "pprof", "debug1", "debug2" };

const char *scrape_format_name(enum scrape_format format)
{
    return (unsigned)format < 3 ? format_names[format] : "pprof";
}

bool scrape_format_from_name(const char *name, enum scrape_format *out)
{
    for (unsigned i = 0; i < 3; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (enum scrape_format)i;
            return true;
        }
    }
    return false;
}

struct scraper *scraper_create(long connect_timeout_ms, long timeout_ms, size_t max_body,
                               struct lf_error *err)
{
    struct scraper *scraper = lf_calloc(1, sizeof(*scraper));
    if (scraper == NULL) {
        lf_fail(err, LF_ENOMEM, "scraper: out of memory");
        return NULL;
    }
    scraper->max_body = max_body;
    scraper->curl = curl_easy_init();
    if (scraper->curl == NULL) {
        lf_fail(err, LF_ENOMEM, "scraper: curl_easy_init failed");
        lf_free(scraper);
        return NULL;
    }
    CURL *c = scraper->curl;
    if (curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, scraper->errbuf) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_USERAGENT, "leakfleet-agent/1") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
        lf_fail(err, LF_EINTERNAL, "scraper: curl_easy_setopt failed");
        scraper_free(scraper);
        return NULL;
    }
    return scraper;
}

void scraper_free(struct scraper *scraper)
{
    if (scraper == NULL)
        return;
    curl_easy_cleanup(scraper->curl);
    lf_free(scraper);
}

int scrape_url(const char *base, bool leak, enum scrape_format format, char *buf, size_t size,
               struct lf_error *err)
{
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    int debug = format == SCRAPE_FORMAT_DEBUG1 ? 1 : format == SCRAPE_FORMAT_DEBUG2 ? 2 : 0;
    int n = snprintf(buf, size, "%.*s/debug/pprof/%s?debug=%d", (int)len, base,
                     leak ? "goroutineleak" : "goroutine", debug);
    if (n < 0 || (size_t)n >= size)
        return lf_fail(err, LF_EINVAL, "target URL too long: '%s'", base);
    return LF_OK;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct recv_buf *rb = userdata;
    size_t n = size * nmemb;
    if (rb->len + n > rb->max) {
        rb->too_big = true;
        return 0;
    }
    if (rb->len + n + 1 > rb->cap) {
        size_t cap = rb->cap == 0 ? 64 * 1024 : rb->cap;
        while (cap < rb->len + n + 1)
            cap *= 2;
        char *grown = lf_realloc(rb->p, cap);
        if (grown == NULL) {
            rb->no_memory = true;
            return 0;
        }
        rb->p = grown;
        rb->cap = cap;
    }
    memcpy(rb->p + rb->len, data, n);
    rb->len += n;
    return n;
}

int scrape_gzip(const char *in, size_t len, char **out, size_t *out_len, struct lf_error *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* windowBits 15 + 16: a gzip wrapper rather than zlib's */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return lf_fail(err, LF_ENOMEM, "gzip: deflateInit2 failed");
    int rc = LF_OK;
    size_t cap = deflateBound(&zs, (uLong)len) + 32;
    char *buf = lf_malloc(cap);
    if (buf == NULL) {
        rc = lf_fail(err, LF_ENOMEM, "gzip: out of memory");
        goto out;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)buf;
    zs.avail_out = (uInt)cap;
    if (len != (size_t)zs.avail_in || cap != (size_t)zs.avail_out) {
        rc = lf_fail(err, LF_ETOOBIG, "gzip: %zu bytes is too large", len);
        goto out;
    }
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        rc = lf_fail(err, LF_EINTERNAL, "gzip: deflate did not finish");
        goto out;
    }
    *out = buf;
    *out_len = (size_t)zs.total_out;
    buf = NULL;
out:
    deflateEnd(&zs);
    lf_free(buf);
    return rc;
}

int scraper_get(struct scraper *scraper, const char *url, enum scrape_format format, char **body,
                size_t *len, bool *gzip, struct lf_error *err)
{
    CURL *c = scraper->curl;
    struct recv_buf rb = { .max = scraper->max_body };
    int rc = LF_OK;
    scraper->errbuf[0] = '\0';
    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &rb) != CURLE_OK) {
        rc = lf_fail(err, LF_EINTERNAL, "GET '%s': curl_easy_setopt failed", url);
        goto out;
    }
    CURLcode res = curl_easy_perform(c);
    if (rb.too_big) {
        rc = lf_fail(err, LF_ETOOBIG, "GET '%s': profile larger than %zu bytes", url,
                     scraper->max_body);
        goto out;
    }
    if (rb.no_memory) {
        rc = lf_fail(err, LF_ENOMEM, "GET '%s': out of memory", url);
        goto out;
    }
    if (res != CURLE_OK) {
        rc = lf_fail(err, LF_EIO, "GET '%s': %s", url,
                     scraper->errbuf[0] != '\0' ? scraper->errbuf : curl_easy_strerror(res));
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status == 404) {
        rc = lf_fail(err, LF_ENOTFOUND, "GET '%s': HTTP 404", url);
        goto out;
    }
    if (status != 200) {
        rc = lf_fail(err, LF_EIO, "GET '%s': HTTP %ld", url, status);
        goto out;
    }
    if (format == SCRAPE_FORMAT_PPROF) {
        if (rb.p == NULL) {
            rb.p = lf_malloc(1);
            if (rb.p == NULL) {
                rc = lf_fail(err, LF_ENOMEM, "GET '%s': out of memory", url);
                goto out;
            }
        }
        *body = rb.p;
        *len = rb.len;
        *gzip = false;
        rb.p = NULL;
        goto out;
    }
    rc = scrape_gzip(rb.p != NULL ? rb.p : "", rb.len, body, len, err);
    if (rc != LF_OK) {
        lf_error_prefix(err, "GET '%s'", url);
        goto out;
    }
    *gzip = true;
out:
    lf_free(rb.p);
    return rc;
}
