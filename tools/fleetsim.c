/* fleetsim.c - fleet load generator for leakfleet serve: plays N services x M instances
 * pushing gzipped pprof goroutine profiles (as Go's runtime/pprof writes them: sample
 * type goroutine/count, samples of location ids, locations with lines, functions,
 * a mapping, the string table) over keep-alive connections (libcurl multi), with an
 * explicit simulated `ts` that runs fast, a bearer token and an Idempotency-Key per push.
 * Most sites are flat; in every --leak-every'th service one in-repo channel send
 * (github.com/acme/fleet/SVC/fanout) grows by a known k per interval; instances restart
 * now and then (the leak resets). It reports pushes/s, ingest latency, query latencies
 * under load, database growth per simulated day, and checks the detector: every planted
 * leak suspect in /api/v1/leaks and no other site. A benchmark and test tool, not part
 * of the server: it links only the allocation helpers of the library; the profile encoder
 * and the HTTP pool are tools/simprofile.h and tools/simpush.h, shared with detectsim. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alloc.h"
#include "simprofile.h"
#include "simpush.h"

static const char usage[] =
        "usage: fleetsim --url URL --token TOKEN [options]\n"
        "\n"
        "Plays a fleet of Go services pushing goroutine profiles to leakfleet serve.\n"
        "\n"
        "  --url URL              server base URL, e.g. http://127.0.0.1:8080\n"
        "  --token TOKEN          ingest token (must cover every simulated service)\n"
        "  --admin-token TOKEN    admin token, for POST /api/v1/detect when served\n"
        "  --services N           services (default 10), named svc-000...\n"
        "  --instances M          instances per service (default 10)\n"
        "  --rounds R             pushes per instance (default 30)\n"
        "  --step SECONDS         simulated seconds between two pushes of one instance (60)\n"
        "  --sim-end UNIX         simulated time of the last round (default now)\n"
        "  --pace-ms MS           real milliseconds per round at least (default 0: as fast\n"
        "                         as the server answers)\n"
        "  --duration SECONDS     stop issuing new rounds after this long (default none)\n"
        "  --concurrency C        connections in parallel (default 32)\n"
        "  --leak-every K         every Kth service has a planted leak (default 10; 0 none)\n"
        "  --restart-permille P   chance per push that an instance restarts (default 2)\n"
        "  --retry                retry refused or failed pushes with the same key\n"
        "                         (5xx, 408, 429, transport errors) until acknowledged\n"
        "  --acks FILE            append 'service instance key profile_id status' per 2xx\n"
        "  --db PATH              database file: report its growth (with -wal)\n"
        "  --healthz-seconds S    measure GET /healthz req/s first, as a reference (0)\n"
        "  --queries              query leaks, trends and a 30-day series during the load\n"
        "  --check                after the load, check the detector's verdicts\n"
        "  --detect-wait SECONDS  how long --check waits for a detection pass (default 60)\n"
        "  --seed N               random seed (default 1)\n"
        "  --quiet                no progress lines\n";

/* ---- options ------------------------------------------------------------------------------ */

struct options {
    const char *url;
    const char *token;
    const char *admin_token;
    unsigned services;
    unsigned instances;
    unsigned rounds;
    int64_t step;
    int64_t sim_end;
    double pace_ms;
    double duration;
    unsigned concurrency;
    unsigned leak_every;
    unsigned restart_permille;
    bool retry;
    const char *acks;
    const char *db;
    double healthz_seconds;
    bool queries;
    bool check;
    double detect_wait;
    uint64_t seed;
    bool quiet;
};

/* ---- the fleet's code: sites and their stacks ----------------------------------------- */

#define GOROOT "/usr/local/go/src/"
#define RT     GOROOT "runtime/"

enum site_model {
    MODEL_FLAT,  /* base + instance % spread, every push */
    MODEL_NOISY, /* uniform in [0, base] each push */
    MODEL_LEAK,  /* k per push since the instance's last restart (planted) */
};

struct site_def {
    const char *name;
    enum site_model model;
    unsigned base;
    unsigned spread;
    bool repo_channel; /* an in-repo channel site: must never be suspect unless planted */
    struct simprofile_frame frames[SIMPROFILE_MAX_FRAMES]; /* leaf first, no runtime.goexit */
};

/* The stacks read best one frame per line: */
/* clang-format off */
#define GOPARK    { "runtime.gopark", RT "proc.go", 398 }
#define CHANSEND  { "runtime.chansend", RT "chan.go", 259 }, { "runtime.chansend1", RT "chan.go", 145 }
#define CHANRECV1 { "runtime.chanrecv", RT "chan.go", 583 }, { "runtime.chanrecv1", RT "chan.go", 442 }
#define CHANRECV2 { "runtime.chanrecv", RT "chan.go", 583 }, { "runtime.chanrecv2", RT "chan.go", 447 }
#define HTTP_GO   GOROOT "net/http/server.go"
#define POLL_GO   GOROOT "internal/poll/fd_poll_runtime.go"
#define PPROF_GO  GOROOT "runtime/pprof/pprof.go"

