-- 0001_init.sql - the core of the store: services, their instances, blocking locations
-- with a representative stack, one profile per push and its per-location samples.
-- Times are unix seconds. Later migrations (0002...) add notifications, suppressions and
-- rollups; they reference services(id), locations(id) and (service_id, location_id).
--
-- Index plan (each index exists for one query or constraint):
--   services.name UNIQUE              upsert by name on every push; ?service= filters
--   instances(service_id, name) UNIQ  upsert on every push; services listing per service
--   locations(function,file,line,op)  the identity of a location: found on every push;
--                                     by (function, file): the other sites of a function
--   stacks PRIMARY KEY                read one location's stack in order
--   profiles_idempotency (partial)    (service, Idempotency-Key) unique: a retry finds the
--                                     first answer; only rows with a key pay for it
--   profiles_service_ts               series: profiles of a service in [from, to]
--   profiles_instance_ts              per-instance series (detection), retention by
--                                     instance, foreign key from profiles to instances
--   samples PRIMARY KEY (profile, location), WITHOUT ROWID
--                                     inventory: the samples of each live instance's
--                                     latest profile are one contiguous range; series:
--                                     the count of one location in one profile
--   (no index on samples(location_id)) on purpose: it would dirty one page per site per
--                                     push (measured: half the writer's CPU, most of its
--                                     WAL bytes); readers reach samples through profiles.
--                                     The price: deleting a location scans samples, so
--                                     retention keeps locations (a small table) in place
--   service_locations PRIMARY KEY     first/last seen per (service, location), upserted
--                                     per push; the services where a location is seen
--   service_locations_location        location detail: services of one location
--   instances_last_push               the live instances: last_push >= now - window

CREATE TABLE services (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    owner      TEXT,                       -- owners.services of the configuration
    first_seen INTEGER NOT NULL
);

CREATE TABLE instances (
    id                INTEGER PRIMARY KEY,
    service_id        INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    first_seen        INTEGER NOT NULL,    -- server clock of the first push
    last_push         INTEGER NOT NULL,    -- server clock of the latest push (liveness)
    profiles          INTEGER NOT NULL DEFAULT 0, -- profiles stored; retention decrements
    latest_profile_id INTEGER,             -- the stored profile with the greatest ts
    latest_ts         INTEGER,
    UNIQUE (service_id, name)
);
CREATE INDEX instances_last_push ON instances(last_push);

CREATE TABLE locations (
    id         INTEGER PRIMARY KEY,
    op         TEXT NOT NULL,              -- runtime wait words: "chan send", "select", ...
    function   TEXT NOT NULL,
    file       TEXT NOT NULL,
    line       INTEGER NOT NULL,
    is_channel INTEGER NOT NULL DEFAULT 0, -- op is a channel operation
    in_repo    INTEGER NOT NULL DEFAULT 0,
    repo_path  TEXT,                       -- repo-relative path, NULL when not derivable
    owner      TEXT,                       -- CODEOWNERS owner, NULL when none
    first_seen INTEGER NOT NULL,           -- profile ts of the first sighting
    UNIQUE (function, file, line, op)
);

-- The representative stack of a location: the frames of the first stack seen there.
CREATE TABLE stacks (
    location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    depth       INTEGER NOT NULL,          -- 0 = innermost frame
    function    TEXT NOT NULL,
    file        TEXT NOT NULL,
    line        INTEGER NOT NULL,
    PRIMARY KEY (location_id, depth)
) WITHOUT ROWID;

CREATE TABLE profiles (
    id              INTEGER PRIMARY KEY,
    service_id      INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    instance_id     INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    ts              INTEGER NOT NULL,      -- profile time (the push's ts, default now)
    received        INTEGER NOT NULL,      -- server clock when it was stored
    format          TEXT NOT NULL,         -- "pprof", "debug1", "debug2"
    goroutines      INTEGER NOT NULL,
    locations       INTEGER NOT NULL,      -- distinct sites stored: the push's answer
    idempotency_key TEXT                   -- NULL = none
);
CREATE UNIQUE INDEX profiles_idempotency ON profiles(service_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX profiles_service_ts ON profiles(service_id, ts);
CREATE INDEX profiles_instance_ts ON profiles(instance_id, ts);

CREATE TABLE samples (
    profile_id  INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    count       INTEGER NOT NULL,
    max_wait    INTEGER,                   -- minutes; NULL where the format has none
    confirmed   INTEGER NOT NULL DEFAULT 0,-- the runtime's goroutine-leak verdict
    PRIMARY KEY (profile_id, location_id)
) WITHOUT ROWID;

CREATE TABLE service_locations (
    service_id  INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    first_seen  INTEGER NOT NULL,          -- profile ts
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (service_id, location_id)
) WITHOUT ROWID;
CREATE INDEX service_locations_location ON service_locations(location_id);
