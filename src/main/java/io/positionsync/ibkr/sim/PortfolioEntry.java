package io.positionsync.ibkr.sim;

import java.math.BigDecimal;

/**
 * One {@code updatePortfolio} line: a position valued at the current market price. Market figures are
 * {@code null} when the simulator has no price for the contract (sent as unset sentinels).
 */
public record PortfolioEntry(Position position, Instrument instrument, BigDecimal marketPrice, BigDecimal marketValue,
        BigDecimal unrealizedPnl) {
}
