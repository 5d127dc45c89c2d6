package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One run for one {@code (account, conId)}, as reconcile-and-pnl version 3 says: the key's stored chain is what
 * folding its facts gives ({@link ChainFold}), so the run gathers the facts, adds what it learnt, refolds from the
 * earliest lifecycle a new fact reaches, and writes the difference.
 * <ol>
 *   <li><b>Facts</b> from the stored lifecycles the run loaded (the open one and every later-reaching one): opening
 *       balances, whole fills (a flip's two shares joined again), and the observations behind stored estimates,
 *       resets and splits.</li>
 *   <li><b>Late facts</b> change them: a correction replaces its fill (quantity, price, time), a commission report
 *       or an exchange rate completes one, a fill reported late takes its own place in time.</li>
 *   <li><b>New fills</b> join at their time, except the newest ones when the ledger then overshoots the broker by
 *       exactly them (they landed after the positions reply): those are deferred, once.</li>
 *   <li><b>This run's observation</b> (the broker's quantity, average and market price) sits after every fill it
 *       saw:
 *       <table>
 *         <caption>ledger vs broker at the observation</caption>
 *         <tr><th>case</th><th>decision</th></tr>
 *         <tr><td>no fill for the key, same sign, same cost basis</td><td>SPLIT: quantity and average rebased,
 *             nothing realized</td></tr>
 *         <tr><td>quantities differ</td><td>ESTIMATE of the difference: an add priced so the average ends at the
 *             broker's; a reduction at the last known market price (MARKET_PRICE; at the average only when no price
 *             was ever known); UNEXPLAINED_QUANTITY break</td></tr>
 *         <tr><td>equal, average beyond the tolerance, no commission pending</td><td>AVERAGE_RESET,
 *             AVERAGE_MISMATCH break</td></tr>
 *       </table></li>
 *   <li><b>Write</b>: lifecycles keep their ids where their opening fact is unchanged; a changed one is rewritten
 *       (history ADJUSTED when late facts changed it, INCREASED / REDUCED / CLOSED / SPLIT when the run only added
 *       to it); one the refold dissolved becomes VOID.</li>
 *   <li><b>Breaks</b> name what they compare (an execution, a day, an observation) and resolve only when that same
 *       comparison agrees again.</li>
 * </ol>
 * The first sight of an account takes every non-zero broker position as an opening balance; that day's earlier
 * fills are stored as {@link ExecutionState#COVERED}, never applied.
 *
 * <p>Stateless and thread-safe: every call works on its own facts and returns its own result.
 */
public final class InstrumentReconciler {

    /**
     * How long before a run's clock a fill may have executed and still have missed the run's positions reply (the
     * snapshot's requests take seconds; broker times have whole seconds). An older fill is never deferred.
     */
    static final java.time.Duration DEFERRAL_WINDOW = java.time.Duration.ofSeconds(60);

    public InstrumentResult reconcile(InstrumentFacts facts, RunInputs run) {
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(run, "run");
        return new Pass(facts, run).run();
    }

    private static final class Pass {
        private final InstrumentFacts facts;
        private final RunInputs run;
        private final PositionKey key;
        private final SnapshotPosition broker;
        private final String symbol;
        private final String secType;
        private final String currency;
        private final BigDecimal multiplier;

        private final Map<String, ExecutionRecord> executions = new LinkedHashMap<>();
        private final List<BreakEvent> breaks = new ArrayList<>();
        private final Set<BreakRef> resolved = new LinkedHashSet<>();
        private final List<ReconcileWarning> warnings = new ArrayList<>();
        private final List<LifecycleWrite> writes = new ArrayList<>();
        private int applied;
        private int deferred;
        private int estimated;

        Pass(InstrumentFacts facts, RunInputs run) {
            this.facts = facts;
            this.run = run;
            this.key = facts.key();
            this.broker = facts.broker();
            StoredPosition open = facts.open();
            BrokerExecution anyFill = facts.newFills().isEmpty() ? null : facts.newFills().get(0);
            this.symbol = firstNonNull(broker == null ? null : broker.symbol(), open == null ? null : open.symbol(),
                    anyFill == null ? null : anyFill.symbol(), firstAdjustable(StoredPosition::symbol), "?");
            this.secType = firstNonNull(broker == null ? null : broker.secType(), open == null ? null : open.secType(),
                    anyFill == null ? null : anyFill.secType(), firstAdjustable(StoredPosition::secType), "?");
            this.currency = firstNonNull(broker == null ? null : broker.currency(), open == null ? null : open.currency(),
                    anyFill == null ? null : anyFill.currency(), firstAdjustable(StoredPosition::currency), "?");
            BigDecimal m = broker == null ? null : broker.multiplier();
            if (m == null && open != null) {
                m = open.multiplier();
            }
            if (m == null && anyFill != null) {
                m = anyFill.multiplier();
            }
            if (m == null) {
                m = firstAdjustable(StoredPosition::multiplier);
            }
            this.multiplier = FillLedger.effectiveMultiplier(m);
        }

        private <T> T firstAdjustable(java.util.function.Function<StoredPosition, T> field) {
            return facts.adjustable().isEmpty() ? null : field.apply(facts.adjustable().get(0).row());
        }

        InstrumentResult run() {
            if (facts.firstSight()) {
                return firstSight();
            }
            if (facts.open() != null && facts.openEntries() == null) {
                return touch(facts.open());
            }
            return refold();
        }

        // ---- first sight, touch -------------------------------------------------------------------------

        private InstrumentResult firstSight() {
            if (broker != null && broker.quantity().signum() != 0) {
                BigDecimal average = broker.averagePrice();
                if (average == null) {
                    average = broker.marketPrice() != null ? broker.marketPrice() : BigDecimal.ZERO;
                    warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.NO_PRICE,
                            "no average cost from the broker: opening balance priced at " + plain(average)));
                }
                LedgerEntry balance = LedgerEntry.openingBalance(run.now(), broker.quantity(), average, null, false,
                        run.runId());
                LedgerState state = FillLedger.apply(LedgerState.FLAT, balance, multiplier);
                ChainFold.Folded folded = new ChainFold.Folded(ChainFold.openingKey(balance), List.of(balance), state,
                        run.now(), null, broker.quantity());
                writes.add(created(0, folded, true));
            }
            for (BrokerExecution fill : facts.newFills()) {
                executions.put(fill.execId(), new ExecutionRecord(fill, null, ExecutionState.COVERED));
            }
            facts.corrections().forEach((appliedId, correction) -> executions.put(correction.execId(),
                    new ExecutionRecord(correction, appliedId, ExecutionState.COVERED)));
            return result();
        }

        /** Nothing new and the broker agrees: market values and the sync time move, nothing else. */
        private InstrumentResult touch(StoredPosition open) {
            StoredPosition row = new StoredPosition(open.id(), open.account(), open.conId(), open.symbol(),
                    open.secType(), open.currency(), open.multiplier(), open.quantity(), open.averagePrice(),
                    broker != null && broker.marketPrice() != null ? broker.marketPrice() : open.marketPrice(),
                    broker != null && broker.unrealizedPnl() != null ? broker.unrealizedPnl() : open.unrealizedPnl(),
                    open.realizedPnl(), open.realizedPnlSource(), open.status(), open.openedAt(), open.closedAt(),
                    run.now());
            return new InstrumentResult(key, List.of(LifecycleWrite.touch(0, row, open)),
                    executionRecords(), List.of(), Set.of(), FillCounts.NONE, List.of());
        }

        // ---- the refold ---------------------------------------------------------------------------------

        private InstrumentResult refold() {
            List<Lifecycle> stored = new ArrayList<>(facts.adjustable());
            if (facts.open() != null) {
                stored.add(new Lifecycle(facts.open(), facts.openEntries()));
            }
            stored.sort(Comparator.comparing((Lifecycle l) -> l.row().openedAt(),
                    Comparator.nullsFirst(Comparator.naturalOrder())).thenComparingLong(l -> l.row().id()));

            // 1. the stored facts; fills version 2 stored out of time order keep their stored place
            List<List<LedgerEntry>> chain = new ArrayList<>(stored.size());
            for (Lifecycle lifecycle : stored) {
                chain.add(lifecycle.entries());
            }
            Map<String, Instant> storedPlaces = ChainFold.storedPlaces(chain);
            Map<String, LedgerEntry> fills = new LinkedHashMap<>();
            List<LedgerEntry> fixed = new ArrayList<>();
            Map<String, ChainFold.Observation> observations = new LinkedHashMap<>();
            Instant lastStored = null;
            Instant lastObservation = null;
            for (Lifecycle lifecycle : stored) {
                for (LedgerEntry entry : lifecycle.entries()) {
                    lastStored = later(lastStored, entry.orderTime());
                    if (entry.kind() == EntryKind.FILL) {
                        fills.merge(entry.execId(), entry, Pass::joinShares);
                    } else if (entry.derived()) {
                        String id = entry.runId() + "@" + entry.orderTime();
                        ChainFold.Observation seen = observations.get(id);
                        BigDecimal ratio = entry.kind() == EntryKind.SPLIT ? entry.quantity()
                                : seen == null ? null : seen.splitRatio();
                        observations.put(id, new ChainFold.Observation(entry.runId(), entry.orderTime(),
                                entry.observedQuantity(), entry.observedAverage(), entry.observedMarket(), ratio, false));
                        lastObservation = later(lastObservation, entry.orderTime());
                    } else {
                        fixed.add(entry);
                    }
                }
            }

            // 2. late facts: corrections, commission reports, exchange rates. What the broker reported after a fill
            // that changed or arrived late was measured against the fills as they stood then (the original of a
            // correction, a history without the late fill): those observations are void, and this run's observation
            // compares with the history as it is now known (what is still unexplained is estimated again, now).
            Instant voidFrom = null;
            for (Map.Entry<String, BrokerExecution> correction : facts.corrections().entrySet()) {
                BrokerExecution fill = correction.getValue();
                LedgerEntry old = fills.remove(correction.getKey());
                LedgerEntry whole = toEntry(fill);
                if (old != null) {
                    voidFrom = earlier(voidFrom, old.orderTime());
                    if (fill.time() == null) {
                        whole = whole.corrected(whole.execId(), old.time(), whole.quantity(), whole.price(),
                                whole.commission(), whole.commissionPending(), whole.fillShares(), whole.commissionRaw(),
                                whole.commissionCurrency(), whole.brokerRealizedPnl());
                    }
                    if (old.foldTime() != null) {
                        whole = whole.withFoldTime(old.foldTime());
                    }
                    applied++;
                }
                fills.put(fill.execId(), whole);
                executions.put(fill.execId(), new ExecutionRecord(fill, correction.getKey(), ExecutionState.APPLIED));
            }
            for (BrokerExecution late : facts.lateCommissions()) {
                LedgerEntry old = fills.get(late.execId());
                if (old != null && old.commissionPending()) {
                    Commission commission = commission(late);
                    fills.put(late.execId(), old.withCommission(commission.amount, commission.pending, late.commission(),
                            late.commissionCurrency(), late.realizedPnl()));
                }
                executions.put(late.execId(), new ExecutionRecord(late, null, ExecutionState.APPLIED));
            }
            for (Map.Entry<String, LedgerEntry> entry : fills.entrySet()) {
                LedgerEntry fill = entry.getValue();
                if (fill.commissionPending() && fill.commissionRaw() != null) {
                    BigDecimal converted = run.convert(key.account(), fill.commissionRaw(), fill.commissionCurrency(),
                            currency);
                    if (converted != null) {
                        entry.setValue(fill.withCommission(converted, false, fill.commissionRaw(),
                                fill.commissionCurrency(), fill.brokerRealizedPnl()));
                    }
                }
            }

            // 3. new fills: a late one takes its place in time; the newest may be deferred
            List<LedgerEntry> late = new ArrayList<>();
            List<LedgerEntry> fresh = new ArrayList<>();
            List<LedgerEntry> candidates = new ArrayList<>();
            List<LedgerEntry> sameSecond = new ArrayList<>();
            for (BrokerExecution fill : facts.newFills()) {
                LedgerEntry whole = toEntry(fill);
                if (fill.time() == null) {
                    whole = whole.withFoldTime(run.now());
                } else if (lastObservation != null && !fill.time().isAfter(lastObservation)
                        && facts.deferredBefore().contains(fill.execId())) {
                    whole = whole.withFoldTime(lastObservation); // after the observation of the run that deferred it
                } else if (lastObservation != null && !fill.time().isAfter(lastObservation)
                        && !fill.time().isBefore(lastObservation.truncatedTo(ChronoUnit.SECONDS))) {
                    sameSecond.add(whole);
                }
                candidates.add(whole);
            }
            if (!sameSecond.isEmpty() && sameSecondAfter(fills.values(), fixed, observations, sameSecond,
                    lastObservation, storedPlaces)) {
                for (int i = 0; i < candidates.size(); i++) {
                    if (sameSecond.contains(candidates.get(i))) {
                        candidates.set(i, candidates.get(i).withFoldTime(lastObservation));
                    }
                }
            }
            for (LedgerEntry whole : candidates) {
                if (lastStored != null && whole.orderTime().isBefore(lastStored)) {
                    late.add(whole);
                } else {
                    fresh.add(whole);
                }
            }
            for (LedgerEntry entry : late) {
                voidFrom = earlier(voidFrom, entry.orderTime());
            }
            if (voidFrom != null) {
                Instant from = voidFrom;
                observations.replaceAll((id, o) -> o.at().isBefore(from) || o.splitRatio() == null ? o : o.splitOnly());
                observations.values().removeIf(o -> !o.at().isBefore(from) && o.compared());
            }
            List<LedgerEntry> all = new ArrayList<>(fixed);
            all.addAll(fills.values());
            all.addAll(late);
            BigDecimal brokerQuantity = broker == null ? BigDecimal.ZERO : broker.quantity();
            BigDecimal brokerAverage = broker == null ? null : broker.averagePrice();
            BigDecimal market = lastKnownMarket(stored);
            boolean noFill = facts.newFills().isEmpty() && facts.corrections().isEmpty();

            // 4. this run's observation, after every fill it saw: folded first with every fresh fill; when the ledger
            // then overshoots the broker by exactly the newest ones, those are deferred and the chain folded again
            ChainFold.Observation current = observation(all, fresh, fresh.size(), brokerQuantity, brokerAverage, market,
                    noFill);
            ChainFold.Result folded = fold(all, fresh, fresh.size(), observations, current, storedPlaces);
            int keep = fresh.size();
            if (!fresh.isEmpty()) {
                BigDecimal before = ledgerAt(folded, current);
                for (LedgerEntry fill : fresh) {
                    before = before.subtract(fill.quantity()); // a fill moves the quantity by its size, flips included
                }
                keep = keptFills(before, fresh, brokerQuantity, facts.deferredBefore(),
                        run.now().minus(DEFERRAL_WINDOW));
                if (keep < fresh.size()) {
                    current = observation(all, fresh, keep, brokerQuantity, brokerAverage, market, noFill);
                    folded = fold(all, fresh, keep, observations, current, storedPlaces);
                }
            }
            for (LedgerEntry entry : late) {
                record(entry.execId(), ExecutionState.APPLIED);
            }
            for (int i = 0; i < fresh.size(); i++) {
                record(fresh.get(i).execId(), i < keep ? ExecutionState.APPLIED : ExecutionState.SEEN);
            }
            applied += late.size() + keep;
            deferred += fresh.size() - keep;
            if (keep < fresh.size()) {
                warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.DEFERRED_FILLS,
                        (fresh.size() - keep) + " fill(s) newer than the positions reply left for the next run"));
            }

            // 5. writes, 6. breaks
            Map<ChainFold.Folded, Integer> refs = write(stored, folded);
            observationBreaks(stored, folded, current, refs);
            executionBreaks(folded, refs);
            dailyBreak(folded, refs);
            pendingCommissions(folded, refs);
            return result();
        }

        /**
         * Whether fills whose whole second is the last stored observation's, seen only now, executed after it. Broker
         * times cannot tell; what the broker reported then can: a fill that explains (part of) what that observation
         * had to estimate was in its positions reply, one that would make it estimate more was not.
         */
        private boolean sameSecondAfter(java.util.Collection<LedgerEntry> stored, List<LedgerEntry> fixed,
                Map<String, ChainFold.Observation> observations, List<LedgerEntry> sameSecond, Instant at,
                Map<String, Instant> storedPlaces) {
            List<LedgerEntry> before = new ArrayList<>(fixed);
            before.addAll(stored);
            List<LedgerEntry> after = new ArrayList<>(before);
            before.addAll(sameSecond);
            for (LedgerEntry fill : sameSecond) {
                after.add(fill.withFoldTime(at));
            }
            List<ChainFold.Observation> all = List.copyOf(observations.values());
            BigDecimal placedBefore = estimatedAt(ChainFold.fold(before, all, multiplier, run.tolerance(), storedPlaces), at);
            BigDecimal placedAfter = estimatedAt(ChainFold.fold(after, all, multiplier, run.tolerance(), storedPlaces), at);
            return placedAfter.compareTo(placedBefore) <= 0;
        }

        private static BigDecimal estimatedAt(ChainFold.Result folded, Instant at) {
            BigDecimal total = BigDecimal.ZERO;
            for (ChainFold.Outcome outcome : folded.outcomes()) {
                if (outcome.observation().at().equals(at)) {
                    total = total.add(outcome.estimated().abs());
                }
            }
            return total;
        }

        /** This run's observation: at the run's time, or after the latest fact it folds when that is later. */
        private ChainFold.Observation observation(List<LedgerEntry> all, List<LedgerEntry> fresh, int keep,
                BigDecimal brokerQuantity, BigDecimal brokerAverage, BigDecimal market, boolean noFill) {
            Instant observedAt = run.now();
            for (LedgerEntry entry : all) {
                observedAt = later(observedAt, entry.orderTime());
            }
            for (int i = 0; i < keep; i++) {
                observedAt = later(observedAt, fresh.get(i).orderTime());
            }
            return new ChainFold.Observation(run.runId(), observedAt, brokerQuantity, brokerAverage, market, null, noFill);
        }

        /** The chain of {@code all}, the first {@code keep} fresh fills, the stored observations and this run's. */
        private ChainFold.Result fold(List<LedgerEntry> all, List<LedgerEntry> fresh, int keep,
                Map<String, ChainFold.Observation> observations, ChainFold.Observation current,
                Map<String, Instant> storedPlaces) {
            List<LedgerEntry> facts = new ArrayList<>(all);
            facts.addAll(fresh.subList(0, keep));
            List<ChainFold.Observation> allObservations = new ArrayList<>(observations.values());
            allObservations.add(current);
            return ChainFold.fold(facts, allObservations, multiplier, run.tolerance(), storedPlaces);
        }

        /** The ledger's quantity just before {@code observation} in {@code folded}. */
        private static BigDecimal ledgerAt(ChainFold.Result folded, ChainFold.Observation observation) {
            for (ChainFold.Outcome outcome : folded.outcomes()) {
                if (outcome.observation() == observation) {
                    return outcome.ledgerQuantity();
                }
            }
            throw new IllegalStateException("the run's observation is not in its own fold");
        }

        /** A flip's two shares of one execution, joined into the whole execution again. */
        private static LedgerEntry joinShares(LedgerEntry a, LedgerEntry b) {
            BigDecimal commission = a.commission() == null || b.commission() == null ? null
                    : a.commission().add(b.commission());
            return a.withQuantity(a.quantity().add(b.quantity()), commission).withCommission(commission,
                    a.commissionPending() || b.commissionPending(), a.commissionRaw(), a.commissionCurrency(),
                    a.brokerRealizedPnl() != null ? a.brokerRealizedPnl() : b.brokerRealizedPnl());
        }

        /** The price of a reduction no fill explains: the snapshot's, else the last one stored for the key. */
        private BigDecimal lastKnownMarket(List<Lifecycle> stored) {
            if (broker != null && broker.marketPrice() != null) {
                return broker.marketPrice();
            }
            for (int i = stored.size() - 1; i >= 0; i--) {
                if (stored.get(i).row().marketPrice() != null) {
                    return stored.get(i).row().marketPrice();
                }
            }
            return null;
        }

        /**
         * How many of the fresh fills to apply. All of them when the ledger then agrees with the broker; when it
         * overshoots by exactly the newest fills (they landed after the positions reply), those are left out;
         * otherwise all (and the observation estimates the rest).
         */
        private static int keptFills(BigDecimal ledger, List<LedgerEntry> fills, BigDecimal brokerQuantity,
                Set<String> deferredBefore, Instant executedSince) {
            BigDecimal[] prefix = new BigDecimal[fills.size() + 1];
            prefix[0] = ledger;
            for (int i = 0; i < fills.size(); i++) {
                prefix[i + 1] = prefix[i].add(fills.get(i).quantity());
            }
            if (prefix[fills.size()].compareTo(brokerQuantity) == 0) {
                return fills.size();
            }
            for (int keep = fills.size() - 1; keep >= 0; keep--) {
                if (fills.get(keep).execId() != null && deferredBefore.contains(fills.get(keep).execId())) {
                    break; // deferred once already: not a fill that just missed the positions reply
                }
                if (fills.get(keep).time() != null && fills.get(keep).time().isBefore(executedSince)) {
                    break; // executed well before the run: the positions reply holds it, it cannot have missed it
                }
                if (prefix[keep].compareTo(brokerQuantity) == 0) {
                    return keep;
                }
            }
            return fills.size();
        }

        // ---- writes -------------------------------------------------------------------------------------

        /** The refolded chain against the stored lifecycles: what to write for each; returns each one's ref. */
        private Map<ChainFold.Folded, Integer> write(List<Lifecycle> stored, ChainFold.Result folded) {
            Map<String, Lifecycle> byOpening = new HashMap<>();
            for (Lifecycle lifecycle : stored) {
                if (!lifecycle.entries().isEmpty()) {
                    byOpening.putIfAbsent(ChainFold.openingKey(lifecycle.entries().get(0)), lifecycle);
                }
            }
            List<Lifecycle> unmatched = new ArrayList<>(stored);
            List<Lifecycle> pairs = new ArrayList<>();
            for (ChainFold.Folded lifecycle : folded.lifecycles()) {
                Lifecycle match = byOpening.remove(lifecycle.openingKey());
                if (match != null) {
                    unmatched.remove(match);
                }
                pairs.add(match);
            }
            // a lifecycle whose opening fact changed keeps an id the refold left over, in order
            for (int i = 0; i < pairs.size() && !unmatched.isEmpty(); i++) {
                if (pairs.get(i) == null) {
                    pairs.set(i, unmatched.remove(0));
                }
            }
            Map<ChainFold.Folded, Integer> refs = new java.util.IdentityHashMap<>();
            ChainFold.Folded last = folded.last();
            for (Lifecycle gone : unmatched) {
                voided(gone);
            }
            for (int i = 0; i < folded.lifecycles().size(); i++) {
                ChainFold.Folded lifecycle = folded.lifecycles().get(i);
                boolean isCurrent = lifecycle == last && !lifecycle.closed();
                Lifecycle before = pairs.get(i);
                int ref = writes.size();
                refs.put(lifecycle, ref);
                LifecycleWrite write = before == null ? created(ref, lifecycle, isCurrent)
                        : changed(ref, before, lifecycle, isCurrent);
                if (write != null) {
                    writes.add(write);
                } else {
                    refs.remove(lifecycle); // nothing written for it: breaks name no row
                }
            }
            return refs;
        }

        private StoredPosition row(long id, StoredPosition original, ChainFold.Folded lifecycle, boolean isCurrent) {
            LedgerState state = lifecycle.state();
            boolean closed = lifecycle.closed();
            BigDecimal brokerMarket = broker == null ? null : broker.marketPrice();
            BigDecimal market = isCurrent && brokerMarket != null ? brokerMarket
                    : original == null ? brokerMarket : original.marketPrice();
            BigDecimal unrealized = closed ? BigDecimal.ZERO
                    : isCurrent && broker != null && broker.unrealizedPnl() != null ? broker.unrealizedPnl()
                    : original == null ? null : original.unrealizedPnl();
            BigDecimal realized = state.realizedAny() ? FillLedger.stored(state.realized()) : null;
            return new StoredPosition(id, key.account(), key.conId(),
                    original == null ? symbol : original.symbol(), original == null ? secType : original.secType(),
                    original == null ? currency : original.currency(), multiplier,
                    closed ? BigDecimal.ZERO : FillLedger.stored(state.quantity()),
                    FillLedger.stored(state.average() == null ? BigDecimal.ZERO : state.average()), market, unrealized,
                    realized, state.source(), closed ? PositionStatus.CLOSED : PositionStatus.OPEN,
                    lifecycle.openedAt(), lifecycle.closedAt(), run.now());
        }

        private LifecycleWrite created(int ref, ChainFold.Folded lifecycle, boolean isCurrent) {
            StoredPosition row = row(0, null, lifecycle, isCurrent);
            Changes changes = Changes.of(lifecycle.entries(), LedgerState.FLAT, multiplier);
            boolean closed = lifecycle.closed();
            BigDecimal peak = FillLedger.stored(lifecycle.peak());
            BigDecimal delta = changes.reduced ? row.realizedPnl() : null;
            List<HistoryEntry> history = new ArrayList<>();
            history.add(new HistoryEntry(ChangeKind.OPENED, BigDecimal.ZERO, closed ? peak : row.quantity(),
                    row.averagePrice(), row.marketPrice(), closed ? null : delta, closed ? null : row.realizedPnl(), null,
                    closed || delta == null ? null : row.realizedPnlSource(), closed ? null : changes.exitPrice(),
                    closed ? null : changes.exitCommission(), closed ? null : changes.brokerRealized,
                    changes.execIds(), lifecycle.openedAt()));
            if (closed) {
                history.add(new HistoryEntry(ChangeKind.CLOSED, peak, BigDecimal.ZERO, row.averagePrice(),
                        row.marketPrice(), delta, row.realizedPnl(), null, row.realizedPnlSource(), changes.exitPrice(),
                        changes.exitCommission(), changes.brokerRealized, changes.execIds(), lifecycle.closedAt()));
            }
            return new LifecycleWrite(ref, true, row, lifecycle.entries(), 0, false, history, false);
        }

        private LifecycleWrite changed(int ref, Lifecycle before, ChainFold.Folded lifecycle, boolean isCurrent) {
            StoredPosition original = before.row();
            StoredPosition row = row(original.id(), original, lifecycle, isCurrent);
            List<LedgerEntry> old = before.entries();
            List<LedgerEntry> now = lifecycle.entries();
            int common = 0;
            while (common < old.size() && common < now.size() && sameEntry(old.get(common), now.get(common))) {
                common++;
            }
            boolean sameEntries = common == old.size() && common == now.size();
            if (sameEntries && sameFigures(original, row)) {
                return isCurrent ? LifecycleWrite.touch(ref, row, original) : null;
            }
            boolean closedNow = lifecycle.closed() && original.closedAt() == null;
            if (common == old.size()) {
                // the run only added to it: new fills, an estimate, a reset or a split at its end
                List<LedgerEntry> added = now.subList(common, now.size());
                Changes changes = Changes.of(added, FillLedger.fold(old, multiplier), multiplier);
                ChangeKind kind = closedNow ? ChangeKind.CLOSED : changes.reduced ? ChangeKind.REDUCED
                        : changes.traded ? ChangeKind.INCREASED : changes.split ? ChangeKind.SPLIT : ChangeKind.INCREASED;
                BigDecimal realizedBefore = original.realizedPnl();
                BigDecimal delta = !changes.reduced || row.realizedPnl() == null ? null
                        : row.realizedPnl().subtract(realizedBefore == null ? BigDecimal.ZERO : realizedBefore);
                Instant at = closedNow ? lifecycle.closedAt() : changes.lastTradeAt != null ? changes.lastTradeAt : run.now();
                List<HistoryEntry> history = List.of(new HistoryEntry(kind, original.quantity(), row.quantity(),
                        row.averagePrice(), row.marketPrice(), delta, row.realizedPnl(), null,
                        delta == null ? null : row.realizedPnlSource(), changes.exitPrice(), changes.exitCommission(),
                        changes.brokerRealized, changes.execIds(), at));
                if (changes.split) {
                    warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.SPLIT, "quantity "
                            + plain(original.quantity()) + " -> " + plain(row.quantity()) + " with no fill and the same"
                            + " cost basis: a split, average " + plain(row.averagePrice()) + ", nothing realized"));
                }
                return new LifecycleWrite(ref, false, row, added, old.size(), false, history, false);
            }
            // late facts changed it: recomputed from its facts
            Set<String> execIds = new LinkedHashSet<>();
            for (int i = common; i < now.size(); i++) {
                if (now.get(i).execId() != null) {
                    execIds.add(now.get(i).execId());
                }
            }
            BigDecimal beforeAmount = original.realizedPnl();
            BigDecimal after = row.realizedPnl();
            BigDecimal delta = after == null ? null : beforeAmount == null ? after : after.subtract(beforeAmount);
            List<HistoryEntry> history = new ArrayList<>();
            history.add(new HistoryEntry(ChangeKind.ADJUSTED, original.quantity(), row.quantity(), row.averagePrice(),
                    row.marketPrice(), delta, after, beforeAmount, row.realizedPnlSource(), null, null, null,
                    List.copyOf(execIds), run.now()));
            if (closedNow) {
                Changes changes = Changes.of(now, LedgerState.FLAT, multiplier);
                history.add(new HistoryEntry(ChangeKind.CLOSED, original.quantity(), BigDecimal.ZERO,
                        row.averagePrice(), row.marketPrice(), delta, after, null, row.realizedPnlSource(),
                        changes.exitPrice(), changes.exitCommission(), changes.brokerRealized, changes.execIds(),
                        lifecycle.closedAt()));
            }
            if (!sameAmount(beforeAmount, after) || original.realizedPnlSource() != row.realizedPnlSource()) {
                warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.ADJUSTED,
                        "lifecycle " + original.id() + " refolded from its facts (" + String.join(", ", execIds)
                                + "): realized " + plain(beforeAmount) + " -> " + plain(after)));
            }
            return new LifecycleWrite(ref, false, row, now, 0, true, history, false);
        }

        /** A stored lifecycle the refold dissolved: VOID, its entries gone, its history kept. */
        private void voided(Lifecycle gone) {
            StoredPosition o = gone.row();
            StoredPosition row = new StoredPosition(o.id(), o.account(), o.conId(), o.symbol(), o.secType(),
                    o.currency(), o.multiplier(), BigDecimal.ZERO, o.averagePrice(), o.marketPrice(), BigDecimal.ZERO,
                    null, null, PositionStatus.VOID, o.openedAt(), o.closedAt() != null ? o.closedAt() : run.now(),
                    run.now());
            writes.add(new LifecycleWrite(writes.size(), false, row, List.of(), 0, true,
                    List.of(new HistoryEntry(ChangeKind.VOIDED, o.quantity(), BigDecimal.ZERO, o.averagePrice(),
                            o.marketPrice(), o.realizedPnl() == null ? null : o.realizedPnl().negate(), null,
                            o.realizedPnl(), null, null, null, null, List.of(), run.now())), false));
            warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.VOIDED, "lifecycle " + o.id()
                    + " dissolved by late facts (its fills now belong to a neighbouring lifecycle); realized "
                    + plain(o.realizedPnl()) + " moved with them"));
        }

        private static boolean sameFigures(StoredPosition a, StoredPosition b) {
            return sameAmount(a.quantity(), b.quantity()) && sameAmount(a.averagePrice(), b.averagePrice())
                    && sameAmount(a.realizedPnl(), b.realizedPnl()) && a.realizedPnlSource() == b.realizedPnlSource()
                    && a.status() == b.status() && Objects.equals(a.openedAt(), b.openedAt())
                    && Objects.equals(a.closedAt(), b.closedAt());
        }

        /** The same entry as stored (amounts compared as numbers: a stored numeric keeps its own scale). */
        static boolean sameEntry(LedgerEntry a, LedgerEntry b) {
            return a.kind() == b.kind() && Objects.equals(a.execId(), b.execId()) && Objects.equals(a.time(), b.time())
                    && Objects.equals(a.foldTime(), b.foldTime())
                    && sameAmount(a.quantity(), b.quantity()) && sameAmount(a.price(), b.price())
                    && sameAmount(a.commission(), b.commission()) && a.commissionPending() == b.commissionPending()
                    && sameAmount(a.fillShares(), b.fillShares()) && sameAmount(a.commissionRaw(), b.commissionRaw())
                    && Objects.equals(a.commissionCurrency(), b.commissionCurrency())
                    && sameAmount(a.realizedOpening(), b.realizedOpening())
                    && a.openingEstimated() == b.openingEstimated()
                    && sameAmount(a.brokerRealizedPnl(), b.brokerRealizedPnl())
                    && sameAmount(a.observedQuantity(), b.observedQuantity())
                    && sameAmount(a.observedAverage(), b.observedAverage())
                    && sameAmount(a.observedMarket(), b.observedMarket());
        }

        /** What a run of entries did on top of {@code start}: exits, fills, realized. */
        private static final class Changes {
            final Set<String> execIds = new LinkedHashSet<>();
            BigDecimal exitQuantity = BigDecimal.ZERO;
            BigDecimal exitNotional = BigDecimal.ZERO;
            BigDecimal exitCommission = BigDecimal.ZERO;
            BigDecimal brokerRealized;
            boolean reduced;
            boolean traded;
            boolean split;
            Instant lastTradeAt;

            static Changes of(List<LedgerEntry> entries, LedgerState start, BigDecimal multiplier) {
                Changes changes = new Changes();
                LedgerState state = start;
                for (LedgerEntry entry : entries) {
                    if (entry.kind() == EntryKind.SPLIT) {
                        changes.split = true;
                    }
                    if (entry.isTrade()) {
                        changes.traded = true;
                        changes.lastTradeAt = entry.time();
                        if (entry.kind() == EntryKind.FILL) {
                            changes.execIds.add(entry.execId());
                        }
                        if (FillLedger.reduces(state, entry)) {
                            changes.reduced = true;
                            BigDecimal r = entry.quantity().abs().min(state.quantity().abs());
                            changes.exitQuantity = changes.exitQuantity.add(r);
                            changes.exitNotional = changes.exitNotional.add(r.multiply(entry.price()));
                            changes.exitCommission = changes.exitCommission.add(
                                    FillLedger.share(entry.commissionOrZero(), r, entry.quantity().abs()));
                            if (entry.kind() == EntryKind.FILL && entry.brokerRealizedPnl() != null) {
                                changes.brokerRealized = changes.brokerRealized == null ? entry.brokerRealizedPnl()
                                        : changes.brokerRealized.add(entry.brokerRealizedPnl());
                            }
                        }
                    }
                    state = FillLedger.apply(state, entry, multiplier);
                }
                return changes;
            }

            List<String> execIds() {
                return List.copyOf(execIds);
            }

            BigDecimal exitPrice() {
                return exitQuantity.signum() == 0 ? null
                        : FillLedger.stored(exitNotional.divide(exitQuantity, FillLedger.WORKING));
            }

            BigDecimal exitCommission() {
                return exitQuantity.signum() == 0 ? null : FillLedger.stored(exitCommission);
            }
        }

        // ---- breaks -------------------------------------------------------------------------------------

        private int refOf(Map<ChainFold.Folded, Integer> refs, ChainFold.Folded lifecycle) {
            Integer ref = lifecycle == null ? null : refs.get(lifecycle);
            return ref == null ? -1 : ref;
        }

        /** The lifecycle an entry of the chain belongs to (by identity), or the last one. */
        private static ChainFold.Folded holding(ChainFold.Result folded, java.util.function.Predicate<LedgerEntry> test) {
            for (ChainFold.Folded lifecycle : folded.lifecycles()) {
                for (LedgerEntry entry : lifecycle.entries()) {
                    if (test.test(entry)) {
                        return lifecycle;
                    }
                }
            }
            return folded.last();
        }

        /**
         * This run's observation raises its breaks; an earlier observation's break is resolved when the refold no
         * longer needs what it booked (a fact explained it). An unchanged re-run neither raises nor resolves.
         */
        private void observationBreaks(List<Lifecycle> stored, ChainFold.Result folded, ChainFold.Observation current,
                Map<ChainFold.Folded, Integer> refs) {
            Map<String, ChainFold.Outcome> byAt = new HashMap<>();
            ChainFold.Outcome now = null;
            for (ChainFold.Outcome outcome : folded.outcomes()) {
                if (outcome.observation() == current) {
                    now = outcome;
                } else {
                    byAt.put(BreakRef.observation(outcome.observation().at()), outcome);
                }
            }
            String subject = BreakRef.observation(current.at());
            int ref = refOf(refs, folded.last());
            if (now != null && now.splitRatio() != null) {
                ref = refOf(refs, holding(folded, e -> e.kind() == EntryKind.SPLIT && e.runId() == run.runId()));
            }
            if (now != null && now.estimated().signum() != 0) {
                estimated++;
                BigDecimal ledger = FillLedger.stored(now.ledgerQuantity());
                int estimateRef = refOf(refs, holding(folded, e -> e.kind() == EntryKind.ESTIMATE
                        && e.runId() == run.runId() && e.derived()));
                breaks.add(new BreakEvent(BreakKind.UNEXPLAINED_QUANTITY, estimateRef, ledger, current.quantity(),
                        "broker holds " + plain(current.quantity()) + ", the fills explain " + plain(ledger)
                                + ": an estimated fill of " + plain(now.estimated()) + " was booked", subject));
                warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.ESTIMATED_FILL,
                        "broker holds " + plain(current.quantity()) + ", fills explain " + plain(ledger)
                                + ": estimated fill of " + plain(now.estimated())));
                if (now.noPrice()) {
                    warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.NO_PRICE,
                            "no market price was ever known for an unexplained reduction: priced at the average,"
                                    + " realizing 0"));
                }
            }
            if (now != null && now.resetFrom() != null) {
                BigDecimal ours = FillLedger.stored(now.resetFrom());
                breaks.add(new BreakEvent(BreakKind.AVERAGE_MISMATCH, ref, ours, current.average(),
                        "ledger average " + plain(ours) + " vs broker " + plain(current.average())
                                + ": the broker's is used from now on", subject));
            }
            Instant from = stored.isEmpty() ? null : stored.get(0).row().openedAt();
            boolean anyFact = anyNewFact();
            for (BreakRef open : facts.openBreaks()) {
                if (open.kind() != BreakKind.UNEXPLAINED_QUANTITY && open.kind() != BreakKind.AVERAGE_MISMATCH) {
                    continue;
                }
                if (open.subject() == null) {
                    // stored before breaks had subjects: resolved by a run with new facts that needs nothing
                    if (anyFact && now != null && !now.changedAnything()) {
                        resolved.add(open);
                    }
                    continue;
                }
                if (open.subject().equals(subject) || !open.subject().startsWith("obs:")) {
                    continue;
                }
                Instant at = Instant.parse(open.subject().substring(4));
                if (from == null || at.isBefore(from)) {
                    continue; // an observation of a lifecycle this run did not refold
                }
                ChainFold.Outcome outcome = byAt.get(open.subject());
                boolean explained = outcome == null || (open.kind() == BreakKind.UNEXPLAINED_QUANTITY
                        ? outcome.estimated().signum() == 0 : outcome.resetFrom() == null);
                if (explained) {
                    resolved.add(open);
                }
            }
        }

        /** Each execution's realized P&L against IB's figure for it; resolved only by that execution agreeing. */
        private void executionBreaks(ChainFold.Result folded, Map<ChainFold.Folded, Integer> refs) {
            boolean allAgree = true;
            boolean anyCompared = false;
            for (ChainFold.ExecutionPnl pnl : folded.executions().values()) {
                if (!pnl.reduced() || pnl.brokerRealized() == null) {
                    continue;
                }
                anyCompared = true;
                BigDecimal ours = FillLedger.stored(pnl.realized());
                BreakRef ref = new BreakRef(BreakKind.REALIZED_PNL_MISMATCH, BreakRef.execution(ExecIds.base(pnl.execId())));
                boolean agrees = ours.subtract(pnl.brokerRealized()).abs().compareTo(run.tolerance()) <= 0;
                allAgree &= agrees;
                if (agrees) {
                    if (facts.openBreaks().contains(ref)) {
                        resolved.add(ref);
                    }
                } else if (!facts.openBreaks().contains(ref)) {
                    int lifecycle = refOf(refs, holding(folded, e -> pnl.execId().equals(e.execId())
                            && e.brokerRealizedPnl() != null));
                    breaks.add(new BreakEvent(BreakKind.REALIZED_PNL_MISMATCH, lifecycle, ours, pnl.brokerRealized(),
                            "execution " + pnl.execId() + " realized " + plain(ours) + " vs IB's "
                                    + plain(pnl.brokerRealized()), ref.subject()));
                }
            }
            BreakRef legacy = BreakRef.of(BreakKind.REALIZED_PNL_MISMATCH);
            if (anyCompared && allAgree && anyNewFact() && facts.openBreaks().contains(legacy)) {
                resolved.add(legacy);
            }
        }

        /**
         * The day's realized P&L against {@code updatePortfolio}'s, when every execution of the key the snapshot
         * lists is applied and no estimate of the day is left.
         */
        private void dailyBreak(ChainFold.Result folded, Map<ChainFold.Folded, Integer> refs) {
            if (broker == null || broker.brokerRealizedPnl() == null || facts.dayExecIds().isEmpty()) {
                return;
            }
            for (ChainFold.Folded lifecycle : folded.lifecycles()) {
                for (LedgerEntry entry : lifecycle.entries()) {
                    if (entry.kind() == EntryKind.FILL && entry.commissionPending()
                            && facts.dayExecIds().contains(entry.execId())) {
                        return; // a commission of the day is not known yet (its own break says so)
                    }
                }
            }
            BigDecimal ours = BigDecimal.ZERO;
            Instant first = null;
            for (String execId : facts.dayExecIds()) {
                ChainFold.ExecutionPnl pnl = folded.executions().get(execId);
                ExecutionRecord record = executions.get(execId);
                if (pnl == null || (record != null && record.state() != ExecutionState.APPLIED)) {
                    return; // not every execution of the day is known and applied
                }
                ours = ours.add(pnl.realized());
                first = first == null || (pnl.time() != null && pnl.time().isBefore(first)) ? pnl.time() : first;
            }
            if (first == null) {
                return;
            }
            for (ChainFold.Folded lifecycle : folded.lifecycles()) {
                for (LedgerEntry entry : lifecycle.entries()) {
                    if (entry.kind() == EntryKind.ESTIMATE && !entry.orderTime().isBefore(first)) {
                        return; // an estimate of the day is left
                    }
                }
            }
            LocalDate day = LocalDate.ofInstant(first, ZoneOffset.UTC);
            BreakRef ref = new BreakRef(BreakKind.DAILY_REALIZED_PNL_MISMATCH, BreakRef.day(day));
            BigDecimal stored = FillLedger.stored(ours);
            if (stored.subtract(broker.brokerRealizedPnl()).abs().compareTo(run.tolerance()) <= 0) {
                if (facts.openBreaks().contains(ref)) {
                    resolved.add(ref);
                }
            } else if (!facts.openBreaks().contains(ref)) {
                breaks.add(new BreakEvent(BreakKind.DAILY_REALIZED_PNL_MISMATCH, refOf(refs, folded.last()), stored,
                        broker.brokerRealizedPnl(), "realized " + plain(stored) + " on " + day + " from "
                                + facts.dayExecIds().size() + " execution(s) vs IB's daily " + plain(broker.brokerRealizedPnl()),
                        ref.subject()));
            }
        }

        /** Fills still waiting for a commission report (or a rate to convert it) keep their break open. */
        private void pendingCommissions(ChainFold.Result folded, Map<ChainFold.Folded, Integer> refs) {
            int waitingReport = 0;
            int waitingRate = 0;
            int ref = -1;
            for (ChainFold.Folded lifecycle : folded.lifecycles()) {
                for (LedgerEntry entry : lifecycle.entries()) {
                    if (entry.kind() == EntryKind.FILL && entry.commissionPending()) {
                        ref = refOf(refs, lifecycle);
                        if (entry.commissionRaw() == null) {
                            waitingReport++;
                        } else {
                            waitingRate++;
                        }
                    }
                }
            }
            pending(BreakKind.COMMISSION_PENDING, waitingReport, ref, ReconcileWarning.Reason.COMMISSION_PENDING,
                    " fill(s) applied without their commission report (counted as 0 until it arrives)");
            pending(BreakKind.FX_RATE_MISSING, waitingRate, ref, ReconcileWarning.Reason.FX_RATE_MISSING,
                    " commission(s) not converted to " + currency + ": no ExchangeRate in the snapshot (counted as 0)");
        }

        private void pending(BreakKind kind, int count, int ref, ReconcileWarning.Reason reason, String text) {
            BreakRef whole = BreakRef.of(kind);
            if (count == 0) {
                if (facts.openBreaks().contains(whole)) {
                    resolved.add(whole);
                }
            } else if (!facts.openBreaks().contains(whole)) {
                breaks.add(new BreakEvent(kind, ref, null, null, count + text));
                warnings.add(new ReconcileWarning(key, symbol, reason, count + text));
            }
        }

        // ---- helpers ------------------------------------------------------------------------------------

        /** The run learnt something about the key (an unchanged re-run learns nothing). */
        private boolean anyNewFact() {
            return !facts.newFills().isEmpty() || !facts.corrections().isEmpty() || !facts.lateCommissions().isEmpty();
        }

        private record Commission(BigDecimal amount, boolean pending) {
        }

        /** The execution's commission in the position's currency; pending while unknown or unconvertible. */
        private Commission commission(BrokerExecution execution) {
            if (execution.commission() == null) {
                return new Commission(null, true);
            }
            BigDecimal converted = run.convert(key.account(), execution.commission(), execution.commissionCurrency(),
                    currency);
            return converted == null ? new Commission(null, true) : new Commission(converted, false);
        }

        private static BigDecimal signed(BrokerExecution execution) {
            return execution.isBuy() ? execution.shares() : execution.shares().negate();
        }

        private LedgerEntry toEntry(BrokerExecution fill) {
            Commission commission = commission(fill);
            return LedgerEntry.fill(fill.execId(), fill.time(), signed(fill), fill.price(), commission.amount,
                    commission.pending, fill.shares(), fill.commission(), fill.commissionCurrency(), fill.realizedPnl(),
                    run.runId());
        }

        private void record(String execId, ExecutionState state) {
            for (BrokerExecution execution : facts.newFills()) {
                if (execution.execId().equals(execId)) {
                    ExecutionRecord existing = executions.get(execId);
                    if (existing == null || existing.state() != ExecutionState.APPLIED) {
                        executions.put(execId, new ExecutionRecord(execution, null, state));
                    }
                    return;
                }
            }
        }

        private InstrumentResult result() {
            Set<BreakRef> resolvedOpen = new LinkedHashSet<>();
            for (BreakRef ref : resolved) {
                if (facts.openBreaks().contains(ref)) {
                    resolvedOpen.add(ref);
                }
            }
            for (BreakEvent raised : breaks) {
                resolvedOpen.remove(raised.ref());
            }
            return new InstrumentResult(key, writes, executionRecords(), breaks, resolvedOpen,
                    new FillCounts(applied, deferred, estimated), warnings);
        }

        /** The run's decisions on executions, then the facts' passive records (the store merges by execId). */
        private List<ExecutionRecord> executionRecords() {
            List<ExecutionRecord> records = new ArrayList<>(executions.values());
            records.addAll(facts.passive());
            return records;
        }
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null ? b : b == null || !b.isBefore(a) ? a : b;
    }

    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null || !b.isAfter(a) ? a : b;
    }

    private static boolean sameAmount(BigDecimal a, BigDecimal b) {
        return a == null ? b == null : b != null && a.compareTo(b) == 0;
    }

    private static String plain(BigDecimal value) {
        return value == null ? "none" : value.stripTrailingZeros().toPlainString();
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T value : values) {
            if (value != null && !(value instanceof String text && text.isEmpty())) {
                return value;
            }
        }
        return null;
    }
}
