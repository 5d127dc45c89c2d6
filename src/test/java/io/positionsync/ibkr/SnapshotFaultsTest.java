package io.positionsync.ibkr;

import io.positionsync.sync.BrokerSnapshot;

import static io.positionsync.ibkr.SimulatedGateway.ACC1;
import static io.positionsync.ibkr.SimulatedGateway.ACC2;
import static io.positionsync.ibkr.SimulatedGateway.CLIENT_ID;
import static io.positionsync.ibkr.SimulatedGateway.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.positionsync.ibkr.sim.Fault;
import io.positionsync.ibkr.sim.SnapshotPhase;

/**
 * Every fault the simulator can arm makes the client's snapshot incomplete with a precise reason, never
 * silently partial, and once a one-shot fault has struck the next snapshot is complete again.
 */
class SnapshotFaultsTest {
    /** Short, so that a withheld end marker costs little; the simulator answers in a few milliseconds. */
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private SimulatedGateway env;

    @BeforeEach
    void startSimulator() throws Exception {
        env = SimulatedGateway.demo();
    }

    @AfterEach
    void tearDown() {
        env.close();
    }

    /** The demo has 7 positions (one closed today, at 0) over 2 accounts, and 6 executions. */
    private static final int DEMO_POSITIONS = 7;

    private BrokerSnapshot incomplete(TwsBrokerGateway gateway, Fault fault) throws Exception {
        BrokerSnapshot snapshot = gateway.snapshot();
        assertThat(fault.triggerCount()).as("the fault struck").isEqualTo(1);
        assertThat(snapshot.complete()).as("incomplete").isFalse();
        assertThat(snapshot.incompleteReason()).isNotBlank();
        return snapshot;
    }

