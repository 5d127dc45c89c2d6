package io.positionsync.sync;

import java.math.BigDecimal;

/**
 * A lifecycle's state after folding some of its entries: signed quantity {@code Q}, per-unit average {@code A}
 * (entry commissions included) and realized P&L {@code R}, all unrounded. {@code estimated} is true once an
 * estimate (or an estimated opening balance) contributed to {@code R}: the figure is then
 * {@link RealizedPnlSource#MARKET_PRICE}. {@code realizedAny} tells a lifecycle that realized something (even
 * exactly zero) from one that never reduced.
 */
public record LedgerState(BigDecimal quantity, BigDecimal average, BigDecimal realized, boolean estimated,
        boolean realizedAny) {

    /** Flat, nothing realized. */
    public static final LedgerState FLAT = new LedgerState(BigDecimal.ZERO, null, BigDecimal.ZERO, false, false);

    public boolean flat() {
        return quantity.signum() == 0;
    }

    /** Source of the realized figure, {@code null} while nothing was realized. */
    public RealizedPnlSource source() {
        if (!realizedAny) {
            return null;
        }
        return estimated ? RealizedPnlSource.MARKET_PRICE : RealizedPnlSource.EXECUTIONS;
    }
}
