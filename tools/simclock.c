/* simclock.c - a simulated wall clock for a server under test, loaded with LD_PRELOAD:
 * time() answers the unix time stored (a native int64_t at offset 0) in the file named by
 * LEAKFLEET_SIMCLOCK, which the simulator rewrites as its simulated time advances; 0, no
 * file or no variable = the real clock. Only time() is replaced: clock_gettime stays
 * real, so timed waits (the periodic threads, sockets) run in real time while every
 * decision the server dates with time(NULL) (received, liveness, detection and
 * retention passes) happens at the simulated time. A test tool, never in the server. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const int64_t *clock_word;
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

static void clock_map(void)
{
    const char *path = getenv("LEAKFLEET_SIMCLOCK");
    if (path == NULL || path[0] == '\0')
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    void *p = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p != MAP_FAILED)
        clock_word = p;
}

time_t time(time_t *out)
{
    pthread_once(&clock_once, clock_map);
    int64_t now = clock_word != NULL ? __atomic_load_n(clock_word, __ATOMIC_RELAXED) : 0;
    if (now <= 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (int64_t)ts.tv_sec;
    }
    if (out != NULL)
        *out = (time_t)now;
    return (time_t)now;
}
