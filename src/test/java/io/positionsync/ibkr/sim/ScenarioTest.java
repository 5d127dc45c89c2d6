package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.positionsync.ibkr.wire.MessageIds;

class ScenarioTest {
    private static final Instant LOADED = Instant.parse("2026-11-24T18:00:00Z");

    private static Map<String, Position> byKey(SimulatorState state) {
        return state.positions().stream().collect(Collectors.toMap(
                p -> p.account() + "/" + state.instrument(p.conId()).orElseThrow().localSymbol(), p -> p));
    }

    @Test
    void demoScenarioIsConsistentWithIbArithmetic() {
        Scenario demo = Scenario.demo();
        assertThat(demo.maxServerVersionOr(0)).isEqualTo(178);
        SimulatorState state = demo.toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        assertThat(state.accounts()).containsExactly("DU1000001", "DU1000002");
        Map<String, Position> positions = byKey(state);
        assertThat(positions).hasSize(7);
        // 100 @ 150.01 at the open, then bought 100 @ 185.00 with 1.00 commission: (15001 + 18501) / 200
        assertThat(positions.get("DU1000001/AAPL").quantity()).isEqualByComparingTo("200");
        assertThat(positions.get("DU1000001/AAPL").avgCost()).isEqualByComparingTo("167.51");
        assertThat(positions.get("DU1000001/MSFT").avgCost()).isEqualByComparingTo("410.525");
        assertThat(positions.get("DU1000001/ESZ6").quantity()).isEqualByComparingTo("1");
        assertThat(positions.get("DU1000001/ESZ6").avgCost()).isEqualByComparingTo("250002.40");
        assertThat(positions.get("DU1000001/NVDA").quantity()).isEqualByComparingTo("0");
        assertThat(positions.get("DU1000002/TSLA").quantity()).isEqualByComparingTo("-30");
        assertThat(positions.get("DU1000002/TSLA").avgCost()).isEqualByComparingTo("242.05");
        assertThat(positions.get("DU1000002/AAPL  261218C00200000").avgCost()).isEqualByComparingTo("625.65");
        assertThat(positions.get("DU1000002/AAPL").avgCost()).isEqualByComparingTo("172.30");

        List<Execution> executions = state.executions();
        assertThat(executions).hasSize(6);
        assertThat(executions.get(0).time()).isEqualTo(LOADED.minus(Duration.ofMinutes(240)));
        assertThat(executions).extracting(Execution::realizedPnl)
                .usingElementComparator((a, b) -> a == null || b == null ? (a == b ? 0 : 1) : a.compareTo(b))
                // ES: (5010.00 * 50 - 250002.40) - 2.40; NVDA: (128.00 - 120.05) * 20 - 1.00
                .containsExactly(null, null, d("495.20"), d("158.00"), null, null);
        assertThat(state.instrument(495512563).orElseThrow().effectiveMultiplier()).isEqualByComparingTo("50");
        assertThat(state.marketPrice(495512563)).hasValue(new BigDecimal("5012.25"));
        assertThat(demo.simulatorOptions().maxServerVersion()).isEqualTo(178);
        assertThat(demo.simulatorOptions().priceTickInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(state.priceMotion()).hasValueSatisfying(m -> {
            assertThat(m.seed()).isEqualTo(42);
            assertThat(m.tickInterval()).isEqualTo(Duration.ofSeconds(2));
        });
    }

    @Test
    void demoSimulatorServesEveryAccount() throws Exception {
        try (GatewaySimulator sim = GatewaySimulator.startDemo();
                RawTwsClient client = RawTwsClient.connected(sim.port(), 11)) {
            assertThat(sim.options().priceTickInterval()).as("prices stand still unless asked").isNull();
            client.reqPositions();
            assertThat(client.until(MessageIds.POSITION_END)).filteredOn(m -> m.id() == MessageIds.POSITION)
                    .extracting(m -> m.get(2)).containsOnly("DU1000001", "DU1000002").hasSize(7);
            client.reqExecutions(1);
            assertThat(client.until(MessageIds.EXECUTION_DATA_END))
                    .filteredOn(m -> m.id() == MessageIds.COMMISSION_REPORT).hasSize(6);
        }
    }

    @Test
    void customScenarioFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("custom.json");
        Files.writeString(file, """
                {
                  "name": "custom",
                  "maxServerVersion": 166,
                  "reportClosedAsZero": false,
                  "baseCurrency": "EUR",
                  "nextOrderId": 500,
                  "accounts": [ { "code": "U777", "cash": 1000 } ],
                  "instruments": [
                    { "conId": 14094, "symbol": "SAP", "currency": "EUR", "exchange": "IBIS", "price": 120.5 },
                    { "conId": 14095, "symbol": "BMW", "currency": "EUR" }
                  ],
                  "positions": [ { "account": "U777", "conId": 14095, "quantity": 10, "avgCost": 90 } ],
                  "executions": [
                    { "account": "U777", "conId": 14094, "side": "SLD", "quantity": 4, "price": 122, "commission": 2, "time": "2026-11-24T10:00:00Z" },
                    { "account": "U777", "conId": 14094, "side": "BOT", "quantity": 4, "price": 120, "commission": 2, "time": "2026-11-24T09:00:00Z" },
                    { "account": "U777", "conId": 14095, "side": "SELL", "quantity": 10, "price": 95 }
                  ]
                }
                """, StandardCharsets.UTF_8);
        Scenario scenario = Scenario.load(file);
        SimulatorState state = scenario.toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        assertThat(state.baseCurrency()).isEqualTo("EUR");
        assertThat(state.reportsClosedAsZero()).isFalse();
        // executions run in time order: the 09:00 buy opens, the 10:00 sale closes
        assertThat(state.executions()).extracting(e -> e.side() + " " + e.orderId())
                .containsExactly("BOT 500", "SLD 501", "SLD 502");
        // bought 4 @ 120 + 2 commission -> avgCost 120.50; sold @ 122 with 2: (122 - 120.50) * 4 - 2
        assertThat(state.executions().get(1).realizedPnl()).isEqualByComparingTo("4.00");
        // no commission given: (95 - 90) * 10
        assertThat(state.executions().get(2).realizedPnl()).isEqualByComparingTo("50");
        assertThat(state.positions()).isEmpty();
        assertThat(state.marketPrice(14095)).isEmpty();
        assertThat(state.nextOrderId()).isEqualTo(503);

        SimulatorOptions options = SimulatorOptions.defaults().withMaxServerVersion(scenario.maxServerVersionOr(178));
        try (GatewaySimulator sim = new GatewaySimulator(state, options).start();
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            assertThat(client.handshake("v157..178")).isEqualTo(166);
            client.startApi(1);
            assertThat(client.expectStartupMessages()).filteredOn(m -> m.id() == MessageIds.MANAGED_ACCOUNTS)
                    .singleElement().satisfies(m -> assertThat(m.get(2)).isEqualTo("U777"));
            client.reqPositions();
            client.expect(MessageIds.POSITION_END);
        }
    }

