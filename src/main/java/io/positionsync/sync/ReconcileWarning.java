package io.positionsync.sync;

/**
 * Something a person should know about a run's figures: an estimate, a gap, or a fill that came too late.
 * Warnings never stop a run; the changes carry the figures as far as they are known.
 */
public record ReconcileWarning(PositionKey key, String symbol, Reason reason, String detail) {

    public enum Reason {
        /** No execution explains a reduction: priced at the last market price (source MARKET_PRICE). */
        MARKET_PRICE_ESTIMATE,
        /** Executions explain only part of a reduction; the rest is priced at the market price (MARKET_PRICE). */
        PARTIALLY_EXPLAINED,
        /** No execution and no market price (or no average): realized P&L left empty, quantity change applied. */
        UNPRICED,
        /** A used execution had no commission report yet; it was counted as zero commission. */
        COMMISSION_MISSING,
        /** A correction of an execution applied in an earlier run: recorded, not applied again. */
        LATE_CORRECTION
    }
}
