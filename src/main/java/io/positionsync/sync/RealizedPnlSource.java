package io.positionsync.sync;

/** Where a realized P&L amount came from. */
public enum RealizedPnlSource {
    /** Fully explained by the reducing executions and their commission reports. */
    EXECUTIONS,
    /** No execution explains the change: exit price is the last market price, an estimate. */
    MARKET_PRICE
}
