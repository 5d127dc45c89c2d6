-- Version 16 knows one gateway: runs lose their gateway, instance and epoch; ownership, the gateways' accounts and
-- waiting requests go.
DROP TABLE sync_requests;
DROP TABLE gateway_accounts;
DROP TABLE gateway_owners;
DROP INDEX sync_runs_gateway_idx;
ALTER TABLE sync_runs
    DROP COLUMN epoch,
    DROP COLUMN instance,
    DROP COLUMN gateway;
