package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.AAPL;
import static io.positionsync.ibkr.sim.Books.ACC1;
import static io.positionsync.ibkr.sim.Books.ACC2;
import static io.positionsync.ibkr.sim.Books.TSLA;
import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.wire.FieldReader;
import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.ibkr.wire.ProtocolException;

/** Each fault strikes where armed, once unless told otherwise, while clients are connected. */
class FaultsTest {
    private static final Duration CLOSE_WAIT = RawTwsClient.TIMEOUT;

    private SimulatorState state;
    private GatewaySimulator sim;

    @BeforeEach
    void start() throws Exception {
        state = Books.book();
        state.trade(ACC1, AAPL, Side.BOT, d("10"), d("159"), d("1"));
        state.trade(ACC2, TSLA, Side.BOT, d("5"), d("240"), d("1"));
        sim = Books.start(state);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private RawTwsClient client(int clientId) throws Exception {
        return RawTwsClient.connected(sim.port(), clientId);
    }

    private static List<RawTwsClient.Msg> positionsOf(RawTwsClient client) throws Exception {
        client.reqPositions();
        return client.until(MessageIds.POSITION_END);
    }

    @Test
    void dropAfterNPositionMessages_thenTheNextSnapshotSucceeds() throws Exception {
        Fault fault = sim.faults().dropConnection(SnapshotPhase.POSITIONS, 2);
        try (RawTwsClient client = client(1)) {
            client.reqPositions();
            client.expect(MessageIds.POSITION);
            client.expect(MessageIds.POSITION);
            assertThat(client.awaitClosed(CLOSE_WAIT)).isTrue();
        }
        assertThat(fault.triggerCount()).isEqualTo(1);
        assertThat(fault.isArmed()).isFalse();
        await().until(() -> sim.connectedClientIds().isEmpty());
        try (RawTwsClient client = client(1)) {
            assertThat(positionsOf(client)).hasSize(4);
        }
    }

    @Test
    void dropBeforePositionEnd() throws Exception {
        sim.faults().dropBeforeEnd(SnapshotPhase.POSITIONS);
        try (RawTwsClient client = client(1)) {
            client.reqPositions();
            for (int i = 0; i < 3; i++) {
                client.expect(MessageIds.POSITION);
            }
            assertThat(client.awaitClosed(CLOSE_WAIT)).isTrue();
        }
    }

    @Test
    void dropDuringAccountUpdatesOfOneAccount() throws Exception {
        Fault fault = sim.faults().dropDuringAccountUpdates(ACC2);
        try (RawTwsClient client = client(1)) {
            client.reqAccountUpdates(true, ACC1);
            assertThat(client.until(MessageIds.ACCOUNT_DOWNLOAD_END).get(0).id())
                    .isEqualTo(MessageIds.UPDATE_ACCOUNT_VALUE);
            assertThat(fault.triggerCount()).isZero();
            client.reqAccountUpdates(true, ACC2);
            assertThat(client.next().get(5)).isEqualTo(ACC2);
            assertThat(client.awaitClosed(CLOSE_WAIT)).isTrue();
        }
        assertThat(fault.triggerCount()).isEqualTo(1);
    }

    @Test
    void dropDuringExecutions() throws Exception {
        sim.faults().dropConnection(SnapshotPhase.EXECUTIONS, 1);
        try (RawTwsClient client = client(1)) {
            client.reqExecutions(3);
            client.expect(MessageIds.EXECUTION_DATA);
            assertThat(client.awaitClosed(CLOSE_WAIT)).isTrue();
        }
    }

    @Test
    void connectivityLostInTheMiddleOfThePositions() throws Exception {
        sim.faults().connectivityError(GatewaySimulator.CONNECTIVITY_LOST, SnapshotPhase.POSITIONS);
        try (RawTwsClient client = client(1)) {
            List<RawTwsClient.Msg> answer = positionsOf(client);
            assertThat(answer).extracting(RawTwsClient.Msg::id).containsExactly(61, 4, 61, 61, 62);
            assertThat(answer.get(1).fields().subList(2, 4)).containsExactly("-1", "1100");
            assertThat(positionsOf(client)).extracting(RawTwsClient.Msg::id).containsExactly(61, 61, 61, 62);
        }
    }

    @Test
    void restoredNoticesAtAPhaseOfTheNextSnapshot() throws Exception {
        sim.faults().connectivityError(GatewaySimulator.CONNECTIVITY_RESTORED_DATA_LOST, SnapshotPhase.EXECUTIONS, 0);
        try (RawTwsClient client = client(1)) {
            client.reqExecutions(8);
            RawTwsClient.Msg first = client.next();
            assertThat(first.fields().subList(0, 4)).containsExactly("4", "2", "-1", "1101");
            assertThat(client.until(MessageIds.EXECUTION_DATA_END)).hasSize(5);
        }
    }

    @Test
    void connectivityNoticesNowReachEveryClient() throws Exception {
        try (RawTwsClient first = client(1); RawTwsClient second = client(2)) {
            assertThat(sim.faults().connectivityErrorNow(GatewaySimulator.CONNECTIVITY_LOST)).isEqualTo(2);
            assertThat(sim.faults().connectivityErrorNow(GatewaySimulator.CONNECTIVITY_RESTORED)).isEqualTo(2);
            for (RawTwsClient client : new RawTwsClient[] {first, second}) {
                assertThat(client.expect(MessageIds.ERROR).get(3)).isEqualTo("1100");
                RawTwsClient.Msg restored = client.expect(MessageIds.ERROR);
                assertThat(restored.get(3)).isEqualTo("1102");
                assertThat(restored.get(4)).contains("data maintained");
            }
        }
    }

    @Test
    void delayedPositionEndArrivesLate() throws Exception {
        Duration delay = Duration.ofMillis(300);
        sim.faults().delayEnd(SnapshotPhase.POSITIONS, delay);
        try (RawTwsClient client = client(1)) {
            long start = System.nanoTime();
            client.reqPositions();
            for (int i = 0; i < 3; i++) {
                client.expect(MessageIds.POSITION);
            }
            client.reqCurrentTime();
            client.expect(MessageIds.CURRENT_TIME);
            client.expect(MessageIds.POSITION_END);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(delay);
        }
    }

    @Test
    void withheldAccountDownloadEndIsNeverSent_onceOnly() throws Exception {
        sim.faults().withholdEnd(SnapshotPhase.ACCOUNT_UPDATES);
        try (RawTwsClient client = client(1)) {
            client.reqAccountUpdates(true, ACC2);
            client.reqCurrentTime();
            List<RawTwsClient.Msg> answer = client.until(MessageIds.CURRENT_TIME);
            assertThat(answer).extracting(RawTwsClient.Msg::id).doesNotContain(MessageIds.ACCOUNT_DOWNLOAD_END)
                    .contains(MessageIds.UPDATE_PORTFOLIO, MessageIds.UPDATE_ACCOUNT_TIME);
            client.reqAccountUpdates(true, ACC2);
            client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
        }
    }

    @Test
    void persistentFaultStrikesEverySnapshotUntilCancelled() throws Exception {
        Fault fault = sim.faults().withholdEnd(SnapshotPhase.EXECUTIONS).always();
        try (RawTwsClient client = client(1)) {
            for (int reqId = 1; reqId <= 2; reqId++) {
                client.reqExecutions(reqId);
                client.reqCurrentTime();
                assertThat(client.until(MessageIds.CURRENT_TIME)).extracting(RawTwsClient.Msg::id)
                        .containsExactly(11, 59, 11, 59, 49);
            }
            assertThat(fault.triggerCount()).isEqualTo(2);
            fault.cancel();
            assertThat(sim.faults().armed()).isEmpty();
            client.reqExecutions(3);
            client.until(MessageIds.EXECUTION_DATA_END);
        }
    }

    @Test
    void malformedPositionHasANonNumericConId() throws Exception {
        sim.faults().malformedFrame(SnapshotPhase.POSITIONS);
        try (RawTwsClient client = client(1)) {
            List<RawTwsClient.Msg> answer = positionsOf(client);
            FieldReader bad = answer.get(0).reader();
            bad.skip(2);
            assertThatThrownBy(bad::readInt).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("265598x");
            FieldReader good = answer.get(1).reader();
            good.skip(2);
            assertThat(good.readInt()).isEqualTo(495512563);
        }
    }

    @Test
    void oversizedFrameHeaderTripsTheDecoder() throws Exception {
        Fault fault = sim.faults().oversizedFrame(SnapshotPhase.POSITIONS);
        try (RawTwsClient client = client(1)) {
            client.reqPositions();
            assertThat(client.awaitClosed(CLOSE_WAIT)).isTrue();
            assertThat(client.framingError()).isNotNull().hasMessageContaining("16777216");
        }
        assertThat(fault.triggerCount()).isEqualTo(1);
    }

    @Test
    void executionsAreReplayedAfterAReconnect() throws Exception {
        List<String> firstSeen;
        try (RawTwsClient client = client(4)) {
            client.reqExecutions(1);
            firstSeen = client.until(MessageIds.EXECUTION_DATA_END).stream()
                    .filter(m -> m.id() == MessageIds.EXECUTION_DATA).map(m -> m.get(14)).toList();
        }
        assertThat(firstSeen).hasSize(2);
        assertThat(sim.sentExecIds(4)).containsExactlyElementsOf(firstSeen);
        await().until(() -> sim.connectedClientIds().isEmpty());

        // no fault armed: a reconnect replays nothing
        try (RawTwsClient client = client(4)) {
            client.reqCurrentTime();
            client.expect(MessageIds.CURRENT_TIME);
        }
        await().until(() -> sim.connectedClientIds().isEmpty());

        sim.faults().replayExecutionsOnReconnect();
        try (RawTwsClient client = client(4)) {
            client.reqCurrentTime();
            List<RawTwsClient.Msg> replay = client.until(MessageIds.CURRENT_TIME);
            assertThat(replay).extracting(RawTwsClient.Msg::id).containsExactly(11, 59, 11, 59, 49);
            assertThat(replay).filteredOn(m -> m.id() == MessageIds.EXECUTION_DATA)
                    .allSatisfy(m -> assertThat(m.get(1)).isEqualTo("-1"))
                    .extracting(m -> m.get(14)).containsExactlyElementsOf(firstSeen);
        }
    }

    @Test
    void commissionReportsArriveAfterExecDetailsEnd() throws Exception {
        sim.faults().lateCommissionReports(Duration.ofMillis(100));
        try (RawTwsClient client = client(1)) {
            client.reqExecutions(6);
            assertThat(client.until(MessageIds.EXECUTION_DATA_END)).extracting(RawTwsClient.Msg::id)
                    .containsExactly(11, 11, 55);
            assertThat(client.expect(MessageIds.COMMISSION_REPORT).get(2)).isEqualTo(state.executions().get(0).execId());
            assertThat(client.expect(MessageIds.COMMISSION_REPORT).get(2)).isEqualTo(state.executions().get(1).execId());
        }
    }

    @Test
    void faultsAreClaimedByOneSnapshotOnly() throws Exception {
        Fault fault = sim.faults().withholdEnd(SnapshotPhase.POSITIONS);
        try (RawTwsClient first = client(1); RawTwsClient second = client(2)) {
            first.reqPositions();
            first.reqCurrentTime();
            assertThat(first.until(MessageIds.CURRENT_TIME)).extracting(RawTwsClient.Msg::id)
                    .doesNotContain(MessageIds.POSITION_END);
            assertThat(fault.awaitTriggered(Duration.ofSeconds(1))).isTrue();
            assertThat(positionsOf(second)).hasSize(4);
        }
    }

    @Test
    void dropAllConnectionsNow() throws Exception {
        try (RawTwsClient first = client(1); RawTwsClient second = client(2)) {
            assertThat(sim.faults().dropAllConnectionsNow()).isEqualTo(2);
            assertThat(first.awaitClosed(CLOSE_WAIT)).isTrue();
            assertThat(second.awaitClosed(CLOSE_WAIT)).isTrue();
        }
        try (RawTwsClient again = client(1)) {
            assertThat(positionsOf(again)).hasSize(4);
        }
    }
}
