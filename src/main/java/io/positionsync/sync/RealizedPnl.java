package io.positionsync.sync;

import io.positionsync.ibkr.BrokerExecution;

import java.math.BigDecimal;
import java.util.List;

/**
 * The realized P&L of one reduction of {@code reducedQuantity} units, as {@link RealizedPnlCalculator} found it.
 *
 * <p>When {@code amount} is {@code null} the reduction could not be priced (no execution and no market price,
 * or no average price): the quantity change is still applied and nothing is invented. {@code uses} lists the
 * executions matched against the reduction even then, so they are never matched again.
 *
 * @param amount             realized P&L, rounded to the calculator's scale; {@code null} when unpriced
 * @param source             {@code EXECUTIONS} when executions explain the whole reduction, {@code MARKET_PRICE}
 *                           when any part was priced at the market price; {@code null} when unpriced
 * @param exitPrice          volume-weighted exit price over the whole reduction; {@code null} when unpriced
 * @param exitCommission     commissions charged against the reduction (prorated); {@code null} when no
 *                           execution was used or when unpriced
 * @param brokerRealizedPnl  sum of IB's realizedPNL of the used executions; {@code null} unless every used
 *                           execution carries one
 * @param reducedQuantity    units closed (positive)
 * @param explainedQuantity  units matched by executions (0 to {@code reducedQuantity})
 * @param uses               executions matched, oldest first, with the units taken from each
 * @param commissionMissing  true when a used execution had no commission report yet (counted as zero)
 */
public record RealizedPnl(
        BigDecimal amount,
        RealizedPnlSource source,
        BigDecimal exitPrice,
        BigDecimal exitCommission,
        BigDecimal brokerRealizedPnl,
        BigDecimal reducedQuantity,
        BigDecimal explainedQuantity,
        List<ExecutionUse> uses,
        boolean commissionMissing) {

    public RealizedPnl {
        uses = List.copyOf(uses);
    }

    /** Units of one execution matched against a reduction. */
    public record ExecutionUse(BrokerExecution execution, BigDecimal quantity) {
        /** True when only part of the execution's shares went to this reduction (its commission is prorated). */
        public boolean partial() {
            return quantity.compareTo(execution.shares()) < 0;
        }
    }

    public boolean priced() {
        return amount != null;
    }

    /** True when executions explain the whole reduced quantity. */
    public boolean fullyExplained() {
        return explainedQuantity.compareTo(reducedQuantity) == 0;
    }

    public List<String> execIds() {
        return uses.stream().map(use -> use.execution().execId()).toList();
    }
}
