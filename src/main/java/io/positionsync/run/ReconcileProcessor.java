package io.positionsync.run;

import org.apache.camel.ExchangeProperty;

import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.InstrumentReconciler;
import io.positionsync.sync.InstrumentResult;

/**
 * The reconcile step of the sync route: one call per instrument of the split snapshot, returning that
 * instrument's result ({@link RunResultAggregation} gathers them). The rules live in
 * {@link InstrumentReconciler}; this bean only finds the run's shared inputs on the exchange.
 */
public final class ReconcileProcessor {
    private final InstrumentReconciler reconciler = new InstrumentReconciler();

    /** Reconciles one instrument: its new fills, late facts, and the broker's word on it. */
    public InstrumentResult reconcile(InstrumentFacts facts,
            @ExchangeProperty(SyncRunSteps.RUN_PROPERTY) SyncRunContext run) {
        return reconciler.reconcile(facts, run.inputs());
    }
}
