/* selfmetrics.c - the agent's /metrics over plain sockets: no HTTP library, since the
 * agent answers one short GET at a time from its own loop. A request is read up to
 * its blank line (8 KiB at most) within the deadline, answered with Connection: close
 * and the socket closed; nothing of a client outlives its answer. */
#include "selfmetrics.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

#define REQUEST_MAX 8192

struct selfmetrics {
    int fd;
    char address[300];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct selfmetrics *selfmetrics_open(const char *listen_on, struct lf_error *err)
{
    char host[256];
    const char *colon = strrchr(listen_on, ':');
    size_t host_len = colon != NULL ? (size_t)(colon - listen_on) : 0;
    const char *h = listen_on;
    if (host_len >= 2 && listen_on[0] == '[' && listen_on[host_len - 1] == ']') {
        h++;
        host_len -= 2;
    }
    if (colon == NULL || colon[1] == '\0' || host_len == 0 || host_len >= sizeof(host)) {
        lf_fail(err, LF_EINVAL, "listen: expected host:port, not '%s'", listen_on);
        return NULL;
    }
    memcpy(host, h, host_len);
    host[host_len] = '\0';
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(host, colon + 1, &hints, &res);
    if (gai != 0) {
        lf_fail(err, LF_EINVAL, "listen '%s': %s", listen_on, gai_strerror(gai));
        return NULL;
    }
    struct selfmetrics *m = lf_calloc(1, sizeof(*m));
    if (m == NULL) {
        freeaddrinfo(res);
        lf_fail(err, LF_ENOMEM, "out of memory");
        return NULL;
    }
    m->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(m->fd, res->ai_addr, res->ai_addrlen) != 0 || listen(m->fd, 16) != 0) {
        lf_fail(err, LF_EIO, "listen '%s': %s", listen_on, strerror(errno));
        freeaddrinfo(res);
        selfmetrics_close(m);
        return NULL;
    }
    freeaddrinfo(res);
    struct sockaddr_storage sa;
    socklen_t sa_len = sizeof(sa);
    char name[128] = "?", port[16] = "?";
    if (getsockname(m->fd, (struct sockaddr *)&sa, &sa_len) == 0)
        getnameinfo((struct sockaddr *)&sa, sa_len, name, sizeof(name), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV);
    bool v6 = strchr(name, ':') != NULL;
    snprintf(m->address, sizeof(m->address), "%s%s%s:%s", v6 ? "[" : "", name, v6 ? "]" : "", port);
    return m;
}

void selfmetrics_close(struct selfmetrics *m)
{
    if (m == NULL)
        return;
    if (m->fd >= 0)
        close(m->fd);
    lf_free(m);
}

int selfmetrics_fd(const struct selfmetrics *m)
{
    return m->fd;
}

const char *selfmetrics_address(const struct selfmetrics *m)
{
    return m->address;
}

/* Waits until fd is ready for events or the deadline passes; false on timeout. */
static bool wait_for(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = { fd, events, 0 };
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return true;
        if (n == 0 || errno != EINTR)
            return false;
    }
}

static bool send_all(int fd, const char *p, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return false;
        if (!wait_for(fd, POLLOUT, deadline))
            return false;
    }
    return true;
}

static void answer(int fd, const char *body, size_t len)
{
    int64_t deadline = now_ms() + SELFMETRICS_DEADLINE_MS;
    char req[REQUEST_MAX + 1];
    size_t got = 0;
    while (got < REQUEST_MAX) {
        ssize_t n = recv(fd, req + got, REQUEST_MAX - got, 0);
        if (n > 0) {
            got += (size_t)n;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
                break;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return;
        if (!wait_for(fd, POLLIN, deadline))
            return;
    }
    req[got] = '\0';
    int status = 404;
    const char *reason = "Not Found", *type = "text/plain; charset=utf-8";
    const char *out = "not found: the agent serves /metrics and /healthz\n";
    size_t out_len = strlen(out);
    bool head = strncmp(req, "HEAD ", 5) == 0;
    const char *path = strchr(req, ' ');
    if (strncmp(req, "GET ", 4) != 0 && !head) {
        status = 405;
        reason = "Method Not Allowed";
        out = "method not allowed: GET or HEAD\n";
        out_len = strlen(out);
    } else if (path != NULL &&
               (strncmp(path, " /metrics ", 10) == 0 || strncmp(path, " /metrics?", 10) == 0)) {
        status = 200;
        reason = "OK";
        type = "text/plain; version=0.0.4; charset=utf-8";
        out = body;
        out_len = len;
    } else if (path != NULL && strncmp(path, " /healthz ", 10) == 0) {
        status = 200;
        reason = "OK";
        out = "ok\n";
        out_len = 3;
    }
    char header[256];
    int n = snprintf(header, sizeof(header),
                     "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, type, out_len);
    if (n > 0 && (size_t)n < sizeof(header) && send_all(fd, header, (size_t)n, deadline) && !head)
        send_all(fd, out, out_len, deadline);
}

void selfmetrics_serve(struct selfmetrics *m, const char *body, size_t len)
{
    for (int i = 0; i < SELFMETRICS_MAX_CONNS; i++) {
        int fd = accept(m->fd, NULL, NULL);
        if (fd < 0)
            return;
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
            close(fd);
            continue;
        }
        answer(fd, body, len);
        close(fd);
    }
}
