-- One kind of break more:
--   ACCOUNT_CONFLICT: an account two gateways (or more) report in their complete snapshots (gateway_accounts). No run
--     of either reconciles it until only one of them reports it. It names the account and no contract (con_id stays
--     empty); the note names the gateways. At most one is open per account: every run of each gateway finds the
--     same conflict, the first raises it and the others leave it open; the first run that finds the account reported
--     by one gateway only resolves it.
ALTER TABLE reconciliation_breaks
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING',
        'BOT_ROW_UNMATCHED', 'EXECUTION_CONFLICT', 'BOT_ROW_MISSING', 'DAILY_REALIZED_PNL_MISMATCH', 'ACCOUNT_CONFLICT')),
    DROP CONSTRAINT reconciliation_breaks_contract_check,
    ADD CONSTRAINT reconciliation_breaks_contract_check
        CHECK (kind IN ('BOT_ROW_UNMATCHED', 'ACCOUNT_CONFLICT') OR (account IS NOT NULL AND con_id IS NOT NULL)),
    ADD CONSTRAINT reconciliation_breaks_account_conflict_check
        CHECK (kind <> 'ACCOUNT_CONFLICT' OR (account IS NOT NULL AND con_id IS NULL));

CREATE UNIQUE INDEX reconciliation_breaks_open_account_conflict_idx ON reconciliation_breaks (account)
    WHERE kind = 'ACCOUNT_CONFLICT' AND resolved_at IS NULL;
