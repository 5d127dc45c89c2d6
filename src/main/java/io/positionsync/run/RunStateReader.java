package io.positionsync.run;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.ExchangeRate;
import io.positionsync.sync.ExecIds;
import io.positionsync.store.AccountRepository;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.LedgerRepository;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.StoredExecution;
import io.positionsync.sync.BreakKind;
import io.positionsync.sync.BreakRef;
import io.positionsync.sync.ExecutionRecord;
import io.positionsync.sync.ExecutionState;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.LedgerEntry;
import io.positionsync.sync.Lifecycle;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.SnapshotExecutions;
import io.positionsync.sync.SnapshotPosition;
import io.positionsync.sync.SnapshotTransformer;
import io.positionsync.sync.StoredPosition;

/**
 * Reads what a run needs from the database, in one consistent read, and turns the snapshot into one
 * {@link InstrumentFacts} per instrument (the items of the split):
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
 */
final class RunStateReader {
    private final PositionRepository positions;
    private final ExecutionRepository executions;
    private final BreakRepository breaks;
    private final LedgerRepository ledger;
    private final AccountRepository accounts;
    private final SnapshotTransformer transformer;

    RunStateReader(PositionRepository positions, ExecutionRepository executions, BreakRepository breaks,
            LedgerRepository ledger, AccountRepository accounts, SnapshotTransformer transformer) {
        this.positions = positions;
        this.executions = executions;
        this.breaks = breaks;
        this.ledger = ledger;
        this.accounts = accounts;
        this.transformer = transformer;
    }

    /**
     * What the read needs of a complete snapshot, taken from it before the stored state is read, so that the
     * snapshot's messages need not be held meanwhile.
     *
     * @param positions  one record per instrument, sorted by account then conId
     * @param executions the snapshot's executions, deduplicated, corrections applied
     */
    record Reported(List<String> accounts, List<SnapshotPosition> positions, List<BrokerExecution> executions) {
    }

    /** What {@link #read} needs of {@code snapshot}. */
    Reported reported(BrokerSnapshot snapshot) {
        return new Reported(snapshot.accounts(), transformer.positions(snapshot),
                SnapshotExecutions.of(snapshot.executions()).all());
    }

    /**
     * What the read hands on: the facts of every instrument reconcile must see, and how many instruments it left
     * out as unchanged (they count as unchanged in the run's summary).
     */
    record Prepared(List<InstrumentFacts> facts, int unchanged) {
    }

