package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.camel.Header;

import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.SyncRun;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.store.SyncTotals;
import io.positionsync.run.SyncCoordinator.InFlightRun;
import io.positionsync.sync.SyncRunJson;
import io.positionsync.sync.SyncRunSummary;

/**
 * {@code POST /api/sync/positions} (manual trigger), {@code GET /api/sync/status} and
 * {@code GET /api/sync/runs}.
 */
public final class SyncApi {
    /** Header that marks an answer replayed for a known idempotency key. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    static final int IDEMPOTENCY_KEY_MAX_LENGTH = 128;
    static final int RUNS_DEFAULT_LIMIT = 20;
    static final int RUNS_MAX_LIMIT = 500;
    /** Open breaks listed in the status (all are counted). */
    static final int OPEN_BREAKS_SHOWN = 100;

    private final ManualRuns manualRuns;
    private final TokenGuard tokenGuard;
    private final SyncRunRepository runs;
    private final BreakRepository breaks;
    private final Supplier<ConnectionStatus> gateway;
    private final BooleanSupplier inFlight;
    private final SyncStatistics statistics;
    private final ApiSettings settings;
    private final Clock clock;
    private final boolean timerEnabled;

    /**
     * @param startManualRun starts or joins a run for a manual trigger with an optional idempotency key
     *                       (the {@code direct:sync-manual} route)
     * @param timerEnabled   whether the periodic timer runs (off: the gateway is contacted only on demand)
     */
    public SyncApi(java.util.function.Function<String, InFlightRun> startManualRun, TokenGuard tokenGuard,
            SyncRunRepository runs, BreakRepository breaks, Supplier<ConnectionStatus> gateway, BooleanSupplier inFlight,
            SyncStatistics statistics, ApiSettings settings, Clock clock, boolean timerEnabled) {
        this.tokenGuard = Objects.requireNonNull(tokenGuard, "tokenGuard");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
        this.statistics = Objects.requireNonNull(statistics, "statistics");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timerEnabled = timerEnabled;
        this.manualRuns = new ManualRuns(startManualRun, runs, settings.idempotencyWindow(), clock);
    }

    /** 401 unless the request carries the bearer token (checked before anything else is looked at). */
    public void authorize(@Header("Authorization") Object authorization) {
        tokenGuard.check(authorization instanceof String header ? header : null);
    }

    /**
     * Starts a run (or joins the one in flight, or replays the run of a known idempotency key) and answers
     * with its summary once it ends, or 202 with its id if it takes longer than the configured wait.
     */
    public ApiResponse trigger(@Header("Idempotency-Key") Object idempotencyKey) throws SQLException, InterruptedException {
        ManualRuns.Outcome outcome = manualRuns.request(idempotencyKey(idempotencyKey));
        Optional<SyncRunSummary> finished = outcome.finished() != null ? Optional.of(outcome.finished())
                : outcome.inFlight().await(settings.syncWait());
        ApiResponse response;
        if (finished.isPresent()) {
            response = ApiResponse.ok(SyncRunJson.of(finished.get()));
        } else {
            InFlightRun run = outcome.inFlight();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("runId", runId(run));
            body.put("trigger", run.trigger().name());
            body.put("status", "RUNNING");
            body.put("message", "the run is still going after " + settings.syncWait().toMillis()
                    + " ms; follow it in GET api/sync/runs");
            response = ApiResponse.accepted(body);
        }
        return outcome.replayed() ? response.withHeader(REPLAYED_HEADER, "true") : response;
    }

