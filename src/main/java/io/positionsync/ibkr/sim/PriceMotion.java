package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Objects;

/**
 * How a scenario's prices move: a seeded random walk that every {@code tickInterval} moves each price by at
 * most {@code maxStepPercent} percent (up or down), rounded to the contract's minimum tick.
 */
public record PriceMotion(long seed, Duration tickInterval, BigDecimal maxStepPercent) {

    public PriceMotion {
        Objects.requireNonNull(tickInterval, "tickInterval");
        Objects.requireNonNull(maxStepPercent, "maxStepPercent");
        if (tickInterval.isNegative() || tickInterval.isZero()) {
            throw new IllegalArgumentException("priceMotion tick interval must be positive");
        }
        if (maxStepPercent.signum() < 0) {
            throw new IllegalArgumentException("priceMotion maxStepPercent cannot be negative");
        }
    }
}
