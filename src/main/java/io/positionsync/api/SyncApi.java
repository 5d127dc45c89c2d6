package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.camel.Header;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.GatewayStatusRepository;
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
public final class SyncApi implements AutoCloseable {
    /** Header that marks an answer replayed for a known idempotency key. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    static final int IDEMPOTENCY_KEY_MAX_LENGTH = 128;
    private static final String IDEMPOTENCY_KEY_RULE = "header 'Idempotency-Key' must be given once, as 1 to "
            + IDEMPOTENCY_KEY_MAX_LENGTH + " visible ASCII characters";
    static final int RUNS_DEFAULT_LIMIT = 20;
    static final int RUNS_MAX_LIMIT = 500;
    /** Open breaks listed in the status (all are counted). */
    static final int OPEN_BREAKS_SHOWN = 100;

    private final ManualRuns manualRuns;
    private final TokenGuard tokenGuard;
    private final SyncRunRepository runs;
    private final BreakRepository breaks;
    private final GatewayStatusRepository gatewayStatus;
    private final Supplier<ConnectionStatus> gateway;
    private final BooleanSupplier inFlight;
    private final SyncStatistics statistics;
    private final ApiSettings settings;
    private final Clock clock;
    private final boolean timerEnabled;
    private final Supplier<CompletableFuture<Optional<String>>> databaseProblem;
    private final Set<CompletableFuture<ApiResponse>> pending = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** Since when the gateway's live subscriptions are in place ({@code live.since} in the status). */
    private volatile Supplier<Optional<Instant>> liveSince = Optional::empty;
    /** The built-in demo's history in progress ({@code demoHistory} in the status), or null. */
    private volatile Supplier<Map<String, Object>> demoHistory;

    /**
     * @param startManualRun starts or joins a run for a manual trigger with an optional idempotency key
     *                       (the {@code direct:sync-manual} route)
     * @param timerEnabled   whether the periodic timer runs (off: the gateway is contacted only on demand)
     */
    public SyncApi(java.util.function.Function<String, InFlightRun> startManualRun, TokenGuard tokenGuard,
            SyncRunRepository runs, BreakRepository breaks, GatewayStatusRepository gatewayStatus,
            Supplier<ConnectionStatus> gateway, BooleanSupplier inFlight, SyncStatistics statistics, ApiSettings settings,
            Clock clock, boolean timerEnabled) {
        this((key, accounts) -> startManualRun.apply(key), tokenGuard, runs, breaks, gatewayStatus, gateway, inFlight,
                statistics, settings, clock, timerEnabled, () -> CompletableFuture.completedFuture(Optional.empty()));
    }

    /** With the timer running. */
    public SyncApi(java.util.function.Function<String, InFlightRun> startManualRun, TokenGuard tokenGuard,
            SyncRunRepository runs, BreakRepository breaks, GatewayStatusRepository gatewayStatus,
            Supplier<ConnectionStatus> gateway, BooleanSupplier inFlight, SyncStatistics statistics, ApiSettings settings,
            Clock clock) {
        this(startManualRun, tokenGuard, runs, breaks, gatewayStatus, gateway, inFlight, statistics, settings, clock, true);
    }

