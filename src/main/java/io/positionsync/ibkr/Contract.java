package io.positionsync.ibkr;

import java.math.BigDecimal;

/**
 * The contract fields that {@code position}, {@code updatePortfolio} and {@code execDetails} carry.
 * The messages differ on purpose: {@code position} and {@code execDetails} carry {@code exchange} and no
 * {@code primaryExchange}, {@code updatePortfolio} carries {@code primaryExchange} and no
 * {@code exchange}; the field a message does not carry is {@code null}. Empty text fields and unset
 * numbers are {@code null}.
 */
public record Contract(
        long conId,
        String symbol,
        String secType,
        String lastTradeDateOrContractMonth,
        BigDecimal strike,
        String right,
        BigDecimal multiplier,
        String exchange,
        String primaryExchange,
        String currency,
        String localSymbol,
        String tradingClass) {
}
