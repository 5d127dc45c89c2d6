package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.positionsync.ibkr.BrokerExecution;

/**
 * One run for one {@code (account, conId)}, as reconcile-and-pnl version 2 says, in five steps:
 * <ol>
 *   <li><b>New facts</b> come from {@link InstrumentFacts}: executions never applied, corrections of applied
 *       ones, commission reports that arrived late. A replayed execution is nothing new.</li>
 *   <li><b>Adjust</b> on late facts: a correction replaces its fill, a late commission completes its fill, real
 *       fills older than an estimate take the estimate's place (up to its size). Every lifecycle they touch is
 *       recomputed from its entries; a changed figure gets an {@link ChangeKind#ADJUSTED} history entry.</li>
 *   <li><b>Fold</b> the remaining new fills, oldest first, onto the open lifecycle (or from flat): a fill to
 *       zero closes the lifecycle at its time, a fill through zero closes it and opens the next one with the
 *       rest (commission split by quantity). Round trips between two runs leave closed lifecycles.</li>
 *   <li><b>Confirm</b> against the broker's quantity (absent = 0):
 *       <table>
 *         <caption>ledger vs broker</caption>
 *         <tr><th>case</th><th>decision</th></tr>
 *         <tr><td>equal, averages agree</td><td>done; open breaks of quantity and average resolve</td></tr>
 *         <tr><td>equal, average differs beyond the tolerance</td><td>AVERAGE_RESET entry, AVERAGE_MISMATCH break</td></tr>
 *         <tr><td>the ledger overshoots by exactly the newest fills</td><td>those fills are deferred (stored,
 *             not applied; the next run applies them)</td></tr>
 *         <tr><td>any other difference d</td><td>an ESTIMATE entry of d: an add priced so the average ends at the
 *             broker's; a reduction at the market price (MARKET_PRICE); UNEXPLAINED_QUANTITY break</td></tr>
 *       </table></li>
 *   <li><b>First sight</b> of an account: every non-zero broker position is an opening balance; that day's
 *       earlier fills are stored as {@link ExecutionState#COVERED}, never applied.</li>
 * </ol>
 * Stateless and thread-safe: every call works on its own facts and returns its own result.
 */
public final class InstrumentReconciler {

    public InstrumentResult reconcile(InstrumentFacts facts, RunInputs run) {
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(run, "run");
        return new Pass(facts, run).run();
    }

    /** One lifecycle while the pass works on it. */
    private static final class Work {
        final int ref;
        final StoredPosition original;
        final List<LedgerEntry> entries;
        final int storedCount;
        boolean rewrite;
        LedgerState state;
        Instant openedAt;
        Instant closedAt;
        final List<HistoryEntry> history = new ArrayList<>();
        /** State when this run's fold started (after adjustments). */
        LedgerState foldStart;
        BigDecimal peak = BigDecimal.ZERO;
        final Set<String> execIds = new LinkedHashSet<>();
        BigDecimal exitQuantity = BigDecimal.ZERO;
        BigDecimal exitNotional = BigDecimal.ZERO;
        BigDecimal exitCommission = BigDecimal.ZERO;
        BigDecimal brokerRealized;
        boolean traded;
        boolean reduced;
        boolean averageReset;
        Instant lastTradeAt;

        Work(int ref, StoredPosition original, List<LedgerEntry> entries, Instant openedAt, BigDecimal multiplier) {
            this.ref = ref;
            this.original = original;
            this.entries = new ArrayList<>(entries);
            this.storedCount = entries.size();
            this.state = FillLedger.fold(this.entries, multiplier);
            this.foldStart = state;
            this.openedAt = openedAt;
            this.closedAt = original == null ? null : original.closedAt();
        }

        boolean closed() {
            return closedAt != null;
        }
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

