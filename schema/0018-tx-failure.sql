-- cmpd schema, version 18: why a transaction failed.
-- The text its client was given (the CA's refusal, "the CA issued
-- nothing", ...), or what the sweep found, for operators:
-- GET /api/v1/cmpTransactions shows it as "failure" (doc/api.md).
ALTER TABLE cmp_transaction ADD COLUMN IF NOT EXISTS failure VARCHAR(512) NULL;