    @Test
    void anAccountLeftOutOfManagedAccountsStillHasItsPositionsAndExecutionsReported(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("unmanaged.json");
        Files.writeString(file, """
                { "accounts": [ { "code": "U1" }, { "code": "U9", "cash": 10, "managed": false } ],
                  "instruments": [ { "conId": 1, "symbol": "A", "price": 10 } ],
                  "positions": [ { "account": "U9", "conId": 1, "quantity": 5, "avgCost": 9 } ],
                  "executions": [ { "account": "U9", "conId": 1, "side": "BOT", "quantity": 2, "price": 10,
                                    "minutesAgo": 5 } ] }
                """);
        SimulatorState state = Scenario.load(file).toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        assertThat(state.accounts()).containsExactly("U1", "U9");
        assertThat(state.managedAccounts()).containsExactly("U1");
        assertThat(state.isManaged("U9")).isFalse();

        try (GatewaySimulator sim = new GatewaySimulator(state, SimulatorOptions.defaults()).start();
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            client.handshake(RawTwsClient.CLIENT_RANGE);
            client.startApi(1);
            assertThat(client.expectStartupMessages()).filteredOn(m -> m.id() == MessageIds.MANAGED_ACCOUNTS)
                    .singleElement().satisfies(m -> assertThat(m.get(2)).isEqualTo("U1"));
            client.send(MessageIds.REQ_MANAGED_ACCTS, 1);
            assertThat(client.until(MessageIds.MANAGED_ACCOUNTS)).last().satisfies(m -> assertThat(m.get(2)).isEqualTo("U1"));
            client.reqPositions();
            assertThat(client.until(MessageIds.POSITION_END)).filteredOn(m -> m.id() == MessageIds.POSITION)
                    .singleElement().satisfies(m -> assertThat(m.get(2)).isEqualTo("U9"));
            client.reqExecutions(3);
            assertThat(client.until(MessageIds.EXECUTION_DATA_END)).filteredOn(m -> m.id() == MessageIds.EXECUTION_DATA)
                    .singleElement().satisfies(m -> assertThat(m.fields()).contains("U9"));
        }

        Path none = dir.resolve("none.json");
        Files.writeString(none, "{ \"accounts\": [ { \"code\": \"U9\", \"managed\": false } ] }");
        assertThatThrownBy(() -> Scenario.load(none)).hasMessageContaining("at least one managed account");
    }

