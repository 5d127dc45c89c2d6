package io.positionsync.ibkr;

import io.positionsync.sync.BrokerSnapshot;

import static io.positionsync.ibkr.SimulatedGateway.AAPL;
import static io.positionsync.ibkr.SimulatedGateway.ACC1;
import static io.positionsync.ibkr.SimulatedGateway.ACC2;
import static io.positionsync.ibkr.SimulatedGateway.BACKOFF_INITIAL;
import static io.positionsync.ibkr.SimulatedGateway.BACKOFF_MAX;
import static io.positionsync.ibkr.SimulatedGateway.CLIENT_ID;
import static io.positionsync.ibkr.SimulatedGateway.CONNECT_TIMEOUT;
import static io.positionsync.ibkr.SimulatedGateway.PATIENCE;
import static io.positionsync.ibkr.SimulatedGateway.TSLA;
import static io.positionsync.ibkr.SimulatedGateway.assertComplete;
import static io.positionsync.ibkr.SimulatedGateway.d;
import static io.positionsync.ibkr.SimulatedGateway.execution;
import static io.positionsync.ibkr.SimulatedGateway.position;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorOptions;

/**
 * Live mode against the simulator over a real socket: fills and position changes as the gateway pushes them, one
 * connection shared with snapshots, and the subscriptions made again after a drop, a restart and error 1101.
 */
class LiveModeTest {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private SimulatedGateway env;
    private final Events events = new Events();

    /** What a listener heard, in order. */
    static final class Events {
        final List<BrokerEvent> all = new CopyOnWriteArrayList<>();

        void add(BrokerEvent event) {
            all.add(event);
        }

        <T extends BrokerEvent> List<T> of(Class<T> kind) {
            return all.stream().filter(kind::isInstance).map(kind::cast).toList();
        }

        <T extends BrokerEvent> T awaitNth(Class<T> kind, int n) {
            await().atMost(PATIENCE).until(() -> of(kind).size() >= n);
            return of(kind).get(n - 1);
        }
    }

    @AfterEach
    void close() {
        if (env != null) {
            env.close();
        }
    }

    private TwsBrokerGateway gateway(int clientId) {
        return env.gateway(clientId, REQUEST_TIMEOUT);
    }

    private TwsBrokerGateway live(int clientId, Events heard) throws BrokerException {
        TwsBrokerGateway gateway = gateway(clientId);
        gateway.startLive(heard::add);
        heard.awaitNth(BrokerEvent.LiveStarted.class, 1);
        return gateway;
    }

