package io.positionsync.api;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.ibkr.PacingStatistics;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * The service's own in-memory meters, in the registry Camel scrapes at {@code /observe/metrics} (Prometheus
 * names):
 * <ul>
 * <li>{@code psync_sync_runs_total{trigger,status}} finished runs, every combination present from the start;
 * {@code psync_sync_run_duration_seconds} (histogram);</li>
 * <li>{@code psync_sync_last_success_age_seconds} (NaN before the first success),
 * {@code psync_sync_period_seconds} (the timer period, so alerts can speak in periods),
 * {@code psync_sync_consecutive_failures}, {@code psync_sync_in_flight};</li>
 * <li>{@code psync_gateway_state{state}} 1 for the current state, 0 for the others;
 * {@code psync_gateway_pacing_waits_total} and {@code psync_gateway_pacing_wait_seconds_total}: how often, and how
 * long in all, the client's sends waited for its pace ({@link #bindPacing});</li>
 * <li>{@code psync_fills_total{outcome}} and {@code psync_sync_last_run_fills{outcome}} with outcome
 * {@code applied}, {@code deferred} or {@code estimated};</li>
 * <li>{@code psync_executions_missing} (1 while the symptom is on) and
 * {@code psync_executions_missing_runs} (the current streak);</li>
 * <li>live mode ({@link #bindLive}): {@code psync_live_events_total{kind}} (fill, position, live_started,
 * live_lost), {@code psync_live_event_runs_total} (runs asked for: a burst counts once), {@code psync_live}
 * (1 while the live subscriptions are in place), and the histograms {@code psync_live_fill_to_commit_seconds}
 * (a fill heard to the commit of the run that holds it) and {@code psync_live_execution_to_commit_seconds} (the
 * execution's own time to that commit).</li>
 * </ul>
 * Feed it every finished run ({@link #recordRun}) and every successful run's fills ({@link #recordFills}), e.g.
 * as {@link SyncStatistics} listeners. Gauges read memory only; the database-backed figures are
 * {@link DatabaseMetrics}. Gauges hold their sources strongly (Micrometer holds them weakly by default, and a
 * method reference would be collected at once, leaving NaN).
 */
public final class SyncMetrics {
    /** Histogram buckets of the run duration: a run takes milliseconds to minutes. */
    static final Duration[] DURATION_BUCKETS = {
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300)};

    /** What became of a fill in a run: the {@code outcome} label. */
    public enum FillOutcome {
        /** Explained by a real execution. */
        APPLIED,
        /** An execution kept for a later run. */
        DEFERRED,
        /** A position change no execution explains, priced at the market. */
        ESTIMATED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final Timer duration;
    private final Map<FillOutcome, Counter> fills = new EnumMap<>(FillOutcome.class);
    private final Map<FillOutcome, AtomicInteger> lastRunFills = new EnumMap<>(FillOutcome.class);
    /** Held here: function counters hold their source weakly. */
    private PacingStatistics pacing;

    /**
     * @param period the sync timer's period
     */
    public SyncMetrics(MeterRegistry registry, SyncStatistics statistics, Supplier<ConnectionStatus> gateway,
            BooleanSupplier inFlight, Duration period) {
        this.registry = Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(statistics, "statistics");
        Objects.requireNonNull(period, "period");
        for (SyncTrigger trigger : SyncTrigger.values()) {
            for (SyncRunStatus status : SyncRunStatus.values()) {
                if (status.finished()) {
                    runs(trigger, status); // every series exists from the start, at 0
                }
            }
        }
        duration = Timer.builder("psync.sync.run.duration")
                .description("Duration of finished sync runs")
                .serviceLevelObjectives(DURATION_BUCKETS)
                .register(registry);
        Gauge.builder("psync.sync.last.success.age", statistics,
                s -> {
                    OptionalLong age = s.lastSuccessAgeSeconds();
                    return age.isPresent() ? age.getAsLong() : Double.NaN;
                })
                .baseUnit("seconds")
                .description("Seconds since the last successful sync run finished (NaN before the first one)")
                .strongReference(true)
                .register(registry);
        Gauge.builder("psync.sync.period", period, p -> p.toMillis() / 1000.0)
                .baseUnit("seconds")
                .description("Period of the sync timer")
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
        for (FillOutcome outcome : FillOutcome.values()) {
            fills.put(outcome, Counter.builder("psync.fills")
                    .tag("outcome", outcome.label())
                    .description("Fills of successful runs: applied (real execution), deferred, estimated (market price)")
                    .register(registry));
            AtomicInteger last = new AtomicInteger();
            lastRunFills.put(outcome, last);
            Gauge.builder("psync.sync.last.run.fills", last, AtomicInteger::get)
                    .tag("outcome", outcome.label())
                    .description("Fills of the last successful run by outcome")
                    .strongReference(true)
                    .register(registry);
        }
        Gauge.builder("psync.executions.missing", statistics, s -> s.executionsMissing().active() ? 1 : 0)
                .description("1 while runs keep estimating fills with no execution: the gateway reports other "
                        + "clients' executions only to the Master API client id")
                .strongReference(true)
                .register(registry);
        Gauge.builder("psync.executions.missing.runs", statistics, s -> s.executionsMissing().consecutiveRuns())
                .description("Successful runs in a row that estimated fills and applied none")
                .strongReference(true)
                .register(registry);
    }

    /** Counts the gateway client's pacing waits ({@code psync_gateway_pacing_*}). Once. */
    /** Histogram buckets of live latencies: a fill reaches its commit in a fraction of a second to a few seconds. */
    static final Duration[] LIVE_BUCKETS = {
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(750),
        Duration.ofSeconds(1), Duration.ofMillis(1500), Duration.ofSeconds(2), Duration.ofSeconds(3),
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

    /** Held here: function counters and gauges hold their source weakly. */
    private io.positionsync.run.LiveRuns live;

    /** The live mode's meters (see the class comment). */
    public void bindLive(io.positionsync.run.LiveRuns liveRuns) {
        if (live != null) {
            throw new IllegalStateException("live mode already bound");
        }
        live = Objects.requireNonNull(liveRuns, "liveRuns");
        for (io.positionsync.run.LiveRuns.EventKind kind : io.positionsync.run.LiveRuns.EventKind.values()) {
            FunctionCounter.builder("psync.live.events", liveRuns, l -> l.events(kind))
                    .tag("kind", kind.label())
                    .description("Events the live connection heard, by kind")
                    .register(registry);
        }
        FunctionCounter.builder("psync.live.event.runs", liveRuns, io.positionsync.run.LiveRuns::eventRunsRequested)
                .description("Runs asked for by live events (a burst of events counts once)")
                .register(registry);
        Gauge.builder("psync.live", liveRuns, l -> l.liveSince().isPresent() ? 1 : 0)
                .description("1 while the live subscriptions are in place")
                .register(registry);
        Timer fillToCommit = Timer.builder("psync.live.fill.to.commit")
                .description("From a fill heard on the live connection to the commit of the run that holds it")
                .serviceLevelObjectives(LIVE_BUCKETS)
                .register(registry);
        Timer executionToCommit = Timer.builder("psync.live.execution.to.commit")
                .description("From a fill's execution time (the gateway's clock) to the commit of the run that holds it")
                .serviceLevelObjectives(LIVE_BUCKETS)
                .register(registry);
        liveRuns.addObserver((heard, executed) -> {
            fillToCommit.record(heard);
            if (executed != null && !executed.isNegative()) {
                executionToCommit.record(executed);
            }
        });
    }

    /**
     * One gateway's meters, tagged with its name: {@code psync_gateway_owned} (1 while this instance owns it),
     * {@code psync_gateway_live} (1 while its live subscriptions are in place) and
     * {@code psync_gateway_runs_total{gateway,status}} (runs of it this instance ran, see {@link #recordGatewayRun}).
     */
    public void bindGateway(String gateway, java.util.function.BooleanSupplier owned,
            java.util.function.Supplier<java.util.Optional<java.time.Instant>> liveSince) {
        Gauge.builder("psync.gateway.owned", owned, o -> o.getAsBoolean() ? 1 : 0).tag("gateway", gateway)
                .description("1 while this instance owns the gateway (always, without a cluster service)")
                .register(registry);
        Gauge.builder("psync.gateway.live", liveSince, l -> l.get().isPresent() ? 1 : 0).tag("gateway", gateway)
                .description("1 while the gateway's live subscriptions are in place on this instance")
                .register(registry);
    }

    /** Counts a run of {@code gateway} by its outcome. */
    public void recordGatewayRun(String gateway, SyncRunSummary run) {
        if (run.runId() == 0 && run.status() == SyncRunStatus.FAILED && run.error() != null
                && run.error().contains("FencedException")) {
            return; // not a run: this instance did not own the gateway
        }
        registry.counter("psync.gateway.runs", "gateway", gateway, "status", run.status().name()).increment();
    }

    public void bindPacing(PacingStatistics statistics) {
        if (pacing != null) {
            throw new IllegalStateException("pacing already bound");
        }
        pacing = Objects.requireNonNull(statistics, "statistics");
        FunctionCounter.builder("psync.gateway.pacing.waits", statistics, PacingStatistics::waits)
                .description("Sends to the gateway that waited for the pace of psync.ibkr.max-messages-per-second")
                .register(registry);
        FunctionCounter.builder("psync.gateway.pacing.wait", statistics, s -> s.totalWait().toNanos() / 1e9)
                .baseUnit("seconds")
                .description("Time sends to the gateway waited for the pace, in all")
                .register(registry);
    }

    /** Counts and times a finished run. */
    public void recordRun(SyncRunSummary run) {
        runs(run.trigger(), run.status()).increment();
        if (run.startedAt() != null && run.finishedAt() != null) {
            duration.record(Duration.between(run.startedAt(), run.finishedAt()));
        }
    }

    /** Counts the fills of one successful run and keeps them as the last run's. */
    public void recordFills(int applied, int deferred, int estimated) {
        if (applied < 0 || deferred < 0 || estimated < 0) {
            throw new IllegalArgumentException("fill counts cannot be negative: " + applied + "/" + deferred + "/" + estimated);
        }
        record(FillOutcome.APPLIED, applied);
        record(FillOutcome.DEFERRED, deferred);
        record(FillOutcome.ESTIMATED, estimated);
    }

    private void record(FillOutcome outcome, int count) {
        fills.get(outcome).increment(count);
        lastRunFills.get(outcome).set(count);
    }

    private Counter runs(SyncTrigger trigger, SyncRunStatus status) {
        return Counter.builder("psync.sync.runs")
                .tag("trigger", trigger.name())
                .tag("status", status.name())
                .description("Finished sync runs by trigger and status")
                .register(registry);
    }
}