    /**
     * The id of a run still in flight. It exists as soon as the run is recorded, its first step; should the
     * wait have ended before even that, this waits as long again for it, else answers null.
     */
    private Long runId(InFlightRun run) throws InterruptedException {
        try {
            return run.runId().get(settings.syncWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        }
    }

    /**
     * The status. Its run history, failure streak and breaks live in the database: while it does not answer
     * they are {@code null} (unknown) and {@code database.available} is false, never "0 failures, no breaks".
     */
    public Map<String, Object> status() {
        Instant now = clock.instant();
        ConnectionStatus connection = gateway.get();

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("serverTime", JsonViews.time(now));
        json.put("gateway", gatewayView(connection));
        json.put("inFlight", inFlight.getAsBoolean());
        json.put("timerEnabled", timerEnabled);
        Map<String, Object> database = new LinkedHashMap<>();
        try {
            Optional<SyncRun> lastRun = runs.latest();
            Optional<SyncRun> lastSuccess = runs.lastSuccessful();
            SyncTotals totals = runs.totals();
            long openBreakCount = breaks.countUnresolved();
            List<Map<String, Object>> openBreaks = breaks.unresolved(OPEN_BREAKS_SHOWN).stream()
                    .map(JsonViews::reconciliationBreak).toList();
            Instant lastSuccessAt = lastSuccess.map(SyncRun::finishedAt).orElse(null);
            Long age = lastSuccessAt == null ? null : Math.max(0, Duration.between(lastSuccessAt, now).toSeconds());

            json.put("lastRun", lastRun.map(JsonViews::run).orElse(null));
            json.put("lastSuccessfulRun", lastSuccess.map(JsonViews::run).orElse(null));
            json.put("lastSuccessfulSyncAt", JsonViews.time(lastSuccessAt));
            json.put("lastSuccessAgeSeconds", age);
            json.put("consecutiveFailures", statistics.snapshot().consecutiveFailures());
            Map<String, Object> totalsJson = new LinkedHashMap<>();
            totalsJson.put("runs", totals.runs());
            totalsJson.put("succeeded", totals.succeeded());
            totalsJson.put("failed", totals.failed());
            totalsJson.put("skipped", totals.skipped());
            json.put("totals", totalsJson);
            json.put("openBreakCount", openBreakCount);
            json.put("openBreaks", openBreaks);
            database.put("available", true);
        } catch (SQLException | RuntimeException e) {
            // Runs cannot even be recorded now: the failure streak and the breaks are unknown, not zero.
            for (String unknown : List.of("lastRun", "lastSuccessfulRun", "lastSuccessfulSyncAt", "lastSuccessAgeSeconds",
                    "consecutiveFailures", "totals", "openBreakCount", "openBreaks")) {
                json.put(unknown, null);
            }
            database.put("available", false);
            database.put("detail", "the database did not answer (" + e.getClass().getSimpleName()
                    + "): runs, failures and breaks are unknown");
        }
        json.put("database", database);
        Map<String, Object> staleness = new LinkedHashMap<>();
        staleness.put("amberSeconds", settings.staleAmberSeconds());
        staleness.put("redSeconds", settings.staleRedSeconds());
        json.put("staleness", staleness);
        json.put("executionsMissing", statistics.executionsMissing().toJson());
        return json;
    }

    public Map<String, Object> runs(@Header("limit") Object limit) throws SQLException {
        int n = QueryParameters.intParam("limit", limit, RUNS_DEFAULT_LIMIT, 1, RUNS_MAX_LIMIT);
        List<Map<String, Object>> list = runs.recent(n).stream().map(JsonViews::run).toList();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("limit", n);
        json.put("runs", list);
        return json;
    }

    static Map<String, Object> gatewayView(ConnectionStatus connection) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", connection.state().name());
        json.put("since", JsonViews.time(connection.since()));
        json.put("detail", connection.detail());
        json.put("nextAttemptAt", JsonViews.time(connection.nextAttemptAt()));
        return json;
    }

    /** Null when absent; 400 unless it is 1 to 128 visible ASCII characters, given once. */
    static String idempotencyKey(Object raw) {
        if (raw == null) {
            return null;
        }
        String key = raw instanceof String s ? s.trim() : null;
        if (key == null || key.isEmpty() || key.length() > IDEMPOTENCY_KEY_MAX_LENGTH || !key.matches("[\\x21-\\x7E]+")) {
            throw ApiException.badRequest("header 'Idempotency-Key' must be given once, as 1 to "
                    + IDEMPOTENCY_KEY_MAX_LENGTH + " visible ASCII characters");
        }
        return key;
    }
}
