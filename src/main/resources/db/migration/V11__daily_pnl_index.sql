-- P&L over time (GET /api/pnl/daily) sums the realized amount of every change recorded in a date range: a
-- range scan on the time a change was recorded, over the changes that realized something only.
CREATE INDEX position_history_realized_at_idx ON position_history (recorded_at)
    WHERE realized_pnl_delta IS NOT NULL;
