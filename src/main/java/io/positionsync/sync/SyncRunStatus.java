package io.positionsync.sync;

/** The outcome of a sync run. */
public enum SyncRunStatus {
    /** In flight (or interrupted by a crash, until the next start-up marks it failed). */
    RUNNING,
    /** Every change of the run committed together with its run record. */
    SUCCEEDED,
    /** Nothing changed: the run's transaction rolled back; {@code error} says why. */
    FAILED,
    /** The snapshot was incomplete, so no position was opened, changed or closed. */
    SKIPPED_INCOMPLETE;

    public boolean finished() {
        return this != RUNNING;
    }
}
