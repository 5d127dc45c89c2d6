package io.positionsync.sync;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * A second, independently written average-cost calculator for tests: it keeps the position's total cost basis
 * (in money, multiplier and commissions included) instead of a per-unit average, and releases it pro rata on
 * every reduction. The same economics as {@link FillLedger}, reached by another road.
 */
final class IndependentLedger {
    private static final MathContext MC = MathContext.DECIMAL128;

    private final BigDecimal multiplier;
    BigDecimal quantity = BigDecimal.ZERO;
    /** Long: what the units cost, commissions added. Short: what they were sold for, commissions taken off. */
    BigDecimal basis = BigDecimal.ZERO;
    BigDecimal realized = BigDecimal.ZERO;
    boolean realizedAny;
    int lifecyclesClosed;
    BigDecimal realizedOfClosed = BigDecimal.ZERO;

    IndependentLedger(BigDecimal multiplier) {
        this.multiplier = multiplier == null || multiplier.signum() == 0 ? BigDecimal.ONE : multiplier;
    }

    /** The per-unit average the broker would show (its avgCost / multiplier), {@code null} when flat. */
    BigDecimal average() {
        return quantity.signum() == 0 ? null : basis.divide(quantity.abs().multiply(multiplier), MC);
    }

    /** Replays one stored ledger entry. */
    void entry(LedgerEntry entry) {
        switch (entry.kind()) {
            case OPENING_BALANCE -> {
                quantity = entry.quantity();
                basis = entry.quantity().abs().multiply(entry.price()).multiply(multiplier);
                realized = entry.realizedOpening() == null ? BigDecimal.ZERO : entry.realizedOpening();
                realizedAny = entry.realizedOpening() != null;
            }
            case AVERAGE_RESET -> basis = quantity.abs().multiply(entry.price()).multiply(multiplier);
            case SPLIT -> quantity = quantity.multiply(entry.quantity()); // the cost basis stays
            default -> trade(entry.quantity(), entry.price(), entry.commission() == null ? BigDecimal.ZERO : entry.commission());
        }
    }

    /**
     * A trade of signed size {@code q}; one that goes through zero closes this lifecycle (its realized amount
     * is added to {@link #realizedOfClosed}) and opens the next with the rest and its share of the commission.
     */
    void trade(BigDecimal q, BigDecimal price, BigDecimal commission) {
        if (quantity.signum() == 0 || q.signum() == quantity.signum()) {
            BigDecimal notional = q.abs().multiply(price).multiply(multiplier);
            basis = quantity.signum() >= 0 && q.signum() > 0 ? basis.add(notional).add(commission)
                    : basis.add(notional).subtract(commission);
            quantity = quantity.add(q);
            return;
        }
        BigDecimal reduce = q.abs().min(quantity.abs());
        BigDecimal released = basis.multiply(reduce).divide(quantity.abs(), MC);
        BigDecimal proceeds = reduce.multiply(price).multiply(multiplier);
        BigDecimal fee = commission.multiply(reduce).divide(q.abs(), MC);
        BigDecimal pnl = quantity.signum() > 0 ? proceeds.subtract(released) : released.subtract(proceeds);
        realized = realized.add(pnl).subtract(fee);
        realizedAny = true;
        basis = basis.subtract(released);
        quantity = quantity.add(BigDecimal.valueOf(q.signum()).multiply(reduce));
        if (quantity.signum() == 0) {
            lifecyclesClosed++;
            realizedOfClosed = realizedOfClosed.add(realized);
            realized = BigDecimal.ZERO;
            realizedAny = false;
            basis = BigDecimal.ZERO;
            BigDecimal rest = q.abs().subtract(reduce);
            if (rest.signum() > 0) {
                trade(rest.multiply(BigDecimal.valueOf(q.signum())), price, commission.subtract(fee));
            }
        }
    }

    /** Everything realized, closed lifecycles and the open one. */
    BigDecimal totalRealized() {
        return realizedOfClosed.add(realized);
    }

    /** Folds one lifecycle's stored entries (no zero crossing inside a lifecycle). */
    static IndependentLedger of(java.util.List<LedgerEntry> entries, BigDecimal multiplier) {
        IndependentLedger ledger = new IndependentLedger(multiplier);
        for (LedgerEntry entry : entries) {
            ledger.entry(entry);
        }
        return ledger;
    }
}
