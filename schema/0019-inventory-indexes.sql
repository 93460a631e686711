-- cmpd schema, version 19: indexes for the inventory's certificate list
-- (src/api_inventory.c), which t/0045-explain.t asserts.
-- GET /certificates pages in ORDER BY created_at DESC, uuid: without an
-- index every page sorted the whole table (a descending key part, MariaDB
-- 10.8 and later, serves the mixed order).
ALTER TABLE certificate ADD KEY IF NOT EXISTS certificate_created (created_at DESC, uuid);
-- ?serialNumber= names no issuer: certificate_issuer_serial leads with
-- the issuer's hash and cannot serve it.
ALTER TABLE certificate ADD KEY IF NOT EXISTS certificate_serial (serial_number);
