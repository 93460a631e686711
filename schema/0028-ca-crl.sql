-- cmpd schema, version 28: the last CRL each CA gave through its
-- connector, kept until its nextUpdate where every worker of every node
-- finds it. A worker keeps it in memory through failed fetches; one that
-- starts while the CA cannot be reached (a reload, a worker replaced
-- after max_requests, another node) takes it from here, rather than
-- checking signers without the CA's revocations or refusing them all.
-- crl_key: SHA-256 of the RA Profile, connector, authority instance and
-- connector URL the CRL was fetched for. A row only moves to a CRL with
-- a later thisUpdate. cmpd of the version before neither reads nor
-- writes it.
CREATE TABLE IF NOT EXISTS ca_crl (
  crl_key BINARY(32) NOT NULL,
  this_update DATETIME NOT NULL,
  next_update DATETIME NULL,
  crl MEDIUMBLOB NOT NULL,
  PRIMARY KEY (crl_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
