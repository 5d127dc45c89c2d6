package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * A contract the simulated gateway knows. {@code multiplier} is {@code null} for instruments without one
 * (stocks), which the wire shows as an empty field and arithmetic reads as 1. Derivatives carry
 * {@code lastTradeDateOrContractMonth}, and options also {@code strike} and {@code right} ({@code C}/{@code P}).
 * {@code minTick} is the price increment the random walk rounds to.
 */
public record Instrument(
        long conId,
        String symbol,
        String secType,
        String currency,
        String exchange,
        String primaryExchange,
        String localSymbol,
        String tradingClass,
        BigDecimal multiplier,
        String lastTradeDateOrContractMonth,
        BigDecimal strike,
        String right,
        BigDecimal minTick) {

    private static final String DEFAULT_CURRENCY = "USD";
    private static final String DEFAULT_EXCHANGE = "SMART";
    private static final BigDecimal DEFAULT_MIN_TICK = new BigDecimal("0.01");

    public Instrument {
        if (conId <= 0) {
            throw new IllegalArgumentException("an instrument needs a positive conId, got " + conId);
        }
        Objects.requireNonNull(symbol, "symbol");
        secType = secType == null || secType.isBlank() ? "STK" : secType;
        currency = currency == null || currency.isBlank() ? DEFAULT_CURRENCY : currency;
        exchange = exchange == null ? DEFAULT_EXCHANGE : exchange;
        primaryExchange = primaryExchange == null ? "" : primaryExchange;
        localSymbol = localSymbol == null ? symbol : localSymbol;
        tradingClass = tradingClass == null ? "" : tradingClass;
        lastTradeDateOrContractMonth = lastTradeDateOrContractMonth == null ? "" : lastTradeDateOrContractMonth;
        right = right == null ? "" : right;
        minTick = minTick == null || minTick.signum() <= 0 ? DEFAULT_MIN_TICK : minTick;
        if (multiplier != null && multiplier.signum() < 0) {
            throw new IllegalArgumentException("multiplier of conId " + conId + " cannot be negative");
        }
    }

    /** A US stock routed SMART with the given primary exchange. */
    public static Instrument stock(long conId, String symbol, String primaryExchange) {
        return new Instrument(conId, symbol, "STK", DEFAULT_CURRENCY, DEFAULT_EXCHANGE, primaryExchange, symbol,
                "NMS", null, null, null, null, null);
    }

    /** A future, e.g. {@code future(495512563, "ES", "ESZ6", "20261218", "CME", new BigDecimal("50"), new BigDecimal("0.25"))}. */
    public static Instrument future(long conId, String symbol, String localSymbol, String lastTradeDate, String exchange,
            BigDecimal multiplier, BigDecimal minTick) {
        return new Instrument(conId, symbol, "FUT", DEFAULT_CURRENCY, exchange, exchange, localSymbol, symbol,
                multiplier, lastTradeDate, null, null, minTick);
    }

    /** An equity option with an OCC-style local symbol. */
    public static Instrument option(long conId, String symbol, String localSymbol, String lastTradeDate,
            BigDecimal strike, String right, BigDecimal multiplier) {
        return new Instrument(conId, symbol, "OPT", DEFAULT_CURRENCY, DEFAULT_EXCHANGE, "", localSymbol, symbol,
                multiplier, lastTradeDate, strike, right, null);
    }

    /** The multiplier to use in arithmetic: absent or zero means 1. */
    public BigDecimal effectiveMultiplier() {
        return multiplier == null || multiplier.signum() == 0 ? BigDecimal.ONE : multiplier;
    }
}
