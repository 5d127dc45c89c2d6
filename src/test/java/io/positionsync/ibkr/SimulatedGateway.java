package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.ExecIds;
import io.positionsync.sync.PortfolioValue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.PortfolioEntry;
import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.Scenario;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;

/**
 * The production client against an in-process {@link GatewaySimulator} on a loopback ephemeral port:
 * small backoff and timeouts so fault tests stay fast, every state change recorded, everything closed at
 * the end.
 */
final class SimulatedGateway implements AutoCloseable {
    static final String ACC1 = "DU1000001";
    static final String ACC2 = "DU1000002";
    static final long AAPL = 265598;
    static final long MSFT = 272093;
    static final long TSLA = 76792991;
    static final long NVDA = 4815747;
    static final long ES = 495512563;
    static final long AAPL_CALL = 700000001;

    static final int CLIENT_ID = 7;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration BACKOFF_INITIAL = Duration.ofMillis(50);
    static final Duration BACKOFF_MAX = Duration.ofMillis(200);
    /** How long a test waits for something asynchronous (a state change, a restart) before failing. */
    static final Duration PATIENCE = Duration.ofSeconds(5);

    final GatewaySimulator sim;
    final SimulatorState state;
    private final List<TwsBrokerGateway> gateways = new ArrayList<>();
    private final List<ConnectionStatus> statuses = new CopyOnWriteArrayList<>();

    private SimulatedGateway(GatewaySimulator sim) {
        this.sim = sim;
        this.state = sim.state();
    }

    /** The demo scenario, prices standing still, server versions up to 178. */
    static SimulatedGateway demo() throws IOException {
        return new SimulatedGateway(GatewaySimulator.startDemo());
    }

    /** The demo scenario served at most at {@code maxServerVersion}. */
    static SimulatedGateway demo(int maxServerVersion) throws IOException {
        return demo(SimulatorOptions.defaults().withMaxServerVersion(maxServerVersion));
    }

    /** The demo scenario served with other options (time zone, versions). */
    static SimulatedGateway demo(SimulatorOptions options) throws IOException {
        return new SimulatedGateway(new GatewaySimulator(Scenario.demo().toState(), options).start());
    }

    TwsGatewayConfig config(int clientId, Duration requestTimeout) {
        return new TwsGatewayConfig("127.0.0.1", sim.port(), clientId, CONNECT_TIMEOUT, requestTimeout,
                BACKOFF_INITIAL, BACKOFF_MAX);
    }

    /** A gateway client whose state changes are recorded in {@link #statuses()}. */
    TwsBrokerGateway gateway(Duration requestTimeout) {
        return gateway(CLIENT_ID, requestTimeout);
    }

    TwsBrokerGateway gateway(int clientId, Duration requestTimeout) {
        TwsBrokerGateway gateway = new TwsBrokerGateway(config(clientId, requestTimeout));
        gateway.addStatusListener(statuses::add);
        gateways.add(gateway);
        return gateway;
    }

    List<ConnectionState> states() {
        return statuses.stream().map(ConnectionStatus::state).toList();
    }

    List<ConnectionStatus> statuses() {
        return List.copyOf(statuses);
    }

    /**
     * Waits until the simulator no longer holds a session for {@code clientId}: after the client dropped a
     * spoiled connection, the gateway only frees the clientId once it has read the close, as a real one does.
     */
    void awaitClientIdReleased(int clientId) {
        await().atMost(PATIENCE).until(() -> !sim.connectedClientIds().contains(clientId));
    }

    /** Asserts that the snapshot is complete and, after a fault, that the one-shot fault left no trace. */
    static BrokerSnapshot assertComplete(BrokerSnapshot snapshot) {
        assertThat(snapshot.complete()).as("complete; reason: %s", snapshot.incompleteReason()).isTrue();
        assertThat(snapshot.incompleteReason()).isNull();
        return snapshot;
    }

    static Optional<BrokerPosition> position(BrokerSnapshot snapshot, String account, long conId) {
        return snapshot.positions().stream().filter(p -> p.account().equals(account) && p.conId() == conId).findFirst();
    }

    static Optional<PortfolioValue> portfolio(BrokerSnapshot snapshot, String account, long conId) {
        return snapshot.portfolio().stream().filter(p -> p.account().equals(account) && p.conId() == conId).findFirst();
    }

    static Optional<BrokerExecution> execution(BrokerSnapshot snapshot, String execId) {
        return snapshot.executions().stream().filter(e -> e.execId().equals(execId)).findFirst();
    }

    /** The simulator's position, for comparison. */
    Position simPosition(String account, long conId) {
        return state.position(account, conId).orElseThrow();
    }

