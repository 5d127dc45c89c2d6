package io.positionsync.ibkr.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.ExecIds;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsGatewayConfig;

/**
 * The demo's own trading: the same seed gives the same fills, every kind of move shows up, and the positions
 * it leaves always equal an independent fold of its own fills (start-of-day positions plus every execution,
 * corrections in place of what they correct, foreign commissions at the exchange rate).
 */
class DemoTradingTest {
    private static final Instant LOADED = Instant.parse("2026-11-30T15:00:00Z");
    private static final int STEPS = 400;
    private static final MathContext MC = MathContext.DECIMAL128;

    /** A fill as the wire shows it, for comparing two runs. */
    private record Seen(String execId, String account, long conId, Side side, BigDecimal shares, BigDecimal price,
            BigDecimal commission, String currency, BigDecimal realized, int clientId) {
        static Seen of(Execution e) {
            return new Seen(e.execId(), e.account(), e.conId(), e.side(), e.shares(), e.price(), e.commission(),
                    e.commissionReport().currency(), e.realizedPnl(), e.clientId());
        }
    }

    private static SimulatorState run(long seed, int steps) {
        SimulatorState state = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        DemoTrading trading = new DemoTrading(state, seed);
        for (int i = 0; i < steps; i++) {
            trading.step();
        }
        return state;
    }

