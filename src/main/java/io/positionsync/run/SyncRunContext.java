package io.positionsync.run;

import java.time.Instant;

import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.SyncTrigger;

/**
 * The state of one sync run as it travels through the route (exchange property
 * {@value SyncRunSteps#RUN_PROPERTY}): nothing about a run lives in a bean field, so runs never share state,
 * and no database connection travels with it (each step that needs one opens and closes its own).
 */
public final class SyncRunContext {
    private final long runId;
    private final SyncTrigger trigger;
    private final Instant startedAt;
    private final String idempotencyKey;
    private BrokerSnapshot snapshot;
    private RunInputs inputs;
    private long committedRunsAtRead = -1;
    private int unchangedUnread;
    private java.util.List<io.positionsync.store.ExecutionRepository.Conflict> conflicts = java.util.List.of();
    private java.util.Set<String> conflictsAgreeingAgain = java.util.Set.of();

    SyncRunContext(long runId, SyncTrigger trigger, Instant startedAt, String idempotencyKey) {
        this.runId = runId;
        this.trigger = trigger;
        this.startedAt = startedAt;
        this.idempotencyKey = idempotencyKey;
    }

    public long runId() {
        return runId;
    }

    public SyncTrigger trigger() {
        return trigger;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }

    public BrokerSnapshot snapshot() {
        return snapshot;
    }

    void snapshot(BrokerSnapshot value) {
        this.snapshot = value;
    }

    /** What every instrument of this run shares, present once the stored state has been read. */
    public RunInputs inputs() {
        if (inputs == null) {
            throw new IllegalStateException("run " + runId + " has not read its stored state yet");
        }
        return inputs;
    }

    /** The run read the stored state when {@code committedRuns} runs had committed. */
    void stateRead(RunInputs value, long committedRuns) {
        this.inputs = value;
        this.committedRunsAtRead = committedRuns;
    }

    /** The instruments the read counted as unchanged instead of handing them to reconcile. */
    void unchangedUnread(int count) {
        this.unchangedUnread = count;
    }

    /**
     * What the read found of applied fills reported again: those with other content ({@code conflicts}), and the
     * execIds of open conflicts the broker reports as applied again.
     */
    void executionConflicts(java.util.List<io.positionsync.store.ExecutionRepository.Conflict> found,
            java.util.Set<String> agreeingAgain) {
        this.conflicts = java.util.List.copyOf(found);
        this.conflictsAgreeingAgain = java.util.Set.copyOf(agreeingAgain);
    }

    java.util.List<io.positionsync.store.ExecutionRepository.Conflict> conflicts() {
        return conflicts;
    }

    java.util.Set<String> conflictsAgreeingAgain() {
        return conflictsAgreeingAgain;
    }

    int unchangedUnread() {
        return unchangedUnread;
    }

    long committedRunsAtRead() {
        return committedRunsAtRead;
    }

    Instant brokerServerTime() {
        return snapshot == null ? null : snapshot.serverTime();
    }
}