    /**
     * @param databaseProblem why the database cannot be used right now (empty when it can), answered within a
     *                        short bound: a manual trigger is refused with 503 and that reason at once
     */
    public SyncApi(java.util.function.BiFunction<String, java.util.Set<String>, InFlightRun> startManualRun, TokenGuard tokenGuard,
            SyncRunRepository runs, BreakRepository breaks, GatewayStatusRepository gatewayStatus,
            Supplier<ConnectionStatus> gateway, BooleanSupplier inFlight, SyncStatistics statistics, ApiSettings settings,
            Clock clock, boolean timerEnabled, Supplier<CompletableFuture<Optional<String>>> databaseProblem) {
        this.databaseProblem = Objects.requireNonNull(databaseProblem, "databaseProblem");
        this.tokenGuard = Objects.requireNonNull(tokenGuard, "tokenGuard");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.gatewayStatus = Objects.requireNonNull(gatewayStatus, "gatewayStatus");
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
     * The manual trigger without holding a thread while the run goes on: the token and the key are checked and
     * the database probed at once (401 / 400 / 503 with the reason), then {@code start} (a short task on a
     * worker: it may look the key up in the database) starts, joins or replays the run, and the answer
     * completes when the run ends or the configured wait is over (200 / 202), or with 503 when the service
     * shuts down first. Every answer still pending at {@link #close()} gets that 503.
     *
     * @param start runs a short blocking task off the event loop and completes with its result
     */
    public CompletableFuture<ApiResponse> triggerAsync(String authorization, List<String> idempotencyKeys,
            Function<Callable<ManualRuns.Outcome>, CompletionStage<ManualRuns.Outcome>> start) {
        return triggerAsync(authorization, idempotencyKeys, List.of(), start);
    }

    /**
     * As above, for the accounts the {@code accounts} query parameter names (comma-separated; every managed account
     * without it): a run of just those accounts, which never touches another account's positions.
     */
    public CompletableFuture<ApiResponse> triggerAsync(String authorization, List<String> idempotencyKeys,
            List<String> accountParameters, Function<Callable<ManualRuns.Outcome>, CompletionStage<ManualRuns.Outcome>> start) {
        CompletableFuture<ApiResponse> answer = new CompletableFuture<>();
        try {
            tokenGuard.check(authorization);
            if (idempotencyKeys != null && idempotencyKeys.size() > 1) {
                throw ApiException.badRequest(IDEMPOTENCY_KEY_RULE);
            }
            java.util.Set<String> accounts = TriggerAccounts.parse(accountParameters);
            String key = idempotencyKey(idempotencyKeys == null || idempotencyKeys.isEmpty() ? null : idempotencyKeys.get(0));
            pending.add(answer);
            answer.whenComplete((r, t) -> pending.remove(answer));
            if (closed) {
                answer.completeExceptionally(shuttingDown());
                return answer;
            }
            databaseProblem.get().thenCompose(problem -> {
                if (problem.isPresent()) {
                    throw new ApiException(503, "database unavailable: " + problem.get());
                }
                return start.apply(() -> manualRuns.request(key, accounts));
            }).thenCompose(this::reply).whenComplete((response, failure) -> {
                if (failure != null) {
                    answer.completeExceptionally(failure instanceof CompletionException ce && ce.getCause() != null
                            ? ce.getCause() : failure);
                } else {
                    answer.complete(response);
                }
            });
        } catch (RuntimeException e) {
            answer.completeExceptionally(e);
        }
        return answer;
    }

    /** How many manual triggers are waiting for their answer. */
    public int waitingTriggers() {
        return pending.size();
    }

    /** Answers every trigger still waiting with 503: the service is stopping. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (CompletableFuture<ApiResponse> answer : List.copyOf(pending)) {
            answer.completeExceptionally(shuttingDown());
        }
    }

    private static ApiException shuttingDown() {
        return new ApiException(503, "the service is shutting down; the run in flight finishes or rolls back and is "
                + "recorded (see GET api/sync/runs after the restart)");
    }

    /** The answer for an outcome: the run's summary, or 202 once the wait is over, without blocking. */
    private CompletableFuture<ApiResponse> reply(ManualRuns.Outcome outcome) {
        CompletableFuture<ApiResponse> response;
        if (outcome.finished() != null) {
            response = CompletableFuture.completedFuture(finishedResponse(outcome.finished()));
        } else {
            InFlightRun run = outcome.inFlight();
            long waitMs = settings.syncWait().toMillis();
            response = run.result().thenApply(this::finishedResponse)
                    .completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
                    .thenCompose(done -> done != null ? CompletableFuture.completedFuture(done)
                            : run.runId().handle((id, failure) -> id)
                                    .completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
                                    .thenApply(id -> stillRunning(run, id)));
        }
        return outcome.replayed() ? response.thenApply(r -> r.withHeader(REPLAYED_HEADER, "true")) : response;
    }

    /**
     * 200 with the summary; 503 with the reason for a run that could not even be recorded (the database is
     * down): there is no run to follow.
     */
    private ApiResponse finishedResponse(SyncRunSummary summary) {
        if (summary.runId() <= 0) {
            throw new ApiException(503, "database unavailable: the run could not be recorded: " + summary.error());
        }
        return ApiResponse.ok(SyncRunJson.of(summary));
    }

    /** The answer to a trigger whose run goes on after the wait (202). */
    public record StillRunningView(Long runId, String trigger, String status, String message) {
    }

    private ApiResponse stillRunning(InFlightRun run, Long runId) {
        return ApiResponse.accepted(new StillRunningView(runId, run.trigger().name(), "RUNNING", "the run is still going after "
                + settings.syncWait().toMillis() + " ms; follow it in GET api/sync/runs"));
    }

    /**
     * The status. Its run history, failure streak and breaks live in the database: while it does not answer
     * they are {@code null} (unknown) and {@code database.available} is false, never "0 failures, no breaks".
     */
    /**
     * The answer of {@code GET /api/sync/status}. The fields read from the database are {@code null} while it does not
     * answer; {@code demoHistory} is there only while the built-in demo builds its history.
     */
    public record StatusView(Instant serverTime, GatewayView gateway, LiveView live, boolean inFlight, boolean timerEnabled,
            Map<String, Object> lastRun, Map<String, Object> lastSuccessfulRun, Instant lastSuccessfulSyncAt,
            Long lastSuccessAgeSeconds, Long consecutiveFailures, TotalsView totals, Long openBreakCount,
            List<BreakView> openBreaks, DatabaseView database, StalenessView staleness,
            Map<String, Object> executionsMissing,
            @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> demoHistory,
            List<GatewayStatusView> gateways) {
    }

    /**
     * One gateway as the database has it, the same on every instance sharing it: its owner ({@code null}: none
     * recorded), whether its owner's live connection is up and since when, its last run (with the {@code instance}
     * that ran it), its last successful run of every account, the failure streak of its runs of every account, and
     * how fresh it is by the staleness thresholds.
     */
    public record GatewayStatusView(String name, String owner, Long epoch, Instant ownedSince, boolean live,
            Instant liveSince, Map<String, Object> lastRun, Instant lastSuccessfulSyncAt, Long lastSuccessAgeSeconds,
            long consecutiveFailures, Freshness freshness) {
        static GatewayStatusView of(GatewayStatusRepository.GatewayStatus gateway, Instant now, ApiSettings settings) {
            Long age = Freshness.ageSeconds(gateway.lastSuccessfulSyncAt(), now);
            return new GatewayStatusView(gateway.name(), gateway.owner(), gateway.epoch(), gateway.ownedSince(),
                    gateway.liveSince() != null, gateway.liveSince(),
                    gateway.lastRun() == null ? null : JsonViews.run(gateway.lastRun(), gateway.lastRunInstance()),
                    gateway.lastSuccessfulSyncAt(), age, gateway.consecutiveFailures(), Freshness.of(age, settings));
        }
    }

    /** The gateway connection's state, since when, why, and the next attempt while it is down. */
    public record GatewayView(String state, Instant since, String detail, Instant nextAttemptAt) {
        static GatewayView of(ConnectionStatus connection) {
            return new GatewayView(connection.state().name(), connection.since(), connection.detail(),
                    connection.nextAttemptAt());
        }
    }

    /** The gateway's live connection: since when its subscriptions are in place, null while they are not. */
    public record LiveView(Instant since) {
    }

    /** Every stored run, by outcome. */
    public record TotalsView(long runs, long succeeded, long failed, long skipped) {
    }

    /** Whether the database answered; why not ({@code detail}, only then). */
    public record DatabaseView(boolean available, @JsonInclude(JsonInclude.Include.NON_NULL) String detail) {
    }

    /** The ages (seconds) at which the last successful sync turns amber and red. */
    public record StalenessView(long amberSeconds, long redSeconds) {
    }

    /**
     * The status. Its run history, failure streak and breaks live in the database: while it does not answer
     * they are {@code null} (unknown) and {@code database.available} is false, never "0 failures, no breaks".
     */
    public StatusView status() {
        Instant now = clock.instant();
        GatewayView gatewayView = GatewayView.of(gateway.get());
        LiveView live = new LiveView(liveSince.get().orElse(null));
        boolean running = inFlight.getAsBoolean();
        StalenessView staleness = new StalenessView(settings.staleAmberSeconds(), settings.staleRedSeconds());
        Map<String, Object> executionsMissing = statistics.executionsMissing().toJson();
        Supplier<Map<String, Object>> demo = demoHistory;
        // The history's runs are dated the days it plays back: their age is not staleness.
        Map<String, Object> building = demo == null ? null : demo.get();
        try {
            // Asked first, within the health timeout: a database that does not answer must not hold the status
            // for the pool's connection timeout.
            Optional<String> problem = databaseProblem.get().join();
            // a database that answers (without the service's tables, or behind on its schema) is read on: the reads
            // fail at once and say what is missing
            if (problem.isPresent() && !problem.get().startsWith("the database answers")) {
                throw new SQLException(problem.get());
            }
            Optional<SyncRun> lastRun = runs.latest();
            Optional<SyncRun> lastSuccess = runs.lastSuccessful();
            SyncTotals totals = runs.totals();
            long openBreakCount = breaks.countUnresolved();
            List<BreakView> openBreaks = breaks.unresolved(OPEN_BREAKS_SHOWN).stream()
                    .map(BreakView::of).toList();
            Instant lastSuccessAt = lastSuccess.map(SyncRun::finishedAt).orElse(null);
            Long age = Freshness.ageSeconds(lastSuccessAt, now);
            List<GatewayStatusView> gateways = gatewayStatus.gateways().stream()
                    .map(g -> GatewayStatusView.of(g, now, settings)).toList();
            return new StatusView(now, gatewayView, live, running, timerEnabled, lastRun.map(JsonViews::run).orElse(null),
                    lastSuccess.map(JsonViews::run).orElse(null), lastSuccessAt, age,
                    statistics.snapshot().consecutiveFailures(),
                    new TotalsView(totals.runs(), totals.succeeded(), totals.failed(), totals.skipped()), openBreakCount,
                    openBreaks, new DatabaseView(true, null), staleness, executionsMissing, building, gateways);
        } catch (SQLException | RuntimeException e) {
            // Runs cannot even be recorded now: the failure streak and the breaks are unknown, not zero.
            SQLException sql = undefinedTable(e);
            String detail;
            if (sql != null) {
                // undefined_table: it answered, without the service's tables
                detail = "the database answers, but the service's tables are missing (" + oneLine(sql.getMessage())
                        + "): the schema was rolled back or dropped; stop the service, run `migrate`, then start it "
                        + "again. Runs, failures and breaks are unknown";
            } else {
                detail = "the database did not answer (" + e.getClass().getSimpleName()
                        + "): runs, failures and breaks are unknown";
            }
            return new StatusView(now, gatewayView, live, running, timerEnabled, null, null, null, null, null, null, null,
                    null, new DatabaseView(false, detail), staleness, executionsMissing, building, null);
        }
    }

    /** Where {@code live.since} comes from (the gateway client's {@code liveSince()}); empty until set. */
    public void liveSince(Supplier<Optional<Instant>> since) {
        this.liveSince = Objects.requireNonNull(since, "since");
    }

    /** While the built-in demo builds its history, {@code progress} says how far it is (null once it is over). */
    public void demoHistory(Supplier<Map<String, Object>> progress) {
        this.demoHistory = progress;
    }

    /** The answer of {@code GET /api/sync/runs}: the limit applied and the runs, newest first. */
    public record RunsView(int limit, List<Map<String, Object>> runs) {
    }

    public RunsView runs(@Header("limit") Object limit) throws SQLException {
        int n = QueryParameters.intParam("limit", limit, RUNS_DEFAULT_LIMIT, 1, RUNS_MAX_LIMIT);
        return new RunsView(n, runs.recent(n).stream().map(JsonViews::run).toList());
    }

    /** Null when absent; 400 unless it is 1 to 128 visible ASCII characters, given once. */
    static String idempotencyKey(Object raw) {
        if (raw == null) {
            return null;
        }
        String key = raw instanceof String s ? s.trim() : null;
        if (key == null || key.isEmpty() || key.length() > IDEMPOTENCY_KEY_MAX_LENGTH || !key.matches("[\\x21-\\x7E]+")) {
            throw ApiException.badRequest(IDEMPOTENCY_KEY_RULE);
        }
        return key;
    }

    /** The "relation does not exist" error (SQLState 42P01) in {@code e}'s causes, or null. */
    private static SQLException undefinedTable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && "42P01".equals(sql.getSQLState())) {
                return sql;
            }
        }
        return null;
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s+", " ").trim();
    }
}
