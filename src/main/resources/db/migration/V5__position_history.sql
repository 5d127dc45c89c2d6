-- Every change a run made to a position (except a plain "still the same" touch), with the run and the
-- executions that explain it. Rows are written only by the statement that inserts or updates the position
-- they describe (ids taken from its RETURNING), and neither positions nor runs are ever deleted, so the
-- links to positions and sync_runs are not enforced by foreign keys: a per-row key check would double
-- the cost of storing a run that opens 100 000 positions.
CREATE TABLE position_history (
    position_id         bigint      NOT NULL,
    run_id              bigint      NOT NULL,
    change_kind         text        NOT NULL,
    quantity_before     numeric     NOT NULL,
    quantity_after      numeric     NOT NULL,
    average_price       numeric,
    market_price        numeric,
    realized_pnl_delta  numeric,
    realized_pnl_total  numeric,
    realized_pnl_source text,
    exit_price          numeric,
    exit_commission     numeric,
    broker_realized_pnl numeric,
    exec_ids            text[]      NOT NULL DEFAULT '{}',
    recorded_at         timestamptz NOT NULL,
    -- A run changes a lifecycle at most once; the key doubles as the per-position lookup index.
    CONSTRAINT position_history_pkey PRIMARY KEY (position_id, run_id),
    CONSTRAINT position_history_change_kind_check
        CHECK (change_kind IN ('OPENED', 'UNCHANGED', 'INCREASED', 'REDUCED', 'CLOSED')),
    CONSTRAINT position_history_realized_pnl_source_check
        CHECK (realized_pnl_source IN ('EXECUTIONS', 'MARKET_PRICE'))
);

-- What one run changed.
CREATE INDEX position_history_run_id_idx ON position_history (run_id);
