package io.positionsync.sync;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Objects;

/**
 * One instrument of one account as a complete snapshot reports it: the {@code position} message merged
 * with the {@code updatePortfolio} values of the same {@code (account, conId)}.
 *
 * <p>{@code averagePrice} is per unit: the broker's avgCost (per contract, multiplier and entry commissions
 * included) divided by the multiplier, see {@link #averagePerUnit(BigDecimal, BigDecimal, MathContext)}.
 * A {@code quantity} of zero is kept: it means the broker says the instrument is flat (e.g. closed today).
 * Market fields may be {@code null} when the broker sent none.
 *
 * @param multiplier        as reported, {@code null} when the broker sent none (read as 1 in arithmetic)
 * @param brokerRealizedPnl IB's realized P&L of the day from {@code updatePortfolio}: a cross-check only
 */
public record SnapshotPosition(
        String account,
        long conId,
        String symbol,
        String secType,
        String currency,
        BigDecimal multiplier,
        BigDecimal quantity,
        BigDecimal averagePrice,
        BigDecimal marketPrice,
        BigDecimal marketValue,
        BigDecimal unrealizedPnl,
        BigDecimal brokerRealizedPnl) {

    public SnapshotPosition {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(quantity, "quantity");
    }

    public PositionKey key() {
        return new PositionKey(account, conId);
    }

    /** The multiplier to use in arithmetic: absent or zero means 1. */
    public BigDecimal effectiveMultiplier() {
        return effectiveMultiplier(multiplier);
    }

    static BigDecimal effectiveMultiplier(BigDecimal multiplier) {
        return multiplier == null || multiplier.signum() == 0 ? BigDecimal.ONE : multiplier;
    }

    /**
     * Per-unit average price from the broker's per-contract avgCost. The division uses {@code precision}
     * significant digits (the service uses {@link MathContext#DECIMAL64}, 16 digits, far more than a broker
     * price carries) and trailing zeros are stripped, so exact quotients stay exact
     * (250002.40 / 50 = 5000.048) and the value is never shown in exponent form (scale is at least 0).
     *
     * @return {@code null} when {@code avgCost} is absent
     */
    public static BigDecimal averagePerUnit(BigDecimal avgCost, BigDecimal multiplier, MathContext precision) {
        if (avgCost == null) {
            return null;
        }
        BigDecimal perUnit = avgCost.divide(effectiveMultiplier(multiplier), precision).stripTrailingZeros();
        return perUnit.scale() < 0 ? perUnit.setScale(0) : perUnit;
    }
}
