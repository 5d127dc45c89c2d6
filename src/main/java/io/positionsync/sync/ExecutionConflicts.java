package io.positionsync.sync;

import java.util.List;
import java.util.Set;

/**
 * What a run found of applied fills reported again: the conflicts to raise (each once: one already open with the
 * same note is not raised again), and the execIds of open conflicts the broker now reports as applied (resolved).
 */
public record ExecutionConflicts(List<ExecutionConflict> raised, Set<String> agreeingAgain) {

    public static final ExecutionConflicts NONE = new ExecutionConflicts(List.of(), Set.of());

    public ExecutionConflicts {
        raised = List.copyOf(raised);
        agreeingAgain = Set.copyOf(agreeingAgain);
    }
}