    @Test
    void aFillAfterTheExecutionsAnswerIsNotInTheSnapshotsPositionsButHeardAsAnEvent() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = live(CLIENT_ID, events);
        BigDecimal before = env.simPosition(ACC1, AAPL).quantity();
        Execution[] late = new Execution[1];
        // Just after the snapshot's executions answer is queued, a fill: its position push follows that answer.
        env.state.afterExecutionsReply(env.state.executionsRequests() + 1,
                s -> late[0] = s.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("190.00"), d("1.00"))));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).isTrue();
        assertThat(late[0]).isNotNull();
        assertThat(snapshot.executions()).noneMatch(e -> e.execId().equals(late[0].execId()));
        assertThat(snapshot.positions()).filteredOn(p -> p.account().equals(ACC1) && p.conId() == AAPL)
                .singleElement().satisfies(p -> assertThat(p.position()).as("as old as the executions answer")
                        .isEqualByComparingTo(before));
        assertThat(events.awaitNth(BrokerEvent.PositionChanged.class, 1).account()).isEqualTo(ACC1);
        assertThat(events.awaitNth(BrokerEvent.Fill.class, 1).execId()).isEqualTo(late[0].execId());
    }

    @Test
    void theMasterClientHearsEveryFillAndAnotherClientOnlyItsOwn() throws Exception {
        env = SimulatedGateway.demo();
        env.state.masterClientId(CLIENT_ID);
        Instant before = Instant.now();
        TwsBrokerGateway master = live(CLIENT_ID, events);
        Events otherHeard = new Events();
        TwsBrokerGateway other = live(CLIENT_ID + 1, otherHeard);
        assertThat(events.of(BrokerEvent.LiveStarted.class).get(0).reason()).isEqualTo("connected");
        assertThat(master.liveSince()).hasValueSatisfying(since -> assertThat(since).isAfterOrEqualTo(before));
        assertThat(other.liveSince()).isPresent();

        Execution manual = env.state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("190.00"), d("1.00")));
        BrokerEvent.Fill heard = events.awaitNth(BrokerEvent.Fill.class, 1);
        assertThat(heard.account()).isEqualTo(ACC1);
        assertThat(heard.execId()).isEqualTo(manual.execId());
        assertThat(heard.executedAt()).isEqualTo(manual.time());
        assertThat(heard.receivedAt()).isAfterOrEqualTo(before);

        Execution own = env.state.trade(Fill.of(ACC2, TSLA, Side.BOT, d("5"), d("240.00"), d("1.00"))
                .withClientId(CLIENT_ID + 1));
        BrokerEvent.Fill ownHeard = otherHeard.awaitNth(BrokerEvent.Fill.class, 1);
        assertThat(ownHeard.execId()).as("its own fill, not the manual one before it").isEqualTo(own.execId());
        assertThat(ownHeard.account()).isEqualTo(ACC2);
        assertThat(events.awaitNth(BrokerEvent.Fill.class, 2).execId()).isEqualTo(own.execId());
        assertThat(otherHeard.of(BrokerEvent.Fill.class)).hasSize(1);
        assertThat(master.liveStatistics().fills()).isEqualTo(2);
        assertThat(other.liveStatistics().fills()).isEqualTo(1);
        assertThat(master.liveStatistics().liveStarts()).isEqualTo(1);
    }

    @Test
    void aPositionPushIsAPositionChangeAndASnapshotOnTheLiveConnectionStillMatchesTheSimulator() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = live(CLIENT_ID, events);

        env.state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("190.00"), d("1.00")));
        BrokerEvent.PositionChanged first = events.awaitNth(BrokerEvent.PositionChanged.class, 1);
        assertThat(first.account()).isEqualTo(ACC1);
        assertThat(first.conId()).isEqualTo((int) AAPL);
        assertThat(first.quantity()).isEqualByComparingTo(env.simPosition(ACC1, AAPL).quantity());

        BrokerSnapshot snapshot = gateway.snapshot();
        env.assertMatchesSimulator(snapshot);
        assertThat(env.sim.connectionCount()).as("the snapshot used the live connection").isEqualTo(1);

        // The snapshot left the subscription open: the next change is pushed too, and its answer was no push.
        env.state.trade(Fill.of(ACC2, TSLA, Side.SLD, d("3"), d("241.00"), d("1.00")));
        BrokerEvent.PositionChanged second = events.awaitNth(BrokerEvent.PositionChanged.class, 2);
        assertThat(second.account()).isEqualTo(ACC2);
        assertThat(second.quantity()).isEqualByComparingTo(env.simPosition(ACC2, TSLA).quantity());
        events.awaitNth(BrokerEvent.Fill.class, 2);
        assertThat(events.of(BrokerEvent.Fill.class)).as("the snapshot's executions answered it: no fills")
                .hasSize(2);
        assertThat(events.of(BrokerEvent.PositionChanged.class)).hasSize(2);
        assertThat(gateway.liveStatistics().positionChanges()).isEqualTo(2);

        env.assertMatchesSimulator(gateway.snapshot());
    }

    @Test
    void aDropLeadsToLiveLostAReconnectAndLiveStartedAndTheFillTradedWhileDownIsInTheNextSnapshot()
            throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = live(CLIENT_ID, events);
        Instant firstSince = gateway.liveSince().orElseThrow();

        env.sim.dropAllClients();
        assertThat(events.awaitNth(BrokerEvent.LiveLost.class, 1).reason()).startsWith("connection lost");
        BrokerEvent.LiveStarted again = events.awaitNth(BrokerEvent.LiveStarted.class, 2);
        assertThat(again.reason()).isEqualTo("reconnected");
        assertThat(gateway.liveSince()).hasValueSatisfying(since -> assertThat(since).isAfterOrEqualTo(firstSince));

        env.sim.stop();
        events.awaitNth(BrokerEvent.LiveLost.class, 2);
        assertThat(gateway.liveSince()).isEmpty();
        Execution whileDown = env.state.trade(Fill.of(ACC1, AAPL, Side.SLD, d("20"), d("191.00"), d("1.00")));
        env.sim.start();
        assertThat(events.awaitNth(BrokerEvent.LiveStarted.class, 3).reason()).isEqualTo("reconnected");
        assertThat(events.of(BrokerEvent.Fill.class)).as("nobody pushed what was traded while down").isEmpty();

        BrokerSnapshot next = gateway.snapshot();
        env.assertMatchesSimulator(next);
        assertThat(execution(next, whileDown.execId())).isPresent();
        assertThat(gateway.liveStatistics().liveLosses()).isEqualTo(2);
        assertThat(gateway.liveStatistics().liveStarts()).isEqualTo(3);
    }

    @Test
    void error1101MakesTheSubscriptionsAgainAnd1100Then1102PausesThem() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = live(CLIENT_ID, events);
        Instant firstSince = gateway.liveSince().orElseThrow();

        env.sim.sendErrorToAll(1100);
        assertThat(events.awaitNth(BrokerEvent.LiveLost.class, 1).reason()).startsWith("error 1100");
        assertThat(gateway.liveSince()).isEmpty();
        env.sim.sendErrorToAll(1102);
        assertThat(events.awaitNth(BrokerEvent.LiveStarted.class, 2).reason()).startsWith("error 1102");
        assertThat(gateway.liveSince()).as("data maintained: the same subscriptions").contains(firstSince);

        env.sim.sendErrorToAll(1101);
        assertThat(events.awaitNth(BrokerEvent.LiveStarted.class, 3).reason()).startsWith("error 1101");
        assertThat(env.sim.connectionCount()).as("on the same connection").isEqualTo(1);
        assertThat(events.of(BrokerEvent.PositionChanged.class)).as("the new subscription's answer is no push")
                .isEmpty();

        env.state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("1"), d("190.00"), d("1.00")));
        events.awaitNth(BrokerEvent.PositionChanged.class, 1);
        assertThat(events.awaitNth(BrokerEvent.Fill.class, 1).account()).isEqualTo(ACC1);
        env.assertMatchesSimulator(gateway.snapshot());
    }

    @Test
    void aLateCommissionReportReachesTheNextSnapshot() throws Exception {
        env = SimulatedGateway.demo(SimulatorOptions.defaults().withLateCommissionPushes(true));
        try (TwsBrokerGateway gateway = new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", env.sim.port(),
                CLIENT_ID, CONNECT_TIMEOUT, REQUEST_TIMEOUT, BACKOFF_INITIAL, BACKOFF_MAX, Duration.ofMillis(200)))) {
            gateway.startLive(events::add);
            events.awaitNth(BrokerEvent.LiveStarted.class, 1);
            Execution late = env.state.trade(Fill.of(ACC1, AAPL, Side.SLD, d("40"), d("190.00"), d("1.00"))
                    .withCommissionWithheld());
            assertThat(events.awaitNth(BrokerEvent.Fill.class, 1).execId()).isEqualTo(late.execId());

            BrokerSnapshot pending = assertComplete(gateway.snapshot());
            assertThat(execution(pending, late.execId()).orElseThrow().commission()).as("pending").isNull();

            env.state.releaseCommission(late.execId());
            BrokerSnapshot released = assertComplete(gateway.snapshot());
            assertThat(execution(released, late.execId()).orElseThrow().commission()).isEqualByComparingTo("1.00");
            assertThat(position(released, ACC1, AAPL).orElseThrow().position())
                    .isEqualByComparingTo(env.simPosition(ACC1, AAPL).quantity());
        }
    }

    @Test
    void fillsPushedWhileASnapshotRunsAreNoneOfItsExecutions() throws Exception {
        env = SimulatedGateway.demo();
        Execution[] traded = new Execution[2];
        env.state.beforeExecutionsReply(1, s -> traded[0] = s.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"),
                d("190.00"), d("1.00"))));
        env.state.afterExecutionsReply(1, s -> traded[1] = s.trade(Fill.of(ACC2, TSLA, Side.BOT, d("5"),
                d("240.00"), d("1.00"))));
        TwsBrokerGateway gateway = gateway(CLIENT_ID);

        BrokerSnapshot snapshot = assertComplete(gateway.snapshot());
        assertThat(snapshot.executions()).as("the demo's six and the one traded before the reply, once")
                .hasSize(7).allSatisfy(e -> assertThat(e.commission()).isNotNull());
        assertThat(execution(snapshot, traded[0].execId())).isPresent();
        assertThat(execution(snapshot, traded[1].execId())).as("traded after the reply: pushed only").isEmpty();
        env.assertMatchesSimulator(gateway.snapshot());
    }

    @Test
    void theDemosOwnTradingIsHeardLive() throws Exception {
        env = SimulatedGateway.demo(SimulatorOptions.defaults().withTrading(Duration.ofMillis(100), 7));
        TwsBrokerGateway gateway = live(CLIENT_ID, events);

        events.awaitNth(BrokerEvent.Fill.class, 3);
        for (BrokerEvent.Fill fill : events.of(BrokerEvent.Fill.class)) {
            Execution traded = env.state.execution(fill.execId()).orElseThrow();
            assertThat(fill.account()).isEqualTo(traded.account());
            assertThat(fill.executedAt()).isEqualTo(traded.time());
        }
        events.awaitNth(BrokerEvent.PositionChanged.class, 1);
        assertThat(gateway.snapshot().complete()).isTrue();
    }

    @Test
    void aboveFiftyAccountsOnlyFillsAreHeard() throws Exception {
        env = SimulatedGateway.demo();
        for (int i = 0; i < 50; i++) {
            env.state.addAccount(String.format("DU20%05d", i));
        }
        assertThat(env.state.managedAccounts()).hasSizeGreaterThan(50);
        TwsBrokerGateway gateway = live(CLIENT_ID, events);

        Execution fill = env.state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("190.00"), d("1.00")));
        assertThat(events.awaitNth(BrokerEvent.Fill.class, 1).execId()).isEqualTo(fill.execId());
        // A subscribed position would have been pushed before the fill (the gateway sends it first).
        assertThat(events.of(BrokerEvent.PositionChanged.class)).isEmpty();
        assertThat(gateway.snapshot().complete()).isTrue();
    }

    @Test
    void aRefusedPositionsSubscriptionLeavesLiveModeHearingFillsOnly() throws Exception {
        // The gateway refuses reqPositions (as IB does to masters of many accounts) though few accounts are managed.
        env = SimulatedGateway.demo(SimulatorOptions.defaults().withPositionsAccountLimit(1));
        assertThat(env.state.managedAccounts()).hasSizeGreaterThan(1);
        TwsBrokerGateway gateway = live(CLIENT_ID, events);
        int connections = env.sim.connectionCount();

        Execution fill = env.state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("190.00"), d("1.00")));
        assertThat(events.awaitNth(BrokerEvent.Fill.class, 1).execId()).isEqualTo(fill.execId());
        assertThat(events.of(BrokerEvent.LiveStarted.class)).as("subscribed once, not again and again").hasSize(1);
        assertThat(env.sim.connectionCount()).isEqualTo(connections);
        assertThat(gateway.snapshot().complete()).isTrue();
    }

    @Test
    void closeStopsTheKeeper() throws Exception {
        env = SimulatedGateway.demo();
        TwsBrokerGateway gateway = live(CLIENT_ID, events);
        gateway.startLive(e -> {
            throw new AssertionError("a second start changes nothing");
        });
        gateway.close();
        assertThat(gateway.liveSince()).isEmpty();
        env.awaitClientIdReleased(CLIENT_ID);
        env.sim.stop();
        env.sim.start();
        // A keeper still running would connect again within its backoff (50..200 ms): probe well past that.
        await().during(Duration.ofMillis(600)).atMost(PATIENCE).until(() -> env.sim.connectionCount() == 0);
        assertThat(events.of(BrokerEvent.LiveLost.class)).as("our own close is no loss").isEmpty();
    }
}
