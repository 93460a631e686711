-- cmpd schema, version 10: several certificates in one transaction.
-- An ir, cr or kur may carry several CertReqMsgs (RFC 9810 5.3.1); each
-- one cmpd asks the CA for gets its own row, in the order of the message
-- (position 0, 1, ...), with its own certReqId, request id, certificate
-- and state. All rows of a message are inserted in one database
-- transaction; every message that opens a transaction has a row at
-- position 0, so a transactionID reused by another message still collides
-- (transactionIdInUse).
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS position SMALLINT UNSIGNED NOT NULL DEFAULT 0 AFTER transaction_id;
ALTER TABLE cmp_transaction ADD UNIQUE KEY IF NOT EXISTS cmp_transaction_tid_pos (transaction_id, position);
ALTER TABLE cmp_transaction DROP KEY IF EXISTS cmp_transaction_tid;
-- At most this many CertReqMsgs in one ir/cr/kur; NULL: the variant's
-- default (1 for 3GPP, TS 33.310 9.5; 10 otherwise).
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS cert_req_max SMALLINT UNSIGNED NULL;
