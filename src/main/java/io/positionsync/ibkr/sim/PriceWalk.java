package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Random;

/**
 * Moves every priced instrument of a state one random step: at most {@code maxStepPercent} percent up or
 * down, rounded to the instrument's minimum tick and never below one tick. Seeded, so a scenario replays the
 * same path. {@link GatewaySimulator} calls {@link #step()} at the tick interval when asked to move prices;
 * tests call it directly.
 */
public final class PriceWalk {
    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    private final SimulatorState state;
    private final BigDecimal maxStepPercent;
    private final Random random;

    public PriceWalk(SimulatorState state, long seed, BigDecimal maxStepPercent) {
        this.state = state;
        this.maxStepPercent = maxStepPercent;
        this.random = new Random(seed);
    }

    public PriceWalk(SimulatorState state, PriceMotion motion) {
        this(state, motion.seed(), motion.maxStepPercent());
    }

    /** One tick: every instrument with a price moves, and subscribers hear of each change. */
    public synchronized void step() {
        for (Instrument instrument : state.instruments()) {
            BigDecimal price = state.marketPrice(instrument.conId()).orElse(null);
            if (price == null) {
                continue;
            }
            // The random draw is a double; the price itself stays a decimal rounded to the tick.
            BigDecimal fraction = BigDecimal.valueOf(random.nextDouble() * 2 - 1)
                    .multiply(maxStepPercent).divide(HUNDRED);
            BigDecimal moved = price.add(price.multiply(fraction));
            BigDecimal tick = instrument.minTick();
            BigDecimal rounded = moved.divide(tick, 0, RoundingMode.HALF_EVEN).multiply(tick);
            state.setMarketPrice(instrument.conId(), AverageCost.normalize(rounded.max(tick)));
        }
    }
}
