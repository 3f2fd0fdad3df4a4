/* detectsim.c - the detection scenario player: measures leakfleet's leak verdicts against a
 * known truth, through HTTP only. Each scenario is a service of 20 instances (200 for one)
 * whose goroutine profiles behave like production: a daily load wave, optional weekend
 * lull and traffic growth, busy IO-wait and running goroutines that follow the load, flat
 * in-repo pools, restarts that reset every in-memory count, deploys that change the
 * version, and one site under test (a leak, a pool, a load-following site, spikes...).
 * Profiles go out every --step simulated seconds per instance with an explicit ts, in
 * ts order; at each cut-off the server holds exactly the profiles with ts <= cut-off,
 * a detection pass is forced at that time and GET /api/v1/leaks?all=1 read. The server's
 * clock follows the simulation when it runs under tools/simclock.c (--clock-file). The
 * report: per scenario and cut-off the truth, the verdict, reported vs true growth, the
 * leaking instances, a Prometheus-style baseline computed here from each instance's
 * total goroutines; then a summary against the targets (exit 1 when one fails).
 * --scale loads a large fleet instead and times one pass. Deterministic for a seed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alloc.h"
#include "simprofile.h"
#include "simpush.h"

static const char usage[] =
        "usage: detectsim --url URL --token TOKEN --admin-token TOKEN [options]\n"
        "\n"
        "Plays detection scenarios against leakfleet serve and scores its verdicts.\n"
        "\n"
        "  --url URL             server base URL, e.g. http://127.0.0.1:8080\n"
        "  --token TOKEN         ingest token covering every service ('*')\n"
        "  --admin-token TOKEN   admin token, for POST /api/v1/detect\n"
        "  --clock-file PATH     the file the server's simulated clock reads (the server runs\n"
        "                        with LD_PRELOAD=build/tools/simclock.so and\n"
        "                        LEAKFLEET_SIMCLOCK=PATH): set to each push's and pass's time\n"
        "  --seeds N             independent noise draws per scenario (default 2)\n"
        "  --seed N              the first seed (default 1)\n"
        "  --step SECONDS        simulated seconds between two profiles of one instance (300)\n"
        "  --end UNIX            end of the simulated timeline (default: the latest Tuesday\n"
        "                        00:00 UTC before now; the last day is a Monday)\n"
        "  --only A,B            run only these scenarios (names as --list prints them)\n"
        "  --concurrency C       pushes in flight (default 16)\n"
        "  --threshold N         baseline rule: deriv(go_goroutines[6h]) above N per hour on\n"
        "                        any instance (default 10)\n"
        "  --no-started          push without started= (a server that does not take it)\n"
        "  --list                print the scenarios and exit\n"
        "  --write-profile FILE  write the first instance's profile at the end of the first\n"
        "                        scenario (--only) to FILE, push nothing, and exit (to read\n"
        "                        with leakfleet analyze)\n"
        "  --scale               cost mode: --services x --instances instances with --hours of\n"
        "                        history, then one detection pass timed\n"
        "  --services N          (scale) services (default 300)\n"
        "  --instances N         (scale) instances per service (default 100)\n"
        "  --hours H             (scale) hours of history (default 48)\n"
        "  --pass-every H        (scale) also time a pass after every H hours loaded\n"
        "  --quiet               no progress lines\n";

#define HOUR 3600
#define DAY  86400

/* ---- the code the services run: stacks ---------------------------------------------------- */

#define GOROOT   "/usr/local/go/src/"
#define RT       GOROOT "runtime/"
#define HTTP_GO  GOROOT "net/http/server.go"
#define POLL_GO  GOROOT "internal/poll/fd_poll_runtime.go"
#define SVC_FILE "/build/acme/%s/"
#define PGX      "/root/go/pkg/mod/github.com/jackc/pgx/v5@v5.5.0/"
#define KAFKA    "/root/go/pkg/mod/github.com/segmentio/kafka-go@v0.4.47/"

/* The in-repo roots the server is configured with (tests/bench/detect_scenarios.sh). */
#define REPO_MODULE "github.com/acme/"

/* clang-format off */
#define GOPARK    { "runtime.gopark", RT "proc.go", 398 }
#define CHANSEND  { "runtime.chansend", RT "chan.go", 259 }, { "runtime.chansend1", RT "chan.go", 145 }
#define CHANRECV1 { "runtime.chanrecv", RT "chan.go", 583 }, { "runtime.chanrecv1", RT "chan.go", 442 }
#define CHANRECV2 { "runtime.chanrecv", RT "chan.go", 583 }, { "runtime.chanrecv2", RT "chan.go", 447 }
#define SELECTGO  { "runtime.selectgo", RT "select.go", 327 }
#define NETPOLL   GOPARK, { "runtime.netpollblock", RT "netpoll.go", 564 }, \
                  { "internal/poll.runtime_pollWait", RT "netpoll.go", 343 }, \
                  { "internal/poll.(*pollDesc).wait", POLL_GO, 84 }, \
                  { "internal/poll.(*pollDesc).waitRead", POLL_GO, 89 }, \
                  { "internal/poll.(*FD).Read", GOROOT "internal/poll/fd_unix.go", 164 }, \
                  { "net.(*netFD).Read", GOROOT "net/fd_posix.go", 55 }, \
                  { "net.(*conn).Read", GOROOT "net/net.go", 179 }

/* What every profile holds besides the site under test. */
enum background {
    BG_HTTP_READ,   /* IO wait: net/http server connections, ~40 x load */
    BG_PGX_READ,    /* IO wait: database connections, ~15 x load */
    BG_RUNNING,     /* running: request handlers on a CPU, ~5 x load */
    BG_CACHE_MUTEX, /* semacquire, in-repo: ~2 x load */
    BG_QUEUE,       /* chan receive, in-repo, flat: 16 workers minus the busy ones */
    BG_BUS,         /* chan send, in-repo, flat: 4, sometimes 5 */
    BG_REFRESH,     /* select, in-repo, flat: 1 */
    BG_MAIN,        /* chan receive in main.main, in-repo by file: 1 */
    BG_N,
};

static const struct simprofile_frame background_stacks[BG_N][SIMPROFILE_MAX_FRAMES] = {
    [BG_HTTP_READ] = { NETPOLL,
        { "net/http.(*connReader).Read", HTTP_GO, 791 },
        { "bufio.(*Reader).fill", GOROOT "bufio/bufio.go", 113 },
        { "bufio.(*Reader).Peek", GOROOT "bufio/bufio.go", 151 },
        { "net/http.(*conn).serve", HTTP_GO, 2044 } },
    [BG_PGX_READ] = { NETPOLL,
        { "bufio.(*Reader).Read", GOROOT "bufio/bufio.go", 244 },
        { "github.com/jackc/pgx/v5/pgproto3.(*chunkReader).Next", PGX "pgproto3/chunkreader.go", 80 },
        { "github.com/jackc/pgx/v5/pgconn.(*PgConn).receiveMessage", PGX "pgconn/pgconn.go", 518 } },
    [BG_RUNNING] = {
        { "github.com/acme/%s/render.(*Page).encode", SVC_FILE "render/page.go", 301 },
        { "github.com/acme/%s/api.(*Handler).ServeHTTP", SVC_FILE "api/handler.go", 97 },
        { "net/http.serverHandler.ServeHTTP", HTTP_GO, 2938 },
        { "net/http.(*conn).serve", HTTP_GO, 2009 } },
    [BG_CACHE_MUTEX] = { GOPARK, { "runtime.goparkunlock", RT "proc.go", 404 },
        { "runtime.semacquire1", RT "sema.go", 160 },
        { "sync.runtime_SemacquireMutex", RT "sema.go", 77 },
        { "sync.(*Mutex).lockSlow", GOROOT "sync/mutex.go", 171 },
        { "sync.(*Mutex).Lock", GOROOT "sync/mutex.go", 90 },
        { "github.com/acme/%s/store.(*Cache).Get", SVC_FILE "store/cache.go", 58 } },
    [BG_QUEUE] = { GOPARK, CHANRECV2,
        { "github.com/acme/lib/jobs.(*Queue).worker", "/build/acme/lib/jobs/queue.go", 88 },
        { "github.com/acme/lib/jobs.(*Queue).Start.func1", "/build/acme/lib/jobs/queue.go", 61 } },
    [BG_BUS] = { GOPARK, CHANSEND,
        { "github.com/acme/%s/events.(*Bus).deliver", SVC_FILE "events/bus.go", 118 },
        { "github.com/acme/%s/events.(*Bus).Run.func1", SVC_FILE "events/bus.go", 90 } },
    [BG_REFRESH] = { GOPARK, SELECTGO,
        { "github.com/acme/lib/config.(*Watcher).loop", "/build/acme/lib/config/watch.go", 142 },
        { "github.com/acme/lib/config.Watch.func1", "/build/acme/lib/config/watch.go", 77 } },
    [BG_MAIN] = { GOPARK, CHANRECV1, { "main.main", SVC_FILE "cmd/server/main.go", 64 },
        { "runtime.main", RT "proc.go", 267 } },
};

/* The site under test: its stack, by kind. */
enum subject {
    SUBJECT_SEND,    /* a publisher goroutine per message blocked sending */
    SUBJECT_RECV,    /* a request waiting for a backend reply: follows load */
    SUBJECT_SELECT,  /* a streaming session's pump */
    SUBJECT_POOL,    /* a worker pool's idle workers */
    SUBJECT_OUTSIDE, /* a third-party library's goroutine, outside the repo */
    SUBJECT_N,
};

