-- Two kinds of break more:
--   EXECUTION_CONFLICT: an execId already applied is reported again with other content (price, side, shares or
--     time) and no correction (.nn) says so; the fill stays applied as it was, never applied a second time.
--     exec_id names it, so the same conflict is raised once and resolved when the broker reports it as applied.
--   BOT_ROW_MISSING: in an adopted database set never to add rows to the bot's table (or whose link lost its
--     row while adding is off), an open position the bot has no row for.
ALTER TABLE reconciliation_breaks
    ADD COLUMN exec_id text,
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING',
        'BOT_ROW_UNMATCHED', 'EXECUTION_CONFLICT', 'BOT_ROW_MISSING')),
    ADD CONSTRAINT reconciliation_breaks_exec_id_check CHECK ((kind = 'EXECUTION_CONFLICT') = (exec_id IS NOT NULL));

-- Every run looks up the open conflicts of the execIds it is reported.
CREATE INDEX reconciliation_breaks_open_exec_id_idx ON reconciliation_breaks (exec_id)
    WHERE resolved_at IS NULL AND exec_id IS NOT NULL;
