package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 *
 * <p>It also watches for the "executions missing" symptom from the fill counts of each successful run
 * ({@link #recordFills}): a gateway reports to {@code reqExecutions} only the executions of the requesting client
 * id unless that id is the Master API client ID set in TWS / IB Gateway, so the bot's own trades (placed under its
 * own client id) never arrive and every position change has to be estimated from market prices. The symptom is on
 * after {@code executionsMissingRuns} runs in a row that estimated fills and applied none; a run that applies a real
 * fill turns it off. A run with no fill at all (nothing traded) neither counts nor breaks the streak, since a bot
 * that trades now and then leaves quiet runs between its trades.
 */
public final class SyncStatistics implements Consumer<SyncRunSummary> {
    /** Stored runs read at start-up to find the current failure streak. */
    public static final int SEED_LOOKBACK = 1000;
    /** Runs in a row with estimated fills and no applied fill before "executions missing" is reported. */
    public static final int DEFAULT_EXECUTIONS_MISSING_RUNS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(SyncStatistics.class);

    private final Clock clock;
    private final List<Consumer<SyncRunSummary>> listeners = new CopyOnWriteArrayList<>();
    private final List<FillsListener> fillsListeners = new CopyOnWriteArrayList<>();
    private final int executionsMissingRuns;
    private final Integer clientId;

    private long runs;
    private long succeeded;
    private long failed;
    private long skipped;
    private long totalDurationMs;
    private Long lastDurationMs;
    private Instant lastSuccessAt;
    private long consecutiveFailures;
    private int estimatedOnlyRuns;
    private Instant estimatedOnlySince;

    /** Statistics with the default "executions missing" threshold and no client id to name in the hint. */
    public SyncStatistics(Clock clock) {
        this(clock, DEFAULT_EXECUTIONS_MISSING_RUNS, null);
    }

    /**
     * @param executionsMissingRuns runs in a row with estimated fills and no applied fill that turn the "executions
     *                              missing" symptom on (at least 1)
     * @param clientId              the API client id this service connects with, named in the symptom's hint (null
     *                              if unknown)
     */
    public SyncStatistics(Clock clock, int executionsMissingRuns, Integer clientId) {
        if (executionsMissingRuns < 1) {
            throw new IllegalArgumentException("executionsMissingRuns must be at least 1, was " + executionsMissingRuns);
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.executionsMissingRuns = executionsMissingRuns;
        this.clientId = clientId;
    }

    /** Hears the fill counts of every successful run, after the symptom was updated. */
    @FunctionalInterface
    public interface FillsListener {
        void recordFills(int applied, int deferred, int estimated);
    }

    /**
     * The "executions missing" symptom as the status shows it.
     *
     * @param active          on: {@code consecutiveRuns} reached the threshold
     * @param since           when the first run of the current streak finished (null without a streak)
     * @param consecutiveRuns successful runs in a row that estimated fills and applied none (quiet runs skipped)
     * @param threshold       runs in a row that turn the symptom on
     * @param hint            what to check, naming the client id to make the Master API client ID (null when off)
     */
    public record ExecutionsMissing(boolean active, Instant since, int consecutiveRuns, int threshold, String hint) {

        /** The {@code executionsMissing} object of {@code GET /api/sync/status}. */
        public Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("active", active);
            json.put("since", JsonViews.time(since));
            json.put("consecutiveRuns", consecutiveRuns);
            json.put("threshold", threshold);
            json.put("hint", hint);
            return json;
        }
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
            if (run.scoped()) {
                continue; // the streak is of runs of every account
            }
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

    public void addFillsListener(FillsListener listener) {
        fillsListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * The fills of one successful run, once it finished: {@code applied} explained by real executions,
     * {@code deferred} executions kept for a later run, {@code estimated} position changes no execution explains
     * (priced at the market, {@code realized_pnl_source = MARKET_PRICE}). Updates the "executions missing" symptom,
     * then tells the fills listeners (the metrics).
     */
    public void recordFills(int applied, int deferred, int estimated) {
        if (applied < 0 || deferred < 0 || estimated < 0) {
            throw new IllegalArgumentException("fill counts cannot be negative: " + applied + "/" + deferred + "/" + estimated);
        }
        boolean turnedOn = false;
        synchronized (this) {
            if (applied > 0) {
                estimatedOnlyRuns = 0;
                estimatedOnlySince = null;
            } else if (estimated > 0) {
                if (estimatedOnlyRuns == 0) {
                    estimatedOnlySince = clock.instant();
                }
                estimatedOnlyRuns++;
                turnedOn = estimatedOnlyRuns == executionsMissingRuns;
            }
        }
        if (turnedOn) {
            LOG.warn("executions missing: {}", hint());
        }
        for (FillsListener listener : fillsListeners) {
            try {
                listener.recordFills(applied, deferred, estimated);
            } catch (RuntimeException e) {
                LOG.warn("fills listener failed: {}", e.toString());
            }
        }
    }

    public synchronized ExecutionsMissing executionsMissing() {
        boolean active = estimatedOnlyRuns >= executionsMissingRuns;
        return new ExecutionsMissing(active, estimatedOnlySince, estimatedOnlyRuns, executionsMissingRuns,
                active ? hint() : null);
    }

    private String hint() {
        String id = clientId == null ? "the client id this service uses (PSYNC_IBKR_CLIENT_ID)"
                : clientId + " (PSYNC_IBKR_CLIENT_ID)";
        return "positions changed in " + executionsMissingRuns + " or more successful runs in a row with no execution "
                + "to explain them, so realized P&L is being estimated from market prices. The gateway reports only "
                + "the executions of the requesting client id unless it is the Master API client ID: in TWS / "
                + "IB Gateway, Configure > Settings > API > Settings, set \"Master API client ID\" to " + id
                + " and restart the API connection.";
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
                // The last success and the failure streak are of runs of every account: a run of some accounts (an
                // event run) that succeeds says nothing of the others, and must not hide full runs that keep failing.
                case SUCCEEDED -> {
                    succeeded++;
                    if (!run.scoped()) {
                        consecutiveFailures = 0;
                        lastSuccessAt = run.finishedAt();
                    }
                }
                case FAILED -> {
                    failed++;
                    if (!run.scoped()) {
                        consecutiveFailures++;
                    }
                }
                case SKIPPED_INCOMPLETE -> {
                    skipped++;
                    if (!run.scoped()) {
                        consecutiveFailures++;
                    }
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
        if (run.succeeded()) {
            recordFills(run.fills().applied(), run.fills().deferred(), run.fills().estimated());
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
