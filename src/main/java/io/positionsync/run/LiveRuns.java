package io.positionsync.run;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.ibkr.BrokerEvent;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * Turns what the live connection hears into runs. A fill or a position change of account X asks for a run of X
 * alone ({@link SyncTrigger#EVENT}); events are gathered for a short debounce, so a burst of fills across a few
 * accounts becomes one run of those accounts, started {@code debounce} after the last event and never later than
 * {@code maxDelay} after the first. The live subscriptions coming (back) ask for a full catch-up run: whatever
 * happened while they were not in place was not heard. The coordinator keeps runs single-flight and queues an
 * event's run behind the run in flight (which may have taken its snapshot before the fill).
 *
 * <p>It also measures what live mode is for: from a fill heard to the commit of the first run that covers its
 * account and began after it was heard (fill-to-commit), and from the execution's own time to that commit.
 *
 * <p>{@link #accept} runs on the connection's reader thread: it only records and schedules.
 */
public final class LiveRuns implements Consumer<BrokerEvent>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveRuns.class);
    /** Fills waiting for their commit to be measured, at most; beyond it the oldest are forgotten (not measured). */
    static final int MAX_WAITING_FILLS = 10_000;

    /** What kind of event was heard: the {@code kind} label of the events counter. */
    public enum EventKind {
        FILL, POSITION, LIVE_STARTED, LIVE_LOST;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Told of every fill whose commit was measured. */
    @FunctionalInterface
    public interface CommitObserver {
        /**
         * @param fillToCommit      from the fill heard to the commit of the run that holds it
         * @param executionToCommit from the execution's time (the gateway's) to that commit; null when unknown
         */
        void committed(Duration fillToCommit, Duration executionToCommit);
    }

    private record Heard(String account, Instant receivedAt, Instant executedAt) {
    }

    private final SyncCoordinator coordinator;
    private final Duration debounce;
    private final Duration maxDelay;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Map<EventKind, AtomicLong> events = new EnumMap<>(EventKind.class);
    private final List<CommitObserver> observers = new CopyOnWriteArrayList<>();
    private final AtomicLong eventRuns = new AtomicLong();

    private final Object lock = new Object();
    /** Accounts heard of since the last event run was asked for. Guarded by {@code lock}. */
    private final Set<String> pending = new TreeSet<>();
    private long firstNanos;
    private long lastNanos;
    private ScheduledFuture<?> flush;
    /** execId -> the fill heard, in the order heard. Guarded by {@code lock}. */
    private final LinkedHashMap<String, Heard> waiting = new LinkedHashMap<>();
    private volatile Instant liveSince;
    private volatile boolean closed;

    public LiveRuns(SyncCoordinator coordinator, Duration debounce, Duration maxDelay) {
        this(coordinator, debounce, maxDelay, Clock.systemUTC());
    }

    /** With the clock the latencies are measured on (the real one; the events' own times are on it too). */
    public LiveRuns(SyncCoordinator coordinator, Duration debounce, Duration maxDelay, Clock clock) {
        this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
        this.debounce = Objects.requireNonNull(debounce, "debounce");
        this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxDelay.compareTo(debounce) < 0) {
            throw new IllegalArgumentException("maxDelay must not be below debounce");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        for (EventKind kind : EventKind.values()) {
            events.put(kind, new AtomicLong());
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "psync-live-runs");
            t.setDaemon(true);
            return t;
        });
    }

    public void addObserver(CommitObserver observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
    }

    @Override
    public void accept(BrokerEvent event) {
        if (closed) {
            return;
        }
        if (event instanceof BrokerEvent.Fill fill) {
            events.get(EventKind.FILL).incrementAndGet();
            synchronized (lock) {
                waiting.put(fill.execId(), new Heard(fill.account(), fill.receivedAt(), fill.executedAt()));
                Iterator<String> oldest = waiting.keySet().iterator();
                while (waiting.size() > MAX_WAITING_FILLS && oldest.hasNext()) {
                    oldest.next();
                    oldest.remove();
                }
            }
            heard(fill.account());
        } else if (event instanceof BrokerEvent.PositionChanged change) {
            events.get(EventKind.POSITION).incrementAndGet();
            heard(change.account());
        } else if (event instanceof BrokerEvent.LiveStarted started) {
            events.get(EventKind.LIVE_STARTED).incrementAndGet();
            liveSince = started.receivedAt();
            LOG.info("live since {} ({}): a full catch-up run follows", started.receivedAt(), started.reason());
            request(Set.of());
        } else if (event instanceof BrokerEvent.LiveLost lost) {
            events.get(EventKind.LIVE_LOST).incrementAndGet();
            liveSince = null;
            LOG.warn("live subscriptions lost ({}): the client reconnects; the timer's runs go on", lost.reason());
        }
    }

    /** Gathers {@code account} into the pending run and (re)schedules its start. */
    private void heard(String account) {
        long now = System.nanoTime();
        synchronized (lock) {
            if (pending.isEmpty()) {
                firstNanos = now;
            }
            pending.add(account);
            lastNanos = now;
            if (flush == null) {
                flush = schedule(debounce.toNanos());
            }
        }
    }

    /** Guarded by {@code lock}. */
    private ScheduledFuture<?> schedule(long delayNanos) {
        try {
            return scheduler.schedule(this::flushIfDue, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return null; // closed
        }
    }

    /** Asks for the pending accounts' run once the burst is quiet for the debounce or has lasted the longest delay. */
    private void flushIfDue() {
        Set<String> accounts;
        synchronized (lock) {
            long now = System.nanoTime();
            long due = Math.min(lastNanos + debounce.toNanos(), firstNanos + maxDelay.toNanos());
            if (now - due < 0) {
                flush = schedule(due - now);
                return;
            }
            flush = null;
            accounts = new TreeSet<>(pending);
            pending.clear();
        }
        if (!accounts.isEmpty()) {
            eventRuns.incrementAndGet();
            request(accounts);
        }
    }

    private void request(Set<String> accounts) {
        if (closed) {
            return;
        }
        SyncCoordinator.InFlightRun run = coordinator.request(SyncTrigger.EVENT, null, accounts);
        run.result().whenComplete((summary, failure) -> {
            if (failure != null) {
                LOG.debug("event run of {} did not run: {}", SyncCoordinator.describe(accounts), failure.toString());
            }
        });
    }

    /**
     * Told of every finished run (a {@link SyncRunStatus#SUCCEEDED} one measures the fills it covers: of its
     * accounts, or of every account, heard before it began).
     */
    public void runFinished(SyncRunSummary summary) {
        if (summary.status() != SyncRunStatus.SUCCEEDED || summary.startedAt() == null) {
            return;
        }
        Instant committed = clock.instant();
        List<Heard> covered = new ArrayList<>();
        synchronized (lock) {
            Iterator<Heard> it = waiting.values().iterator();
            while (it.hasNext()) {
                Heard heard = it.next();
                boolean ofRun = !summary.scoped() || summary.accounts().contains(heard.account());
                // Heard before the run began: its snapshot, taken after, holds the fill.
                if (ofRun && !heard.receivedAt().isAfter(summary.startedAt())) {
                    covered.add(heard);
                    it.remove();
                }
            }
        }
        for (Heard heard : covered) {
            Duration fillToCommit = Duration.between(heard.receivedAt(), committed);
            Duration executionToCommit = heard.executedAt() == null ? null
                    : Duration.between(heard.executedAt(), committed);
            for (CommitObserver observer : observers) {
                observer.committed(fillToCommit, executionToCommit);
            }
        }
    }

    /** How many events of {@code kind} were heard. */
    public long events(EventKind kind) {
        return events.get(kind).get();
    }

    /** How many event runs were asked for (bursts coalesced into one count once). */
    public long eventRunsRequested() {
        return eventRuns.get();
    }

    /** Since when the live subscriptions are in place, as this side last heard; empty while they are not. */
    public Optional<Instant> liveSince() {
        return Optional.ofNullable(liveSince);
    }

    /** The accounts waiting for their run's debounce. */
    public Set<String> pendingAccounts() {
        synchronized (lock) {
            return Set.copyOf(pending);
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
    }
}
