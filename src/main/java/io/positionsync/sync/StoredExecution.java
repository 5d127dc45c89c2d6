package io.positionsync.sync;

/**
 * A row of {@code executions}: the fill as the broker reported it, the run that first saw it, the run
 * whose realized P&L used it ({@code null} if none yet), the correction that replaced it, if any, and its state.
 */
public record StoredExecution(BrokerExecution execution, long firstSeenRunId, Long appliedRunId, String supersededBy,
        ExecutionState state) {

    public String execId() {
        return execution.execId();
    }

    public boolean applied() {
        return appliedRunId != null;
    }

    public boolean superseded() {
        return supersededBy != null;
    }
}
