package io.positionsync.sync;

/** What one entry of a lifecycle's fill ledger is. */
public enum EntryKind {
    /**
     * The first sight of a position (or a lifecycle carried over from an earlier version of the service):
     * quantity, average and realized P&L taken as they stand, not built from fills.
     */
    OPENING_BALANCE,
    /** A real execution (or this lifecycle's share of one that flipped the position). */
    FILL,
    /** A quantity change no execution explains, priced by rule and replaced when the real fills arrive. */
    ESTIMATE,
    /** The broker's average replaces the ledger's from here on (their difference was a break). */
    AVERAGE_RESET,
    /**
     * A split or reverse split: the broker's quantity changed with no fill while its cost basis did not. The entry's
     * quantity is the ratio (new quantity / old); the fold multiplies the quantity by it, divides the average by it
     * and realizes nothing.
     */
    SPLIT
}
