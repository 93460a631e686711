-- cmpd schema, version 26: a transaction's row is keyed by (created_at,
-- transaction_id, position), not by an AUTO_INCREMENT id. The same schema
-- runs on a Galera cluster, where auto-increment values are handed out
-- per node in offsets; no identifier of cmpd's depends on that. The key is
-- unique because (transaction_id, position) is (cmp_transaction_tid_pos,
-- which every statement on one row still uses), and begins with the time,
-- so new rows land at the end of the table, not on a random page of it
-- (transaction ids are random). created_at is written once, by INSERT.
-- The list of GET /cmpTransactions, newest first, reads this key
-- backwards; the created_at index that served it goes. One ALTER: it
-- rebuilds the table once and is applied whole or not at all (and run
-- twice, ends the same). cmpd of the version before, still running while
-- this runs, inserts as before (it never named id); only its transaction
-- list fails until restarted.
ALTER TABLE cmp_transaction
  DROP KEY IF EXISTS cmp_transaction_created,
  DROP KEY IF EXISTS cmp_transaction_cmp_profile_created,
  DROP COLUMN IF EXISTS id,
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (created_at, transaction_id, position),
  ADD KEY cmp_transaction_cmp_profile_created (cmp_profile_uuid, created_at DESC, transaction_id DESC, position DESC);
