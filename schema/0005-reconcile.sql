-- cmpd schema, version 5: nothing the CA issued is lost (DESIGN invariant 1).
-- Before a connector issue/renew call the transaction records what it asks
-- ('issuing'): a fresh request id that goes with the call and that the CA
-- can be asked about, the SHA-256 of the request's public key (SPKI DER)
-- and the time of the call. The sweep asks the CA about transactions left
-- in 'issuing' and records what it issued; a transaction it cannot settle
-- because the connector has no lookup becomes 'unknown_at_ca'.
ALTER TABLE cmp_transaction MODIFY state ENUM('open','waiting','confirm_wait','confirmed','rejected','failed','expired','issuing','unknown_at_ca') NOT NULL DEFAULT 'open';
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS request_id CHAR(36) NULL;
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS request_spki_sha256 BINARY(32) NULL;
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS issuing_at DATETIME(6) NULL;
-- lookups at the CA that failed: retried with back-off, then given up
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS lookup_attempts INT NOT NULL DEFAULT 0;
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS lookup_after DATETIME(6) NULL;
ALTER TABLE cmp_transaction ADD UNIQUE KEY IF NOT EXISTS cmp_transaction_request_id (request_id);
ALTER TABLE cmp_transaction ADD KEY IF NOT EXISTS cmp_transaction_issuing (state, issuing_at);
-- the last failed revocation attempt, for operators (management API)
ALTER TABLE certificate ADD COLUMN IF NOT EXISTS revoke_error VARCHAR(512) NULL;
