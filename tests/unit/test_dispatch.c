/* test_dispatch.c - unit tests of delivery (dispatch.c) over a real SQLite store
 * (queue_fixture.h): the log route and a dead webhook, backoff, the rate limit per owner
 * (past 512 owners and for long owner names), Alertmanager for messages without a
 * route, the message body and its text cut on a character boundary, webhooks over
 * http(s) only, one owner's failing row among healthy ones, and rows an older version
 * stored with bytes that are not UTF-8. */

#include "attribute.h"
#include "dispatch.h"
#include "log.h"
#include "message.h"
#include "queue_fixture.h"
#include "utf8.h"

START_TEST(test_failed_webhook_retries_with_backoff)
{
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.webhook = "http://127.0.0.1:9/hook"; /* discard port: refused */
    opts.timeout_ms = 2000;
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    size_t sent = 1;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);

    struct store_conn *conn;
    json_t *one = NULL;
    int64_t id = notification_id(leak);
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, "pending", id, &one, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    ck_assert_int_eq(json_integer_value(json_object_get(one, "attempts")), 1);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(one, "last_error")));
    json_int_t due = json_integer_value(json_object_get(one, "send_due"));
    ck_assert_int_ge(due, now + 30 + 30);
    ck_assert_int_le(due, now + 30 + 36);
    json_decref(one);

    /* Not due again before the backoff has passed. */
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 40, &sent, &fx.err), LF_OK);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.failed, 1);
    dispatch_free(dispatch);
}
END_TEST

START_TEST(test_rate_limit_per_owner)
{
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.rate_per_hour = 1;
    int64_t now = fill_two_hours();
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    struct notify_request resolve = { .action = NOTIFY_RESOLVE,
                                      .id = notification_id(location_of("main.ncast.func1")),
                                      .now = now + 31 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    fx.notify.reopen_after = 0;
    ck_assert_int_eq(detect_run(fx.detect, now + 32, &fx.err), LF_OK);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 70, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.limited, 1);
    dispatch_free(dispatch);
}
END_TEST

START_TEST(test_no_route_is_not_delivered)
{
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.unrouted, 1);
    ck_assert_uint_eq(stats.delivered, 0);
    json_t *one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "unrouted");
    ck_assert_str_eq(last_event(one, "event"), "no route");
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "no notify.webhook"));
    /* the queue lists the verdict's count and growth beside it */
    ck_assert_int_eq(json_integer_value(json_object_get(one, "count")), (10 + 238) + (20 + 238));
    ck_assert_double_eq_tol(json_real_value(json_object_get(one, "growth_per_hour")), 240, 1e-6);
    json_decref(one);
    ck_assert(notify_state_valid("unrouted"));

    /* With Alertmanager configured, a message without a webhook route is told there. */
    struct dispatch_options am_opts;
    dispatch_options_default(&am_opts);
    am_opts.alertmanager = true;
    struct dispatch *am = NULL;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &am_opts, &am, &fx.err), LF_OK);
    add_event_due(leak, now + 35);
    ck_assert_int_eq(dispatch_run_once(am, now + 35, &sent, &fx.err), LF_OK);
    dispatch_get_stats(am, &stats);
    ck_assert_uint_eq(stats.delivered, 1);
    ck_assert_uint_eq(stats.unrouted, 0);
    one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "delivered");
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "alertmanager"));
    json_decref(one);
    dispatch_free(am);

    /* Acknowledging works from there, and names who did it. */
    struct notify_request ack = {
        .action = NOTIFY_ACK, .id = notification_id(leak), .actor = "alice", .now = now + 40
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &ack, &fx.err), LF_OK);
    one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "acknowledged");
    ck_assert_str_eq(json_string_value(json_object_get(one, "actor")), "alice");
    ck_assert_str_eq(last_event(one, "detail"), "by alice");
    json_decref(one);
    dispatch_free(dispatch);
}
END_TEST

