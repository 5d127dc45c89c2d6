package io.positionsync.sync;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The stored state a run starts from, read in one consistent read before anything is reconciled (what
 * {@link RunFacts#classify} sorts the snapshot against). Read-only: the maps are not copied (an open portfolio's
 * worth of rows), only wrapped.
 *
 * @param committedRuns          how many runs had committed when it was read: the run's read watermark, checked
 *                               again when the run writes
 * @param open                   every open lifecycle, by key
 * @param accountsFirstSeen      each account ever synced and when it was first seen
 * @param openBreaks             each key's unresolved breaks
 * @param executions             every stored revision of the reported executions' base execIds, by execId
 * @param notYetApplied          stored executions still waiting to be applied (deferred), by execId
 * @param openExecutionConflicts execId -> the notes of its open {@code EXECUTION_CONFLICT} breaks
 */
public record StoredState(
        long committedRuns,
        Map<PositionKey, StoredPosition> open,
        Map<String, Instant> accountsFirstSeen,
        Map<PositionKey, Set<BreakRef>> openBreaks,
        Map<String, StoredExecution> executions,
        Map<String, StoredExecution> notYetApplied,
        Map<String, Set<String>> openExecutionConflicts) {

    public StoredState {
        open = Collections.unmodifiableMap(Objects.requireNonNull(open, "open"));
        accountsFirstSeen = Collections.unmodifiableMap(Objects.requireNonNull(accountsFirstSeen, "accountsFirstSeen"));
        openBreaks = Collections.unmodifiableMap(Objects.requireNonNull(openBreaks, "openBreaks"));
        executions = Collections.unmodifiableMap(Objects.requireNonNull(executions, "executions"));
        notYetApplied = Collections.unmodifiableMap(Objects.requireNonNull(notYetApplied, "notYetApplied"));
        openExecutionConflicts = Collections.unmodifiableMap(
                Objects.requireNonNull(openExecutionConflicts, "openExecutionConflicts"));
    }
}
