package io.positionsync.ibkr;

import static io.positionsync.ibkr.SimulatedGateway.ACC1;
import static io.positionsync.ibkr.SimulatedGateway.ACC2;
import static io.positionsync.ibkr.SimulatedGateway.assertComplete;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fault;
import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.PortfolioValue;

/**
 * Snapshots of a financial advisor's master: positions per account ({@code reqPositionsMulti}) when
 * {@code reqPositions} is refused or too many accounts are managed, and snapshots scoped to named accounts.
 */
class FaSnapshotTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);

    @Test
    void whenReqPositionsIsRefusedPositionsComePerAccountAndTheSnapshotIsComplete() throws Exception {
        // The demo's two accounts are more than this gateway serves through reqPositions.
        try (SimulatedGateway gw = SimulatedGateway.demo(SimulatorOptions.defaults().withPositionsAccountLimit(1))) {
            TwsBrokerGateway client = gw.gateway(TIMEOUT);

            BrokerSnapshot snapshot = client.snapshot();

            gw.assertMatchesSimulator(snapshot);
            assertThat(snapshot.positions()).extracting(BrokerPosition::account).contains(ACC1, ACC2);
            // The connection stays in step: the next snapshot, on it, is as complete.
            gw.assertMatchesSimulator(client.snapshot());
            assertThat(gw.sim.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void manyManagedAccountsTakePositionsPerAccountWithoutAskingReqPositions() throws Exception {
        // reqPositions would be refused above one account: asked, the snapshot would still be complete (see above),
        // so the refusal count tells whether it was asked.
        try (SimulatedGateway gw = SimulatedGateway.demo(SimulatorOptions.defaults().withPositionsAccountLimit(1))) {
            for (int i = 0; i < SnapshotSession.MAX_REQ_POSITIONS_ACCOUNTS; i++) {
                String account = String.format("DU3%06d", i);
                gw.state.addAccount(account, new BigDecimal("1000"));
                gw.state.setPosition(account, SimulatedGateway.AAPL, BigDecimal.valueOf(i + 1L), new BigDecimal("150"));
            }
            TwsBrokerGateway client = gw.gateway(TIMEOUT);

            BrokerSnapshot snapshot = client.snapshot();

            gw.assertMatchesSimulator(snapshot);
            assertThat(snapshot.accounts()).hasSize(SnapshotSession.MAX_REQ_POSITIONS_ACCOUNTS + 2);
            assertThat(gw.sim.positionsRefusals()).as("reqPositions never asked").isZero();
        }
    }

    @Test
    void aScopedSnapshotHoldsOnlyTheNamedAccountAndIsComplete() throws Exception {
        try (SimulatedGateway gw = SimulatedGateway.demo()) {
            TwsBrokerGateway client = gw.gateway(TIMEOUT);

            BrokerSnapshot snapshot = assertComplete(client.snapshot(Set.of(ACC2)));

            assertThat(snapshot.accounts()).containsExactly(ACC2);
            List<Position> expected = gw.state.positions(ACC2);
            assertThat(snapshot.positions()).extracting(BrokerPosition::account).containsOnly(ACC2)
                    .hasSameSizeAs(expected);
            for (Position position : expected) {
                assertThat(SimulatedGateway.position(snapshot, ACC2, position.conId())).get()
                        .satisfies(p -> assertThat(p.position()).isEqualByComparingTo(position.quantity()));
            }
            assertThat(snapshot.portfolio()).extracting(PortfolioValue::account).containsOnly(ACC2)
                    .hasSize(gw.state.portfolio(ACC2).size());
            List<String> theirs = gw.latestSimExecutions().stream().filter(e -> e.account().equals(ACC2))
                    .map(Execution::execId).toList();
            assertThat(theirs).isNotEmpty();
            assertThat(snapshot.executions()).extracting(BrokerExecution::execId)
                    .containsExactlyInAnyOrderElementsOf(theirs);
            assertThat(snapshot.executions()).allSatisfy(e -> assertThat(e.commission()).isNotNull());
            assertThat(snapshot.exchangeRates()).allSatisfy(r -> assertThat(r.account()).isEqualTo(ACC2));
            assertThat(snapshot.unmanaged().isEmpty()).as("the other account is not counted as unmanaged").isTrue();

            // And a whole snapshot on the same connection afterwards is unaffected.
            gw.assertMatchesSimulator(client.snapshot());
        }
    }

    @Test
    void aScopedSnapshotOfManyAccountsAsksExecutionsOnceAndKeepsOnlyTheirs() throws Exception {
        try (SimulatedGateway gw = SimulatedGateway.demo()) {
            Set<String> named = new java.util.HashSet<>(Set.of(ACC1));
            for (int i = 0; i < SnapshotSession.MAX_EXECUTION_FILTERS; i++) {
                String account = String.format("DU4%06d", i);
                gw.state.addAccount(account, new BigDecimal("1000"));
                named.add(account);
            }
            TwsBrokerGateway client = gw.gateway(TIMEOUT);

            BrokerSnapshot snapshot = assertComplete(client.snapshot(named));

            assertThat(snapshot.accounts()).containsExactlyInAnyOrderElementsOf(named);
            assertThat(snapshot.executions()).extracting(BrokerExecution::account).containsOnly(ACC1);
            assertThat(snapshot.executions()).extracting(BrokerExecution::execId).containsExactlyInAnyOrderElementsOf(
                    gw.latestSimExecutions().stream().filter(e -> e.account().equals(ACC1)).map(Execution::execId)
                            .toList());
            assertThat(snapshot.positions()).extracting(BrokerPosition::account).containsOnly(ACC1);
            assertThat(snapshot.unmanaged().isEmpty()).isTrue();
        }
    }

    @Test
    void namedAccountsThatAreNotManagedAreLeftOutAndNoneManagedIsIncomplete() throws Exception {
        try (SimulatedGateway gw = SimulatedGateway.demo()) {
            TwsBrokerGateway client = gw.gateway(TIMEOUT);

            BrokerSnapshot some = assertComplete(client.snapshot(Set.of(ACC1, "DU9999999")));
            assertThat(some.accounts()).containsExactly(ACC1);
            assertThat(some.positions()).extracting(BrokerPosition::account).containsOnly(ACC1);

            BrokerSnapshot none = client.snapshot(Set.of("DU9999999"));
            assertThat(none.complete()).isFalse();
            assertThat(none.incompleteReason())
                    .isEqualTo("none of the named accounts [DU9999999] is among the 2 managed accounts");
            assertThat(none.positions()).isEmpty();
            assertThat(none.accounts()).isEmpty();
        }
    }

    @Test
    void aFaultDuringAScopedSnapshotMakesItIncomplete() throws Exception {
        try (SimulatedGateway gw = SimulatedGateway.demo()) {
            TwsBrokerGateway client = gw.gateway(SHORT_TIMEOUT);
            Fault withheld = gw.sim.faults().withholdEnd(SnapshotPhase.POSITIONS);

            BrokerSnapshot snapshot = client.snapshot(Set.of(ACC1));

            assertThat(withheld.triggerCount()).isEqualTo(1);
            assertThat(snapshot.complete()).isFalse();
            // 300 ms, and the pacing floor of the seven messages, evenly spaced at 45 a second
            assertThat(snapshot.incompleteReason()).startsWith("positionMultiEnd for " + ACC1
                    + " not received within 300 ms plus a pacing floor of 155 ms for 7 messages");
            assertThat(snapshot.accounts()).containsExactly(ACC1);
        }
    }

    @Test
    void aConnectivityErrorDuringAScopedSnapshotMakesItIncomplete() throws Exception {
        try (SimulatedGateway gw = SimulatedGateway.demo()) {
            TwsBrokerGateway client = gw.gateway(TIMEOUT);
            Fault lost = gw.sim.faults().connectivityError(ErrorCodes.CONNECTIVITY_LOST, SnapshotPhase.EXECUTIONS, 0);

            BrokerSnapshot snapshot = client.snapshot(Set.of(ACC2));

            assertThat(lost.triggerCount()).isEqualTo(1);
            assertThat(snapshot.complete()).isFalse();
            assertThat(snapshot.incompleteReason()).contains("error 1100");
        }
    }
}