START_TEST(test_message_body)
{
    json_t *findings = json_pack(
            "[{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:I, s:f, s:{s:I, s:f}, s:s}]", "kind", "new",
            "service", "shop", "location_id", (json_int_t)7, "function", "main.ncast.func1", "file",
            "main.go", "line", (json_int_t)51, "op", "chan send", "count", (json_int_t)1200,
            "growth_per_hour", 340.0, "projection", "target", (json_int_t)10000, "hours", 25.9,
            "link", "http://lf/#/location/7");
    json_t *message = message_build("@acme/core", findings);
    ck_assert_ptr_nonnull(message);
    ck_assert_str_eq(json_string_value(json_object_get(message, "owner")), "@acme/core");
    ck_assert_str_eq(json_string_value(json_object_get(message, "service")), "shop");
    ck_assert_str_eq(json_string_value(json_object_get(message, "op")), "chan send");
    ck_assert_int_eq(json_integer_value(json_object_get(message, "count")), 1200);
    ck_assert_str_eq(json_string_value(json_object_get(message, "link")), "http://lf/#/location/7");
    ck_assert_str_eq(json_string_value(json_object_get(message, "text")),
                     "leakfleet: 1 goroutine leak suspect for @acme/core\n"
                     "• shop: main.ncast.func1 at main.go:51 (chan send): 1200 goroutines, +340/h, "
                     "reaches 10000 in 26 h http://lf/#/location/7");
    json_decref(message);
    json_decref(findings);
}
END_TEST

/* The text names the site by its repo-relative path, never the build path, with a source
 * link from web.source_url; the body carries both. */
START_TEST(test_message_repo_paths)
{
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    const char *roots[] = { "/build/leaky/" };
    struct attributor *attributor = attributor_create(roots, 1, NULL);
    ck_assert_ptr_nonnull(attributor);
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.attributor = attributor;
    opts.source_url = "https://src.example/leaky/blob/main/{path}#L{line}";
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    json_t *one = notification_json(leak);
    const char *text = json_string_value(json_object_get(one, "message"));
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "main.ncast.func1 at main.go:51 (chan send)") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "source: https://src.example/leaky/blob/main/main.go#L51") != NULL,
                  "%s", text);
    ck_assert_msg(strstr(text, "/build/leaky") == NULL, "%s", text);
    json_decref(one);
    dispatch_free(dispatch);
    attributor_free(attributor);
}
END_TEST

START_TEST(test_message_culprit)
{
    json_t *findings =
            json_pack("[{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:I, s:n, s:n, s:n,"
                      " s:{s:s, s:s, s:I, s:s, s:s}}]",
                      "kind", "new", "service", "shop", "location_id", (json_int_t)7, "function",
                      "github.com/lib/pq.(*conn).send", "file", "/root/go/pkg/mod/pq/conn.go",
                      "line", (json_int_t)40, "op", "chan send", "count", (json_int_t)300,
                      "repo_path", "source_url", "link", "culprit", "function", "main.publish",
                      "file", "/build/leaky/publish.go", "line", (json_int_t)99, "repo_path",
                      "publish.go", "source_url", "https://src/publish.go#L99");
    ck_assert_ptr_nonnull(findings);
    json_t *message = message_build("@acme/core", findings);
    ck_assert_ptr_nonnull(message);
    ck_assert_str_eq(json_string_value(json_object_get(message, "text")),
                     "leakfleet: 1 goroutine leak suspect for @acme/core\n"
                     "• shop: github.com/lib/pq.(*conn).send at /root/go/pkg/mod/pq/conn.go:40 "
                     "(chan send): 300 goroutines\n"
                     "  from main.publish at publish.go:99, source: https://src/publish.go#L99");
    json_decref(message);
    json_decref(findings);
}
END_TEST

/* The first owner's outcome cannot be recorded (a trigger refuses its row): the pass
 * goes on, the owners behind it are delivered, the skip is counted, and the failing
 * owner is held back (not posted again every pass) until its backoff has passed. */
