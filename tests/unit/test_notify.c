/* test_notify.c - unit tests of the notification queue (notify.c) over a real SQLite
 * store fed by detection passes (queue_fixture.h): a suspect opens one notification,
 * acknowledge, snooze, resolve and reassign with their refusals, reminders, silences,
 * owners that are not owners, and re-opening after a resolve by hand with and without
 * versions. */

#include "dispatch.h"
#include "queue_fixture.h"

START_TEST(test_queue_lifecycle)
{
    char state[32];
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    ck_assert_str_eq(notification_state(location_of("main.worker"), state, sizeof(state)), "");

    /* A second pass does not duplicate it. */
    ck_assert_int_eq(detect_run(fx.detect, now + 10, &fx.err), LF_OK);
    struct store_conn *conn;
    int64_t n = 0;
    bool found;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(sqlbind_int(store_conn_db(conn), &n, &found, &fx.err,
                                 "SELECT COUNT(*) FROM notifications", ""),
                     LF_OK);
    store_reader_release(fx.store, conn);
    ck_assert_int_eq(n, 1);

    /* Grouping: nothing is due before group_wait has passed; then the log route
     * delivers it. */
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 10, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 31, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    /* no webhook and no route: logged, and nobody was told */
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "unrouted");

    /* Acknowledged: no reminder however long it keeps growing. */
    int64_t id = notification_id(leak);
    struct notify_request ack = { .action = NOTIFY_ACK, .id = id, .now = now + 40 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &ack, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "acknowledged");

    /* Snooze in the past is refused; in the future it holds. */
    struct notify_request snooze = {
        .action = NOTIFY_SNOOZE, .id = id, .until = now, .now = now + 50
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &snooze, &fx.err), LF_EINVAL);
    snooze.until = now + 600;
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &snooze, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "snoozed");

    /* Resolved by hand; acknowledging it now conflicts; unknown ids are not found. */
    struct notify_request resolve = { .action = NOTIFY_RESOLVE, .id = id, .now = now + 60 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");
    ack.now = now + 70;
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &ack, &fx.err), LF_ECONFLICT);
    struct notify_request missing = { .action = NOTIFY_ACK, .id = 9999 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &missing, &fx.err), LF_ENOTFOUND);

    /* Still suspect at the next pass, and re-opening at once (reopen_after 0): it comes
     * back as a regression, due after the grouping wait, and goes out as such. */
    fx.notify.reopen_after = 0;
    ck_assert_int_eq(detect_run(fx.detect, now + 100, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 131, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    json_t *list = NULL;
    ck_assert_int_eq(store_reader_acquire(fx.store, &conn, &fx.err), LF_OK);
    ck_assert_int_eq(notify_list(conn, NULL, id, &list, &fx.err), LF_OK);
    store_reader_release(fx.store, conn);
    ck_assert(json_is_true(json_object_get(list, "regression")));
    ck_assert_str_eq(json_string_value(json_object_get(list, "state")), "unrouted");
    ck_assert_int_eq(json_integer_value(json_object_get(list, "attempts")), 2);
    json_t *events = json_object_get(list, "events");
    const char *expected[] = { "created",  "no route",   "acknowledged", "snoozed",
                               "resolved", "regression", "no route" };
    ck_assert_uint_eq(json_array_size(events), 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, i), "event")),
                         expected[i]);
    json_decref(list);

    /* The leak stops: pushes go flat and the instances restart lower. An hour after
     * the last suspect pass it resolves itself, with a resolve message. */
    int64_t ts = now + 200;
    for (int i = 0; i < 90; i++, ts += 60) {
        push("a", ts, 5, 150, 5);
        push("b", ts + 5, 5, 150, 5);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");
    ck_assert_int_eq(dispatch_run_once(dispatch, ts, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    dispatch_free(dispatch);
}
END_TEST

START_TEST(test_reminder_and_silence)
{
    char state[32];
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 30, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);

    /* Still growing, unacknowledged, six hours on: a reminder. */
    int64_t ts = now;
    for (int i = 0; i < 362; i++, ts += 60) {
        push("a", ts, 250 + 2 * i, 150, 5);
        push("b", ts + 5, 260 + 2 * i, 150, 5);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "unrouted");
    ck_assert_int_eq(dispatch_run_once(dispatch, ts, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);

    /* A silence on the owner keeps the next finding quiet (re-opening at once). */
    fx.notify.reopen_after = 0;
    struct notify_silence_job silence = { .silence = { .owner = "@acme/core",
                                                       .reason = "known, fix in review",
                                                       .expires = ts + 86400,
                                                       .now = ts } };
    ck_assert_int_eq(writer_run(fx.writer, notify_add_silence_job, &silence, &fx.err), LF_OK);
    ck_assert_int_gt(silence.id, 0);
    struct notify_request resolve = { .action = NOTIFY_RESOLVE,
                                      .id = notification_id(leak),
                                      .now = ts + 1 };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    ck_assert_int_eq(detect_run(fx.detect, ts + 2, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    ck_assert_int_eq(dispatch_run_once(dispatch, ts + 100, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);

    struct notify_silence_job bad = { .silence = { .reason = "x", .expires = ts + 5, .now = ts } };
    ck_assert_int_eq(writer_run(fx.writer, notify_add_silence_job, &bad, &fx.err), LF_EINVAL);

    /* Owners that are not owners are refused by the queue itself, whoever calls it. */
    static const char *const not_owners[] = { "", "@te\377am", "@team\n\x1B[31m", "x y@a.io" };
    for (size_t i = 0; i < sizeof(not_owners) / sizeof(not_owners[0]); i++) {
        struct notify_request to = { .action = NOTIFY_REASSIGN,
                                     .id = notification_id(leak),
                                     .owner = not_owners[i],
                                     .now = ts + 3 };
        ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &to, &fx.err), LF_EINVAL);
        bad.silence.owner = not_owners[i];
        ck_assert_int_eq(writer_run(fx.writer, notify_add_silence_job, &bad, &fx.err), LF_EINVAL);
    }
    struct notify_request to_unowned = {
        .action = NOTIFY_REASSIGN, .id = notification_id(leak), .owner = "unowned", .now = ts + 3
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &to_unowned, &fx.err), LF_OK);
    dispatch_free(dispatch);
}
END_TEST

/* A finding made while a silence covers it is tracked with no message; once the silence
 * has expired and the site is still suspect, its message is scheduled as a new finding's
 * (it stayed pending with nothing due, for good). */
START_TEST(test_silenced_finding_goes_out_after_the_silence)
{
    char state[32];
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    struct notify_silence_job silence = { .silence = { .owner = "@acme/core",
                                                       .reason = "deploy freeze",
                                                       .expires = now + 600,
                                                       .now = now - 10 } };
    ck_assert_int_eq(writer_run(fx.writer, notify_add_silence_job, &silence, &fx.err), LF_OK);
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    struct dispatch *dispatch;
    ck_assert_int_eq(dispatch_create(fx.store, fx.writer, NULL, &dispatch, &fx.err), LF_OK);
    size_t sent = 0;
    ck_assert_int_eq(dispatch_run_once(dispatch, now + 100, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 0);

    /* Still growing when the silence ends. */
    int64_t ts = now;
    for (int i = 120; i < 135; i++, ts += 60) {
        push("a", ts, 10 + 2 * i, 150, 5);
        push("b", ts + 5, 20 + 2 * i, 150, 5);
    }
    ck_assert_int_gt(ts, silence.silence.expires);
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    ck_assert_int_eq(dispatch_run_once(dispatch, ts + fx.notify.group_wait, &sent, &fx.err), LF_OK);
    ck_assert_uint_eq(sent, 1);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "unrouted");
    json_t *one = notification_json(leak);
    json_t *events = json_object_get(one, "events");
    const char *expected[] = { "created", "silence ended", "no route" };
    ck_assert_uint_eq(json_array_size(events), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, i), "event")),
                         expected[i]);
    json_decref(one);
    dispatch_free(dispatch);
}
END_TEST

