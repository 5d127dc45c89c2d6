package io.positionsync.sync;

/** What started a sync run. */
public enum SyncTrigger {
    /** The first run, at start-up. */
    STARTUP,
    /** The periodic timer. */
    TIMER,
    /** The HTTP trigger or the {@code sync-once} command. */
    MANUAL,
    /**
     * The live connection: a fill or a position change (a run of the accounts concerned), or the live subscriptions
     * coming back after a drop (a full catch-up run).
     */
    EVENT
}
