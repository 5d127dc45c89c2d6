-- When a sync run last confirmed the row, and the realized P&L the service computed for it.
ALTER TABLE positions
    ADD COLUMN last_synced_at      timestamptz,
    ADD COLUMN realized_pnl        numeric,
    ADD COLUMN realized_pnl_source text,
    ADD CONSTRAINT positions_realized_pnl_source_check
        CHECK (realized_pnl_source IN ('EXECUTIONS', 'MARKET_PRICE'));

-- "Not synced in the last N minutes" is a range scan on this column.
CREATE INDEX positions_last_synced_at_idx ON positions (last_synced_at);
