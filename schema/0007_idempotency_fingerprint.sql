-- 0007_idempotency_fingerprint.sql - what an Idempotency-Key was first used for.
--
-- request_hash is the fingerprint of the keyed push (ingest.h: ingest_fingerprint, a
-- BLAKE2b-128 of its service, instance, ts, format, version, started and decoded body). A push
-- under a stored (service, key) is a replay only when its fingerprint is the same; any
-- other request under the key is refused (422), so a reused key cannot make the server
-- acknowledge a profile it drops. NULL: no key, or stored before this migration (such a
-- key answers any request under it as before: its first request is not known). Read
-- only through profiles_idempotency, so no index of its own.

ALTER TABLE profiles ADD COLUMN request_hash BLOB;
