package io.positionsync.sync;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a run reads of a complete snapshot, taken from it before the stored state is read, so that the snapshot's
 * messages need not be held meanwhile.
 *
 * @param accounts   the snapshot's accounts
 * @param positions  one record per instrument, sorted by account then conId: the order of the instruments
 * @param executions the snapshot's executions, deduplicated, corrections applied
 */
public record ReportedState(List<String> accounts, List<SnapshotPosition> positions, List<BrokerExecution> executions) {

    public ReportedState {
        accounts = List.copyOf(accounts);
        positions = List.copyOf(positions);
        executions = List.copyOf(executions);
    }

    /** What a run reads of {@code snapshot}. */
    public static ReportedState of(BrokerSnapshot snapshot, SnapshotTransformer transformer) {
        return new ReportedState(snapshot.accounts(), transformer.positions(snapshot),
                SnapshotExecutions.of(snapshot.executions()).all());
    }

    /** The base execIds of the reported executions: the stored revisions to read. */
    public Set<String> baseExecIds() {
        Set<String> bases = new HashSet<>();
        executions.forEach(e -> bases.add(e.baseExecId()));
        return bases;
    }
}
