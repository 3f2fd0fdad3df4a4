/* scrape.c - GET of /debug/pprof/goroutine[leak]?debug=N (and of the target's Prometheus
 * /metrics) over one kept-alive libcurl handle. Bounded: connect and total timeouts, and a
 * body cap enforced while receiving. Text bodies are gzipped while they arrive (they compress ~10x
 * and debug=2 can be tens of MB), so memory follows the compressed size; the pprof body is already
 * gzipped by the Go runtime and is kept byte for byte. */
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

/* The body being received: kept as is (pprof) or gzipped as it arrives (text), so a
 * 55 MB debug=2 dump costs the agent its ~5 MB of gzip, never the whole text. */
struct recv_buf {
    char *p; /* the output: raw bytes or gzip */
    size_t len;
    size_t cap;
    size_t raw; /* bytes received */
    size_t max; /* cap on bytes received */
    bool gzip;
    bool z_ready;
    z_stream zs;
    int failure; /* LF_OK, or why the write callback stopped the transfer */
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
                               const char *ca_file, struct lf_error *err)
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
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        (ca_file != NULL && ca_file[0] != '\0' &&
         curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK)) {
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

int scrape_url(const char *base, const char *path, bool leak, enum scrape_format format, char *buf,
               size_t size, struct lf_error *err)
{
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    if (path == NULL || path[0] == '\0')
        path = "/debug/pprof/goroutine";
    int debug = format == SCRAPE_FORMAT_DEBUG1 ? 1 : format == SCRAPE_FORMAT_DEBUG2 ? 2 : 0;
    const char *query = strchr(path, '?');
    size_t path_len = query != NULL ? (size_t)(query - path) : strlen(path);
    int n = snprintf(buf, size, "%.*s%.*s%s%s%sdebug=%d", (int)len, base, (int)path_len, path,
                     leak ? "leak" : "", query != NULL ? query : "?", query != NULL ? "&" : "",
                     debug);
    if (n < 0 || (size_t)n >= size)
        return lf_fail(err, LF_EINVAL, "target URL too long: '%s'", base);
    return LF_OK;
}

/* Makes room for at least more bytes after len. */
static bool reserve(struct recv_buf *rb, size_t more)
{
    return more <= SIZE_MAX - rb->len && LF_ALLOC_GROW(rb->p, rb->len + more, rb->cap, 64 * 1024);
}

static int gzip_start(struct recv_buf *rb)
{
    memset(&rb->zs, 0, sizeof(rb->zs));
    /* windowBits 15 + 16: a gzip wrapper rather than zlib's */
    if (deflateInit2(&rb->zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return LF_ENOMEM;
    rb->z_ready = true;
    return LF_OK;
}

/* Deflates (in, n) into rb; with flush Z_FINISH also ends the stream. */
static int gzip_feed(struct recv_buf *rb, const char *in, size_t n, int flush)
{
    rb->zs.next_in = (Bytef *)(uintptr_t)in;
    rb->zs.avail_in = (uInt)n;
    for (;;) {
        if (!reserve(rb, 16 * 1024))
            return LF_ENOMEM;
        size_t room = rb->cap - rb->len;
        if (room > (1u << 30))
            room = 1u << 30;
        rb->zs.next_out = (Bytef *)rb->p + rb->len;
        rb->zs.avail_out = (uInt)room;
        int zrc = deflate(&rb->zs, flush);
        rb->len += room - rb->zs.avail_out;
        if (zrc == Z_STREAM_END)
            return LF_OK;
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            return LF_EINTERNAL;
        if (flush != Z_FINISH && rb->zs.avail_in == 0 && rb->zs.avail_out != 0)
            return LF_OK;
    }
}

static void recv_release(struct recv_buf *rb)
{
    if (rb->z_ready)
        deflateEnd(&rb->zs);
    rb->z_ready = false;
    lf_free(rb->p);
    rb->p = NULL;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct recv_buf *rb = userdata;
    size_t n = size * nmemb;
    if (rb->raw + n > rb->max) {
        rb->failure = LF_ETOOBIG;
        return 0;
    }
    rb->raw += n;
    if (rb->gzip) {
        rb->failure = gzip_feed(rb, data, n, Z_NO_FLUSH);
        return rb->failure == LF_OK ? n : 0;
    }
    if (!reserve(rb, n + 1)) {
        rb->failure = LF_ENOMEM;
        return 0;
    }
    memcpy(rb->p + rb->len, data, n);
    rb->len += n;
    return n;
}

int scrape_gzip(const char *in, size_t len, char **out, size_t *out_len, struct lf_error *err)
{
    struct recv_buf rb = { .gzip = true };
    int rc = gzip_start(&rb);
    for (size_t off = 0; rc == LF_OK && off < len;) {
        size_t chunk = len - off > (1u << 30) ? (1u << 30) : len - off;
        rc = gzip_feed(&rb, in + off, chunk, Z_NO_FLUSH);
        off += chunk;
    }
    if (rc == LF_OK)
        rc = gzip_feed(&rb, NULL, 0, Z_FINISH);
    if (rc != LF_OK) {
        recv_release(&rb);
        return lf_fail(err, rc, "gzip of %zu bytes failed (%s)", len, lf_code_name(rc));
    }
    *out = rb.p;
    *out_len = rb.len;
    rb.p = NULL;
    recv_release(&rb);
    return LF_OK;
}

int scrape_metrics_url(const char *base, const char *path, char *buf, size_t size,
                       struct lf_error *err)
{
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    int n = snprintf(buf, size, "%.*s%s", (int)len, base, path);
    if (n < 0 || (size_t)n >= size)
        return lf_fail(err, LF_EINVAL, "target URL too long: '%s'", base);
    return LF_OK;
}

/* GETs url into *body (gzipped as it arrives when gzip); headers (may be NULL) are sent
 * with this request only; what names the body in errors ("profile", "metrics"). */
static int get(struct scraper *scraper, const char *url, bool gzip, struct curl_slist *headers,
               const char *what, char **body, size_t *len, struct lf_error *err)
{
    CURL *c = scraper->curl;
    struct recv_buf rb = { .max = scraper->max_body, .gzip = gzip };
    int rc = LF_OK;
    scraper->errbuf[0] = '\0';
    if (rb.gzip && gzip_start(&rb) != LF_OK) {
        rc = lf_fail(err, LF_ENOMEM, "GET '%s': deflateInit2 failed", url);
        goto out;
    }
    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &rb) != CURLE_OK) {
        rc = lf_fail(err, LF_EINTERNAL, "GET '%s': curl_easy_setopt failed", url);
        goto out;
    }
    CURLcode res = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);  /* rb lives in this frame only */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL); /* and so do the headers */
    if (rb.failure == LF_ETOOBIG) {
        rc = lf_fail(err, LF_ETOOBIG, "GET '%s': %s larger than %zu bytes", url, what,
                     scraper->max_body);
        goto out;
    }
    if (rb.failure != LF_OK) {
        rc = lf_fail(err, rb.failure, "GET '%s': %s while receiving", url,
                     lf_code_name(rb.failure));
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
    if (rb.gzip && (rc = gzip_feed(&rb, NULL, 0, Z_FINISH)) != LF_OK) {
        lf_fail(err, rc, "GET '%s': gzip failed (%s)", url, lf_code_name(rc));
        goto out;
    }
    if (rb.p == NULL && !reserve(&rb, 1)) {
        rc = lf_fail(err, LF_ENOMEM, "GET '%s': out of memory", url);
        goto out;
    }
    *body = rb.p;
    *len = rb.len;
    rb.p = NULL;
out:
    recv_release(&rb);
    return rc;
}

