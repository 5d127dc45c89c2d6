package io.positionsync.boot;

import java.time.Duration;
import java.util.Objects;

/**
 * The built-in simulator's demo ({@code psync.sim.*}).
 *
 * @param priceTick     how often prices move; zero keeps them still
 * @param tradeInterval how often the demo trades; zero: never
 * @param seed          seed of the demo's trading
 * @param historyDays   trading days the demo lives through before its start-up run on an empty database
 * @param syncPeriod    the timer's period on the simulator while {@code psync.sync.period} is left at its default
 */
public record SimulatorSettings(Duration priceTick, Duration tradeInterval, int seed, int historyDays,
        Duration syncPeriod) {
    public SimulatorSettings {
        Objects.requireNonNull(priceTick, "priceTick");
        Objects.requireNonNull(tradeInterval, "tradeInterval");
        Objects.requireNonNull(syncPeriod, "syncPeriod");
    }
}
