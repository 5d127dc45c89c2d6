package io.positionsync.ibkr;

import static io.positionsync.ibkr.SimulatedGateway.AAPL;
import static io.positionsync.ibkr.SimulatedGateway.CLIENT_ID;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.sync.BrokerSnapshot;

/**
 * A master of 1000 accounts against a gateway that enforces IB's pacing (50 a second), refuses {@code reqPositions}
 * above 50 accounts and answers each request 5 to 20 ms late: the client takes positions per account, stays under
 * the pace, and its snapshot is complete within a deadline of the request timeout plus the pacing floor. Some 3000
 * messages at 45 a second: about 67 s, hence the {@code process} tier.
 */
@Tag("process")
class ManyAccountsSnapshotProcessTest {
    private static final int ACCOUNTS = 1000;
    /** The default request timeout: without the pacing floor in the deadline this snapshot could not complete. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    @Test
    void aThousandAccountSnapshotStaysConnectedAndComplete() throws Exception {
        SimulatorOptions options = SimulatorOptions.defaults()
                .withPacingLimit(SimulatorOptions.IB_PACING_LIMIT)
                .withPositionsAccountLimit(SimulatorOptions.IB_POSITIONS_ACCOUNT_LIMIT)
                .withLatency(Duration.ofMillis(5), Duration.ofMillis(20));
        try (SimulatedGateway gw = SimulatedGateway.demo(options)) {
            for (int i = gw.state.managedAccounts().size(); i < ACCOUNTS; i++) {
                String account = String.format("DU5%06d", i);
                gw.state.addAccount(account, new BigDecimal("10000"));
                gw.state.setPosition(account, AAPL, BigDecimal.valueOf(i + 1L), new BigDecimal("150.00"));
            }
            TwsBrokerGateway client = gw.gateway(REQUEST_TIMEOUT);
            long started = System.nanoTime();

            BrokerSnapshot snapshot = client.snapshot();

            Duration took = Duration.ofNanos(System.nanoTime() - started);
            gw.assertMatchesSimulator(snapshot);
            assertThat(snapshot.accounts()).hasSize(ACCOUNTS);
            assertThat(took).as("longer than the request timeout alone allowed").isGreaterThan(REQUEST_TIMEOUT);
            assertThat(gw.sim.pacingViolations()).isZero();
            assertThat(gw.sim.positionsRefusals()).as("reqPositions not asked of so many accounts").isZero();
            assertThat(client.state()).isEqualTo(ConnectionState.UP);
            assertThat(gw.sim.connectedClientIds()).containsExactly(CLIENT_ID);
        }
    }
}
