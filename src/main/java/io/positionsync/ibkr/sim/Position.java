package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * What one account holds of one contract, IB-style: {@code quantity} is signed (short < 0) and
 * {@code avgCost} is per contract, including the multiplier and the commissions paid to get there
 * (0 once the position is flat). {@code realizedPnlToday} is IB's own day figure for this contract,
 * shown as {@code realizedPNL} in {@code updatePortfolio}.
 */
public record Position(String account, long conId, BigDecimal quantity, BigDecimal avgCost, BigDecimal realizedPnlToday) {

    public Position {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(quantity, "quantity");
        avgCost = avgCost == null ? BigDecimal.ZERO : avgCost;
        realizedPnlToday = realizedPnlToday == null ? BigDecimal.ZERO : realizedPnlToday;
    }

    public boolean isFlat() {
        return quantity.signum() == 0;
    }
}
