package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.ExecIds;
import io.positionsync.sync.PortfolioValue;
import io.positionsync.sync.UnmanagedRows;

import io.positionsync.sync.BrokerSnapshot;

import static io.positionsync.ibkr.SimulatedGateway.AAPL;
import static io.positionsync.ibkr.SimulatedGateway.AAPL_CALL;
import static io.positionsync.ibkr.SimulatedGateway.ACC1;
import static io.positionsync.ibkr.SimulatedGateway.ACC2;
import static io.positionsync.ibkr.SimulatedGateway.CLIENT_ID;
import static io.positionsync.ibkr.SimulatedGateway.ES;
import static io.positionsync.ibkr.SimulatedGateway.MSFT;
import static io.positionsync.ibkr.SimulatedGateway.NVDA;
import static io.positionsync.ibkr.SimulatedGateway.PATIENCE;
import static io.positionsync.ibkr.SimulatedGateway.TSLA;
import static io.positionsync.ibkr.SimulatedGateway.assertComplete;
import static io.positionsync.ibkr.SimulatedGateway.d;
import static io.positionsync.ibkr.SimulatedGateway.execution;
import static io.positionsync.ibkr.SimulatedGateway.portfolio;
import static io.positionsync.ibkr.SimulatedGateway.position;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fault;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorOptions;

/**
 * The production client ({@link TwsBrokerGateway}) against the gateway simulator over a real loopback
 * socket: complete snapshots at every server version we speak, reconnects, clientId clashes, replayed
 * and corrected executions, late commission reports and trades made while connected.
 */
class GatewayAgainstSimulatorTest {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private SimulatedGateway env;

    @AfterEach
    void tearDown() {
        if (env != null) {
            env.close();
        }
    }

    @ParameterizedTest(name = "server version {0}")
    @ValueSource(ints = {157, 166, 178})
    void completeMultiAccountSnapshotOfTheDemoMatchesTheSimulatorExactly(int serverVersion) throws Exception {
        env = SimulatedGateway.demo(serverVersion);
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);

        BrokerSnapshot snapshot = gateway.snapshot();

        env.assertMatchesSimulator(snapshot);
        assertThat(snapshot.serverVersion()).isEqualTo(serverVersion);
        assertThat(env.sim.serverVersionOf(CLIENT_ID)).hasValue(serverVersion);
        assertThat(snapshot.serverTime()).isNotNull();
        assertThat(snapshot.accounts()).containsExactly(ACC1, ACC2);

        // The demo's facts, written out, so that a simulator and client wrong in the same way still fail.
        assertThat(snapshot.positions())
                .extracting(BrokerPosition::account, BrokerPosition::conId, BrokerPosition::secType,
                        p -> plain(p.multiplier()), p -> plain(p.position()), p -> plain(p.avgCost()))
                .containsExactlyInAnyOrder(
                        tuple(ACC1, AAPL, "STK", null, "200", "167.51"),
                        tuple(ACC1, MSFT, "STK", null, "40", "410.525"),
                        tuple(ACC1, ES, "FUT", "50", "1", "250002.4"),
                        tuple(ACC1, NVDA, "STK", null, "0", "0"),
                        tuple(ACC2, AAPL, "STK", null, "50", "172.3"),
                        tuple(ACC2, TSLA, "STK", null, "-30", "242.05"),
                        tuple(ACC2, AAPL_CALL, "OPT", "100", "5", "625.65"));
        assertThat(snapshot.portfolio()).filteredOn(v -> v.account().equals(ACC1)).hasSize(4);
        assertThat(snapshot.portfolio()).filteredOn(v -> v.account().equals(ACC2)).hasSize(3);
        PortfolioValue future = portfolio(snapshot, ACC1, ES).orElseThrow();
        assertThat(future.marketValue()).isEqualByComparingTo("250612.5");
        assertThat(future.unrealizedPnl()).isEqualByComparingTo("610.1");
        assertThat(future.realizedPnl()).isEqualByComparingTo("495.2");
        PortfolioValue shortTsla = portfolio(snapshot, ACC2, TSLA).orElseThrow();
        assertThat(shortTsla.marketValue()).isEqualByComparingTo("-7254");
        assertThat(shortTsla.unrealizedPnl()).isEqualByComparingTo("7.5");

