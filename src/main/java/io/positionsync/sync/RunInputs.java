package io.positionsync.sync;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What every instrument of one run shares, read-only: the run, its clock, the cross-check tolerance and the
 * snapshot's exchange rates ({@code account -> currency -> base currency per unit}).
 */
public record RunInputs(long runId, Instant now, BigDecimal tolerance, Map<String, Map<String, BigDecimal>> exchangeRates) {

    public RunInputs {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(tolerance, "tolerance");
        if (tolerance.signum() < 0) {
            throw new IllegalArgumentException("tolerance must be >= 0: " + tolerance);
        }
        Map<String, Map<String, BigDecimal>> copy = new HashMap<>();
        (exchangeRates == null ? Map.<String, Map<String, BigDecimal>>of() : exchangeRates)
                .forEach((account, rates) -> copy.put(account, Map.copyOf(rates)));
        exchangeRates = Map.copyOf(copy);
    }

    /**
     * {@code amount} in {@code from} converted to {@code to} with the account's rates:
     * {@code amount * rate(from) / rate(to)}. Same currency (or an unknown one on either side) needs no rate.
     *
     * @return the converted amount, or {@code null} when a rate is missing
     */
    public BigDecimal convert(String account, BigDecimal amount, String from, String to) {
        if (amount == null || from == null || from.isEmpty() || to == null || to.isEmpty() || from.equals(to)) {
            return amount;
        }
        Map<String, BigDecimal> rates = exchangeRates.getOrDefault(account, Map.of());
        BigDecimal fromRate = rates.get(from);
        BigDecimal toRate = rates.get(to);
        if (fromRate == null || toRate == null) {
            return null;
        }
        return amount.multiply(fromRate).divide(toRate, MathContext.DECIMAL128);
    }
}
