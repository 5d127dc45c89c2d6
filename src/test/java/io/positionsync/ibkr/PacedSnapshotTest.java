package io.positionsync.ibkr;

import static io.positionsync.ibkr.SimulatedGateway.AAPL;
import static io.positionsync.ibkr.SimulatedGateway.CLIENT_ID;
import static io.positionsync.ibkr.SimulatedGateway.assertComplete;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.sync.BrokerSnapshot;

/**
 * A snapshot of many accounts takes three messages per account (more than 50 accounts: positions per account and
 * their cancels, account updates): far more than IB's 50 a second. Against a simulator that enforces IB's pacing,
 * the client's pacer keeps it connected; without it (a pace above 50) the gateway drops the client.
 */
class PacedSnapshotTest {
    /** With the two demo accounts: about 310 messages, some 7 s at 45 a second. */
    private static final int EXTRA_ACCOUNTS = 100;
    private static final Duration GENEROUS = Duration.ofSeconds(60);

    private static SimulatedGateway manyAccounts() throws Exception {
        SimulatedGateway gateway = SimulatedGateway.demo(
                SimulatorOptions.defaults().withPacingLimit(SimulatorOptions.IB_PACING_LIMIT));
        for (int i = 0; i < EXTRA_ACCOUNTS; i++) {
            String account = String.format("DU2%06d", i);
            gateway.state.addAccount(account, new BigDecimal("10000"));
            gateway.state.setPosition(account, AAPL, BigDecimal.valueOf(i + 1L), new BigDecimal("150.00"));
        }
        return gateway;
    }

    @Test
    void theDefaultPaceKeepsAManyAccountSnapshotConnected() throws Exception {
        try (SimulatedGateway gw = manyAccounts()) {
            TwsBrokerGateway client = gw.gateway(GENEROUS);
            assertThat(client.config().maxMessagesPerSecond()).isEqualTo(MessagePacer.DEFAULT_PER_SECOND);

            BrokerSnapshot snapshot = assertComplete(client.snapshot());

            assertThat(snapshot.accounts()).hasSize(EXTRA_ACCOUNTS + 2).contains("DU2000000", "DU2000099");
            assertThat(snapshot.positions().stream().filter(p -> p.account().startsWith("DU2"))).hasSize(EXTRA_ACCOUNTS);
            assertThat(gw.sim.pacingViolations()).isZero();
            assertThat(client.state()).isEqualTo(ConnectionState.UP);
            assertThat(gw.sim.connectedClientIds()).containsExactly(CLIENT_ID);
            // It had to wait, and says so.
            assertThat(client.pacingStatistics().waits()).isPositive();
            assertThat(client.pacingStatistics().totalWait()).isGreaterThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aPaceAboveFiftyIsDisconnectedWithError100() throws Exception {
        try (SimulatedGateway gw = manyAccounts();
                TwsBrokerGateway client = new TwsBrokerGateway(gw.config(CLIENT_ID, GENEROUS)
                        .withMaxMessagesPerSecond(1000))) {
            BrokerSnapshot snapshot = client.snapshot();

            assertThat(snapshot.complete()).isFalse();
            assertThat(snapshot.incompleteReason()).contains("error 100").contains("connection lost");
            assertThat(gw.sim.pacingViolations()).isEqualTo(1);
            assertThat(client.state()).isNotEqualTo(ConnectionState.UP);
        }
    }

    @Test
    void theDeadlineOfASnapshotIncludesThePacingFloorOfWhatItSends() throws Exception {
        try (SimulatedGateway gw = manyAccounts()) {
            // Some 310 messages take about 7 s at 45 a second: far more than the request timeout, which the deadline
            // adds to that floor (before, such a snapshot ended incomplete once its requests could not go in time).
            Duration requestTimeout = Duration.ofMillis(700);
            TwsBrokerGateway client = gw.gateway(requestTimeout);
            long started = System.nanoTime();

            BrokerSnapshot snapshot = assertComplete(client.snapshot());

            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(took).isGreaterThan(Duration.ofSeconds(6));
            assertThat(snapshot.accounts()).hasSize(EXTRA_ACCOUNTS + 2);
            assertThat(gw.sim.pacingViolations()).isZero();
        }
    }
}
