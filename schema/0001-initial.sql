-- cmpd schema, version 1 (DESIGN "Data model").
-- Applied by `cmpd --migrate`; one statement per ';' at the end of a line.
-- UUID strings are the keys; names are unique; secrets are stored
-- encrypted by cmpd (columns *_enc), never in clear text.

CREATE TABLE IF NOT EXISTS connector (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  url VARCHAR(1024) NOT NULL,
  auth_type ENUM('none','basic','certificate','apiKey') NOT NULL DEFAULT 'none',
  auth_data_enc VARBINARY(16384) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY connector_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS authority (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  connector_uuid CHAR(36) NOT NULL,
  authority_instance_uuid CHAR(36) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY authority_name (name),
  CONSTRAINT authority_connector FOREIGN KEY (connector_uuid) REFERENCES connector (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ra_profile (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(1024) NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 0,
  authority_uuid CHAR(36) NULL,
  attributes LONGTEXT NULL CHECK (attributes IS NULL OR JSON_VALID(attributes)),
  -- CMP enabled on this RA Profile with this CMP Profile (RA-profile route)
  cmp_profile_uuid CHAR(36) NULL,
  cmp_issue_attributes LONGTEXT NULL CHECK (cmp_issue_attributes IS NULL OR JSON_VALID(cmp_issue_attributes)),
  cmp_revoke_attributes LONGTEXT NULL CHECK (cmp_revoke_attributes IS NULL OR JSON_VALID(cmp_revoke_attributes)),
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY ra_profile_name (name),
  CONSTRAINT ra_profile_authority FOREIGN KEY (authority_uuid) REFERENCES authority (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cmp_profile (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(1024) NULL,
  -- the reference creates profiles disabled
  enabled TINYINT(1) NOT NULL DEFAULT 0,
  variant ENUM('v2','v2_3gpp','v3') NOT NULL DEFAULT 'v2',
  request_protection ENUM('sharedSecret','signature') NOT NULL,
  response_protection ENUM('sharedSecret','signature') NOT NULL,
  shared_secret_enc VARBINARY(1024) NULL,
  -- response signing credentials: key encrypted, certificate and chain DER
  signing_key_enc VARBINARY(16384) NULL,
  signing_certificate MEDIUMBLOB NULL,
  signing_chain MEDIUMBLOB NULL,
  -- trust anchors for signature-protected requests (concatenated DER)
  trust_anchors MEDIUMBLOB NULL,
  default_ra_profile_uuid CHAR(36) NULL,
  issue_attributes LONGTEXT NULL CHECK (issue_attributes IS NULL OR JSON_VALID(issue_attributes)),
  revoke_attributes LONGTEXT NULL CHECK (revoke_attributes IS NULL OR JSON_VALID(revoke_attributes)),
  -- policy knobs
  implicit_confirm_allowed TINYINT(1) NOT NULL DEFAULT 1,
  confirm_wait_time INT NOT NULL DEFAULT 300,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY cmp_profile_name (name),
  CONSTRAINT cmp_profile_default_ra FOREIGN KEY (default_ra_profile_uuid) REFERENCES ra_profile (uuid) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE ra_profile ADD CONSTRAINT ra_profile_cmp_profile FOREIGN KEY IF NOT EXISTS (cmp_profile_uuid) REFERENCES cmp_profile (uuid);

CREATE TABLE IF NOT EXISTS certificate (
  uuid CHAR(36) NOT NULL PRIMARY KEY,
  serial_number VARCHAR(64) NOT NULL,
  issuer_dn VARCHAR(2048) NOT NULL,
  subject_dn VARCHAR(2048) NOT NULL,
  -- SHA-256 of the issuer's DER name: (issuer, serial) identifies a certificate
  issuer_hash BINARY(32) NOT NULL,
  not_before DATETIME NOT NULL,
  not_after DATETIME NOT NULL,
  fingerprint BINARY(32) NOT NULL,
  der MEDIUMBLOB NOT NULL,
  status ENUM('pending','issued','rejected','revoked') NOT NULL DEFAULT 'pending',
  revocation_reason VARCHAR(32) NULL,
  ra_profile_uuid CHAR(36) NULL,
  cmp_profile_uuid CHAR(36) NULL,
  connector_certificate_uuid VARCHAR(64) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY certificate_fingerprint (fingerprint),
  UNIQUE KEY certificate_issuer_serial (issuer_hash, serial_number),
  KEY certificate_ra_profile (ra_profile_uuid),
  CONSTRAINT certificate_ra_profile FOREIGN KEY (ra_profile_uuid) REFERENCES ra_profile (uuid) ON DELETE SET NULL,
  CONSTRAINT certificate_cmp_profile FOREIGN KEY (cmp_profile_uuid) REFERENCES cmp_profile (uuid) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS cmp_transaction (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- RFC 9810 5.1.1: 128 bits or more, capped at 64 bytes by cmpd
  transaction_id VARBINARY(64) NOT NULL,
  cmp_profile_uuid CHAR(36) NOT NULL,
  ra_profile_uuid CHAR(36) NULL,
  request_type TINYINT UNSIGNED NOT NULL,
  cert_req_id BIGINT NULL,
  request_digest BINARY(32) NULL,
  certificate_uuid CHAR(36) NULL,
  -- the senderNonce of our last answer: certConf/pollReq must echo it
  last_sender_nonce VARBINARY(64) NULL,
  state ENUM('open','waiting','confirm_wait','confirmed','rejected','failed','expired') NOT NULL DEFAULT 'open',
  implicit_confirm TINYINT(1) NOT NULL DEFAULT 0,
  deadline DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY cmp_transaction_tid (transaction_id),
  KEY cmp_transaction_deadline (state, deadline),
  CONSTRAINT cmp_transaction_cmp_profile FOREIGN KEY (cmp_profile_uuid) REFERENCES cmp_profile (uuid),
  CONSTRAINT cmp_transaction_certificate FOREIGN KEY (certificate_uuid) REFERENCES certificate (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS audit (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  actor VARCHAR(255) NOT NULL,
  action VARCHAR(64) NOT NULL,
  object_type VARCHAR(64) NOT NULL,
  object_uuid CHAR(36) NULL,
  detail LONGTEXT NULL CHECK (detail IS NULL OR JSON_VALID(detail)),
  KEY audit_object (object_type, object_uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
