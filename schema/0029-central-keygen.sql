-- cmpd schema, version 29: central key generation (RFC 9483 4.1.6).
-- A CMP Profile generates the key of a request that carries none only
-- when central_key_generation is set (off for new and existing profiles:
-- the server then sees the private keys it hands out).
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS central_key_generation TINYINT(1) NOT NULL DEFAULT 0;