    /** The connection was dropped: DOWN, and the next snapshot reconnects and is complete. */
    private void assertDroppedThenRecovers(TwsBrokerGateway gateway) throws Exception {
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);
        env.awaitClientIdReleased(CLIENT_ID);
        env.assertMatchesSimulator(gateway.snapshot());
        assertThat(gateway.state()).isEqualTo(ConnectionState.UP);
    }

    @Test
    void dropInTheMiddleOfThePositions() throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().dropConnection(SnapshotPhase.POSITIONS, 3);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        assertThat(snapshot.incompleteReason())
                .isEqualTo("connection lost during positions: the gateway closed the connection");
        assertThat(snapshot.positions()).as("what did arrive, for diagnosis").hasSize(3);
        assertThat(snapshot.portfolio()).isEmpty();
        assertThat(snapshot.executions()).isEmpty();
        assertDroppedThenRecovers(gateway);
    }

    @Test
    void dropRightBeforePositionEndIsIncompleteEvenThoughEveryPositionArrived() throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().dropBeforeEnd(SnapshotPhase.POSITIONS);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        assertThat(snapshot.incompleteReason())
                .isEqualTo("connection lost during positions: the gateway closed the connection");
        assertThat(snapshot.positions()).hasSize(DEMO_POSITIONS);
        assertDroppedThenRecovers(gateway);
    }

    @Test
    void dropDuringTheAccountUpdatesOfOneAccount() throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().dropDuringAccountUpdates(ACC2);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        assertThat(snapshot.incompleteReason())
                .isEqualTo("connection lost during account updates for " + ACC2 + ": the gateway closed the connection");
        assertThat(snapshot.positions()).hasSize(DEMO_POSITIONS);
        assertThat(snapshot.portfolio()).as("the first account's download had ended").isNotEmpty()
                .allSatisfy(v -> assertThat(v.account()).isEqualTo(ACC1));
        assertDroppedThenRecovers(gateway);
    }

    @Test
    void dropDuringTheExecutions() throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().dropConnection(SnapshotPhase.EXECUTIONS, 3);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        assertThat(snapshot.incompleteReason())
                .isEqualTo("connection lost during executions: the gateway closed the connection");
        assertThat(snapshot.executions()).as("execDetails, commissionReport, execDetails").hasSize(2);
        assertDroppedThenRecovers(gateway);
    }

    @ParameterizedTest
    @EnumSource(SnapshotPhase.class)
    void error1100DuringAPhaseMakesTheSnapshotIncompleteAndTheStateDegradedUntil1102(SnapshotPhase phase)
            throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().connectivityError(1100, phase);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        assertThat(snapshot.incompleteReason()).isEqualTo("error 1100 (connectivity lost) during snapshot");
        assertThat(gateway.state()).isEqualTo(ConnectionState.DEGRADED);
        assertThat(env.sim.connectionCount()).as("the connection itself is kept").isEqualTo(1);

        BrokerSnapshot whileDegraded = gateway.snapshot();
        assertThat(whileDegraded.complete()).isFalse();
        assertThat(whileDegraded.incompleteReason())
                .startsWith("the gateway has no connectivity to IB (error 1100, state DEGRADED since ");

        assertThat(env.sim.faults().connectivityErrorNow(1102)).isEqualTo(1);
        await().atMost(PATIENCE).until(() -> gateway.state() == ConnectionState.UP);
        assertThat(gateway.status().detail()).startsWith("error 1102: connectivity to IB restored");
        env.assertMatchesSimulator(gateway.snapshot());
        assertThat(env.states()).containsExactly(ConnectionState.CONNECTING, ConnectionState.UP,
                ConnectionState.DEGRADED, ConnectionState.UP);
    }

    @Test
    void error1101DuringAPhaseMakesTheSnapshotIncompleteButKeepsTheStateUp() throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().connectivityError(1101, SnapshotPhase.POSITIONS);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        assertThat(snapshot.incompleteReason()).isEqualTo("error 1101 (connectivity restored, data lost) during snapshot");
        assertThat(gateway.state()).isEqualTo(ConnectionState.UP);
        env.assertMatchesSimulator(gateway.snapshot());
    }

    @Test
    void socketPortResetBetweenSnapshotsMakesTheClientReconnect() throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        env.assertMatchesSimulator(gateway.snapshot());

        assertThat(env.sim.faults().connectivityErrorNow(1300)).isEqualTo(1);

        await().atMost(PATIENCE).until(() -> gateway.state() == ConnectionState.DOWN);
        assertThat(gateway.status().detail()).contains("error 1300");
        assertDroppedThenRecovers(gateway);
    }

    @ParameterizedTest
    @EnumSource(SnapshotPhase.class)
    void withheldEndMarkerTimesOutWithTheRequestNamed(SnapshotPhase phase) throws Exception {
        TwsBrokerGateway gateway = env.gateway(SHORT_TIMEOUT);
        Fault fault = env.sim.faults().withholdEnd(phase);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        String missing = switch (phase) {
            case POSITIONS -> "positionEnd";
            case ACCOUNT_UPDATES -> "accountDownloadEnd for " + ACC1;
            case EXECUTIONS -> "execDetailsEnd";
        };
        assertThat(snapshot.incompleteReason()).isEqualTo(missing + " not received within 300 ms");
        // The request is still open at the gateway, so the client starts again on a fresh connection.
        assertDroppedThenRecovers(gateway);
        assertThat(env.states()).containsExactly(ConnectionState.CONNECTING, ConnectionState.UP,
                ConnectionState.DOWN, ConnectionState.CONNECTING, ConnectionState.UP);
    }

    @ParameterizedTest
    @EnumSource(SnapshotPhase.class)
    void endMarkerDelayedWithinTheTimeoutIsStillComplete(SnapshotPhase phase) throws Exception {
        TwsBrokerGateway gateway = env.gateway(Duration.ofSeconds(2));
        Fault fault = env.sim.faults().delayEnd(phase, Duration.ofMillis(150));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(fault.triggerCount()).isEqualTo(1);
        env.assertMatchesSimulator(snapshot);
        assertThat(env.sim.connectionCount()).as("no reconnect needed").isEqualTo(1);
        env.assertMatchesSimulator(gateway.snapshot());
    }

    @ParameterizedTest
    @EnumSource(SnapshotPhase.class)
    void malformedFrameClosesTheConnectionAndSaysWhichMessage(SnapshotPhase phase) throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().malformedFrame(phase);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        String message = switch (phase) {
            case POSITIONS -> "position";
            case ACCOUNT_UPDATES -> "updateAccountValue";
            case EXECUTIONS -> "execDetails";
        };
        assertThat(snapshot.incompleteReason()).startsWith("malformed frame: malformed " + message + " message: ");
        assertDroppedThenRecovers(gateway);
    }

    @ParameterizedTest
    @EnumSource(SnapshotPhase.class)
    void oversizedFrameIsRefusedBeforeItIsBuffered(SnapshotPhase phase) throws Exception {
        TwsBrokerGateway gateway = env.gateway(REQUEST_TIMEOUT);
        Fault fault = env.sim.faults().oversizedFrame(phase);

        BrokerSnapshot snapshot = incomplete(gateway, fault);

        assertThat(snapshot.incompleteReason())
                .isEqualTo("malformed frame: frame length 16777216 exceeds the maximum of 16777215 bytes");
        assertDroppedThenRecovers(gateway);
    }

    @Test
    void commissionReportsLaterThanTheTimeoutLeaveTheCommissionAbsentNeverZero() throws Exception {
        TwsBrokerGateway gateway = env.gateway(SHORT_TIMEOUT);
        Fault fault = env.sim.faults().lateCommissionReports(Duration.ofSeconds(3));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(fault.triggerCount()).isEqualTo(1);
        assertThat(snapshot.complete()).as("every end marker arrived").isTrue();
        assertThat(snapshot.executions()).hasSize(6).allSatisfy(e -> {
            assertThat(e.commission()).as("commission of %s", e.execId()).isNull();
            assertThat(e.commissionCurrency()).isNull();
        });
        env.assertMatchesSimulator(gateway.snapshot());
    }
}
