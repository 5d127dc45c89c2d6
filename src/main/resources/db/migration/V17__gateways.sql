-- Several gateways, several instances. Every run is of one gateway (a single-gateway service calls its gateway
-- 'default') and says which instance ran it and under which ownership epoch.
ALTER TABLE sync_runs
    ADD COLUMN gateway text NOT NULL DEFAULT 'default',
    ADD COLUMN instance text,
    ADD COLUMN epoch bigint;

-- A gateway's runs, newest first (status, statistics, the run lock's watermark).
CREATE INDEX sync_runs_gateway_idx ON sync_runs (gateway, id);

-- Who owns each gateway. Every takeover bumps the epoch; a run commits only while the epoch it began under is
-- still the gateway's (persist reads it FOR SHARE in the run's transaction, so a takeover waits for a commit in
-- flight and every later commit of the old owner is refused). live_since: the owner's live connection, if up.
CREATE TABLE gateway_owners (
    gateway     text PRIMARY KEY,
    epoch       bigint      NOT NULL,
    owner       text        NOT NULL,
    owned_since timestamptz NOT NULL,
    live_since  timestamptz
);

-- The accounts each gateway reported in its last complete snapshot: an account two gateways report is a break,
-- and neither reconciles it until one of them no longer reports it.
CREATE TABLE gateway_accounts (
    gateway       text        NOT NULL,
    account       text        NOT NULL,
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    last_run_id   bigint,
    PRIMARY KEY (gateway, account)
);
CREATE INDEX gateway_accounts_account_idx ON gateway_accounts (account);

-- Manual triggers sent to an instance that does not own the gateway: the owner takes the row (woken by NOTIFY on
-- the requests channel) and writes the run it started or joined.
CREATE TABLE sync_requests (
    id              bigserial PRIMARY KEY,
    gateway         text        NOT NULL,
    accounts        text[],
    idempotency_key text,
    requested_at    timestamptz NOT NULL,
    requested_by    text        NOT NULL,
    taken_by        text,
    taken_at        timestamptz,
    run_id          bigint,
    error           text
);
CREATE INDEX sync_requests_waiting_idx ON sync_requests (gateway, id) WHERE taken_at IS NULL;
