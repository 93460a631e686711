-- cmpd schema, version 23: the public key a certificate was asked for,
-- as the request sent it (its SubjectPublicKeyInfo DER), beside its
-- SHA-256 (request_spki_sha256). A CA may encode the same key otherwise
-- (an EC point compressed, RSA's NULL parameters left out): when the
-- hashes differ, delayed delivery and the sweep decode both keys and
-- compare them, as a direct answer does with the request at hand.
-- NULL in rows written before.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS request_spki VARBINARY(4096) NULL;
