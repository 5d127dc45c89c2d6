package io.positionsync.sync;

/**
 * Something a person should know about a run's figures. Warnings never stop a run; they are logged once, by
 * the step that commits the run, and most come with a break that the status API shows until it is resolved.
 */
public record ReconcileWarning(PositionKey key, String symbol, Reason reason, String detail) {

    public enum Reason {
        /** No execution explains a quantity change: an estimated fill was booked (source MARKET_PRICE). */
        ESTIMATED_FILL,
        /** Fills that landed after the positions reply were stored and left for the next run. */
        DEFERRED_FILLS,
        /** Late facts changed a lifecycle's figures after the fact. */
        ADJUSTED,
        /** A fill was applied without its commission report (counted as zero until it arrives). */
        COMMISSION_PENDING,
        /** A commission could not be converted to the position's currency. */
        FX_RATE_MISSING,
        /** A correction changed the quantity of a lifecycle that had already closed. */
        CLOSED_LIFECYCLE_CHANGED,
        /** No price at all for an estimated fill (no broker average, no market price): priced at the average. */
        NO_PRICE,
        /** The broker's quantity changed with no fill while its cost basis did not: a split, rebased. */
        SPLIT,
        /** A refold dissolved a lifecycle (late facts moved a zero crossing). */
        VOIDED
    }
}
