-- cmpd schema, version 31: what a registration authority began on its
-- authority ends with it. ra_authority holds the RA permissions (enroll
-- 1, raVerified 4) an enrolment's requester relied on: an ir or cr for
-- another subject, a raVerified proof of possession. Its certConf and
-- pollReq need them still; 0 for every transaction before this version
-- and for a requester that asked for itself.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS ra_authority TINYINT UNSIGNED NOT NULL DEFAULT 0;
