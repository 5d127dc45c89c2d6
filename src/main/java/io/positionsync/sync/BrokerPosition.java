package io.positionsync.sync;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * One position as the broker reports it ({@code position} message). {@code avgCost} is per contract,
 * including the multiplier and commissions. {@code multiplier} is {@code null} when the broker sends
 * none (read as 1).
 */
public record BrokerPosition(
        String account,
        long conId,
        String symbol,
        String secType,
        String currency,
        String localSymbol,
        BigDecimal multiplier,
        BigDecimal position,
        BigDecimal avgCost) {

    public BrokerPosition {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(position, "position");
    }

    /** The multiplier to use in arithmetic: absent or zero means 1. */
    public BigDecimal effectiveMultiplier() {
        return multiplier == null || multiplier.signum() == 0 ? BigDecimal.ONE : multiplier;
    }
}
