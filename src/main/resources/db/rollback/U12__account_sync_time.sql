ALTER TABLE positions RESET (fillfactor);
COMMENT ON COLUMN accounts.last_reported_at IS NULL;
COMMENT ON COLUMN positions.last_synced_at IS NULL;
