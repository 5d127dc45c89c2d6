-- Version 15 knows no event runs and no scoped runs: an event run is kept as a manual one (it did not come from the
-- timer), its scope is dropped.
UPDATE sync_runs SET trigger = 'MANUAL' WHERE trigger = 'EVENT';
ALTER TABLE sync_runs
    DROP COLUMN accounts,
    DROP CONSTRAINT sync_runs_trigger_check,
    ADD CONSTRAINT sync_runs_trigger_check CHECK (trigger IN ('TIMER', 'MANUAL', 'STARTUP'));
