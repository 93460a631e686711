-- cmpd schema, version 32: the CRL number (RFC 5280 5.2.3) and the
-- issuer (SHA-256 of its DER name) of the CRL each CA gave last. A row
-- moves to a CRL of another issuer (another CA behind the connector now),
-- or with a later thisUpdate, or with the same thisUpdate and a higher CRL
-- number: a CA that revokes and issues its next CRL within the second.
-- NULL for a CRL without a number (or one that is negative or over 20
-- octets), and both for every row before this version: those move by
-- thisUpdate only, as before, until the next CRL stored.
ALTER TABLE ca_crl ADD COLUMN IF NOT EXISTS crl_number DECIMAL(49,0) NULL;
ALTER TABLE ca_crl ADD COLUMN IF NOT EXISTS issuer_sha256 BINARY(32) NULL;
