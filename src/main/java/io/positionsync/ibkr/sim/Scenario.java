package io.positionsync.ibkr.sim;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A simulator scenario, read from JSON (format in {@code docs/simulator.md}): accounts with cash, instruments
 * with their current price, start-of-day positions, today's executions with commissions (applied in time order
 * on top of the positions, so the resulting positions and avgCosts are IB-consistent), price motion, and
 * protocol settings. {@link #toState(Clock)} builds the {@link SimulatorState}.
 */
public record Scenario(
        String name,
        Integer maxServerVersion,
        Boolean reportClosedAsZero,
        String baseCurrency,
        Long nextOrderId,
        List<AccountSpec> accounts,
        List<InstrumentSpec> instruments,
        List<PositionSpec> positions,
        List<ExecutionSpec> executions,
        PriceMotionSpec priceMotion) {

    /** Classpath location of the built-in demo scenario. */
    public static final String DEMO_RESOURCE = "/sim/demo-scenario.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** An account and its cash balance in the base currency. */
    public record AccountSpec(String code, BigDecimal cash) {
    }

    /** An instrument (see {@link Instrument}) and its current market price (optional). */
    public record InstrumentSpec(long conId, String symbol, String secType, String currency, String exchange,
            String primaryExchange, String localSymbol, String tradingClass, BigDecimal multiplier,
            String lastTradeDateOrContractMonth, BigDecimal strike, String right, BigDecimal minTick,
            BigDecimal price) {

        public Instrument toInstrument() {
            return new Instrument(conId, symbol, secType, currency, exchange, primaryExchange, localSymbol,
                    tradingClass, multiplier, lastTradeDateOrContractMonth, strike, right, minTick);
        }
    }

    /** A position as it stood at the start of the day: signed quantity, avgCost per contract (multiplier and commissions included). */
    public record PositionSpec(String account, long conId, BigDecimal quantity, BigDecimal avgCost) {
    }

    /**
     * A fill of today: side {@code BOT}/{@code SLD}, positive quantity, per-unit price, commission. Its time is
     * {@code time} (ISO-8601 instant), else {@code minutesAgo} before loading, else spread a minute apart before
     * loading in file order.
     */
    public record ExecutionSpec(String account, long conId, String side, BigDecimal quantity, BigDecimal price,
            BigDecimal commission, Long minutesAgo, String time) {
    }

    /** A seeded random walk: every {@code tickIntervalMs}, each price moves at most {@code maxStepPercent} percent. */
    public record PriceMotionSpec(long seed, long tickIntervalMs, BigDecimal maxStepPercent) {

        public PriceMotion toPriceMotion() {
            return new PriceMotion(seed, Duration.ofMillis(tickIntervalMs), maxStepPercent);
        }
    }

    public Scenario {
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
        instruments = instruments == null ? List.of() : List.copyOf(instruments);
        positions = positions == null ? List.of() : List.copyOf(positions);
        executions = executions == null ? List.of() : List.copyOf(executions);
    }

    /** The built-in demo scenario. */
    public static Scenario demo() {
        try (InputStream in = Scenario.class.getResourceAsStream(DEMO_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("demo scenario missing from the classpath: " + DEMO_RESOURCE);
            }
            return read(in, "demo scenario");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the demo scenario: " + e.getMessage(), e);
        }
    }

    /** Reads a scenario file. */
    public static Scenario load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads scenario JSON.
     *
     * @throws IllegalArgumentException when the JSON is not a valid scenario (message names the source)
     */
    public static Scenario read(InputStream in, String source) throws IOException {
        Scenario scenario;
        try {
            scenario = JSON.readValue(in, Scenario.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": " + e.getOriginalMessage(), e);
        }
        if (scenario == null) {
            throw new IllegalArgumentException(source + ": empty scenario");
        }
        if (scenario.accounts().isEmpty()) {
            throw new IllegalArgumentException(source + ": a scenario needs at least one account");
        }
        Integer version = scenario.maxServerVersion();
        if (version != null && (version < SimulatorOptions.DEFAULT_MIN_SERVER_VERSION
                || version >= SimulatorOptions.FIRST_BINARY_SERVER_VERSION)) {
            throw new IllegalArgumentException(source + ": maxServerVersion must be in "
                    + SimulatorOptions.DEFAULT_MIN_SERVER_VERSION + ".." + (SimulatorOptions.FIRST_BINARY_SERVER_VERSION - 1)
                    + " (below 201), got " + version);
        }
        return scenario;
    }

    /** The highest server version the scenario asks for, or {@code fallback} when it names none. */
    public int maxServerVersionOr(int fallback) {
        return maxServerVersion == null ? fallback : maxServerVersion;
    }

    /**
     * Options for serving this scenario as it asks: default host and ephemeral port, its {@code maxServerVersion},
     * and prices moving at its price motion's tick interval (standing still without one).
     */
    public SimulatorOptions simulatorOptions() {
        SimulatorOptions options = SimulatorOptions.defaults()
                .withMaxServerVersion(maxServerVersionOr(SimulatorOptions.DEFAULT_MAX_SERVER_VERSION));
        return priceMotion == null ? options
                : options.withPriceTickInterval(priceMotion.toPriceMotion().tickInterval());
    }

    /** The state on the system clock. */
    public SimulatorState toState() {
        return toState(Clock.systemUTC());
    }

    /**
     * Builds the state: accounts, instruments and prices, start-of-day positions, then today's executions in time
     * order through {@link SimulatorState#trade}.
     *
     * @throws IllegalArgumentException when the scenario refers to unknown accounts or instruments, or a value is invalid
     */
    public SimulatorState toState(Clock clock) {
        SimulatorState state = new SimulatorState(clock)
                .reportClosedAsZero(reportClosedAsZero == null || reportClosedAsZero);
        if (baseCurrency != null) {
            state.baseCurrency(baseCurrency);
        }
        if (nextOrderId != null) {
            state.nextOrderId(nextOrderId);
        }
        for (AccountSpec account : accounts) {
            state.addAccount(account.code(), account.cash() == null ? BigDecimal.ZERO : account.cash());
        }
        for (InstrumentSpec spec : instruments) {
            state.addInstrument(spec.toInstrument());
            if (spec.price() != null) {
                state.setMarketPrice(spec.conId(), spec.price());
            }
        }
        for (PositionSpec position : positions) {
            if (position.quantity() == null) {
                throw new IllegalArgumentException("position of " + position.account() + "/" + position.conId()
                        + " has no quantity");
            }
            state.setPosition(position.account(), position.conId(), position.quantity(),
                    position.avgCost() == null ? BigDecimal.ZERO : position.avgCost());
        }
        Instant now = clock.instant();
        List<Timed> timed = new ArrayList<>();
        for (int i = 0; i < executions.size(); i++) {
            ExecutionSpec spec = executions.get(i);
            timed.add(new Timed(spec, timeOf(spec, now, executions.size() - i), i));
        }
        timed.sort(Comparator.comparing(Timed::time).thenComparingInt(Timed::order));
        for (Timed t : timed) {
            ExecutionSpec e = t.spec();
            if (e.side() == null || e.quantity() == null || e.price() == null) {
                throw new IllegalArgumentException("execution " + (t.order() + 1) + " needs side, quantity and price");
            }
            state.trade(e.account(), e.conId(), Side.parse(e.side()), e.quantity(), e.price(),
                    e.commission() == null ? BigDecimal.ZERO : e.commission(), t.time());
        }
        if (priceMotion != null) {
            state.priceMotion(priceMotion.toPriceMotion());
        }
        return state;
    }

    private static Instant timeOf(ExecutionSpec spec, Instant now, int minutesBefore) {
        if (spec.time() != null && !spec.time().isBlank()) {
            try {
                return Instant.parse(spec.time());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("execution time '" + spec.time() + "' is not an ISO-8601 instant", e);
            }
        }
        long minutes = spec.minutesAgo() != null ? spec.minutesAgo() : minutesBefore;
        return now.minus(Duration.ofMinutes(minutes));
    }

    private record Timed(ExecutionSpec spec, Instant time, int order) {
    }
}
