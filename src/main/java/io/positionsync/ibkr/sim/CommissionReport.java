package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * The {@code commissionReport} that follows an execution. {@code realizedPnl} is IB's figure for the fill:
 * {@code null} (sent as the unset sentinel) for a fill that only opens or adds to a position.
 */
public record CommissionReport(String execId, BigDecimal commission, String currency, BigDecimal realizedPnl) {

    public CommissionReport {
        Objects.requireNonNull(execId, "execId");
        Objects.requireNonNull(commission, "commission");
        Objects.requireNonNull(currency, "currency");
    }
}