static const struct simprofile_frame subject_stacks[SUBJECT_N][SIMPROFILE_MAX_FRAMES] = {
    [SUBJECT_SEND] = { GOPARK, CHANSEND,
        { "github.com/acme/%s/fanout.(*Broadcaster).Publish.func1",
          SVC_FILE "fanout/broadcast.go", 51 } },
    [SUBJECT_RECV] = { GOPARK, CHANRECV1,
        { "github.com/acme/%s/backend.(*Client).Do", SVC_FILE "backend/client.go", 133 },
        { "github.com/acme/%s/api.(*Handler).ServeHTTP", SVC_FILE "api/handler.go", 88 },
        { "net/http.serverHandler.ServeHTTP", HTTP_GO, 2938 },
        { "net/http.(*conn).serve", HTTP_GO, 2009 } },
    [SUBJECT_SELECT] = { GOPARK, SELECTGO,
        { "github.com/acme/%s/stream.(*Session).pump", SVC_FILE "stream/session.go", 210 },
        { "github.com/acme/%s/stream.(*Server).Accept.func1", SVC_FILE "stream/server.go", 64 } },
    [SUBJECT_POOL] = { GOPARK, CHANRECV2,
        { "github.com/acme/%s/jobs.(*Pool).worker", SVC_FILE "jobs/pool.go", 88 },
        { "github.com/acme/%s/jobs.(*Pool).Start.func1", SVC_FILE "jobs/pool.go", 61 } },
    [SUBJECT_OUTSIDE] = { GOPARK, SELECTGO,
        { "github.com/segmentio/kafka-go.(*Reader).run", KAFKA "reader.go", 1120 },
        { "github.com/segmentio/kafka-go.(*Reader).activateReadLag.func1", KAFKA "reader.go", 394 } },
};
/* clang-format on */

/* ---- scenarios ------------------------------------------------------------------------- */

/* Times are hours relative to the end of the simulated timeline (negative: before it);
 * 0 = unset for onset, stop, fix and deploy. */
struct scenario {
    const char *name;
    const char *what; /* the truth, in words */
    enum subject subject;
    unsigned instances;
    double history_h;      /* hours of pushes before the end */
    bool weekend;          /* Saturday and Sunday at 40% of the load */
    double traffic_growth; /* load growth per day, fraction */
    double base;           /* the site's flat count per instance */
    double base_noise;     /* its standard deviation */
    double load_k;         /* plus Poisson(load_k x load) */
    double load_lag_h;     /* the site follows the load through this lag (hours); 0 = at once */
    double leak_rate;      /* goroutines per hour per leaking instance */
    unsigned leakers;      /* leaking instances, 0 = all */
    double onset_h;        /* the leak starts; 0 = leaking since before the first push */
    double stop_h;         /* the growth stops there (a plateau); 0 = never */
    double fix_h;          /* a fixed version deployed: all restart, no leak after; 0 = never */
    double restart_min_h;  /* random restarts every min..max hours per instance; 0 = none */
    double restart_max_h;
    double deploy_h;        /* a new version: the deploy fraction of instances restarts */
    double deploy_fraction; /* 1 = all, 0.1 = a canary */
    double deploy_base;     /* the site's base in the new version */
    double spike_every_h;   /* single-sample spikes, mean hours between two per instance */
    double spike_value;
    unsigned cutoff_days; /* cut-offs every 2 h over the last N days */
};

/* clang-format off */
static const struct scenario scenarios[] = {
    { .name = "load-wave", .what = "follows a 24 h load wave, ~50..800 per instance",
      .subject = SUBJECT_RECV, .instances = 20, .history_h = 72, .load_k = 800,
      .cutoff_days = 1 },
    { .name = "leak-restarts", .what = "+20/h per instance, each restarting every 6-18 h",
      .subject = SUBJECT_SEND, .instances = 20, .history_h = 30, .base = 2, .base_noise = 1,
      .leak_rate = 20, .restart_min_h = 6, .restart_max_h = 18, .cutoff_days = 1 },
    { .name = "deploy-pool", .what = "deploy: all restart, a pool then flat at 128 instead of 64",
      .subject = SUBJECT_POOL, .instances = 20, .history_h = 30, .base = 64, .base_noise = 1,
      .deploy_h = -12, .deploy_fraction = 1, .deploy_base = 128, .cutoff_days = 1 },
    { .name = "spikes", .what = "single-sample spikes to 5,000, then back to ~30",
      .subject = SUBJECT_SELECT, .instances = 20, .history_h = 30, .base = 30,
      .base_noise = 3, .spike_every_h = 8, .spike_value = 5000, .cutoff_days = 1 },
    { .name = "one-of-20", .what = "+50/h in 1 of 20 instances from its onset",
      .subject = SUBJECT_SEND, .instances = 20, .history_h = 30, .base = 3, .base_noise = 1,
      .leak_rate = 50, .leakers = 1, .onset_h = -20, .cutoff_days = 1 },
    { .name = "slow-fleet", .what = "+2/h per instance across 20, no restarts",
      .subject = SUBJECT_SEND, .instances = 20, .history_h = 30, .base = 2, .base_noise = 1,
      .leak_rate = 2, .cutoff_days = 1 },
    { .name = "plateau", .what = "+30/h per instance, stops and plateaus 8 h before the end",
      .subject = SUBJECT_SELECT, .instances = 20, .history_h = 30, .base = 5, .base_noise = 1,
      .leak_rate = 30, .onset_h = -20, .stop_h = -8, .cutoff_days = 1 },
    { .name = "outside-repo", .what = "+30/h per instance in a third-party package",
      .subject = SUBJECT_OUTSIDE, .instances = 20, .history_h = 30, .base = 2,
      .base_noise = 1, .leak_rate = 30, .cutoff_days = 1 },
    { .name = "traffic-growth", .what = "traffic +3%/day for a week, blocking follows load",
      .subject = SUBJECT_RECV, .instances = 20, .history_h = 192, .traffic_growth = 0.03,
      .load_k = 400, .cutoff_days = 1 },
    { .name = "restarts-flat", .what = "a flat pool of 32, instances restarting every 2-8 h",
      .subject = SUBJECT_POOL, .instances = 20, .history_h = 30, .base = 32, .base_noise = 1,
      .restart_min_h = 2, .restart_max_h = 8, .cutoff_days = 1 },
    { .name = "canary", .what = "canary: 10% on a new version with a pool of 128, not 64",
      .subject = SUBJECT_POOL, .instances = 20, .history_h = 30, .base = 64, .base_noise = 1,
      .deploy_h = -14, .deploy_fraction = 0.1, .deploy_base = 128, .cutoff_days = 1 },
    { .name = "weekend", .what = "follows load with a weekend lull (Sat/Sun at 40%)",
      .subject = SUBJECT_RECV, .instances = 20, .history_h = 96, .weekend = true,
      .load_k = 600, .cutoff_days = 2 },
    { .name = "onset-mid", .what = "+20/h per instance from 12 h before the end",
      .subject = SUBJECT_SEND, .instances = 20, .history_h = 30, .base = 2, .base_noise = 1,
      .leak_rate = 20, .onset_h = -12, .cutoff_days = 1 },
    { .name = "fixed", .what = "+20/h per instance until a fix is deployed 10 h before the end",
      .subject = SUBJECT_SEND, .instances = 20, .history_h = 30, .base = 2, .base_noise = 1,
      .leak_rate = 20, .fix_h = -10, .cutoff_days = 1 },
    { .name = "one-of-200", .what = "+20/h in 1 of 200 instances from its onset",
      .subject = SUBJECT_SEND, .instances = 200, .history_h = 18, .base = 1,
      .base_noise = 0.5, .leak_rate = 20, .leakers = 1, .onset_h = -12, .cutoff_days = 1 },
    { .name = "load-lag", .what = "streaming sessions of about an hour: the load through a 1 h lag",
      .subject = SUBJECT_SELECT, .instances = 20, .history_h = 72, .load_k = 800,
      .load_lag_h = 1, .cutoff_days = 1 },
    { .name = "load-plus-leak", .what = "follows load (~30..400) with +20/h per instance on top",
      .subject = SUBJECT_RECV, .instances = 20, .history_h = 72, .load_k = 400,
      .leak_rate = 20, .onset_h = -18, .cutoff_days = 1 },
    { .name = "load-plateau", .what = "follows load (~30..400), +30/h per instance for a day, then flat",
      .subject = SUBJECT_RECV, .instances = 20, .history_h = 72, .load_k = 400,
      .leak_rate = 30, .onset_h = -44, .stop_h = -20, .cutoff_days = 2 },
};
/* clang-format on */
#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* The load model. */
#define LOAD_TROUGH      0.06 /* of the peak, at 04:00 UTC; the peak at 16:00 */
#define LOAD_WEEKEND     0.40
#define LOAD_JITTER      0.15 /* per instance, uniform +- */
#define LOAD_NOISE       0.05 /* per profile, normal sd */
#define BASELINE_WINDOW  (6 * HOUR)
#define TTD_MIN_RATE     20.0 /* leaks counted in the median time to detection */
#define GROWTH_AFTER     (4 * HOUR)
#define GROWTH_TOLERANCE 0.25
#define GRACE            HOUR /* after a leak stops or is fixed: neither truth counts */

/* ---- options -------------------------------------------------------------------------------- */

struct options {
    const char *url;
    const char *token;
    const char *admin_token;
    const char *clock_file;
    unsigned seeds;
    uint64_t seed;
    int64_t step;
    int64_t end;
    const char *only;
    unsigned concurrency;
    double threshold;
    bool no_started;
    bool list;
    const char *write_profile;
    bool scale;
    unsigned scale_services;
    unsigned scale_instances;
    double scale_hours;
    double pass_every;
    bool quiet;
};

