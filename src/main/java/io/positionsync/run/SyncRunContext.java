package io.positionsync.run;

import io.positionsync.sync.RunLedger;
import io.positionsync.sync.SyncTrigger;

import java.sql.Connection;
import java.time.Instant;

import io.positionsync.ibkr.BrokerSnapshot;

/**
 * The state of one sync run as it travels through the route (exchange property
 * {@value SyncRunSteps#RUN_PROPERTY}): nothing about a run lives in a bean field, so runs never share state.
 */
public final class SyncRunContext {
    private final long runId;
    private final SyncTrigger trigger;
    private final Instant startedAt;
    private final String idempotencyKey;
    private BrokerSnapshot snapshot;
    private Connection transaction;
    private RunLedger ledger;

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

    Connection transaction() {
        return transaction;
    }

    void transaction(Connection value) {
        this.transaction = value;
    }

    /** The reconcile ledger of this run, present once the stored positions are loaded. */
    public RunLedger ledger() {
        if (ledger == null) {
            throw new IllegalStateException("run " + runId + " has not loaded its stored positions yet");
        }
        return ledger;
    }

    void ledger(RunLedger value) {
        this.ledger = value;
    }

    Instant brokerServerTime() {
        return snapshot == null ? null : snapshot.serverTime();
    }
}
