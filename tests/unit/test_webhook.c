/* test_webhook.c - webhook_post_json against a one-answer HTTP listener on a loopback
 * port: a 2xx is LF_OK with its status, another status names the sender, a refused
 * connection and a URL of another protocol give libcurl's reason with status 0. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check_main.h"
#include "webhook.h"

/* Answers one connection on a loopback port with status_line, then closes. */
struct listener {
    int fd;
    int port;
    const char *status_line;
    char request[4096];
    pthread_t thread;
};

static void *answer_once(void *arg)
{
    struct listener *l = arg;
    int c = accept(l->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    size_t len = 0;
    while (len < sizeof(l->request) - 1) {
        ssize_t n = read(c, l->request + len, sizeof(l->request) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        l->request[len] = '\0';
        const char *end = strstr(l->request, "\r\n\r\n");
        const char *length = strstr(l->request, "Content-Length: ");
        if (end != NULL && length != NULL &&
            strlen(end + 4) >= (size_t)strtoll(length + 16, NULL, 10))
            break; /* the headers and the whole body */
    }
    char answer[256];
    int n = snprintf(answer, sizeof(answer),
                     "%s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", l->status_line);
    ck_assert(write(c, answer, (size_t)n) == n);
    close(c);
    return NULL;
}

static void listen_once(struct listener *l, const char *status_line)
{
    memset(l, 0, sizeof(*l));
    l->status_line = status_line;
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(l->fd, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(l->fd, 1), 0);
    socklen_t addr_len = sizeof(addr);
    ck_assert_int_eq(getsockname(l->fd, (struct sockaddr *)&addr, &addr_len), 0);
    l->port = ntohs(addr.sin_port);
    ck_assert_int_eq(pthread_create(&l->thread, NULL, answer_once, l), 0);
}

static void listener_close(struct listener *l)
{
    pthread_join(l->thread, NULL);
    close(l->fd);
}

/* Posts body to path on a listener answering status_line; returns the call's result. */
static int post_once(struct listener *l, const char *status_line, const char *path,
                     const char *body, const char *who, long *status, struct lf_error *err)
{
    listen_once(l, status_line);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->port, path);
    lf_error_clear(err);
    int rc = webhook_post_json(url, body, 5000, who, status, err);
    listener_close(l);
    return rc;
}

START_TEST(test_2xx)
{
    struct listener l;
    struct lf_error err;
    long status = -1;
    ck_assert_int_eq(post_once(&l, "HTTP/1.1 204 No Content", "/hook", "{\"text\":\"hi\"}",
                               "webhook", &status, &err),
                     LF_OK);
    ck_assert_int_eq(status, 204);
    ck_assert_ptr_nonnull(strstr(l.request, "POST /hook HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(l.request, "Content-Type: application/json\r\n"));
    ck_assert_ptr_nonnull(strstr(l.request, "User-Agent: leakfleet\r\n"));
    ck_assert_ptr_nonnull(strstr(l.request, "\r\n\r\n{\"text\":\"hi\"}"));
}
END_TEST

START_TEST(test_other_status_names_the_sender)
{
    struct listener l;
    struct lf_error err;
    long status = 0;
    ck_assert_int_eq(post_once(&l, "HTTP/1.1 500 Internal Server Error", "/api/v2/alerts", "[]",
                               "alertmanager", &status, &err),
                     LF_EIO);
    ck_assert_int_eq(status, 500);
    ck_assert_str_eq(err.msg, "alertmanager answered HTTP 500");
}
END_TEST

START_TEST(test_no_answer_gives_the_reason)
{
    /* a port nobody listens on: bound, never listened to */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    socklen_t addr_len = sizeof(addr);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &addr_len), 0);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(addr.sin_port));
    struct lf_error err;
    lf_error_clear(&err);
    long status = -1;
    ck_assert_int_eq(webhook_post_json(url, "{}", 5000, "webhook", &status, &err), LF_EIO);
    close(fd);
    ck_assert_int_eq(status, 0);
    ck_assert_msg(strncmp(err.msg, "Failed to connect", 17) == 0, "%s", err.msg);

    /* http and https only */
    ck_assert_int_eq(webhook_post_json("file:///etc/passwd", "{}", 5000, "webhook", &status, &err),
                     LF_EIO);
    ck_assert_int_eq(status, 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"file\" not supported"));
}
END_TEST

static Suite *webhook_suite(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("webhook");
    TCase *tc = tcase_create("post");
    tcase_add_test(tc, test_2xx);
    tcase_add_test(tc, test_other_status_names_the_sender);
    tcase_add_test(tc, test_no_answer_gives_the_reason);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(webhook_suite)