static const struct site_def sites[] = {
    { "pool-worker", MODEL_FLAT, 8, 5, true,
      { GOPARK, CHANRECV2,
        { "github.com/acme/fleet/lib/jobs.(*Pool).worker", "/build/fleet/lib/jobs/pool.go", 88 },
        { "github.com/acme/fleet/lib/jobs.(*Pool).Start.func1", "/build/fleet/lib/jobs/pool.go",
          61 } } },
    { "server-loop", MODEL_FLAT, 1, 1, true,
      { GOPARK, { "runtime.selectgo", RT "select.go", 327 },
        { "github.com/acme/fleet/%s/server.(*Server).loop", "/build/fleet/%s/server/server.go",
          140 },
        { "github.com/acme/fleet/%s/server.(*Server).Run.func2",
          "/build/fleet/%s/server/server.go", 95 } } },
    { "handler-queue", MODEL_NOISY, 4, 0, true,
      { GOPARK, CHANSEND,
        { "github.com/acme/fleet/%s/api.(*Handler).enqueue", "/build/fleet/%s/api/handler.go",
          212 },
        { "github.com/acme/fleet/%s/api.(*Handler).ServeHTTP", "/build/fleet/%s/api/handler.go",
          77 },
        { "net/http.serverHandler.ServeHTTP", HTTP_GO, 2938 },
        { "net/http.(*conn).serve", HTTP_GO, 2009 } } },
    { "event-bus", MODEL_FLAT, 20, 3, true,
      { GOPARK, CHANSEND,
        { "github.com/acme/fleet/%s/events.(*Bus).deliver", "/build/fleet/%s/events/bus.go",
          118 },
        { "github.com/acme/fleet/%s/events.(*Bus).Run.func1", "/build/fleet/%s/events/bus.go",
          90 } } },
    { "main-wait", MODEL_FLAT, 1, 1, true,
      { GOPARK, CHANRECV1, { "main.main", "/build/fleet/%s/cmd/server/main.go", 64 },
        { "runtime.main", RT "proc.go", 267 } } },
    { "http-conn", MODEL_FLAT, 6, 4, false,
      { GOPARK, { "runtime.netpollblock", RT "netpoll.go", 564 },
        { "internal/poll.runtime_pollWait", RT "netpoll.go", 343 },
        { "internal/poll.(*pollDesc).wait", POLL_GO, 84 },
        { "internal/poll.(*pollDesc).waitRead", POLL_GO, 89 },
        { "internal/poll.(*FD).Read", GOROOT "internal/poll/fd_unix.go", 164 },
        { "net.(*netFD).Read", GOROOT "net/fd_posix.go", 55 },
        { "net.(*conn).Read", GOROOT "net/net.go", 179 },
        { "net/http.(*connReader).Read", HTTP_GO, 791 },
        { "bufio.(*Reader).fill", GOROOT "bufio/bufio.go", 113 },
        { "bufio.(*Reader).Peek", GOROOT "bufio/bufio.go", 151 },
        { "net/http.(*conn).serve", HTTP_GO, 2044 } } },
    { "grpc-recv", MODEL_FLAT, 4, 2, false,
      { GOPARK, CHANRECV1,
        { "google.golang.org/grpc/internal/transport.(*recvBufferReader).read",
          "/root/go/pkg/mod/google.golang.org/grpc@v1.58.3/internal/transport/transport.go",
          181 },
        { "google.golang.org/grpc/internal/transport.(*recvBufferReader).Read",
          "/root/go/pkg/mod/google.golang.org/grpc@v1.58.3/internal/transport/transport.go",
          175 } } },
    { "cache-mutex", MODEL_NOISY, 2, 0, false,
      { GOPARK, { "runtime.goparkunlock", RT "proc.go", 404 },
        { "runtime.semacquire1", RT "sema.go", 160 },
        { "sync.runtime_SemacquireMutex", RT "sema.go", 77 },
        { "sync.(*Mutex).lockSlow", GOROOT "sync/mutex.go", 171 },
        { "sync.(*Mutex).Lock", GOROOT "sync/mutex.go", 90 },
        { "github.com/hashicorp/golang-lru/v2.(*Cache[...]).Get",
          "/root/go/pkg/mod/github.com/hashicorp/golang-lru/v2@v2.0.7/lru.go", 94 },
        { "github.com/acme/fleet/%s/store.(*Store).Lookup", "/build/fleet/%s/store/store.go",
          58 } } },
    { "health-sleep", MODEL_FLAT, 1, 1, false,
      { GOPARK, { "time.Sleep", RT "time.go", 195 },
        { "github.com/acme/fleet/lib/health.(*Checker).loop", "/build/fleet/lib/health/checker.go",
          42 } } },
    { "profile-writer", MODEL_FLAT, 1, 1, false,
      { { "runtime.goroutineProfileWithLabels", RT "mprof.go", 1079 },
        { "runtime/pprof.runtime_goroutineProfileWithLabels", RT "mprof.go", 1038 },
        { "runtime/pprof.writeRuntimeProfile", PPROF_GO, 734 },
        { "runtime/pprof.writeGoroutine", PPROF_GO, 694 },
        { "runtime/pprof.(*Profile).WriteTo", PPROF_GO, 329 },
        { "net/http/pprof.handler.ServeHTTP", GOROOT "net/http/pprof/pprof.go", 267 },
        { "net/http/pprof.Index", GOROOT "net/http/pprof/pprof.go", 384 },
        { "net/http.HandlerFunc.ServeHTTP", HTTP_GO, 2136 },
        { "net/http.(*ServeMux).ServeHTTP", HTTP_GO, 2514 },
        { "net/http.serverHandler.ServeHTTP", HTTP_GO, 2938 },
        { "net/http.(*conn).serve", HTTP_GO, 2009 } } },
    /* The planted leak: a publisher's goroutine per message, blocked sending to a
     * subscriber that went away; present only in leaky services. */
    { "broadcast-leak", MODEL_LEAK, 0, 0, false,
      { GOPARK, CHANSEND,
        { "github.com/acme/fleet/%s/fanout.(*Broadcaster).Publish.func1",
          "/build/fleet/%s/fanout/broadcast.go", 51 } } },
};
/* clang-format on */
#define N_SITES       (sizeof(sites) / sizeof(sites[0]))
#define LEAK_FUNCTION "fanout.(*Broadcaster).Publish.func1"

