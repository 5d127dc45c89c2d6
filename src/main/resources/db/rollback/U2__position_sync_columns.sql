DROP INDEX positions_last_synced_at_idx;
ALTER TABLE positions
    DROP CONSTRAINT positions_realized_pnl_source_check,
    DROP COLUMN realized_pnl_source,
    DROP COLUMN realized_pnl,
    DROP COLUMN last_synced_at;
