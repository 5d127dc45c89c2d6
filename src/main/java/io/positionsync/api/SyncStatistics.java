package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.store.SyncRun;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;

/**
 * Figures over the runs this process finished, fed by the sync route's {@code onFinished} hook, plus what
 * survives a restart (the last success, the current streak of failures) seeded from {@code sync_runs} at
 * start-up. A "failure" is any run that did not succeed: FAILED, or SKIPPED_INCOMPLETE (nothing synced).
 * Listeners (the metrics) hear of every finished run after the figures are updated.
 */
public final class SyncStatistics implements Consumer<SyncRunSummary> {
    /** Stored runs read at start-up to find the current failure streak. */
    public static final int SEED_LOOKBACK = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(SyncStatistics.class);

    private final Clock clock;
    private final List<Consumer<SyncRunSummary>> listeners = new CopyOnWriteArrayList<>();

    private long runs;
    private long succeeded;
    private long failed;
    private long skipped;
    private long totalDurationMs;
    private Long lastDurationMs;
    private Instant lastSuccessAt;
    private long consecutiveFailures;

    public SyncStatistics(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** What this process finished, and the state carried over from earlier processes. */
    public record Snapshot(long runs, long succeeded, long failed, long skipped, Long averageDurationMs,
            Long lastDurationMs, Instant lastSuccessAt, long consecutiveFailures) {

        public long failures() {
            return failed + skipped;
        }
    }

    /**
     * Seeds the last success and the failure streak from the stored runs: the newest {@code lookback} runs
     * are read; a streak longer than that is reported as {@code lookback}.
     */
    public void seed(SyncRunRepository repository, int lookback) throws SQLException {
        Instant success = repository.lastSuccessful().map(SyncRun::finishedAt).orElse(null);
        long streak = 0;
        for (SyncRun run : repository.recent(lookback)) {
            if (run.status() == SyncRunStatus.SUCCEEDED) {
                break;
            }
            if (run.status().finished()) {
                streak++;
            }
        }
        synchronized (this) {
            lastSuccessAt = success;
            consecutiveFailures = streak;
        }
        LOG.debug("run statistics seeded: last success {}, {} failure(s) since", success, streak);
    }

    public void addListener(Consumer<SyncRunSummary> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void accept(SyncRunSummary run) {
        synchronized (this) {
            runs++;
            long millis = run.startedAt() == null || run.finishedAt() == null ? 0
                    : Math.max(0, Duration.between(run.startedAt(), run.finishedAt()).toMillis());
            totalDurationMs += millis;
            lastDurationMs = millis;
            switch (run.status()) {
                case SUCCEEDED -> {
                    succeeded++;
                    consecutiveFailures = 0;
                    lastSuccessAt = run.finishedAt();
                }
                case FAILED -> {
                    failed++;
                    consecutiveFailures++;
                }
                case SKIPPED_INCOMPLETE -> {
                    skipped++;
                    consecutiveFailures++;
                }
                case RUNNING -> throw new IllegalArgumentException("run " + run.runId() + " has not finished");
            }
        }
        for (Consumer<SyncRunSummary> listener : listeners) {
            try {
                listener.accept(run);
            } catch (RuntimeException e) {
                LOG.warn("run statistics listener failed for run {}: {}", run.runId(), e.toString());
            }
        }
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(runs, succeeded, failed, skipped, runs == 0 ? null : Math.round((double) totalDurationMs / runs),
                lastDurationMs, lastSuccessAt, consecutiveFailures);
    }

    /** Seconds since the last successful run finished, or empty if none ever did. */
    public synchronized OptionalLong lastSuccessAgeSeconds() {
        return lastSuccessAt == null ? OptionalLong.empty()
                : OptionalLong.of(Math.max(0, Duration.between(lastSuccessAt, clock.instant()).toSeconds()));
    }
}
