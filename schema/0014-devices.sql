-- cmpd schema, version 14: per-device shared secrets ("pre-registration").
-- A CMP Profile's device entry is selected by the senderKID a device
-- sends (reference, unique per profile); its secret is sealed at rest
-- like the profile's (AAD "cmp_device.secret_enc|uuid"). uses_left is
-- spent with a conditional UPDATE (uses_left > 0), so that two requests
-- on two workers cannot both enrol with a single-use entry.
CREATE TABLE IF NOT EXISTS cmp_device (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  cmp_profile_uuid CHAR(36) NOT NULL,
  reference VARCHAR(128) NOT NULL,
  secret_enc VARBINARY(512) NOT NULL,
  -- exact-match constraints on the enrolled template, NULL: any
  subject VARCHAR(1024) NULL,
  san VARCHAR(1024) NULL,
  not_after DATETIME(6) NULL,
  uses_max INT NOT NULL DEFAULT 1,
  uses_left INT NOT NULL DEFAULT 1,
  failed_macs INT NOT NULL DEFAULT 0,
  locked TINYINT(1) NOT NULL DEFAULT 0,
  last_used_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
    ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY cmp_device_ref (cmp_profile_uuid, reference),
  CONSTRAINT cmp_device_profile FOREIGN KEY (cmp_profile_uuid)
    REFERENCES cmp_profile (uuid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- profileSecretFallback: the profile's own secret authenticates a
-- senderKID that selects no device entry (as before this version).
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS secret_fallback TINYINT(1) NOT NULL
  DEFAULT 1;
