-- P&L over time (GET /api/pnl/daily) is read from the current fill ledger: the lifecycles with an entry in a date
-- range are found by a range scan on the entries' times (a fill's execution time).
CREATE INDEX ledger_entries_entry_time_idx ON ledger_entries (entry_time);
