package io.positionsync.sync;

/**
 * Where an execution stands. "Seen" and "applied" are different: an execution is stored as soon as a complete
 * snapshot shows it, and applied only once it is folded into a lifecycle's ledger.
 */
public enum ExecutionState {
    /** Stored, not applied yet (e.g. deferred: it landed after the positions reply). A later run applies it. */
    SEEN,
    /** Before an opening balance (first sight of its account): its effect is in the balance; never applied. */
    COVERED,
    /** Folded into a lifecycle's ledger. */
    APPLIED,
    /** Replaced by a correction ({@code <base>.02}); the correction takes its place. */
    SUPERSEDED
}
