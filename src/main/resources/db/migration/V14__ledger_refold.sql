-- reconcile-and-pnl version 3: the stored chain of each (account, conId) is what folding its facts in order gives,
-- refolded from the earliest fact that changes. What the refold needs beyond version 2:
--
-- * fold_time: where a FILL sits in the fold when that is not its execution time. A fill that landed after a run's
--   positions reply (deferred by that run) is folded after that run's observation, even when the broker's clock
--   gives it an earlier second.
-- * observed_quantity / observed_average / observed_market: what the broker reported at the run that booked an
--   ESTIMATE, an AVERAGE_RESET or a SPLIT. These entries are derived: a refold compares the fold with the same
--   observation again, so a late real fill shrinks or removes the estimate and a reset the facts explain goes
--   away. Entries written before this migration have none and are folded as they stand (a version-2 chain folds
--   back to itself).
-- * SPLIT entries: a split or reverse split (quantity changed, no fill, cost basis unchanged); its quantity column
--   holds the ratio new quantity / old quantity.
ALTER TABLE ledger_entries
    ADD COLUMN fold_time         timestamptz,
    ADD COLUMN observed_quantity numeric,
    ADD COLUMN observed_average  numeric,
    ADD COLUMN observed_market   numeric,
    DROP CONSTRAINT ledger_entries_kind_check,
    ADD CONSTRAINT ledger_entries_kind_check
        CHECK (kind IN ('OPENING_BALANCE', 'FILL', 'ESTIMATE', 'AVERAGE_RESET', 'SPLIT'));

-- A lifecycle a refold dissolved (late facts moved the zero crossing that had split it from its neighbour):
-- kept for the audit trail with its history, counted nowhere.
ALTER TABLE positions
    DROP CONSTRAINT positions_status_check,
    ADD CONSTRAINT positions_status_check CHECK (status IN ('OPEN', 'CLOSED', 'VOID')),
    DROP CONSTRAINT positions_closed_at_check,
    ADD CONSTRAINT positions_closed_at_check CHECK ((status = 'OPEN') = (closed_at IS NULL));

ALTER TABLE position_history
    DROP CONSTRAINT position_history_change_kind_check,
    ADD CONSTRAINT position_history_change_kind_check
        CHECK (change_kind IN ('OPENED', 'UNCHANGED', 'INCREASED', 'REDUCED', 'CLOSED', 'ADJUSTED', 'SPLIT', 'VOIDED'));

-- A break names what it compares: an execution (exec:<base execId>), a day (day:<date>) or an observation
-- (obs:<run time>); it is resolved only when that same comparison agrees. NULL: the contract as a whole
-- (pending commissions, missing rates, and every break written before this migration).
ALTER TABLE reconciliation_breaks
    ADD COLUMN subject text,
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING',
        'BOT_ROW_UNMATCHED', 'EXECUTION_CONFLICT', 'BOT_ROW_MISSING', 'DAILY_REALIZED_PNL_MISMATCH'));
