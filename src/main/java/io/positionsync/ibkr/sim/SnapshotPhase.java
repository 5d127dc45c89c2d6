package io.positionsync.ibkr.sim;

/** The answer of one snapshot request, where a fault can strike. */
public enum SnapshotPhase {
    /**
     * {@code reqPositions}: position messages, then positionEnd; or {@code reqPositionsMulti} of one account:
     * positionMulti messages, then positionMultiEnd (a fault naming an account strikes only there).
     */
    POSITIONS,
    /** {@code reqAccountUpdates} of one account: account values, portfolio lines, account time, then accountDownloadEnd. */
    ACCOUNT_UPDATES,
    /** {@code reqExecutions}: execDetails and commissionReport messages, then execDetailsEnd. */
    EXECUTIONS
}
