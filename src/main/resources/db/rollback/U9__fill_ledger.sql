ALTER TABLE sync_runs
    DROP COLUMN fills_estimated,
    DROP COLUMN fills_deferred,
    DROP COLUMN fills_applied;

DROP TABLE exchange_rates;

-- Version 8 keeps one history row per position and run, and knows no ADJUSTED rows: keep the last change.
DELETE FROM position_history WHERE change_kind = 'ADJUSTED';
DELETE FROM position_history h
USING position_history later
WHERE later.position_id = h.position_id AND later.run_id = h.run_id
  AND (later.recorded_at, later.change_kind) > (h.recorded_at, h.change_kind);

ALTER TABLE position_history
    DROP COLUMN realized_pnl_before,
    DROP CONSTRAINT position_history_change_kind_check,
    ADD CONSTRAINT position_history_change_kind_check
        CHECK (change_kind IN ('OPENED', 'UNCHANGED', 'INCREASED', 'REDUCED', 'CLOSED')),
    DROP CONSTRAINT position_history_pkey,
    ADD CONSTRAINT position_history_pkey PRIMARY KEY (position_id, run_id);

DROP TABLE ledger_entries;

DROP INDEX executions_seen_idx;
ALTER TABLE executions
    DROP CONSTRAINT executions_state_check,
    DROP COLUMN multiplier,
    DROP COLUMN currency,
    DROP COLUMN state;

DROP TABLE accounts;
