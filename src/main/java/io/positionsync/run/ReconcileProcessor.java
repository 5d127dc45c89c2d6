package io.positionsync.run;

import io.positionsync.sync.PositionChange;
import io.positionsync.sync.RunLedger;
import io.positionsync.sync.SnapshotPosition;

import java.util.List;

import org.apache.camel.ExchangeProperty;

/**
 * The reconcile step of the sync route: one call per instrument of the split snapshot, then one call
 * that closes what a complete snapshot no longer holds. The rules live in {@link RunLedger}; this bean
 * only finds the run's ledger on the exchange.
 */
public final class ReconcileProcessor {

    /** Reconciles one instrument against its stored open lifecycle. */
    public List<PositionChange> reconcile(SnapshotPosition position,
            @ExchangeProperty(SyncRunSteps.RUN_PROPERTY) SyncRunContext run) {
        return run.ledger().reconcile(position);
    }

    /**
     * Closes every open lifecycle of the snapshot's accounts that the snapshot does not hold. Only
     * reached for a complete snapshot: the route skips incomplete ones before the split.
     */
    public List<PositionChange> closeAbsent(@ExchangeProperty(SyncRunSteps.RUN_PROPERTY) SyncRunContext run) {
        if (!run.snapshot().complete()) {
            throw new IllegalStateException("refusing to close positions from an incomplete snapshot");
        }
        return run.ledger().closeAbsent(run.snapshot().accounts());
    }
}
