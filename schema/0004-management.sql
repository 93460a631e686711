-- cmpd schema, version 4: the management API (issue 5).
-- API keys: only the SHA-256 of the key is kept; the key is shown once.
CREATE TABLE IF NOT EXISTS api_key (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  role ENUM('read','admin') NOT NULL,
  key_hash BINARY(32) NOT NULL,
  -- the first characters of the key, to tell keys apart in listings
  key_prefix VARCHAR(16) NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_used_at DATETIME(6) NULL,
  UNIQUE KEY api_key_name (name),
  UNIQUE KEY api_key_hash (key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- Audit rows are listed newest first, and per object.
ALTER TABLE audit ADD KEY IF NOT EXISTS audit_at (at);
-- A CMP Profile can be deleted (the API's force delete) without losing the
-- history of its transactions: they keep their rows, without the profile.
ALTER TABLE cmp_transaction DROP FOREIGN KEY IF EXISTS cmp_transaction_cmp_profile;
ALTER TABLE cmp_transaction MODIFY cmp_profile_uuid CHAR(36) NULL;
ALTER TABLE cmp_transaction ADD CONSTRAINT cmp_transaction_cmp_profile FOREIGN KEY IF NOT EXISTS (cmp_profile_uuid) REFERENCES cmp_profile (uuid) ON DELETE SET NULL;
