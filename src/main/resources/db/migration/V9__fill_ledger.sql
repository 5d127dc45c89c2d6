-- The fill ledger (reconcile-and-pnl version 2): every lifecycle is a fold over its entries, and everything
-- the fold needs is stored, so a lifecycle can be recomputed from the database alone.

-- Accounts the service has synced. The first run that sees an account takes its positions as opening
-- balances; later runs build lifecycles from fills. Accounts of rows written before this migration count as
-- seen (their positions are already stored).
CREATE TABLE accounts (
    account              text        NOT NULL,
    first_run_id         bigint,
    first_seen_at        timestamptz NOT NULL,
    last_reported_run_id bigint,
    last_reported_at     timestamptz,
    CONSTRAINT accounts_pkey PRIMARY KEY (account)
);

INSERT INTO accounts (account, first_seen_at, last_reported_at)
SELECT account, min(opened_at), max(coalesce(last_synced_at, opened_at))
FROM positions
GROUP BY account;

-- "Seen" and "applied" are different states of an execution. Rows written before this migration were either
-- used for a reduction (APPLIED), replaced by a correction (SUPERSEDED), or are already part of the stored
-- quantities (COVERED: never applied again).
ALTER TABLE executions
    ADD COLUMN state      text,
    ADD COLUMN currency   text,
    ADD COLUMN multiplier numeric;

UPDATE executions SET state = CASE WHEN superseded_by IS NOT NULL THEN 'SUPERSEDED'
                                   WHEN applied_run_id IS NOT NULL THEN 'APPLIED'
                                   ELSE 'COVERED' END;

ALTER TABLE executions
    ALTER COLUMN state SET NOT NULL,
    ADD CONSTRAINT executions_state_check CHECK (state IN ('SEEN', 'COVERED', 'APPLIED', 'SUPERSEDED'));

-- Executions stored but not applied yet (deferred): every run looks them up.
CREATE INDEX executions_seen_idx ON executions (account, con_id) WHERE state = 'SEEN';

-- The entries of each lifecycle, in fold order (seq). A FILL is a lifecycle's share of one execution (a flip
-- is two shares); an ESTIMATE is a fill no execution explained yet; an OPENING_BALANCE is a position taken as
-- it stood; an AVERAGE_RESET takes the broker's average. Like position_history, the link to positions is not
-- enforced by a foreign key: entries are written only with the rows they belong to, in the same statement
-- batch, and a per-row key check would double the cost of a first sync of 100 000 positions.
CREATE TABLE ledger_entries (
    position_id         bigint      NOT NULL,
    seq                 integer     NOT NULL,
    kind                text        NOT NULL,
    exec_id             text,
    entry_time          timestamptz,
    quantity            numeric     NOT NULL,
    price               numeric,
    commission          numeric,
    commission_pending  boolean     NOT NULL DEFAULT false,
    fill_shares         numeric,
    commission_raw      numeric,
    commission_currency text,
    realized_opening    numeric,
    opening_estimated   boolean     NOT NULL DEFAULT false,
    broker_realized_pnl numeric,
    -- the run that wrote the entry; NULL for balances carried over by this migration
    run_id              bigint,
    CONSTRAINT ledger_entries_pkey PRIMARY KEY (position_id, seq),
    CONSTRAINT ledger_entries_kind_check CHECK (kind IN ('OPENING_BALANCE', 'FILL', 'ESTIMATE', 'AVERAGE_RESET')),
    CONSTRAINT ledger_entries_fill_check CHECK (kind <> 'FILL' OR (exec_id IS NOT NULL AND fill_shares > 0))
);

-- Which lifecycles a correction or a late commission report touches.
CREATE INDEX ledger_entries_exec_id_idx ON ledger_entries (exec_id) WHERE exec_id IS NOT NULL;
-- Lifecycles holding estimates that real fills may replace, or fills waiting for their commission.
CREATE INDEX ledger_entries_pending_idx ON ledger_entries (position_id)
    WHERE kind = 'ESTIMATE' OR commission_pending;

-- Every lifecycle stored before this migration becomes an opening balance with its realized P&L so far, so
-- the fold of its entries gives back exactly the stored quantity, average and realized P&L.
INSERT INTO ledger_entries (position_id, seq, kind, entry_time, quantity, price, realized_opening,
                            opening_estimated)
SELECT id, 0, 'OPENING_BALANCE', opened_at, quantity, average_price, realized_pnl,
       coalesce(realized_pnl_source = 'MARKET_PRICE', false)
FROM positions;

-- A run can adjust a lifecycle (late facts) and change it again (new fills), or open and close it: one row
-- per kind of change per run.
ALTER TABLE position_history
    DROP CONSTRAINT position_history_pkey,
    ADD CONSTRAINT position_history_pkey PRIMARY KEY (position_id, run_id, change_kind),
    DROP CONSTRAINT position_history_change_kind_check,
    ADD CONSTRAINT position_history_change_kind_check
        CHECK (change_kind IN ('OPENED', 'UNCHANGED', 'INCREASED', 'REDUCED', 'CLOSED', 'ADJUSTED')),
    -- for ADJUSTED: the realized P&L before the late facts
    ADD COLUMN realized_pnl_before numeric;

-- The exchange rates each run saw (base currency per unit), per account: how commissions were converted and
-- how base-currency totals are formed.
CREATE TABLE exchange_rates (
    run_id   bigint  NOT NULL,
    account  text    NOT NULL,
    currency text    NOT NULL,
    rate     numeric NOT NULL,
    CONSTRAINT exchange_rates_pkey PRIMARY KEY (run_id, account, currency),
    CONSTRAINT exchange_rates_run_fkey FOREIGN KEY (run_id) REFERENCES sync_runs (id),
    CONSTRAINT exchange_rates_rate_check CHECK (rate > 0)
);

-- What each run did with fills; many estimates and no applied fills, run after run, means the client id does
-- not see the executions (Master API client ID).
ALTER TABLE sync_runs
    ADD COLUMN fills_applied   integer NOT NULL DEFAULT 0,
    ADD COLUMN fills_deferred  integer NOT NULL DEFAULT 0,
    ADD COLUMN fills_estimated integer NOT NULL DEFAULT 0;
