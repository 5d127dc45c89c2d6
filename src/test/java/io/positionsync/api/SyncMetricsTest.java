package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

class SyncMetricsTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    static TestDatabase db;

    @BeforeAll
    static void database() {
        db = TestDatabase.create();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void metersFollowRunsGatewayAndFlight() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TestClock clock = new TestClock(T0);
        SyncStatistics statistics = new SyncStatistics(clock);
        AtomicReference<ConnectionStatus> gateway = new AtomicReference<>(
                new ConnectionStatus(ConnectionState.DOWN, T0, "not connected yet", null));
        AtomicBoolean inFlight = new AtomicBoolean();
        PositionRepository positions = new PositionRepository(db.dataSource(), new ExecutionRepository(db.dataSource(), 10), 10);
        SyncMetrics metrics = new SyncMetrics(registry, statistics, positions, gateway::get, inFlight::get);
        statistics.addListener(metrics::recordRun);

        assertThat(registry.get("psync.sync.last.success.age").gauge().value()).isNaN();
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "DOWN")).isEqualTo(1.0);
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "UP")).isZero();
        assertThat(registry.get("psync.sync.runs").tag("status", "FAILED").counter().count()).isZero();

        statistics.accept(new SyncRunSummary(1, SyncTrigger.TIMER, SyncRunStatus.FAILED, 0, 0, 0, 0, T0, T0.plusMillis(40), "x"));
        statistics.accept(new SyncRunSummary(2, SyncTrigger.TIMER, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, T0.plusSeconds(1),
                T0.plusSeconds(2), null));
        gateway.set(new ConnectionStatus(ConnectionState.UP, T0.plusSeconds(1), "connected", null));
        inFlight.set(true);
        clock.advance(java.time.Duration.ofSeconds(12));

        assertThat(registry.get("psync.sync.runs").tag("status", "FAILED").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("psync.sync.runs").tag("status", "SUCCEEDED").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("psync.sync.run.duration").timer().count()).isEqualTo(2);
        assertThat(registry.get("psync.sync.last.success.age").gauge().value()).isEqualTo(10.0);
        assertThat(registry.get("psync.sync.consecutive.failures").gauge().value()).isZero();
        assertThat(registry.get("psync.sync.in.flight").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("psync.positions.open").gauge().value()).isZero();
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "UP")).isEqualTo(1.0);
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "DOWN")).isZero();
    }

    private static double gaugeOf(SimpleMeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag(tag, value).gauge().value();
    }
}