    /**
     * The facts of every instrument that can change, read on {@code connection}; with {@code skipUnchanged}, the
     * instruments reconcile could only leave unchanged are counted instead (see the class comment).
     */
    Prepared read(Connection connection, Reported snapshot, BigDecimal tolerance, boolean skipUnchanged)
            throws SQLException {
        Set<String> snapshotAccounts = new HashSet<>(snapshot.accounts());
        List<SnapshotPosition> reported = snapshot.positions(); // sorted: the order of the instruments
        Map<PositionKey, SnapshotPosition> brokerPositions = new HashMap<>(reported.size() * 4 / 3 + 1);
        List<PositionKey> brokerKeys = new ArrayList<>(reported.size());
        for (SnapshotPosition position : reported) {
            snapshotAccounts.add(position.account());
            PositionKey key = position.key();
            brokerKeys.add(key);
            brokerPositions.put(key, position);
        }
        Map<PositionKey, StoredPosition> open = positions.loadOpen(connection);
        Map<String, java.time.Instant> firstSeen = accounts.firstSeen(connection);
        Set<String> known = firstSeen.keySet();
        Map<PositionKey, Set<BreakRef>> openBreaks = breaks.openRefs(connection);

        Facts facts = classify(connection, snapshot, firstSeen);

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
        // left out (flat and nothing happened); only the keys handed on are looked up again below.
        Set<PositionKey> active = new LinkedHashSet<>();
        List<PositionKey> handOn = new ArrayList<>();
        int unchanged = 0;
        for (PositionKey key : keys) {
            StoredPosition row = open.get(key);
            SnapshotPosition broker = brokerPositions.get(key);
            boolean firstSight = !known.contains(key.account());
            boolean any = facts.any(key);
            // a key with an open break is looked at closely too: this run may resolve it
            boolean isActive = !firstSight && (any || contradicts(row, broker, tolerance) || openBreaks.containsKey(key));
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

        // The refold of an active key reaches back to the earliest lifecycle a fact touches (a correction or a late
        // commission of its fills, an estimate or a commission still waiting, a fill reported late, an execution of
        // the day the daily cross-check sums) and takes every lifecycle after it: a suffix of the key's chain.
        Set<Long> touched = new LinkedHashSet<>();
        touched.addAll(ledger.lifecyclesOf(connection, facts.touchedExecIds()));
        touched.addAll(ledger.waitingLifecycles(connection, active));
        Map<PositionKey, java.time.Instant> since = new HashMap<>();
        for (StoredPosition row : positions.findByIds(connection, touched).values()) {
            if (active.contains(row.key()) && row.openedAt() != null) {
                since.merge(row.key(), row.openedAt(), (a, b) -> b.isBefore(a) ? b : a);
            }
        }
        for (PositionKey key : active) {
            for (BrokerExecution fill : facts.newFills.getOrDefault(key, List.of())) {
                if (fill.time() != null) {
                    since.merge(key, fill.time(), (a, b) -> b.isBefore(a) ? b : a);
                }
            }
            java.time.Instant firstOfDay = facts.firstOfDay.get(key);
            if (firstOfDay != null && brokerPositions.containsKey(key)
                    && brokerPositions.get(key).brokerRealizedPnl() != null) {
                since.merge(key, firstOfDay, (a, b) -> b.isBefore(a) ? b : a);
            }
        }
        Set<Long> load = new LinkedHashSet<>();
        for (PositionKey key : active) {
            StoredPosition row = open.get(key);
            if (row != null) {
                load.add(row.id());
            }
        }
        load.addAll(touched);
        load.addAll(positions.lifecyclesSince(connection, since));
        Map<Long, List<LedgerEntry>> entries = ledger.entries(connection, load);
        Set<Long> closedIds = new LinkedHashSet<>(load);
        if (!closedIds.isEmpty()) { // nothing to load, as in an unchanged portfolio: no pass over the open rows
            open.values().forEach(row -> closedIds.remove(row.id()));
        }
        Map<PositionKey, List<Lifecycle>> adjustable = new HashMap<>();
        for (StoredPosition row : positions.findByIds(connection, closedIds).values()) {
            if (row.status() == PositionStatus.CLOSED) {
                adjustable.computeIfAbsent(row.key(), k -> new ArrayList<>())
                        .add(new Lifecycle(row, entries.getOrDefault(row.id(), List.of())));
            }
        }

        List<InstrumentFacts> result = new ArrayList<>(handOn.size());
        for (PositionKey key : handOn) {
            StoredPosition row = open.get(key);
            SnapshotPosition broker = brokerPositions.get(key);
            boolean firstSight = !known.contains(key.account());
            boolean isActive = active.contains(key);
            List<BrokerExecution> newFills = facts.newFills.getOrDefault(key, List.of());
            result.add(new InstrumentFacts(key, broker, row,
                    row != null && isActive ? entries.getOrDefault(row.id(), List.of()) : null,
                    isActive ? adjustable.getOrDefault(key, List.of()) : List.of(),
                    newFills,
                    facts.corrections.getOrDefault(key, Map.of()),
                    facts.lateCommissions.getOrDefault(key, List.of()),
                    facts.passive.getOrDefault(key, List.of()),
                    deferredAmong(newFills, facts.deferredBefore),
                    firstSight,
                    openBreaks.getOrDefault(key, Set.of()),
                    isActive ? facts.dayExecIds.getOrDefault(key, Set.of()) : Set.of()));
        }
        return new Prepared(result, unchanged);
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

    /** The broker's keys, then the others: the order the instruments are reconciled and written in. */
    private static final class KeysInOrder implements java.util.Iterator<PositionKey> {
        private final java.util.Iterator<PositionKey> broker;
        private final java.util.Iterator<PositionKey> others;

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

    /** The snapshot's exchange rates: account -> currency -> base currency per unit (BASE itself excluded). */
    static Map<String, Map<String, BigDecimal>> rates(BrokerSnapshot snapshot) {
        Map<String, Map<String, BigDecimal>> rates = new TreeMap<>();
        for (ExchangeRate rate : snapshot.exchangeRates()) {
            if (!"BASE".equals(rate.currency())) {
                rates.computeIfAbsent(rate.account(), a -> new TreeMap<>()).put(rate.currency(), rate.rate());
            }
        }
        return rates;
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

    /** The snapshot's executions sorted into what they mean for the ledger, by key. */
    private static final class Facts {
        final Map<PositionKey, List<BrokerExecution>> newFills = new HashMap<>();
        final Map<PositionKey, Map<String, BrokerExecution>> corrections = new HashMap<>();
        final Map<PositionKey, List<BrokerExecution>> lateCommissions = new HashMap<>();
        final Map<PositionKey, List<ExecutionRecord>> passive = new HashMap<>();
        final Set<String> deferredBefore = new HashSet<>();
        /** Every execution of each key the snapshot lists (IB's day), and the earliest one's time. */
        final Map<PositionKey, Set<String>> dayExecIds = new HashMap<>();
        final Map<PositionKey, java.time.Instant> firstOfDay = new HashMap<>();

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
    }

    private static PositionKey key(BrokerExecution execution) {
        return new PositionKey(execution.account(), execution.conId());
    }

    private Facts classify(Connection connection, Reported snapshot, Map<String, java.time.Instant> firstSeen)
            throws SQLException {
        Facts facts = new Facts();
        List<BrokerExecution> reported = snapshot.executions();
        Set<String> bases = new HashSet<>();
        reported.forEach(e -> bases.add(e.baseExecId()));
        Map<String, StoredExecution> stored = new HashMap<>(executions.findByBases(connection, bases));
        Map<String, StoredExecution> waiting = executions.notYetApplied(connection);
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
                facts.firstOfDay.merge(key(execution), execution.time(), (a, b) -> b.isBefore(a) ? b : a);
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
            java.time.Instant accountSeen = firstSeen.get(execution.account());
            if (other == null && accountSeen != null && execution.time() != null
                    && execution.time().isBefore(accountSeen.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))) {
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
