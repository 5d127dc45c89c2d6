package io.positionsync.sync;

/** Kinds of reconciliation break: every way the ledger and the broker can disagree. */
public enum BreakKind {
    /** Our realized P&L of some fills differs from IB's realizedPNL of the same fills beyond the tolerance. */
    REALIZED_PNL_MISMATCH,
    /** The broker's quantity differs from the ledger's and no execution explains it: an estimated fill was booked. */
    UNEXPLAINED_QUANTITY,
    /** The ledger's average differs from the broker's avgCost / multiplier; the broker's is taken from then on. */
    AVERAGE_MISMATCH,
    /** A fill was applied before its commission report arrived (counted as zero until it does). */
    COMMISSION_PENDING,
    /** A commission in another currency could not be converted: no exchange rate for it in the snapshot. */
    FX_RATE_MISSING,
    /**
     * An adopted bot's open row that no broker position matches, or whose only match other open rows claim too:
     * it is left as it is until resolved (the row closed or deleted by the bot, or the ambiguity gone).
     */
    BOT_ROW_UNMATCHED,
    /**
     * An execId already applied (or covered by an opening balance) reported again with another price, side, shares
     * or time and no correction ({@code .nn}) saying so: the fill stays applied as first reported, never a second
     * time; resolved when the broker reports it as applied again.
     */
    EXECUTION_CONFLICT,
    /**
     * An adopted bot's table has no row for an open position and the service adds none (adding rows is off): the
     * bot's own queries miss it until the bot writes its row (then linked) or the position closes.
     */
    BOT_ROW_MISSING,
    /**
     * The realized P&L of a contract's executions of IB's current day (every one of them known and applied, no
     * estimate of that day left) differs from the day's realized P&L IB reports in {@code updatePortfolio}.
     */
    DAILY_REALIZED_PNL_MISMATCH,
    /**
     * An account two gateways (or more) report in their complete snapshots: no run of either reconciles it (nothing
     * opened, changed or closed; its stored rows stay as they are) until only one of them reports it. Names the
     * account, no contract; the note names the gateways. Raised once while it lasts, resolved by the first run that
     * finds the account reported by one gateway only.
     */
    ACCOUNT_CONFLICT
}