/* ---- one service's profile: static tables encoded once -------------------------------- */

struct service {
    char name[32];
    bool leaky;
    unsigned leak_k; /* goroutines leaked per push per instance */
    struct simprofile profile;
};

static void service_init(struct service *svc, unsigned index, const struct options *opts)
{
    memset(svc, 0, sizeof(*svc));
    snprintf(svc->name, sizeof(svc->name), "svc-%03u", index);
    svc->leaky = opts->leak_every > 0 && index % opts->leak_every == 0;
    svc->leak_k = 1 + (index / (opts->leak_every > 0 ? opts->leak_every : 1)) % 3;
    const struct simprofile_frame *stacks[N_SITES];
    for (size_t s = 0; s < N_SITES; s++)
        stacks[s] = sites[s].frames;
    simprofile_init(&svc->profile, svc->name, stacks, N_SITES);
}

static void service_release(struct service *svc)
{
    simprofile_release(&svc->profile);
}

/* ---- instances and the profile of one push -------------------------------------------- */

struct instance {
    unsigned service;
    unsigned index;
    unsigned leaked; /* goroutines at the planted site since the last restart */
    unsigned restarts;
};

struct fleet {
    const struct options *opts;
    struct service *services;
    struct instance *instances;
    size_t n_instances;
    uint64_t rng;
    int64_t sim_start; /* ts of round 0 */
    uint64_t restarts;
    struct simprofile_scratch scratch;
};

/* Advances inst to round and writes its gzipped profile into out. */
static void fleet_profile(struct fleet *fleet, struct instance *inst, unsigned round, int64_t ts,
                          struct sim_buf *out)
{
    const struct service *svc = &fleet->services[inst->service];
    if (round > 0 && sim_rng_below(&fleet->rng, 1000) < fleet->opts->restart_permille) {
        inst->leaked = 0;
        inst->restarts++;
        fleet->restarts++;
    } else if (svc->leaky && round > 0) {
        inst->leaked += svc->leak_k;
    }
    uint64_t counts[N_SITES];
    for (size_t s = 0; s < N_SITES; s++) {
        const struct site_def *site = &sites[s];
        switch (site->model) {
        case MODEL_FLAT:
            counts[s] = site->base + (site->spread > 0 ? inst->index % site->spread : 0);
            break;
        case MODEL_NOISY:
            counts[s] = sim_rng_below(&fleet->rng, site->base + 1);
            break;
        case MODEL_LEAK:
            counts[s] = svc->leaky ? inst->leaked : 0;
            break;
        }
    }
    simprofile_encode(&svc->profile, counts, ts, &fleet->scratch, out);
}

/* ---- latencies ------------------------------------------------------------------------- */

struct samples {
    double *v;
    size_t len;
    size_t cap;
};

