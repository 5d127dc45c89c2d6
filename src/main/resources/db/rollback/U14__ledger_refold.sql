-- Version 13 knows no split, no dissolved lifecycle and no per-subject break: a database that holds any of them
-- cannot go back without losing what they say, so the rollback refuses and changes nothing.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_entries WHERE kind = 'SPLIT') THEN
        RAISE EXCEPTION 'ledger_entries holds SPLIT entries, which version 13 cannot fold: rollback refused';
    END IF;
    IF EXISTS (SELECT 1 FROM positions WHERE status = 'VOID') THEN
        RAISE EXCEPTION 'positions holds VOID lifecycles, which version 13 cannot represent: rollback refused';
    END IF;
END $$;
DELETE FROM reconciliation_breaks WHERE kind = 'DAILY_REALIZED_PNL_MISMATCH';
ALTER TABLE reconciliation_breaks
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING',
        'BOT_ROW_UNMATCHED', 'EXECUTION_CONFLICT', 'BOT_ROW_MISSING')),
    DROP COLUMN subject;
DELETE FROM position_history WHERE change_kind IN ('SPLIT', 'VOIDED');
ALTER TABLE position_history
    DROP CONSTRAINT position_history_change_kind_check,
    ADD CONSTRAINT position_history_change_kind_check
        CHECK (change_kind IN ('OPENED', 'UNCHANGED', 'INCREASED', 'REDUCED', 'CLOSED', 'ADJUSTED'));
ALTER TABLE positions
    DROP CONSTRAINT positions_closed_at_check,
    ADD CONSTRAINT positions_closed_at_check CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL)),
    DROP CONSTRAINT positions_status_check,
    ADD CONSTRAINT positions_status_check CHECK (status IN ('OPEN', 'CLOSED'));
ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_entries_kind_check,
    ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN ('OPENING_BALANCE', 'FILL', 'ESTIMATE', 'AVERAGE_RESET')),
    DROP COLUMN observed_market,
    DROP COLUMN observed_average,
    DROP COLUMN observed_quantity,
    DROP COLUMN fold_time;
