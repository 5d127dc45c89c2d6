package io.positionsync.sync;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one run knows about one {@code (account, conId)} of a complete snapshot: one item of the split.
 *
 * @param broker          the instrument as the snapshot reports it; {@code null} when a complete snapshot does not
 *                        hold it (flat)
 * @param open            the stored open lifecycle, or {@code null}
 * @param openEntries     its ledger entries, or {@code null} when they were not loaded: then nothing new is known
 *                        about the key and the broker agrees with the stored row (a plain touch)
 * @param adjustable      other (closed) lifecycles of the key that late facts touch, with their entries
 * @param newFills        real executions never applied, oldest first (execution time, then execId)
 * @param corrections     applied execId -> the correction that replaces it
 * @param lateCommissions applied executions whose commission report arrived only now
 * @param passive         executions that bring nothing to fold (replays, corrections of covered fills), to store
 *                        as they are: a store only adds what a stored row lacked
 * @param deferredBefore  execIds among {@code newFills} that an earlier run already deferred: they are applied
 *                        now, never deferred twice (a disagreement that outlives one run is not a timing matter)
 * @param firstSight      the key's account was never synced before: positions are opening balances
 * @param openBreaks      the key's unresolved breaks: what each compares
 * @param dayExecIds      every execution of the key the snapshot lists (IB's current day), for the daily
 *                        cross-check against {@code updatePortfolio}'s realized P&L
 */
public record InstrumentFacts(
        PositionKey key,
        SnapshotPosition broker,
        StoredPosition open,
        List<LedgerEntry> openEntries,
        List<Lifecycle> adjustable,
        List<BrokerExecution> newFills,
        Map<String, BrokerExecution> corrections,
        List<BrokerExecution> lateCommissions,
        List<ExecutionRecord> passive,
        Set<String> deferredBefore,
        boolean firstSight,
        Set<BreakRef> openBreaks,
        Set<String> dayExecIds) {

    public InstrumentFacts {
        Objects.requireNonNull(key, "key");
        openEntries = openEntries == null ? null : List.copyOf(openEntries);
        adjustable = adjustable == null ? List.of() : List.copyOf(adjustable);
        newFills = newFills == null ? List.of() : List.copyOf(newFills);
        corrections = corrections == null ? Map.of() : Map.copyOf(corrections);
        lateCommissions = lateCommissions == null ? List.of() : List.copyOf(lateCommissions);
        passive = passive == null ? List.of() : List.copyOf(passive);
        deferredBefore = deferredBefore == null ? Set.of() : Set.copyOf(deferredBefore);
        openBreaks = openBreaks == null ? Set.of() : Set.copyOf(openBreaks);
        dayExecIds = dayExecIds == null ? Set.of() : Set.copyOf(dayExecIds);
    }

    /** The same facts without the snapshot's list of the day's executions (no daily cross-check). */
    public InstrumentFacts(PositionKey key, SnapshotPosition broker, StoredPosition open, List<LedgerEntry> openEntries,
            List<Lifecycle> adjustable, List<BrokerExecution> newFills, Map<String, BrokerExecution> corrections,
            List<BrokerExecution> lateCommissions, List<ExecutionRecord> passive, Set<String> deferredBefore,
            boolean firstSight, Set<BreakRef> openBreaks) {
        this(key, broker, open, openEntries, adjustable, newFills, corrections, lateCommissions, passive, deferredBefore,
                firstSight, openBreaks, Set.of());
    }

    /** The same facts without the earlier-deferral information (tests and callers that have none). */
    public InstrumentFacts(PositionKey key, SnapshotPosition broker, StoredPosition open, List<LedgerEntry> openEntries,
            List<Lifecycle> adjustable, List<BrokerExecution> newFills, Map<String, BrokerExecution> corrections,
            List<BrokerExecution> lateCommissions, List<ExecutionRecord> passive, boolean firstSight,
            Set<BreakRef> openBreaks) {
        this(key, broker, open, openEntries, adjustable, newFills, corrections, lateCommissions, passive, Set.of(),
                firstSight, openBreaks, Set.of());
    }

    /** True when one of the key's open breaks is of {@code kind}. */
    public boolean hasOpenBreak(BreakKind kind) {
        for (BreakRef ref : openBreaks) {
            if (ref.kind() == kind) {
                return true;
            }
        }
        return false;
    }

    /** Nothing to fold, adjust or store: the broker's view can only confirm or contradict the stored row. */
    public boolean noNewFacts() {
        return newFills.isEmpty() && corrections.isEmpty() && lateCommissions.isEmpty() && adjustable.isEmpty();
    }
}
