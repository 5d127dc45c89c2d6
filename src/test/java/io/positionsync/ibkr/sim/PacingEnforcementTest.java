package io.positionsync.ibkr.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.wire.MessageIds;

/** Pacing as IB enforces it, switched on in the options: over 50 messages in one second and the client is out. */
class PacingEnforcementTest {
    private static final int CLIENT_ID = 5;
    private static final int BURST = 60;

    @Test
    void aClientSendingSixtyMessagesInABurstGetsError100AndIsDisconnected() throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults().withPacingLimit(SimulatorOptions.IB_PACING_LIMIT);
        try (GatewaySimulator sim = new GatewaySimulator(Books.book(), options).start();
                RawTwsClient client = RawTwsClient.connected(sim.port(), CLIENT_ID)) {
            for (int i = 0; i < BURST; i++) {
                client.reqCurrentTime();
            }

            List<RawTwsClient.Msg> received = untilClosed(client);
            List<RawTwsClient.Msg> errors = received.stream().filter(m -> m.id() == MessageIds.ERROR).toList();
            assertThat(errors).as("errors before the disconnect").hasSize(1);
            assertThat(errors.get(0).get(3)).as("error code").isEqualTo("100");
            assertThat(errors.get(0).get(4)).startsWith("Max rate of messages per second has been exceeded");
            // The handshake's version range and startApi count: 48 requests are answered, the 49th is one too many.
            assertThat(received.stream().filter(m -> m.id() == MessageIds.CURRENT_TIME).count())
                    .isEqualTo(SimulatorOptions.IB_PACING_LIMIT - 2L);
            assertThat(received.get(received.size() - 1).id()).as("the error is the last thing sent")
                    .isEqualTo(MessageIds.ERROR);
            assertThat(sim.pacingViolations()).isEqualTo(1);
        }
    }

    @Test
    void offByDefaultTheSameBurstIsAnsweredInFull() throws Exception {
        assertThat(SimulatorOptions.defaults().pacingEnforced()).isFalse();
        try (GatewaySimulator sim = new GatewaySimulator(Books.book(), SimulatorOptions.defaults()).start();
                RawTwsClient client = RawTwsClient.connected(sim.port(), CLIENT_ID)) {
            for (int i = 0; i < BURST; i++) {
                client.reqCurrentTime();
            }
            for (int i = 0; i < BURST; i++) {
                client.expect(MessageIds.CURRENT_TIME);
            }
            assertThat(sim.connectedClientIds()).containsExactly(CLIENT_ID);
            assertThat(sim.pacingViolations()).isZero();
        }
    }

    @Test
    void fiftyMessagesWithinASecondAreWithinTheLimit() throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults().withPacingLimit(SimulatorOptions.IB_PACING_LIMIT);
        try (GatewaySimulator sim = new GatewaySimulator(Books.book(), options).start();
                RawTwsClient client = RawTwsClient.connected(sim.port(), CLIENT_ID)) {
            int requests = SimulatorOptions.IB_PACING_LIMIT - 2;
            for (int i = 0; i < requests; i++) {
                client.reqCurrentTime();
            }
            for (int i = 0; i < requests; i++) {
                client.expect(MessageIds.CURRENT_TIME);
            }
            assertThat(sim.connectedClientIds()).containsExactly(CLIENT_ID);
            assertThat(sim.pacingViolations()).isZero();
        }
    }

    /** Every frame until the gateway closes the connection; fails if it stays open. */
    private static List<RawTwsClient.Msg> untilClosed(RawTwsClient client) throws InterruptedException {
        List<RawTwsClient.Msg> received = new ArrayList<>();
        while (true) {
            try {
                received.add(client.next(RawTwsClient.TIMEOUT));
            } catch (AssertionError closed) {
                assertThat(closed).hasMessageContaining("connection closed by the gateway");
                return received;
            }
        }
    }
}