        private final List<Work> works = new ArrayList<>();
        private final Map<String, ExecutionRecord> executions = new LinkedHashMap<>();
        private final List<BreakEvent> breaks = new ArrayList<>();
        private final Set<BreakKind> resolved = EnumSet.noneOf(BreakKind.class);
        private final List<ReconcileWarning> warnings = new ArrayList<>();
        private final Set<String> touchedExecIds = new LinkedHashSet<>();
        private int applied;
        private int deferred;
        private int estimated;
        /** Our realized P&L and IB's for the fills this run applied or adjusted that carry IB's figure. */
        private BigDecimal oursChecked = BigDecimal.ZERO;
        private BigDecimal brokerChecked;

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
            Work open = null;
            if (facts.open() != null) {
                if (facts.openEntries() == null) {
                    return touch(facts.open());
                }
                open = existing(facts.open(), facts.openEntries());
            }
            for (Lifecycle lifecycle : facts.adjustable()) {
                existing(lifecycle.row(), lifecycle.entries());
            }
            facts.corrections().forEach(this::applyCorrection);
            facts.lateCommissions().forEach(this::applyLateCommission);
            List<LedgerEntry> candidates = new ArrayList<>();
            for (BrokerExecution fill : facts.newFills()) {
                candidates.add(toEntry(fill));
            }
            replaceEstimates(candidates);
            for (Work work : List.copyOf(works)) {
                if (work.rewrite) {
                    recompute(work);
                }
            }

