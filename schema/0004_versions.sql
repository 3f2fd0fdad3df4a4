-- 0004_versions.sql - which version of a service ran: the `version` a push names (its
-- ?version= parameter) and the `version` pprof label of the goroutines at each site.
-- Detection reads them to say in which version a site started to grow.

ALTER TABLE profiles ADD COLUMN version TEXT; -- NULL = not named
ALTER TABLE samples ADD COLUMN version TEXT;  -- NULL = no `version` label at the site

-- Retention rolls up and deletes by time across every service: without this index each
-- pass would scan all profiles and sort them.
CREATE INDEX profiles_ts ON profiles(ts);
