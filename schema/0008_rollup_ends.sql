-- 0008_rollup_ends.sql - rolled-up hours follow the series' rule: the fleet's value at a
-- time is the sum, over instances, of each instance's latest count at or before it and
-- within detect.live_window (the inventory's rule). Retention records that value at the
-- end of every rolled-up hour, and which services had live instances then, so a
-- location's long series reads one value per hour, 0 where live instances lacked it.
--
-- Index plan:
--   rollup_live PRIMARY KEY (service, hour)  a series: the hours of the location's services
--   rollup_live_hour                          dropping hours past the rollup retention

ALTER TABLE rollups ADD COLUMN end_count INTEGER; -- the value at the hour's end

CREATE TABLE rollup_live (
    service_id  INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,          -- unix seconds at the start of the hour
    instances   INTEGER,                   -- live at the hour's end; NULL: rolled before 0008
    PRIMARY KEY (service_id, hour)
) WITHOUT ROWID;
CREATE INDEX rollup_live_hour ON rollup_live(hour);

-- Hours rolled up before this migration kept no end value: their mean stands in for it,
-- and a service counts as live in each hour it has a rollup of.
UPDATE rollups SET end_count = CAST(round(mean_count) AS INTEGER);
INSERT INTO rollup_live (service_id, hour) SELECT DISTINCT service_id, hour FROM rollups;
