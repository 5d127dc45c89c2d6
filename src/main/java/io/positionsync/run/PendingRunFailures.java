package io.positionsync.run;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.sync.SyncCounts;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncTrigger;

/**
 * The ends of failed runs that could not be written because the database was gone at the time: kept here and
 * written as soon as it answers again (retried every {@code retryEvery}, and before the next run starts), so a
 * run that failed with the database never stays {@code RUNNING} until a restart, and the totals count it.
 * A run that had a row is finished as FAILED with its own time and reason; a run that failed before it had a
 * row gets one. Bounded: past {@code capacity} the oldest is dropped with a log line.
 */
public final class PendingRunFailures implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PendingRunFailures.class);

    /**
     * One failure to write.
     *
     * @param runId 0 when the run failed before its row could be written
     */
    public record Pending(long runId, SyncTrigger trigger, String idempotencyKey, Instant startedAt, String error,
            Instant brokerServerTime, Instant finishedAt) {
        public Pending {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(startedAt, "startedAt");
            Objects.requireNonNull(finishedAt, "finishedAt");
        }
    }

    private final SyncRunRepository runs;
    private final DataSource dataSource;
    private final Duration retryEvery;
    private final int capacity;
    private final Deque<Pending> pending = new ArrayDeque<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "psync-pending-run-failures");
        thread.setDaemon(true);
        return thread;
    });
    private ScheduledFuture<?> retry;

    public PendingRunFailures(SyncRunRepository runs, DataSource dataSource, Duration retryEvery, int capacity) {
        this.runs = Objects.requireNonNull(runs, "runs");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.retryEvery = Objects.requireNonNull(retryEvery, "retryEvery");
        if (retryEvery.isZero() || retryEvery.isNegative() || capacity < 1) {
            throw new IllegalArgumentException("retryEvery and capacity must be positive");
        }
        this.capacity = capacity;
    }

    /** Keeps a failure that could not be written, and makes sure it is retried. */
    public synchronized void add(Pending failure) {
        if (pending.size() >= capacity) {
            Pending dropped = pending.removeFirst();
            LOG.error("more than {} run failures wait for the database; the oldest (run {}, {}) is dropped", capacity,
                    dropped.runId(), dropped.error());
        }
        pending.addLast(Objects.requireNonNull(failure, "failure"));
        LOG.warn("run {} failed and the database cannot record it now: kept, written when the database answers again",
                failure.runId() == 0 ? "(not recorded yet)" : failure.runId());
        if (retry == null || retry.isDone()) {
            retry = retries.scheduleWithFixedDelay(this::retry, retryEvery.toMillis(), retryEvery.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** The failures still waiting, oldest first. */
    public synchronized List<Pending> waiting() {
        return List.copyOf(pending);
    }

    /**
     * Writes what it can, oldest first, stopping at the first database error (it is still away). Returns how
     * many were written.
     */
    public synchronized int flush() {
        int written = 0;
        while (!pending.isEmpty()) {
            Pending next = pending.peekFirst();
            try {
                write(next);
            } catch (SQLException | RuntimeException e) {
                LOG.debug("pending run failure still cannot be written: {}", e.getMessage());
                return written;
            }
            pending.removeFirst();
            written++;
        }
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
        return written;
    }

    private void retry() {
        int written = flush();
        if (written > 0) {
            LOG.info("the database is back: {} run failure(s) recorded", written);
        }
    }

    private void write(Pending failure) throws SQLException {
        if (failure.runId() == 0) {
            long id = runs.recordFailed(dataSource, failure.trigger(), failure.startedAt(), failure.idempotencyKey(),
                    failure.error(), failure.brokerServerTime(), failure.finishedAt());
            LOG.info("sync run {} recorded FAILED after the database returned: {}", id, failure.error());
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            runs.finish(connection, failure.runId(), SyncRunStatus.FAILED, SyncCounts.NONE, failure.error(),
                    failure.brokerServerTime(), failure.finishedAt());
            LOG.info("sync run {} recorded FAILED after the database returned: {}", failure.runId(), failure.error());
        } catch (IllegalStateException e) {
            // Someone else ended it meanwhile (e.g. a start-up marked it interrupted): nothing left to write.
            LOG.debug("run {} already ended: {}", failure.runId(), e.getMessage());
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
