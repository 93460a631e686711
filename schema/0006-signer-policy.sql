-- cmpd schema, version 6: who may sign what.
-- Revocation lists uploaded with a CMP Profile's trust anchors
-- (concatenated DER CRLs): a request signer revoked in one is refused.
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS trust_crls MEDIUMBLOB NULL AFTER trust_anchors;
-- Whose name a signature-protected ir, cr or kur may ask for: 'signer'
-- only the protection certificate's subject (and subjectAltName), 'any'
-- whatever the template says.
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS subject_policy ENUM('signer','any') NOT NULL DEFAULT 'signer';
-- The requester of a transaction, recorded at ir/cr/kur time: certConf
-- must come with the same protection (RFC 9810 5.1.3: the protection
-- authenticates the sender; DESIGN invariant 2). For signatures the
-- SHA-256 of the protection certificate, for MAC the senderKID.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS requester_method ENUM('sharedSecret','signature') NULL;
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS requester_cert_hash BINARY(32) NULL;
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS requester_kid VARBINARY(128) NULL;
