package io.positionsync.sync;

/** A stored lifecycle is open until its quantity returns to zero. */
public enum PositionStatus {
    OPEN,
    CLOSED
}
