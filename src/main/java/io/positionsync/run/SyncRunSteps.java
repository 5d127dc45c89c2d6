package io.positionsync.run;

import io.positionsync.sync.BreakEvent;
import io.positionsync.sync.BreakRef;
import io.positionsync.sync.BreakKind;
import io.positionsync.sync.ExecutionRecord;
import io.positionsync.sync.FillCounts;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.ReconcileWarning;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.RunResult;
import io.positionsync.sync.SnapshotTransformer;
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
import java.util.HashMap;
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
import io.positionsync.ibkr.BrokerGateway;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.store.AccountRepository;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.LedgerRepository;
import io.positionsync.store.PositionProjection;
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
    private final LedgerRepository ledger;
    private final AccountRepository accounts;
    private final RunStateReader reader;
    /** Failed runs in a row with the same failure: said once, then counted. */
    private final io.positionsync.ibkr.FailureRepeats failureRepeats = new io.positionsync.ibkr.FailureRepeats();
    private final BigDecimal breakTolerance;
    private final Clock clock;
    private final Consumer<SyncRunSummary> onFinished;
    private final PendingRunFailures pendingFailures;
    private final PositionProjection projection;

    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, SnapshotTransformer transformer,
            BigDecimal breakTolerance, Clock clock, Consumer<SyncRunSummary> onFinished) {
        this(gateway, dataSource, positions, executions, runs, breaks, new LedgerRepository(positions.writeChunkSize()),
                new AccountRepository(dataSource), transformer, breakTolerance, clock, onFinished);
    }

    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, LedgerRepository ledger,
            AccountRepository accounts, SnapshotTransformer transformer, BigDecimal breakTolerance, Clock clock,
            Consumer<SyncRunSummary> onFinished) {
        this(gateway, dataSource, positions, executions, runs, breaks, ledger, accounts, transformer, breakTolerance,
                clock, onFinished, null);
    }

    /** With a keeper for the failures the database cannot record when they happen. */
    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, SnapshotTransformer transformer,
            BigDecimal breakTolerance, Clock clock, Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures) {
        this(gateway, dataSource, positions, executions, runs, breaks, new LedgerRepository(positions.writeChunkSize()),
                new AccountRepository(dataSource), transformer, breakTolerance, clock, onFinished, pendingFailures);
    }

    /** With the keeper of failures and where runs are projected beyond the service's tables (an adopted bot's table). */
    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, SnapshotTransformer transformer,
            BigDecimal breakTolerance, Clock clock, Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures,
            PositionProjection projection) {
        this(gateway, dataSource, positions, executions, runs, breaks, new LedgerRepository(positions.writeChunkSize()),
                new AccountRepository(dataSource), transformer, breakTolerance, clock, onFinished, pendingFailures,
                projection);
    }

    /** Every part given; {@code pendingFailures} may be null (failures the database cannot record are then only logged). */
    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, LedgerRepository ledger,
            AccountRepository accounts, SnapshotTransformer transformer, BigDecimal breakTolerance, Clock clock,
            Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures) {
        this(gateway, dataSource, positions, executions, runs, breaks, ledger, accounts, transformer, breakTolerance,
                clock, onFinished, pendingFailures, PositionProjection.NONE);
    }

    private SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, LedgerRepository ledger,
            AccountRepository accounts, SnapshotTransformer transformer, BigDecimal breakTolerance, Clock clock,
            Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures, PositionProjection projection) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.positions = Objects.requireNonNull(positions, "positions");
        this.executions = Objects.requireNonNull(executions, "executions");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.accounts = Objects.requireNonNull(accounts, "accounts");
        this.reader = new RunStateReader(positions, executions, breaks, ledger, accounts,
                Objects.requireNonNull(transformer, "transformer"));
        this.breakTolerance = Objects.requireNonNull(breakTolerance, "breakTolerance");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.onFinished = onFinished == null ? summary -> { } : onFinished;
        this.pendingFailures = pendingFailures;
        this.projection = Objects.requireNonNull(projection, "projection");
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
     * Reads the stored state the run needs in one consistent read (no lock held: a long split never blocks
     * another process) and returns the {@link InstrumentFacts} of every instrument reconcile must see, in chunks
     * for the split. An instrument reconcile could only leave as stored is counted, not handed on (unless an
     * adopted bot's table is projected: it is given every lifecycle of the run). Before the stored state is read
     * the run lets go of the snapshot's messages, keeping its accounts and rates (what persisting reads).
     */
    public InstrumentChunks prepare(Exchange exchange) throws SQLException {
        SyncRunContext run = exchange.getProperty(RUN_PROPERTY, SyncRunContext.class);
        BrokerSnapshot snapshot = run.snapshot();
        RunStateReader.Reported reported = reader.reported(snapshot);
        Map<String, Map<String, BigDecimal>> rates = RunStateReader.rates(snapshot);
        if (projection != PositionProjection.NONE) {
            Map<Long, String> localSymbols = new HashMap<>();
            snapshot.positions().forEach(p -> {
                if (p.localSymbol() != null && !p.localSymbol().isBlank()) {
                    localSymbols.put(p.conId(), p.localSymbol());
                }
            });
            projection.reported(localSymbols);
        }
        // From here on the run holds only what the read needs of the snapshot (the message body was the snapshot):
        // its messages can be collected while the stored state is read.
        run.snapshot(withoutInstruments(snapshot));
        exchange.getMessage().setBody(null);
        snapshot = null;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            connection.setReadOnly(true);
            try {
                long committed = runs.committedRuns(connection);
                RunStateReader.Prepared prepared = reader.read(connection, reported, breakTolerance,
                        projection == PositionProjection.NONE);
                readExecutionConflicts(connection, run, reported);
                run.stateRead(new RunInputs(run.runId(), now(), breakTolerance, rates), committed);
                run.unchangedUnread(prepared.unchanged());
                return new InstrumentChunks(prepared.facts());
            } finally {
                connection.rollback();
                connection.setReadOnly(false);
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
        }
    }

    /**
     * Applied fills the snapshot reports again with other content: kept for persisting, which raises each once as an
     * {@code EXECUTION_CONFLICT} break; open conflicts whose fill is reported as applied again are resolved.
     */
    private void readExecutionConflicts(Connection connection, SyncRunContext run, RunStateReader.Reported reported)
            throws SQLException {
        List<ExecutionRepository.Conflict> found = executions.conflicts(connection, reported.executions());
        Map<String, Set<String>> open = breaks.openExecutionConflicts(connection);
        List<ExecutionRepository.Conflict> raised = found.stream()
                .filter(c -> !open.getOrDefault(c.reported().execId(), Set.of()).contains(c.describe())).toList();
        Set<String> conflicting = new java.util.HashSet<>();
        found.forEach(c -> conflicting.add(c.reported().execId()));
        Set<String> agreeing = new java.util.HashSet<>();
        if (!open.isEmpty()) {
            for (io.positionsync.sync.BrokerExecution execution : reported.executions()) {
                if (open.containsKey(execution.execId()) && !conflicting.contains(execution.execId())) {
                    agreeing.add(execution.execId());
                }
            }
        }
        run.executionConflicts(raised, agreeing);
    }

    /**
     * What persisting a run still reads of its snapshot: the accounts, the rates and the times; and what the run's
     * log line reports of it (the rows of unmanaged accounts left out).
     */
    private static BrokerSnapshot withoutInstruments(BrokerSnapshot snapshot) {
        return new BrokerSnapshot(snapshot.serverVersion(), snapshot.complete(), snapshot.incompleteReason(),
                snapshot.takenAt(), snapshot.serverTime(), snapshot.accounts(), List.of(), List.of(), List.of(),
                snapshot.exchangeRates(), snapshot.unmanaged());
    }

    /**
     * The one transaction of the run: takes the database-wide run lock, checks that no other run committed
     * since this run read its state (else the run fails and the next one starts from the new state), writes
     * lifecycles, ledger entries, history, executions, breaks, accounts, rates, the projection (an adopted bot's
     * table) and the run's SUCCEEDED record, and commits them together.
     */
    public SyncRunSummary persist(Exchange exchange) throws SQLException {
        SyncRunContext run = exchange.getProperty(RUN_PROPERTY, SyncRunContext.class);
        Object body = exchange.getMessage().getBody();
        RunResult result = body instanceof RunResult r ? r : RunResult.EMPTY; // an empty split aggregates nothing
        Instant syncedAt = run.inputs().now();
        List<LifecycleWrite> writes = new ArrayList<>();
        int created = 0;
        for (InstrumentResult instrument : result.instruments()) {
            for (LifecycleWrite write : instrument.lifecycles()) {
                created += write.created() ? 1 : 0;
            }
        }
        int[] counts = result.lifecycleCounts();
        SyncCounts syncCounts = new SyncCounts(counts[0], counts[1], counts[2], counts[3] + run.unchangedUnread());
        FillCounts fills = result.fills();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                runs.lockForRun(connection);
                long committed = runs.committedRuns(connection);
                if (committed != run.committedRunsAtRead()) {
                    throw new IllegalStateException("another sync run committed while this run was reconciling;"
                            + " nothing was written, the next run starts from the new state");
                }
                long[] reserved = positions.reserveIds(connection, created);
                int next = 0;
                List<io.positionsync.store.ReconciliationBreak> raised = new ArrayList<>();
                Map<PositionKey, Set<BreakRef>> resolved = new HashMap<>();
                List<ExecutionRecord> executionRecords = new ArrayList<>();
                for (InstrumentResult instrument : result.instruments()) {
                    Map<Integer, Long> byRef = new HashMap<>();
                    for (LifecycleWrite write : instrument.lifecycles()) {
                        LifecycleWrite withId = write.created() ? write.withId(reserved[next++]) : write;
                        byRef.put(write.ref(), withId.row().id());
                        writes.add(withId);
                    }
                    executionRecords.addAll(instrument.executions());
                    for (BreakEvent event : instrument.breaks()) {
                        raised.add(io.positionsync.store.ReconciliationBreak.detected(run.runId(),
                                byRef.get(event.lifecycleRef()), instrument.key().account(), instrument.key().conId(),
                                symbolOf(instrument), currencyOf(instrument), event.ours(), event.broker(), breakTolerance,
                                syncedAt, event.note(), event.kind().name(), event.subject()));
                    }
                    if (!instrument.resolvedBreaks().isEmpty()) {
                        resolved.put(instrument.key(), instrument.resolvedBreaks());
                    }
                }
                positions.write(connection, run.runId(), writes, syncedAt);
                ledger.write(connection, run.runId(), writes);
                executions.upsert(connection, run.runId(), executionRecords);
                breaks.resolve(connection, run.runId(), resolved, syncedAt);
                breaks.record(connection, raised);
                breaks.resolveExecutionConflicts(connection, run.runId(), run.conflictsAgreeingAgain(), syncedAt);
                breaks.recordExecutionConflicts(connection, run.runId(), run.conflicts(), syncedAt);
                accounts.reported(connection, run.runId(), run.snapshot().accounts(), syncedAt);
                accounts.saveRates(connection, run.runId(), run.snapshot().exchangeRates());
                // After the service's rows, before the run is recorded: an adopted bot's table, same transaction.
                projection.project(connection, run.runId(), writes, syncedAt);
                runs.recordFills(connection, run.runId(), fills);
                Instant finishedAt = now();
                runs.finish(connection, run.runId(), SyncRunStatus.SUCCEEDED, syncCounts, null, run.brokerServerTime(),
                        finishedAt);
                connection.commit();
                logWarnings(run, result);
                for (ExecutionRepository.Conflict conflict : run.conflicts()) {
                    LOG.warn("run {}: EXECUTION_CONFLICT {} {}: {}", run.runId(), conflict.reported().account(),
                            conflict.reported().symbol(), conflict.describe());
                }
                return finished(run, SyncRunStatus.SUCCEEDED, syncCounts, null, finishedAt, fills);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, run);
                throw e;
            }
        }
    }

    /** Each warning once, after the commit (nothing is logged for a run that rolled back). */
    private static void logWarnings(SyncRunContext run, RunResult result) {
        for (InstrumentResult instrument : result.instruments()) {
            for (ReconcileWarning warning : instrument.warnings()) {
                LOG.warn("run {}: {} {} {}: {}", run.runId(), warning.reason(), warning.key().account(), warning.symbol(),
                        warning.detail());
            }
        }
    }

    private static String symbolOf(InstrumentResult instrument) {
        return instrument.lifecycles().isEmpty() ? null : instrument.lifecycles().get(0).row().symbol();
    }

    private static String currencyOf(InstrumentResult instrument) {
        return instrument.lifecycles().isEmpty() ? null : instrument.lifecycles().get(0).row().currency();
    }

    private static void rollbackQuietly(Connection connection, SyncRunContext run) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.warn("rollback of run {} failed: {}", run.runId(), describe(e));
        }
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
            LOG.warn("sync run {} FAILED ({}) in 0 ms: {}", runId, trigger, error);
            onFinished.accept(summary);
            return summary;
        }
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
        return finished(run, status, counts, error, finishedAt, FillCounts.NONE);
    }

    private SyncRunSummary finished(SyncRunContext run, SyncRunStatus status, SyncCounts counts, String error,
            Instant finishedAt, FillCounts fills) {
        SyncRunSummary summary = new SyncRunSummary(run.runId(), run.trigger(), status, counts.opened(), counts.updated(),
                counts.closed(), counts.unchanged(), run.startedAt(), finishedAt, error, fills);
        long millis = Duration.between(run.startedAt(), finishedAt).toMillis();
        if (error == null) {
            io.positionsync.ibkr.FailureRepeats.Decision ended = failureRepeats.succeeded();
            LOG.info("sync run {} {} ({}) in {} ms: {} opened, {} updated, {} closed, {} unchanged{}{}", run.runId(), status,
                    run.trigger(), millis, counts.opened(), counts.updated(), counts.closed(), counts.unchanged(),
                    leftOut(run.snapshot()),
                    ended.count() == 0 ? "" : " (after " + ended.count() + " failed run(s) since " + ended.since() + ")");
        } else {
            // A run that did not succeed is something to look at: WARN, so that it stands out and alerts can key on it.
            // The same failure again (a gateway that stays down) is said once, then counted.
            io.positionsync.ibkr.FailureRepeats.Decision repeat = failureRepeats.failed(error, "run " + run.runId(),
                    finishedAt);
            if (repeat.logFull()) {
                LOG.warn("sync run {} {} ({}) in {} ms: {}", run.runId(), status, run.trigger(), millis, error);
            } else if (repeat.logSummary()) {
                LOG.warn("sync run {} {} ({}) in {} ms: the same failure as {}, {} runs in a row since {} (next said at {})",
                        run.runId(), status, run.trigger(), millis, repeat.firstLabel(), repeat.count(), repeat.since(),
                        repeat.count() * 2);
            } else {
                LOG.debug("sync run {} {} ({}) in {} ms: {}", run.runId(), status, run.trigger(), millis, error);
            }
        }
        onFinished.accept(summary);
        return summary;
    }

    /**
     * {@code "; 2 rows of accounts outside managedAccounts left out (DU999: 1 position, 0 portfolio values,
     * 1 execution)"}, or nothing when the snapshot left none out.
     */
    static String leftOut(BrokerSnapshot snapshot) {
        if (snapshot == null || snapshot.unmanaged().isEmpty()) {
            return "";
        }
        int total = snapshot.unmanaged().total();
        return "; " + total + (total == 1 ? " row" : " rows") + " of accounts outside managedAccounts left out ("
                + snapshot.unmanaged() + ")";
    }

    /** The run's clock at PostgreSQL's precision, so a summary and its stored row show the same times. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