START_TEST(test_failing_owner_does_not_block_the_others)
{
    char state[32];
    push("a", T0, 10, 150, 5);
    int64_t leak = location_of("main.ncast.func1");
    int64_t now = T0 + 60;
    add_due("@acme/a-poisoned", leak, now);
    add_due("@acme/b-healthy", leak, now);
    add_due("@acme/c-healthy", leak, now);
    exec_sql("CREATE TRIGGER poison BEFORE UPDATE ON notifications"
             " WHEN OLD.owner = '@acme/a-poisoned'"
             " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
             "", NULL, NULL, 0, 0);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_msg(dispatch_run_once(dispatch, now, &sent, &fx.err) == LF_OK, "%s", fx.err.msg);
    ck_assert_uint_eq(sent, 2);
    /* out through the log route: no webhook here, so unrouted rather than delivered */
    ck_assert_str_eq(state_of("@acme/b-healthy", state, sizeof(state)), "unrouted");
    ck_assert_str_eq(state_of("@acme/c-healthy", state, sizeof(state)), "unrouted");
    ck_assert_str_eq(state_of("@acme/a-poisoned", state, sizeof(state)), "pending");
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.skipped, 1);
    ck_assert_uint_eq(stats.unrouted, 3); /* its message went out; recording it failed */
    ck_assert_uint_eq(stats.delivered, 0);

    /* The next passes leave it alone until the backoff (30 s plus up to a fifth) ends. */
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 1, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 29, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.skipped, 1);
    ck_assert_uint_eq(stats.unrouted, 3);

    /* Once the row can be written again it goes out. */
    exec_sql("DROP TRIGGER poison", "", NULL, NULL, 0, 0);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 37, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    ck_assert_str_eq(state_of("@acme/a-poisoned", state, sizeof(state)), "unrouted");
    dispatch_free(dispatch);
}
END_TEST

/* A database written by an older version: a function name with a byte that is not UTF-8,
 * an owner cut inside a character, a growth no JSON number can hold. Every owner is
 * delivered with U+FFFD in place of the bad bytes, and the listings keep every key. */
START_TEST(test_old_rows_with_invalid_bytes_are_delivered)
{
    char state[32];
    int64_t now = fill_two_hours();
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    int64_t leak = location_of("main.ncast.func1");
    int64_t flat = location_of("main.worker");
    exec_sql("UPDATE locations SET function = CAST(X'6d61696e2e6e63617374ff' AS TEXT)"
             " WHERE function = ?1",
             "t", "main.ncast.func1", NULL, 0, 0);
    exec_sql("UPDATE detections SET growth_per_hour = 9e999 WHERE location_id = ?3", "tti", NULL,
             NULL, leak, 0);
    add_due("@acme/a-\xe6\xbc", flat, now); /* sorts before @acme/core */
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_msg(dispatch_run_once(dispatch, now + 31, &sent, &fx.err) == LF_OK, "%s", fx.err.msg);
    ck_assert_uint_eq(sent, 2);
    /* out through the log route: no webhook here, so unrouted rather than delivered */
    ck_assert_str_eq(state_of("@acme/core", state, sizeof(state)), "unrouted");
    ck_assert_str_eq(state_of("@acme/a-\xe6\xbc", state, sizeof(state)), "unrouted");
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.skipped, 0);

    json_t *one = notification_of("@acme/core");
    ck_assert_str_eq(json_string_value(json_object_get(one, "function")), "main.ncast\xef\xbf\xbd");
    const char *message = json_string_value(json_object_get(one, "message"));
    ck_assert_ptr_nonnull(message);
    ck_assert_msg(strstr(message, "main.ncast\xef\xbf\xbd at") != NULL, "%s", message);
    json_decref(one);
    one = notification_of("@acme/a-\xe6\xbc");
    ck_assert_str_eq(json_string_value(json_object_get(one, "owner")), "@acme/a-\xef\xbf\xbd");
    message = json_string_value(json_object_get(one, "message"));
    ck_assert_msg(strstr(message, "for @acme/a-\xef\xbf\xbd\n") != NULL, "%s", message);
    json_decref(one);

    /* The whole listing keeps the function key of every row. */
    struct store_conn *conn;
    json_t *list = NULL;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, NULL, 0, &list, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(list, "notifications"), i, row)
        ck_assert(json_is_string(json_object_get(row, "function")));
    ck_assert_uint_eq(i, 2);
    json_decref(list);

    /* Trends read the same names from the table. */
    ck_assert_int_eq(detect_run(fx.detect, now + 40, &fx.err), LF_OK);
    json_t *trends = NULL;
    ck_assert_int_eq(detect_trends(fx.detect, now + 40, 3600, 10, &trends, &fx.err), LF_OK);
    bool seen = false;
    json_array_foreach(json_object_get(trends, "trends"), i, row)
        seen = seen || strcmp(json_string_value(json_object_get(row, "function")),
                              "main.ncast\xef\xbf\xbd") == 0;
    ck_assert(seen);
    json_decref(trends);
    dispatch_free(dispatch);
}
END_TEST

