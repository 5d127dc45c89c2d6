package io.positionsync.sync;

import io.positionsync.ibkr.BrokerExecution;

/**
 * An execution to store (once, by execId; a correction replaces the row of the id it supersedes),
 * and the lifecycle it was applied to if it explained a change. {@code applied} is false for fills that
 * were seen but not needed to explain a reduction (e.g. opening fills).
 */
public record ExecutionRecord(BrokerExecution execution, String supersedesExecId, boolean applied) {
}
