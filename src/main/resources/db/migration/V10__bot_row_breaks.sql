-- In an adopted database (the bot's own positions table kept in step), an open bot row that no broker position
-- matches, or that shares its only match with other rows, is a break of its own kind. It names the bot's row,
-- not a contract: account and con_id stay empty when the bot's row does not say them.
ALTER TABLE reconciliation_breaks
    ADD COLUMN bot_row_id bigint,
    ALTER COLUMN account DROP NOT NULL,
    ALTER COLUMN con_id DROP NOT NULL,
    DROP CONSTRAINT reconciliation_breaks_kind_check,
    ADD CONSTRAINT reconciliation_breaks_kind_check CHECK (kind IN (
        'REALIZED_PNL_MISMATCH', 'UNEXPLAINED_QUANTITY', 'AVERAGE_MISMATCH', 'COMMISSION_PENDING', 'FX_RATE_MISSING',
        'BOT_ROW_UNMATCHED')),
    ADD CONSTRAINT reconciliation_breaks_contract_check
        CHECK (kind = 'BOT_ROW_UNMATCHED' OR (account IS NOT NULL AND con_id IS NOT NULL)),
    ADD CONSTRAINT reconciliation_breaks_bot_row_check CHECK ((kind = 'BOT_ROW_UNMATCHED') = (bot_row_id IS NOT NULL));

-- Every run looks up the open breaks of bot rows, to resolve those that link now.
CREATE INDEX reconciliation_breaks_open_bot_row_idx ON reconciliation_breaks (bot_row_id)
    WHERE resolved_at IS NULL AND bot_row_id IS NOT NULL;
