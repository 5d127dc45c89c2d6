-- A run may be scoped to some accounts: the run a fill or a position change of the live connection starts covers
-- just the accounts it concerns (trigger EVENT, as is the full catch-up run after the live connection came back),
-- and a manual trigger may name accounts. NULL: a run of every managed account.
ALTER TABLE sync_runs
    DROP CONSTRAINT sync_runs_trigger_check,
    ADD CONSTRAINT sync_runs_trigger_check CHECK (trigger IN ('TIMER', 'MANUAL', 'STARTUP', 'EVENT')),
    ADD COLUMN accounts text[];
