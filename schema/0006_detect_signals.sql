-- 0006_detect_signals.sql - what detection reads beside the counts, and what it says.
--
-- profiles.started: the process start the push named (?started=, unix seconds): a new
--   start is a restart, whatever the counts do. NULL = not named (the total-drop rule).
-- profiles.busy: goroutines of the profile that were running, runnable, in IO wait or in
--   a syscall: the instance's load, which detection takes out of a site's count.
-- detections.reason: why a site is not suspect ("below threshold", "plateau since ...").
-- detections.instances: the leaking instances, a JSON array of names.
-- detections.culprit_*: the first in-repo frame of a site outside the repo, and its owner.

ALTER TABLE profiles ADD COLUMN started INTEGER;
ALTER TABLE profiles ADD COLUMN busy INTEGER;
ALTER TABLE detections ADD COLUMN reason TEXT;
ALTER TABLE detections ADD COLUMN instances TEXT;
ALTER TABLE detections ADD COLUMN culprit_function TEXT;
ALTER TABLE detections ADD COLUMN culprit_file TEXT;
ALTER TABLE detections ADD COLUMN culprit_line INTEGER;
ALTER TABLE detections ADD COLUMN culprit_owner TEXT;
