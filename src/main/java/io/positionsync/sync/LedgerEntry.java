package io.positionsync.sync;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a lifecycle's fill ledger, in the order the ledger folds them.
 *
 * <p>A {@link EntryKind#FILL} is this lifecycle's share of one execution: an execution that flips a position is
 * stored as two entries (the closing share in the old lifecycle, the opening share in the new one), each with
 * its part of the commission. {@code fillShares} is the execution's whole size, so a commission report or a
 * correction that arrives later can be prorated onto every share.
 *
 * @param kind              what the entry is
 * @param execId            the execution of a FILL; {@code null} otherwise
 * @param time              execution time of a FILL; the run's time for the other kinds
 * @param quantity          signed quantity of this share (BOT positive, SLD negative); for an OPENING_BALANCE the
 *                          lifecycle's quantity; zero for an AVERAGE_RESET
 * @param price             per-unit price of a FILL or ESTIMATE; the average of an OPENING_BALANCE or AVERAGE_RESET
 * @param commission        this share's commission in the position's currency ({@code null} while unknown)
 * @param commissionPending true while the commission report (or the exchange rate to convert it) is missing
 * @param fillShares        the whole execution's size (positive) of a FILL; {@code null} otherwise
 * @param commissionRaw     the whole execution's commission as reported, in {@code commissionCurrency}
 * @param commissionCurrency currency of {@code commissionRaw}
 * @param realizedOpening   realized P&L carried in by an OPENING_BALANCE ({@code null} otherwise)
 * @param openingEstimated  an OPENING_BALANCE whose carried realized P&L was an estimate
 * @param brokerRealizedPnl IB's realizedPNL of the whole execution (commission report), for the cross-check
 * @param runId             the run that added (or last rewrote) the entry; 0 before it is stored
 * @param foldTime          where a FILL sits in the fold when that is not its execution time (a fill deferred by a
 *                          run is folded after that run's observation); {@code null}: at {@code time}
 * @param observedQuantity  for the entries a run derives from what the broker reported (ESTIMATE, AVERAGE_RESET,
 *                          SPLIT): the broker's quantity then; {@code null} for an entry folded as it stands
 * @param observedAverage   the broker's per-unit average then
 * @param observedMarket    the broker's market price then
 */
public record LedgerEntry(
        EntryKind kind,
        String execId,
        Instant time,
        BigDecimal quantity,
        BigDecimal price,
        BigDecimal commission,
        boolean commissionPending,
        BigDecimal fillShares,
        BigDecimal commissionRaw,
        String commissionCurrency,
        BigDecimal realizedOpening,
        boolean openingEstimated,
        BigDecimal brokerRealizedPnl,
        long runId,
        Instant foldTime,
        BigDecimal observedQuantity,
        BigDecimal observedAverage,
        BigDecimal observedMarket) {

    /** An entry folded as it stands: no fold time of its own, not derived from an observation. */
    public LedgerEntry(EntryKind kind, String execId, Instant time, BigDecimal quantity, BigDecimal price,
            BigDecimal commission, boolean commissionPending, BigDecimal fillShares, BigDecimal commissionRaw,
            String commissionCurrency, BigDecimal realizedOpening, boolean openingEstimated, BigDecimal brokerRealizedPnl,
            long runId) {
        this(kind, execId, time, quantity, price, commission, commissionPending, fillShares, commissionRaw,
                commissionCurrency, realizedOpening, openingEstimated, brokerRealizedPnl, runId, null, null, null, null);
    }

    public LedgerEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(quantity, "quantity");
        if (kind == EntryKind.FILL && (execId == null || fillShares == null)) {
            throw new IllegalArgumentException("a FILL needs its execId and the execution's size");
        }
        if ((kind == EntryKind.FILL || kind == EntryKind.ESTIMATE) && (quantity.signum() == 0 || price == null)) {
            throw new IllegalArgumentException(kind + " needs a non-zero quantity and a price");
        }
    }

    /** A real execution's share. */
    public static LedgerEntry fill(String execId, Instant time, BigDecimal quantity, BigDecimal price,
            BigDecimal commission, boolean commissionPending, BigDecimal fillShares, BigDecimal commissionRaw,
            String commissionCurrency, BigDecimal brokerRealizedPnl, long runId) {
        return new LedgerEntry(EntryKind.FILL, execId, time, quantity, price, commission, commissionPending, fillShares,
                commissionRaw, commissionCurrency, null, false, brokerRealizedPnl, runId);
    }

    /** An estimated fill of a change no execution explains; it carries no commission. */
    public static LedgerEntry estimate(Instant runTime, BigDecimal quantity, BigDecimal price, long runId) {
        return new LedgerEntry(EntryKind.ESTIMATE, null, runTime, quantity, price, BigDecimal.ZERO, false, null, null,
                null, null, false, null, runId);
    }

    /** A position taken as it stands: quantity, per-unit average, realized P&L so far. */
    public static LedgerEntry openingBalance(Instant time, BigDecimal quantity, BigDecimal average, BigDecimal realized,
            boolean realizedEstimated, long runId) {
        return new LedgerEntry(EntryKind.OPENING_BALANCE, null, time, quantity, average, null, false, null, null, null,
                realized, realizedEstimated, null, runId);
    }

    /** The broker's average replaces the ledger's. */
    public static LedgerEntry averageReset(Instant time, BigDecimal brokerAverage, long runId) {
        return new LedgerEntry(EntryKind.AVERAGE_RESET, null, time, BigDecimal.ZERO, brokerAverage, null, false, null,
                null, null, null, false, null, runId);
    }

    /** True for the entries that move the quantity by trading: fills and estimates. */
    public boolean isTrade() {
        return kind == EntryKind.FILL || kind == EntryKind.ESTIMATE;
    }

    /** The commission to fold: unknown counts as zero (the entry stays flagged pending). */
    public BigDecimal commissionOrZero() {
        return commission == null ? BigDecimal.ZERO : commission;
    }

    /** This share's part of the whole execution: {@code |quantity| / fillShares}. */
    public BigDecimal shareOfFill(MathContext mc) {
        return fillShares == null ? BigDecimal.ONE : quantity.abs().divide(fillShares, mc);
    }

    /**
     * The first {@code part} units (absolute, less than |quantity|) of this trade and the rest, the commission
     * split by quantity: the two together are this entry.
     */
    public LedgerEntry[] split(BigDecimal part, MathContext mc) {
        BigDecimal whole = quantity.abs();
        if (part.signum() <= 0 || part.compareTo(whole) >= 0) {
            throw new IllegalArgumentException("cannot take " + part + " of " + whole);
        }
        BigDecimal rest = whole.subtract(part);
        int sign = quantity.signum();
        BigDecimal firstCommission = commission == null ? null : commission.multiply(part).divide(whole, mc);
        BigDecimal restCommission = commission == null ? null : commission.subtract(firstCommission);
        return new LedgerEntry[] {
            withQuantity(part.multiply(BigDecimal.valueOf(sign)), firstCommission),
            withQuantity(rest.multiply(BigDecimal.valueOf(sign)), restCommission)
        };
    }

    public LedgerEntry withQuantity(BigDecimal newQuantity, BigDecimal newCommission) {
        return new LedgerEntry(kind, execId, time, newQuantity, price, newCommission, commissionPending, fillShares,
                commissionRaw, commissionCurrency, realizedOpening, openingEstimated, brokerRealizedPnl, runId, foldTime,
                observedQuantity, observedAverage, observedMarket);
    }

    /** The same entry folded at {@code at} instead of its own time. */
    public LedgerEntry withFoldTime(Instant at) {
        return new LedgerEntry(kind, execId, time, quantity, price, commission, commissionPending, fillShares,
                commissionRaw, commissionCurrency, realizedOpening, openingEstimated, brokerRealizedPnl, runId, at,
                observedQuantity, observedAverage, observedMarket);
    }

    /** The same entry with what the broker reported when it was derived. */
    public LedgerEntry observed(BigDecimal brokerQuantity, BigDecimal brokerAverage, BigDecimal brokerMarket) {
        return new LedgerEntry(kind, execId, time, quantity, price, commission, commissionPending, fillShares,
                commissionRaw, commissionCurrency, realizedOpening, openingEstimated, brokerRealizedPnl, runId, foldTime,
                brokerQuantity, brokerAverage, brokerMarket);
    }

    /** Where the entry sits in the fold: its fold time, else its time. */
    public Instant orderTime() {
        return foldTime != null ? foldTime : time;
    }

    /** An entry a run derived from the broker's report (re-derived by every refold), not a fact of its own. */
    public boolean derived() {
        return observedQuantity != null;
    }

    /** A split or reverse split: quantity times {@code ratio}, average divided by it, nothing realized. */
    public static LedgerEntry split(Instant runTime, BigDecimal ratio, long runId) {
        return new LedgerEntry(EntryKind.SPLIT, null, runTime, ratio, null, null, false, null, null, null, null, false,
                null, runId);
    }

    /** The same share with its commission known (or still pending). */
    public LedgerEntry withCommission(BigDecimal newCommission, boolean pending, BigDecimal raw, String currency,
            BigDecimal brokerRealized) {
        return new LedgerEntry(kind, execId, time, quantity, price, newCommission, pending, fillShares, raw, currency,
                realizedOpening, openingEstimated, brokerRealized, runId, foldTime, observedQuantity, observedAverage,
                observedMarket);
    }

    /** The same share after a correction of its execution. */
    public LedgerEntry corrected(String newExecId, Instant newTime, BigDecimal newQuantity, BigDecimal newPrice,
            BigDecimal newCommission, boolean pending, BigDecimal newFillShares, BigDecimal raw, String currency,
            BigDecimal brokerRealized) {
        return new LedgerEntry(kind, newExecId, newTime == null ? time : newTime, newQuantity, newPrice, newCommission,
                pending, newFillShares, raw, currency, realizedOpening, openingEstimated, brokerRealized, runId, foldTime,
                observedQuantity, observedAverage, observedMarket);
    }
}
