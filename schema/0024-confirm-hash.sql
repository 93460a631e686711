-- cmpd schema, version 24: the certHash that a certConf without hashAlg
-- carries for the row's certificate (RFC 9810 5.3.18: the hash of the
-- certificate's signature algorithm), written with the certificate.
-- A certConf for a transaction of one certificate is then checked and
-- settled by one UPDATE; NULL in rows written before, which a certConf
-- settles after reading the row and hashing its certificate.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS cert_hash VARBINARY(64) NULL;
