-- cmpd schema, version 7: connector credentials never travel over plain
-- http:// unless an administrator marked the connector insecure on purpose.
-- Existing connectors start secure: one with basic or apiKey credentials
-- behind an http:// URL is refused until it moves to https:// or is marked.
ALTER TABLE connector ADD COLUMN IF NOT EXISTS insecure TINYINT(1) NOT NULL DEFAULT 0;