static void parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){
        .seeds = 2,
        .seed = 1,
        .step = 300,
        .concurrency = 16,
        .threshold = 10,
        .scale_services = 300,
        .scale_instances = 100,
        .scale_hours = 48,
    };
    enum {
        O_NO_STARTED = 1,
        O_LIST,
        O_SCALE,
        O_QUIET,
        O_URL,
        O_TOKEN,
        O_ADMIN_TOKEN,
        O_CLOCK_FILE,
        O_SEEDS,
        O_SEED,
        O_STEP,
        O_END,
        O_ONLY,
        O_WRITE_PROFILE,
        O_CONCURRENCY,
        O_THRESHOLD,
        O_SERVICES,
        O_INSTANCES,
        O_HOURS,
        O_PASS_EVERY,
    };
    /* in the order of the ids: specs[id - 1] is id's */
    static const struct opt_spec specs[] = {
        { "--no-started", false, O_NO_STARTED },
        { "--list", false, O_LIST },
        { "--scale", false, O_SCALE },
        { "--quiet", false, O_QUIET },
        { "--url", true, O_URL },
        { "--token", true, O_TOKEN },
        { "--admin-token", true, O_ADMIN_TOKEN },
        { "--clock-file", true, O_CLOCK_FILE },
        { "--seeds", true, O_SEEDS },
        { "--seed", true, O_SEED },
        { "--step", true, O_STEP },
        { "--end", true, O_END },
        { "--only", true, O_ONLY },
        { "--write-profile", true, O_WRITE_PROFILE },
        { "--concurrency", true, O_CONCURRENCY },
        { "--threshold", true, O_THRESHOLD },
        { "--services", true, O_SERVICES },
        { "--instances", true, O_INSTANCES },
        { "--hours", true, O_HOURS },
        { "--pass-every", true, O_PASS_EVERY },
    };
    struct opt_reader reader;
    opt_init(&reader, argc, argv);
    const char *v = NULL;
    int id;
    while ((id = sim_opt_next(&reader, specs, sizeof(specs) / sizeof(specs[0]), &v, usage)) !=
           OPT_END) {
        const char *a = specs[id - 1].name;
        switch (id) {
        case O_NO_STARTED:
            o->no_started = true;
            break;
        case O_LIST:
            o->list = true;
            break;
        case O_SCALE:
            o->scale = true;
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
        case O_CLOCK_FILE:
            o->clock_file = v;
            break;
        case O_SEEDS:
            o->seeds = (unsigned)sim_parse_int(a, v, 1, 100);
            break;
        case O_SEED:
            o->seed = (uint64_t)sim_parse_int(a, v, 1, INT64_MAX / 2);
            break;
        case O_STEP:
            o->step = sim_parse_int(a, v, 10, HOUR);
            break;
        case O_END:
            o->end = sim_parse_int(a, v, 30 * DAY, INT64_C(1) << 40);
            break;
        case O_ONLY:
            o->only = v;
            break;
        case O_WRITE_PROFILE:
            o->write_profile = v;
            break;
        case O_CONCURRENCY:
            o->concurrency = (unsigned)sim_parse_int(a, v, 1, 1024);
            break;
        case O_THRESHOLD:
            o->threshold = sim_parse_double(a, v);
            break;
        case O_SERVICES:
            o->scale_services = (unsigned)sim_parse_int(a, v, 1, 100000);
            break;
        case O_INSTANCES:
            o->scale_instances = (unsigned)sim_parse_int(a, v, 1, 100000);
            break;
        case O_HOURS:
            o->scale_hours = (double)sim_parse_int(a, v, 1, 24 * 30);
            break;
        case O_PASS_EVERY:
            o->pass_every = (double)sim_parse_int(a, v, 1, 24 * 30);
            break;
        }
    }
    if (o->list)
        return;
    if (o->write_profile != NULL) {
        o->url = o->url != NULL ? o->url : "http://unused";
        o->token = o->token != NULL ? o->token : "unused";
        o->admin_token = o->admin_token != NULL ? o->admin_token : "unused";
    }
    if (o->url == NULL || o->token == NULL || o->admin_token == NULL)
        sim_die("--url, --token and --admin-token are required\n%s", usage);
    if (o->end == 0) {
        /* the latest Tuesday 00:00 UTC (1970-01-01 was a Thursday: day 5 was a Tuesday) */
        int64_t day = (int64_t)time(NULL) / DAY;
        day -= ((day - 5) % 7 + 7) % 7;
        o->end = day * DAY;
    }
}

/* Whether scenario name was picked by --only (a comma-separated list). */
static bool scenario_selected(const char *only, const char *name)
{
    if (only == NULL)
        return true;
    size_t len = strlen(name);
    for (const char *p = only; *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        p += n + (comma != NULL ? 1 : 0);
    }
    return false;
}

/* ---- the simulation: instances and their profiles ----------------------------------------- */

enum truth {
    TRUTH_NOT,
    TRUTH_LEAK,
    TRUTH_GRACE, /* within GRACE after the leak stopped or was fixed: not scored */
};

/* What the server said about one service's site under test at one cut-off. */
struct result {
    bool present; /* a row for the site */
    bool flagged;
    bool has_growth;
    double growth;
    int64_t count;
    long reported_instances; /* -1 = the row carries no instances */
    long instances_right;    /* of the reported, how many leak */
    int64_t since;           /* 0 = not given */
    int64_t true_since;      /* the median over the leaking instances of the leak's onset
                                or the instance's latest start, whichever is later */
    char reason[160];
    unsigned background_fp; /* other sites of the service flagged */
    bool baseline;          /* the baseline rule fired on an instance */
    double baseline_slope;  /* the largest per-instance slope, per hour */
};

struct instance {
    char name[80];
    uint64_t rng;
    double jitter;
    int64_t offset;  /* a profile's ts = step time - offset */
    int64_t started; /* the process start */
    int64_t next_restart;
    int64_t accrued; /* the leak counted up to here */
    uint64_t leaked;
    bool leaker;
    bool in_deploy;
    bool deployed;
    bool fixed;
    bool spike_now; /* the next profile is a spike */
    double lagged;  /* the load as the site follows it (load_lag_h), < 0 before the first */
    /* the baseline's samples: total goroutines, a ring of the latest */
    int64_t *ring_ts;
    double *ring_total;
    size_t ring_len;
    size_t ring_head;
};

struct service {
    const struct scenario *scn;
    unsigned seed;
    char name[64];
    char subject_function[200];
    struct simprofile profile;
    struct instance *instances;
    unsigned n_instances;
    unsigned n_leakers;
    int64_t first; /* first step time */
    int64_t onset; /* INT64_MIN: since before the first push */
    int64_t stop;  /* INT64_MAX: never */
    int64_t fix;
    int64_t deploy;
    int64_t step;
    int64_t *cutoffs;
    struct result *results;
    size_t n_cutoffs;
};

struct sim {
    const struct options *opts;
    struct service *services;
    size_t n_services;
    int64_t end;
    int64_t first;
    bool evaluate; /* keep baseline samples */
    size_t ring_cap;
    struct simprofile_scratch scratch;
    int clock_fd;
    bool started_param;
};

static int64_t at_hours(const struct sim *sim, double h)
{
    return sim->end + (int64_t)llround(h * HOUR / (double)sim->opts->step) * sim->opts->step;
}

static double uniform(uint64_t *rng, double lo, double hi)
{
    return lo + (hi - lo) * sim_rng_uniform(rng);
}

static uint64_t mix_seed(const char *name, uint64_t seed, uint64_t index)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (const char *p = name; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
    h ^= seed * UINT64_C(0x9E3779B97F4A7C15);
    h ^= (index + 1) * UINT64_C(0xBF58476D1CE4E5B9);
    uint64_t state = h;
    sim_rng_next(&state);
    return state;
}

/* The daily wave: LOAD_TROUGH at 04:00 UTC, 1 at 16:00. */
static double load_wave(int64_t t)
{
    double hour = (double)(((t % DAY) + DAY) % DAY) / HOUR;
    return LOAD_TROUGH + (1 - LOAD_TROUGH) * (1 - cos(2 * M_PI * (hour - 4) / 24)) / 2;
}

static double day_factor(const struct scenario *scn, int64_t day)
{
    int weekday = (int)(((day + 3) % 7 + 7) % 7); /* 0 = Monday */
    return scn->weekend && weekday >= 5 ? LOAD_WEEKEND : 1.0;
}

/* The weekend lull, blended over the 6 hours around midnight. */
static double weekly(const struct scenario *scn, int64_t t)
{
    int64_t day = t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
    double hour = (double)(t - day * DAY) / HOUR;
    double today = day_factor(scn, day);
    if (hour < 3) {
        double w = (1 - cos(M_PI * (hour + 3) / 6)) / 2;
        return day_factor(scn, day - 1) * (1 - w) + today * w;
    }
    if (hour > 21) {
        double w = (1 - cos(M_PI * (hour - 21) / 6)) / 2;
        return today * (1 - w) + day_factor(scn, day + 1) * w;
    }
    return today;
}

/* The instance's load at t, with its jitter and this profile's noise. */
static double load_at(const struct service *svc, struct instance *inst, int64_t t)
{
    const struct scenario *scn = svc->scn;
    double load = load_wave(t) * weekly(scn, t) * inst->jitter;
    if (scn->traffic_growth > 0)
        load *= pow(1 + scn->traffic_growth, (double)(t - svc->first) / DAY);
    load *= 1 + LOAD_NOISE * sim_rng_normal(&inst->rng);
    return load > 0 ? load : 0;
}

static void schedule_restart(const struct scenario *scn, struct instance *inst)
{
    if (scn->restart_max_h > 0)
        inst->next_restart =
                inst->started +
                (int64_t)(uniform(&inst->rng, scn->restart_min_h, scn->restart_max_h) * HOUR);
    else
        inst->next_restart = INT64_MAX;
}

/* Counts the leak from inst->accrued up to t: Poisson arrivals while leaking. */
static void accrue(const struct service *svc, struct instance *inst, int64_t t)
{
    if (t <= inst->accrued)
        return;
    int64_t from = inst->accrued > svc->onset ? inst->accrued : svc->onset;
    int64_t to = t < svc->stop ? t : svc->stop;
    if (inst->leaker && !inst->fixed && svc->scn->leak_rate > 0 && to > from)
        inst->leaked +=
                sim_rng_poisson(&inst->rng, svc->scn->leak_rate * (double)(to - from) / HOUR);
    inst->accrued = t;
}

static void restart(const struct service *svc, struct instance *inst, int64_t t)
{
    inst->started = t;
    inst->leaked = 0;
    schedule_restart(svc->scn, inst);
}

/* Brings inst to time t: restarts, the deploy, the fix, the leak. */
static void advance(const struct service *svc, struct instance *inst, int64_t t)
{
    for (;;) {
        int64_t restart_at = inst->next_restart;
        int64_t deploy_at = inst->in_deploy && !inst->deployed ? svc->deploy : INT64_MAX;
        int64_t fix_at = !inst->fixed ? svc->fix : INT64_MAX;
        int64_t next = restart_at < deploy_at ? restart_at : deploy_at;
        next = fix_at < next ? fix_at : next;
        if (next > t)
            break;
        accrue(svc, inst, next);
        if (next == fix_at)
            inst->fixed = true;
        else if (next == deploy_at)
            inst->deployed = true;
        restart(svc, inst, next);
    }
    accrue(svc, inst, t);
}

static const char *instance_version(const struct instance *inst)
{
    return inst->deployed || inst->fixed ? "v2" : "v1";
}