/* A route that is not http or https fails like a dead webhook (retried later), and the
 * server reads no file and speaks no other protocol for it. */
START_TEST(test_webhook_routes_are_http_only)
{
    push("a", T0, 10, 150, 5);
    int64_t leak = location_of("main.ncast.func1");
    int64_t now = T0 + 60;
    add_due("@acme/a-file", leak, now);
    add_due("@acme/b-gopher", leak, now);
    static const struct dispatch_route routes[] = {
        { "@acme/a-file", "file:///etc/passwd" },
        { "@acme/b-gopher", "gopher://127.0.0.1:9/" },
    };
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.routes = routes;
    opts.n_routes = 2;
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    size_t sent = 1;
    ck_assert_int_eq(dispatch_run_once(dispatch, now, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.failed, 2);
    ck_assert_uint_eq(stats.delivered, 0);
    const char *owners[] = { "@acme/a-file", "@acme/b-gopher" };
    for (size_t i = 0; i < 2; i++) {
        json_t *one = notification_of(owners[i]);
        const char *error = json_string_value(json_object_get(one, "last_error"));
        ck_assert_msg(error != NULL && strstr(error, "rotocol") != NULL, "%s: %s", owners[i],
                      error ? error : "(none)");
        ck_assert_str_eq(json_string_value(json_object_get(one, "state")), "pending");
        json_decref(one);
    }
    dispatch_free(dispatch);
}
END_TEST

/* A legal Go name of 1,500 CJK characters: the text stops at 4,095 bytes at most, on a
 * character boundary, so the message is built (json_pack refused the cut one). */
START_TEST(test_message_text_cut_on_a_character_boundary)
{
    char function[5 + 3 * 1500 + 1] = "main.";
    for (int i = 0; i < 1500; i++)
        memcpy(function + 5 + 3 * i, "\xe6\xbc\x8f", 4);
    /* for every alignment of the cut against the characters */
    const char *owners[] = { "@acme/x", "@acme/xy", "@acme/xyz", "@acme/\xff" };
    for (size_t k = 0; k < sizeof(owners) / sizeof(owners[0]); k++) {
        json_t *findings = json_pack("[{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:I}]", "kind", "new",
                                     "service", "shop", "location_id", (json_int_t)7, "function",
                                     function, "file", "main.go", "line", (json_int_t)51, "op",
                                     "chan send", "count", (json_int_t)1200);
        ck_assert_ptr_nonnull(findings);
        json_t *message = message_build(owners[k], findings);
        ck_assert_msg(message != NULL, "owner %s", owners[k]);
        const char *text = json_string_value(json_object_get(message, "text"));
        size_t len = json_string_length(json_object_get(message, "text"));
        ck_assert_uint_le(len, 4095);
        ck_assert_uint_ge(len, 4092);
        ck_assert(utf8_valid(text, len));
        ck_assert_mem_eq(text + len - 3, "\xe6\xbc\x8f", 3);
        ck_assert_str_eq(json_string_value(json_object_get(message, "function")), function);
        char *body = json_dumps(message, JSON_COMPACT);
        ck_assert_ptr_nonnull(body);
        free(body);
        json_decref(message);
        json_decref(findings);
    }
}
END_TEST

/* The rate limit counts per whole owner name, for any number of owners: two names equal
 * in their first 127 bytes are two owners, and past 512 owners each is still limited. */
START_TEST(test_rate_limit_per_whole_owner_for_many_owners)
{
    enum { OWNERS = 600 };
    push("a", T0, 10, 150, 5);
    int64_t leak = location_of("main.ncast.func1");
    int64_t now = T0 + 60;
    char owner[200];
    for (int i = 0; i < OWNERS; i++) {
        snprintf(owner, sizeof(owner), "@acme/team-%04d", i);
        add_due(owner, leak, now);
    }
    char long_name[160];
    memset(long_name, 'x', sizeof(long_name));
    memcpy(long_name, "@acme/", 6);
    for (int i = 0; i < 2; i++) {
        snprintf(long_name + 140, sizeof(long_name) - 140, "-%d", i);
        add_due(long_name, leak, now);
    }
    struct dispatch_options opts;
    dispatch_options_default(&opts);
    opts.rate_per_hour = 1;
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, &opts, &dispatch, &fx.err), LF_OK);
    log_set_level(LOG_LEVEL_ERROR);
    size_t sent = 0, total = 0;
    for (int pass = 0; pass < 3; pass++) {
        ck_assert_int_eq(dispatch_run_once(dispatch, now, &sent, &fx.err), LF_OK);
        total += sent;
    }
    ck_assert_uint_eq(total, OWNERS + 2);

    /* Every one of them is due again within the hour: every one is held back. */
    exec_sql("UPDATE notifications SET send_due = ?3, send_kind = 'reminder'", "tti", NULL, NULL,
             now + 10, 0);
    total = 0;
    for (int pass = 0; pass < 3; pass++) {
        ck_assert_int_eq(dispatch_run_once(dispatch, now + 10, &sent, &fx.err), LF_OK);
        total += sent;
    }
    log_set_level(LOG_LEVEL_INFO);
    ck_assert_uint_eq(total, 0);
    struct dispatch_stats stats;
    dispatch_get_stats(dispatch, &stats);
    ck_assert_uint_eq(stats.limited, OWNERS + 2);
    ck_assert_uint_eq(stats.skipped, 0);

    /* An hour on, their windows are over. */
    log_set_level(LOG_LEVEL_ERROR);
    total = 0;
    for (int pass = 0; pass < 3; pass++) {
        ck_assert_int_eq(dispatch_run_once(dispatch, now + 3600, &sent, &fx.err), LF_OK);
        total += sent;
    }
    log_set_level(LOG_LEVEL_INFO);
    ck_assert_uint_eq(total, OWNERS + 2);
    dispatch_free(dispatch);
}
END_TEST

