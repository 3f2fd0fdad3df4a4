-- 0003_rollups.sql - long history after raw samples expire: per (service, location) and
-- hour, the sum over instances of each instance's hourly max and mean count. Raw
-- profiles and samples older than the raw retention are deleted once their hours are
-- rolled up; retention_state remembers how far that has gone.
--
-- Index plan:
--   rollups PRIMARY KEY (location, service, hour)  a location's long series in order
--   rollups_hour                                   dropping rollups past their retention

CREATE TABLE rollups (
    service_id  INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,          -- unix seconds at the start of the hour
    max_count   INTEGER NOT NULL,          -- sum over instances of the hour's max
    mean_count  REAL NOT NULL,             -- sum over instances of the hour's mean
    samples     INTEGER NOT NULL,          -- raw samples folded in
    PRIMARY KEY (location_id, service_id, hour)
) WITHOUT ROWID;
CREATE INDEX rollups_hour ON rollups(hour);

CREATE TABLE retention_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    rolled_until  INTEGER NOT NULL         -- every hour before this is in rollups
);
INSERT INTO retention_state (id, rolled_until) VALUES (1, 0);
