-- cmpd schema, version 33: which shared secret verified a MAC-protected
-- transaction's first message. A follow-up (certConf, error, pollReq)
-- must come under the same senderKID and verify with the same secret: the
-- device entry's (its uuid here) or the CMP Profile's (''). A device
-- entry deleted, or made anew under the same reference, continues nothing
-- its predecessor began, and neither does the profile's secret under a
-- reference that became an entry's. NULL for signed transactions, and for
-- those begun before this version (or by a cmpd before it, beside this
-- one in a rolling upgrade): those follow by senderKID alone, as before.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS requester_device CHAR(36) NULL;