static Suite *dispatch_suite(void)
{
    Suite *suite = suite_create("dispatch");
    TCase *queue = tcase_create("queue");
    tcase_add_checked_fixture(queue, setup, teardown);
    tcase_set_timeout(queue, 60);
    tcase_add_test(queue, test_failed_webhook_retries_with_backoff);
    tcase_add_test(queue, test_rate_limit_per_owner);
    tcase_add_test(queue, test_message_body);
    tcase_add_test(queue, test_message_repo_paths);
    tcase_add_test(queue, test_message_culprit);
    tcase_add_test(queue, test_no_route_is_not_delivered);
    suite_add_tcase(suite, queue);
    TCase *isolation = tcase_create("isolation");
    tcase_add_checked_fixture(isolation, setup, teardown);
    tcase_set_timeout(isolation, 120);
    tcase_add_test(isolation, test_failing_owner_does_not_block_the_others);
    tcase_add_test(isolation, test_old_rows_with_invalid_bytes_are_delivered);
    tcase_add_test(isolation, test_message_text_cut_on_a_character_boundary);
    tcase_add_test(isolation, test_webhook_routes_are_http_only);
    tcase_add_test(isolation, test_rate_limit_per_whole_owner_for_many_owners);
    suite_add_tcase(suite, isolation);
    return suite;
}

LF_CHECK_MAIN(dispatch_suite)
