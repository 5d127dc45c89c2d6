-- What kind of disagreement a break is, and which run resolved it. Every break stored before this
-- migration compared our realized P&L with IB's.
ALTER TABLE reconciliation_breaks
    ADD COLUMN kind text NOT NULL DEFAULT 'REALIZED_PNL_MISMATCH',
    ADD COLUMN resolved_run_id bigint,
    ADD CONSTRAINT reconciliation_breaks_resolved_run_fkey FOREIGN KEY (resolved_run_id) REFERENCES sync_runs (id),
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING'));

ALTER TABLE reconciliation_breaks ALTER COLUMN kind DROP DEFAULT;

-- Open breaks of one contract, looked up by every run that may resolve them.
CREATE INDEX reconciliation_breaks_open_contract_idx ON reconciliation_breaks (account, con_id)
    WHERE resolved_at IS NULL;