    @Test
    void invalidScenariosAreRejectedWithTheReason(@TempDir Path dir) throws Exception {
        Path typo = dir.resolve("typo.json");
        Files.writeString(typo, "{ \"accounts\": [ { \"code\": \"U1\" } ], \"instrumentz\": [] }");
        assertThatThrownBy(() -> Scenario.load(typo)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("instrumentz");

        Path noAccounts = dir.resolve("empty.json");
        Files.writeString(noAccounts, "{ }");
        assertThatThrownBy(() -> Scenario.load(noAccounts)).hasMessageContaining("at least one account");

        Path unknownInstrument = dir.resolve("unknown.json");
        Files.writeString(unknownInstrument, """
                { "accounts": [ { "code": "U1" } ],
                  "positions": [ { "account": "U1", "conId": 99, "quantity": 1, "avgCost": 1 } ] }
                """);
        Scenario scenario = Scenario.load(unknownInstrument);
        assertThatThrownBy(scenario::toState).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("conId 99");

        Path binary = dir.resolve("binary.json");
        Files.writeString(binary, "{ \"maxServerVersion\": 201, \"accounts\": [ { \"code\": \"U1\" } ] }");
        assertThatThrownBy(() -> Scenario.load(binary)).hasMessageContaining("below 201");
        Files.writeString(binary, "{ \"maxServerVersion\": 99, \"accounts\": [ { \"code\": \"U1\" } ] }");
        assertThatThrownBy(() -> Scenario.load(binary)).hasMessageContaining("got 99");
    }

    @Test
    void scriptStepsAreCheckedWhenTheScenarioLoads(@TempDir Path dir) throws Exception {
        String book = """
                "accounts": [ { "code": "U1" } ],
                "instruments": [ { "conId": 1, "symbol": "A", "price": 10 } ],
                """;
        Map<String, String> broken = Map.of(
                "{ \"afterSnapshot\": 1, \"beforeExecutions\": 1, \"releaseCommission\": \"x\" }",
                "exactly one of afterSnapshot, beforeExecutions",
                "{ \"afterSnapshot\": 1 }", "exactly one of trade, releaseCommission",
                "{ \"afterSnapshot\": 1, \"brokerClose\": { \"account\": \"U9\", \"conId\": 1 } }",
                "unknown account 'U9'",
                "{ \"afterSnapshot\": 0, \"price\": { \"conId\": 1, \"price\": 11 } }", "counted from 1",
                "{ \"afterSnapshot\": 1, \"correct\": { \"ref\": \"x\" } }", "needs a price or a quantity");
        for (Map.Entry<String, String> step : broken.entrySet()) {
            Path file = dir.resolve("script.json");
            Files.writeString(file, "{" + book + "\"script\": [" + step.getKey() + "] }");
            Scenario scenario = Scenario.load(file);
            assertThatThrownBy(() -> scenario.toState(Clock.fixed(LOADED, ZoneOffset.UTC)))
                    .as(step.getKey()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(step.getValue());
        }
        Path typo = dir.resolve("typo.json");
        Files.writeString(typo, "{" + book + "\"script\": [ { \"afterSnapshots\": 1 } ] }");
        assertThatThrownBy(() -> Scenario.load(typo)).hasMessageContaining("afterSnapshots");
    }

    @Test
    void aConflictStepReportsAFillAgainWithOtherContentUnderItsExecId(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("conflict.json");
        Files.writeString(file, """
                {
                  "accounts": [ { "code": "U1" } ],
                  "instruments": [ { "conId": 1, "symbol": "A", "price": 10 } ],
                  "executions": [ { "ref": "f", "account": "U1", "conId": 1, "side": "BOT", "quantity": 10, "price": 12 } ],
                  "script": [ { "afterSnapshot": 1, "conflict": { "ref": "f", "price": 99 } },
                              { "afterSnapshot": 2, "conflict": { "ref": "f", "side": "SLD" } } ]
                }
                """, StandardCharsets.UTF_8);
        SimulatorState state = Scenario.load(file).toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        String execId = state.executions().get(0).execId();
        state.executionsRequestAnswered(state.executionsRequestArrived());
        assertThat(state.executions()).singleElement().satisfies(e -> {
            assertThat(e.execId()).isEqualTo(execId);
            assertThat(e.side()).isEqualTo(Side.BOT);
            assertThat(e.price()).isEqualByComparingTo("99");
        });
        state.executionsRequestAnswered(state.executionsRequestArrived());
        assertThat(state.executions()).singleElement().satisfies(e -> {
            assertThat(e.execId()).isEqualTo(execId);
            assertThat(e.side()).isEqualTo(Side.SLD);
            assertThat(e.price()).isEqualByComparingTo("99");
        });
        assertThat(state.position("U1", 1)).as("the position is not touched").hasValueSatisfying(
                p -> assertThat(p.quantity()).isEqualByComparingTo("10"));

        Path noChange = dir.resolve("no-change.json");
        Files.writeString(noChange, """
                {
                  "accounts": [ { "code": "U1" } ],
                  "instruments": [ { "conId": 1, "symbol": "A", "price": 10 } ],
                  "executions": [ { "ref": "f", "account": "U1", "conId": 1, "side": "BOT", "quantity": 10, "price": 12 } ],
                  "script": [ { "afterSnapshot": 1, "conflict": { "ref": "f" } } ]
                }
                """, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Scenario.load(noChange).toState(Clock.fixed(LOADED, ZoneOffset.UTC)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a conflict needs a side or a price");
    }

    @Test
    void scenarioSetsRatesMasterClientIdAndPriorDayFills(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.json");
        Files.writeString(file, """
                { "accounts": [ { "code": "U1" } ],
                  "instruments": [ { "conId": 1, "symbol": "A", "currency": "EUR", "price": 10 } ],
                  "exchangeRates": { "EUR": 1.1 },
                  "masterClientId": 17,
                  "executions": [
                    { "account": "U1", "conId": 1, "side": "BUY", "quantity": 10, "price": 10, "commission": 1.1,
                      "commissionCurrency": "USD", "daysAgo": 2, "clientId": 4 },
                    { "account": "U1", "conId": 1, "side": "SELL", "quantity": 4, "price": 11, "commission": 1,
                      "withholdCommission": true, "minutesAgo": 5 } ] }
                """);
        SimulatorState state = Scenario.load(file).toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        assertThat(state.exchangeRate("EUR")).hasValue(new BigDecimal("1.1"));
        assertThat(state.exchangeRate("USD")).hasValue(BigDecimal.ONE);
        assertThat(state.masterClientId()).hasValue(17);
        List<Execution> fills = state.executions();
        assertThat(fills.get(0).time()).isEqualTo(LOADED.minus(Duration.ofDays(2)));
        assertThat(state.isPriorDay(fills.get(0).execId())).isTrue();
        assertThat(fills.get(0).clientId()).isEqualTo(4);
        assertThat(state.isCommissionWithheld(fills.get(1).execId())).isTrue();
        // 1.10 USD = 1.00 EUR: (10 * 10 + 1) / 10; the sale realizes (11 - 10.10) * 4 - 1
        assertThat(fills.get(1).realizedPnl()).isEqualByComparingTo("2.60");
        assertThat(state.position("U1", 1).orElseThrow().avgCost()).isEqualByComparingTo("10.10");
    }

    @Test
    void priceWalkIsSeededBoundedAndOnTheTick() {
        SimulatorState a = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        SimulatorState b = Scenario.demo().toState(Clock.fixed(LOADED, ZoneOffset.UTC));
        PriceWalk walkA = new PriceWalk(a, a.priceMotion().orElseThrow());
        PriceWalk walkB = new PriceWalk(b, b.priceMotion().orElseThrow());
        long es = 495512563;
        BigDecimal before = a.marketPrice(es).orElseThrow();
        walkA.step();
        walkB.step();
        BigDecimal after = a.marketPrice(es).orElseThrow();
        assertThat(after).isEqualByComparingTo(b.marketPrice(es).orElseThrow());
        assertThat(a.instruments()).allSatisfy(i -> assertThat(a.marketPrice(i.conId()).orElseThrow())
                .isEqualByComparingTo(b.marketPrice(i.conId()).orElseThrow()));
        // at most 0.15 % (plus half a tick of rounding) away, on a 0.25 tick
        assertThat(after.subtract(before).abs()).isLessThanOrEqualTo(d("7.52"));
        assertThat(after.remainder(d("0.25"))).isEqualByComparingTo("0");
        boolean moved = false;
        for (int i = 0; i < 20; i++) {
            walkA.step();
            moved |= a.marketPrice(es).orElseThrow().compareTo(before) != 0;
        }
        assertThat(moved).isTrue();
    }

    @Test
    void simulatorMovesPricesAtTheTickInterval() throws Exception {
        SimulatorState state = Scenario.demo().toState();
        java.util.concurrent.CountDownLatch moved = new java.util.concurrent.CountDownLatch(1);
        state.addListener(new StateListener() {
            @Override
            public void positionChanged(Position position, Instrument instrument) {
            }

            @Override
            public void marketPriceChanged(Instrument instrument, BigDecimal price) {
                moved.countDown();
            }
        });
        SimulatorOptions options = SimulatorOptions.defaults().withPriceTickInterval(Duration.ofMillis(20));
        try (GatewaySimulator sim = new GatewaySimulator(state, options).start()) {
            assertThat(sim.isRunning()).isTrue();
            assertThat(moved.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
    }
}
