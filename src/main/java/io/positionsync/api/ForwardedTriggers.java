package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.store.GatewayOwners;
import io.positionsync.store.SyncRequests;
import io.positionsync.store.SyncRun;
import io.positionsync.store.SyncRunRepository;

/**
 * The requesting side of a manual trigger for a gateway another instance owns: the request goes into
 * {@code sync_requests} (announced on the requests channel), and the answer completes when the owner has taken it,
 * written its run's id and the run has ended (200), or when the wait is over: 202 with the run's id (null if the
 * owner has not recorded it yet), or 503 when no instance took the request (it is then withdrawn, so no owner starts
 * it later).
 *
 * <p>No thread waits per caller: the waiting requests are a map of futures, looked at together (one query for the
 * requests, one for their runs) by one thread of its own, at once when the requests channel says something changed
 * ({@link #heard}) and every {@code poll} in any case.
 */
public final class ForwardedTriggers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardedTriggers.class);

    /** How a forwarded trigger ended for its caller. */
    sealed interface Outcome {
    }

    /** The run ended: its row, and who ran it. */
    record Ended(SyncRun run, SyncRequests.Origin origin) implements Outcome {
    }

    /** The wait is over and the run goes on (its id null while the owner has not recorded it). */
    record StillRunning(Long runId, String trigger, String gateway, String owner) implements Outcome {
    }

    /** No run: nobody took the request in time, or its owner could not start the run. */
    record NoRun(String reason) implements Outcome {
    }

    private final class Waiter {
        final long id;
        final String gateway;
        final Instant deadline;
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        volatile String takenBy;
        volatile Long runId;

        Waiter(long id, String gateway, Instant deadline) {
            this.id = id;
            this.gateway = gateway;
            this.deadline = deadline;
        }
    }

    private final SyncRequests requests;
    private final SyncRunRepository runs;
    private final GatewayOwners owners;
    private final String instance;
    private final Duration wait;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private final Map<Long, Waiter> waiting = new ConcurrentHashMap<>();
    private final AtomicBoolean lookQueued = new AtomicBoolean();

    /**
     * @param wait how long a caller waits for the owner to take the request and for its run to end
     *             ({@code psync.api.sync-wait-ms})
     * @param poll how often the waiting requests are looked at without a notification
     */
    public ForwardedTriggers(SyncRequests requests, SyncRunRepository runs, GatewayOwners owners, String instance,
            Duration wait, Duration poll, Clock clock) {
        this.requests = Objects.requireNonNull(requests, "requests");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.owners = Objects.requireNonNull(owners, "owners");
        this.instance = Objects.requireNonNull(instance, "instance");
        this.wait = Objects.requireNonNull(wait, "wait");
        this.clock = Objects.requireNonNull(clock, "clock");
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "psync-forwarded-triggers");
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread = executor;
        long every = Math.max(1, poll.toMillis());
        thread.scheduleWithFixedDelay(this::look, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Requests a run of {@code gateway} from its owner (a short blocking insert: call it off the event loop) and
     * returns the outcome, which completes without a thread waiting for it.
     */
    CompletableFuture<Outcome> forward(String gateway, String idempotencyKey, Set<String> accounts) throws SQLException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        long id = requests.request(gateway, List.copyOf(accounts), idempotencyKey, instance, now);
        Waiter waiter = new Waiter(id, gateway, now.plus(wait));
        waiting.put(id, waiter);
        waiter.outcome.whenComplete((o, t) -> waiting.remove(id));
        LOG.debug("sync request {} for gateway {} sent to its owner", id, gateway);
        wake();
        return waiter.outcome;
    }

    /** How many forwarded triggers wait for their answer. */
    public int waiting() {
        return waiting.size();
    }

    /** A notification on the requests channel: an answer or a run's end is looked at at once. */
    public void heard(String payload) {
        if (payload != null && (payload.startsWith("answered ") || payload.startsWith("ended "))) {
            wake();
        }
    }

    /** Looks at the waiting requests now, unless a look is already queued. */
    public void wake() {
        if (waiting.isEmpty() || !lookQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(() -> {
                lookQueued.set(false);
                look();
            });
        } catch (RejectedExecutionException e) {
            lookQueued.set(false);
        }
    }

    private void look() {
        if (waiting.isEmpty()) {
            return;
        }
        try {
            List<Long> unanswered = new ArrayList<>();
            for (Waiter waiter : waiting.values()) {
                if (waiter.runId == null) {
                    unanswered.add(waiter.id);
                }
            }
            for (SyncRequests.Request row : requests.find(unanswered)) {
                Waiter waiter = waiting.get(row.id());
                if (waiter == null) {
                    continue;
                }
                waiter.takenBy = row.takenBy();
                if (row.runId() != null) {
                    waiter.runId = row.runId();
                } else if (row.error() != null) {
                    waiter.outcome.complete(new NoRun("gateway " + waiter.gateway + ": its owner " + row.takenBy()
                            + " started no run: " + row.error()));
                }
            }
            List<Long> running = new ArrayList<>();
            for (Waiter waiter : waiting.values()) {
                if (waiter.runId != null) {
                    running.add(waiter.runId);
                }
            }
            if (!running.isEmpty()) {
                for (SyncRequests.Ended ended : requests.ended(running)) {
                    for (Waiter waiter : waiting.values()) {
                        if (Long.valueOf(ended.run().id()).equals(waiter.runId)) {
                            waiter.outcome.complete(new Ended(ended.run(), ended.origin()));
                        }
                    }
                }
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("forwarded sync requests could not be read: {}", e.getMessage());
        }
        Instant now = clock.instant();
        for (Waiter waiter : waiting.values()) {
            if (!now.isBefore(waiter.deadline)) {
                waitOver(waiter);
            }
        }
    }

    /** The wait is over: 202 for a request taken, 503 (and the request withdrawn) for one nobody took. */
    private void waitOver(Waiter waiter) {
        try {
            if (waiter.takenBy == null) {
                String reason = "gateway " + waiter.gateway + ": no instance took the request within " + wait.toMillis()
                        + " ms; " + recordedOwner(waiter.gateway);
                if (requests.withdraw(waiter.id, instance, clock.instant().truncatedTo(ChronoUnit.MICROS),
                        "withdrawn: " + reason)) {
                    LOG.warn("sync request {} not taken: {}", waiter.id, reason);
                    waiter.outcome.complete(new NoRun(reason));
                    return;
                }
                // taken just now: read it once more
                requests.find(List.of(waiter.id)).forEach(row -> {
                    waiter.takenBy = row.takenBy();
                    waiter.runId = row.runId();
                });
            }
            Long runId = waiter.runId;
            String trigger = null;
            if (runId != null) {
                Optional<SyncRun> run = runs.findById(runId);
                if (run.isPresent() && run.get().status().finished()) {
                    waiter.outcome.complete(new Ended(run.get(), new SyncRequests.Origin(runId, waiter.gateway,
                            waiter.takenBy)));
                    return;
                }
                trigger = run.map(r -> r.trigger().name()).orElse(null);
            }
            waiter.outcome.complete(new StillRunning(runId, trigger, waiter.gateway, waiter.takenBy));
        } catch (SQLException | RuntimeException e) {
            waiter.outcome.complete(new NoRun("gateway " + waiter.gateway + ": the request's state could not be read: "
                    + e.getMessage()));
        }
    }

    private String recordedOwner(String gateway) {
        try {
            return owners.owner(gateway).map(o -> "its recorded owner is " + o.owner() + " (since " + o.ownedSince()
                    + ", epoch " + o.epoch() + ")").orElse("no instance is recorded as its owner");
        } catch (SQLException | RuntimeException e) {
            return "its recorded owner could not be read";
        }
    }

    /** Stops looking; callers still waiting are answered by the API's close (503). */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
