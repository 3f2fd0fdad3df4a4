/* scrape.h - fetching goroutine profiles from a Go service's net/http/pprof handlers
 * with libcurl, and preparing them for the wire (text formats are gzipped here, once,
 * so the spool holds exactly the bytes that are pushed). */
#ifndef LF_SCRAPE_H
#define LF_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum scrape_format {
    SCRAPE_FORMAT_PPROF,  /* ?debug=0: gzipped protobuf, the default */
    SCRAPE_FORMAT_DEBUG1, /* ?debug=1: text, counts per stack */
    SCRAPE_FORMAT_DEBUG2, /* ?debug=2: text, every goroutine with its wait */
};

/* "pprof", "debug1", "debug2": the names of the CLI, the spool and the ingest API. */
const char *scrape_format_name(enum scrape_format format);

/* Parses a format name; false for anything else. */
bool scrape_format_from_name(const char *name, enum scrape_format *out);

struct scraper;

/* A reusable HTTP client (one libcurl handle, so connections are kept alive) with a
 * connect timeout, a total timeout per request and a cap on the body size; ca_file
 * (NULL or empty: the system's) is the PEM bundle trusted for https targets.
 * Returns new (scraper_free), or NULL with err set. */
struct scraper *scraper_create(long connect_timeout_ms, long timeout_ms, size_t max_body,
                               const char *ca_file, struct lf_error *err);
void scraper_free(struct scraper *scraper);

/* The URL of a target's profile: base (e.g. "http://127.0.0.1:6060", a trailing '/'
 * is fine) + path (NULL or "": "/debug/pprof/goroutine"; with "leak" appended when leak,
 * "/debug/pprof/goroutineleak") + "?debug=N" ("&debug=N" when path has a query).
 * LF_EINVAL when it does not fit in buf. */
int scrape_url(const char *base, const char *path, bool leak, enum scrape_format format, char *buf,
               size_t size, struct lf_error *err);

/* The URL of a target's Prometheus metrics: base (a trailing '/' is fine) + path (which
 * starts with '/', e.g. "/metrics"). LF_EINVAL when it does not fit in buf. */
int scrape_metrics_url(const char *base, const char *path, char *buf, size_t size,
                       struct lf_error *err);

/* GETs url. LF_OK with a 200 answer: *body is new (caller frees with lf_free), *len
 * bytes; when format is a text format the body is gzipped as it arrives and *gzip is
 * set. max_body bounds the bytes received (before gzip). Errors:
 * LF_ENOTFOUND for a 404 (a handler the service does not serve), LF_EIO for connection
 * failures, timeouts and other statuses, LF_ETOOBIG past max_body; err names the URL. */
int scraper_get(struct scraper *scraper, const char *url, enum scrape_format format, char **body,
                size_t *len, bool *gzip, struct lf_error *err);

/* GETs a target's Prometheus metrics at url, asking for the text format (version
 * 0.0.4), with the same timeouts and body cap as a profile. LF_OK: *body is new (caller
 * frees with lf_free), *len bytes as received. Errors as scraper_get. */
int scraper_get_metrics(struct scraper *scraper, const char *url, char **body, size_t *len,
                        struct lf_error *err);

/* GETs a JSON document at url (Accept: application/json; with "Authorization: Bearer
 * bearer" unless bearer is NULL), with the scraper's timeouts and body cap. LF_OK: *body
 * is new (caller frees with lf_free), *len bytes. Errors as scraper_get. */
int scraper_get_json(struct scraper *scraper, const char *url, const char *bearer, char **body,
                     size_t *len, struct lf_error *err);

/* Gzips (in, len) into a new buffer (caller frees with lf_free). */
int scrape_gzip(const char *in, size_t len, char **out, size_t *out_len, struct lf_error *err);

#endif
