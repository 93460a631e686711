-- cmpd schema, version 30: a device entry's lock may end by itself.
-- locked_until is when a lock taken after device_mac_failures_max wrong
-- MACs ends (device_lock_time seconds after it was taken); NULL: it lasts
-- until an operator unlocks the entry (device_lock_time 0, and every lock
-- taken before this version).
ALTER TABLE cmp_device ADD COLUMN IF NOT EXISTS locked_until DATETIME(6) NULL;
