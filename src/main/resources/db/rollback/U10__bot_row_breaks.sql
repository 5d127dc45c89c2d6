-- Version 9 knows no bot rows: their breaks go with the kind.
DELETE FROM reconciliation_breaks WHERE kind = 'BOT_ROW_UNMATCHED';
DROP INDEX reconciliation_breaks_open_bot_row_idx;
ALTER TABLE reconciliation_breaks
    DROP CONSTRAINT reconciliation_breaks_bot_row_check,
    DROP CONSTRAINT reconciliation_breaks_contract_check,
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING')),
    ALTER COLUMN con_id SET NOT NULL,
    ALTER COLUMN account SET NOT NULL,
    DROP COLUMN bot_row_id;
