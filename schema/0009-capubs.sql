-- cmpd schema, version 9: which ip carries caPubs.
-- caPubs hands the client trust anchors (RFC 9810 5.3.2): only the
-- root(s) of the issuing chain, and only where the CMP Profile allows the
-- client to take its trust from the answer (RFC 9483 4.1.1).
-- 'sharedSecret': only to a MAC-protected ir (the secret authenticates
-- the root; for the v2_3gpp variant the vendor certificate does,
-- TS 33.310 9.5), 'always': to every ir, 'never': to none.
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS ca_pubs ENUM('sharedSecret','always','never')
    NOT NULL DEFAULT 'sharedSecret';
