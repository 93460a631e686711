-- cmpd schema, version 2: what enrollment needs.
-- The reference (senderKID) that names a CMP Profile's shared secret; NULL
-- accepts any senderKID with the right MAC.
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS shared_secret_reference VARCHAR(128) NULL AFTER shared_secret_enc;
-- The sweep looks for unconfirmed certificates past their deadline.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS revoke_attempts INT NOT NULL DEFAULT 0;
