-- Version 17 knows no account conflicts: their breaks go with the kind.
DELETE FROM reconciliation_breaks WHERE kind = 'ACCOUNT_CONFLICT';
DROP INDEX reconciliation_breaks_open_account_conflict_idx;
ALTER TABLE reconciliation_breaks
    DROP CONSTRAINT reconciliation_breaks_account_conflict_check,
    DROP CONSTRAINT reconciliation_breaks_contract_check,
    ADD CONSTRAINT reconciliation_breaks_contract_check
        CHECK (kind = 'BOT_ROW_UNMATCHED' OR (account IS NOT NULL AND con_id IS NOT NULL)),
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING',
        'BOT_ROW_UNMATCHED', 'EXECUTION_CONFLICT', 'BOT_ROW_MISSING', 'DAILY_REALIZED_PNL_MISMATCH'));
