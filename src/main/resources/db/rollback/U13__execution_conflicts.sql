-- Version 12 knows neither execution conflicts nor missing bot rows: their breaks go with the kinds.
DELETE FROM reconciliation_breaks WHERE kind IN ('EXECUTION_CONFLICT', 'BOT_ROW_MISSING');
DROP INDEX reconciliation_breaks_open_exec_id_idx;
ALTER TABLE reconciliation_breaks
    DROP CONSTRAINT reconciliation_breaks_exec_id_check,
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING',
        'BOT_ROW_UNMATCHED')),
    DROP COLUMN exec_id;
