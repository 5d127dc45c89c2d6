package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;

import io.positionsync.store.SyncRunRepository;
import io.positionsync.store.SyncTotals;

/** {@code GET /api/scheduler/status}: the sync timer (period, next fire, running) and the run statistics. */
public final class SchedulerApi {
    private final CamelContext context;
    private final SyncTimerWatch timer;
    private final SyncStatistics statistics;
    private final SyncRunRepository runs;
    private final ApiSettings settings;
    private final Clock clock;

    public SchedulerApi(CamelContext context, SyncTimerWatch timer, SyncStatistics statistics, SyncRunRepository runs,
            ApiSettings settings, Clock clock) {
        this.context = Objects.requireNonNull(context, "context");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.statistics = Objects.requireNonNull(statistics, "statistics");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Map<String, Object> status() throws SQLException {
        Instant now = clock.instant();
        ServiceStatus routeStatus = context.getRouteController().getRouteStatus(timer.routeId());
        boolean running = routeStatus != null && routeStatus.isStarted();
        Instant lastFired = timer.lastFiredAt();

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("routeId", timer.routeId());
        json.put("routeStatus", routeStatus == null ? "Absent" : routeStatus.name());
        json.put("running", running);
        json.put("periodMs", settings.timerPeriod().toMillis());
        json.put("initialDelayMs", settings.timerDelay().toMillis());
        json.put("lastFiredAt", JsonViews.time(lastFired));
        json.put("nextFireAt", JsonViews.time(running ? nextFire(lastFired, now) : null));

        SyncStatistics.Snapshot process = statistics.snapshot();
        SyncTotals stored = runs.totals();
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("runs", stored.runs());
        all.put("succeeded", stored.succeeded());
        all.put("failures", stored.failed() + stored.skipped());
        all.put("failed", stored.failed());
        all.put("skipped", stored.skipped());
        all.put("averageDurationMs", stored.averageDurationMs());
        all.put("lastDurationMs", stored.lastDurationMs());
        all.put("consecutiveFailures", process.consecutiveFailures());
        json.put("statistics", all);

        Map<String, Object> sinceStart = new LinkedHashMap<>();
        sinceStart.put("runs", process.runs());
        sinceStart.put("succeeded", process.succeeded());
        sinceStart.put("failures", process.failures());
        sinceStart.put("failed", process.failed());
        sinceStart.put("skipped", process.skipped());
        sinceStart.put("averageDurationMs", process.averageDurationMs());
        sinceStart.put("lastDurationMs", process.lastDurationMs());
        json.put("statisticsSinceStart", sinceStart);
        json.put("failureDefinition", "a failure is a run that did not succeed: FAILED or SKIPPED_INCOMPLETE");
        return json;
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
