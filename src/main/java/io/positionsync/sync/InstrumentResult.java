package io.positionsync.sync;

import java.util.List;
import java.util.Set;

/**
 * What the reconcile processor decided for one instrument; an aggregation strategy gathers them into the run's
 * result.
 *
 * @param resolvedBreaks the key's open breaks this run resolves
 */
public record InstrumentResult(
        PositionKey key,
        List<LifecycleWrite> lifecycles,
        List<ExecutionRecord> executions,
        List<BreakEvent> breaks,
        Set<BreakRef> resolvedBreaks,
        FillCounts fills,
        List<ReconcileWarning> warnings) {

    public static InstrumentResult nothing(PositionKey key) {
        return new InstrumentResult(key, List.of(), List.of(), List.of(), Set.of(), FillCounts.NONE, List.of());
    }

    public InstrumentResult {
        lifecycles = List.copyOf(lifecycles);
        executions = List.copyOf(executions);
        breaks = List.copyOf(breaks);
        resolvedBreaks = Set.copyOf(resolvedBreaks);
        warnings = List.copyOf(warnings);
    }
}
