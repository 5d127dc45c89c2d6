package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;

import io.positionsync.store.GatewayStatusRepository;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.store.SyncTotals;

/**
 * {@code GET /api/scheduler/status}: the sync timer (period, next fire, running), the run statistics, and every gateway
 * the database knows with its owner and its runs.
 */
public final class SchedulerApi {
    private final CamelContext context;
    private final SyncTimerWatch timer;
    private final SyncStatistics statistics;
    private final SyncRunRepository runs;
    private final GatewayStatusRepository gateways;
    private final ApiSettings settings;
    private final Clock clock;

    public SchedulerApi(CamelContext context, SyncTimerWatch timer, SyncStatistics statistics, SyncRunRepository runs,
            GatewayStatusRepository gateways, ApiSettings settings, Clock clock) {
        this.context = Objects.requireNonNull(context, "context");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.statistics = Objects.requireNonNull(statistics, "statistics");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.gateways = Objects.requireNonNull(gateways, "gateways");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public SchedulerView status() throws SQLException {
        Instant now = clock.instant();
        ServiceStatus routeStatus = context.getRouteController().getRouteStatus(timer.routeId());
        boolean running = routeStatus != null && routeStatus.isStarted();
        Instant lastFired = timer.lastFiredAt();

        SyncStatistics.Snapshot process = statistics.snapshot();
        SyncTotals stored = runs.totals();
        List<GatewayView> gatewayViews = gateways.gatewaysWithRunCounts().stream().map(GatewayView::of).toList();
        return new SchedulerView(timer.routeId(), routeStatus == null ? "Absent" : routeStatus.name(), running,
                settings.timerPeriod().toMillis(), settings.timerDelay().toMillis(), lastFired,
                running ? nextFire(lastFired, now) : null,
                new StoredStatistics(stored.runs(), stored.succeeded(), stored.failed() + stored.skipped(), stored.failed(),
                        stored.skipped(), stored.averageDurationMs(), stored.lastDurationMs(), process.consecutiveFailures()),
                new ProcessStatistics(process.runs(), process.succeeded(), process.failures(), process.failed(),
                        process.skipped(), process.averageDurationMs(), process.lastDurationMs()),
                "a failure is a run that did not succeed: FAILED or SKIPPED_INCOMPLETE", gatewayViews);
    }

    /** The answer of {@code GET /api/scheduler/status}. */
    public record SchedulerView(String routeId, String routeStatus, boolean running, long periodMs, long initialDelayMs,
            Instant lastFiredAt, Instant nextFireAt, StoredStatistics statistics, ProcessStatistics statisticsSinceStart,
            String failureDefinition, List<GatewayView> gateways) {
    }

    /**
     * A gateway's stored runs, on whichever instance ran them: its owner ({@code null}: none recorded), whether its
     * owner's live connection is up, its runs by outcome (as {@link StoredStatistics}), the failure streak of its runs
     * of every account, and its last run (with the {@code instance} that ran it).
     */
    public record GatewayView(String name, String owner, boolean live, Instant liveSince, long runs, long succeeded,
            long failures, long failed, long skipped, long consecutiveFailures, Map<String, Object> lastRun) {
        static GatewayView of(GatewayStatusRepository.GatewayStatus gateway) {
            GatewayStatusRepository.RunCounts counts = gateway.counts();
            return new GatewayView(gateway.name(), gateway.owner(), gateway.liveSince() != null, gateway.liveSince(),
                    counts.runs(), counts.succeeded(), counts.failed() + counts.skipped(), counts.failed(),
                    counts.skipped(), gateway.consecutiveFailures(),
                    gateway.lastRun() == null ? null : JsonViews.run(gateway.lastRun(), gateway.lastRunInstance()));
        }
    }

    /** Every stored run, and the failure streak. */
    public record StoredStatistics(long runs, long succeeded, long failures, long failed, long skipped,
            Long averageDurationMs, Long lastDurationMs, long consecutiveFailures) {
    }

    /** The runs of this process since it started. */
    public record ProcessStatistics(long runs, long succeeded, long failures, long failed, long skipped,
            Long averageDurationMs, Long lastDurationMs) {
    }

    /**
     * The timer fires {@code period} after its previous fire (fixed delay, measured from the fire), and never
     * while its run is still going: a fire that is due already happens as soon as that run ends, i.e. now.
     */
    private Instant nextFire(Instant lastFired, Instant now) {
        Instant due;
        if (lastFired != null) {
            due = lastFired.plus(settings.timerPeriod());
        } else {
            Route route = context.getRoute(timer.routeId());
            Instant startedAt = route == null ? now : now.minus(Duration.ofMillis(route.getUptimeMillis()));
            due = startedAt.plus(settings.timerDelay());
        }
        return due.isBefore(now) ? now : due;
    }
}
