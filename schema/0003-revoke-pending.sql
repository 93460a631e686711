-- cmpd schema, version 3: revocations that must happen, retried until they
-- do. A certificate the client rejected, or never confirmed in time, or
-- that could not be recorded after issuance, waits in 'revoke_pending'
-- until the sweep has revoked it at its CA; it then takes revoke_final.
ALTER TABLE certificate MODIFY status ENUM('pending','issued','rejected','revoked','revoke_pending') NOT NULL DEFAULT 'pending';
ALTER TABLE certificate ADD COLUMN IF NOT EXISTS revoke_final ENUM('rejected','revoked') NULL;
ALTER TABLE certificate ADD COLUMN IF NOT EXISTS revoke_after DATETIME(6) NULL;
ALTER TABLE certificate ADD COLUMN IF NOT EXISTS revoke_attempts INT NOT NULL DEFAULT 0;
ALTER TABLE certificate ADD KEY IF NOT EXISTS certificate_revoke_pending (status, revoke_after);
