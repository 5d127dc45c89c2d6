package io.positionsync.sync;

import java.util.List;

/**
 * Everything one run decided, to persist in one transaction.
 *
 * @param changes    position changes in decision order (a flip is CLOSED then OPENED)
 * @param executions executions of the snapshot to store (insert or update by execId), see {@link RunLedger#result()}
 * @param breaks     differences with IB's realized figures beyond the tolerance
 * @param warnings   estimates and gaps a person should see
 * @param opened     OPENED changes (a flip counts one)
 * @param updated    INCREASED and REDUCED changes
 * @param closed     CLOSED changes (a flip counts one)
 * @param unchanged  UNCHANGED changes
 */
public record ReconcileResult(
        List<PositionChange> changes,
        List<ExecutionRecord> executions,
        List<ReconciliationBreak> breaks,
        List<ReconcileWarning> warnings,
        int opened,
        int updated,
        int closed,
        int unchanged) {

    public ReconcileResult {
        changes = List.copyOf(changes);
        executions = List.copyOf(executions);
        breaks = List.copyOf(breaks);
        warnings = List.copyOf(warnings);
    }
}
