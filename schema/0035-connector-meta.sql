-- cmpd schema, version 35: what the connector answered as "meta" with an
-- issued certificate (a JSON array of metadata attributes), sent back
-- with the certificate's renewal as CZERTAINLY Core does: the EJBCA NG
-- connector finds the certificate's end entity by it.
ALTER TABLE certificate ADD COLUMN IF NOT EXISTS connector_meta TEXT NULL;
