package io.positionsync.ibkr.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.sync.PortfolioValue;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsGatewayConfig;

/**
 * Every trading situation the sync must handle, produced on demand by a scenario file's script and taken
 * through our own client ({@link TwsBrokerGateway}) over a real loopback socket, snapshot after snapshot. A
 * script step runs right after the N-th executions request is answered ({@code afterSnapshot}) or right before
 * it is ({@code beforeExecutions}), so nothing here waits on time.
 */
class ScriptedSituationsTest {
    private static final Instant NOW = Instant.parse("2026-11-30T15:00:00Z");
    private static final String ACC1 = "DU1000001";
    private static final String ACC2 = "DU1000002";
    private static final long AAPL = 265598;
    private static final long TSLA = 76792991;
    private static final long ES = 495512563;
    private static final long CALL = 700000001;
    private static final long SAP = 14204;
    /** Short: a late commission report is waited for this long before the snapshot goes on without it. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(1500);

    /** Accounts, instruments and rates shared by every situation; each test adds positions and a script. */
    private static final String BOOK = """
            "accounts": [ { "code": "DU1000001", "cash": 100000 }, { "code": "DU1000002", "cash": 50000 } ],
            "instruments": [
              { "conId": 265598, "symbol": "AAPL", "primaryExchange": "NASDAQ", "price": 160.00 },
              { "conId": 76792991, "symbol": "TSLA", "primaryExchange": "NASDAQ", "price": 240.00 },
              { "conId": 495512563, "symbol": "ES", "secType": "FUT", "exchange": "CME", "localSymbol": "ESZ6",
                "multiplier": 50, "lastTradeDateOrContractMonth": "20261218", "minTick": 0.25, "price": 6015.25 },
              { "conId": 700000001, "symbol": "AAPL", "secType": "OPT", "localSymbol": "AAPL  261218C00200000",
                "multiplier": 100, "lastTradeDateOrContractMonth": "20261218", "strike": 200, "right": "C",
                "price": 6.40 },
              { "conId": 14204, "symbol": "SAP", "currency": "EUR", "primaryExchange": "IBIS", "price": 205.00 }
            ],
            "exchangeRates": { "EUR": 1.08 },
            """;