            BigDecimal brokerQuantity = broker == null ? BigDecimal.ZERO : broker.quantity();
            BigDecimal ledgerQuantity = open == null ? BigDecimal.ZERO : open.state.quantity();
            int keep = keptFills(ledgerQuantity, candidates, brokerQuantity, facts.deferredBefore());
            Work current = open;
            for (int i = 0; i < candidates.size(); i++) {
                LedgerEntry fill = candidates.get(i);
                if (i < keep) {
                    current = foldNew(current, fill);
                    record(fill.execId(), facts.newFills(), null, ExecutionState.APPLIED);
                } else {
                    deferred++;
                    record(fill.execId(), facts.newFills(), null, ExecutionState.SEEN);
                }
            }
            applied += countApplied();
            if (keep < candidates.size()) {
                warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.DEFERRED_FILLS,
                        (candidates.size() - keep) + " fill(s) newer than the positions reply left for the next run"));
            }
            confirm(current, brokerQuantity);
            crossCheck();
            pendingCommissions();
            return result();
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
                Work work = newWork(run.now());
                LedgerEntry balance = LedgerEntry.openingBalance(run.now(), broker.quantity(), average, null, false,
                        run.runId());
                work.entries.add(balance);
                work.state = FillLedger.apply(work.state, balance, multiplier);
                work.peak = broker.quantity();
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
            resolved.add(BreakKind.UNEXPLAINED_QUANTITY);
            resolved.add(BreakKind.AVERAGE_MISMATCH);
            StoredPosition row = new StoredPosition(open.id(), open.account(), open.conId(), open.symbol(),
                    open.secType(), open.currency(), open.multiplier(), open.quantity(), open.averagePrice(),
                    broker != null && broker.marketPrice() != null ? broker.marketPrice() : open.marketPrice(),
                    broker != null && broker.unrealizedPnl() != null ? broker.unrealizedPnl() : open.unrealizedPnl(),
                    open.realizedPnl(), open.realizedPnlSource(), open.status(), open.openedAt(), open.closedAt(),
                    run.now());
            return new InstrumentResult(key, List.of(LifecycleWrite.touch(0, row, open)),
                    executionRecords(), List.of(), openResolved(), FillCounts.NONE, List.of());
        }

        // ---- late facts -----------------------------------------------------------------------------------

        private void applyCorrection(String appliedId, BrokerExecution correction) {
            BigDecimal signedShares = signed(correction);
            Commission commission = commission(correction);
            boolean found = false;
            for (Work work : works) {
                for (int i = 0; i < work.entries.size(); i++) {
                    LedgerEntry entry = work.entries.get(i);
                    if (entry.kind() != EntryKind.FILL || !appliedId.equals(entry.execId())) {
                        continue;
                    }
                    BigDecimal share = entry.shareOfFill(FillLedger.WORKING);
                    // a price-only correction keeps every share's quantity exactly; a new size is shared pro rata
                    BigDecimal quantity = correction.shares().compareTo(entry.fillShares()) == 0
                            ? entry.quantity().abs().multiply(BigDecimal.valueOf(signedShares.signum()))
                            : proRata(signedShares, entry.quantity().abs(), entry.fillShares());
                    boolean carriesIbFigure = share.compareTo(BigDecimal.ONE) == 0 || closingShare(work, i);
                    work.entries.set(i, entry.corrected(correction.execId(), correction.time(), quantity,
                            correction.price(), commission.amount == null ? null
                                    : commission.amount.multiply(share, FillLedger.WORKING),
                            commission.pending, correction.shares(), correction.commission(),
                            correction.commissionCurrency(), carriesIbFigure ? correction.realizedPnl() : null));
                    work.rewrite = true;
                    work.execIds.add(correction.execId());
                    found = true;
                }
            }
            touchedExecIds.add(correction.execId());
            executions.put(correction.execId(), new ExecutionRecord(correction, appliedId, ExecutionState.APPLIED));
            if (found) {
                applied++;
            }
        }

        private boolean closingShare(Work work, int index) {
            LedgerState before = FillLedger.fold(work.entries.subList(0, index), multiplier);
            return FillLedger.reduces(before, work.entries.get(index));
        }

        private void applyLateCommission(BrokerExecution late) {
            Commission commission = commission(late);
            for (Work work : works) {
                for (int i = 0; i < work.entries.size(); i++) {
                    LedgerEntry entry = work.entries.get(i);
                    if (entry.kind() != EntryKind.FILL || !late.execId().equals(entry.execId())
                            || !entry.commissionPending()) {
                        continue;
                    }
                    BigDecimal share = entry.shareOfFill(FillLedger.WORKING);
                    boolean closing = closingShare(work, i);
                    work.entries.set(i, entry.withCommission(
                            commission.amount == null ? null : commission.amount.multiply(share, FillLedger.WORKING),
                            commission.pending, late.commission(), late.commissionCurrency(),
                            closing || share.compareTo(BigDecimal.ONE) == 0 ? late.realizedPnl() : null));
                    work.rewrite = true;
                    work.execIds.add(late.execId());
                }
            }
            touchedExecIds.add(late.execId());
            executions.put(late.execId(), new ExecutionRecord(late, null, ExecutionState.APPLIED));
        }

        /**
         * Real fills executed before an estimate's run explain it: they take its place, up to its size, in the
         * lifecycle that holds it. What is left of a fill stays a new fill.
         */
        private void replaceEstimates(List<LedgerEntry> candidates) {
            for (Work work : works) {
                for (int i = 0; i < work.entries.size() && !candidates.isEmpty(); i++) {
                    LedgerEntry estimate = work.entries.get(i);
                    if (estimate.kind() != EntryKind.ESTIMATE) {
                        continue;
                    }
                    BigDecimal remaining = estimate.quantity();
                    int at = i;
                    for (int c = 0; c < candidates.size() && remaining.signum() != 0; ) {
                        LedgerEntry fill = candidates.get(c);
                        if (fill.time() == null || !fill.time().isBefore(estimate.time())
                                || fill.quantity().signum() != remaining.signum()) {
                            c++;
                            continue;
                        }
                        LedgerEntry used = fill;
                        if (fill.quantity().abs().compareTo(remaining.abs()) > 0) {
                            LedgerEntry[] parts = fill.split(remaining.abs(), FillLedger.WORKING);
                            used = parts[0];
                            candidates.set(c, parts[1]);
                            c++;
                        } else {
                            candidates.remove(c);
                        }
                        work.entries.add(at++, used);
                        remaining = remaining.subtract(used.quantity());
                        work.execIds.add(used.execId());
                        touchedExecIds.add(used.execId());
                        record(used.execId(), facts.newFills(), null, ExecutionState.APPLIED);
                        work.rewrite = true;
                    }
                    if (remaining.signum() == 0) {
                        work.entries.remove(at);
                    } else if (remaining.compareTo(estimate.quantity()) != 0) {
                        work.entries.set(at, estimate.withQuantity(remaining, BigDecimal.ZERO));
                    }
                    i = at;
                }
            }
        }

        /** Refolds a lifecycle whose entries late facts changed, and records what changed. */
        private void recompute(Work work) {
            StoredPosition row = work.original;
            LedgerState state = LedgerState.FLAT;
            for (LedgerEntry entry : work.entries) {
                LedgerState next = FillLedger.apply(state, entry, multiplier);
                if (entry.kind() == EntryKind.FILL && touchedExecIds.contains(entry.execId())
                        && FillLedger.reduces(state, entry) && entry.brokerRealizedPnl() != null) {
                    check(next.realized().subtract(state.realized()), entry.brokerRealizedPnl());
                }
                state = next;
            }
            work.state = state;
            work.foldStart = state;
            BigDecimal before = row.realizedPnl();
            BigDecimal after = state.realizedAny() ? FillLedger.stored(state.realized()) : null;
            boolean amountChanged = before == null ? after != null : after == null || before.compareTo(after) != 0;
            if (amountChanged || row.realizedPnlSource() != state.source()) {
                BigDecimal delta = after == null ? null : before == null ? after : after.subtract(before);
                work.history.add(new HistoryEntry(ChangeKind.ADJUSTED, row.quantity(),
                        work.closed() ? BigDecimal.ZERO : FillLedger.stored(state.quantity()),
                        FillLedger.stored(state.average()), row.marketPrice(), delta, after, before, state.source(),
                        null, null, null, List.copyOf(work.execIds), run.now()));
                warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.ADJUSTED,
                        "lifecycle " + row.id() + " recomputed from its fills (" + String.join(", ", work.execIds)
                                + "): realized " + plain(before) + " -> " + plain(after)));
            }
            if (work.closed() && state.quantity().signum() != 0) {
                warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.CLOSED_LIFECYCLE_CHANGED,
                        "lifecycle " + row.id() + " closed, but its corrected fills leave " + plain(state.quantity())));
            }
            work.execIds.clear();
        }

        // ---- fold ---------------------------------------------------------------------------------------

        /**
         * How many of the new fills to apply. All of them when the ledger then agrees with the broker; when it
         * overshoots by exactly the newest fills (they landed after the positions reply), those are left out;
         * otherwise all (and the confirm step estimates the rest).
         */
        private static int keptFills(BigDecimal ledger, List<LedgerEntry> fills, BigDecimal brokerQuantity,
                Set<String> deferredBefore) {
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
                if (prefix[keep].compareTo(brokerQuantity) == 0) {
                    return keep;
                }
            }
            return fills.size();
        }

        private Work foldNew(Work current, LedgerEntry fill) {
            if (current == null || current.closed()) {
                current = newWork(fill.time() == null ? run.now() : fill.time());
            }
            LedgerState state = current.state;
            if (FillLedger.reduces(state, fill) && fill.quantity().abs().compareTo(state.quantity().abs()) > 0) {
                LedgerEntry[] legs = fill.split(state.quantity().abs(), FillLedger.WORKING);
                trade(current, legs[0]);
                close(current, fill.time());
                current = newWork(fill.time() == null ? run.now() : fill.time());
                trade(current, legs[1].withCommission(legs[1].commission(), legs[1].commissionPending(),
                        legs[1].commissionRaw(), legs[1].commissionCurrency(), null));
                return current;
            }
            trade(current, fill);
            if (current.state.flat()) {
                close(current, fill.time());
            }
            return current;
        }

        private void trade(Work work, LedgerEntry entry) {
            LedgerState before = work.state;
            work.entries.add(entry);
            work.state = FillLedger.apply(before, entry, multiplier);
            work.traded = true;
            work.lastTradeAt = entry.time();
            if (work.state.quantity().abs().compareTo(work.peak.abs()) > 0) {
                work.peak = work.state.quantity();
            }
            if (entry.kind() == EntryKind.FILL) {
                work.execIds.add(entry.execId());
            }
            if (FillLedger.reduces(before, entry)) {
                work.reduced = true;
                BigDecimal r = entry.quantity().abs().min(before.quantity().abs());
                work.exitQuantity = work.exitQuantity.add(r);
                work.exitNotional = work.exitNotional.add(r.multiply(entry.price()));
                work.exitCommission = work.exitCommission.add(
                        FillLedger.share(entry.commissionOrZero(), r, entry.quantity().abs()));
                if (entry.kind() == EntryKind.FILL && entry.brokerRealizedPnl() != null) {
                    work.brokerRealized = work.brokerRealized == null ? entry.brokerRealizedPnl()
                            : work.brokerRealized.add(entry.brokerRealizedPnl());
                    check(work.state.realized().subtract(before.realized()), entry.brokerRealizedPnl());
                }
            }
        }

        /** Closes at the fill's time; never before the lifecycle opened (broker times have whole seconds). */
        private void close(Work work, Instant at) {
            Instant when = at == null ? run.now() : at;
            work.closedAt = work.openedAt != null && when.isBefore(work.openedAt) ? work.openedAt : when;
        }

        // ---- confirm ------------------------------------------------------------------------------------

        private void confirm(Work current, BigDecimal brokerQuantity) {
            boolean live = current != null && !current.closed();
            BigDecimal ledger = live ? current.state.quantity() : BigDecimal.ZERO;
            BigDecimal brokerAverage = broker == null ? null : broker.averagePrice();
            if (ledger.compareTo(brokerQuantity) == 0) {
                // While a fill waits for its commission the broker's average includes what the ledger does not
                // know yet: that difference is expected, and the late report will close it.
                boolean waiting = live && current.entries.stream().anyMatch(LedgerEntry::commissionPending);
                if (live && !waiting && brokerAverage != null && current.state.average() != null
                        && current.state.average().subtract(brokerAverage).abs().compareTo(run.tolerance()) > 0) {
                    BigDecimal ours = current.state.average();
                    LedgerEntry reset = LedgerEntry.averageReset(run.now(), brokerAverage, run.runId());
                    current.entries.add(reset);
                    current.state = FillLedger.apply(current.state, reset, multiplier);
                    current.averageReset = true;
                    breaks.add(new BreakEvent(BreakKind.AVERAGE_MISMATCH, current.ref, FillLedger.stored(ours),
                            brokerAverage, "ledger average " + plain(FillLedger.stored(ours)) + " vs broker "
                                    + plain(brokerAverage) + ": the broker's is used from now on"));
                } else if (!waiting) {
                    resolved.add(BreakKind.AVERAGE_MISMATCH);
                }
                resolved.add(BreakKind.UNEXPLAINED_QUANTITY);
                return;
            }
            BigDecimal difference = brokerQuantity.subtract(ledger);
            BigDecimal market = broker == null ? null : broker.marketPrice();
            if (!live || ledger.signum() == difference.signum()) {
                if (!live) {
                    current = newWork(run.now());
                }
                trade(current, LedgerEntry.estimate(run.now(), difference,
                        addPrice(current.state, difference, brokerAverage, market), run.runId()));
            } else {
                BigDecimal reduce = difference.abs().min(ledger.abs());
                BigDecimal price = market;
                if (price == null) {
                    price = current.state.average();
                    warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.NO_PRICE,
                            "no market price for an unexplained reduction: priced at the average, realizing 0"));
                }
                trade(current, LedgerEntry.estimate(run.now(), reduce.multiply(BigDecimal.valueOf(difference.signum())),
                        price, run.runId()));
                if (current.state.flat()) {
                    close(current, run.now());
                }
                BigDecimal rest = difference.abs().subtract(reduce);
                if (rest.signum() > 0) {
                    current = newWork(run.now());
                    BigDecimal signedRest = rest.multiply(BigDecimal.valueOf(difference.signum()));
                    trade(current, LedgerEntry.estimate(run.now(), signedRest,
                            addPrice(LedgerState.FLAT, signedRest, brokerAverage, price), run.runId()));
                }
            }
            estimated++;
            breaks.add(new BreakEvent(BreakKind.UNEXPLAINED_QUANTITY, current.ref, FillLedger.stored(ledger),
                    brokerQuantity, "broker holds " + plain(brokerQuantity) + ", the fills explain " + plain(ledger)
                            + ": an estimated fill of " + plain(difference) + " was booked"));
            warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.ESTIMATED_FILL,
                    "broker holds " + plain(brokerQuantity) + ", fills explain " + plain(ledger)
                            + ": estimated fill of " + plain(difference)));
        }

        /** The price of an estimated add that makes the average end at the broker's. */
        private BigDecimal addPrice(LedgerState state, BigDecimal quantity, BigDecimal brokerAverage, BigDecimal market) {
            if (brokerAverage != null) {
                BigDecimal held = state.quantity().abs();
                BigDecimal cost = held.signum() == 0 ? BigDecimal.ZERO : held.multiply(state.average());
                return brokerAverage.multiply(held.add(quantity.abs())).subtract(cost)
                        .divide(quantity.abs(), FillLedger.WORKING);
            }
            if (market != null) {
                return market;
            }
            warnings.add(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.NO_PRICE,
                    "no broker average and no market price for an unexplained add"));
            return state.average() != null ? state.average() : BigDecimal.ZERO;
        }

        // ---- checks and breaks --------------------------------------------------------------------------

        private void check(BigDecimal ours, BigDecimal ibRealized) {
            oursChecked = oursChecked.add(ours);
            brokerChecked = brokerChecked == null ? ibRealized : brokerChecked.add(ibRealized);
        }

        private void crossCheck() {
            if (brokerChecked == null) {
                return;
            }
            BigDecimal difference = FillLedger.stored(oursChecked).subtract(brokerChecked);
            if (difference.abs().compareTo(run.tolerance()) > 0) {
                Work last = works.isEmpty() ? null : works.get(works.size() - 1);
                breaks.add(new BreakEvent(BreakKind.REALIZED_PNL_MISMATCH, last == null ? -1 : last.ref,
                        FillLedger.stored(oursChecked), brokerChecked, "realized " + plain(FillLedger.stored(oursChecked))
                                + " vs IB's " + plain(brokerChecked) + " for the same fills"));
            } else {
                resolved.add(BreakKind.REALIZED_PNL_MISMATCH);
            }
        }

        /** Fills still waiting for a commission report (or a rate to convert it) keep their break open. */
        private void pendingCommissions() {
            int waitingReport = 0;
            int waitingRate = 0;
            int ref = -1;
            for (Work work : works) {
                for (LedgerEntry entry : work.entries) {
                    if (entry.kind() == EntryKind.FILL && entry.commissionPending()) {
                        ref = work.ref;
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
            if (count == 0) {
                resolved.add(kind);
            } else if (!facts.openBreaks().contains(kind)) {
                breaks.add(new BreakEvent(kind, ref, null, null, count + text));
                warnings.add(new ReconcileWarning(key, symbol, reason, count + text));
            }
        }

        // ---- helpers ------------------------------------------------------------------------------------

        private Work existing(StoredPosition row, List<LedgerEntry> entries) {
            Work work = new Work(works.size(), row, entries, row.openedAt(), multiplier);
            works.add(work);
            return work;
        }

        private Work newWork(Instant openedAt) {
            Work work = new Work(works.size(), null, List.of(), openedAt, multiplier);
            works.add(work);
            return work;
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

        /** {@code total * part / whole}, exact when the quotient terminates. */
        private static BigDecimal proRata(BigDecimal total, BigDecimal part, BigDecimal whole) {
            BigDecimal product = total.multiply(part);
            try {
                return product.divide(whole);
            } catch (ArithmeticException nonTerminating) {
                return product.divide(whole, FillLedger.WORKING);
            }
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

        private void record(String execId, List<BrokerExecution> from, String supersedes, ExecutionState state) {
            for (BrokerExecution execution : from) {
                if (execution.execId().equals(execId)) {
                    ExecutionRecord existing = executions.get(execId);
                    if (existing == null || existing.state() != ExecutionState.APPLIED) {
                        executions.put(execId, new ExecutionRecord(execution, supersedes, state));
                    }
                    return;
                }
            }
        }

        private int countApplied() {
            int count = 0;
            for (BrokerExecution fill : facts.newFills()) {
                ExecutionRecord record = executions.get(fill.execId());
                if (record != null && record.state() == ExecutionState.APPLIED) {
                    count++;
                }
            }
            return count;
        }

        private Set<BreakKind> openResolved() {
            Set<BreakKind> kinds = EnumSet.noneOf(BreakKind.class);
            for (BreakKind kind : resolved) {
                if (facts.openBreaks().contains(kind)) {
                    kinds.add(kind);
                }
            }
            for (BreakEvent raised : breaks) {
                kinds.remove(raised.kind());
            }
            return kinds;
        }

        private InstrumentResult result() {
            List<LifecycleWrite> writes = new ArrayList<>();
            for (Work work : works) {
                boolean untouchedClosed = work.original != null && work.original.closedAt() != null && !work.rewrite;
                if (!untouchedClosed) {
                    writes.add(write(work));
                }
            }
            return new InstrumentResult(key, writes, executionRecords(), breaks, openResolved(),
                    new FillCounts(applied, deferred, estimated), warnings);
        }

        private LifecycleWrite write(Work work) {
            LedgerState state = work.state;
            boolean closed = work.closed();
            boolean current = !closed && work == lastOpen();
            StoredPosition original = work.original;
            BigDecimal market = current && broker != null && broker.marketPrice() != null ? broker.marketPrice()
                    : original == null ? (broker == null ? null : broker.marketPrice()) : original.marketPrice();
            BigDecimal unrealized = closed ? BigDecimal.ZERO
                    : current && broker != null && broker.unrealizedPnl() != null ? broker.unrealizedPnl()
                    : original == null ? null : original.unrealizedPnl();
            BigDecimal realized = state.realizedAny() ? FillLedger.stored(state.realized()) : null;
            StoredPosition row = new StoredPosition(original == null ? 0 : original.id(), key.account(), key.conId(),
                    original == null ? symbol : original.symbol(), original == null ? secType : original.secType(),
                    original == null ? currency : original.currency(), multiplier,
                    closed ? BigDecimal.ZERO : FillLedger.stored(state.quantity()),
                    FillLedger.stored(state.average() == null ? BigDecimal.ZERO : state.average()), market, unrealized,
                    realized, state.source(), closed ? PositionStatus.CLOSED : PositionStatus.OPEN,
                    original == null ? work.openedAt : original.openedAt(), closed ? work.closedAt : null, run.now());
            List<HistoryEntry> history = new ArrayList<>(work.history);
            boolean closedNow = closed && (original == null || original.closedAt() == null);
            BigDecimal realizedBefore = work.foldStart.realizedAny() ? FillLedger.stored(work.foldStart.realized()) : null;
            BigDecimal delta = !work.reduced ? null
                    : realized.subtract(realizedBefore == null ? BigDecimal.ZERO : realizedBefore);
            BigDecimal exitPrice = work.exitQuantity.signum() == 0 ? null
                    : FillLedger.stored(work.exitNotional.divide(work.exitQuantity, FillLedger.WORKING));
            BigDecimal exitCommission = work.exitQuantity.signum() == 0 ? null : FillLedger.stored(work.exitCommission);
            Instant at = work.lastTradeAt == null ? run.now() : work.lastTradeAt;
            if (original == null) {
                BigDecimal peak = FillLedger.stored(work.peak);
                history.add(new HistoryEntry(ChangeKind.OPENED, BigDecimal.ZERO, closed ? peak : row.quantity(),
                        row.averagePrice(), market, closed ? null : delta, closed ? null : realized, null,
                        closed ? null : (delta == null ? null : state.source()), closed ? null : exitPrice,
                        closed ? null : exitCommission, closed ? null : work.brokerRealized,
                        List.copyOf(work.execIds), work.openedAt));
                if (closed) {
                    history.add(new HistoryEntry(ChangeKind.CLOSED, peak, BigDecimal.ZERO, row.averagePrice(), market,
                            delta, realized, null, state.source(), exitPrice, exitCommission, work.brokerRealized,
                            List.copyOf(work.execIds), work.closedAt));
                }
            } else if (work.traded || work.averageReset) {
                ChangeKind kind = closedNow ? ChangeKind.CLOSED : work.reduced ? ChangeKind.REDUCED : ChangeKind.INCREASED;
                history.add(new HistoryEntry(kind, FillLedger.stored(work.foldStart.quantity()), row.quantity(), row.averagePrice(), market, delta,
                        realized, null, delta == null ? null : state.source(), exitPrice, exitCommission,
                        work.brokerRealized, List.copyOf(work.execIds), closedNow ? work.closedAt : at));
            }
            boolean touchOnly = original != null && history.isEmpty() && !work.rewrite
                    && work.entries.size() == work.storedCount;
            List<LedgerEntry> entries = work.rewrite || original == null ? work.entries
                    : work.entries.subList(work.storedCount, work.entries.size());
            int firstSeq = work.rewrite || original == null ? 0 : work.storedCount;
            if (touchOnly) {
                return LifecycleWrite.touch(work.ref, row, original);
            }
            return new LifecycleWrite(work.ref, original == null, row, entries, firstSeq, work.rewrite && original != null,
                    history, false);
        }

        /** The run's decisions on executions, then the facts' passive records (the store merges by execId). */
        private List<ExecutionRecord> executionRecords() {
            List<ExecutionRecord> records = new ArrayList<>(executions.values());
            records.addAll(facts.passive());
            return records;
        }

        private Work lastOpen() {
            for (int i = works.size() - 1; i >= 0; i--) {
                if (!works.get(i).closed()) {
                    return works.get(i);
                }
            }
            return null;
        }
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
