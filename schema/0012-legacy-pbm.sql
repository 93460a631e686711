-- cmpd schema, version 12: PBM with SHA-1 as owf.
-- RFC 9481 4.1.1 lists SHA-2 only for PBM's owf; a CMP Profile accepts
-- SHA-1 there only when legacy_pbm is set (off for new and existing
-- profiles: cmpd refused SHA-1 as owf before this column existed).
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS legacy_pbm TINYINT(1) NOT NULL DEFAULT 0;
