package io.positionsync.sync;

/** A stored lifecycle is open until its quantity returns to zero. */
public enum PositionStatus {
    OPEN,
    CLOSED,
    /**
     * Dissolved by a refold: late facts moved the zero crossing that had made it a lifecycle of its own (its fills now
     * belong to a neighbour). Kept with its history for the audit trail; counted nowhere.
     */
    VOID
}
