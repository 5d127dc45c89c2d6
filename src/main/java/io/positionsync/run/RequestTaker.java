package io.positionsync.run;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.store.SyncRequests;
import io.positionsync.sync.SyncRunSummary;

/**
 * The owner's side of forwarded manual triggers ({@code sync_requests}): takes the waiting requests of the gateways
 * this instance owns now, starts or joins each one's run through {@link Starter} (the same path as a manual trigger
 * sent here: the gateway's triggers, its idempotency keys), and writes the run's id, or why there is none, for the
 * requesting instance; when the run ends it says so on the requests channel.
 *
 * <p>It looks when the requests channel announces a request ({@link #heard}), when its LISTEN session (re)starts,
 * and every {@code poll} in any case (a notification missed, or notifications off). One thread of its own does the
 * looking and the writing; the runs go on on their gateways' run threads.
 */
public final class RequestTaker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestTaker.class);
    /** Requests taken in one look, at most (the next look takes the rest). */
    private static final int BATCH = 100;

    /** Starts or joins a run of a gateway for a forwarded trigger. */
    @FunctionalInterface
    public interface Starter {
        /** The run started or joined (or the finished run an idempotency key names), of {@code accounts} (empty: every account). */
        Started start(String gateway, String idempotencyKey, Set<String> accounts) throws Exception;
    }

    /** A run a request got: its id once recorded (0 or less: none was recorded), its summary once it ended. */
    public record Started(CompletableFuture<Long> runId, CompletableFuture<SyncRunSummary> result) {
        public Started {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(result, "result");
        }

        /** A run in flight. */
        public static Started of(SyncCoordinator.InFlightRun run) {
            return new Started(run.runId(), run.result());
        }

        /** A run that has ended already. */
        public static Started finished(SyncRunSummary summary) {
            return new Started(CompletableFuture.completedFuture(summary.runId()),
                    CompletableFuture.completedFuture(summary));
        }
    }

    private final Gateways gateways;
    private final SyncRequests requests;
    private final Starter starter;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean lookQueued = new AtomicBoolean();
    /** Whether the last look failed (said once at WARN until one succeeds again). */
    private boolean failing;

    private RequestTaker(Gateways gateways, SyncRequests requests, Starter starter, Clock clock) {
        this.gateways = Objects.requireNonNull(gateways, "gateways");
        this.requests = Objects.requireNonNull(requests, "requests");
        this.starter = Objects.requireNonNull(starter, "starter");
        this.clock = Objects.requireNonNull(clock, "clock");
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "psync-request-taker");
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread = executor;
    }

    /** Starts looking for requests every {@code poll} (and whenever {@link #wake()} is called). */
    public static RequestTaker start(Gateways gateways, SyncRequests requests, Starter starter, Clock clock,
            Duration poll) {
        RequestTaker taker = new RequestTaker(gateways, requests, starter, clock);
        taker.thread.scheduleWithFixedDelay(taker::look, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
        return taker;
    }

    /** A notification on the requests channel: a new request is looked at at once. */
    public void heard(String payload) {
        if (payload != null && payload.startsWith("requested ")) {
            wake();
        }
    }

    /** Looks for waiting requests now (on the taker's thread), unless a look is already queued. */
    public void wake() {
        if (lookQueued.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    lookQueued.set(false);
                    look();
                });
            } catch (RejectedExecutionException e) {
                lookQueued.set(false); // closed
            }
        }
    }

    /** Takes and starts the waiting requests of the gateways owned here. */
    void look() {
        List<String> owned = gateways.all().stream().filter(GatewaySync::owned).map(GatewaySync::name).toList();
        if (owned.isEmpty()) {
            return;
        }
        try {
            for (SyncRequests.Request waiting : requests.waiting(owned, BATCH)) {
                Optional<GatewaySync> gateway = gateways.find(waiting.gateway());
                if (gateway.isEmpty() || !gateway.get().owned()) {
                    continue; // lost it meanwhile: its new owner takes the request
                }
                Optional<SyncRequests.Request> taken = requests.take(waiting.id(), gateways.instance(),
                        clock.instant().truncatedTo(ChronoUnit.MICROS));
                if (taken.isPresent()) {
                    run(taken.get());
                }
            }
            failing = false;
        } catch (SQLException | RuntimeException e) {
            if (!failing) {
                LOG.warn("forwarded sync requests could not be read or taken: {}; looking again every poll",
                        e.getMessage());
            } else {
                LOG.debug("forwarded sync requests still cannot be read: {}", e.getMessage());
            }
            failing = true;
        }
    }

    private void run(SyncRequests.Request request) {
        LOG.info("sync request {} of {} for gateway {} taken", request.id(), request.requestedBy(), request.gateway());
        Started started;
        try {
            started = starter.start(request.gateway(), request.idempotencyKey(), new LinkedHashSet<>(request.accounts()));
        } catch (Exception e) {
            answer(request, null, reason(e));
            return;
        }
        started.runId().whenComplete((runId, failure) -> {
            if (failure != null) {
                onThread(() -> answer(request, null, reason(failure)));
            } else if (runId != null && runId > 0) {
                onThread(() -> answer(request, runId, null));
            } else {
                // No run was recorded (the gateway was lost before it began, the database is away): say why.
                started.result().whenComplete((summary, end) -> onThread(() -> answer(request, null,
                        end != null ? reason(end) : summary.error() != null ? summary.error()
                                : "the run could not be recorded")));
            }
        });
        started.result().whenComplete((summary, failure) -> onThread(() -> {
            try {
                requests.announceEnded(request.id());
            } catch (SQLException | RuntimeException e) {
                LOG.debug("the end of sync request {}'s run was not announced: {}", request.id(), e.getMessage());
            }
        }));
    }

    private void answer(SyncRequests.Request request, Long runId, String error) {
        try {
            requests.answer(request.id(), runId, error);
            if (runId != null) {
                LOG.info("sync request {} of {}: run {} of gateway {}", request.id(), request.requestedBy(), runId,
                        request.gateway());
            } else {
                LOG.warn("sync request {} of {} for gateway {}: no run: {}", request.id(), request.requestedBy(),
                        request.gateway(), error);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("the outcome of sync request {} could not be written (run {}, {}): {}", request.id(), runId, error,
                    e.getMessage());
        }
    }

    private void onThread(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("closed: a forwarded request's outcome is not written");
        }
    }

    private static String reason(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    /** Stops looking; outcomes still to be written are dropped (their requesters answer once their wait is over). */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