    /** The simulator's executions as a client should see them: corrections replace their originals. */
    List<Execution> latestSimExecutions() {
        List<Execution> all = state.executions();
        List<Execution> latest = new ArrayList<>();
        for (Execution e : all) {
            boolean superseded = all.stream().anyMatch(other -> ExecIds.supersedes(other.execId(), e.execId()));
            if (!superseded) {
                latest.add(e);
            }
        }
        return latest;
    }

    /**
     * Asserts that a complete snapshot shows exactly what the simulator holds: every reported position
     * (quantity and avgCost), every account's portfolio lines, and today's executions (corrections applied)
     * with their commission reports. Decimals are compared by value, exactly. Only the managed accounts' rows:
     * those of an account left out of {@code managedAccounts} are not in a snapshot.
     */
    void assertMatchesSimulator(BrokerSnapshot snapshot) {
        assertComplete(snapshot);
        assertThat(snapshot.accounts()).containsExactlyElementsOf(state.managedAccounts());

        List<Position> positions = state.positions().stream().filter(p -> state.isManaged(p.account())).toList();
        assertThat(snapshot.positions()).as("positions").hasSameSizeAs(positions);
        for (Position expected : positions) {
            BrokerPosition actual = position(snapshot, expected.account(), expected.conId())
                    .orElseThrow(() -> new AssertionError("missing position " + expected));
            Instrument instrument = state.instrument(expected.conId()).orElseThrow();
            assertThat(actual.position()).as("quantity of %s", expected).isEqualByComparingTo(expected.quantity());
            assertThat(actual.avgCost()).as("avgCost of %s", expected).isEqualByComparingTo(expected.avgCost());
            assertThat(actual.symbol()).isEqualTo(instrument.symbol());
            assertThat(actual.secType()).isEqualTo(instrument.secType());
            assertThat(actual.currency()).isEqualTo(instrument.currency());
            assertThat(actual.localSymbol()).isEqualTo(instrument.localSymbol());
            if (instrument.multiplier() == null) {
                assertThat(actual.multiplier()).as("multiplier of %s", expected).isNull();
            } else {
                assertThat(actual.multiplier()).as("multiplier of %s", expected)
                        .isEqualByComparingTo(instrument.multiplier());
            }
        }

        int portfolioLines = 0;
        for (String account : state.managedAccounts()) {
            for (PortfolioEntry expected : state.portfolio(account)) {
                portfolioLines++;
                Position held = expected.position();
                PortfolioValue actual = portfolio(snapshot, account, held.conId())
                        .orElseThrow(() -> new AssertionError("missing portfolio line " + expected));
                assertThat(actual.position()).isEqualByComparingTo(held.quantity());
                assertDecimal(actual.marketPrice(), expected.marketPrice(), "marketPrice of " + held);
                assertDecimal(actual.marketValue(), expected.marketValue(), "marketValue of " + held);
                assertDecimal(actual.averageCost(), held.avgCost(), "averageCost of " + held);
                assertDecimal(actual.unrealizedPnl(), expected.unrealizedPnl(), "unrealizedPnl of " + held);
                assertDecimal(actual.realizedPnl(), held.realizedPnlToday(), "realizedPnl of " + held);
            }
        }
        assertThat(snapshot.portfolio()).as("portfolio lines").hasSize(portfolioLines);

        List<Execution> executions = latestSimExecutions().stream().filter(e -> state.isManaged(e.account())).toList();
        assertThat(snapshot.executions()).extracting(BrokerExecution::execId)
                .containsExactlyInAnyOrderElementsOf(executions.stream().map(Execution::execId).toList());
        for (Execution expected : executions) {
            BrokerExecution actual = execution(snapshot, expected.execId()).orElseThrow();
            assertThat(actual.account()).isEqualTo(expected.account());
            assertThat(actual.conId()).isEqualTo(expected.conId());
            assertThat(actual.side()).isEqualTo(expected.side().name());
            assertThat(actual.shares()).isEqualByComparingTo(expected.shares());
            assertThat(actual.price()).as("price of %s", expected.execId()).isEqualByComparingTo(expected.price());
            assertThat(actual.time()).isEqualTo(expected.time());
            assertThat(actual.orderId()).isEqualTo(expected.orderId());
            assertThat(actual.permId()).isEqualTo(expected.permId());
            assertDecimal(actual.commission(), expected.commission(), "commission of " + expected.execId());
            assertThat(actual.commissionCurrency()).isEqualTo(expected.commissionReport().currency());
            assertDecimal(actual.realizedPnl(), expected.realizedPnl(), "realizedPnl of " + expected.execId());
        }
    }

    static void assertDecimal(BigDecimal actual, BigDecimal expected, String what) {
        if (expected == null) {
            assertThat(actual).as(what).isNull();
        } else {
            assertThat(actual).as(what).isNotNull().isEqualByComparingTo(expected);
        }
    }

    static BigDecimal d(String value) {
        return new BigDecimal(value);
    }

    @Override
    public void close() {
        gateways.forEach(TwsBrokerGateway::close);
        sim.close();
    }
}
