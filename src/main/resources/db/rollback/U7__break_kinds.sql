DROP INDEX reconciliation_breaks_open_contract_idx;
ALTER TABLE reconciliation_breaks
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    DROP CONSTRAINT reconciliation_breaks_resolved_run_fkey,
    DROP COLUMN resolved_run_id,
    DROP COLUMN kind;
