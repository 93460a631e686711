-- cmpd schema, version 32: the CRL number (RFC 5280 5.2.3) of the CRL
-- each CA gave last. A row moves to a CRL with a later thisUpdate, or
-- with the same thisUpdate and a higher CRL number: a CA that revokes and
-- issues its next CRL within the second. NULL for a CRL without one (or
-- one that is negative or over 20 octets), and for every row before this
-- version: those move by thisUpdate only, as before.
ALTER TABLE ca_crl ADD COLUMN IF NOT EXISTS crl_number DECIMAL(49,0) NULL;
