-- 0009_notify_oncall.sql - what an on-call person needs of the queue.
--
-- notifications.state 'unrouted': the message went to the server's log only, because no
--   notify.webhook and no notify.routes entry names the owner: nobody was told, which
--   'delivered' would claim. A CHECK cannot be altered in SQLite, so the table is
--   rebuilt; its history moves to a rebuilt notification_events pointing at the new
--   table before the old one is dropped (foreign keys are on during migrations, and
--   dropping a parent would cascade into the history).
-- notifications.resolved_manual: resolved by hand ("fixed"), as opposed to resolved by
--   the queue after resolve_after quiet.
-- notifications.resolved_version: the service's version when resolved by hand; the site
--   re-opens only on growth in another version that began after the resolve. NULL with
--   resolved_manual: no versions known, notify.reopen_after applies.
-- notifications.actor: the token name of the latest admin action.

CREATE TABLE notifications_new (
    id               INTEGER PRIMARY KEY,
    service_id       INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    location_id      INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    owner            TEXT NOT NULL,
    owner_manual     INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL CHECK (state IN
                         ('pending', 'delivered', 'unrouted', 'acknowledged', 'snoozed',
                          'resolved')),
    regression       INTEGER NOT NULL DEFAULT 0,
    created          INTEGER NOT NULL,
    updated          INTEGER NOT NULL,
    send_due         INTEGER,
    send_kind        TEXT,
    snoozed_until    INTEGER,
    delivered_at     INTEGER,                -- the message went out (route or log)
    reminded_at      INTEGER,
    resolved_at      INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    message          TEXT,
    resolved_manual  INTEGER NOT NULL DEFAULT 0,
    resolved_version TEXT,
    actor            TEXT,
    UNIQUE (service_id, location_id, owner)
);
INSERT INTO notifications_new (id, service_id, location_id, owner, owner_manual, state,
        regression, created, updated, send_due, send_kind, snoozed_until, delivered_at,
        reminded_at, resolved_at, attempts, last_error, message)
    SELECT id, service_id, location_id, owner, owner_manual, state, regression, created,
        updated, send_due, send_kind, snoozed_until, delivered_at, reminded_at, resolved_at,
        attempts, last_error, message
    FROM notifications;

CREATE TABLE notification_events_new (
    notification_id INTEGER NOT NULL REFERENCES notifications_new(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    ts              INTEGER NOT NULL,
    event           TEXT NOT NULL,
    detail          TEXT,
    PRIMARY KEY (notification_id, seq)
) WITHOUT ROWID;
INSERT INTO notification_events_new SELECT notification_id, seq, ts, event, detail
    FROM notification_events;

DROP TABLE notification_events;
DROP TABLE notifications;
-- Renaming rewrites notification_events_new's reference to the new name.
ALTER TABLE notifications_new RENAME TO notifications;
ALTER TABLE notification_events_new RENAME TO notification_events;
CREATE INDEX notifications_send_due ON notifications(send_due) WHERE send_due IS NOT NULL;
CREATE INDEX notifications_state ON notifications(state, updated);

-- silences.created_by: the token name of who set the silence.
ALTER TABLE silences ADD COLUMN created_by TEXT;
