-- cmpd schema, version 17: leases instead of named locks.
-- GET_LOCK is local to one server: on a Galera cluster two nodes would
-- both grant it (MariaDB Galera known limitations). A lease is a row:
-- taken by a conditional UPDATE (the row is free, or its time is over),
-- which Galera certifies like any write, so of two nodes that take it at
-- once one fails (a deadlock error) and sees it held when it asks again.
-- until: when a holder that died is given up on. cmpd --migrate creates
-- this table itself before it applies any file (its 'migrate' lease
-- guards schema_version); the definition must stay the same.
CREATE TABLE IF NOT EXISTS cmpd_lease (
  name VARCHAR(32) NOT NULL PRIMARY KEY,
  holder VARCHAR(128) NOT NULL DEFAULT '',
  until DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- The sweep (src/cmp_sweep.c): one sweeper at a time, on any host.
INSERT IGNORE INTO cmpd_lease (name) VALUES ('sweep');
