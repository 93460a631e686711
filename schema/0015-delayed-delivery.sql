-- cmpd schema, version 15: delayed delivery (RFC 9810 5.3.22, RFC 9483 4.4).
-- A certificate the CA has not decided on yet (its connector answered
-- pending, or did not answer within the CMP Profile's synchronous budget)
-- leaves its row in state 'waiting': the client was answered "waiting" and
-- polls (pollReq); last_sender_nonce is the nonce its pollReq must echo,
-- request_id the id the CA is asked about. next_check is when the client
-- was told to ask again (checkAfter), poll_count how often it asked.
-- deadline is when a client that stopped polling is given up on: the
-- sweep then asks the CA and revokes what it issued.
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS poll_count INT NOT NULL DEFAULT 0;
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS next_check DATETIME(6) NULL;
-- The CMP Profile's synchronous budget: seconds a worker waits on the
-- connector before the request turns into delayed delivery; NULL: 5.
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS sync_budget SMALLINT UNSIGNED NULL;
