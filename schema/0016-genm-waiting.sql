-- cmpd schema, version 16: delayed delivery of a genm (RFC 9483 4.4). A
-- genm whose connector call ran past the CMP Profile's syncBudget was
-- answered with an error message of status waiting; its row (certReqId
-- -1, state 'waiting') keeps the InfoTypeAndValue asked for, DER, so that
-- the client's pollReq asks the CA again for the same thing.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS genm_itav BLOB NULL;