/* The counts of one profile at ts; returns the total. */
static uint64_t instance_counts(const struct service *svc, struct instance *inst, int64_t ts,
                                uint64_t *counts)
{
    const struct scenario *scn = svc->scn;
    double load = load_at(svc, inst, ts);
    uint64_t *rng = &inst->rng;
    counts[BG_HTTP_READ] = sim_rng_poisson(rng, 40 * load);
    counts[BG_PGX_READ] = sim_rng_poisson(rng, 15 * load);
    counts[BG_RUNNING] = sim_rng_poisson(rng, 5 * load);
    counts[BG_CACHE_MUTEX] = sim_rng_poisson(rng, 2 * load);
    uint64_t busy = sim_rng_poisson(rng, 1.5 * load);
    counts[BG_QUEUE] = busy < 16 ? 16 - busy : 0;
    counts[BG_BUS] = 4 + (sim_rng_uniform(rng) < 0.2 ? 1 : 0);
    counts[BG_REFRESH] = 1;
    counts[BG_MAIN] = 1;

    double base = inst->deployed ? scn->deploy_base : scn->base;
    double c = 0;
    if (base > 0)
        c = floor(base + scn->base_noise * sim_rng_normal(rng) + 0.5);
    uint64_t subject = c > 0 ? (uint64_t)c : 0;
    if (scn->load_k > 0) {
        double follows = load;
        if (scn->load_lag_h > 0) {
            /* an exponential lag: sessions opened by the load stay open for about
             * load_lag_h after it */
            if (inst->lagged < 0)
                inst->lagged = load;
            inst->lagged += (load - inst->lagged) *
                            (1 - exp(-(double)svc->step / (scn->load_lag_h * HOUR)));
            follows = inst->lagged;
        }
        subject += sim_rng_poisson(rng, scn->load_k * follows);
    }
    subject += inst->leaked;
    if (scn->spike_every_h > 0) {
        double p = (double)svc->step / (scn->spike_every_h * HOUR);
        if (inst->spike_now || sim_rng_uniform(rng) < p)
            subject = (uint64_t)scn->spike_value;
        inst->spike_now = false;
    }
    counts[BG_N] = subject;
    uint64_t total = 0;
    for (size_t s = 0; s <= BG_N; s++)
        total += counts[s];
    return total;
}

static void service_init(struct sim *sim, struct service *svc, const struct scenario *scn,
                         unsigned seed, unsigned instances, double history_h, const char *name)
{
    memset(svc, 0, sizeof(*svc));
    svc->scn = scn;
    svc->seed = seed;
    svc->step = sim->opts->step;
    snprintf(svc->name, sizeof(svc->name), "%s", name);
    const struct simprofile_frame *stacks[BG_N + 1];
    for (size_t s = 0; s < BG_N; s++)
        stacks[s] = background_stacks[s];
    stacks[BG_N] = subject_stacks[scn->subject];
    simprofile_init(&svc->profile, svc->name, stacks, BG_N + 1);
    /* the site's function as the server reports it: the first frame outside the runtime */
    const struct simprofile_frame *site = &subject_stacks[scn->subject][0];
    while (strncmp(site->function, "runtime.", 8) == 0)
        site++;
    const char *fmt = site->function;
    const char *mark = strstr(fmt, "%s");
    if (mark != NULL)
        snprintf(svc->subject_function, sizeof(svc->subject_function), "%.*s%s%s",
                 (int)(mark - fmt), fmt, svc->name, mark + 2);
    else
        snprintf(svc->subject_function, sizeof(svc->subject_function), "%s", fmt);

    svc->first = at_hours(sim, -history_h);
    svc->onset = scn->onset_h < 0 ? at_hours(sim, scn->onset_h) : INT64_MIN;
    svc->stop = scn->stop_h < 0 ? at_hours(sim, scn->stop_h) : INT64_MAX;
    svc->fix = scn->fix_h < 0 ? at_hours(sim, scn->fix_h) : INT64_MAX;
    svc->deploy = scn->deploy_h < 0 ? at_hours(sim, scn->deploy_h) : INT64_MAX;

    uint64_t rng = mix_seed(scn->name, seed, UINT64_MAX - 1);
    svc->n_instances = instances;
    svc->instances = sim_malloc(instances * sizeof(*svc->instances));
    memset(svc->instances, 0, instances * sizeof(*svc->instances));
    /* which instances leak, and which take the canary: a shuffled order */
    unsigned *order = sim_malloc(instances * sizeof(unsigned));
    for (unsigned i = 0; i < instances; i++)
        order[i] = i;
    for (unsigned i = instances; i > 1; i--) {
        unsigned j = sim_rng_below(&rng, i);
        unsigned tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    unsigned leakers = scn->leak_rate > 0 ? (scn->leakers > 0 ? scn->leakers : instances) : 0;
    leakers = leakers < instances ? leakers : instances;
    svc->n_leakers = leakers;
    unsigned deployed = (unsigned)ceil(scn->deploy_fraction * instances);
    for (unsigned k = 0; k < instances; k++) {
        struct instance *inst = &svc->instances[order[k]];
        inst->leaker = k < leakers;
        inst->in_deploy = scn->deploy_h < 0 && (instances - 1 - k) < deployed;
    }
    lf_free(order);
    for (unsigned i = 0; i < instances; i++) {
        struct instance *inst = &svc->instances[i];
        snprintf(inst->name, sizeof(inst->name), "%s-%03u", svc->name, i);
        inst->rng = mix_seed(scn->name, seed, i);
        inst->jitter = 1 + uniform(&inst->rng, -LOAD_JITTER, LOAD_JITTER);
        inst->lagged = -1;
        inst->offset = (int64_t)sim_rng_below(&inst->rng, (unsigned)sim->opts->step);
        /* up for days when nothing restarts it, else somewhere in a restart interval */
        double uptime_h = scn->restart_max_h > 0 ? uniform(&inst->rng, 0, scn->restart_min_h)
                                                 : uniform(&inst->rng, 24, 120);
        inst->started = svc->first - (int64_t)(uptime_h * HOUR);
        inst->accrued = inst->started;
        schedule_restart(scn, inst);
        if (sim->evaluate) {
            inst->ring_ts = sim_malloc(sim->ring_cap * sizeof(int64_t));
            inst->ring_total = sim_malloc(sim->ring_cap * sizeof(double));
        }
    }
}

static void service_release(struct service *svc)
{
    simprofile_release(&svc->profile);
    for (unsigned i = 0; i < svc->n_instances; i++) {
        lf_free(svc->instances[i].ring_ts);
        lf_free(svc->instances[i].ring_total);
    }
    lf_free(svc->instances);
    lf_free(svc->cutoffs);
    lf_free(svc->results);
}

/* ---- truth ----------------------------------------------------------------------------------- */

static bool service_leaks(const struct service *svc)
{
    return svc->scn->leak_rate > 0 && svc->scn->subject != SUBJECT_OUTSIDE;
}

static int64_t leak_onset(const struct service *svc)
{
    return svc->onset != INT64_MIN ? svc->onset : svc->first;
}

static int64_t leak_end(const struct service *svc)
{
    return svc->stop < svc->fix ? svc->stop : svc->fix;
}

static enum truth truth_at(const struct service *svc, int64_t cutoff)
{
    if (!service_leaks(svc) || cutoff <= leak_onset(svc))
        return TRUTH_NOT;
    int64_t end = leak_end(svc);
    if (cutoff <= end)
        return TRUTH_LEAK;
    return cutoff < end + GRACE ? TRUTH_GRACE : TRUTH_NOT;
}

/* The fleet's true growth per hour at a leak cut-off. */
static double true_growth(const struct service *svc)
{
    return svc->scn->leak_rate * svc->n_leakers;
}

/* ---- cut-offs -------------------------------------------------------------------------------- */

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Every 2 h over the last days, 1, 2 and 4 h after the onset (or the first push of a leak
 * since before it) and after a deploy, 2 h before an onset, 1 h before and 1 and 3 h
 * after the growth stops or the fix: sorted, unique, with some history before each. */
static void service_cutoffs(const struct sim *sim, struct service *svc)
{
    const struct scenario *scn = svc->scn;
    int64_t list[64];
    size_t n = 0;
    for (int h = -24 * (int)scn->cutoff_days; h <= 0 && n < 40; h += 2)
        list[n++] = at_hours(sim, h);
    if (service_leaks(svc) || scn->leak_rate > 0) {
        int64_t onset = leak_onset(svc);
        list[n++] = onset + 1 * HOUR;
        list[n++] = onset + 2 * HOUR;
        list[n++] = onset + 4 * HOUR;
        if (svc->onset != INT64_MIN)
            list[n++] = onset - 2 * HOUR;
    }
    int64_t end = leak_end(svc);
    if (end != INT64_MAX) {
        list[n++] = end - HOUR;
        list[n++] = end + HOUR;
        list[n++] = end + 3 * HOUR;
    }
    if (svc->deploy != INT64_MAX) {
        list[n++] = svc->deploy + HOUR;
        list[n++] = svc->deploy + 2 * HOUR;
        list[n++] = svc->deploy + 4 * HOUR;
    }
    qsort(list, n, sizeof(list[0]), compare_int64);
    svc->cutoffs = sim_malloc(n * sizeof(int64_t));
    svc->n_cutoffs = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i] > sim->end || list[i] < svc->first + HOUR)
            continue;
        if (svc->n_cutoffs > 0 && svc->cutoffs[svc->n_cutoffs - 1] == list[i])
            continue;
        svc->cutoffs[svc->n_cutoffs++] = list[i];
    }
    svc->results = sim_malloc((svc->n_cutoffs > 0 ? svc->n_cutoffs : 1) * sizeof(struct result));
    memset(svc->results, 0, (svc->n_cutoffs > 0 ? svc->n_cutoffs : 1) * sizeof(struct result));
}

/* ---- the server's clock and pushes --------------------------------------------------------- */

static void clock_set(struct sim *sim, int64_t t)
{
    if (sim->clock_fd < 0)
        return;
    if (pwrite(sim->clock_fd, &t, sizeof(t), 0) != (ssize_t)sizeof(t))
        sim_die("cannot write the clock file '%s': %s", sim->opts->clock_file, strerror(errno));
}

