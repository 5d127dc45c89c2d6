package io.positionsync.sync;

/** What a run does to one lifecycle. */
public enum ChangeKind {
    /** New lifecycle: INSERT an open row. */
    OPENED,
    /** Same quantity and average: only {@code last_synced_at} (and market values) move. */
    UNCHANGED,
    /** Larger absolute quantity, same sign, or a new average: quantity and average from the broker. */
    INCREASED,
    /** Smaller absolute quantity, same sign: realized P&L of the reduced quantity is added. */
    REDUCED,
    /** Quantity back to zero (or absent from a complete snapshot): final realized P&L. */
    CLOSED,
    /**
     * Late facts (a correction, a commission report, real fills replacing an estimate) changed the lifecycle's
     * figures after the fact: recomputed from its fills, old and new realized P&L recorded.
     */
    ADJUSTED,
    /** A split or reverse split: quantity and average rebased to the broker's, nothing realized. */
    SPLIT,
    /** A refold dissolved the lifecycle: late facts moved the zero crossing that had made it one (see VOID). */
    VOIDED
}
