-- 0002_detect.sql - what detection decides and what it tells owners: the latest verdict
-- per (service, location), the durable owner-notification queue with its history, and
-- silences. Times are unix seconds.
--
-- Index plan:
--   detections PRIMARY KEY (service, location)  one verdict per site, replaced each pass
--   detections_suspect                           the inventory's suspects first
--   notifications_key UNIQUE (service, location, owner)  one notification per site and owner
--   notifications_send_due (partial)             the dispatcher's "due now" scan
--   notifications_state                          the queue listing by state
--   notification_events PRIMARY KEY              a notification's history in order
--   silences_expires                             the active silences

CREATE TABLE detections (
    service_id        INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    location_id       INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    count             INTEGER NOT NULL,       -- summed over live instances
    growth_per_hour   REAL,                   -- NULL: too few samples to say
    p_value           REAL,                   -- pooled Mann–Kendall, two-sided
    growing           INTEGER NOT NULL DEFAULT 0,
    confirmed         INTEGER NOT NULL DEFAULT 0, -- the runtime's goroutine-leak verdict
    suspect           INTEGER NOT NULL DEFAULT 0,
    suppressed        TEXT,                   -- the suppression's class and reason
    since             INTEGER,                -- when the growth began
    since_version     TEXT,                   -- the "version" label at that time
    segments          INTEGER NOT NULL DEFAULT 0,
    samples           INTEGER NOT NULL DEFAULT 0,
    first_suspect     INTEGER,                -- when it first became suspect
    last_suspect      INTEGER,                -- the latest pass that found it suspect
    updated           INTEGER NOT NULL,
    PRIMARY KEY (service_id, location_id)
) WITHOUT ROWID;
CREATE INDEX detections_suspect ON detections(suspect, count);

CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    service_id     INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    location_id    INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    owner          TEXT NOT NULL,          -- "@team", or "unowned"
    owner_manual   INTEGER NOT NULL DEFAULT 0, -- reassigned by hand: detection keeps it
    state          TEXT NOT NULL CHECK (state IN
                       ('pending', 'delivered', 'acknowledged', 'snoozed', 'resolved')),
    regression     INTEGER NOT NULL DEFAULT 0, -- re-opened after a resolve
    created        INTEGER NOT NULL,
    updated        INTEGER NOT NULL,
    send_due       INTEGER,                -- a message waits from then on; NULL = none
    send_kind      TEXT,                   -- new, reminder, regression, resolve
    snoozed_until  INTEGER,
    delivered_at   INTEGER,
    reminded_at    INTEGER,
    resolved_at    INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    message        TEXT,                   -- the text last delivered
    UNIQUE (service_id, location_id, owner)
);
CREATE INDEX notifications_send_due ON notifications(send_due) WHERE send_due IS NOT NULL;
CREATE INDEX notifications_state ON notifications(state, updated);

CREATE TABLE notification_events (
    notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    ts              INTEGER NOT NULL,
    event           TEXT NOT NULL,         -- created, delivered, failed, acknowledged, ...
    detail          TEXT,
    PRIMARY KEY (notification_id, seq)
) WITHOUT ROWID;

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    service    TEXT,                       -- NULL = any
    function   TEXT,                       -- site function; NULL = any
    owner      TEXT,                       -- NULL = any
    reason     TEXT NOT NULL,
    created    INTEGER NOT NULL,
    expires    INTEGER NOT NULL
);
CREATE INDEX silences_expires ON silences(expires);