/* Spikes right where they hurt: before cut-off k, instance k % n spikes in the last
 * profile (k even) or the one before (k odd, back to normal at the cut-off). */
static bool spike_before_cutoff(const struct service *svc, unsigned index, int64_t t)
{
    for (size_t k = 0; k < svc->n_cutoffs; k++) {
        if (index == k % svc->n_instances && t == svc->cutoffs[k] - (int64_t)(k % 2) * svc->step)
            return true;
    }
    return false;
}

struct load_stats {
    uint64_t pushes;
    uint64_t bytes;
    unsigned retries;
    double seconds;
};

/* The pushes of the step times from .. to: every instance of every service that pushes
 * at each, in time order; the server's clock moves to each step time as its first push
 * goes out (pushes of the previous one may still be in flight: their ts is older). */
struct batch {
    struct sim *sim;
    int64_t t;
    int64_t to;
    size_t service;
    unsigned instance;
    uint64_t pushed;
    uint64_t bytes;
    unsigned failures;
    double t0;
    const struct load_stats *before; /* the earlier batches' */
    struct simpush_request *retry;   /* failed pushes to send again */
    size_t n_retry;
    size_t cap_retry;
};

static void record_total(const struct sim *sim, struct instance *inst, int64_t ts, double total)
{
    if (!sim->evaluate)
        return;
    size_t i = (inst->ring_head + inst->ring_len) % sim->ring_cap;
    if (inst->ring_len == sim->ring_cap)
        inst->ring_head = (inst->ring_head + 1) % sim->ring_cap;
    else
        inst->ring_len++;
    inst->ring_ts[i] = ts;
    inst->ring_total[i] = total;
}

static enum simpush_next batch_next(void *ctx, struct simpush_request *req)
{
    struct batch *b = ctx;
    struct sim *sim = b->sim;
    if (b->n_retry > 0) {
        sim_buf_release(&req->body);
        *req = b->retry[--b->n_retry];
        return SIMPUSH_SEND;
    }
    while (b->t <= b->to) {
        if (b->service == 0 && b->instance == 0) {
            clock_set(sim, b->t);
            if (!sim->evaluate && !sim->opts->quiet && (b->t - sim->first) % (6 * HOUR) == 0)
                printf("detectsim: %.0f h loaded, %" PRIu64 " profiles, %.0f s\n",
                       (double)(b->t - sim->first) / HOUR, b->before->pushes + b->pushed,
                       b->before->seconds + sim_now() - b->t0);
        }
        if (b->service >= sim->n_services) {
            b->t += sim->opts->step;
            b->service = 0;
            b->instance = 0;
            continue;
        }
        struct service *svc = &sim->services[b->service];
        if (svc->first > b->t || b->instance >= svc->n_instances) {
            b->service++;
            b->instance = 0;
            continue;
        }
        unsigned index = b->instance++;
        struct instance *inst = &svc->instances[index];
        int64_t ts = b->t - inst->offset;
        if (svc->scn->spike_every_h > 0)
            inst->spike_now = inst->spike_now || spike_before_cutoff(svc, index, b->t);
        advance(svc, inst, ts);
        uint64_t counts[BG_N + 1];
        uint64_t total = instance_counts(svc, inst, ts, counts);
        record_total(sim, inst, ts, (double)total);
        simprofile_encode(&svc->profile, counts, ts, &sim->scratch, &req->body);
        int n = snprintf(req->url, sizeof(req->url),
                         "%s/api/v1/profiles?service=%s&instance=%s&ts=%" PRId64 "&version=%s",
                         sim->opts->url, svc->name, inst->name, ts, instance_version(inst));
        if (sim->started_param && n > 0 && (size_t)n < sizeof(req->url))
            snprintf(req->url + n, sizeof(req->url) - (size_t)n, "&started=%" PRId64,
                     inst->started);
        snprintf(req->key, sizeof(req->key), "ds-%s-%" PRId64, inst->name, ts);
        req->bearer = sim->opts->token;
        req->get = false;
        req->attempts = 0;
        req->ts = ts;
        return SIMPUSH_SEND;
    }
    return SIMPUSH_END;
}

static void batch_done(void *ctx, struct simpush_request *req, const struct simpush_answer *answer)
{
    struct batch *b = ctx;
    if (answer->status == 200 || answer->status == 201) {
        b->pushed++;
        b->bytes += req->body.len;
        return;
    }
    bool transient = answer->status == 0 || answer->status == 503 || answer->status == 429 ||
                     answer->status >= 500;
    if (!transient || req->attempts >= 5)
        sim_die("push %s answered %ld: %.*s", req->url, answer->status, (int)answer->body->len,
                (const char *)answer->body->p);
    b->failures++;
    req->attempts++;
    if (b->n_retry == b->cap_retry) {
        b->cap_retry = b->cap_retry == 0 ? 16 : b->cap_retry * 2;
        b->retry = sim_realloc(b->retry, b->cap_retry * sizeof(*b->retry));
    }
    b->retry[b->n_retry++] = *req;
    memset(&req->body, 0, sizeof(req->body));
    struct timespec pause = { 0, 50 * 1000 * 1000 };
    nanosleep(&pause, NULL);
}

/* Pushes step times from .. to (inclusive) and waits for every answer. */
static void push_steps(struct sim *sim, struct simpush_pool *pool, int64_t from, int64_t to,
                       struct load_stats *stats)
{
    struct batch b = { .sim = sim, .t = from, .to = to, .t0 = sim_now(), .before = stats };
    simpush_pool_run(pool, batch_next, batch_done, &b);
    stats->seconds += sim_now() - b.t0;
    stats->pushes += b.pushed;
    stats->bytes += b.bytes;
    stats->retries += b.failures;
    lf_free(b.retry);
}

static bool contains(const struct sim_buf *b, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; b->len >= n && i <= b->len - n; i++) {
        if (memcmp(b->p + i, text, n) == 0)
            return true;
    }
    return false;
}

/* Whether the server takes started= on a push: a push with an empty body is refused
 * either way, naming the parameter when it is unknown. */
static bool probe_started(const struct options *opts, CURL *easy, struct sim_buf *resp)
{
    char url[600];
    snprintf(url, sizeof(url),
             "%s/api/v1/profiles?service=detectsim-probe&instance=probe&started=1", opts->url);
    long status = simpush_call(easy, resp, url, opts->token, true, NULL);
    if (status == 0)
        sim_die("no answer from %s", opts->url);
    return !(status == 400 && contains(resp, "'started'"));
}

/* ---- detection passes and verdicts ----------------------------------------------------------- */

enum now_param {
    NOW_UNKNOWN,
    NOW_TAKEN,
    NOW_REFUSED,
};

struct detector {
    CURL *easy;
    struct sim_buf resp;
    enum now_param now_param;
    double pass_seconds_total;
    double pass_seconds_max;
    double pass_seconds_last;
    unsigned passes;
};

/* The detector's connection: a pass over a large fleet takes minutes. */
static CURL *detector_easy_create(struct sim_buf *resp)
{
    CURL *easy = simpush_easy_create(resp);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 3600L * 1000);
    return easy;
}

/* Forces a pass at cut-off (POST /api/v1/detect?now=, else at the simulated clock). */
static void force_pass(struct sim *sim, struct detector *d, int64_t cutoff)
{
    char url[600];
    clock_set(sim, cutoff);
    double seconds = 0;
    long status = 0;
    if (d->now_param != NOW_REFUSED) {
        snprintf(url, sizeof(url), "%s/api/v1/detect?now=%" PRId64, sim->opts->url, cutoff);
        status = simpush_call(d->easy, &d->resp, url, sim->opts->admin_token, true, &seconds);
        if (status == 400 && contains(&d->resp, "'now'")) {
            d->now_param = NOW_REFUSED;
            if (sim->clock_fd < 0)
                sim_die("the server takes no now= on POST /api/v1/detect and there is no "
                        "--clock-file: a pass cannot run at the cut-off");
            if (!sim->opts->quiet)
                printf("detect: the server takes no now=: passes run at its simulated clock\n");
        } else if (status >= 200 && status < 300) {
            d->now_param = NOW_TAKEN;
        }
    }
    if (d->now_param == NOW_REFUSED) {
        snprintf(url, sizeof(url), "%s/api/v1/detect", sim->opts->url);
        status = simpush_call(d->easy, &d->resp, url, sim->opts->admin_token, true, &seconds);
    }
    if (status < 200 || status >= 300)
        sim_die("POST /api/v1/detect answered %ld: %.*s", status, (int)d->resp.len,
                (const char *)d->resp.p);
    d->passes++;
    d->pass_seconds_total += seconds;
    d->pass_seconds_last = seconds;
    d->pass_seconds_max = seconds > d->pass_seconds_max ? seconds : d->pass_seconds_max;
}

static struct service *find_service(struct sim *sim, const char *name)
{
    for (size_t s = 0; name != NULL && s < sim->n_services; s++) {
        if (strcmp(sim->services[s].name, name) == 0)
            return &sim->services[s];
    }
    return NULL;
}

static bool instance_leaks(const struct service *svc, const char *name)
{
    for (unsigned i = 0; name != NULL && i < svc->n_instances; i++) {
        if (strcmp(svc->instances[i].name, name) == 0)
            return svc->instances[i].leaker;
    }
    return false;
}

/* The row's leaking instances, whatever their form: a list of names, of objects with an
 * "instance" or "name", or a number. */
static void read_instances(const struct service *svc, json_t *value, struct result *r)
{
    r->reported_instances = -1;
    if (json_is_integer(value)) {
        r->reported_instances = (long)json_integer_value(value);
        r->instances_right = -1;
        return;
    }
    if (!json_is_array(value))
        return;
    r->reported_instances = (long)json_array_size(value);
    r->instances_right = 0;
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item) {
        const char *name = json_string_value(item);
        if (name == NULL && json_is_object(item)) {
            name = json_string_value(json_object_get(item, "instance"));
            if (name == NULL)
                name = json_string_value(json_object_get(item, "name"));
        }
        r->instances_right += instance_leaks(svc, name) ? 1 : 0;
    }
}

static void read_reason(json_t *row, struct result *r)
{
    json_t *reason = json_object_get(row, "reason");
    if (json_is_string(reason)) {
        snprintf(r->reason, sizeof(r->reason), "%s", json_string_value(reason));
    } else if (reason != NULL && !json_is_null(reason)) {
        char *text = json_dumps(reason, JSON_COMPACT);
        snprintf(r->reason, sizeof(r->reason), "%s", text != NULL ? text : "?");
        free(text);
    }
}

