-- cmpd schema, version 8: the inventory's subject search uses an index.
-- GET /certificates?subject= matches subject DNs that start with the given
-- text (LIKE 'text%'), which a prefix index serves. InnoDB keys are at most
-- 3072 bytes: 768 utf8mb4 characters of the 2048 the column holds; longer
-- subjects are still found, the index narrows them by their first 768.
ALTER TABLE certificate ADD KEY IF NOT EXISTS certificate_subject (subject_dn(768));
