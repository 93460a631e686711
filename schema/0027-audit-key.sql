-- cmpd schema, version 27: an audit row is keyed by a time-ordered UUID
-- (version 7, RFC 9562 5.7) that cmpd makes, not by an AUTO_INCREMENT id
-- (see version 26). Rows written before get one made from their time
-- and their place in time order: the time in milliseconds, then a count
-- where the random bits go (unique: not the old id, which a second run,
-- after the id is gone, could not name). DML replicates as rows on a
-- cluster, so every node has the same. GET /auditLogs orders by (at,
-- uuid), through audit_at (at), which holds the key after it. cmpd of the
-- version before, still running while this runs, names no uuid and so
-- writes no audit row: it refuses changes through the API (each undone
-- whole) until restarted; CMP goes on as before.
ALTER TABLE audit ADD COLUMN IF NOT EXISTS uuid CHAR(36) NULL FIRST;
SET @audit_n = 0;
UPDATE audit SET uuid = LOWER(CONCAT(
  SUBSTR(LPAD(HEX(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', at) DIV 1000), 12, '0'), 1, 8), '-',
  SUBSTR(LPAD(HEX(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', at) DIV 1000), 12, '0'), 9, 4), '-7',
  SUBSTR(LPAD(HEX(@audit_n := @audit_n + 1), 18, '0'), 1, 3), '-8',
  SUBSTR(LPAD(HEX(@audit_n), 18, '0'), 4, 3), '-',
  SUBSTR(LPAD(HEX(@audit_n), 18, '0'), 7, 12))) WHERE uuid IS NULL ORDER BY at;
ALTER TABLE audit
  MODIFY uuid CHAR(36) NOT NULL,
  DROP COLUMN IF EXISTS id,
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (uuid);
