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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.camel.Header;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.run.GatewaySync;
import io.positionsync.run.Gateways;
import io.positionsync.run.RequestTaker;
import io.positionsync.run.RunState;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.GatewayStatusRepository;
import io.positionsync.store.SyncRequests;
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
    /** The service's gateways (null: one gateway, {@code default}, owned here). */
    private volatile Gateways gateways;
    /** This instance's name (the {@code owner} of the runs it starts; null: not named). */
    private volatile String instance;
    /** Who ran a run (null: not known). */
    private volatile SyncRequests requests;
    /** Triggers sent on to the owner of their gateway (null: they are refused). */
    private volatile ForwardedTriggers forwarded;
    /** Idempotency keys this instance forwarded, by when. */
    private final Map<String, Instant> forwardedKeys = new ConcurrentHashMap<>();

    /** Starts or joins a run of a gateway's accounts (every managed account when empty) for a manual trigger. */
    @FunctionalInterface
    public interface ManualStart {
        InFlightRun start(String gateway, String idempotencyKey, java.util.Set<String> accounts);
    }

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
        this((name, key, accounts) -> startManualRun.apply(key, accounts), tokenGuard, runs, breaks, gatewayStatus,
                gateway, inFlight, statistics, settings, clock, timerEnabled, databaseProblem);
    }

    /** As above, for a service of several gateways: {@code startManualRun} starts or joins a run of the gateway named. */
    public SyncApi(ManualStart startManualRun, TokenGuard tokenGuard,
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
        this.manualRuns = new ManualRuns(startManualRun::start, runs, settings.idempotencyWindow(), clock);
    }

    /**
     * The gateways a trigger may name ({@code ?gateway=}) and this instance's name: a trigger for a gateway owned here
     * runs here, one for a gateway another instance owns goes to that owner through {@code sync_requests}
     * ({@code forwarded}; null: refused with 503), and every answer names the gateway and the instance that ran it.
     */
    public void gateways(Gateways gateways, String instance, SyncRequests requests, ForwardedTriggers forwarded) {
        this.gateways = Objects.requireNonNull(gateways, "gateways");
        this.instance = Objects.requireNonNull(instance, "instance");
        this.requests = Objects.requireNonNull(requests, "requests");
        this.forwarded = forwarded;
    }

    /**
     * The owner's side of a forwarded trigger ({@link RequestTaker}): starts or joins the run of {@code gateway} as a
     * trigger sent here would (the same idempotency keys), or names the finished run its key started.
     */
    public RequestTaker.Started startForwarded(String gateway, String idempotencyKey, java.util.Set<String> accounts)
            throws SQLException {
        ManualRuns.Outcome outcome = manualRuns.request(gateway, idempotencyKey, accounts);
        return outcome.finished() != null ? RequestTaker.Started.finished(outcome.finished())
                : RequestTaker.Started.of(outcome.inFlight());
    }

    /** 401 unless the request carries the bearer token (checked before anything else is looked at). */
    public void authorize(@Header("Authorization") Object authorization) {
        tokenGuard.check(authorization instanceof String header ? header : null);
    }

    /**
     * The manual trigger without holding a thread while the run goes on: the token, the key, the accounts and the
     * gateway are checked and the database probed at once (401 / 400 / 503 with the reason), then a short task on
     * {@code starter} (it may look the key up in the database) starts, joins or replays the run, and the answer
     * completes when the run ends or the configured wait is over (200 / 202), or with 503 when the service shuts down
     * first. A trigger for a gateway another instance owns is sent on to that owner and answered alike (503 when no
     * instance takes it within the wait). Every answer still pending at {@link #close()} gets that 503.
     *
     * @param gatewayParameters the {@code gateway} query parameter's values: the gateway to run (none: the only one
     *                          configured; with several, one must be named)
     */
    public CompletableFuture<ApiResponse> triggerAsync(String authorization, List<String> idempotencyKeys,
            List<String> accountParameters, List<String> gatewayParameters, java.util.concurrent.Executor starter) {
        CompletableFuture<ApiResponse> answer = new CompletableFuture<>();
        try {
            tokenGuard.check(authorization);
            if (idempotencyKeys != null && idempotencyKeys.size() > 1) {
                throw ApiException.badRequest(IDEMPOTENCY_KEY_RULE);
            }
            java.util.Set<String> accounts = TriggerAccounts.parse(accountParameters);
            String key = idempotencyKey(idempotencyKeys == null || idempotencyKeys.isEmpty() ? null : idempotencyKeys.get(0));
            String gatewayName = gateway(gatewayParameters);
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
                if (ownedHere(gatewayName)) {
                    return CompletableFuture.supplyAsync(() -> call(() -> local(gatewayName, key, accounts)), starter)
                            .thenCompose(this::reply);
                }
                return CompletableFuture.supplyAsync(() -> call(() -> forward(gatewayName, key, accounts)), starter)
                        .thenCompose(f -> f);
            }).whenComplete((response, failure) -> {
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

    private static <T> T call(Callable<T> task) {
        try {
            return task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /** The gateway a trigger runs: the one named, or the only one; 400 naming the configured ones otherwise. */
    String gateway(List<String> parameters) {
        Gateways all = gateways;
        java.util.Set<String> names = all == null ? java.util.Set.of(RunState.Started.DEFAULT_GATEWAY) : all.names();
        List<String> given = parameters == null ? List.of() : parameters;
        if (given.size() > 1) {
            throw ApiException.badRequest("query parameter 'gateway' must be given once; configured gateways: "
                    + String.join(", ", names));
        }
        if (given.isEmpty()) {
            if (names.size() == 1) {
                return names.iterator().next();
            }
            throw ApiException.badRequest("name a gateway: " + String.join(", ", names));
        }
        String name = given.get(0).trim();
        if (!names.contains(name)) {
            throw ApiException.badRequest("unknown gateway '" + name + "'; configured gateways: " + String.join(", ", names));
        }
        return name;
    }

    private boolean ownedHere(String gatewayName) {
        Gateways all = gateways;
        return all == null || all.find(gatewayName).map(GatewaySync::owned).orElse(false);
    }

    /** A run of a gateway owned here: what the trigger got, and who ran a finished run it replays. */
    private record Local(ManualRuns.Outcome outcome, String gateway, SyncRequests.Origin origin) {
    }

    private Local local(String gatewayName, String key, java.util.Set<String> accounts) throws SQLException {
        ManualRuns.Outcome outcome = manualRuns.request(gatewayName, key, accounts);
        SyncRequests.Origin origin = null;
        SyncRequests known = requests;
        if (outcome.finished() != null && known != null && outcome.finished().runId() > 0) {
            origin = known.origin(outcome.finished().runId()).orElse(null);
        }
        return new Local(outcome, outcome.gateway() != null ? outcome.gateway() : gatewayName, origin);
    }

    /**
     * A trigger for a gateway another instance owns: a finished run its key started is replayed here; anything else
     * goes to the owner, whose answer (or the wait's end) completes the returned answer.
     */
    private CompletableFuture<ApiResponse> forward(String gatewayName, String key, java.util.Set<String> accounts)
            throws SQLException {
        ForwardedTriggers forwarder = forwarded;
        if (forwarder == null) {
            throw new ApiException(503, "gateway " + gatewayName + " is owned by another instance, and this one does not "
                    + "forward triggers; send it to the owner");
        }
        boolean replayed = false;
        if (key != null) {
            Instant now = clock.instant();
            Instant since = now.minus(settings.idempotencyWindow());
            forwardedKeys.values().removeIf(at -> at.isBefore(since));
            Optional<SyncRun> stored = runs.findByIdempotencyKey(key, since);
            if (stored.isPresent() && stored.get().status().finished()) {
                SyncRequests.Origin origin = requests.origin(stored.get().id()).orElse(null);
                return CompletableFuture.completedFuture(finishedResponse(stored.get().toSummary(),
                        origin == null ? gatewayName : origin.gateway(), origin == null ? null : origin.instance())
                        .withHeader(REPLAYED_HEADER, "true"));
            }
            replayed = stored.isPresent() || forwardedKeys.putIfAbsent(key, now) != null;
        }
        boolean replay = replayed;
        return forwarder.forward(gatewayName, key, accounts).thenApply(outcome -> {
            ApiResponse response = forwardedResponse(outcome);
            return replay ? response.withHeader(REPLAYED_HEADER, "true") : response;
        });
    }

    private ApiResponse forwardedResponse(ForwardedTriggers.Outcome outcome) {
        if (outcome instanceof ForwardedTriggers.Ended ended) {
            return finishedResponse(ended.run().toSummary(), ended.origin().gateway(), ended.origin().instance());
        }
        if (outcome instanceof ForwardedTriggers.StillRunning running) {
            return ApiResponse.accepted(new StillRunningView(running.runId(),
                    running.trigger() == null ? io.positionsync.sync.SyncTrigger.MANUAL.name() : running.trigger(),
                    "RUNNING", stillRunningMessage(), running.gateway(), running.owner()));
        }
        throw new ApiException(503, ((ForwardedTriggers.NoRun) outcome).reason());
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

    /** The answer for a run of a gateway owned here: the run's summary, or 202 once the wait is over, without blocking. */
    private CompletableFuture<ApiResponse> reply(Local local) {
        ManualRuns.Outcome outcome = local.outcome();
        CompletableFuture<ApiResponse> response;
        if (outcome.finished() != null) {
            SyncRequests.Origin origin = local.origin();
            response = CompletableFuture.completedFuture(finishedResponse(outcome.finished(),
                    origin == null ? local.gateway() : origin.gateway(), origin == null ? instance : origin.instance()));
        } else {
            InFlightRun run = outcome.inFlight();
            String gatewayName = local.gateway();
            String owner = instance;
            long waitMs = settings.syncWait().toMillis();
            response = run.result().thenApply(summary -> finishedResponse(summary, gatewayName, owner))
                    .completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
                    .thenCompose(done -> done != null ? CompletableFuture.completedFuture(done)
                            : run.runId().handle((id, failure) -> id)
                                    .completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
                                    .thenApply(id -> stillRunning(run, id, gatewayName, owner)));
        }
        return outcome.replayed() ? response.thenApply(r -> r.withHeader(REPLAYED_HEADER, "true")) : response;
    }

    /**
     * 200 with the summary, its gateway and the instance that ran it; 503 with the reason for a run that could not
     * even be recorded (the database is down): there is no run to follow.
     */
    private ApiResponse finishedResponse(SyncRunSummary summary, String gatewayName, String owner) {
        if (summary.runId() <= 0) {
            if (!ownedHere(gatewayName)) {
                // lost the gateway between the check and the run's start: its new owner runs the next trigger
                throw new ApiException(503, "gateway " + gatewayName + " is no longer owned by this instance ("
                        + instance + "): " + summary.error() + "; send the trigger again: it goes to the owner");
            }
            throw new ApiException(503, "database unavailable: the run could not be recorded: " + summary.error());
        }
        Map<String, Object> json = new java.util.LinkedHashMap<>(SyncRunJson.of(summary));
        json.put("gateway", gatewayName);
        json.put("owner", owner);
        return ApiResponse.ok(json);
    }

    /** The answer to a trigger whose run goes on after the wait (202): its gateway and the instance that runs it. */
    public record StillRunningView(Long runId, String trigger, String status, String message, String gateway,
            String owner) {
    }

    private ApiResponse stillRunning(InFlightRun run, Long runId, String gatewayName, String owner) {
        return ApiResponse.accepted(new StillRunningView(runId, run.trigger().name(), "RUNNING", stillRunningMessage(),
                gatewayName, owner));
    }

    private String stillRunningMessage() {
        return "the run is still going after " + settings.syncWait().toMillis() + " ms; follow it in GET api/sync/runs";
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