int scraper_get(struct scraper *scraper, const char *url, enum scrape_format format, char **body,
                size_t *len, bool *gzip, struct lf_error *err)
{
    *gzip = format != SCRAPE_FORMAT_PPROF;
    return get(scraper, url, *gzip, NULL, "profile", body, len, err);
}

int scraper_get_metrics(struct scraper *scraper, const char *url, char **body, size_t *len,
                        struct lf_error *err)
{
    /* the classic text format, not OpenMetrics, from servers that offer both */
    struct curl_slist *headers =
            curl_slist_append(NULL, "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1");
    if (headers == NULL)
        return lf_fail(err, LF_ENOMEM, "GET '%s': out of memory", url);
    int rc = get(scraper, url, false, headers, "metrics", body, len, err);
    curl_slist_free_all(headers);
    return rc;
}

int scraper_get_json(struct scraper *scraper, const char *url, const char *bearer, char **body,
                     size_t *len, struct lf_error *err)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
    struct curl_slist *more = headers;
    if (headers != NULL && bearer != NULL) {
        /* the header holds a secret: built on the heap, wiped after use */
        size_t size = strlen(bearer) + sizeof("Authorization: Bearer ");
        char *line = lf_malloc(size);
        more = NULL;
        if (line != NULL) {
            snprintf(line, size, "Authorization: Bearer %s", bearer);
            more = curl_slist_append(headers, line);
            memset(line, 0, size);
            lf_free(line);
        }
    }
    if (headers == NULL || more == NULL) {
        curl_slist_free_all(headers);
        return lf_fail(err, LF_ENOMEM, "GET '%s': out of memory", url);
    }
    int rc = get(scraper, url, false, headers, "answer", body, len, err);
    for (struct curl_slist *h = headers; h != NULL; h = h->next)
        memset(h->data, 0, strlen(h->data));
    curl_slist_free_all(headers);
    return rc;
}
