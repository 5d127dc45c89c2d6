package io.positionsync.api;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.store.PositionQuery;
import io.positionsync.store.PositionRepository;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;

/**
 * The service's own meters, in the registry Camel scrapes at {@code /observe/metrics} (Prometheus names):
 * {@code psync_sync_runs_total{status}}, {@code psync_sync_run_duration_seconds} (histogram),
 * {@code psync_positions_open}, {@code psync_sync_last_success_age_seconds} (NaN before the first success),
 * {@code psync_sync_consecutive_failures}, {@code psync_sync_in_flight} and {@code psync_gateway_state{state}}
 * (1 for the current state, 0 for the others). Feed it every finished run ({@link #recordRun}, e.g. as a
 * {@link SyncStatistics} listener). Gauges read memory only, so a scrape never touches the
 * database; the open-position count is refreshed after every run. Gauges hold their sources strongly (Micrometer
 * holds them weakly by default, and a method reference would be collected at once, leaving NaN).
 */
public final class SyncMetrics {
    /** Histogram buckets of the run duration: a run takes milliseconds to minutes. */
    static final Duration[] DURATION_BUCKETS = {
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300)};

    private static final Logger LOG = LoggerFactory.getLogger(SyncMetrics.class);

    private final MeterRegistry registry;
    private final PositionRepository positions;
    private final AtomicLong openPositions = new AtomicLong();
    private final Timer duration;

    public SyncMetrics(MeterRegistry registry, SyncStatistics statistics, PositionRepository positions,
            Supplier<ConnectionStatus> gateway, BooleanSupplier inFlight) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.positions = Objects.requireNonNull(positions, "positions");
        for (SyncRunStatus status : SyncRunStatus.values()) {
            if (status.finished()) {
                runs(status); // every series exists from the start, at 0
            }
        }
        duration = Timer.builder("psync.sync.run.duration")
                .description("Duration of finished sync runs")
                .serviceLevelObjectives(DURATION_BUCKETS)
                .register(registry);
        Gauge.builder("psync.positions.open", openPositions, AtomicLong::get)
                .description("Open position lifecycles stored, after the last run")
                .strongReference(true)
                .register(registry);
        Gauge.builder("psync.sync.last.success.age", statistics,
                s -> {
                    OptionalLong age = s.lastSuccessAgeSeconds();
                    return age.isPresent() ? age.getAsLong() : Double.NaN;
                })
                .baseUnit("seconds")
                .description("Seconds since the last successful sync run finished")
                .strongReference(true)
                .register(registry);
        Gauge.builder("psync.sync.consecutive.failures", statistics, s -> s.snapshot().consecutiveFailures())
                .description("Runs that did not succeed since the last one that did")
                .strongReference(true)
                .register(registry);
        Gauge.builder("psync.sync.in.flight", inFlight, f -> f.getAsBoolean() ? 1 : 0)
                .description("1 while a sync run executes")
                .strongReference(true)
                .register(registry);
        for (ConnectionState state : ConnectionState.values()) {
            Gauge.builder("psync.gateway.state", gateway, g -> g.get().state() == state ? 1 : 0)
                    .tag("state", state.name())
                    .description("Gateway connection state: 1 for the current one")
                    .strongReference(true)
                .register(registry);
        }
    }

    /** Counts the run, times it and refreshes the open-position count. */
    public void recordRun(SyncRunSummary run) {
        runs(run.status()).increment();
        if (run.startedAt() != null && run.finishedAt() != null) {
            duration.record(Duration.between(run.startedAt(), run.finishedAt()));
        }
        refreshOpenPositions();
    }

    /** Reads the open-position count; keeps the last value if the database cannot answer. */
    public void refreshOpenPositions() {
        try {
            openPositions.set(positions.count(PositionQuery.open(1)));
        } catch (SQLException | RuntimeException e) {
            LOG.debug("open positions not counted: {}", e.toString());
        }
    }

    private Counter runs(SyncRunStatus status) {
        return Counter.builder("psync.sync.runs")
                .tag("status", status.name())
                .description("Finished sync runs by status")
                .register(registry);
    }
}