static void samples_add(struct samples *s, double v)
{
    if (s->len == s->cap) {
        s->cap = s->cap == 0 ? 1024 : s->cap * 2;
        s->v = sim_realloc(s->v, s->cap * sizeof(double));
    }
    s->v[s->len++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double samples_quantile(struct samples *s, double q)
{
    if (s->len == 0)
        return NAN;
    qsort(s->v, s->len, sizeof(double), cmp_double);
    size_t i = (size_t)(q * (double)(s->len - 1) + 0.5);
    return s->v[i];
}
/* ---- the push loop (tools/simpush.h: one kept-alive connection per slot) ---------------- */

struct stats {
    uint64_t stored;   /* 201 */
    uint64_t replayed; /* 200 */
    uint64_t status_4xx;
    uint64_t status_503;
    uint64_t status_5xx; /* other than 503 */
    uint64_t transport;  /* no answer */
    uint64_t retries;
    uint64_t bytes;
    struct samples latency;
};

/* A push waiting to be sent again (tag: instance << 32 | round). */
struct retry {
    struct simpush_request req;
    double due;
};

struct loop {
    const struct options *opts;
    struct fleet *fleet;
    struct simpush_pool *pool;
    struct stats stats;
    FILE *acks;
    /* the schedule */
    unsigned round;     /* round being issued */
    size_t next;        /* next instance of that round, in interleaved order */
    double t0;          /* monotonic start of the load */
    bool issuing;       /* rounds still to issue */
    double healthz_end; /* > 0: GET /healthz until then instead of pushing */
    unsigned rounds_done;
    struct retry *retry; /* FIFO of pushes waiting to be retried */
    size_t n_retry;
    size_t cap_retry;
};

static void instance_names(const struct fleet *fleet, const struct instance *inst, char *out,
                           size_t size)
{
    snprintf(out, size, "%s-i%03u", fleet->services[inst->service].name, inst->index);
}

/* The next request to send now: GET /healthz while measuring it, else a due retry, then
 * the schedule. */
static enum simpush_next next_job(void *ctx, struct simpush_request *req)
{
    struct loop *l = ctx;
    double now = sim_now();
    if (l->healthz_end > 0) {
        if (now >= l->healthz_end)
            return SIMPUSH_END;
        snprintf(req->url, sizeof(req->url), "%s/healthz", l->opts->url);
        req->get = true;
        req->bearer = NULL;
        req->key[0] = '\0';
        return SIMPUSH_SEND;
    }
    if (l->n_retry > 0 && l->retry[0].due <= now) {
        sim_buf_release(&req->body);
        *req = l->retry[0].req;
        memmove(l->retry, l->retry + 1, (l->n_retry - 1) * sizeof(*l->retry));
        l->n_retry--;
        l->stats.retries++;
        return SIMPUSH_SEND;
    }
    enum simpush_next idle = l->n_retry > 0 ? SIMPUSH_WAIT : SIMPUSH_END;
    if (!l->issuing)
        return idle;
    size_t n = l->fleet->n_instances;
    if (l->next >= n) {
        l->round++;
        l->next = 0;
        l->rounds_done = l->round;
        if (l->round >= l->opts->rounds ||
            (l->opts->duration > 0 && now - l->t0 >= l->opts->duration)) {
            l->issuing = false;
            return idle;
        }
        if (!l->opts->quiet && (l->round % 10 == 0))
            fprintf(stdout, "fleetsim: round %u of %u, %.1f s, %" PRIu64 " stored\n", l->round,
                    l->opts->rounds, now - l->t0, l->stats.stored);
    }
    if (l->next == 0 && l->opts->pace_ms > 0 &&
        now < l->t0 + (double)l->round * l->opts->pace_ms / 1000.0)
        return SIMPUSH_WAIT;
    /* interleave services so that consecutive pushes hit different ones */
    unsigned services = l->opts->services, per = l->opts->instances;
    size_t i = l->next++;
    unsigned instance = (unsigned)((i % services) * per + i / services);
    struct instance *inst = &l->fleet->instances[instance];
    req->tag = (uint64_t)instance << 32 | l->round;
    req->ts = l->fleet->sim_start + (int64_t)l->round * l->opts->step;
    req->attempts = 0;
    req->get = false;
    req->bearer = l->opts->token;
    fleet_profile(l->fleet, inst, l->round, req->ts, &req->body);
    char name[64];
    instance_names(l->fleet, inst, name, sizeof(name));
    snprintf(req->url, sizeof(req->url), "%s/api/v1/profiles?service=%s&instance=%s&ts=%" PRId64,
             l->opts->url, l->fleet->services[inst->service].name, name, req->ts);
    snprintf(req->key, sizeof(req->key), "fs-%" PRIu64 "-%s-%u", l->opts->seed, name, l->round);
    return SIMPUSH_SEND;
}

/* Queues req again after a backoff; takes its body. */
static void retry_later(struct loop *l, struct simpush_request *req)
{
    req->attempts++;
    double backoff = 0.05 * (double)(1u << (req->attempts < 6 ? req->attempts : 6));
    if (l->n_retry == l->cap_retry) {
        l->cap_retry = l->cap_retry == 0 ? 64 : l->cap_retry * 2;
        l->retry = sim_realloc(l->retry, l->cap_retry * sizeof(*l->retry));
    }
    l->retry[l->n_retry++] = (struct retry){ *req, sim_now() + (backoff > 2.0 ? 2.0 : backoff) };
    memset(&req->body, 0, sizeof(req->body));
}

static void job_done(void *ctx, struct simpush_request *req, const struct simpush_answer *answer)
{
    struct loop *l = ctx;
    long status = answer->status;
    if (req->get) {
        if (status == 200)
            l->stats.stored++;
        else
            l->stats.transport++;
        return;
    }
    bool retry = false;
    if (answer->result != CURLE_OK) {
        l->stats.transport++;
        retry = true;
    } else if (status >= 200 && status < 300) {
        samples_add(&l->stats.latency, answer->seconds);
        l->stats.bytes += req->body.len;
        if (status == 201)
            l->stats.stored++;
        else
            l->stats.replayed++;
        if (l->acks != NULL) {
            json_t *doc = simpush_json(answer->body);
            json_int_t id = json_integer_value(json_object_get(doc, "profile_id"));
            const struct instance *inst = &l->fleet->instances[req->tag >> 32];
            char name[64];
            instance_names(l->fleet, inst, name, sizeof(name));
            fprintf(l->acks, "%s %s %s %" JSON_INTEGER_FORMAT " %ld\n",
                    l->fleet->services[inst->service].name, name, req->key, id, status);
            json_decref(doc);
        }
    } else if (status == 503) {
        l->stats.status_503++;
        retry = true;
    } else if (status >= 500 || status == 408 || status == 429) {
        l->stats.status_5xx++;
        retry = status >= 500 || l->opts->retry;
    } else {
        l->stats.status_4xx++;
        if (l->stats.status_4xx <= 3)
            fprintf(stderr, "fleetsim: push answered %ld: %.*s\n", status, (int)answer->body->len,
                    (const char *)answer->body->p);
    }
    if (retry && l->opts->retry)
        retry_later(l, req);
}

/* Pushes the schedule until it is done; healthz_seconds > 0: GET /healthz for that long
 * instead. */
static void loop_run(struct loop *l, double healthz_seconds)
{
    l->healthz_end = healthz_seconds > 0 ? sim_now() + healthz_seconds : 0;
    simpush_pool_run(l->pool, next_job, job_done, l);
    l->healthz_end = 0;
}

/* ---- queries under load, on their own connection --------------------------------------- */

enum query_kind {
    Q_LEAKS,
    Q_TRENDS,
    Q_SERIES,
    Q_N,
};
static const char *const query_names[Q_N] = { "leaks", "trends", "series 30d" };

struct querier {
    const struct options *opts;
    int64_t sim_end;
    pthread_t thread;
    volatile bool stop;
    CURL *easy;
    struct sim_buf resp;
    struct samples latency[Q_N];
    long last_status[Q_N];
    int64_t series_location;
    bool series_planted;
    size_t series_points;
};

/* The location id of the first leaky service's planted site (*planted set), else of
 * any row of that service (0: none yet); the planted site appears once it has leaked. */
static int64_t find_series_location(CURL *easy, struct sim_buf *resp, const char *base,
                                    bool *planted)
{
    char url[600];
    snprintf(url, sizeof(url), "%s/api/v1/leaks?service=svc-000&all=1", base);
    if (simpush_call(easy, resp, url, NULL, false, NULL) != 200)
        return 0;
    json_t *doc = simpush_json(resp);
    json_t *rows = json_object_get(doc, "leaks");
    int64_t id = 0;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *fn = json_string_value(json_object_get(row, "function"));
        json_int_t loc = json_integer_value(json_object_get(row, "location_id"));
        if (id == 0 || (fn != NULL && strstr(fn, LEAK_FUNCTION) != NULL))
            id = loc;
        if (fn != NULL && strstr(fn, LEAK_FUNCTION) != NULL) {
            *planted = true;
            break;
        }
    }
    json_decref(doc);
    return id;
}

static void querier_once(struct querier *q)
{
    char url[700];
    double seconds = 0;
    snprintf(url, sizeof(url), "%s/api/v1/leaks", q->opts->url);
    q->last_status[Q_LEAKS] = simpush_call(q->easy, &q->resp, url, NULL, false, &seconds);
    if (q->last_status[Q_LEAKS] == 200)
        samples_add(&q->latency[Q_LEAKS], seconds);
    snprintf(url, sizeof(url), "%s/api/v1/trends", q->opts->url);
    q->last_status[Q_TRENDS] = simpush_call(q->easy, &q->resp, url, NULL, false, &seconds);
    if (q->last_status[Q_TRENDS] == 200)
        samples_add(&q->latency[Q_TRENDS], seconds);
    if (!q->series_planted) {
        int64_t id = find_series_location(q->easy, &q->resp, q->opts->url, &q->series_planted);
        if (id != 0)
            q->series_location = id;
    }
    if (q->series_location != 0) {
        snprintf(url, sizeof(url),
                 "%s/api/v1/locations/%" PRId64 "/series?from=%" PRId64 "&to=%" PRId64,
                 q->opts->url, q->series_location, q->sim_end - 30 * 86400, q->sim_end);
        q->last_status[Q_SERIES] = simpush_call(q->easy, &q->resp, url, NULL, false, &seconds);
        if (q->last_status[Q_SERIES] == 200) {
            samples_add(&q->latency[Q_SERIES], seconds);
            json_t *doc = simpush_json(&q->resp);
            q->series_points = json_array_size(json_object_get(doc, "series"));
            json_decref(doc);
        }
    }
}

static void *querier_main(void *arg)
{
    struct querier *q = arg;
    while (!q->stop) {
        querier_once(q);
        struct timespec pause = { 1, 0 };
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void querier_report(struct querier *q, const char *when)
{
    for (int k = 0; k < Q_N; k++) {
        struct samples *s = &q->latency[k];
        if (s->len == 0) {
            printf("query %-10s %s: not measured (last status %ld)\n", query_names[k], when,
                   q->last_status[k]);
            continue;
        }
        double p50 = samples_quantile(s, 0.5), p99 = samples_quantile(s, 0.99);
        printf("query %-10s %s: n=%zu p50=%.1f ms p99=%.1f ms max=%.1f ms\n", query_names[k], when,
               s->len, p50 * 1e3, p99 * 1e3, s->v[s->len - 1] * 1e3);
        s->len = 0;
    }
}

/* ---- the detector check ------------------------------------------------------------------ */

struct verdicts {
    unsigned planted;
    unsigned found;
    unsigned false_positives;
    unsigned rows;
};

static void check_leaks(const struct fleet *fleet, const struct sim_buf *resp, struct verdicts *v,
                        bool print)
{
    memset(v, 0, sizeof(*v));
    unsigned n_services = fleet->opts->services;
    bool *found = sim_malloc(n_services * sizeof(bool));
    memset(found, 0, n_services * sizeof(bool));
    for (unsigned s = 0; s < n_services; s++)
        v->planted += fleet->services[s].leaky ? 1 : 0;
    json_t *doc = simpush_json(resp);
    json_t *rows = json_object_get(doc, "leaks");
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *suspect = json_object_get(row, "suspect");
        if (suspect != NULL && !json_is_true(suspect))
            continue;
        v->rows++;
        const char *service = json_string_value(json_object_get(row, "service"));
        const char *fn = json_string_value(json_object_get(row, "function"));
        unsigned s = n_services;
        for (unsigned k = 0; service != NULL && k < n_services; k++) {
            if (strcmp(fleet->services[k].name, service) == 0)
                s = k;
        }
        bool planted = s < n_services && fleet->services[s].leaky && fn != NULL &&
                       strstr(fn, LEAK_FUNCTION) != NULL;
        if (planted) {
            if (!found[s])
                v->found++;
            found[s] = true;
            if (print) {
                json_t *g = json_object_get(row, "growth_per_hour");
                double step_per_hour = 3600.0 / (double)fleet->opts->step;
                printf("  planted %s %s: count %" JSON_INTEGER_FORMAT
                       ", growth %s%.0f/h (planted %.0f/h before restarts)\n",
                       service, LEAK_FUNCTION, json_integer_value(json_object_get(row, "count")),
                       json_is_number(g) ? "" : "null ",
                       json_is_number(g) ? json_number_value(g) : 0,
                       fleet->services[s].leak_k * step_per_hour * fleet->opts->instances);
            }
        } else {
            v->false_positives++;
            if (print && v->false_positives <= 10)
                printf("  false positive: %s %s:%" JSON_INTEGER_FORMAT
                       " %s count %" JSON_INTEGER_FORMAT "\n",
                       service != NULL ? service : "?", fn != NULL ? fn : "?",
                       json_integer_value(json_object_get(row, "line")),
                       json_string_value(json_object_get(row, "op")),
                       json_integer_value(json_object_get(row, "count")));
        }
    }
    json_decref(doc);
    lf_free(found);
}

static int run_check(struct fleet *fleet, const struct options *opts)
{
    CURL *easy = NULL;
    struct sim_buf resp = { 0 };
    easy = simpush_easy_create(&resp);
    char url[600];
    double seconds = 0;
    bool forced = false;
    if (opts->admin_token != NULL) {
        snprintf(url, sizeof(url), "%s/api/v1/detect", opts->url);
        long status = simpush_call(easy, &resp, url, opts->admin_token, true, &seconds);
        if (status >= 200 && status < 300) {
            forced = true;
            printf("detect pass forced: POST /api/v1/detect %ld in %.1f ms\n", status,
                   seconds * 1e3);
        } else {
            printf("POST /api/v1/detect answered %ld: waiting up to %.0f s for a detection "
                   "pass\n",
                   status, opts->detect_wait);
        }
    }
    snprintf(url, sizeof(url), "%s/api/v1/leaks", opts->url);
    struct verdicts v;
    double deadline = sim_now() + (forced ? 0 : opts->detect_wait);
    for (;;) {
        long status = simpush_call(easy, &resp, url, NULL, false, &seconds);
        if (status != 200)
            sim_die("GET /api/v1/leaks answered %ld", status);
        check_leaks(fleet, &resp, &v, false);
        if (v.found == v.planted || sim_now() >= deadline)
            break;
        sleep(1);
    }
    check_leaks(fleet, &resp, &v, true);
    unsigned flat = 0;
    for (size_t s = 0; s < N_SITES; s++)
        flat += sites[s].repo_channel ? 1 : 0;
    flat *= opts->services;
    bool pass = v.found == v.planted && v.false_positives == 0;
    printf("detector: %s: planted leaks %u, found %u, missed %u; false positives %u "
           "(flat in-repo channel sites %u, suspect rows %u)\n",
           pass ? "PASS" : "FAIL", v.planted, v.found, v.planted - v.found, v.false_positives, flat,
           v.rows);
    curl_easy_cleanup(easy);
    sim_buf_release(&resp);
    return pass ? 0 : 3;
}

/* ---- main -------------------------------------------------------------------------------- */

static double db_bytes(const char *path)
{
    if (path == NULL)
        return 0;
    struct stat st;
    double total = 0;
    char wal[4096];
    if (stat(path, &st) == 0)
        total += (double)st.st_size;
    snprintf(wal, sizeof(wal), "%s-wal", path);
    if (stat(wal, &st) == 0)
        total += (double)st.st_size;
    return total;
}

static void parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){
        .services = 10,
        .instances = 10,
        .rounds = 30,
        .step = 60,
        .concurrency = 32,
        .leak_every = 10,
        .restart_permille = 2,
        .detect_wait = 60,
        .seed = 1,
    };
    enum {
        O_RETRY = 1,
        O_QUERIES,
        O_CHECK,
        O_QUIET,
        O_URL,
        O_TOKEN,
        O_ADMIN_TOKEN,
        O_SERVICES,
        O_INSTANCES,
        O_ROUNDS,
        O_STEP,
        O_SIM_END,
        O_PACE_MS,
        O_DURATION,
        O_CONCURRENCY,
        O_LEAK_EVERY,
        O_RESTART_PERMILLE,
        O_ACKS,
        O_DB,
        O_HEALTHZ_SECONDS,
        O_DETECT_WAIT,
        O_SEED,
    };
    /* in the order of the ids: specs[id - 1] is id's */
    static const struct opt_spec specs[] = {
        { "--retry", false, O_RETRY },
        { "--queries", false, O_QUERIES },
        { "--check", false, O_CHECK },
        { "--quiet", false, O_QUIET },
        { "--url", true, O_URL },
        { "--token", true, O_TOKEN },
        { "--admin-token", true, O_ADMIN_TOKEN },
        { "--services", true, O_SERVICES },
        { "--instances", true, O_INSTANCES },
        { "--rounds", true, O_ROUNDS },
        { "--step", true, O_STEP },
        { "--sim-end", true, O_SIM_END },
        { "--pace-ms", true, O_PACE_MS },
        { "--duration", true, O_DURATION },
        { "--concurrency", true, O_CONCURRENCY },
        { "--leak-every", true, O_LEAK_EVERY },
        { "--restart-permille", true, O_RESTART_PERMILLE },
        { "--acks", true, O_ACKS },
        { "--db", true, O_DB },
        { "--healthz-seconds", true, O_HEALTHZ_SECONDS },
        { "--detect-wait", true, O_DETECT_WAIT },
        { "--seed", true, O_SEED },
    };
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    const char *v = NULL;
    int id;
    while ((id = sim_opt_next(&reader, specs, sizeof(specs) / sizeof(specs[0]), &v, usage)) !=
           OPT_END) {
        const char *a = specs[id - 1].name;
        switch (id) {
        case O_RETRY:
            o->retry = true;
            break;
        case O_QUERIES:
            o->queries = true;
            break;
        case O_CHECK:
            o->check = true;
            break;
        case O_QUIET:
            o->quiet = true;
            break;
        case O_URL:
            o->url = v;
            break;
        case O_TOKEN:
            o->token = v;
            break;
        case O_ADMIN_TOKEN:
            o->admin_token = v;
            break;
        case O_SERVICES:
            o->services = (unsigned)sim_parse_int(a, v, 1, 100000);
            break;
        case O_INSTANCES:
            o->instances = (unsigned)sim_parse_int(a, v, 1, 100000);
            break;
        case O_ROUNDS:
            o->rounds = (unsigned)sim_parse_int(a, v, 1, 100000000);
            break;
        case O_STEP:
            o->step = sim_parse_int(a, v, 1, 86400 * 30);
            break;
        case O_SIM_END:
            o->sim_end = sim_parse_int(a, v, 1, INT64_C(1) << 40);
            break;
        case O_PACE_MS:
            o->pace_ms = sim_parse_double(a, v);
            break;
        case O_DURATION:
            o->duration = sim_parse_double(a, v);
            break;
        case O_CONCURRENCY:
            o->concurrency = (unsigned)sim_parse_int(a, v, 1, 4096);
            break;
        case O_LEAK_EVERY:
            o->leak_every = (unsigned)sim_parse_int(a, v, 0, 100000);
            break;
        case O_RESTART_PERMILLE:
            o->restart_permille = (unsigned)sim_parse_int(a, v, 0, 1000);
            break;
        case O_ACKS:
            o->acks = v;
            break;
        case O_DB:
            o->db = v;
            break;
        case O_HEALTHZ_SECONDS:
            o->healthz_seconds = sim_parse_double(a, v);
            break;
        case O_DETECT_WAIT:
            o->detect_wait = sim_parse_double(a, v);
            break;
        case O_SEED:
            o->seed = (uint64_t)sim_parse_int(a, v, 1, INT64_MAX);
            break;
        }
    }
    if (o->url == NULL || o->token == NULL)
        sim_die("--url and --token are required\n%s", usage);
    if (o->sim_end == 0)
        o->sim_end = (int64_t)time(NULL);
}

