package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerSnapshot;

import static io.positionsync.ibkr.SimulatedGateway.AAPL;
import static io.positionsync.ibkr.SimulatedGateway.ACC1;
import static io.positionsync.ibkr.SimulatedGateway.BACKOFF_INITIAL;
import static io.positionsync.ibkr.SimulatedGateway.BACKOFF_MAX;
import static io.positionsync.ibkr.SimulatedGateway.CONNECT_TIMEOUT;
import static io.positionsync.ibkr.SimulatedGateway.assertComplete;
import static io.positionsync.ibkr.SimulatedGateway.d;
import static io.positionsync.ibkr.SimulatedGateway.execution;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fault;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.Side;

/**
 * How long a snapshot waits for trailing commission reports ({@code psync.ibkr.commission-wait-ms}) is its own,
 * short setting: a report the gateway holds back for a later snapshot costs the run that wait, not the whole
 * request timeout, and leaves the commission pending ({@code null}, never zero).
 */
class CommissionWaitTest {
    /** Far longer than any of these snapshots may take: reaching it would be the stall this setting prevents. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STALL_BOUND = Duration.ofSeconds(20);

    private SimulatedGateway env;

    @AfterEach
    void close() {
        if (env != null) {
            env.close();
        }
    }

    private TwsBrokerGateway gateway(Duration commissionWait) {
        return new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", env.sim.port(), SimulatedGateway.CLIENT_ID,
                CONNECT_TIMEOUT, REQUEST_TIMEOUT, BACKOFF_INITIAL, BACKOFF_MAX, commissionWait));
    }

    @Test
    void aWithheldReportCostsTheCommissionWaitNotTheRequestTimeoutAndComesWithALaterSnapshot() throws Exception {
        env = SimulatedGateway.demo();
        Execution late = env.state.trade(Fill.of(ACC1, AAPL, Side.SLD, d("40"), d("190.00"), d("1.00"))
                .withCommissionWithheld());
        try (TwsBrokerGateway gateway = gateway(Duration.ofMillis(300))) {
            long started = System.nanoTime();
            BrokerSnapshot pending = assertComplete(gateway.snapshot());
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(took).as("the snapshot waited the commission wait, not the request timeout")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(STALL_BOUND);
            BrokerExecution withoutReport = execution(pending, late.execId()).orElseThrow();
            assertThat(withoutReport.commission()).as("pending, never zero").isNull();
            assertThat(withoutReport.commissionCurrency()).isNull();
            assertThat(pending.executions()).filteredOn(e -> !e.execId().equals(late.execId()))
                    .isNotEmpty().allSatisfy(e -> assertThat(e.commission()).isNotNull());

            env.state.releaseCommission(late.execId());
            BrokerSnapshot released = assertComplete(gateway.snapshot());
            assertThat(execution(released, late.execId()).orElseThrow().commission()).isEqualByComparingTo("1.00");
        }
    }

    @Test
    void reportsTrailingExecDetailsEndWithinTheWaitAreJoined() throws Exception {
        env = SimulatedGateway.demo();
        Fault trailing = env.sim.faults().lateCommissionReports(Duration.ofMillis(300));
        try (TwsBrokerGateway gateway = gateway(Duration.ofSeconds(10))) {
            BrokerSnapshot snapshot = assertComplete(gateway.snapshot());

            assertThat(trailing.triggerCount()).isEqualTo(1);
            assertThat(snapshot.executions()).hasSize(6)
                    .allSatisfy(e -> assertThat(e.commission()).as("commission of %s", e.execId()).isNotNull());
        }
    }

    @Test
    void reportsTrailingLongerThanTheWaitAreLeftPendingAtOnce() throws Exception {
        env = SimulatedGateway.demo();
        Fault trailing = env.sim.faults().lateCommissionReports(Duration.ofSeconds(30));
        try (TwsBrokerGateway gateway = gateway(Duration.ZERO)) {
            long started = System.nanoTime();
            BrokerSnapshot snapshot = assertComplete(gateway.snapshot());

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(STALL_BOUND);
            assertThat(trailing.triggerCount()).isEqualTo(1);
            assertThat(snapshot.executions()).hasSize(6).allSatisfy(e -> assertThat(e.commission()).isNull());
        }
    }

    @Test
    void aNegativeWaitIsRefused() {
        assertThatThrownBy(() -> new TwsGatewayConfig("127.0.0.1", 4002, 1, CONNECT_TIMEOUT, REQUEST_TIMEOUT,
                BACKOFF_INITIAL, BACKOFF_MAX, Duration.ofMillis(-1))).hasMessage("commissionWait must not be negative");
    }
}