/* Resolved by hand with no versions: "fixed" holds while the site keeps growing for less
 * than reopen_after, then it re-opens as a regression. */
START_TEST(test_resolve_without_versions_waits_reopen_after)
{
    char state[32];
    int64_t now = fill_two_hours();
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, now, &fx.err), LF_OK);
    struct notify_request resolve = {
        .action = NOTIFY_RESOLVE, .id = notification_id(leak), .actor = "bob", .now = now
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    json_t *one = notification_json(leak);
    ck_assert(json_is_true(json_object_get(one, "resolved_manual")));
    ck_assert(json_is_null(json_object_get(one, "resolved_version")));
    ck_assert_str_eq(last_event(one, "detail"), "by bob, no version known");
    json_decref(one);

    /* Still growing: the old code re-opened at the next pass, seconds later. */
    int64_t ts = now;
    for (int i = 120; i < 120 + 65; i++, ts += 60) {
        push("a", ts, 10 + 2 * i, 150, 5);
        push("b", ts + 5, 20 + 2 * i, 150, 5);
        if (i == 121 || i == 150) {
            ck_assert_int_eq(detect_run(fx.detect, ts + 10, &fx.err), LF_OK);
            ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");
        }
    }
    ck_assert_int_ge(ts, now + fx.notify.reopen_after);
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    one = notification_json(leak);
    ck_assert(json_is_true(json_object_get(one, "regression")));
    ck_assert_str_eq(last_event(one, "event"), "regression");
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "after the resolve"));
    json_decref(one);
}
END_TEST

