package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The snapshot sorted against the stored state: one {@link InstrumentFacts} per instrument reconcile must see (the
 * items of the split). A pure function of a {@link ReportedState} and a {@link StoredState}, in two steps:
 * {@link #classify} decides what each execution and each key is, {@link #instruments} puts together the facts once
 * the ledger of the active keys ({@link #ledgerRequest()}) has been read.
 * <ul>
 *   <li>each snapshot execution is classified against the stored ones: new (never stored, or stored but not
 *       applied), a replay (nothing new), a late commission report of an applied fill, or a correction of an
 *       applied (or covered, or deferred) fill; stored executions still waiting to be applied join their key;</li>
 *   <li>a key is <em>active</em> when it has new facts, an open break, or the broker contradicts its stored row
 *       (quantity, or average beyond the tolerance); only active keys load their ledger entries, so an unchanged
 *       portfolio costs one read of the open rows and nothing per position;</li>
 *   <li>the lifecycles that late facts touch (closed ones included) and those still waiting for an estimate to
 *       be replaced or a commission to arrive are loaded with their entries.</li>
 * </ul>
 * Only keys of the snapshot's accounts are considered: open rows of an account the gateway no longer reports
 * are left alone (the summary counts them as orphaned).
 *
 * <p>When asked to, an instrument reconcile could only leave as it is stored is counted instead of handed on: an
 * open row, no new or late facts, no execution to store, no open break, the broker agreeing with its quantity and
 * average, and market values equal to the stored ones. Reconcile would confirm it, resolve nothing and write
 * nothing for it (an unchanged touch), so a steady portfolio builds no facts and no results at all.
 *
 * <p>Applied fills the snapshot reports again with other content are {@link ExecutionConflicts}: raised once each,
 * never applied again; open conflicts whose fill is reported as applied again are resolved.
 */
public final class RunFacts {
    private final StoredState stored;
    private final Map<PositionKey, SnapshotPosition> brokerPositions;
    private final Executions executions;
    private final Set<PositionKey> active;
    private final List<PositionKey> handOn;
    private final int unchanged;
    private final ExecutionConflicts conflicts;

    private RunFacts(StoredState stored, Map<PositionKey, SnapshotPosition> brokerPositions, Executions executions,
            Set<PositionKey> active, List<PositionKey> handOn, int unchanged, ExecutionConflicts conflicts) {
        this.stored = stored;
        this.brokerPositions = brokerPositions;
        this.executions = executions;
        this.active = Collections.unmodifiableSet(active);
        this.handOn = Collections.unmodifiableList(handOn);
        this.unchanged = unchanged;
        this.conflicts = conflicts;
    }

    /**
     * Sorts {@code reported} against {@code stored}: every execution by what it means for the ledger, and every key
     * into active (looked at closely), handed on as it is, counted as unchanged (only with {@code skipUnchanged}, see
     * the class comment) or left out (flat and nothing happened).
     *
     * @param tolerance how far the broker's average may be from the stored one before the key is active
     */
    public static RunFacts classify(ReportedState reported, StoredState stored, BigDecimal tolerance,
            boolean skipUnchanged) {
        Set<String> snapshotAccounts = new HashSet<>(reported.accounts());
        List<SnapshotPosition> positions = reported.positions(); // sorted: the order of the instruments
        Map<PositionKey, SnapshotPosition> brokerPositions = new HashMap<>(positions.size() * 4 / 3 + 1);
        List<PositionKey> brokerKeys = new ArrayList<>(positions.size());
        for (SnapshotPosition position : positions) {
            snapshotAccounts.add(position.account());
            PositionKey key = position.key();
            brokerKeys.add(key);
            brokerPositions.put(key, position);
        }
        Map<PositionKey, StoredPosition> open = stored.open();
        Set<String> known = stored.accountsFirstSeen().keySet();
        Executions facts = Executions.classify(reported.executions(), stored);

        // The keys to look at, in order: the broker's, then open rows it no longer reports, then keys only facts
        // name (no set of all of them: a portfolio's worth of keys is the largest structure here).
        List<PositionKey> otherKeys = new ArrayList<>();
        for (PositionKey key : open.keySet()) {
            if (!brokerPositions.containsKey(key) && snapshotAccounts.contains(key.account())) {
                otherKeys.add(key);
            }
        }
        for (PositionKey key : facts.keys()) {
            if (!brokerPositions.containsKey(key) && !open.containsKey(key) && snapshotAccounts.contains(key.account())) {
                otherKeys.add(key);
            }
        }
        Iterable<PositionKey> keys = () -> new KeysInOrder(brokerKeys, otherKeys);

        // One pass decides each key: active (looked at closely), handed on as it is, counted as unchanged, or
        // left out (flat and nothing happened).
        Set<PositionKey> active = new LinkedHashSet<>();
        List<PositionKey> handOn = new ArrayList<>();
        int unchanged = 0;
        for (PositionKey key : keys) {
            StoredPosition row = open.get(key);
            SnapshotPosition broker = brokerPositions.get(key);
            boolean firstSight = !known.contains(key.account());
            boolean any = facts.any(key);
            // a key with an open break is looked at closely too: this run may resolve it
            boolean isActive = !firstSight
                    && (any || contradicts(row, broker, tolerance) || stored.openBreaks().containsKey(key));
            if (isActive) {
                active.add(key);
            } else if (row == null && !firstSight && !any && (broker == null || broker.quantity().signum() == 0)) {
                continue; // flat and nothing happened
            } else if (skipUnchanged && row != null && !firstSight && !facts.passive.containsKey(key)
                    && sameMarketValues(row, broker)) {
                unchanged++; // an unchanged touch: nothing to confirm, resolve, store or write
                continue;
            }
            handOn.add(key);
        }
        return new RunFacts(stored, brokerPositions, facts, active, handOn, unchanged,
                conflicts(reported.executions(), stored));
    }

    /** The instruments counted as unchanged instead of handed on (they count as unchanged in the run's summary). */
    public int unchanged() {
        return unchanged;
    }

    /** The conflicts of applied fills reported again with other content. */
    public ExecutionConflicts conflicts() {
        return conflicts;
    }

    /**
     * What the active keys need of the ledger. The refold of an active key reaches back to the earliest lifecycle a
     * fact touches (a correction or a late commission of its fills, an estimate or a commission still waiting, a
     * fill reported late, an execution of the day the daily cross-check sums) and takes every lifecycle after it:
     * a suffix of the key's chain.
     */
    public LedgerRequest ledgerRequest() {
        Map<PositionKey, Instant> since = new HashMap<>();
        Set<Long> openIds = new LinkedHashSet<>();
        for (PositionKey key : active) {
            for (BrokerExecution fill : executions.newFills.getOrDefault(key, List.of())) {
                if (fill.time() != null) {
                    since.merge(key, fill.time(), RunFacts::earlier);
                }
            }
            Instant firstOfDay = executions.firstOfDay.get(key);
            if (firstOfDay != null && brokerPositions.containsKey(key)
                    && brokerPositions.get(key).brokerRealizedPnl() != null) {
                since.merge(key, firstOfDay, RunFacts::earlier);
            }
            StoredPosition row = stored.open().get(key);
            if (row != null) {
                openIds.add(row.id());
            }
        }
        return new LedgerRequest(active, openIds, executions.touchedExecIds(), since);
    }

    /**
     * The facts of every instrument handed on, in order, with the ledger the store read for
     * {@link #ledgerRequest()}.
     */
    public List<InstrumentFacts> instruments(StoredLedger ledger) {
        Map<PositionKey, List<Lifecycle>> adjustable = new HashMap<>();
        for (StoredPosition row : ledger.others()) {
            if (row.status() == PositionStatus.CLOSED) {
                adjustable.computeIfAbsent(row.key(), k -> new ArrayList<>())
                        .add(new Lifecycle(row, ledger.entries().getOrDefault(row.id(), List.of())));
            }
        }
        Set<String> known = stored.accountsFirstSeen().keySet();
        List<InstrumentFacts> result = new ArrayList<>(handOn.size());
        for (PositionKey key : handOn) {
            StoredPosition row = stored.open().get(key);
            SnapshotPosition broker = brokerPositions.get(key);
            boolean firstSight = !known.contains(key.account());
            boolean isActive = active.contains(key);
            List<BrokerExecution> newFills = executions.newFills.getOrDefault(key, List.of());
            result.add(new InstrumentFacts(key, broker, row,
                    row != null && isActive ? ledger.entries().getOrDefault(row.id(), List.of()) : null,
                    isActive ? adjustable.getOrDefault(key, List.of()) : List.of(),
                    newFills,
                    executions.corrections.getOrDefault(key, Map.of()),
                    executions.lateCommissions.getOrDefault(key, List.of()),
                    executions.passive.getOrDefault(key, List.of()),
                    deferredAmong(newFills, executions.deferredBefore),
                    firstSight,
                    stored.openBreaks().getOrDefault(key, Set.of()),
                    isActive ? executions.dayExecIds.getOrDefault(key, Set.of()) : Set.of()));
        }
        return result;
    }

    /**
     * Applied (or covered) fills {@code reported} again with another side, shares, price or time, without a
     * correction: those not raised already (an open conflict with the same note), and the execIds of open conflicts
     * the broker now reports as they were applied.
     */
    static ExecutionConflicts conflicts(List<BrokerExecution> reported, StoredState stored) {
        Map<String, BrokerExecution> byId = new LinkedHashMap<>();
        reported.forEach(e -> byId.put(e.execId(), e));
        List<ExecutionConflict> found = new ArrayList<>();
        for (BrokerExecution execution : byId.values()) {
            StoredExecution same = stored.executions().get(execution.execId());
            if (same != null && (same.state() == ExecutionState.APPLIED || same.state() == ExecutionState.COVERED)
                    && ExecutionConflict.differs(same.execution(), execution)) {
                found.add(new ExecutionConflict(same, execution));
            }
        }
        Map<String, Set<String>> open = stored.openExecutionConflicts();
        if (found.isEmpty() && open.isEmpty()) {
            return ExecutionConflicts.NONE;
        }
        List<ExecutionConflict> raised = found.stream()
                .filter(c -> !open.getOrDefault(c.reported().execId(), Set.of()).contains(c.describe())).toList();
        Set<String> conflicting = new HashSet<>();
        found.forEach(c -> conflicting.add(c.reported().execId()));
        Set<String> agreeing = new HashSet<>();
        for (BrokerExecution execution : reported) {
            if (open.containsKey(execution.execId()) && !conflicting.contains(execution.execId())) {
                agreeing.add(execution.execId());
            }
        }
        return new ExecutionConflicts(raised, agreeing);
    }

    /**
     * The execIds among {@code newFills} an earlier run deferred: an instrument is given its own (its facts copy
     * the set, and most instruments have no new fill at all).
     */
    private static Set<String> deferredAmong(List<BrokerExecution> newFills, Set<String> deferredBefore) {
        if (newFills.isEmpty() || deferredBefore.isEmpty()) {
            return Set.of();
        }
        Set<String> deferred = new HashSet<>();
        for (BrokerExecution fill : newFills) {
            if (deferredBefore.contains(fill.execId())) {
                deferred.add(fill.execId());
            }
        }
        return deferred;
    }

    private static Instant earlier(Instant a, Instant b) {
        return b.isBefore(a) ? b : a;
    }

    /** The broker's keys, then the others: the order the instruments are reconciled and written in. */
    private static final class KeysInOrder implements Iterator<PositionKey> {
        private final Iterator<PositionKey> broker;
        private final Iterator<PositionKey> others;

        KeysInOrder(List<PositionKey> broker, List<PositionKey> others) {
            this.broker = broker.iterator();
            this.others = others.iterator();
        }

        @Override
        public boolean hasNext() {
            return broker.hasNext() || others.hasNext();
        }

        @Override
        public PositionKey next() {
            return broker.hasNext() ? broker.next() : others.next();
        }
    }

    /**
     * The touch of {@code row} leaves its market values as stored: the broker's price and unrealized P&L (a
     * missing one keeps the stored value) equal the stored ones as numbers, as a touch compares them.
     */
    static boolean sameMarketValues(StoredPosition row, SnapshotPosition broker) {
        if (broker == null) {
            return true;
        }
        return (broker.marketPrice() == null || sameAmount(broker.marketPrice(), row.marketPrice()))
                && (broker.unrealizedPnl() == null || sameAmount(broker.unrealizedPnl(), row.unrealizedPnl()));
    }

    private static boolean sameAmount(BigDecimal broker, BigDecimal stored) {
        return stored != null && broker.compareTo(stored) == 0;
    }

    private static boolean contradicts(StoredPosition row, SnapshotPosition broker, BigDecimal tolerance) {
        BigDecimal brokerQuantity = broker == null ? BigDecimal.ZERO : broker.quantity();
        if (row == null) {
            return brokerQuantity.signum() != 0;
        }
        if (row.quantity().compareTo(brokerQuantity) != 0) {
            return true;
        }
        return broker != null && broker.averagePrice() != null && row.averagePrice() != null
                && row.averagePrice().subtract(broker.averagePrice()).abs().compareTo(tolerance) > 0;
    }

    private static PositionKey key(BrokerExecution execution) {
        return new PositionKey(execution.account(), execution.conId());
    }

    /** The snapshot's executions sorted into what they mean for the ledger, by key. */
    private static final class Executions {
        final Map<PositionKey, List<BrokerExecution>> newFills = new HashMap<>();
        final Map<PositionKey, Map<String, BrokerExecution>> corrections = new HashMap<>();
        final Map<PositionKey, List<BrokerExecution>> lateCommissions = new HashMap<>();
        final Map<PositionKey, List<ExecutionRecord>> passive = new HashMap<>();
        final Set<String> deferredBefore = new HashSet<>();
        /** Every execution of each key the snapshot lists (IB's day), and the earliest one's time. */
        final Map<PositionKey, Set<String>> dayExecIds = new HashMap<>();
        final Map<PositionKey, Instant> firstOfDay = new HashMap<>();

        Set<PositionKey> keys() {
            Set<PositionKey> keys = new LinkedHashSet<>(newFills.keySet());
            keys.addAll(corrections.keySet());
            keys.addAll(lateCommissions.keySet());
            keys.addAll(passive.keySet());
            return keys;
        }

        boolean any(PositionKey key) {
            return newFills.containsKey(key) || corrections.containsKey(key) || lateCommissions.containsKey(key);
        }

        Set<String> touchedExecIds() {
            Set<String> ids = new HashSet<>();
            corrections.values().forEach(map -> ids.addAll(map.keySet()));
            lateCommissions.values().forEach(list -> list.forEach(e -> ids.add(e.execId())));
            return ids;
        }

        void add(Map<PositionKey, List<BrokerExecution>> into, BrokerExecution execution) {
            into.computeIfAbsent(key(execution), k -> new ArrayList<>()).add(execution);
        }

        void keep(BrokerExecution execution, String supersedes, ExecutionState state) {
            passive.computeIfAbsent(key(execution), k -> new ArrayList<>())
                    .add(new ExecutionRecord(execution, supersedes, state));
        }

        static Executions classify(List<BrokerExecution> reported, StoredState state) {
            Executions facts = new Executions();
            Map<String, StoredExecution> stored = new HashMap<>(state.executions());
            Map<String, StoredExecution> waiting = state.notYetApplied();
            stored.putAll(waiting);
            Map<String, StoredExecution> latestByBase = new HashMap<>();
            for (StoredExecution e : stored.values()) {
                latestByBase.merge(ExecIds.base(e.execId()), e,
                        (a, b) -> ExecIds.revision(b.execId()) > ExecIds.revision(a.execId()) ? b : a);
            }
            Set<String> reportedIds = new HashSet<>();
            for (BrokerExecution execution : reported) {
                reportedIds.add(execution.execId());
                facts.dayExecIds.computeIfAbsent(key(execution), k -> new HashSet<>()).add(execution.execId());
                if (execution.time() != null) {
                    facts.firstOfDay.merge(key(execution), execution.time(), RunFacts::earlier);
                }
                StoredExecution same = stored.get(execution.execId());
                if (same != null) {
                    if (same.state() == ExecutionState.SEEN) {
                        facts.add(facts.newFills, withStoredCommission(execution, same));
                        facts.deferredBefore.add(execution.execId());
                    } else if (same.state() == ExecutionState.APPLIED && same.execution().commission() == null
                            && execution.commission() != null) {
                        facts.add(facts.lateCommissions, execution);
                    } else {
                        facts.keep(execution, null, ExecutionState.SEEN);
                    }
                    continue;
                }
                StoredExecution other = latestByBase.get(execution.baseExecId());
                Instant accountSeen = state.accountsFirstSeen().get(execution.account());
                if (other == null && accountSeen != null && execution.time() != null
                        && execution.time().isBefore(accountSeen.truncatedTo(ChronoUnit.SECONDS))) {
                    // reported late, but executed before the account's first sight (broker times have whole
                    // seconds: only an earlier second is surely before it): its opening balances hold it
                    facts.keep(execution, null, ExecutionState.COVERED);
                } else if (other == null) {
                    facts.add(facts.newFills, execution);
                } else if (!ExecIds.supersedes(execution.execId(), other.execId())) {
                    continue; // an older revision replayed after its correction
                } else if (other.state() == ExecutionState.APPLIED) {
                    facts.corrections.computeIfAbsent(key(execution), k -> new LinkedHashMap<>())
                            .put(other.execId(), execution);
                } else if (other.state() == ExecutionState.SEEN) {
                    // corrects a fill not applied yet: the correction is the new fill, the old row is superseded
                    facts.add(facts.newFills, execution);
                    facts.keep(execution, other.execId(), ExecutionState.SEEN);
                    reportedIds.add(other.execId());
                } else {
                    facts.keep(execution, other.execId(), other.state() == ExecutionState.COVERED
                            ? ExecutionState.COVERED : ExecutionState.SEEN);
                }
            }
            // Deferred fills the snapshot no longer lists (the broker's day moved on) are still applied.
            for (StoredExecution e : waiting.values()) {
                if (!reportedIds.contains(e.execId())) {
                    facts.add(facts.newFills, e.execution());
                    facts.deferredBefore.add(e.execId());
                }
            }
            for (List<BrokerExecution> fills : facts.newFills.values()) {
                fills.sort(SnapshotExecutions.OLDEST_FIRST);
            }
            return facts;
        }

        /** A stored fill reported again keeps the commission report it already had. */
        private static BrokerExecution withStoredCommission(BrokerExecution reported, StoredExecution stored) {
            if (reported.commission() == null && stored.execution().commission() != null) {
                BrokerExecution s = stored.execution();
                return reported.withCommission(s.commission(), s.commissionCurrency(), s.realizedPnl());
            }
            return reported;
        }
    }
}
