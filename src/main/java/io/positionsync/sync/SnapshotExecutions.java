package io.positionsync.sync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The executions of one snapshot, one per fill, grouped by {@code (account, conId)} in time order.
 *
 * <p>Built by {@link #of(Collection)}: a repeated execId keeps one report (the later one, with the commission
 * of the earlier one if the later arrived without its report); a correction (same base id, higher suffix,
 * see {@link ExecIds}) replaces every lower revision, and {@link #supersedes(String)} names the replaced id
 * (the lowest revision seen) so that the store can replace its row.
 *
 * @param byKey         executions per position, oldest first (executions without a time sort last)
 * @param supersededIds kept execId -> execId of the same base it replaced in this snapshot
 */
public record SnapshotExecutions(Map<PositionKey, List<BrokerExecution>> byKey, Map<String, String> supersededIds) {

    /** A snapshot without executions. */
    public static final SnapshotExecutions NONE = new SnapshotExecutions(Map.of(), Map.of());

    /** Fold order of fills: execution time (unknown last), then execId. */
    public static final Comparator<BrokerExecution> OLDEST_FIRST =
            Comparator.comparing(BrokerExecution::time, Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
                    .thenComparing(BrokerExecution::execId);

    public SnapshotExecutions {
        Map<PositionKey, List<BrokerExecution>> copy = new LinkedHashMap<>();
        byKey.forEach((key, list) -> copy.put(key, List.copyOf(list)));
        byKey = Collections.unmodifiableMap(copy);
        supersededIds = Map.copyOf(supersededIds);
    }

    /** Deduplicates, applies corrections, groups by position and sorts oldest first (stable for equal times). */
    public static SnapshotExecutions of(Collection<BrokerExecution> executions) {
        Map<String, BrokerExecution> latestByBase = new LinkedHashMap<>();
        Map<String, String> lowestIdByBase = new LinkedHashMap<>();
        for (BrokerExecution execution : executions) {
            String base = execution.baseExecId();
            lowestIdByBase.merge(base, execution.execId(),
                    (known, incoming) -> ExecIds.revision(incoming) < ExecIds.revision(known) ? incoming : known);
            BrokerExecution current = latestByBase.get(base);
            if (current == null) {
                latestByBase.put(base, execution);
            } else if (current.execId().equals(execution.execId())) {
                latestByBase.put(base, sameFill(current, execution));
            } else if (ExecIds.supersedes(execution.execId(), current.execId())) {
                latestByBase.put(base, execution);
            }
            // else: an older revision replayed after its correction; the correction stays.
        }
        Map<String, String> superseded = new LinkedHashMap<>();
        latestByBase.forEach((base, kept) -> {
            String lowest = lowestIdByBase.get(base);
            if (!lowest.equals(kept.execId())) {
                superseded.put(kept.execId(), lowest);
            }
        });
        List<BrokerExecution> ordered = new ArrayList<>(latestByBase.values());
        ordered.sort(OLDEST_FIRST);
        Map<PositionKey, List<BrokerExecution>> byKey = new LinkedHashMap<>();
        for (BrokerExecution execution : ordered) {
            byKey.computeIfAbsent(new PositionKey(execution.account(), execution.conId()), k -> new ArrayList<>())
                    .add(execution);
        }
        return new SnapshotExecutions(byKey, superseded);
    }

    /** Flattens a map built elsewhere and normalises it like {@link #of(Collection)}. */
    public static SnapshotExecutions of(Map<PositionKey, List<BrokerExecution>> byKey) {
        List<BrokerExecution> all = new ArrayList<>();
        byKey.values().forEach(all::addAll);
        return of(all);
    }

    /** Executions of one position, oldest first; empty when none. */
    public List<BrokerExecution> forKey(PositionKey key) {
        return byKey.getOrDefault(key, List.of());
    }

    /** Every execution of the snapshot, oldest first. */
    public List<BrokerExecution> all() {
        List<BrokerExecution> all = new ArrayList<>();
        byKey.values().forEach(all::addAll);
        all.sort(OLDEST_FIRST);
        return all;
    }

    /** The execId that {@code execId} replaced in this snapshot, or {@code null}. */
    public String supersedes(String execId) {
        return supersededIds.get(execId);
    }

    /** The same fill reported twice (e.g. replayed after a reconnect): keep the later, never lose a commission. */
    private static BrokerExecution sameFill(BrokerExecution earlier, BrokerExecution later) {
        if (later.commission() == null && earlier.commission() != null) {
            return later.withCommission(earlier.commission(), earlier.commissionCurrency(), earlier.realizedPnl());
        }
        return later;
    }
}
