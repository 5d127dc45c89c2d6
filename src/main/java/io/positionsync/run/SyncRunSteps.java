package io.positionsync.run;

import io.positionsync.sync.PositionKey;
import io.positionsync.sync.ReconcileResult;
import io.positionsync.sync.ReconcileWarning;
import io.positionsync.sync.ReconciliationBreak;
import io.positionsync.sync.RunLedger;
import io.positionsync.sync.SnapshotExecutions;
import io.positionsync.sync.SnapshotPosition;
import io.positionsync.sync.SnapshotTransformer;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.ibkr.BrokerException;
import io.positionsync.ibkr.BrokerExecution;
import io.positionsync.ibkr.BrokerGateway;
import io.positionsync.ibkr.BrokerSnapshot;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.SyncCounts;
import io.positionsync.store.SyncRunRepository;

/**
 * The steps of the sync route ({@code routes/sync.camel.yaml}) around the reconcile processor: record the
 * run, fetch the snapshot, load the stored positions, persist every change in one transaction, and record
 * how the run ended. A run's position changes, its executions, its breaks and its final {@code sync_runs}
 * status commit together or not at all.
 */
public final class SyncRunSteps {
    /** Exchange property holding the {@link SyncRunContext}. */
    public static final String RUN_PROPERTY = "psyncRun";
    /** Header naming the {@link SyncTrigger}. */
    public static final String TRIGGER_HEADER = "psyncTrigger";
    /** Header carrying an optional idempotency key of a manual trigger. */
    public static final String IDEMPOTENCY_HEADER = "psyncIdempotencyKey";
    /** Exchange property holding the {@link SyncCoordinator.InFlightRun} to tell the run id as soon as it exists. */
    public static final String IN_FLIGHT_PROPERTY = "psyncInFlight";

    private static final Logger LOG = LoggerFactory.getLogger(SyncRunSteps.class);

