-- cmpd schema, version 34: GET /auditLogs?actor= reads one actor's rows,
-- newest first, through this index; without it every audit row was read
-- (an actor that wrote none read the whole table, which only grows).
ALTER TABLE audit ADD KEY IF NOT EXISTS audit_actor_at (actor, at);