    private GatewaySimulator sim;
    private final List<TwsBrokerGateway> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        clients.forEach(TwsBrokerGateway::close);
        if (sim != null) {
            sim.close();
        }
    }

    private SimulatorState start(String positionsAndScript) throws Exception {
        String json = "{" + BOOK + positionsAndScript + "}";
        Scenario scenario = Scenario.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test");
        sim = new GatewaySimulator(scenario.toState(Clock.fixed(NOW, ZoneOffset.UTC)), SimulatorOptions.defaults())
                .start();
        return sim.state();
    }

    private TwsBrokerGateway client(int clientId) {
        TwsBrokerGateway client = new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", sim.port(), clientId,
                Duration.ofSeconds(2), REQUEST_TIMEOUT, Duration.ofMillis(50), Duration.ofMillis(200)));
        clients.add(client);
        return client;
    }

    private static BrokerSnapshot complete(BrokerSnapshot snapshot) {
        assertThat(snapshot.complete()).as("complete; reason: %s", snapshot.incompleteReason()).isTrue();
        return snapshot;
    }

    private static BrokerPosition position(BrokerSnapshot snapshot, String account, long conId) {
        return snapshot.positions().stream().filter(p -> p.account().equals(account) && p.conId() == conId)
                .findFirst().orElseThrow(() -> new AssertionError("no position " + account + "/" + conId));
    }

    private static Optional<PortfolioValue> portfolio(BrokerSnapshot snapshot, String account, long conId) {
        return snapshot.portfolio().stream().filter(p -> p.account().equals(account) && p.conId() == conId)
                .findFirst();
    }

    private static List<BrokerExecution> executions(BrokerSnapshot snapshot, long conId) {
        return snapshot.executions().stream().filter(e -> e.conId() == conId).toList();
    }

    private static BigDecimal d(String value) {
        return new BigDecimal(value);
    }

    @Test
    void severalFillsBetweenTwoSyncs() throws Exception {
        start("""
                "positions": [ { "account": "DU1000001", "conId": 265598, "quantity": 100, "avgCost": 10.01 } ],
                "script": [
                  { "afterSnapshot": 1, "trade": { "account": "DU1000001", "conId": 265598, "side": "BOT",
                    "quantity": 50, "price": 12.00, "commission": 0.50, "minutesAgo": 3 } },
                  { "afterSnapshot": 1, "trade": { "account": "DU1000001", "conId": 265598, "side": "SLD",
                    "quantity": 120, "price": 15.00, "commission": 1.20, "minutesAgo": 1 } }
                ]
                """);
        TwsBrokerGateway client = client(7);

        BrokerSnapshot first = complete(client.snapshot());
        assertThat(position(first, ACC1, AAPL).position()).isEqualByComparingTo("100");
        assertThat(first.executions()).isEmpty();

        BrokerSnapshot second = complete(client.snapshot());
        // Spec example 5: after the buy A = (1001.00 + 600.00 + 0.50) / 150; the sale realizes (15 - A) * 120 - 1.20.
        assertThat(position(second, ACC1, AAPL).position()).isEqualByComparingTo("30");
        assertThat(position(second, ACC1, AAPL).avgCost()).isCloseTo(d("10.6766666667"), within(d("1E-10")));
        List<BrokerExecution> fills = executions(second, AAPL);
        assertThat(fills).extracting(BrokerExecution::side, e -> e.shares().toPlainString())
                .containsExactly(tuple("BOT", "50"), tuple("SLD", "120"));
        assertThat(fills.get(0).realizedPnl()).isNull();
        assertThat(fills.get(1).realizedPnl()).isCloseTo(d("517.60"), within(d("0.00001")));
        assertThat(fills).allMatch(e -> e.time().isBefore(NOW));
    }

    @Test
    void roundTripBetweenTwoSyncsLeavesTheBrokerFlatWithTwoFills() throws Exception {
        start("""
                "script": [
                  { "afterSnapshot": 1, "trade": { "account": "DU1000002", "conId": 76792991, "side": "BOT",
                    "quantity": 100, "price": 150.00, "commission": 1.00, "minutesAgo": 2 } },
                  { "afterSnapshot": 1, "trade": { "account": "DU1000002", "conId": 76792991, "side": "SLD",
                    "quantity": 100, "price": 160.00, "commission": 1.00, "minutesAgo": 1 } }
                ]
                """);
        TwsBrokerGateway client = client(7);

        BrokerSnapshot first = complete(client.snapshot());
        assertThat(first.positions()).isEmpty();

        BrokerSnapshot second = complete(client.snapshot());
        // Flat again, still reported (quantity 0) until IB's daily reset.
        assertThat(position(second, ACC2, TSLA).position()).isEqualByComparingTo("0");
        assertThat(portfolio(second, ACC2, TSLA).orElseThrow().realizedPnl()).isEqualByComparingTo("998.00");
        assertThat(executions(second, TSLA)).extracting(BrokerExecution::realizedPnl)
                .usingElementComparator(ScriptedSituationsTest::compareNullable)
                .containsExactly(null, d("998.00"));
    }

    @Test
    void flipsOnStocksFuturesAndOptionsCloseOneSideAndOpenTheOther() throws Exception {
        start("""
                "positions": [
                  { "account": "DU1000001", "conId": 265598, "quantity": 100, "avgCost": 9.00 },
                  { "account": "DU1000001", "conId": 495512563, "quantity": 2, "avgCost": 250002.40 },
                  { "account": "DU1000002", "conId": 700000001, "quantity": -3, "avgCost": 620.00 }
                ],
                "script": [
                  { "afterSnapshot": 1, "trade": { "account": "DU1000001", "conId": 265598, "side": "SLD",
                    "quantity": 150, "price": 10.00, "commission": 1.50 } },
                  { "afterSnapshot": 1, "trade": { "account": "DU1000001", "conId": 495512563, "side": "SLD",
                    "quantity": 3, "price": 5010.00, "commission": 7.20 } },
                  { "afterSnapshot": 1, "trade": { "account": "DU1000002", "conId": 700000001, "side": "BOT",
                    "quantity": 5, "price": 6.00, "commission": 5.00 } }
                ]
                """);
        TwsBrokerGateway client = client(7);
        complete(client.snapshot());
        BrokerSnapshot second = complete(client.snapshot());

        // Spec example 4: the long closes with (10 - 9) * 100 - 1.50 * 100/150; a short of 50 opens at 10 - 0.50/50.
        assertThat(position(second, ACC1, AAPL).position()).isEqualByComparingTo("-50");
        assertThat(position(second, ACC1, AAPL).avgCost()).isEqualByComparingTo("9.99");
        assertThat(executions(second, AAPL).get(0).realizedPnl()).isEqualByComparingTo("99.00");
        // ES (m = 50): close 2 with 2/3 of 7.20: (5010 * 50 - 250002.40) * 2 - 4.80; open -1 at 250500 - 2.40.
        assertThat(position(second, ACC1, ES).position()).isEqualByComparingTo("-1");
        assertThat(position(second, ACC1, ES).avgCost()).isEqualByComparingTo("250497.60");
        assertThat(executions(second, ES).get(0).realizedPnl()).isEqualByComparingTo("990.40");
        // Call (m = 100): cover 3 with 3/5 of 5.00: (620 - 600) * 3 - 3.00; open +2 at 600 + 2.00/2.
        assertThat(position(second, ACC2, CALL).position()).isEqualByComparingTo("2");
        assertThat(position(second, ACC2, CALL).avgCost()).isEqualByComparingTo("601.00");
        assertThat(executions(second, CALL).get(0).realizedPnl()).isEqualByComparingTo("57.00");
    }

    @Test
    void ibRealizedPnlPerExecutionFollowsAverageCostForShortsFuturesOptionsAndFractions() throws Exception {
        start("""
                "positions": [
                  { "account": "DU1000001", "conId": 495512563, "quantity": -2, "avgCost": 301010.10 },
                  { "account": "DU1000002", "conId": 700000001, "quantity": 5, "avgCost": 625.65 },
                  { "account": "DU1000002", "conId": 265598, "quantity": 0.75, "avgCost": 150.00 }
                ],
                "executions": [
                  { "account": "DU1000001", "conId": 495512563, "side": "BOT", "quantity": 2, "price": 6015.25,
                    "commission": 4.80, "minutesAgo": 30 },
                  { "account": "DU1000002", "conId": 700000001, "side": "SLD", "quantity": 2, "price": 7.00,
                    "commission": 1.30, "minutesAgo": 20 },
                  { "account": "DU1000002", "conId": 265598, "side": "SLD", "quantity": 0.5, "price": 160.00,
                    "commission": 0.50, "minutesAgo": 10 }
                ]
                """);
        BrokerSnapshot snapshot = complete(client(7).snapshot());

        // Short ES covered: (301010.10 - 6015.25 * 50) * 2 - 4.80
        assertThat(executions(snapshot, ES).get(0).realizedPnl()).isEqualByComparingTo("490.40");
        assertThat(position(snapshot, ACC1, ES).position()).isEqualByComparingTo("0");
        // Call partly sold: (700 - 625.65) * 2 - 1.30; avgCost unchanged.
        assertThat(executions(snapshot, CALL).get(0).realizedPnl()).isEqualByComparingTo("147.40");
        assertThat(position(snapshot, ACC2, CALL).avgCost()).isEqualByComparingTo("625.65");
        // Fractional: (160 - 150) * 0.5 - 0.50, 0.25 left.
        assertThat(executions(snapshot, AAPL).get(0).realizedPnl()).isEqualByComparingTo("4.50");
        assertThat(position(snapshot, ACC2, AAPL).position()).isEqualByComparingTo("0.25");
    }

    @Test
    void lateCommissionReportArrivesOnlyInALaterSnapshot() throws Exception {
        SimulatorState state = start("""
                "script": [
                  { "afterSnapshot": 1, "trade": { "ref": "late", "account": "DU1000001", "conId": 265598,
                    "side": "BOT", "quantity": 10, "price": 159.00, "commission": 1.00, "withholdCommission": true } },
                  { "afterSnapshot": 2, "releaseCommission": "late" }
                ]
                """);
        TwsBrokerGateway client = client(7);
        complete(client.snapshot());

        BrokerSnapshot second = complete(client.snapshot());
        BrokerExecution withoutReport = executions(second, AAPL).get(0);
        assertThat(withoutReport.commission()).as("commission not reported yet").isNull();
        assertThat(state.isCommissionWithheld(withoutReport.execId())).isFalse();
        // The position already carries the commission, as at IB.
        assertThat(position(second, ACC1, AAPL).avgCost()).isEqualByComparingTo("159.10");

        BrokerSnapshot third = complete(client.snapshot());
        BrokerExecution withReport = executions(third, AAPL).get(0);
        assertThat(withReport.execId()).isEqualTo(withoutReport.execId());
        assertThat(withReport.commission()).isEqualByComparingTo("1.00");
        assertThat(withReport.commissionCurrency()).isEqualTo("USD");
    }

    @Test
    void correctionOfAFillReportedEarlierReplacesItAndAdjustsThePosition() throws Exception {
        start("""
                "executions": [
                  { "ref": "buy", "account": "DU1000001", "conId": 265598, "side": "BOT", "quantity": 100,
                    "price": 150.00, "commission": 1.00, "minutesAgo": 30 },
                  { "account": "DU1000001", "conId": 265598, "side": "SLD", "quantity": 50, "price": 160.00,
                    "commission": 1.00, "minutesAgo": 20 }
                ],
                "script": [
                  { "afterSnapshot": 1, "correct": { "ref": "buy", "price": 149.50, "quantity": 120 } }
                ]
                """);
        TwsBrokerGateway client = client(7);
        BrokerSnapshot first = complete(client.snapshot());
        BrokerExecution original = executions(first, AAPL).get(0);
        assertThat(original.execId()).endsWith(".01");
        assertThat(position(first, ACC1, AAPL).position()).isEqualByComparingTo("50");

        BrokerSnapshot second = complete(client.snapshot());
        List<BrokerExecution> fills = executions(second, AAPL);
        assertThat(fills).hasSize(2);
        BrokerExecution corrected = fills.get(0);
        assertThat(corrected.execId()).isEqualTo(original.baseExecId() + ".02");
        assertThat(corrected.shares()).isEqualByComparingTo("120");
        assertThat(corrected.price()).isEqualByComparingTo("149.50");
        assertThat(corrected.time()).isEqualTo(original.time());
        // 120 bought at 149.50 with 1.00, then 50 sold: 70 left at (17940 + 1) / 120.
        assertThat(position(second, ACC1, AAPL).position()).isEqualByComparingTo("70");
        assertThat(position(second, ACC1, AAPL).avgCost()).isCloseTo(d("149.5083333333"), within(d("1E-10")));
    }

    @Test
    void fillBetweenThePositionsAndTheExecutionsReplies() throws Exception {
        start("""
                "positions": [ { "account": "DU1000001", "conId": 265598, "quantity": 100, "avgCost": 150.01 } ],
                "script": [
                  { "beforeExecutions": 1, "trade": { "account": "DU1000001", "conId": 265598, "side": "SLD",
                    "quantity": 40, "price": 160.00, "commission": 1.00 } }
                ]
                """);
        TwsBrokerGateway client = client(7);

        BrokerSnapshot first = complete(client.snapshot());
        assertThat(position(first, ACC1, AAPL).position()).as("positions reply before the fill").isEqualByComparingTo("100");
        assertThat(portfolio(first, ACC1, AAPL).orElseThrow().position()).isEqualByComparingTo("100");
        assertThat(executions(first, AAPL)).as("executions reply after the fill").singleElement()
                .satisfies(e -> assertThat(e.shares()).isEqualByComparingTo("40"));

        BrokerSnapshot second = complete(client.snapshot());
        assertThat(position(second, ACC1, AAPL).position()).isEqualByComparingTo("60");
        assertThat(executions(second, AAPL)).hasSize(1);
    }

    @Test
    void positionChangesWithoutAnExecutionOfTheDay() throws Exception {
        SimulatorState state = start("""
                "positions": [
                  { "account": "DU1000001", "conId": 265598, "quantity": 100, "avgCost": 150.01 },
                  { "account": "DU1000002", "conId": 700000001, "quantity": 3, "avgCost": 410.65 }
                ],
                "script": [
                  { "afterSnapshot": 1, "trade": { "account": "DU1000001", "conId": 265598, "side": "SLD",
                    "quantity": 30, "price": 158.00, "commission": 1.00, "daysAgo": 1 } },
                  { "afterSnapshot": 1, "brokerClose": { "account": "DU1000002", "conId": 700000001 } }
                ]
                """);
        TwsBrokerGateway client = client(7);
        complete(client.snapshot());

        BrokerSnapshot second = complete(client.snapshot());
        assertThat(position(second, ACC1, AAPL).position()).isEqualByComparingTo("70");
        assertThat(position(second, ACC2, CALL).position()).isEqualByComparingTo("0");
        assertThat(second.executions()).as("yesterday's fill and the expiry are not executions of the day").isEmpty();
        Execution yesterday = state.executions().get(0);
        assertThat(state.isPriorDay(yesterday.execId())).isTrue();
        assertThat(yesterday.time()).isEqualTo(NOW.minus(Duration.ofDays(1)));
    }

    @Test
    void commissionInAnotherCurrencyCountsAtTheExchangeRate() throws Exception {
        start("""
                "executions": [
                  { "account": "DU1000002", "conId": 14204, "side": "BOT", "quantity": 40, "price": 201.275,
                    "commission": 1.08, "commissionCurrency": "USD", "minutesAgo": 5 }
                ]
                """);
        BrokerSnapshot snapshot = complete(client(7).snapshot());

        BrokerExecution fill = executions(snapshot, SAP).get(0);
        assertThat(fill.commission()).isEqualByComparingTo("1.08");
        assertThat(fill.commissionCurrency()).isEqualTo("USD");
        // 1.08 USD = 1.00 EUR at 1.08 USD per EUR: (40 * 201.275 + 1.00) / 40.
        BrokerPosition sap = position(snapshot, ACC2, SAP);
        assertThat(sap.currency()).isEqualTo("EUR");
        assertThat(sap.avgCost()).isEqualByComparingTo("201.30");
    }

    @Test
    void exchangeRatesAreAccountValuesOfEveryAccount() throws Exception {
        start("\"positions\": []");
        try (RawTwsClient raw = RawTwsClient.connected(sim.port(), 3)) {
            for (String account : List.of(ACC1, ACC2)) {
                raw.reqAccountUpdates(true, account);
                List<List<String>> rates = raw.until(MessageIds.ACCOUNT_DOWNLOAD_END).stream()
                        .filter(m -> m.id() == MessageIds.UPDATE_ACCOUNT_VALUE && "ExchangeRate".equals(m.get(2)))
                        .map(RawTwsClient.Msg::fields).toList();
                // base currency per unit of the currency; the base currency itself 1
                assertThat(rates).containsExactlyInAnyOrder(
                        List.of("6", "2", "ExchangeRate", "1.00", "USD", account),
                        List.of("6", "2", "ExchangeRate", "1.08", "EUR", account));
            }
        }
    }

    @Test
    void onlyTheMasterClientSeesEveryClientsExecutions() throws Exception {
        SimulatorState state = start("""
                "masterClientId": 17,
                "executions": [
                  { "ref": "bot", "account": "DU1000001", "conId": 265598, "side": "BOT", "quantity": 10,
                    "price": 159.00, "commission": 1.00, "clientId": 23, "minutesAgo": 30 },
                  { "ref": "manual", "account": "DU1000001", "conId": 265598, "side": "BOT", "quantity": 5,
                    "price": 159.50, "commission": 1.00, "minutesAgo": 20 },
                  { "ref": "sync", "account": "DU1000002", "conId": 76792991, "side": "SLD", "quantity": 3,
                    "price": 241.00, "commission": 1.00, "clientId": 17, "minutesAgo": 10 }
                ]
                """);
        List<Execution> all = state.executions();
        assertThat(all).extracting(Execution::clientId).containsExactly(23, 0, 17);

        BrokerSnapshot master = complete(client(17).snapshot());
        assertThat(master.executions()).extracting(BrokerExecution::execId)
                .containsExactlyElementsOf(all.stream().map(Execution::execId).toList());
        BrokerSnapshot bot = complete(client(23).snapshot());
        assertThat(bot.executions()).extracting(BrokerExecution::execId).containsExactly(all.get(0).execId());
        BrokerSnapshot other = complete(client(5).snapshot());
        assertThat(other.executions()).isEmpty();
        // Positions do not depend on the clientId: every connection sees the account's whole book.
        assertThat(other.positions()).hasSameSizeAs(master.positions());
    }

    @Test
    void withoutAMasterClientIdEveryConnectionSeesEveryExecution() throws Exception {
        start("""
                "executions": [
                  { "account": "DU1000001", "conId": 265598, "side": "BOT", "quantity": 10, "price": 159.00,
                    "commission": 1.00, "clientId": 23, "minutesAgo": 30 }
                ]
                """);
        assertThat(complete(client(5).snapshot()).executions()).hasSize(1);
    }

    @Test
    void anExecutionFilterWithEmptyNumericFieldsIsAnEmptyFilter() throws Exception {
        start("""
                "executions": [
                  { "account": "DU1000001", "conId": 265598, "side": "BOT", "quantity": 10, "price": 159.00,
                    "commission": 1.00, "minutesAgo": 30 }
                ]
                """);
        try (RawTwsClient raw = RawTwsClient.connected(sim.port(), 3)) {
            // As @stoqey/ib sends an empty filter: clientId "" (and every other field empty).
            raw.send(MessageIds.REQ_EXECUTIONS, 3, 42, "", "", "", "", "", "", "");
            List<RawTwsClient.Msg> answer = raw.until(MessageIds.EXECUTION_DATA_END);
            assertThat(answer).extracting(RawTwsClient.Msg::id).containsExactly(11, 59, 55);
            assertThat(answer.get(2).fields()).containsExactly("55", "1", "42");
            raw.reqCurrentTime();
            assertThat(raw.next().id()).as("still connected").isEqualTo(MessageIds.CURRENT_TIME);
        }
    }

    @Test
    void theSameStepsThroughTheJavaApiOnARunningSimulator() throws Exception {
        SimulatorState state = start("\"positions\": []");
        state.afterExecutionsReply(1, s -> s.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("159.00"), d("1.00"))
                .withClientId(7).withCommissionWithheld()));
        state.beforeExecutionsReply(2, s -> s.trade(Fill.of(ACC1, AAPL, Side.SLD, d("4"), d("161.00"), d("1.00"))));
        TwsBrokerGateway client = client(7);

        assertThat(complete(client.snapshot()).executions()).isEmpty();
        assertThat(state.executionsRequests()).isEqualTo(1);
        BrokerSnapshot second = complete(client.snapshot());
        assertThat(position(second, ACC1, AAPL).position()).isEqualByComparingTo("10");
        assertThat(executions(second, AAPL)).extracting(BrokerExecution::shares)
                .usingElementComparator(BigDecimal::compareTo).containsExactly(d("10"), d("4"));
        assertThat(executions(second, AAPL).get(0).commission()).isNull();
        assertThat(executions(second, AAPL).get(1).realizedPnl()).isEqualByComparingTo("6.60");
    }

    private static int compareNullable(BigDecimal a, BigDecimal b) {
        if (a == null || b == null) {
            return a == b ? 0 : 1;
        }
        return a.compareTo(b);
    }
}
