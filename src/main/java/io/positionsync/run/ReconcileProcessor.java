package io.positionsync.run;

import java.util.ArrayList;
import java.util.List;

import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.InstrumentReconciler;
import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.RunInputs;

/**
 * The reconcile step of the sync route: one call per {@link RunState.Part} of the split (a chunk of the run's
 * instruments, see {@link InstrumentChunks}), returning each instrument's result in order
 * ({@link RunResultAggregation} gathers them). The rules live in {@link InstrumentReconciler}. A chunk rather than
 * one exchange per instrument: the route's per-exchange work (copying the exchange, events, aggregation) then
 * costs per few hundred instruments, not per instrument.
 */
public final class ReconcileProcessor {
    private final InstrumentReconciler reconciler = new InstrumentReconciler();

    /**
     * Reconciles each instrument of the part: its new fills, late facts, and the broker's word on it. The first
     * instrument that fails stops the part (and the split): the failure names it.
     * Body: {@link RunState.Part} -> {@code List<InstrumentResult>}.
     */
    public List<InstrumentResult> reconcile(RunState.Part part) {
        RunInputs inputs = part.prepared().inputs();
        List<InstrumentResult> results = new ArrayList<>(part.instruments().size());
        for (InstrumentFacts facts : part.instruments()) {
            try {
                results.add(reconciler.reconcile(facts, inputs));
            } catch (RuntimeException e) {
                throw new InstrumentFailure(facts, e);
            }
        }
        return results;
    }

    /** Reconciling one instrument failed; the run's failure says which instrument. */
    public static final class InstrumentFailure extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        InstrumentFailure(InstrumentFacts facts, RuntimeException cause) {
            super("reconciling account " + facts.key().account() + " conId " + facts.key().conId()
                    + (facts.broker() != null && facts.broker().symbol() != null ? " (" + facts.broker().symbol() + ")" : "")
                    + " failed: " + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
        }
    }
}
