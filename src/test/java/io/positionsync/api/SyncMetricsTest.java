package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.ibkr.MessagePacer;
import io.positionsync.ibkr.PacingStatistics;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

class SyncMetricsTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    @Test
    void metersFollowRunsGatewayAndFlight() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TestClock clock = new TestClock(T0);
        SyncStatistics statistics = new SyncStatistics(clock);
        AtomicReference<ConnectionStatus> gateway = new AtomicReference<>(
                new ConnectionStatus(ConnectionState.DOWN, T0, "not connected yet", null));
        AtomicBoolean inFlight = new AtomicBoolean();
        SyncMetrics metrics = new SyncMetrics(registry, statistics, gateway::get, inFlight::get, Duration.ofSeconds(90));
        statistics.addListener(metrics::recordRun);

        assertThat(registry.get("psync.sync.last.success.age").gauge().value()).isNaN();
        assertThat(registry.get("psync.sync.period").gauge().value()).isEqualTo(90.0);
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "DOWN")).isEqualTo(1.0);
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "UP")).isZero();
        assertThat(registry.get("psync.sync.runs").counters()).as("4 triggers (EVENT among them) x 3 finished statuses, all at 0").hasSize(12)
                .allSatisfy(c -> assertThat(c.count()).isZero());

        statistics.accept(new SyncRunSummary(1, SyncTrigger.STARTUP, SyncRunStatus.FAILED, 0, 0, 0, 0, T0, T0.plusMillis(40), "x"));
        statistics.accept(new SyncRunSummary(2, SyncTrigger.TIMER, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, T0.plusSeconds(1),
                T0.plusSeconds(2), null));
        gateway.set(new ConnectionStatus(ConnectionState.UP, T0.plusSeconds(1), "connected", null));
        inFlight.set(true);
        clock.advance(Duration.ofSeconds(12));

        assertThat(runs(registry, "STARTUP", "FAILED")).isEqualTo(1.0);
        assertThat(runs(registry, "TIMER", "SUCCEEDED")).isEqualTo(1.0);
        assertThat(runs(registry, "TIMER", "FAILED")).isZero();
        assertThat(runs(registry, "STARTUP", "SUCCEEDED")).isZero();
        assertThat(registry.get("psync.sync.run.duration").timer().count()).isEqualTo(2);
        assertThat(registry.get("psync.sync.last.success.age").gauge().value()).isEqualTo(10.0);
        assertThat(registry.get("psync.sync.consecutive.failures").gauge().value()).isZero();
        assertThat(registry.get("psync.sync.in.flight").gauge().value()).isEqualTo(1.0);
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "UP")).isEqualTo(1.0);
        assertThat(gaugeOf(registry, "psync.gateway.state", "state", "DOWN")).isZero();
    }

    @Test
    void fillsAreCountedAndTheLastRunKept() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SyncMetrics metrics = metrics(registry, new SyncStatistics(new TestClock(T0)));

        metrics.recordFills(4, 1, 2);
        metrics.recordFills(0, 0, 3);

        assertThat(registry.get("psync.fills").tag("outcome", "applied").counter().count()).isEqualTo(4.0);
        assertThat(registry.get("psync.fills").tag("outcome", "deferred").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("psync.fills").tag("outcome", "estimated").counter().count()).isEqualTo(5.0);
        assertThat(gaugeOf(registry, "psync.sync.last.run.fills", "outcome", "applied")).isZero();
        assertThat(gaugeOf(registry, "psync.sync.last.run.fills", "outcome", "estimated")).isEqualTo(3.0);
        assertThatThrownBy(() -> metrics.recordFills(1, -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(registry.get("psync.fills").tag("outcome", "applied").counter().count())
                .as("a refused call counts nothing").isEqualTo(4.0);
    }

    @Test
    void executionsMissingFollowsTheStatisticsFills() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SyncStatistics statistics = new SyncStatistics(new TestClock(T0), 2, 17);
        SyncMetrics metrics = metrics(registry, statistics);
        statistics.addFillsListener(metrics::recordFills);

        statistics.recordFills(0, 0, 1);
        assertThat(registry.get("psync.executions.missing").gauge().value()).isZero();
        assertThat(registry.get("psync.executions.missing.runs").gauge().value()).isEqualTo(1.0);
        statistics.recordFills(0, 0, 2);
        assertThat(registry.get("psync.executions.missing").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("psync.fills").tag("outcome", "estimated").counter().count())
                .as("the fills listener heard both runs").isEqualTo(3.0);
        statistics.recordFills(1, 0, 0);
        assertThat(registry.get("psync.executions.missing").gauge().value()).isZero();
        assertThat(registry.get("psync.executions.missing.runs").gauge().value()).isZero();
    }

    @Test
    void prometheusNamesFollowTheConventions() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SyncMetrics metrics = metrics(registry, new SyncStatistics(new TestClock(T0)));
        metrics.recordFills(1, 0, 0);

        String scrape = registry.scrape();

        assertThat(scrape).contains("psync_sync_runs_total{status=\"SUCCEEDED\",trigger=\"TIMER\"} 0.0",
                "psync_fills_total{outcome=\"applied\"} 1.0", "psync_sync_last_run_fills{outcome=\"applied\"} 1.0",
                "psync_sync_period_seconds 60.0", "psync_sync_last_success_age_seconds NaN",
                "psync_executions_missing 0.0", "psync_executions_missing_runs 0.0",
                "psync_sync_run_duration_seconds_bucket{le=\"0.05\"} 0", "psync_gateway_state{state=\"UP\"} 0.0");
    }

    private static SyncMetrics metrics(io.micrometer.core.instrument.MeterRegistry registry, SyncStatistics statistics) {
        return new SyncMetrics(registry, statistics,
                () -> new ConnectionStatus(ConnectionState.DOWN, T0, "not connected yet", null), () -> false,
                Duration.ofSeconds(60));
    }

    private static double runs(SimpleMeterRegistry registry, String trigger, String status) {
        return registry.get("psync.sync.runs").tag("trigger", trigger).tag("status", status).counter().count();
    }

    private static double gaugeOf(SimpleMeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag(tag, value).gauge().value();
    }

    @Test
    void pacingWaitsAreCountedFromTheGatewaysStatistics() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SyncMetrics metrics = new SyncMetrics(registry, new SyncStatistics(new TestClock(T0)),
                () -> new ConnectionStatus(ConnectionState.UP, T0, "connected", null), () -> false, Duration.ofSeconds(60));
        PacingStatistics pacing = new PacingStatistics();
        metrics.bindPacing(pacing);
        long[] now = {0};
        MessagePacer pacer = new MessagePacer(2, () -> now[0], nanos -> now[0] += nanos, pacing);
        pacer.acquire(2, Long.MAX_VALUE / 2);
        now[0] += 250_000_000L;
        pacer.acquire(1, Long.MAX_VALUE / 2);

        assertThat(registry.get("psync.gateway.pacing.waits").functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.scrape()).contains("psync_gateway_pacing_waits_total 1.0",
                "psync_gateway_pacing_wait_seconds_total 0.75");
        assertThatThrownBy(() -> metrics.bindPacing(pacing)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void liveEventsAndFillToCommitLatencyAreExposed() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SyncMetrics metrics = new SyncMetrics(registry, new SyncStatistics(new TestClock(T0)),
                () -> new ConnectionStatus(ConnectionState.UP, T0, "connected", null), () -> false, Duration.ofSeconds(60));
        try (io.positionsync.run.SyncCoordinator coordinator = new io.positionsync.run.SyncCoordinator((t, r) -> {
            throw new IllegalStateException("no run here");
        }); io.positionsync.run.LiveRuns live = new io.positionsync.run.LiveRuns(coordinator, Duration.ofHours(1),
                Duration.ofHours(1))) {
            metrics.bindLive(live);
            Instant heard = Instant.now().minusMillis(1200);
            live.accept(new io.positionsync.ibkr.BrokerEvent.Fill("DU1", "e.1", heard.minusSeconds(1), heard));
            live.accept(new io.positionsync.ibkr.BrokerEvent.PositionChanged("DU1", 1, java.math.BigDecimal.ONE, heard));
            assertThat(registry.scrape()).contains("psync_live 0.0");
            live.accept(new io.positionsync.ibkr.BrokerEvent.LiveStarted("connected", heard));

            live.runFinished(new SyncRunSummary(3, SyncTrigger.EVENT, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0,
                    heard.plusMillis(1), heard.plusMillis(2), null, null, java.util.List.of("DU1")));

            String scrape = registry.scrape();
            assertThat(scrape).contains("psync_live_events_total{kind=\"fill\"} 1.0",
                    "psync_live_events_total{kind=\"position\"} 1.0",
                    "psync_live_events_total{kind=\"live_started\"} 1.0", "psync_live 1.0",
                    "psync_live_fill_to_commit_seconds_count 1",
                    "psync_live_fill_to_commit_seconds_bucket{le=\"1.0\"} 0",
                    "psync_live_fill_to_commit_seconds_bucket{le=\"2.0\"} 1",
                    "psync_live_execution_to_commit_seconds_bucket{le=\"2.0\"} 0",
                    "psync_live_execution_to_commit_seconds_bucket{le=\"3.0\"} 1");
            assertThatThrownBy(() -> metrics.bindLive(live)).isInstanceOf(IllegalStateException.class);
        }
    }
}
