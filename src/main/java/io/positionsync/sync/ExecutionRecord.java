package io.positionsync.sync;

/**
 * An execution to store (once, by execId) and the state this run leaves it in. A store never moves an
 * execution back: {@code APPLIED} stays applied whatever a later record says, and a record only adds what
 * the stored row lacked (its commission report). {@code supersedesExecId} names the id of the same base this
 * correction replaces; that row becomes {@link ExecutionState#SUPERSEDED}.
 */
public record ExecutionRecord(BrokerExecution execution, String supersedesExecId, ExecutionState state) {

    public boolean applied() {
        return state == ExecutionState.APPLIED;
    }
}
