-- cmpd schema, version 20: GET /cmpTransactions (src/api_inventory.c)
-- pages newest first in ORDER BY created_at DESC, id DESC. The id alone
-- is no time order on a Galera cluster, where each node hands out its own
-- auto-increment values; created_at is, and id makes the order unique.
-- t/0045-explain.t asserts that this index serves the list.
ALTER TABLE cmp_transaction ADD KEY IF NOT EXISTS cmp_transaction_created (created_at DESC, id DESC);
