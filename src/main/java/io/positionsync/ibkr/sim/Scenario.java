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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

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
        PriceMotionSpec priceMotion,
        Map<String, BigDecimal> exchangeRates,
        Integer masterClientId,
        List<StepSpec> script,
        TradingSpec trading) {

    /** Classpath location of the built-in demo scenario. */
    public static final String DEMO_RESOURCE = "/sim/demo-scenario.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /**
     * An account and its cash balance in the base currency; {@code managed: false} leaves it out of
     * {@code managedAccounts} while its positions and executions are still reported.
     */
    public record AccountSpec(String code, BigDecimal cash, Boolean managed) {
        /** A managed account. */
        public AccountSpec(String code, BigDecimal cash) {
            this(code, cash, null);
        }

        public boolean isManaged() {
            return managed == null || managed;
        }
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
     * A fill: side {@code BOT}/{@code SLD}, positive quantity, per-unit price, commission (in
     * {@code commissionCurrency}, default the instrument's), placed by API client {@code clientId} (default 0, a
     * manual TWS order). Its time is {@code time} (ISO-8601 instant), else {@code minutesAgo} (plus
     * {@code daysAgo} days) before it is made, else spread a minute apart before loading in file order. A fill
     * with {@code daysAgo} >= 1 is from an earlier trading day: it moves the position, {@code reqExecutions}
     * never returns it. {@code withholdCommission}: no commission report until a {@code releaseCommission} step.
     * {@code ref} names it for later steps.
     */
    public record ExecutionSpec(String account, long conId, String side, BigDecimal quantity, BigDecimal price,
            BigDecimal commission, Long minutesAgo, String time, String commissionCurrency, Integer clientId,
            Boolean withholdCommission, Integer daysAgo, String ref) {

        Fill toFill(Instant time) {
            if (side == null || quantity == null || price == null) {
                throw new IllegalArgumentException("a fill of " + account + "/" + conId + " needs side, quantity and price");
            }
            if (daysAgo != null && daysAgo < 0) {
                throw new IllegalArgumentException("daysAgo cannot be negative, got " + daysAgo);
            }
            Fill fill = Fill.of(account, conId, Side.parse(side), quantity, price, commission).at(time)
                    .withCommissionCurrency(commissionCurrency).withClientId(clientId == null ? 0 : clientId);
            if (Boolean.TRUE.equals(withholdCommission)) {
                fill = fill.withCommissionWithheld();
            }
            return isPriorDay() ? fill.fromPriorDay() : fill;
        }

        boolean isPriorDay() {
            return daysAgo != null && daysAgo > 0;
        }

        /** When the fill happened, seen from {@code now}; {@code fallbackMinutes} when the spec names no time. */
        Instant timeFrom(Instant now, long fallbackMinutes) {
            if (time != null && !time.isBlank()) {
                try {
                    return Instant.parse(time);
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("execution time '" + time + "' is not an ISO-8601 instant", e);
                }
            }
            long minutes = minutesAgo != null ? minutesAgo : isPriorDay() ? 0 : fallbackMinutes;
            return now.minus(Duration.ofMinutes(minutes)).minus(Duration.ofDays(daysAgo == null ? 0 : daysAgo));
        }
    }

    /**
     * One scripted step: exactly one trigger ({@code afterSnapshot} N: right after the N-th executions request is
     * answered, i.e. between snapshot N and N+1; {@code beforeExecutions} N: when the N-th executions request
     * arrives, before its answer, i.e. between the positions and the executions replies of snapshot N) and
     * exactly one action.
     */
    public record StepSpec(Integer afterSnapshot, Integer beforeExecutions, ExecutionSpec trade,
            String releaseCommission, CorrectionSpec correct, PositionRefSpec brokerClose, PriceSpec price,
            ConflictSpec conflict) {
    }

    /**
     * A broker fault: the fill named {@code ref} is reported from then on with another {@code side} and/or
     * {@code price} under the same execId, without a correction.
     */
    public record ConflictSpec(String ref, String side, BigDecimal price) {
    }

    /** A correction of the fill named {@code ref}: new {@code price} and/or {@code quantity}. */
    public record CorrectionSpec(String ref, BigDecimal price, BigDecimal quantity) {
    }

    /** One position: {@code account} and {@code conId}. */
    public record PositionRefSpec(String account, long conId) {
    }

    /** A new market price for {@code conId}. */
    public record PriceSpec(long conId, BigDecimal price) {
    }

    /** The demo's own trading: a move every {@code intervalMs} (0 = none), chosen from {@code seed}. */
    public record TradingSpec(Long seed, long intervalMs) {
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
        exchangeRates = exchangeRates == null ? Map.of() : Map.copyOf(exchangeRates);
        script = script == null ? List.of() : List.copyOf(script);
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
        if (scenario.accounts().stream().noneMatch(AccountSpec::isManaged)) {
            throw new IllegalArgumentException(source + ": a scenario needs at least one managed account");
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
     * prices moving at its price motion's tick interval (standing still without one) and its trading (none
     * without one).
     */
    public SimulatorOptions simulatorOptions() {
        SimulatorOptions options = SimulatorOptions.defaults()
                .withMaxServerVersion(maxServerVersionOr(SimulatorOptions.DEFAULT_MAX_SERVER_VERSION));
        if (trading != null) {
            options = options.withTrading(Duration.ofMillis(trading.intervalMs()),
                    trading.seed() == null ? SimulatorOptions.DEFAULT_TRADE_SEED : trading.seed());
        }
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
            if (!account.isManaged()) {
                state.setManaged(account.code(), false);
            }
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
        exchangeRates.forEach(state::exchangeRate);
        state.masterClientId(masterClientId);
        Instant now = clock.instant();
        Map<String, String> refs = new HashMap<>();
        List<Timed> timed = new ArrayList<>();
        for (int i = 0; i < executions.size(); i++) {
            ExecutionSpec spec = executions.get(i);
            timed.add(new Timed(spec, spec.timeFrom(now, executions.size() - i), i));
        }
        timed.sort(Comparator.comparing(Timed::time).thenComparingInt(Timed::order));
        for (Timed t : timed) {
            remember(refs, t.spec().ref(), state.trade(t.spec().toFill(t.time())));
        }
        for (int i = 0; i < script.size(); i++) {
            scheduleStep(state, script.get(i), i + 1, refs);
        }
        if (priceMotion != null) {
            state.priceMotion(priceMotion.toPriceMotion());
        }
        return state;
    }

    private static void remember(Map<String, String> refs, String ref, Execution execution) {
        if (ref != null && !ref.isBlank() && refs.putIfAbsent(ref, execution.execId()) != null) {
            throw new IllegalArgumentException("execution ref '" + ref + "' is used twice");
        }
    }

    /** Checks a script step now (so a typo fails at load) and registers it with its trigger. */
    private static void scheduleStep(SimulatorState state, StepSpec step, int number, Map<String, String> refs) {
        String where = "script step " + number;
        if ((step.afterSnapshot() == null) == (step.beforeExecutions() == null)) {
            throw new IllegalArgumentException(where + " needs exactly one of afterSnapshot, beforeExecutions");
        }
        int actions = (step.trade() == null ? 0 : 1) + (step.releaseCommission() == null ? 0 : 1)
                + (step.correct() == null ? 0 : 1) + (step.brokerClose() == null ? 0 : 1) + (step.price() == null ? 0 : 1)
                + (step.conflict() == null ? 0 : 1);
        if (actions != 1) {
            throw new IllegalArgumentException(where
                    + " needs exactly one of trade, releaseCommission, correct, brokerClose, price, conflict");
        }
        Consumer<SimulatorState> action;
        if (step.trade() != null) {
            ExecutionSpec trade = step.trade();
            requireKnown(state, where, trade.account(), trade.conId());
            trade.toFill(null);
            action = s -> {
                Instant now = s.clock().instant();
                boolean timed = trade.time() != null || trade.minutesAgo() != null || trade.isPriorDay();
                remember(refs, trade.ref(), s.trade(trade.toFill(timed ? trade.timeFrom(now, 0) : null)));
            };
        } else if (step.releaseCommission() != null) {
            String ref = step.releaseCommission();
            action = s -> s.releaseCommission(execId(refs, ref, where));
        } else if (step.correct() != null) {
            CorrectionSpec correction = step.correct();
            if (correction.price() == null && correction.quantity() == null) {
                throw new IllegalArgumentException(where + ": a correction needs a price or a quantity");
            }
            action = s -> s.correctExecution(execId(refs, correction.ref(), where), correction.price(),
                    correction.quantity());
        } else if (step.conflict() != null) {
            ConflictSpec conflict = step.conflict();
            if (conflict.side() == null && conflict.price() == null) {
                throw new IllegalArgumentException(where + ": a conflict needs a side or a price");
            }
            Side side = conflict.side() == null ? null : Side.parse(conflict.side());
            action = s -> s.reportExecutionAs(execId(refs, conflict.ref(), where), side, conflict.price());
        } else if (step.brokerClose() != null) {
            PositionRefSpec position = step.brokerClose();
            requireKnown(state, where, position.account(), position.conId());
            action = s -> s.brokerClose(position.account(), position.conId());
        } else {
            PriceSpec price = step.price();
            requireKnown(state, where, null, price.conId());
            action = s -> s.setMarketPrice(price.conId(), price.price());
        }
        if (step.afterSnapshot() != null) {
            state.afterExecutionsReply(step.afterSnapshot(), action);
        } else {
            state.beforeExecutionsReply(step.beforeExecutions(), action);
        }
    }

    private static void requireKnown(SimulatorState state, String where, String account, long conId) {
        if (account != null && !state.hasAccount(account)) {
            throw new IllegalArgumentException(where + ": unknown account '" + account + "'");
        }
        if (state.instrument(conId).isEmpty()) {
            throw new IllegalArgumentException(where + ": unknown instrument conId " + conId);
        }
    }

    private static String execId(Map<String, String> refs, String ref, String where) {
        String execId = refs.get(ref);
        if (execId == null) {
            throw new IllegalArgumentException(where + ": no execution with ref '" + ref + "' (yet)");
        }
        return execId;
    }

    private record Timed(ExecutionSpec spec, Instant time, int order) {
    }
}
