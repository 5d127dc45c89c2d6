package io.positionsync.run;

import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

import java.time.Duration;
import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Single-flight gate in front of the sync route: at most one run executes at a time, and a trigger that
 * arrives while a run is in flight joins that run instead of starting a second one.
 *
 * <p>The run itself is executed by {@code runner} (the Camel route, through a producer template) on a
 * dedicated thread, so an HTTP caller that stops waiting never cancels a run half-way.
 */
public final class SyncCoordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncCoordinator.class);
    /** How long {@link #close()} waits for the run thread before interrupting it. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final BiFunction<SyncTrigger, InFlightRun, SyncRunSummary> runner;
    private final ExecutorService executor;
    private final AtomicLong joined = new AtomicLong();
    private InFlightRun inFlight;
    /** The run to start when the one in flight ends (requests it does not serve); at most one. */
    private InFlightRun next;
    private boolean stopping;

    /**
     * @param runner executes one run to its end and returns its summary; it must report the run id to
     *               {@link InFlightRun#started(long)} as soon as the run is recorded
     */
    public SyncCoordinator(BiFunction<SyncTrigger, InFlightRun, SyncRunSummary> runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "psync-sync-run");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts a run of every managed account, or joins the one in flight. */
    public InFlightRun request(SyncTrigger trigger) {
        return request(trigger, null);
    }

    /**
     * Starts a run of every managed account, or joins the one in flight.
     *
     * @param idempotencyKey recorded with the run if this request starts it (may be null)
     */
    public InFlightRun request(SyncTrigger trigger, String idempotencyKey) {
        return request(trigger, idempotencyKey, Set.of());
    }

    /**
     * Starts a run of {@code accounts} (every managed account when empty), joins the run in flight, or queues one
     * to start when it ends.
     *
     * <p>A request joins the run in flight when that run covers its accounts, except an {@link SyncTrigger#EVENT}
     * request: what it was told about may have happened after the run in flight took its snapshot. A request the
     * run in flight does not serve gets the next run, which starts as soon as the one in flight ends; requests
     * that come meanwhile join that next run and widen it to their accounts (one queued run at most: a burst of
     * events during a long run becomes one run after it).
     *
     * @param idempotencyKey recorded with the run if this request starts it (may be null)
     */
    public synchronized InFlightRun request(SyncTrigger trigger, String idempotencyKey, Set<String> accounts) {
        Set<String> scope = scope(accounts);
        if (stopping) {
            InFlightRun refused = new InFlightRun(trigger, idempotencyKey, scope);
            IllegalStateException reason = new IllegalStateException("the service is stopping: no new sync run starts");
            refused.runId().completeExceptionally(reason);
            refused.result().completeExceptionally(reason);
            return refused;
        }
        if (inFlight != null && !inFlight.result().isDone()) {
            if (trigger != SyncTrigger.EVENT && inFlight.covers(scope)) {
                joined.incrementAndGet();
                LOG.debug("{} trigger joins run in flight", trigger);
                return inFlight;
            }
            if (next == null) {
                next = new InFlightRun(trigger, idempotencyKey, scope);
                LOG.debug("{} trigger of {} queued after the run in flight", trigger, describe(scope));
            } else {
                next.widen(scope);
                joined.incrementAndGet();
                LOG.debug("{} trigger joins the queued run, now of {}", trigger, describe(next.accounts()));
            }
            return next;
        }
        InFlightRun run = new InFlightRun(trigger, idempotencyKey, scope);
        start(run);
        return run;
    }

    /** Guarded by {@code this}. */
    private void start(InFlightRun run) {
        inFlight = run;
        run.begin();
        try {
            executor.execute(() -> {
                SyncRunSummary summary = null;
                Throwable failure = null;
                try {
                    summary = runner.apply(run.trigger(), run);
                } catch (Throwable t) {
                    failure = t;
                }
                try {
                    startNext();
                } catch (RuntimeException e) {
                    LOG.warn("the queued run could not start: {}", e.toString());
                }
                if (failure == null) {
                    run.started(summary.runId());
                    run.result().complete(summary);
                } else {
                    run.runId().completeExceptionally(failure);
                    run.result().completeExceptionally(failure);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed: nothing runs any more
            IllegalStateException reason = new IllegalStateException("the service is stopping: no new sync run starts");
            run.runId().completeExceptionally(reason);
            run.result().completeExceptionally(reason);
        }
    }

    /** The queued run, if any, becomes the run in flight (before the one that ended tells its callers). */
    private synchronized void startNext() {
        InFlightRun queued = next;
        next = null;
        if (queued == null) {
            return;
        }
        if (stopping) {
            IllegalStateException reason = new IllegalStateException("the service is stopping: no new sync run starts");
            queued.runId().completeExceptionally(reason);
            queued.result().completeExceptionally(reason);
            return;
        }
        start(queued);
    }

    private static Set<String> scope(Set<String> accounts) {
        return accounts == null || accounts.isEmpty() ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(accounts));
    }

    static String describe(Set<String> scope) {
        return scope.isEmpty() ? "every account" : "accounts " + scope;
    }

    /** Starts or joins a run and waits for its end. */
    public SyncRunSummary runAndWait(SyncTrigger trigger, Duration timeout) throws TimeoutException, InterruptedException {
        return request(trigger).await(timeout).orElseThrow(() -> new TimeoutException("sync run still in flight after " + timeout));
    }

    /** True while a run executes. */
    public synchronized boolean inFlight() {
        return inFlight != null && !inFlight.result().isDone();
    }

    /** From now on no run starts (the service is stopping; a queued one is refused); a run in flight goes on. */
    public synchronized void stopAccepting() {
        stopping = true;
        InFlightRun queued = next;
        next = null;
        if (queued != null) {
            IllegalStateException reason = new IllegalStateException("the service is stopping: no new sync run starts");
            queued.runId().completeExceptionally(reason);
            queued.result().completeExceptionally(reason);
        }
    }

    /** The accounts of the queued run (empty: every account), if one is queued. */
    public synchronized Optional<Set<String>> queued() {
        return next == null ? Optional.empty() : Optional.of(next.accounts());
    }

    /** Waits up to {@code timeout} for the run in flight (if any) to end; true once none is in flight. */
    public boolean awaitIdle(Duration timeout) {
        InFlightRun run;
        synchronized (this) {
            run = inFlight;
        }
        if (run == null) {
            return true;
        }
        try {
            run.result().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !inFlight();
        }
    }

    /** How many triggers joined a run in flight instead of starting one. */
    public long joinedTriggers() {
        return joined.get();
    }

    /**
     * Stops the run thread. A stopping service has already given the run in flight its grace (see
     * {@link GracefulStop}), so this waits only briefly before interrupting what is left.
     */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** A run that was requested: its id once recorded, and its summary once finished. */
    public static final class InFlightRun {
        private final SyncTrigger trigger;
        private final String idempotencyKey;
        /** Widened while queued (under the coordinator's lock), fixed once begun. */
        private volatile Set<String> accounts;
        private volatile boolean begun;
        private final CompletableFuture<Long> runId = new CompletableFuture<>();
        private final CompletableFuture<SyncRunSummary> result = new CompletableFuture<>();

        InFlightRun(SyncTrigger trigger, String idempotencyKey) {
            this(trigger, idempotencyKey, Set.of());
        }

        InFlightRun(SyncTrigger trigger, String idempotencyKey, Set<String> accounts) {
            this.trigger = trigger;
            this.idempotencyKey = idempotencyKey;
            this.accounts = accounts;
        }

        public SyncTrigger trigger() {
            return trigger;
        }

        /** The accounts the run is for, in order; empty for every managed account. */
        public Set<String> accounts() {
            return accounts;
        }

        /** Whether this run serves a request for {@code scope} (empty: every account). */
        boolean covers(Set<String> scope) {
            Set<String> mine = accounts;
            return mine.isEmpty() || (!scope.isEmpty() && mine.containsAll(scope));
        }

        void widen(Set<String> scope) {
            if (begun) {
                throw new IllegalStateException("a run that began cannot be widened");
            }
            Set<String> mine = accounts;
            if (mine.isEmpty() || scope.isEmpty()) {
                accounts = Set.of();
            } else {
                TreeSet<String> both = new TreeSet<>(mine);
                both.addAll(scope);
                accounts = Collections.unmodifiableSet(both);
            }
        }

        void begin() {
            begun = true;
        }

        /** The idempotency key of the request that started this run, or null. */
        public String idempotencyKey() {
            return idempotencyKey;
        }

        /** Called by the run as soon as its {@code sync_runs} row exists. */
        public void started(long id) {
            runId.complete(id);
        }

        public CompletableFuture<Long> runId() {
            return runId;
        }

        public CompletableFuture<SyncRunSummary> result() {
            return result;
        }

        /** The summary if the run ends within {@code timeout}, empty if it is still in flight. */
        public Optional<SyncRunSummary> await(Duration timeout) throws InterruptedException {
            try {
                return Optional.of(result.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                return Optional.empty();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("sync run failed: " + cause.getMessage(), cause);
            }
        }
    }
}
