-- cmpd schema, version 21: the inventory's lists of one CMP or RA Profile
-- (src/api_inventory.c) read only that profile's rows, newest first.
-- Without these, ?cmpProfileUuid= and ?raProfileUuid= walked the whole
-- created_at index and filtered it: a full index scan for a profile with
-- few rows. t/0045-explain.t refuses such plans.
ALTER TABLE certificate ADD KEY IF NOT EXISTS certificate_cmp_profile_created (cmp_profile_uuid, created_at DESC, uuid);
ALTER TABLE certificate ADD KEY IF NOT EXISTS certificate_ra_profile_created (ra_profile_uuid, created_at DESC, uuid);
ALTER TABLE cmp_transaction ADD KEY IF NOT EXISTS cmp_transaction_cmp_profile_created (cmp_profile_uuid, created_at DESC, id DESC);
-- The RA Profile's foreign key now has the index above; the one-column
-- key it had is one more write per certificate and serves nothing else.
-- (The implicit foreign-key indexes on cmp_profile_uuid go by themselves.)
ALTER TABLE certificate DROP KEY IF EXISTS certificate_ra_profile;