    @Test
    void theSameSeedMakesTheSameFills() {
        List<Seen> first = run(7, STEPS).executions().stream().map(Seen::of).toList();
        List<Seen> second = run(7, STEPS).executions().stream().map(Seen::of).toList();
        List<Seen> other = run(8, STEPS).executions().stream().map(Seen::of).toList();

        assertThat(first).hasSizeGreaterThan(STEPS);
        assertThat(second).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void everyKindOfMoveShowsUp() {
        SimulatorState state = run(7, STEPS);
        List<Execution> fills = state.executions().subList(6, state.executions().size());
        Map<Long, String> secTypes = state.instruments().stream()
                .collect(Collectors.toMap(Instrument::conId, Instrument::secType));

        assertThat(fills).extracting(e -> secTypes.get(e.conId())).contains("STK", "FUT", "OPT");
        assertThat(fills).extracting(Execution::account).contains("DU1000001", "DU1000002");
        assertThat(fills).as("a EUR stock, its commission at times in USD")
                .anyMatch(e -> e.conId() == 14204 && e.commissionReport().currency().equals("USD"))
                .anyMatch(e -> e.conId() == 14204 && e.commissionReport().currency().equals("EUR"));
        assertThat(fills).as("corrections").anyMatch(e -> ExecIds.revision(e.execId()) > 1);
        assertThat(fills).as("realized P&L, gains and losses")
                .anyMatch(e -> e.realizedPnl() != null && e.realizedPnl().signum() > 0)
                .anyMatch(e -> e.realizedPnl() != null && e.realizedPnl().signum() < 0);
        assertThat(fold(state).values()).as("shorts").anyMatch(p -> p.quantity.signum() < 0);
        assertThat(flips(state)).as("flips through zero").isPositive();
        assertThat(state.accountValues("DU1000002")).contains(new AccountValue("ExchangeRate", "1.08", "EUR"));
    }

    @Test
    void aWithheldReportIsReleasedByTheFirstMoveAfterAnExecutionsReplyShowedItMissing() {
        SimulatorState state = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        DemoTrading trading = new DemoTrading(state, 7);
        answerExecutionsRequest(state);
        int commissions = 0;
        int executions = 0;
        for (int i = 0; i < 60; i++) {
            List<Execution> made = trading.step();
            List<String> pending = made.stream().map(Execution::execId)
                    .filter(id -> state.isCommissionWithheld(id) || state.isExecutionWithheld(id)).toList();
            if (pending.isEmpty()) {
                continue;
            }
            commissions += (int) pending.stream().filter(state::isCommissionWithheld).count();
            executions += (int) pending.stream().filter(state::isExecutionWithheld).count();
            trading.step();
            assertThat(pending).as("no snapshot has seen it missing yet")
                    .allMatch(id -> state.isCommissionWithheld(id) || state.isExecutionWithheld(id));
            answerExecutionsRequest(state);
            trading.step();
            assertThat(pending).as("released after a reply showed it missing")
                    .noneMatch(id -> state.isCommissionWithheld(id) || state.isExecutionWithheld(id));
        }
        assertThat(commissions).isPositive();
        assertThat(executions).isPositive();
    }

    @Test
    void theFirstRoundOpensWithALateExecutionALateCommissionAndARoundTrip() {
        SimulatorState state = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        DemoTrading trading = new DemoTrading(state, 7);
        answerExecutionsRequest(state);

        List<Execution> late = trading.step();
        assertThat(late).singleElement().satisfies(e -> {
            assertThat(state.isExecutionWithheld(e.execId())).isTrue();
            assertThat(e.realizedPnl()).as("a reduction: it realizes P&L").isNotNull();
        });
        assertThat(trading.step()).singleElement()
                .satisfies(e -> assertThat(state.isCommissionWithheld(e.execId())).isTrue());
        List<Execution> roundTrip = trading.step();
        assertThat(roundTrip).hasSize(2);
        Execution buy = roundTrip.get(0);
        assertThat(state.position(buy.account(), buy.conId()).orElseThrow().quantity()).as("flat again").isZero();
        assertThat(roundTrip.get(1).realizedPnl()).isNotNull();
    }

    @Test
    void nothingIsWithheldBeforeAnyClientHasAskedForExecutions() {
        SimulatorState state = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        DemoTrading trading = new DemoTrading(state, 7);
        for (int i = 0; i < 30; i++) {
            trading.step();
        }
        assertThat(state.executions()).noneMatch(e -> state.isCommissionWithheld(e.execId())
                || state.isExecutionWithheld(e.execId()));
    }

    @Test
    void aReopenedRoundStartsWithTheOpeningMovesAgain() {
        SimulatorState state = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        DemoTrading trading = new DemoTrading(state, 7);
        answerExecutionsRequest(state);
        for (int i = 0; i < 16; i++) {
            trading.step();
        }
        trading.settle();
        answerExecutionsRequest(state);

        trading.openRound();
        assertThat(trading.step()).singleElement()
                .satisfies(e -> assertThat(state.isExecutionWithheld(e.execId())).as("the late fill").isTrue());
        assertThat(trading.step()).singleElement()
                .satisfies(e -> assertThat(state.isCommissionWithheld(e.execId())).as("the late commission").isTrue());
        assertThat(trading.step()).as("the round trip").hasSize(2);
    }

    @Test
    void theEndOfADayReleasesEveryWithheldReport() {
        SimulatorState state = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        DemoTrading trading = new DemoTrading(state, 7);
        answerExecutionsRequest(state);
        Execution lateExecution = trading.step().get(0);
        Execution lateCommission = trading.step().get(0);
        assertThat(state.isExecutionWithheld(lateExecution.execId())).isTrue();
        assertThat(state.isCommissionWithheld(lateCommission.execId())).isTrue();

        assertThat(trading.settle()).isEqualTo(2);
        assertThat(state.isExecutionWithheld(lateExecution.execId())).isFalse();
        assertThat(state.isCommissionWithheld(lateCommission.execId())).isFalse();
        assertThat(trading.settle()).as("nothing left").isZero();
    }

    @Test
    void aTraderHandedOverGoesOnTradingLiveAndAfterARestart() throws Exception {
        SimulatorState state = Scenario.demo().toState();
        DemoTrading trader = new DemoTrading(state, 7);
        assertThat(trader.step()).isNotEmpty();
        try (GatewaySimulator sim = new GatewaySimulator(state, SimulatorOptions.defaults()).start()) {
            assertThatThrownBy(() -> sim.startTrading(new DemoTrading(Scenario.demo().toState(), 7),
                    Duration.ofMillis(20))).as("another state's trader").isInstanceOf(IllegalArgumentException.class);
            int made = state.executions().size();
            sim.startTrading(trader, Duration.ofMillis(20));
            assertThatThrownBy(() -> sim.startTrading(trader, Duration.ofMillis(20)))
                    .isInstanceOf(IllegalStateException.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> state.executions().size() > made + 5);
            sim.stop();
            sim.start();
            int afterRestart = state.executions().size();
            await().atMost(Duration.ofSeconds(10)).until(() -> state.executions().size() > afterRestart + 5);
        }
    }

    /** What a client's snapshot does to the state: one executions request, answered. */
    private static void answerExecutionsRequest(SimulatorState state) {
        state.executionsRequestAnswered(state.executionsRequestArrived());
    }

    @Test
    void positionsAlwaysEqualTheFoldOfTheFills() {
        SimulatorState state = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        DemoTrading trading = new DemoTrading(state, 11);
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 25; i++) {
                trading.step();
            }
            Map<String, Folded> folded = fold(state);
            for (Map.Entry<String, Folded> entry : folded.entrySet()) {
                String[] key = entry.getKey().split("/");
                Position actual = state.position(key[0], Long.parseLong(key[1])).orElseThrow();
                assertThat(actual.quantity()).as("quantity of %s", entry.getKey())
                        .isEqualByComparingTo(entry.getValue().quantity);
                assertThat(actual.avgCost()).as("avgCost of %s", entry.getKey())
                        .isCloseTo(entry.getValue().avgCostPerContract(), within(new BigDecimal("0.000001")));
            }
            assertThat(folded.keySet()).containsExactlyInAnyOrderElementsOf(
                    state.positions().stream().map(p -> p.account() + "/" + p.conId()).toList());
        }
    }

    @Test
    void ibRealizedPnlOfEveryFillEqualsTheFold() {
        SimulatorState state = run(13, STEPS);
        Map<String, Folded> folded = fold(state);
        int compared = 0;
        for (Execution e : state.executions()) {
            Folded f = folded.get(e.account() + "/" + e.conId());
            // Only the latest revision counts; the demo corrects its latest fill, so no later report goes stale.
            if (!f.realized.containsKey(e.execId())) {
                continue;
            }
            BigDecimal expected = f.realized.get(e.execId());
            if (expected == null) {
                assertThat(e.realizedPnl()).as("realized of opening fill %s", e.execId()).isNull();
            } else {
                assertThat(e.realizedPnl()).as("realized of %s", e.execId()).isNotNull()
                        .isCloseTo(expected, within(new BigDecimal("0.000001")));
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(100);
    }

    @Test
    void aSimulatorWithTradingOnTradesOnItsOwnAndOurClientSeesIt() throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults().withTrading(Duration.ofMillis(20), 7);
        try (GatewaySimulator sim = new GatewaySimulator(Scenario.demo().toState(), options).start();
                TwsBrokerGateway client = new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", sim.port(), 9,
                        Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofMillis(200)))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sim.state().executions().size() > 20);
            BrokerSnapshot snapshot = client.snapshot();
            assertThat(snapshot.complete()).isTrue();
            assertThat(snapshot.executions().size()).isGreaterThan(10);
        }
    }

    // ------------------------------------------------------------------ an independent fold, per unit as the spec writes it

    /** Signed quantity, average price per unit (commissions included), multiplier. */
    private static final class Folded {
        BigDecimal quantity = BigDecimal.ZERO;
        BigDecimal average = BigDecimal.ZERO;
        BigDecimal multiplier = BigDecimal.ONE;
        int flips;
        /** What each fill realized in this fold, by execId. */
        final Map<String, BigDecimal> realized = new HashMap<>();

        BigDecimal avgCostPerContract() {
            return quantity.signum() == 0 ? BigDecimal.ZERO : average.multiply(multiplier, MC);
        }

        /** Applies a fill of signed size {@code q}; returns what it realized ({@code null}: it only added). */
        BigDecimal apply(BigDecimal q, BigDecimal p, BigDecimal c) {
            int s = quantity.signum();
            if (s == 0 || s == q.signum()) {
                BigDecimal cost = quantity.abs().multiply(average)
                        .add(q.abs().multiply(p))
                        .add(BigDecimal.valueOf(q.signum()).multiply(c).divide(multiplier, MC));
                quantity = quantity.add(q);
                average = cost.divide(quantity.abs(), MC);
                return null;
            }
            BigDecimal reduced = q.abs().min(quantity.abs());
            BigDecimal rest = q.abs().subtract(reduced);
            // R = s * (p - A) * r * m - c * r / |q|
            BigDecimal realized = BigDecimal.valueOf(s).multiply(p.subtract(average)).multiply(reduced)
                    .multiply(multiplier).subtract(c.multiply(reduced).divide(q.abs(), MC));
            if (rest.signum() == 0) {
                quantity = quantity.add(q);
                if (quantity.signum() == 0) {
                    average = BigDecimal.ZERO;
                }
                return realized;
            }
            flips++;
            BigDecimal restCommission = c.multiply(rest).divide(q.abs(), MC);
            quantity = BigDecimal.valueOf(q.signum()).multiply(rest);
            average = p.add(BigDecimal.valueOf(q.signum()).multiply(restCommission)
                    .divide(rest.multiply(multiplier), MC));
            return realized;
        }
    }

    private static int flips(SimulatorState state) {
        return fold(state).values().stream().mapToInt(f -> f.flips).sum();
    }

    /** Start-of-day positions of the demo, then every execution, a correction taking the place of what it corrects. */
    private static Map<String, Folded> fold(SimulatorState state) {
        Scenario demo = Scenario.demo();
        Map<String, Folded> folded = new LinkedHashMap<>();
        Map<Long, Instrument> instruments = state.instruments().stream()
                .collect(Collectors.toMap(Instrument::conId, i -> i));
        for (Scenario.PositionSpec p : demo.positions()) {
            Folded f = new Folded();
            f.multiplier = instruments.get(p.conId()).effectiveMultiplier();
            f.quantity = p.quantity();
            f.average = p.avgCost().divide(f.multiplier, MC);
            folded.put(p.account() + "/" + p.conId(), f);
        }
        Map<String, Execution> latestByBase = new HashMap<>();
        List<String> order = new ArrayList<>();
        for (Execution e : state.executions()) {
            String base = ExecIds.base(e.execId());
            if (!latestByBase.containsKey(base)) {
                order.add(base);
            }
            latestByBase.merge(base, e,
                    (a, b) -> ExecIds.revision(b.execId()) > ExecIds.revision(a.execId()) ? b : a);
        }
        Map<String, BigDecimal> rates = new HashMap<>(demo.exchangeRates());
        rates.put(state.baseCurrency(), BigDecimal.ONE);
        for (String base : order) {
            Execution e = latestByBase.get(base);
            Instrument instrument = instruments.get(e.conId());
            Folded f = folded.computeIfAbsent(e.account() + "/" + e.conId(), k -> {
                Folded fresh = new Folded();
                fresh.multiplier = instrument.effectiveMultiplier();
                return fresh;
            });
            BigDecimal commission = e.commission().multiply(rates.get(e.commissionReport().currency()))
                    .divide(rates.get(instrument.currency()), MC);
            BigDecimal q = e.side() == Side.BOT ? e.shares() : e.shares().negate();
            f.realized.put(e.execId(), f.apply(q, e.price(), commission));
        }
        return folded;
    }
}