    private final BrokerGateway gateway;
    private final DataSource dataSource;
    private final PositionRepository positions;
    private final ExecutionRepository executions;
    private final SyncRunRepository runs;
    private final BreakRepository breaks;
    private final SnapshotTransformer transformer;
    private final BigDecimal breakTolerance;
    private final Clock clock;
    private final Consumer<SyncRunSummary> onFinished;
    private final PendingRunFailures pendingFailures;

    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, SnapshotTransformer transformer,
            BigDecimal breakTolerance, Clock clock, Consumer<SyncRunSummary> onFinished) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.positions = Objects.requireNonNull(positions, "positions");
        this.executions = Objects.requireNonNull(executions, "executions");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.transformer = Objects.requireNonNull(transformer, "transformer");
        this.breakTolerance = Objects.requireNonNull(breakTolerance, "breakTolerance");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.onFinished = onFinished == null ? summary -> { } : onFinished;
        this.pendingFailures = null;
    }

    /** With a keeper for the failures the database cannot record when they happen. */
    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, SnapshotTransformer transformer,
            BigDecimal breakTolerance, Clock clock, Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.positions = Objects.requireNonNull(positions, "positions");
        this.executions = Objects.requireNonNull(executions, "executions");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.transformer = Objects.requireNonNull(transformer, "transformer");
        this.breakTolerance = Objects.requireNonNull(breakTolerance, "breakTolerance");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.onFinished = onFinished == null ? summary -> { } : onFinished;
        this.pendingFailures = pendingFailures;
    }

    /** Records the run as RUNNING (committed at once, so a crash leaves a trace) and puts its context on the exchange. */
    public void begin(Exchange exchange) throws SQLException {
        SyncTrigger trigger = exchange.getMessage().getHeader(TRIGGER_HEADER, SyncTrigger.MANUAL, SyncTrigger.class);
        String idempotencyKey = exchange.getMessage().getHeader(IDEMPOTENCY_HEADER, String.class);
        Instant startedAt = now();
        long runId;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            runId = runs.insertStarted(connection, trigger, startedAt, idempotencyKey);
        }
        if (pendingFailures != null) {
            pendingFailures.flush(); // the database answers again: earlier failures first
        }
        exchange.setProperty(RUN_PROPERTY, new SyncRunContext(runId, trigger, startedAt, idempotencyKey));
        SyncCoordinator.InFlightRun inFlight = exchange.getProperty(IN_FLIGHT_PROPERTY, SyncCoordinator.InFlightRun.class);
        if (inFlight != null) {
            inFlight.started(runId);
        }
        LOG.debug("sync run {} started ({})", runId, trigger);
    }

    /** Takes the broker snapshot; a gateway that cannot be reached at all fails the run. */
    public BrokerSnapshot fetchSnapshot(@ExchangeProperty(RUN_PROPERTY) SyncRunContext run) throws BrokerException {
        BrokerSnapshot snapshot = gateway.snapshot();
        run.snapshot(snapshot);
        return snapshot;
    }

    /** An incomplete snapshot: nothing is opened, changed or closed; the run says why. */
    public SyncRunSummary skipIncomplete(@ExchangeProperty(RUN_PROPERTY) SyncRunContext run) throws SQLException {
        String reason = "incomplete snapshot: " + run.snapshot().incompleteReason();
        Instant finishedAt = now();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            runs.finish(connection, run.runId(), SyncRunStatus.SKIPPED_INCOMPLETE, SyncCounts.NONE, reason,
                    run.brokerServerTime(), finishedAt);
        }
        return finished(run, SyncRunStatus.SKIPPED_INCOMPLETE, SyncCounts.NONE, reason, finishedAt);
    }

    /**
     * Opens the run's transaction, loads the open lifecycles and the executions already seen, and returns
     * the snapshot as domain records for the split.
     */
    public List<SnapshotPosition> prepare(@ExchangeProperty(RUN_PROPERTY) SyncRunContext run) throws SQLException {
        BrokerSnapshot snapshot = run.snapshot();
        Connection connection = dataSource.getConnection();
        run.transaction(connection);
        connection.setAutoCommit(false);
        runs.lockForRun(connection);
        Map<PositionKey, StoredPosition> open = positions.loadOpen(connection);
        SnapshotExecutions snapshotExecutions = transformer.executions(snapshot);
        run.ledger(new RunLedger(open, consumedExecIds(connection, snapshot.executions()), snapshotExecutions,
                now(), breakTolerance));
        return transformer.positions(snapshot);
    }

    /** Writes the run's changes, executions, breaks and its SUCCEEDED record, then commits them together. */
    public SyncRunSummary persist(@ExchangeProperty(RUN_PROPERTY) SyncRunContext run) throws SQLException {
        ReconcileResult result = run.ledger().result();
        Connection connection = run.transaction();
        Instant syncedAt = now();
        positions.applyChanges(connection, run.runId(), result.changes(), syncedAt);
        executions.upsert(connection, run.runId(), result.executions());
        if (!result.breaks().isEmpty()) {
            List<io.positionsync.store.ReconciliationBreak> rows = new ArrayList<>();
            for (ReconciliationBreak b : result.breaks()) {
                rows.add(io.positionsync.store.ReconciliationBreak.detected(run.runId(), null, b.account(), b.conId(),
                        b.symbol(), null, b.ours(), b.broker(), breakTolerance, syncedAt, b.kind().name(),
                        io.positionsync.store.ReconciliationBreak.REALIZED_PNL_MISMATCH));
            }
            breaks.record(connection, rows);
        }
        for (ReconcileWarning warning : result.warnings()) {
            LOG.warn("run {}: {} {} {}: {}", run.runId(), warning.reason(), warning.key().account(), warning.symbol(),
                    warning.detail());
        }
        SyncCounts counts = new SyncCounts(result.opened(), result.updated(), result.closed(), result.unchanged());
        Instant finishedAt = now();
        runs.finish(connection, run.runId(), SyncRunStatus.SUCCEEDED, counts, null, run.brokerServerTime(), finishedAt);
        connection.commit();
        closeTransaction(run);
        return finished(run, SyncRunStatus.SUCCEEDED, counts, null, finishedAt);
    }

    /**
     * The route's error handler: rolls the run's transaction back (nothing half-written) and records the run
     * as FAILED with its reason in a transaction of its own.
     */
    public SyncRunSummary fail(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = describe(cause);
        SyncRunContext run = exchange.getProperty(RUN_PROPERTY, SyncRunContext.class);
        Instant now = now();
        if (run == null) {
            // Failed before the run could be recorded (e.g. the database is down): try once more to leave a trace.
            SyncTrigger trigger = exchange.getMessage().getHeader(TRIGGER_HEADER, SyncTrigger.MANUAL, SyncTrigger.class);
            long runId = 0;
            try {
                runId = runs.recordFailed(dataSource, trigger, now, exchange.getMessage().getHeader(IDEMPOTENCY_HEADER, String.class),
                        error, null, now);
            } catch (SQLException | RuntimeException e) {
                LOG.error("sync run failed and could not be recorded: {} (recording failed: {})", error, describe(e));
                if (pendingFailures != null) {
                    pendingFailures.add(new PendingRunFailures.Pending(0, trigger,
                            exchange.getMessage().getHeader(IDEMPOTENCY_HEADER, String.class), now, error, null, now));
                }
            }
            SyncRunSummary summary = new SyncRunSummary(runId, trigger, SyncRunStatus.FAILED, 0, 0, 0, 0, now, now, error);
            LOG.info("sync run {} FAILED ({}) in 0 ms: {}", runId, trigger, error);
            onFinished.accept(summary);
            return summary;
        }
        rollback(run);
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            runs.finish(connection, run.runId(), SyncRunStatus.FAILED, SyncCounts.NONE, error, run.brokerServerTime(), now);
        } catch (SQLException | RuntimeException e) {
            LOG.error("sync run {} failed and its failure could not be recorded: {}", run.runId(), describe(e));
            if (pendingFailures != null) {
                // Written when the database answers again, so the row does not stay RUNNING.
                pendingFailures.add(new PendingRunFailures.Pending(run.runId(), run.trigger(), run.idempotencyKey(),
                        run.startedAt(), error, run.brokerServerTime(), now));
            }
        }
        return finished(run, SyncRunStatus.FAILED, SyncCounts.NONE, error, now);
    }

    /** Marks runs left RUNNING by a process that died as FAILED; called once at start-up. */
    public int failInterruptedRuns() throws SQLException {
        int count = runs.failInterrupted(now(), "interrupted: the service stopped during the run");
        if (count > 0) {
            LOG.warn("{} sync run(s) left RUNNING by an earlier process marked FAILED", count);
        }
        return count;
    }

    private SyncRunSummary finished(SyncRunContext run, SyncRunStatus status, SyncCounts counts, String error,
            Instant finishedAt) {
        SyncRunSummary summary = new SyncRunSummary(run.runId(), run.trigger(), status, counts.opened(), counts.updated(),
                counts.closed(), counts.unchanged(), run.startedAt(), finishedAt, error);
        long millis = Duration.between(run.startedAt(), finishedAt).toMillis();
        if (error == null) {
            LOG.info("sync run {} {} ({}) in {} ms: {} opened, {} updated, {} closed, {} unchanged", run.runId(), status,
                    run.trigger(), millis, counts.opened(), counts.updated(), counts.closed(), counts.unchanged());
        } else {
            LOG.info("sync run {} {} ({}) in {} ms: {}", run.runId(), status, run.trigger(), millis, error);
        }
        onFinished.accept(summary);
        return summary;
    }

    /** The run's clock at PostgreSQL's precision, so a summary and its stored row show the same times. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * Executions seen by an earlier successful run (by execId, or by the base of a correction). Exit prices use
     * only executions since the previous successful run, so these are never matched again.
     */
    private Set<String> consumedExecIds(Connection connection, List<BrokerExecution> snapshotExecutions) throws SQLException {
        Set<String> ids = new HashSet<>();
        for (BrokerExecution execution : snapshotExecutions) {
            ids.add(execution.execId());
        }
        return executions.seenExecIds(connection, ids);
    }

    private void rollback(SyncRunContext run) {
        Connection connection = run.transaction();
        if (connection == null) {
            return;
        }
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.warn("rollback of run {} failed: {}", run.runId(), describe(e));
        }
        closeTransaction(run);
    }

    private static void closeTransaction(SyncRunContext run) {
        Connection connection = run.transaction();
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the connection of run {} failed", run.runId(), e);
            }
            run.transaction(null);
        }
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