/* Resolved by hand in v1: growth that goes on in v1 does not re-open it, growth in v2
 * after the deploy does. A resolve by the queue itself (quiet for resolve_after) re-opens
 * at the first suspect pass. */
START_TEST(test_resolve_in_version_reopens_in_next_version)
{
    char state[32];
    int64_t ts = T0;
    for (int i = 0; i < 120; i++, ts += 60) {
        struct push p = { "a", ts, 10 + 4 * i, 1, 1, "v1" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    int64_t leak = location_of("main.ncast.func1");
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    int64_t resolved_at = ts;
    struct notify_request resolve = {
        .action = NOTIFY_RESOLVE, .id = notification_id(leak), .actor = "carol", .now = resolved_at
    };
    ck_assert_int_eq(writer_run(fx.writer, notify_apply_job, &resolve, &fx.err), LF_OK);
    json_t *one = notification_json(leak);
    ck_assert_str_eq(json_string_value(json_object_get(one, "resolved_version")), "v1");
    ck_assert_str_eq(last_event(one, "detail"), "by carol in version v1");
    json_decref(one);

    /* v1 keeps leaking for two more hours: longer than reopen_after, still resolved. */
    for (int i = 120; i < 240; i++, ts += 60) {
        struct push p = { "a", ts, 10 + 4 * i, 1, 1, "v1" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    struct detect_verdict v;
    ck_assert(detect_lookup(fx.detect, "shop", leak, &v));
    ck_assert(v.suspect);
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "resolved");

    /* v2 is deployed (the process restarts low) and leaks again. */
    for (int i = 0; i < 90; i++, ts += 60) {
        struct push p = { "a", ts, 10 + 4 * i, 1, 1, "v2" };
        ck_assert_int_eq(writer_run(fx.writer, put_job, &p, &fx.err), LF_OK);
    }
    ck_assert_int_eq(detect_run(fx.detect, ts, &fx.err), LF_OK);
    ck_assert(detect_lookup(fx.detect, "shop", leak, &v));
    ck_assert(v.suspect);
    ck_assert_str_eq(v.since_version, "v2");
    ck_assert_str_eq(notification_state(leak, state, sizeof(state)), "pending");
    one = notification_json(leak);
    ck_assert(json_is_true(json_object_get(one, "regression")));
    ck_assert_ptr_nonnull(strstr(last_event(one, "detail"), "growing in v2"));
    ck_assert(json_is_false(json_object_get(one, "resolved_manual")));
    json_decref(one);
}
END_TEST

static Suite *notify_suite(void)
{
    Suite *suite = suite_create("notify");
    TCase *queue = tcase_create("queue");
    tcase_add_checked_fixture(queue, setup, teardown);
    tcase_set_timeout(queue, 60);
    tcase_add_test(queue, test_queue_lifecycle);
    tcase_add_test(queue, test_reminder_and_silence);
    tcase_add_test(queue, test_silenced_finding_goes_out_after_the_silence);
    tcase_add_test(queue, test_resolve_without_versions_waits_reopen_after);
    tcase_add_test(queue, test_resolve_in_version_reopens_in_next_version);
    suite_add_tcase(suite, queue);
    return suite;
}

LF_CHECK_MAIN(notify_suite)
