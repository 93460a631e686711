-- cmpd schema, version 22: no unique key on certificate.fingerprint.
-- The fingerprint is the SHA-256 of the certificate's DER: two rows with
-- the same DER have the same issuer and serial number, which
-- certificate_issuer_serial already keeps unique (RFC 5280 4.1.2.2), and
-- no query looks a certificate up by its fingerprint. The key's values
-- are random, so every INSERT read and wrote a page of its own in it:
-- with 10^6 certificates one read more from disk per enrolment.
ALTER TABLE certificate DROP KEY IF EXISTS certificate_fingerprint;