        assertThat(snapshot.executions()).hasSize(6).allSatisfy(e -> {
            assertThat(e.commission()).as("commission of %s", e.execId()).isNotNull();
            assertThat(e.commissionCurrency()).isEqualTo("USD");
        });
        assertThat(snapshot.executions()).extracting(BrokerExecution::time).isSorted();
        assertThat(snapshot.executions()).filteredOn(e -> e.conId() == ES).singleElement().satisfies(e -> {
            assertThat(e.side()).isEqualTo("SLD");
            assertThat(e.price()).isEqualByComparingTo("5010");
            assertThat(e.commission()).isEqualByComparingTo("2.40");
            assertThat(e.realizedPnl()).isEqualByComparingTo("495.2");
        });
        assertThat(snapshot.executions()).filteredOn(e -> e.conId() == TSLA).singleElement()
                .satisfies(e -> assertThat(e.realizedPnl()).as("an opening fill realizes nothing").isNull());

        assertThat(gateway.state()).isEqualTo(ConnectionState.UP);
        assertThat(env.states()).containsExactly(ConnectionState.CONNECTING, ConnectionState.UP);
    }

    @Test
    void executionTimesWrittenInTheGatewaysTimeZoneAreReadAsTheSameInstants() throws Exception {
        env = SimulatedGateway.demo(SimulatorOptions.defaults().withTimeZone(ZoneId.of("America/New_York")));
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);

        BrokerSnapshot snapshot = gateway.snapshot();

        env.assertMatchesSimulator(snapshot);
        assertThat(snapshot.executions()).extracting(BrokerExecution::time)
                .containsExactlyElementsOf(env.state.executions().stream().map(Execution::time).toList());
    }

    @Test
    void fractionalQuantitiesAndAbsentMarketPricesCrossTheWireExactly() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        long unpriced = 12087792;
        env.state.addInstrument(Instrument.stock(unpriced, "XYZ", "NYSE"));
        env.state.setPosition(ACC1, unpriced, d("-30"), d("20.02"));
        // 0.5 share at 128.40 + 0.35 commission -> avgCost (64.20 + 0.35) / 0.5
        env.state.trade(ACC2, NVDA, Side.BOT, d("0.5"), d("128.40"), d("0.35"));

        BrokerSnapshot snapshot = gateway.snapshot();

        env.assertMatchesSimulator(snapshot);
        assertPosition(snapshot, ACC2, NVDA, "0.5", "129.1");
        assertThat(execution(snapshot, env.state.executions().get(6).execId()).orElseThrow().shares())
                .isEqualByComparingTo("0.5");
        PortfolioValue noPrice = portfolio(snapshot, ACC1, unpriced).orElseThrow();
        assertThat(noPrice.position()).isEqualByComparingTo("-30");
        assertThat(noPrice.averageCost()).isEqualByComparingTo("20.02");
        assertThat(noPrice.marketPrice()).as("unset on the wire, absent here").isNull();
        assertThat(noPrice.marketValue()).isNull();
        assertThat(noPrice.unrealizedPnl()).isNull();
        assertThat(noPrice.realizedPnl()).isEqualByComparingTo("0");
    }

    @Test
    void snapshotsStayCompleteWhilePricesMoveAndArePushed() throws Exception {
        env = SimulatedGateway.demo(SimulatorOptions.defaults().withPriceTickInterval(Duration.ofMillis(2)));
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        BigDecimal esPrice = env.state.marketPrice(ES).orElseThrow();

        for (int i = 0; i < 5; i++) {
            BrokerSnapshot snapshot = assertComplete(gateway.snapshot());
            assertThat(snapshot.positions()).hasSameSizeAs(env.state.positions());
            assertThat(snapshot.portfolio()).hasSameSizeAs(env.state.positions());
            assertThat(snapshot.executions()).hasSize(6);
            for (PortfolioValue line : snapshot.portfolio()) {
                assertThat(line.marketValue()).as("value at the price of the same line: %s", line)
                        .isEqualByComparingTo(line.position().multiply(line.marketPrice())
                                .multiply(line.multiplier() == null ? BigDecimal.ONE : line.multiplier()));
            }
        }
        await().atMost(PATIENCE).until(() -> env.state.marketPrice(ES).orElseThrow().compareTo(esPrice) != 0);
        assertThat(env.sim.connectionCount()).isEqualTo(1);
    }

    @Test
    void aGatewayThatOnlySpeaksVersionsBelow157IsRefusedAtConnect() throws Exception {
        env = SimulatedGateway.demo(156);
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);

        assertThatThrownBy(gateway::snapshot)
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(502))
                .hasMessageContaining("closed the connection while connecting as clientId " + CLIENT_ID);
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);
        assertThat(env.sim.connectedClientIds()).isEmpty();
    }

    @Test
    void reconnectsAfterTheSimulatorRestartsOnTheSamePort() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        assertComplete(gateway.snapshot());
        int port = env.sim.port();

        env.sim.stop();
        await().atMost(PATIENCE).until(() -> gateway.state() == ConnectionState.DOWN);
        assertThat(gateway.status().detail()).startsWith("connection lost");
        assertThatThrownBy(gateway::snapshot).as("nobody listening")
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(502));
        assertThat(gateway.status().nextAttemptAt()).as("held back by the backoff").isNotNull();

        env.state.trade(ACC2, TSLA, Side.BOT, d("10"), d("240.00"), d("1.00"));
        env.sim.start();
        assertThat(env.sim.port()).isEqualTo(port);

        AtomicReference<BrokerSnapshot> next = new AtomicReference<>();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).ignoreException(BrokerException.class)
                .until(() -> {
                    next.set(gateway.snapshot());
                    return true;
                });
        env.assertMatchesSimulator(next.get());
        assertThat(position(next.get(), ACC2, TSLA).orElseThrow().position()).isEqualByComparingTo("-20");
        assertThat(gateway.state()).isEqualTo(ConnectionState.UP);
        assertThat(gateway.status().nextAttemptAt()).isNull();
        assertThat(env.states()).as("UP, dropped, refused, then reconnected")
                .startsWith(ConnectionState.CONNECTING, ConnectionState.UP, ConnectionState.DOWN,
                        ConnectionState.CONNECTING, ConnectionState.DOWN)
                .endsWith(ConnectionState.CONNECTING, ConnectionState.UP);
    }

    @Test
    void aSecondClientWithTheSameClientIdIsRefusedWith326AndTheFirstKeepsWorking() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway first = env.gateway(REQUEST_TIMEOUT);
        first.connect();
        TwsBrokerGateway second = env.gateway(REQUEST_TIMEOUT);

        assertThatThrownBy(second::snapshot)
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(326))
                .hasMessageContaining("clientId " + CLIENT_ID + " is already in use at 127.0.0.1:" + env.sim.port())
                .hasMessageContaining("choose another client id");
        assertThat(second.state()).isEqualTo(ConnectionState.DOWN);
        assertThat(second.status().nextAttemptAt()).as("retried with backoff, never spinning").isNotNull();

        assertThat(first.state()).isEqualTo(ConnectionState.UP);
        env.assertMatchesSimulator(first.snapshot());
        assertThat(env.sim.connectedClientIds()).containsExactly(CLIENT_ID);

        TwsBrokerGateway other = env.gateway(CLIENT_ID + 1, REQUEST_TIMEOUT);
        env.assertMatchesSimulator(other.snapshot());
    }

    @Test
    void replayedExecutionsAfterAReconnectAndACorrectionAreCountedOnce() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        BrokerSnapshot before = gateway.snapshot();
        assertThat(before.executions()).hasSize(6);

        Execution fill = env.state.trade(ACC1, AAPL, Side.SLD, d("50"), d("190.00"), d("1.00"));
        Execution corrected = env.state.correctExecution(fill.execId(), d("190.05"));
        assertThat(corrected.execId()).isEqualTo(ExecIds.base(fill.execId()) + ".02");
        assertComplete(gateway.snapshot());
        Fault replay = env.sim.faults().replayExecutionsOnReconnect();
        env.sim.faults().dropAllConnectionsNow();
        await().atMost(PATIENCE).until(() -> gateway.state() == ConnectionState.DOWN);
        env.awaitClientIdReleased(CLIENT_ID);

        BrokerSnapshot after = gateway.snapshot();

        assertThat(replay.triggerCount()).as("the gateway replayed what it had sent").isEqualTo(1);
        env.assertMatchesSimulator(after);
        assertThat(after.executions()).hasSize(7);
        assertThat(after.executions()).extracting(BrokerExecution::baseExecId).doesNotHaveDuplicates();
        assertThat(execution(after, fill.execId())).as("replaced by its correction").isEmpty();
        BrokerExecution shown = execution(after, corrected.execId()).orElseThrow();
        assertThat(shown.price()).isEqualByComparingTo("190.05");
        assertThat(shown.shares()).isEqualByComparingTo("50");
        assertThat(shown.commission()).isEqualByComparingTo("1.00");
        // (190.05 - 167.51) * 50 - 1.00: the corrected price, against the avgCost of the 200 held.
        assertThat(shown.realizedPnl()).isEqualByComparingTo("1126.00");
        assertThat(position(after, ACC1, AAPL).orElseThrow().position()).isEqualByComparingTo("150");
    }

    @Test
    void lateCommissionReportsAreStillJoined() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault late = env.sim.faults().lateCommissionReports(Duration.ofMillis(200));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(late.triggerCount()).isEqualTo(1);
        env.assertMatchesSimulator(snapshot);
        assertThat(snapshot.executions()).hasSize(6)
                .allSatisfy(e -> assertThat(e.commission()).as("commission of %s", e.execId()).isNotNull());
        assertComplete(gateway.snapshot());
    }

    @Test
    void tradesWhileConnectedShowUpInTheNextSnapshotWithIbStyleAverageCost() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        env.assertMatchesSimulator(gateway.snapshot());
        assertThat(position(gateway.snapshot(), ACC2, MSFT)).as("not held yet").isEmpty();

        // open: 100 at 400.00 + 1.00 commission -> avgCost 400.01
        env.state.trade(ACC2, MSFT, Side.BOT, d("100"), d("400.00"), d("1.00"));
        BrokerSnapshot opened = gateway.snapshot();
        env.assertMatchesSimulator(opened);
        assertPosition(opened, ACC2, MSFT, "100", "400.01");

        // add: 50 at 410.00 + 1.00 -> (40001 + 20501) / 150
        env.state.trade(ACC2, MSFT, Side.BOT, d("50"), d("410.00"), d("1.00"));
        BrokerSnapshot added = gateway.snapshot();
        env.assertMatchesSimulator(added);
        assertPosition(added, ACC2, MSFT, "150", "403.3466666667");

        // reduce: avgCost unchanged, the fill realizes (420.00 - avgCost) * 30 - 1.00
        Execution reduce = env.state.trade(ACC2, MSFT, Side.SLD, d("30"), d("420.00"), d("1.00"));
        BrokerSnapshot reduced = gateway.snapshot();
        env.assertMatchesSimulator(reduced);
        assertPosition(reduced, ACC2, MSFT, "120", "403.3466666667");
        assertThat(execution(reduced, reduce.execId()).orElseThrow().realizedPnl()).isEqualByComparingTo("498.599999999");

        // close: reported at 0 (closed today) with avgCost 0
        env.state.trade(ACC2, MSFT, Side.SLD, d("120"), d("415.00"), d("1.00"));
        BrokerSnapshot closed = gateway.snapshot();
        env.assertMatchesSimulator(closed);
        assertPosition(closed, ACC2, MSFT, "0", "0");
        assertThat(portfolio(closed, ACC2, MSFT).orElseThrow().position()).isEqualByComparingTo("0");

        // flip: long 200 AAPL @ 167.51, sell 300 at 190.00 + 3.00 -> closing leg (2.00 of the commission)
        // realizes (190.00 - 167.51) * 200 - 2.00, the short 100 opens at (19000 - 1.00) / 100
        Execution flip = env.state.trade(ACC1, AAPL, Side.SLD, d("300"), d("190.00"), d("3.00"));
        BrokerSnapshot flipped = gateway.snapshot();
        env.assertMatchesSimulator(flipped);
        assertPosition(flipped, ACC1, AAPL, "-100", "189.99");
        assertThat(execution(flipped, flip.execId()).orElseThrow().realizedPnl()).isEqualByComparingTo("4496.00");
        assertThat(flipped.executions()).hasSize(6 + 5);

        // a future: the multiplier is in avgCost; buying 1 more at 5012.25 + 2.40 -> (250002.40 + 250614.90) / 2
        env.state.trade(ACC1, ES, Side.BOT, d("1"), d("5012.25"), d("2.40"));
        BrokerSnapshot future = gateway.snapshot();
        env.assertMatchesSimulator(future);
        assertPosition(future, ACC1, ES, "2", "250308.65");

        assertThat(env.sim.connectionCount()).as("all on one connection").isEqualTo(1);
        assertThat(env.states()).containsExactly(ConnectionState.CONNECTING, ConnectionState.UP);
    }

    @Test
    void aBrokerSideCloseShowsThePositionAtZeroOrAbsent() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        assertPosition(gateway.snapshot(), ACC2, TSLA, "-30", "242.05");

        env.state.brokerClose(ACC2, TSLA);
        BrokerSnapshot closed = gateway.snapshot();

        env.assertMatchesSimulator(closed);
        assertPosition(closed, ACC2, TSLA, "0", "0");
        assertThat(closed.executions()).as("no execution explains it").hasSize(6);

        env.state.reportClosedAsZero(false);
        BrokerSnapshot afterReset = gateway.snapshot();
        env.assertMatchesSimulator(afterReset);
        assertThat(position(afterReset, ACC2, TSLA)).as("gone after the daily reset").isEmpty();
        assertThat(portfolio(afterReset, ACC2, TSLA)).isEmpty();
        assertThat(afterReset.positions()).extracting(BrokerPosition::position)
                .noneMatch(q -> q.signum() == 0);
    }

    @Test
    void rowsOfAnAccountOutsideManagedAccountsAreLeftOutCountedAndWarnedAboutOncePerGateway() throws Exception {
        env = SimulatedGateway.demo();
        String unlinked = "DU1000009";
        env.state.addAccount(unlinked).setManaged(unlinked, false);
        env.state.setPosition(unlinked, MSFT, d("10"), d("400.00"));
        Execution foreign = env.state.trade(unlinked, AAPL, Side.BOT, d("25"), d("190.00"), d("1.00"));
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(TwsBrokerGateway.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
                new ch.qos.logback.core.read.ListAppender<>();
        events.start();
        logger.addAppender(events);
        BrokerSnapshot first;
        BrokerSnapshot second;
        try {
            first = gateway.snapshot();
            env.state.trade(unlinked, AAPL, Side.SLD, d("5"), d("191.00"), d("1.00"));
            second = gateway.snapshot();
        } finally {
            logger.detachAppender(events);
        }

        for (BrokerSnapshot snapshot : List.of(first, second)) {
            env.assertMatchesSimulator(snapshot); // complete, and exactly the managed accounts' rows
            assertThat(snapshot.accounts()).containsExactly(ACC1, ACC2);
            assertThat(snapshot.positions()).extracting(BrokerPosition::account).doesNotContain(unlinked);
            assertThat(snapshot.portfolio()).extracting(PortfolioValue::account).doesNotContain(unlinked);
            assertThat(snapshot.executions()).extracting(BrokerExecution::account).doesNotContain(unlinked);
            assertThat(execution(snapshot, foreign.execId())).isEmpty();
        }
        // The simulator reports the unlinked account's MSFT and AAPL positions and its executions of the day.
        assertThat(first.unmanaged().byAccount()).containsOnlyKeys(unlinked);
        assertThat(first.unmanaged().byAccount().get(unlinked)).isEqualTo(new UnmanagedRows.Counts(2, 0, 1));
        assertThat(second.unmanaged().byAccount().get(unlinked)).isEqualTo(new UnmanagedRows.Counts(2, 0, 2));
        assertThat(events.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                        .isEqualTo("account 'DU1000009' is not among the managed accounts [DU1000001, DU1000002]: its "
                                + "rows are left out (2 positions, 0 portfolio values, 1 execution); this is logged "
                                + "once per account"));
        assertThat(gateway.warnedUnmanagedAccounts()).containsExactly(unlinked);
    }

    /** A decimal's value as text, whatever its scale: 250002.40 and 250002.4 both read "250002.4". */
    private static String plain(BigDecimal value) {
        if (value == null) {
            return null;
        }
        BigDecimal stripped = value.stripTrailingZeros();
        return (stripped.scale() < 0 ? stripped.setScale(0) : stripped).toPlainString();
    }

    private static void assertPosition(BrokerSnapshot snapshot, String account, long conId, String quantity,
            String avgCost) {
        BrokerPosition position = position(snapshot, account, conId)
                .orElseThrow(() -> new AssertionError("no position " + account + "/" + conId + " in " + snapshot.positions()));
        assertThat(position.position()).as("quantity of %s/%s", account, conId).isEqualByComparingTo(quantity);
        assertThat(position.avgCost()).as("avgCost of %s/%s", account, conId).isEqualByComparingTo(avgCost);
        List<PortfolioValue> lines = snapshot.portfolio().stream()
                .filter(v -> v.account().equals(account) && v.conId() == conId).toList();
        assertThat(lines).singleElement().satisfies(v -> {
            assertThat(v.position()).isEqualByComparingTo(quantity);
            assertThat(v.averageCost()).isEqualByComparingTo(avgCost);
        });
    }
}
