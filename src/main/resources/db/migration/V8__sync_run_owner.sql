-- Which process runs a sync run: the key of the session-level advisory lock that process holds for its
-- whole life (pg_advisory_lock(owner lock class, owner_key)). Start-up may mark a RUNNING run FAILED only
-- when no session holds that lock any more, i.e. its owner is gone. NULL: written before owners existed.
ALTER TABLE sync_runs ADD COLUMN owner_key integer;
