ALTER TABLE sync_runs DROP COLUMN owner_key;
