package io.positionsync.sync;

/** What started a sync run. */
public enum SyncTrigger {
    /** The first run, at start-up. */
    STARTUP,
    /** The periodic timer. */
    TIMER,
    /** The HTTP trigger or the {@code sync-once} command. */
    MANUAL
}
