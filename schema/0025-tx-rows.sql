-- cmpd schema, version 25: how many rows a transaction has, written with
-- each of them when it opens (one per certificate asked for). The
-- certConf of a transaction of one certificate is settled by an UPDATE of
-- its one row alone: MariaDB runs an UPDATE whose WHERE reads its own
-- table (no other row in the transaction) through a temporary table, at
-- several times the cost. NULL in rows written before, which a certConf
-- settles after reading them.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS tx_rows SMALLINT UNSIGNED NULL;
