package io.positionsync.sync;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * Market values for one position of one account ({@code updatePortfolio} message). Every price and
 * P&L figure may be absent ({@code null}) when the broker sends the unset sentinel.
 * {@code realizedPnl} is IB's own figure for the day: a cross-check, not the ledger.
 */
public record PortfolioValue(
        String account,
        long conId,
        String symbol,
        String secType,
        String currency,
        BigDecimal multiplier,
        BigDecimal position,
        BigDecimal marketPrice,
        BigDecimal marketValue,
        BigDecimal averageCost,
        BigDecimal unrealizedPnl,
        BigDecimal realizedPnl) {

    public PortfolioValue {
        Objects.requireNonNull(account, "account");
    }
}
