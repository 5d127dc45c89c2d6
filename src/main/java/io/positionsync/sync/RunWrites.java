package io.positionsync.sync;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a run writes in its one transaction, every new lifecycle with its reserved id: lifecycles (with their
 * ledger entries and history), executions, the breaks raised (referring to their lifecycles by id) and those resolved.
 */
public record RunWrites(List<LifecycleWrite> lifecycles, List<ExecutionRecord> executions,
        List<ReconciliationBreak> raised, Map<PositionKey, Set<BreakRef>> resolved) {

    public RunWrites {
        lifecycles = Collections.unmodifiableList(lifecycles);
        executions = Collections.unmodifiableList(executions);
        raised = Collections.unmodifiableList(raised);
        resolved = Collections.unmodifiableMap(resolved);
    }
}
