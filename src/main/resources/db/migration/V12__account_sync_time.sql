-- A steady resync writes no position rows. The sync time of an open position is its account's: every complete
-- snapshot that lists an account confirms all of that account's open positions (each is reconciled), so the run
-- records the time once per account (accounts.last_reported_at, with last_reported_run_id) instead of rewriting
-- every open row. positions.last_synced_at keeps its column and index but now says when a sync last wrote the
-- row's lifecycle (opened, changed, closed); the time reported for a position (API, CSV, stale filter, summary,
-- an adopted bot's table) is greatest(positions.last_synced_at, accounts.last_reported_at) for an open row and
-- the row's own time for a closed one. A position of an account the last snapshot did not list keeps the time
-- it had.
COMMENT ON COLUMN positions.last_synced_at IS
    'When a sync run last wrote this lifecycle. Reported sync time: greatest(this, accounts.last_reported_at) while open.';
COMMENT ON COLUMN accounts.last_reported_at IS
    'When the last complete snapshot listing the account was committed: the sync time of its open positions.';

-- Market values move while the lifecycle does not: such an update changes no indexed column, and with free room
-- on the row's page PostgreSQL keeps it there (a HOT update: no new index entries, no index bloat). Pages
-- written from now on keep 10 % free.
ALTER TABLE positions SET (fillfactor = 90);
