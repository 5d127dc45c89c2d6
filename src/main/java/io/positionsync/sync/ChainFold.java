package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The refold of reconcile-and-pnl version 3: the facts of one {@code (account, conId)}, in order, folded into its
 * chain of lifecycles. The stored chain is always what this function gives for the stored facts, so a late fact
 * (a fill reported a day late, a correction, a commission report, an exchange rate) changes the result exactly as
 * if it had been known from the start, and the result does not depend on how many runs saw the facts.
 *
 * <p>The facts, and their order (time, then rank, then id):
 * <table>
 *   <caption>facts of a key</caption>
 *   <tr><th>fact</th><th>sits at</th><th>fold</th></tr>
 *   <tr><td>opening balance (first sight)</td><td>its run</td><td>starts a lifecycle as it stands</td></tr>
 *   <tr><td>fill (a whole execution)</td><td>its execution time; a fill a run deferred: after that run's
 *       observation</td><td>{@link FillLedger}; through zero it closes the lifecycle at its time and opens the next
 *       one with the rest (commission split by quantity)</td></tr>
 *   <tr><td>observation: what the broker reported at a run that had to estimate, reset or split</td><td>that run
 *       (after every fill the run applied)</td><td>compared again: a split by its stored ratio; a quantity the
 *       fills before it do not explain becomes an estimated fill; then an average beyond the tolerance (no
 *       commission pending) becomes an average reset</td></tr>
 *   <tr><td>an estimate or reset stored before version 3 (no observation)</td><td>its run</td><td>as it
 *       stands</td></tr>
 * </table>
 * Estimates and resets are not facts of their own: they are what an observation still needs once the facts before
 * it are folded. A late real fill before an observation therefore shrinks or removes its estimate, and a reset the
 * facts explain disappears.
 *
 * <p>Pure: no state, no I/O; every amount unrounded ({@link FillLedger#stored} rounds once, when stored).
 */
public final class ChainFold {

    private ChainFold() {
    }

    /**
     * What the broker reported at one run, where the fold is compared with it.
     *
     * @param at          where it sits in the fold
     * @param quantity    the broker's quantity (0 when a complete snapshot did not list the key)
     * @param average     the broker's per-unit average, {@code null} when unknown
     * @param market      the market price for an estimated reduction: the snapshot's, else the last one stored
     * @param splitRatio  a split found at this run (new quantity / old), {@code null} when none
     * @param detectSplit the run may recognise a split here (no fill of the key in the run)
     * @param compared    the fold is compared with the broker's figures here; {@code false} for a split whose
     *                    observation later facts voided (the split itself is a fact and stays)
     */
    public record Observation(long runId, Instant at, BigDecimal quantity, BigDecimal average, BigDecimal market,
            BigDecimal splitRatio, boolean detectSplit, boolean compared) {

        public Observation(long runId, Instant at, BigDecimal quantity, BigDecimal average, BigDecimal market,
                BigDecimal splitRatio, boolean detectSplit) {
            this(runId, at, quantity, average, market, splitRatio, detectSplit, true);
        }

        /** Only the split this observation found: nothing is compared here any more. */
        public Observation splitOnly() {
            return new Observation(runId, at, quantity, average, market, splitRatio, false, false);
        }
    }

    /** One lifecycle of the chain. {@code openingKey} names its opening fact (ids follow it across refolds). */
    public record Folded(String openingKey, List<LedgerEntry> entries, LedgerState state, Instant openedAt,
            Instant closedAt, BigDecimal peak) {

        public boolean closed() {
            return closedAt != null;
        }
    }

    /**
     * What one observation needed: the ledger's quantity before it, the estimated fill (signed; zero for none),
     * the ledger's average where a reset replaced it ({@code null} for none), a split ratio, and whether an
     * estimated reduction had no price at all.
     */
    public record Outcome(Observation observation, BigDecimal ledgerQuantity, BigDecimal estimated,
            BigDecimal resetFrom, BigDecimal splitRatio, boolean noPrice) {

        public boolean changedAnything() {
            return estimated.signum() != 0 || resetFrom != null || splitRatio != null;
        }
    }

    /** One execution's realized P&L in the fold (its commission included) and IB's figure for it. */
    public record ExecutionPnl(String execId, Instant time, BigDecimal realized, boolean reduced,
            BigDecimal brokerRealized) {
    }

    /** The chain and what each observation and execution came to. */
    public record Result(List<Folded> lifecycles, List<Outcome> outcomes, Map<String, ExecutionPnl> executions) {

        public Folded last() {
            return lifecycles.isEmpty() ? null : lifecycles.get(lifecycles.size() - 1);
        }

        /** The quantity the chain ends with. */
        public BigDecimal quantity() {
            Folded last = last();
            return last == null || last.closed() ? BigDecimal.ZERO : last.state().quantity();
        }
    }

    private static final int RANK_OPENING = 0;
    private static final int RANK_FILL = 1;
    private static final int RANK_OBSERVATION = 2;
    private static final int RANK_AFTER_OBSERVATION = 3;

    private record Fact(Instant at, int rank, String tie, LedgerEntry entry, Observation observation) {
    }

    private static final Comparator<Fact> ORDER = Comparator.comparing(Fact::at, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparingInt(Fact::rank).thenComparing(Fact::tie);

    /**
     * Folds {@code entries} (opening balances, whole fills, entries stored before version 3) and {@code observations}
     * in order.
     */
    public static Result fold(List<LedgerEntry> entries, List<Observation> observations, BigDecimal multiplier,
            BigDecimal tolerance) {
        return fold(entries, observations, multiplier, tolerance, Map.of());
    }

    /**
     * As {@link #fold(List, List, BigDecimal, BigDecimal)}, with the places of fills stored before version 3 out of
     * time order ({@link #storedPlaces}): such a fill (execId -> the place) sits where version 2 folded it, after
     * every fact of that instant, so a version-2 chain folds back to itself.
     */
    public static Result fold(List<LedgerEntry> entries, List<Observation> observations, BigDecimal multiplier,
            BigDecimal tolerance, Map<String, Instant> storedPlaces) {
        List<Fact> facts = new ArrayList<>(entries.size() + observations.size());
        int sequence = 0;
        for (LedgerEntry entry : entries) {
            String tie = entry.execId() != null ? entry.execId() : String.format("~%08d", sequence);
            sequence++;
            Instant stored = entry.kind() == EntryKind.FILL && entry.foldTime() == null && entry.execId() != null
                    ? storedPlaces.get(entry.execId()) : null;
            if (stored != null) {
                facts.add(new Fact(stored, RANK_AFTER_OBSERVATION, tie, entry, null));
                continue;
            }
            facts.add(new Fact(sortTime(entry), rankOf(entry), tie, entry, null));
        }
        for (Observation observation : observations) {
            facts.add(new Fact(observation.at(), RANK_OBSERVATION, String.format("%020d", observation.runId()), null,
                    observation));
        }
        facts.sort(ORDER);
        Pass pass = new Pass(FillLedger.effectiveMultiplier(multiplier), tolerance);
        for (Fact fact : facts) {
            if (fact.observation() != null) {
                pass.observe(fact.observation());
            } else {
                pass.fact(fact.entry());
            }
        }
        return pass.result();
    }

    private static int rankOf(LedgerEntry entry) {
        return switch (entry.kind()) {
            case OPENING_BALANCE -> RANK_OPENING;
            case FILL -> entry.foldTime() != null ? RANK_AFTER_OBSERVATION : RANK_FILL;
            default -> RANK_FILL;
        };
    }

    /**
     * Where an entry sits in time. An opening balance holds every fill of an earlier second (broker times have whole
     * seconds): it sits at the start of its run's second, before the fills of that second.
     */
    private static Instant sortTime(LedgerEntry entry) {
        return entry.kind() == EntryKind.OPENING_BALANCE && entry.orderTime() != null
                ? entry.orderTime().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) : entry.orderTime();
    }

    /**
     * Fills of a stored chain (its lifecycles oldest first, each one's entries in their stored order) that sit
     * before an earlier fact of the chain: execId -> the time of the latest fact before it. Version 2 appended a fill
     * reported late at the end of the open lifecycle (or in the slot of the estimate it replaced), so its stored
     * order is not its time order; the version-2 figures are the fold in stored order. A chain written by version 3
     * is stored in fold order and has none. Entries derived from an observation are skipped (re-derived anyway).
     */
    public static Map<String, Instant> storedPlaces(List<List<LedgerEntry>> chain) {
        Map<String, Instant> places = new LinkedHashMap<>();
        Instant latest = null;
        for (List<LedgerEntry> lifecycle : chain) {
            for (LedgerEntry entry : lifecycle) {
                if (entry.derived()) {
                    continue;
                }
                Instant at = sortTime(entry);
                if (at == null) {
                    continue;
                }
                if (latest != null && at.isBefore(latest) && entry.kind() == EntryKind.FILL && entry.foldTime() == null
                        && entry.execId() != null) {
                    places.putIfAbsent(entry.execId(), latest);
                } else if (latest == null || at.isAfter(latest)) {
                    latest = at;
                }
            }
        }
        return places;
    }

    /** The key of a lifecycle's opening fact, from its first entry. */
    public static String openingKey(LedgerEntry first) {
        return switch (first.kind()) {
            case OPENING_BALANCE -> "OB:" + first.time();
            case FILL -> "F:" + ExecIds.base(first.execId());
            default -> "E:" + first.orderTime();
        };
    }

    private static final class Building {
        final String openingKey;
        final List<LedgerEntry> entries = new ArrayList<>();
        LedgerState state = LedgerState.FLAT;
        final Instant openedAt;
        Instant closedAt;
        BigDecimal peak = BigDecimal.ZERO;

        Building(String openingKey, Instant openedAt) {
            this.openingKey = openingKey;
            this.openedAt = openedAt;
        }

        boolean live() {
            return closedAt == null;
        }

        boolean commissionPending() {
            for (LedgerEntry entry : entries) {
                if (entry.kind() == EntryKind.FILL && entry.commissionPending()) {
                    return true;
                }
            }
            return false;
        }

        Folded done() {
            return new Folded(openingKey, List.copyOf(entries), state, openedAt, closedAt, peak);
        }
    }

    private static final class Pass {
        private final BigDecimal multiplier;
        private final BigDecimal tolerance;
        private final List<Building> chain = new ArrayList<>();
        private final List<Outcome> outcomes = new ArrayList<>();
        private final Map<String, ExecutionPnl> executions = new LinkedHashMap<>();
        private Building current;

        Pass(BigDecimal multiplier, BigDecimal tolerance) {
            this.multiplier = multiplier;
            this.tolerance = tolerance;
        }

        Result result() {
            List<Folded> lifecycles = new ArrayList<>(chain.size());
            for (Building building : chain) {
                lifecycles.add(building.done());
            }
            return new Result(lifecycles, outcomes, executions);
        }

        private boolean live() {
            return current != null && current.live();
        }

        private Building open(String key, Instant at) {
            current = new Building(key, at);
            chain.add(current);
            return current;
        }

        void fact(LedgerEntry entry) {
            switch (entry.kind()) {
                case OPENING_BALANCE -> {
                    Building building = open(openingKey(entry), entry.time());
                    apply(building, entry);
                }
                case AVERAGE_RESET, SPLIT -> {
                    if (live()) {
                        apply(current, entry);
                    }
                }
                default -> trade(entry);
            }
        }

        /** A fill or an estimate: onto the open lifecycle, or opening one; through zero, split in two. */
        private void trade(LedgerEntry entry) {
            Instant at = entry.time() != null ? entry.time() : entry.orderTime();
            if (!live()) {
                open(openingKey(entry), at);
            }
            LedgerState state = current.state;
            if (FillLedger.reduces(state, entry) && entry.quantity().abs().compareTo(state.quantity().abs()) > 0) {
                LedgerEntry[] legs = entry.split(state.quantity().abs(), FillLedger.WORKING);
                apply(current, legs[0]);
                close(current, at);
                open(openingKey(entry), at);
                // IB's realized figure belongs to the closing share
                apply(current, legs[1].withCommission(legs[1].commission(), legs[1].commissionPending(),
                        legs[1].commissionRaw(), legs[1].commissionCurrency(), null));
                return;
            }
            apply(current, entry);
            if (current.state.flat()) {
                close(current, at);
            }
        }

        private void apply(Building building, LedgerEntry entry) {
            LedgerState before = building.state;
            building.entries.add(entry);
            building.state = FillLedger.apply(before, entry, multiplier);
            if (building.state.quantity().abs().compareTo(building.peak.abs()) > 0) {
                building.peak = building.state.quantity();
            }
            if (entry.kind() == EntryKind.FILL) {
                boolean reduces = FillLedger.reduces(before, entry);
                BigDecimal realized = building.state.realized().subtract(before.realized());
                executions.merge(entry.execId(),
                        new ExecutionPnl(entry.execId(), entry.time(), reduces ? realized : BigDecimal.ZERO, reduces,
                                entry.brokerRealizedPnl()),
                        (a, b) -> new ExecutionPnl(a.execId(), a.time(), a.realized().add(b.realized()),
                                a.reduced() || b.reduced(),
                                a.brokerRealized() != null ? a.brokerRealized() : b.brokerRealized()));
            }
        }

        /** Closes at the fill's time; never before the lifecycle opened (broker times have whole seconds). */
        private static void close(Building building, Instant at) {
            building.closedAt = building.openedAt != null && at.isBefore(building.openedAt) ? building.openedAt : at;
        }

        void observe(Observation o) {
            BigDecimal ledger = live() ? current.state.quantity() : BigDecimal.ZERO;
            BigDecimal splitRatio = null;
            if (live() && o.splitRatio() != null) {
                splitRatio = o.splitRatio();
            } else if (live() && o.detectSplit() && isSplit(current.state, o)) {
                splitRatio = o.quantity().divide(ledger, FillLedger.WORKING);
            }
            if (splitRatio != null) {
                LedgerEntry split = LedgerEntry.split(o.at(), splitRatio, o.runId());
                // a split whose observation was voided is a fact on its own: stored without the observation
                apply(current, o.compared() ? split.observed(o.quantity(), o.average(), o.market()) : split);
            }
            if (!o.compared()) {
                outcomes.add(new Outcome(o, ledger, BigDecimal.ZERO, null, splitRatio, false));
                return;
            }
            BigDecimal held = live() ? current.state.quantity() : BigDecimal.ZERO;
            BigDecimal difference = o.quantity().subtract(held);
            boolean noPrice = false;
            if (difference.signum() != 0) {
                noPrice = estimate(o, held, difference);
            }
            BigDecimal resetFrom = null;
            if (live() && current.state.quantity().compareTo(o.quantity()) == 0 && o.average() != null
                    && current.state.average() != null && !current.commissionPending()
                    && current.state.average().subtract(o.average()).abs().compareTo(tolerance) > 0) {
                resetFrom = current.state.average();
                apply(current, LedgerEntry.averageReset(o.at(), o.average(), o.runId())
                        .observed(o.quantity(), o.average(), o.market()));
            }
            outcomes.add(new Outcome(o, ledger, difference, resetFrom, splitRatio, noPrice));
        }

        /** Quantity changed, same sign, and the cost basis did not: {@code Q_b * A_b = Q * A} within the tolerance. */
        private boolean isSplit(LedgerState state, Observation o) {
            BigDecimal q = state.quantity();
            if (o.average() == null || state.average() == null || o.quantity().signum() == 0
                    || o.quantity().signum() != q.signum() || o.quantity().compareTo(q) == 0) {
                return false;
            }
            BigDecimal ours = q.multiply(state.average());
            BigDecimal broker = o.quantity().multiply(o.average());
            return ours.subtract(broker).abs().compareTo(tolerance.multiply(o.quantity().abs())) <= 0;
        }

        /**
         * An estimated fill of {@code difference}: an add priced so the average ends at the broker's; a reduction at
         * the observation's market price (else at the average, realizing 0: then true is returned).
         */
        private boolean estimate(Observation o, BigDecimal held, BigDecimal difference) {
            boolean noPrice = false;
            if (held.signum() == 0 || held.signum() == difference.signum()) {
                LedgerState state = live() ? current.state : LedgerState.FLAT;
                trade(estimateEntry(o, difference, addPrice(state, difference, o)));
                return false;
            }
            BigDecimal reduce = difference.abs().min(held.abs());
            BigDecimal price = o.market();
            if (price == null) {
                price = current.state.average();
                noPrice = true;
            }
            trade(estimateEntry(o, reduce.multiply(BigDecimal.valueOf(difference.signum())), price));
            BigDecimal rest = difference.abs().subtract(reduce);
            if (rest.signum() > 0) {
                BigDecimal signedRest = rest.multiply(BigDecimal.valueOf(difference.signum()));
                trade(estimateEntry(o, signedRest, addPrice(LedgerState.FLAT, signedRest, o)));
            }
            return noPrice;
        }

        private static LedgerEntry estimateEntry(Observation o, BigDecimal quantity, BigDecimal price) {
            return LedgerEntry.estimate(o.at(), quantity, price, o.runId())
                    .observed(o.quantity(), o.average(), o.market());
        }

        private static BigDecimal addPrice(LedgerState state, BigDecimal quantity, Observation o) {
            if (o.average() != null) {
                BigDecimal held = state.quantity().abs();
                BigDecimal cost = held.signum() == 0 ? BigDecimal.ZERO : held.multiply(state.average());
                return o.average().multiply(held.add(quantity.abs())).subtract(cost)
                        .divide(quantity.abs(), FillLedger.WORKING);
            }
            if (o.market() != null) {
                return o.market();
            }
            return state.average() != null ? state.average() : BigDecimal.ZERO;
        }
    }
}
