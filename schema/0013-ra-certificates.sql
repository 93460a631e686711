-- cmpd schema, version 13: registration authorities of a CMP Profile.
-- A request signed by one of these certificates, or by a certificate
-- whose validated chain holds one (a CA entry), comes from an RA
-- (RFC 9483 5.2): it may be a nested message, and it may act on behalf
-- of others as its permissions say: enroll (ir/cr/p10cr for any subject),
-- revoke (rr of any certificate of the RA Profile), ra_verified (the
-- raVerified proof of possession, RFC 4211 4).
CREATE TABLE IF NOT EXISTS ra_certificate (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  cmp_profile_uuid CHAR(36) NOT NULL,
  certificate MEDIUMBLOB NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  subject_dn VARCHAR(2048) NOT NULL,
  perm_enroll TINYINT(1) NOT NULL DEFAULT 0,
  perm_revoke TINYINT(1) NOT NULL DEFAULT 0,
  perm_ra_verified TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY ra_certificate_fp (cmp_profile_uuid, fingerprint),
  CONSTRAINT ra_certificate_profile FOREIGN KEY (cmp_profile_uuid)
    REFERENCES cmp_profile (uuid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