/* The baseline at cut-off: deriv(go_goroutines[6h]) of each instance, per hour. */
static void baseline_at(const struct sim *sim, const struct service *svc, int64_t cutoff,
                        struct result *r)
{
    r->baseline = false;
    r->baseline_slope = -INFINITY;
    for (unsigned i = 0; i < svc->n_instances; i++) {
        const struct instance *inst = &svc->instances[i];
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (size_t k = 0; k < inst->ring_len; k++) {
            size_t j = (inst->ring_head + k) % sim->ring_cap;
            int64_t ts = inst->ring_ts[j];
            if (ts <= cutoff - BASELINE_WINDOW || ts > cutoff)
                continue;
            double x = (double)(ts - cutoff) / HOUR, y = inst->ring_total[j];
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double den = n * sxx - sx * sx;
        if (n < 2 || den <= 0)
            continue;
        double slope = (n * sxy - sx * sy) / den;
        if (slope > r->baseline_slope)
            r->baseline_slope = slope;
        if (slope > sim->opts->threshold)
            r->baseline = true;
    }
}

/* What `since` should say now: a restart starts a leak again from nothing, so each leaking
 * instance's growth began at the leak's onset or at its latest start, whichever is later;
 * the median over them (the instances stand at the cut-off). */
static int64_t expected_since(const struct service *svc)
{
    int64_t *onsets = sim_malloc((svc->n_instances + 1) * sizeof(*onsets));
    size_t n = 0;
    for (unsigned k = 0; k < svc->n_instances; k++) {
        const struct instance *inst = &svc->instances[k];
        if (inst->leaker)
            onsets[n++] = inst->started > leak_onset(svc) ? inst->started : leak_onset(svc);
    }
    qsort(onsets, n, sizeof(*onsets), compare_int64);
    int64_t median = n ? onsets[(n - 1) / 2] : leak_onset(svc);
    lf_free(onsets);
    return median;
}

/* Reads the verdicts at cut-off into the results of the services that have it. */
static void read_verdicts(struct sim *sim, struct detector *d, int64_t cutoff, FILE *notes)
{
    char url[600];
    snprintf(url, sizeof(url), "%s/api/v1/leaks?all=1", sim->opts->url);
    long status = simpush_call(d->easy, &d->resp, url, NULL, false, NULL);
    if (status != 200)
        sim_die("GET /api/v1/leaks?all=1 answered %ld", status);
    json_t *doc = simpush_json(&d->resp);
    json_t *rows = json_object_get(doc, "leaks");
    if (!json_is_array(rows))
        sim_die("GET /api/v1/leaks?all=1: no 'leaks' array");
    /* which services are scored at this cut-off */
    for (size_t s = 0; s < sim->n_services; s++) {
        struct service *svc = &sim->services[s];
        for (size_t k = 0; k < svc->n_cutoffs; k++) {
            if (svc->cutoffs[k] != cutoff)
                continue;
            struct result *r = &svc->results[k];
            memset(r, 0, sizeof(*r));
            r->reported_instances = -1;
            r->true_since = expected_since(svc);
            baseline_at(sim, svc, cutoff, r);
        }
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        struct service *svc = find_service(sim, json_string_value(json_object_get(row, "service")));
        if (svc == NULL)
            continue;
        struct result *r = NULL;
        for (size_t k = 0; k < svc->n_cutoffs; k++) {
            if (svc->cutoffs[k] == cutoff)
                r = &svc->results[k];
        }
        if (r == NULL)
            continue;
        const char *function = json_string_value(json_object_get(row, "function"));
        bool suspect = json_is_true(json_object_get(row, "suspect"));
        if (function == NULL || strcmp(function, svc->subject_function) != 0) {
            if (suspect) {
                r->background_fp++;
                fprintf(notes, "  %s: %s (%s) count %" JSON_INTEGER_FORMAT "\n", svc->name,
                        function != NULL ? function : "?",
                        json_string_value(json_object_get(row, "op")),
                        json_integer_value(json_object_get(row, "count")));
            }
            continue;
        }
        r->present = true;
        r->flagged = suspect;
        json_t *growth = json_object_get(row, "growth_per_hour");
        r->has_growth = json_is_number(growth);
        r->growth = r->has_growth ? json_number_value(growth) : 0;
        r->count = json_integer_value(json_object_get(row, "count"));
        json_t *since = json_object_get(row, "since");
        r->since = json_is_integer(since) ? json_integer_value(since) : 0;
        read_instances(svc, json_object_get(row, "instances"), r);
        read_reason(row, r);
    }
    json_decref(doc);
}

/* ---- the report --------------------------------------------------------------------------------
 */

static void format_time(int64_t t, int64_t end, char *out, size_t size)
{
    static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    int64_t day = t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
    int64_t sec = t - day * DAY;
    int weekday = (int)(((day + 3) % 7 + 7) % 7);
    double rel = (double)(t - end) / HOUR;
    snprintf(out, size, "%s %02d:%02d E%+.0fh", days[weekday], (int)(sec / HOUR),
             (int)(sec % HOUR / 60), rel);
}

static const char *truth_word(enum truth t)
{
    return t == TRUTH_LEAK ? "leak" : t == TRUTH_NOT ? "not" : "grace";
}

/* "hit", "MISS", "ok", "FP", or lower case "(yes)"/"(no)" in the grace period. */
static const char *verdict_word(enum truth t, bool flagged)
{
    if (t == TRUTH_GRACE)
        return flagged ? "(yes)" : "(no)";
    if (t == TRUTH_LEAK)
        return flagged ? "hit" : "MISS";
    return flagged ? "FP" : "ok";
}

struct summary {
    unsigned leaks; /* (scenario, seed) with a leak */
    unsigned found; /* flagged at one leak cut-off at least */
    unsigned baseline_found;
    unsigned leak_cutoffs;
    unsigned leak_flagged;
    unsigned baseline_leak_flagged;
    unsigned not_cutoffs;
    unsigned false_positives;
    unsigned background_fp;
    unsigned baseline_fp;
    double ttd[256]; /* hours, INFINITY = never */
    size_t n_ttd;
    double baseline_ttd[256];
    size_t n_baseline_ttd;
    double growth_err[1024]; /* relative, INFINITY = no growth reported */
    size_t n_growth;
    unsigned growth_ok;
    unsigned growth_after_day;    /* of n_growth, cut-offs with a day of history before them */
    unsigned growth_after_day_ok; /* ... and within the tolerance */
    unsigned instances_rows;      /* leak cut-offs whose row reported instances */
    unsigned instances_exact;
    double since_err[1024]; /* hours, |since - true_since|, on flagged leak cut-offs */
    size_t n_since;
};

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(double), compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void format_growth(const struct result *r, enum truth t, const struct service *svc,
                          int64_t cutoff, char *out, size_t size)
{
    char rep[32];
    if (!r->present)
        snprintf(rep, sizeof(rep), "absent");
    else if (!r->has_growth)
        snprintf(rep, sizeof(rep), "null");
    else
        snprintf(rep, sizeof(rep), "%.0f", r->growth);
    if (t != TRUTH_LEAK) {
        snprintf(out, size, "%s (0)", rep);
        return;
    }
    double truth = true_growth(svc);
    if (r->has_growth && cutoff - leak_onset(svc) >= GROWTH_AFTER)
        snprintf(out, size, "%s (%.0f) %+.0f%%", rep, truth, (r->growth / truth - 1) * 100);
    else
        snprintf(out, size, "%s (%.0f)", rep, truth);
}

static void format_instances(const struct result *r, enum truth t, const struct service *svc,
                             char *out, size_t size)
{
    unsigned truth = t == TRUTH_LEAK ? svc->n_leakers : 0;
    if (r->reported_instances < 0)
        snprintf(out, size, "?/%u", truth);
    else if (r->instances_right < 0)
        snprintf(out, size, "%ld/%u", r->reported_instances, truth);
    else
        snprintf(out, size, "%ld/%u%s", r->reported_instances, truth,
                 (r->instances_right == (long)truth && r->reported_instances == (long)truth) ? ""
                                                                                             : "!");
}

/* Prints one scenario's table (its seeds side by side) and adds to the summary. */
static void report_scenario(const struct sim *sim, const struct scenario *scn, struct summary *sum)
{
    const struct service *runs[100];
    size_t n_runs = 0;
    for (size_t s = 0; s < sim->n_services && n_runs < 100; s++) {
        if (sim->services[s].scn == scn)
            runs[n_runs++] = &sim->services[s];
    }
    if (n_runs == 0)
        return;
    const struct service *first = runs[0];
    printf("\n== %s: %s [%s]\n", scn->name, scn->what,
           service_leaks(first) ? "leak" : "not a leak");
    char when[64];
    if (service_leaks(first)) {
        format_time(leak_onset(first), sim->end, when, sizeof(when));
        printf("   %u of %u instances leak %.0f/h each (fleet %.0f/h) from %s%s", first->n_leakers,
               first->n_instances, scn->leak_rate, true_growth(first), when,
               first->onset == INT64_MIN ? " (the first push; leaking since before)" : "");
        if (leak_end(first) != INT64_MAX) {
            format_time(leak_end(first), sim->end, when, sizeof(when));
            printf(", %s at %s", first->stop != INT64_MAX ? "stops" : "fixed", when);
        }
        printf("\n");
    }
    printf("   %-20s %-5s", "cut-off", "truth");
    for (size_t k = 0; k < n_runs; k++)
        printf(" | s%-2u %-5s %-20s %-6s %-10s", runs[k]->seed, "lf", "growth/h (true)", "inst",
               "baseline");
    printf("\n");
    for (size_t c = 0; c < first->n_cutoffs; c++) {
        int64_t cutoff = first->cutoffs[c];
        enum truth t = truth_at(first, cutoff);
        format_time(cutoff, sim->end, when, sizeof(when));
        printf("   %-20s %-5s", when, truth_word(t));
        for (size_t k = 0; k < n_runs; k++) {
            const struct result *r = &runs[k]->results[c];
            char growth[48], inst[24], base[24];
            format_growth(r, t, runs[k], cutoff, growth, sizeof(growth));
            format_instances(r, t, runs[k], inst, sizeof(inst));
            snprintf(base, sizeof(base), "%s %.0f", verdict_word(t, r->baseline),
                     isfinite(r->baseline_slope) ? r->baseline_slope : 0);
            printf(" | %-3s %-5s %-20s %-6s %-10s", "", verdict_word(t, r->flagged), growth,
                   t == TRUTH_LEAK || r->flagged ? inst : "", base);
        }
        printf("\n");
        for (size_t k = 0; k < n_runs; k++) {
            const struct result *r = &runs[k]->results[c];
            bool wrong = (t == TRUTH_LEAK && !r->flagged) || (t == TRUTH_NOT && r->flagged);
            if (wrong && r->present)
                printf("   %-26s s%u %s: count %" PRId64 "%s%s\n", "", runs[k]->seed,
                       verdict_word(t, r->flagged), r->count,
                       r->reason[0] != '\0' ? ", reason: " : "", r->reason);
        }
    }
    /* the summary's share */
    for (size_t k = 0; k < n_runs; k++) {
        const struct service *svc = runs[k];
        bool leak = service_leaks(svc);
        bool found = false, baseline_found = false;
        double ttd = INFINITY, baseline_ttd = INFINITY;
        for (size_t c = 0; c < svc->n_cutoffs; c++) {
            const struct result *r = &svc->results[c];
            int64_t cutoff = svc->cutoffs[c];
            enum truth t = truth_at(svc, cutoff);
            sum->background_fp += r->background_fp;
            if (t == TRUTH_NOT) {
                sum->not_cutoffs++;
                sum->false_positives += r->flagged ? 1 : 0;
                sum->baseline_fp += r->baseline ? 1 : 0;
            } else if (t == TRUTH_LEAK) {
                double hours = (double)(cutoff - leak_onset(svc)) / HOUR;
                sum->leak_cutoffs++;
                sum->leak_flagged += r->flagged ? 1 : 0;
                sum->baseline_leak_flagged += r->baseline ? 1 : 0;
                if (r->flagged && !found) {
                    found = true;
                    ttd = hours;
                }
                if (r->baseline && !baseline_found) {
                    baseline_found = true;
                    baseline_ttd = hours;
                }
                if (cutoff - leak_onset(svc) >= GROWTH_AFTER && sum->n_growth < 1024) {
                    double err = r->has_growth ? r->growth / true_growth(svc) - 1 : INFINITY;
                    sum->growth_err[sum->n_growth++] = err;
                    sum->growth_ok += fabs(err) <= GROWTH_TOLERANCE ? 1 : 0;
                    if (cutoff - svc->first >= DAY) {
                        sum->growth_after_day++;
                        sum->growth_after_day_ok += fabs(err) <= GROWTH_TOLERANCE ? 1 : 0;
                    }
                }
                if (r->flagged && r->since != 0 && sum->n_since < 1024)
                    sum->since_err[sum->n_since++] =
                            fabs((double)(r->since - r->true_since)) / HOUR;
                if (r->reported_instances >= 0) {
                    sum->instances_rows++;
                    sum->instances_exact +=
                            r->reported_instances == (long)svc->n_leakers &&
                                            r->instances_right == (long)svc->n_leakers
                                    ? 1
                                    : 0;
                }
            }
        }
        if (!leak)
            continue;
        sum->leaks++;
        sum->found += found ? 1 : 0;
        sum->baseline_found += baseline_found ? 1 : 0;
        if (svc->scn->leak_rate >= TTD_MIN_RATE && sum->n_ttd < 256) {
            sum->ttd[sum->n_ttd++] = ttd;
            sum->baseline_ttd[sum->n_baseline_ttd++] = baseline_ttd;
        }
    }
}

static void format_hours(double h, char *out, size_t size)
{
    if (isnan(h))
        snprintf(out, size, "n/a");
    else if (isinf(h))
        snprintf(out, size, "never");
    else
        snprintf(out, size, "%.1f h", h);
}

/* Prints the summary; returns whether every target is met. */
static bool report_summary(const struct sim *sim, struct summary *sum, const struct detector *d)
{
    char ttd[32], baseline_ttd[32];
    format_hours(median(sum->ttd, sum->n_ttd), ttd, sizeof(ttd));
    format_hours(median(sum->baseline_ttd, sum->n_baseline_ttd), baseline_ttd,
                 sizeof(baseline_ttd));
    double errs[1024];
    size_t n_err = 0;
    double worst = 0;
    unsigned no_growth = 0; /* leak cut-offs whose row gave no growth */
    for (size_t i = 0; i < sum->n_growth; i++) {
        if (isinf(sum->growth_err[i])) {
            no_growth++;
            continue;
        }
        errs[n_err++] = fabs(sum->growth_err[i]);
        worst = fabs(sum->growth_err[i]) > worst ? fabs(sum->growth_err[i]) : worst;
    }
    double med_err = median(errs, n_err);
    printf("\n== summary (%u seeds; cut-offs scored: %u leak, %u not a leak; %u detection passes, "
           "%.0f ms mean, %.0f ms max)\n",
           sim->opts->seeds, sum->leak_cutoffs, sum->not_cutoffs, d->passes,
           d->passes > 0 ? d->pass_seconds_total / d->passes * 1e3 : 0, d->pass_seconds_max * 1e3);
    printf("leakfleet: leaks found %u/%u; leak cut-offs flagged %u/%u; false positives %u of %u "
           "not-a-leak cut-offs, plus %u background sites flagged; median time to detection "
           "(>= %.0f/h per instance, n=%zu) %s; growth after %d h within +-%.0f%%: %u/%zu "
           "(median error %.0f%%, worst %.0f%%, no growth given on %u; with a day of history "
           "before the cut-off: %u/%u)",
           sum->found, sum->leaks, sum->leak_flagged, sum->leak_cutoffs, sum->false_positives,
           sum->not_cutoffs, sum->background_fp, TTD_MIN_RATE, sum->n_ttd, ttd, GROWTH_AFTER / HOUR,
           GROWTH_TOLERANCE * 100, sum->growth_ok, sum->n_growth,
           isnan(med_err) ? 0 : med_err * 100, worst * 100, no_growth, sum->growth_after_day_ok,
           sum->growth_after_day);
    printf("; leaking instances reported on %u of %u leak cut-offs, exact on %u",
           sum->instances_rows, sum->leak_cutoffs, sum->instances_exact);
    char since[32];
    format_hours(median(sum->since_err, sum->n_since), since, sizeof(since));
    printf("; since given on %zu of %u flagged leak cut-offs, median |since - onset| %s (each "
           "leaking instance's onset the later of the leak's and its start)\n",
           sum->n_since, sum->leak_flagged, since);
    printf("baseline: max by (service) (deriv(go_goroutines[6h])) * 3600 > %.0f: leaks found "
           "%u/%u; leak cut-offs flagged %u/%u; false positives %u of %u not-a-leak "
           "cut-offs; median time to detection %s\n",
           sim->opts->threshold, sum->baseline_found, sum->leaks, sum->baseline_leak_flagged,
           sum->leak_cutoffs, sum->baseline_fp, sum->not_cutoffs, baseline_ttd);
    double med_ttd = median(sum->ttd, sum->n_ttd);
    bool found = sum->found == sum->leaks;
    bool no_fp = sum->false_positives == 0 && sum->background_fp == 0;
    bool fast = sum->n_ttd == 0 || med_ttd <= 1.0;
    bool growth = sum->growth_ok == sum->n_growth;
    printf("targets: every leak found %s; 0 false positives %s; median time to detection <= 1 h "
           "%s; growth within +-25%% after 4 h %s\n",
           found ? "PASS" : "FAIL", no_fp ? "PASS" : "FAIL", fast ? "PASS" : "FAIL",
           growth ? "PASS" : "FAIL");
    return found && no_fp && fast && growth;
}

/* ---- the runs
 * ------------------------------------------------------------------------------------ */

static void sim_open_clock(struct sim *sim)
{
    sim->clock_fd = -1;
    if (sim->opts->clock_file == NULL)
        return;
    sim->clock_fd = open(sim->opts->clock_file, O_RDWR | O_CLOEXEC);
    if (sim->clock_fd < 0)
        sim_die("cannot open the clock file '%s': %s", sim->opts->clock_file, strerror(errno));
}

static void print_load(const char *what, const struct load_stats *stats)
{
    printf("%s: %" PRIu64 " profiles pushed in %.1f s (%.0f pushes/s, %.0f bytes gzipped on "
           "average, %u retried)\n",
           what, stats->pushes, stats->seconds,
           stats->seconds > 0 ? (double)stats->pushes / stats->seconds : 0,
           stats->pushes > 0 ? (double)stats->bytes / (double)stats->pushes : 0, stats->retries);
}

static int run_scenarios(struct sim *sim)
{
    const struct options *opts = sim->opts;
    sim->evaluate = true;
    sim->ring_cap = (size_t)(BASELINE_WINDOW / opts->step) + 4;
    sim->services = sim_malloc(N_SCENARIOS * opts->seeds * sizeof(*sim->services));
    sim->first = sim->end;
    for (size_t k = 0; k < N_SCENARIOS; k++) {
        const struct scenario *scn = &scenarios[k];
        if (!scenario_selected(opts->only, scn->name))
            continue;
        for (unsigned s = 0; s < opts->seeds; s++) {
            struct service *svc = &sim->services[sim->n_services++];
            char name[64];
            unsigned seed = (unsigned)opts->seed + s;
            snprintf(name, sizeof(name), "%s-s%u", scn->name, seed);
            service_init(sim, svc, scn, seed, scn->instances, scn->history_h, name);
            service_cutoffs(sim, svc);
            sim->first = svc->first < sim->first ? svc->first : sim->first;
        }
    }
    if (sim->n_services == 0)
        sim_die("--only '%s' names no scenario (see --list)", opts->only);
    /* every cut-off of every service, in order */
    size_t n_all = 0;
    for (size_t s = 0; s < sim->n_services; s++)
        n_all += sim->services[s].n_cutoffs;
    int64_t *all = sim_malloc(n_all * sizeof(int64_t));
    n_all = 0;
    for (size_t s = 0; s < sim->n_services; s++) {
        memcpy(all + n_all, sim->services[s].cutoffs, sim->services[s].n_cutoffs * sizeof(int64_t));
        n_all += sim->services[s].n_cutoffs;
    }
    qsort(all, n_all, sizeof(int64_t), compare_int64);
    size_t n_unique = 0;
    for (size_t i = 0; i < n_all; i++) {
        if (n_unique == 0 || all[n_unique - 1] != all[i])
            all[n_unique++] = all[i];
    }
    char from[64], to[64];
    format_time(sim->first, sim->end, from, sizeof(from));
    format_time(sim->end, sim->end, to, sizeof(to));
    uint64_t planned = 0;
    for (size_t s = 0; s < sim->n_services; s++)
        planned += (uint64_t)sim->services[s].n_instances *
                   (uint64_t)((sim->end - sim->services[s].first) / opts->step + 1);
    printf("detectsim: %zu scenarios x %u seeds = %zu services, %" PRIu64
           " profiles (one per %" PRId64 " s per instance) from %s to %s, %zu detection passes; "
           "started= %s; end E = %" PRId64 "\n",
           sim->n_services / opts->seeds, opts->seeds, sim->n_services, planned, opts->step, from,
           to, n_unique, sim->started_param ? "sent" : "not sent (--no-started)", sim->end);

    struct simpush_pool *pool = simpush_pool_create(opts->concurrency);
    struct detector d = { 0 };
    d.easy = detector_easy_create(&d.resp);
    struct load_stats stats = { 0 };
    char *notes_text = NULL;
    size_t notes_len = 0;
    FILE *notes = open_memstream(&notes_text, &notes_len);
    if (notes == NULL)
        sim_die("open_memstream failed");
    double t0 = sim_now();
    int64_t next_step = sim->end - (sim->end - sim->first) / opts->step * opts->step;
    for (size_t c = 0; c < n_unique; c++) {
        int64_t cutoff = all[c];
        push_steps(sim, pool, next_step, cutoff, &stats);
        next_step = cutoff + opts->step;
        char when[64];
        format_time(cutoff, sim->end, when, sizeof(when));
        fprintf(notes, "cut-off %s:\n", when);
        force_pass(sim, &d, cutoff);
        read_verdicts(sim, &d, cutoff, notes);
        if (!opts->quiet)
            printf("detectsim: cut-off %s: %" PRIu64 " profiles so far, %.0f s\n", when,
                   stats.pushes, sim_now() - t0);
    }
    fclose(notes);
    print_load("load", &stats);
    printf("detection: %u passes forced at the cut-offs (%s), %.0f ms mean, %.0f ms max\n",
           d.passes,
           d.now_param == NOW_TAKEN ? "POST /api/v1/detect?now=CUT-OFF"
                                    : "POST /api/v1/detect at the simulated clock",
           d.passes > 0 ? d.pass_seconds_total / d.passes * 1e3 : 0, d.pass_seconds_max * 1e3);

    struct summary *sum = sim_malloc(sizeof(*sum));
    memset(sum, 0, sizeof(*sum));
    for (size_t k = 0; k < N_SCENARIOS; k++)
        report_scenario(sim, &scenarios[k], sum);
    /* the background sites flagged, by cut-off */
    bool any = sum->background_fp > 0;
    if (any) {
        printf("\n== background sites flagged (flat in-repo sites, never leaks)\n");
        for (const char *line = notes_text; line != NULL && *line != '\0';) {
            const char *nl = strchr(line, '\n');
            size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
            bool header = strncmp(line, "cut-off", 7) == 0;
            const char *next = nl != NULL ? nl + 1 : line + len;
            if (!header || strncmp(next, "  ", 2) == 0)
                printf("%.*s\n", (int)len, line);
            line = next;
        }
    }
    bool pass = report_summary(sim, sum, &d);
    free(notes_text);
    lf_free(sum);
    lf_free(all);
    curl_easy_cleanup(d.easy);
    sim_buf_release(&d.resp);
    simpush_pool_free(pool);
    return pass ? 0 : 1;
}

/* The cost target: a large fleet loaded, then one pass timed. */
static int run_scale(struct sim *sim)
{
    const struct options *opts = sim->opts;
    sim->evaluate = false;
    sim->n_services = opts->scale_services;
    sim->services = sim_malloc(sim->n_services * sizeof(*sim->services));
    sim->first = sim->end - (int64_t)(opts->scale_hours * HOUR);
    for (size_t s = 0; s < sim->n_services; s++) {
        const struct scenario *scn = &scenarios[s % N_SCENARIOS];
        char name[64];
        snprintf(name, sizeof(name), "%s-%03zu", scn->name, s);
        service_init(sim, &sim->services[s], scn, (unsigned)opts->seed, opts->scale_instances,
                     opts->scale_hours, name);
    }
    uint64_t steps = (uint64_t)((sim->end - sim->first) / opts->step + 1);
    printf("detectsim --scale: %zu services x %u instances, %.0f h of history every %" PRId64
           " s: %" PRIu64 " profiles to load\n",
           sim->n_services, opts->scale_instances, opts->scale_hours, opts->step,
           steps * sim->n_services * opts->scale_instances);
    struct simpush_pool *pool = simpush_pool_create(opts->concurrency);
    struct load_stats stats = { 0 };
    struct detector d = { 0 };
    d.easy = detector_easy_create(&d.resp);
    int64_t chunk =
            opts->pass_every > 0 ? (int64_t)(opts->pass_every * HOUR) : sim->end - sim->first;
    for (int64_t from = sim->first; from <= sim->end;) {
        int64_t to = from + chunk;
        to = to < sim->end ? to - (to - sim->first) % opts->step : sim->end;
        push_steps(sim, pool, from, to, &stats);
        from = to + opts->step;
        char what[64];
        snprintf(what, sizeof(what), "load to %.0f h", (double)(to - sim->first) / HOUR);
        print_load(what, &stats);
        for (int pass = 0; pass < (to == sim->end ? 2 : 1); pass++) {
            force_pass(sim, &d, to);
            json_t *doc = simpush_json(&d.resp);
            printf("detection pass at %.0f h of history: %.2f s (%s), verdicts %" JSON_INTEGER_FORMAT
                   ", suspects %" JSON_INTEGER_FORMAT "\n",
                   (double)(to - sim->first) / HOUR, d.pass_seconds_last,
                   d.now_param == NOW_TAKEN ? "now=" : "at the simulated clock",
                   json_integer_value(json_object_get(doc, "verdicts")),
                   json_integer_value(json_object_get(doc, "suspects")));
            json_decref(doc);
        }
    }
    curl_easy_cleanup(d.easy);
    sim_buf_release(&d.resp);
    simpush_pool_free(pool);
    return 0;
}

/* --write-profile: the first selected scenario's first instance, advanced to the end. */
static int write_profile(struct sim *sim)
{
    const struct options *opts = sim->opts;
    const struct scenario *scn = NULL;
    for (size_t k = 0; k < N_SCENARIOS && scn == NULL; k++) {
        if (scenario_selected(opts->only, scenarios[k].name))
            scn = &scenarios[k];
    }
    if (scn == NULL)
        sim_die("--only '%s' names no scenario (see --list)", opts->only);
    sim->services = sim_malloc(sizeof(*sim->services));
    sim->n_services = 1;
    char name[64];
    snprintf(name, sizeof(name), "%s-s%u", scn->name, (unsigned)opts->seed);
    struct service *svc = &sim->services[0];
    service_init(sim, svc, scn, (unsigned)opts->seed, scn->instances, scn->history_h, name);
    struct instance *inst = &svc->instances[0];
    for (int64_t t = svc->first; t <= sim->end; t += opts->step)
        advance(svc, inst, t - inst->offset);
    uint64_t counts[BG_N + 1];
    int64_t ts = sim->end - inst->offset;
    instance_counts(svc, inst, ts, counts);
    struct sim_buf out = { 0 };
    simprofile_encode(&svc->profile, counts, ts, &sim->scratch, &out);
    FILE *f = fopen(opts->write_profile, "wb");
    if (f == NULL || fwrite(out.p, 1, out.len, f) != out.len || fclose(f) != 0)
        sim_die("cannot write '%s': %s", opts->write_profile, strerror(errno));
    printf("%s: %s at ts %" PRId64 ", version %s, started %" PRId64 "\n", opts->write_profile,
           inst->name, ts, instance_version(inst), inst->started);
    sim_buf_release(&out);
    return 0;
}

static void list_scenarios(void)
{
    for (size_t k = 0; k < N_SCENARIOS; k++)
        printf("%-16s %-10s %s\n", scenarios[k].name,
               scenarios[k].leak_rate > 0 && scenarios[k].subject != SUBJECT_OUTSIDE ? "leak"
                                                                                     : "not",
               scenarios[k].what);
}

int main(int argc, char **argv)
{
    sim_program = "detectsim";
    struct options opts;
    parse_args(argc, argv, &opts);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (opts.list) {
        list_scenarios();
        return 0;
    }
    struct sim sim = { .opts = &opts, .end = opts.end, .clock_fd = -1 };
    if (opts.write_profile != NULL) {
        int rc = write_profile(&sim);
        service_release(&sim.services[0]);
        lf_free(sim.services);
        simprofile_scratch_release(&sim.scratch);
        return rc;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        sim_die("curl_global_init failed");
    sim_open_clock(&sim);
    CURL *easy = NULL;
    struct sim_buf resp = { 0 };
    easy = simpush_easy_create(&resp);
    sim.started_param = !opts.no_started && probe_started(&opts, easy, &resp);
    if (!opts.no_started && !sim.started_param)
        printf("detectsim: the server refuses started= (%.*s): pushing without it, as "
               "--no-started\n",
               (int)resp.len, (const char *)resp.p);
    curl_easy_cleanup(easy);
    sim_buf_release(&resp);
    if (sim.clock_fd < 0)
        printf("detectsim: no --clock-file: the server dates pushes (liveness) with its own "
               "clock\n");
    int rc = opts.scale ? run_scale(&sim) : run_scenarios(&sim);
    for (size_t s = 0; s < sim.n_services; s++)
        service_release(&sim.services[s]);
    lf_free(sim.services);
    simprofile_scratch_release(&sim.scratch);
    if (sim.clock_fd >= 0)
        close(sim.clock_fd);
    curl_global_cleanup();
    return rc;
}