int main(int argc, char **argv)
{
    sim_program = "fleetsim";
    struct options opts;
    parse_args(argc, argv, &opts);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        sim_die("curl_global_init failed");

    struct fleet fleet = { .opts = &opts, .rng = opts.seed * UINT64_C(0x9E3779B97F4A7C15) };
    fleet.services = sim_malloc(opts.services * sizeof(*fleet.services));
    for (unsigned s = 0; s < opts.services; s++)
        service_init(&fleet.services[s], s, &opts);
    fleet.n_instances = (size_t)opts.services * opts.instances;
    fleet.instances = sim_malloc(fleet.n_instances * sizeof(*fleet.instances));
    for (size_t i = 0; i < fleet.n_instances; i++)
        fleet.instances[i] = (struct instance){ (unsigned)(i / opts.instances),
                                                (unsigned)(i % opts.instances), 0, 0 };
    fleet.sim_start = opts.sim_end - (int64_t)(opts.rounds - 1) * opts.step;

    struct loop l;
    memset(&l, 0, sizeof(l));
    l.opts = &opts;
    l.fleet = &fleet;
    l.pool = simpush_pool_create(opts.concurrency);
    if (opts.acks != NULL) {
        l.acks = fopen(opts.acks, "a");
        if (l.acks == NULL)
            sim_die("cannot open '%s': %s", opts.acks, strerror(errno));
    }
    printf("fleet: %u services x %u instances = %zu instances, %u rounds every %" PRId64
           " simulated s (%.2f simulated days), %u planted leaks, concurrency %u\n",
           opts.services, opts.instances, fleet.n_instances, opts.rounds, opts.step,
           (double)(opts.rounds - 1) * (double)opts.step / 86400.0,
           opts.leak_every > 0 ? (opts.services + opts.leak_every - 1) / opts.leak_every : 0,
           opts.concurrency);

    double healthz_rate = 0;
    if (opts.healthz_seconds > 0) {
        double t = sim_now();
        loop_run(&l, opts.healthz_seconds);
        healthz_rate = (double)l.stats.stored / (sim_now() - t);
        printf("reference: GET /healthz %.0f req/s (%" PRIu64 " answered, %" PRIu64
               " failed, same concurrency)\n",
               healthz_rate, l.stats.stored, l.stats.transport);
        memset(&l.stats, 0, sizeof(l.stats));
    }

    struct querier q;
    memset(&q, 0, sizeof(q));
    q.opts = &opts;
    q.sim_end = opts.sim_end;
    if (opts.queries) {
        q.easy = simpush_easy_create(&q.resp);
        if (pthread_create(&q.thread, NULL, querier_main, &q) != 0)
            sim_die("pthread_create failed");
    }

    double size0 = db_bytes(opts.db);
    l.issuing = true;
    l.t0 = sim_now();
    loop_run(&l, 0);
    double elapsed = sim_now() - l.t0;
    double size1 = db_bytes(opts.db);

    if (opts.queries) {
        q.stop = true;
        pthread_join(q.thread, NULL);
    }
    uint64_t acked = l.stats.stored + l.stats.replayed;
    double rate = (double)acked / elapsed;
    unsigned rounds = l.rounds_done < opts.rounds ? l.rounds_done : opts.rounds;
    printf("pushes: %" PRIu64 " acknowledged (%" PRIu64 " stored, %" PRIu64
           " replays) in %.1f s: %.0f pushes/s; %" PRIu64 " retries, %" PRIu64 " 503, %" PRIu64
           " other 5xx, %" PRIu64 " 4xx, %" PRIu64 " transport errors\n",
           acked, l.stats.stored, l.stats.replayed, elapsed, rate, l.stats.retries,
           l.stats.status_503, l.stats.status_5xx, l.stats.status_4xx, l.stats.transport);
    printf("profile size: %.0f bytes gzipped on average; %" PRIu64 " restarts\n",
           acked > 0 ? (double)l.stats.bytes / (double)acked : 0, fleet.restarts);
    double p50 = samples_quantile(&l.stats.latency, 0.5);
    double p99 = samples_quantile(&l.stats.latency, 0.99);
    double max = l.stats.latency.len > 0 ? l.stats.latency.v[l.stats.latency.len - 1] : NAN;
    printf("ingest latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", p50 * 1e3, p99 * 1e3,
           max * 1e3);
    if (healthz_rate > 0)
        printf("ratio: pushes/s / healthz req/s = %.3f\n", rate / healthz_rate);
    double sim_days = (double)rounds * (double)opts.step / 86400.0;
    if (opts.db != NULL && sim_days > 0)
        printf("database: %.1f MiB -> %.1f MiB (with -wal) over %.3f simulated days: %.1f "
               "MiB per simulated day, %.0f bytes per push\n",
               size0 / 1048576, size1 / 1048576, sim_days, (size1 - size0) / 1048576 / sim_days,
               acked > 0 ? (size1 - size0) / (double)acked : 0);
    if (opts.queries) {
        querier_report(&q, "under load");
        if (q.series_location != 0)
            printf("series: location %" PRId64 ", %zu points over 30 simulated days\n",
                   q.series_location, q.series_points);
        for (int k = 0; k < 10; k++)
            querier_once(&q);
        querier_report(&q, "idle");
        curl_easy_cleanup(q.easy);
        sim_buf_release(&q.resp);
    }
    if (opts.healthz_seconds > 0) {
        /* a second reference after the load: the machine may be busier or idler now */
        lf_free(l.stats.latency.v);
        memset(&l.stats, 0, sizeof(l.stats));
        double t = sim_now();
        loop_run(&l, opts.healthz_seconds);
        double after = (double)l.stats.stored / (sim_now() - t);
        printf("reference after the load: GET /healthz %.0f req/s; ratio pushes/s / healthz "
               "req/s = %.3f\n",
               after, after > 0 ? rate / after : 0);
    }
    int rc = 0;
    if (opts.check)
        rc = run_check(&fleet, &opts);
    if (!opts.retry && acked < (uint64_t)rounds * fleet.n_instances && rc == 0)
        rc = 1;
    if (opts.retry && l.n_retry > 0)
        rc = 1;

    if (l.acks != NULL)
        fclose(l.acks);
    simpush_pool_free(l.pool);
    for (size_t i = 0; i < l.n_retry; i++)
        sim_buf_release(&l.retry[i].req.body);
    lf_free(l.retry);
    lf_free(l.stats.latency.v);
    simprofile_scratch_release(&fleet.scratch);
    for (unsigned s = 0; s < opts.services; s++)
        service_release(&fleet.services[s]);
    lf_free(fleet.services);
    lf_free(fleet.instances);
    for (int k = 0; k < Q_N; k++)
        lf_free(q.latency[k].v);
    curl_global_cleanup();
    return rc;
}
