package io.positionsync.run;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.ibkr.BrokerException;
import io.positionsync.ibkr.BrokerGateway;
import io.positionsync.store.AccountRepository;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.GatewayAccounts;
import io.positionsync.store.GatewayOwners;
import io.positionsync.store.LedgerRepository;
import io.positionsync.store.PositionProjection;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.RunNotifier;
import io.positionsync.store.RunStateRepository;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.sync.AccountClaims;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.ExchangeRate;
import io.positionsync.sync.ExecutionConflict;
import io.positionsync.sync.ExecutionConflicts;
import io.positionsync.sync.FillCounts;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.ReconcileWarning;
import io.positionsync.sync.ReportedState;
import io.positionsync.sync.RunFacts;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.RunResult;
import io.positionsync.sync.RunWrites;
import io.positionsync.sync.SnapshotTransformer;
import io.positionsync.sync.StoredLedger;
import io.positionsync.sync.StoredState;
import io.positionsync.sync.SyncCounts;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * The steps of the sync route ({@code routes/sync.camel.yaml}) around the reconcile processor: record the
 * run, fetch the snapshot, read the stored state and sort the snapshot against it, persist every change in one
 * transaction, and record how the run ended. The run's state is the message body, one {@link RunState} record per
 * step; each method says which body it takes and which it returns. A run's position changes, its executions, its
 * breaks and its final {@code sync_runs} status commit together or not at all.
 */
public final class SyncRunSteps {
    /** Header naming the {@link SyncTrigger}. */
    public static final String TRIGGER_HEADER = "psyncTrigger";
    /** Header carrying an optional idempotency key of a manual trigger. */
    public static final String IDEMPOTENCY_HEADER = "psyncIdempotencyKey";
    /** Header naming the accounts a manual run is for (a collection of account codes; none: every account). */
    public static final String ACCOUNTS_HEADER = "psyncAccounts";
    /** Header naming the gateway the run syncs (none: the default gateway). */
    public static final String GATEWAY_HEADER = "psyncGateway";
    /** Exchange property holding the {@link SyncCoordinator.InFlightRun} to tell the run id as soon as it exists. */
    public static final String IN_FLIGHT_PROPERTY = "psyncInFlight";

    private static final Logger LOG = LoggerFactory.getLogger(SyncRunSteps.class);

    private final BrokerGateway gateway;
    /** The gateways besides the default one, by name. */
    private final Map<String, BrokerGateway> gateways = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Fencing fencing = Fencing.NONE;
    private final DataSource dataSource;
    private final PositionRepository positions;
    private final ExecutionRepository executions;
    private final SyncRunRepository runs;
    private final BreakRepository breaks;
    private final LedgerRepository ledger;
    private final AccountRepository accounts;
    private final GatewayAccounts gatewayAccounts;
    private final SnapshotTransformer transformer;
    private final RunStateRepository state;
    /** Failed runs in a row with the same failure: said once, then counted. */
    private final io.positionsync.ibkr.FailureRepeats failureRepeats = new io.positionsync.ibkr.FailureRepeats();
    private final BigDecimal breakTolerance;
    private final Clock clock;
    private final Consumer<SyncRunSummary> onFinished;
    private final PendingRunFailures pendingFailures;
    private final PositionProjection projection;
    private final RunNotifier notifier;

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
        this(gateway, dataSource, positions, executions, runs, breaks, transformer, breakTolerance, clock, onFinished,
                pendingFailures, projection, RunNotifier.NONE);
    }

    /** As above, and who is told of each committed run ({@code LISTEN}ers of the notifier's channel). */
    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, SnapshotTransformer transformer,
            BigDecimal breakTolerance, Clock clock, Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures,
            PositionProjection projection, RunNotifier notifier) {
        this(gateway, dataSource, positions, executions, runs, breaks, new LedgerRepository(positions.writeChunkSize()),
                new AccountRepository(dataSource), transformer, breakTolerance, clock, onFinished, pendingFailures,
                projection, notifier);
    }

    /** Every part given; {@code pendingFailures} may be null (failures the database cannot record are then only logged). */
    public SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, LedgerRepository ledger,
            AccountRepository accounts, SnapshotTransformer transformer, BigDecimal breakTolerance, Clock clock,
            Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures) {
        this(gateway, dataSource, positions, executions, runs, breaks, ledger, accounts, transformer, breakTolerance,
                clock, onFinished, pendingFailures, PositionProjection.NONE, RunNotifier.NONE);
    }

    private SyncRunSteps(BrokerGateway gateway, DataSource dataSource, PositionRepository positions,
            ExecutionRepository executions, SyncRunRepository runs, BreakRepository breaks, LedgerRepository ledger,
            AccountRepository accounts, SnapshotTransformer transformer, BigDecimal breakTolerance, Clock clock,
            Consumer<SyncRunSummary> onFinished, PendingRunFailures pendingFailures, PositionProjection projection,
            RunNotifier notifier) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.positions = Objects.requireNonNull(positions, "positions");
        this.executions = Objects.requireNonNull(executions, "executions");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.accounts = Objects.requireNonNull(accounts, "accounts");
        this.gatewayAccounts = new GatewayAccounts(dataSource);
        this.transformer = Objects.requireNonNull(transformer, "transformer");
        this.state = new RunStateRepository(positions, executions, breaks, ledger, accounts, runs);
        this.breakTolerance = Objects.requireNonNull(breakTolerance, "breakTolerance");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.onFinished = onFinished == null ? summary -> { } : onFinished;
        this.pendingFailures = pendingFailures;
        this.projection = Objects.requireNonNull(projection, "projection");
        this.notifier = Objects.requireNonNull(notifier, "notifier");
    }

    /**
     * The ownership epoch a run of a gateway begins under, and the instance that runs it. {@link #NONE}: no cluster
     * service, runs are not fenced (a single instance owns every gateway).
     */
    public interface Fencing {
        Fencing NONE = gateway -> 0;

        /**
         * The epoch under which this instance owns {@code gateway} now (0: runs are not fenced).
         *
         * @throws IllegalStateException when this instance does not own it
         */
        long epochOf(String gateway);

        /** This instance's name, said when a run is fenced. */
        default String instance() {
            return "this instance";
        }

        /**
         * The database found {@code gateway}'s epoch moved past {@code epoch}: another instance took it over, whatever
         * this instance's cluster service says yet.
         */
        default void fenced(String gateway, long epoch) {
        }
    }

    /** Adds a gateway besides the default one; runs name it in the {@value #GATEWAY_HEADER} header. */
    public void addGateway(String name, BrokerGateway broker) {
        gateways.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(broker, "broker"));
    }

    /** Runs begin under the epoch {@code fencing} gives and commit only while it holds (see {@code GatewayOwners}). */
    public void fencing(Fencing fencing) {
        this.fencing = Objects.requireNonNull(fencing, "fencing");
    }

    private BrokerGateway gateway(String name) {
        BrokerGateway named = gateways.get(name);
        if (named == null && RunState.Started.DEFAULT_GATEWAY.equals(name)) {
            return gateway;
        }
        if (named == null) {
            throw new IllegalStateException("no gateway named " + name + " is configured");
        }
        return named;
    }

    /**
     * Records the run of the gateway the {@value #GATEWAY_HEADER} header names (none: the default gateway) as RUNNING
     * (committed at once, so a crash leaves a trace), under the epoch this instance owns it by, and tells the
     * trigger its id.
     * Body: nothing -> {@link RunState.Started}.
     */
    public RunState.Started begin(@Header(TRIGGER_HEADER) SyncTrigger trigger,
            @Header(IDEMPOTENCY_HEADER) String idempotencyKey,
            @ExchangeProperty(IN_FLIGHT_PROPERTY) SyncCoordinator.InFlightRun inFlight,
            @Header(GATEWAY_HEADER) String gatewayName) throws SQLException {
        SyncTrigger cause = trigger == null ? SyncTrigger.MANUAL : trigger;
        String name = gatewayName == null ? RunState.Started.DEFAULT_GATEWAY : gatewayName;
        gateway(name); // a gateway nobody configured fails the run before it is recorded
        long epoch = fencing.epochOf(name);
        List<String> scope = inFlight == null ? List.of() : List.copyOf(inFlight.accounts());
        Instant startedAt = now();
        long runId;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            runId = runs.insertStarted(connection, cause, startedAt, idempotencyKey, scope.isEmpty() ? null : scope,
                    name, epoch);
        } catch (GatewayOwners.FencedException e) {
            fencing.fenced(name, epoch);
            throw e;
        }
        if (pendingFailures != null) {
            pendingFailures.flush(); // the database answers again: earlier failures first
        }
        if (inFlight != null) {
            inFlight.started(runId);
        }
        LOG.debug("sync run {} started ({}, {})", runId, cause, SyncCoordinator.describe(Set.copyOf(scope)));
        return new RunState.Started(runId, cause, startedAt, idempotencyKey, scope, name, epoch);
    }

    /**
     * Takes the broker snapshot, of the run's accounts only when it is scoped (complete for each of them and
     * holding nothing of any other, so the run cannot touch another account); a gateway that cannot be reached at
     * all fails the run. Body: {@link RunState.Started} -> {@link RunState.Fetched}.
     */
    public RunState.Fetched fetchSnapshot(RunState.Started run) throws BrokerException {
        BrokerGateway broker = gateway(run.gateway());
        BrokerSnapshot snapshot = run.scoped() ? broker.snapshot(new LinkedHashSet<>(run.accounts())) : broker.snapshot();
        if (run.scoped() && snapshot.complete() && !run.accounts().containsAll(snapshot.accounts())) {
            // A scoped snapshot never speaks for other accounts: closing their positions would be the worst mistake.
            throw new IllegalStateException("the snapshot of " + run.accounts() + " names other accounts too: "
                    + snapshot.accounts());
        }
        return new RunState.Fetched(run, snapshot);
    }

    /**
     * An incomplete snapshot: nothing is opened, changed or closed; the run says why.
     * Body: {@link RunState.Fetched} -> {@link SyncRunSummary}.
     */
    public SyncRunSummary skipIncomplete(RunState.Fetched fetched) throws SQLException {
        String reason = "incomplete snapshot: " + fetched.snapshot().incompleteReason();
        Instant finishedAt = now();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            runs.finish(connection, fetched.run().runId(), SyncRunStatus.SKIPPED_INCOMPLETE, SyncCounts.NONE, reason,
                    fetched.brokerServerTime(), finishedAt);
        }
        return finished(fetched, SyncRunStatus.SKIPPED_INCOMPLETE, SyncCounts.NONE, reason, finishedAt);
    }

    /**
     * Claims the snapshot's accounts for the run's gateway ({@link GatewayAccounts}, a short transaction of its own):
     * an account another gateway reports too is left out of the run as if the snapshot did not hold it (nothing of it
     * is opened, changed or closed; its stored rows stay as they are) and is an {@code ACCOUNT_CONFLICT} break until
     * one of them no longer reports it. Then reads the stored state the run needs in one consistent read (no lock
     * held: a long split never blocks another process) and sorts the snapshot against it ({@link RunFacts}): the
     * {@link InstrumentFacts} of every instrument reconcile must see, in chunks for the split. An instrument reconcile
     * could only leave as stored is counted, not handed on (unless an adopted bot's table is projected: it is given
     * every lifecycle of the run). Before the stored state is read the exchange lets go of the snapshot's messages,
     * keeping its accounts and rates (what persisting reads). Body: {@link RunState.Fetched} -> {@link RunState.Prepared}.
     */
    public RunState.Prepared prepare(Exchange exchange) throws SQLException {
        RunState.Fetched fetched = exchange.getMessage().getBody(RunState.Fetched.class);
        RunState.Started started = fetched.run();
        AccountClaims claims = gatewayAccounts.claim(started.gateway(), started.runId(), fetched.snapshot().accounts(),
                !started.scoped(), now());
        if (!claims.leftOut().isEmpty()) {
            fetched = new RunState.Fetched(started, fetched.snapshot().without(claims.leftOut()));
            exchange.getMessage().setBody(fetched);
        }
        BrokerSnapshot snapshot = fetched.snapshot();
        ReportedState reported = ReportedState.of(snapshot, transformer);
        Map<String, Map<String, BigDecimal>> rates = rates(snapshot);
        if (projection != PositionProjection.NONE) {
            Map<Long, String> localSymbols = new HashMap<>();
            snapshot.positions().forEach(p -> {
                if (p.localSymbol() != null && !p.localSymbol().isBlank()) {
                    localSymbols.put(p.conId(), p.localSymbol());
                }
            });
            projection.reported(localSymbols);
        }
        // From here on the exchange holds only what persisting reads of the snapshot: its messages can be collected
        // while the stored state is read.
        fetched = fetched.withoutInstruments();
        exchange.getMessage().setBody(fetched);
        snapshot = null;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            connection.setReadOnly(true);
            try {
                StoredState stored = state.state(connection, reported, fetched.run().gateway());
                RunFacts facts = RunFacts.classify(reported, stored, breakTolerance, projection == PositionProjection.NONE);
                StoredLedger ledger = state.ledger(connection, facts.ledgerRequest());
                RunInputs inputs = new RunInputs(fetched.run().runId(), now(), breakTolerance, rates);
                return new RunState.Prepared(fetched.run(), fetched.snapshot(), inputs,
                        new InstrumentChunks(facts.instruments(ledger)), facts.unchanged(), stored.committedRuns(),
                        facts.conflicts(), claims);
            } finally {
                connection.rollback();
                connection.setReadOnly(false);
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
        }
    }

    /** The snapshot's exchange rates: account -> currency -> base currency per unit (BASE itself excluded). */
    static Map<String, Map<String, BigDecimal>> rates(BrokerSnapshot snapshot) {
        Map<String, Map<String, BigDecimal>> rates = new TreeMap<>();
        for (ExchangeRate rate : snapshot.exchangeRates()) {
            if (!"BASE".equals(rate.currency())) {
                rates.computeIfAbsent(rate.account(), a -> new TreeMap<>()).put(rate.currency(), rate.rate());
            }
        }
        return rates;
    }

    /**
     * The one transaction of the run: takes the database-wide run lock, checks that no other run committed
     * since this run read its state (else the run fails and the next one starts from the new state), writes
     * lifecycles, ledger entries, history, executions, breaks, accounts, rates, the projection (an adopted bot's
     * table), the run's SUCCEEDED record and its notification ({@link RunNotifier}), and commits them together.
     * Body: {@link RunState.Reconciled} -> {@link SyncRunSummary}.
     */
    public SyncRunSummary persist(RunState.Reconciled run) throws SQLException {
        RunState.Prepared prepared = run.prepared();
        RunResult result = run.result();
        long runId = run.run().runId();
        Instant syncedAt = prepared.inputs().now();
        SyncCounts counts = result.counts(prepared.unchanged());
        FillCounts fills = result.fills();
        ExecutionConflicts conflicts = prepared.conflicts();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                String gatewayName = run.run().gateway();
                runs.lockForRun(connection, gatewayName);
                if (run.run().fenced()) {
                    // Still the gateway's owner? Held shared until commit: a takeover waits for this commit.
                    try {
                        GatewayOwners.checkEpoch(connection, gatewayName, run.run().epoch(), fencing.instance());
                    } catch (GatewayOwners.FencedException e) {
                        fencing.fenced(gatewayName, run.run().epoch());
                        throw e;
                    }
                }
                long committed = runs.committedRuns(connection, gatewayName);
                if (committed != prepared.readWatermark()) {
                    throw new IllegalStateException("another sync run committed while this run was reconciling;"
                            + " nothing was written, the next run starts from the new state");
                }
                RunWrites writes = result.writes(prepared.inputs(), positions.reserveIds(connection, result.created()));
                positions.write(connection, runId, writes.lifecycles(), syncedAt);
                ledger.write(connection, runId, writes.lifecycles());
                executions.upsert(connection, runId, writes.executions());
                breaks.resolve(connection, runId, writes.resolved(), syncedAt);
                breaks.record(connection, writes.raised());
                breaks.resolveExecutionConflicts(connection, runId, conflicts.agreeingAgain(), syncedAt);
                breaks.recordExecutionConflicts(connection, runId, conflicts.raised(), syncedAt);
                AccountClaims claims = prepared.claims();
                Set<String> accountConflictsResolved = breaks.resolveAccountConflicts(connection, runId,
                        claims.resolvedAmong(prepared.snapshot().accounts()), syncedAt);
                Set<String> accountConflictsRaised = breaks.recordAccountConflicts(connection, runId, claims.conflicts(),
                        syncedAt);
                accounts.reported(connection, runId, prepared.snapshot().accounts(), syncedAt);
                accounts.saveRates(connection, runId, prepared.snapshot().exchangeRates());
                // After the service's rows, before the run is recorded: an adopted bot's table, same transaction.
                projection.project(connection, runId, writes.lifecycles(), syncedAt);
                runs.recordFills(connection, runId, fills);
                Instant finishedAt = now();
                runs.finish(connection, runId, SyncRunStatus.SUCCEEDED, counts, null, run.brokerServerTime(), finishedAt);
                // Last, in the same transaction: PostgreSQL delivers it at commit, after the rows are visible, and
                // drops it if the run rolls back.
                notifier.notify(connection, runId, run.run().trigger(), syncedAt, prepared.snapshot().accounts(),
                        writes.lifecycles());
                connection.commit();
                logWarnings(runId, result);
                for (ExecutionConflict conflict : conflicts.raised()) {
                    LOG.warn("run {}: EXECUTION_CONFLICT {} {}: {}", runId, conflict.reported().account(),
                            conflict.reported().symbol(), conflict.describe());
                }
                for (AccountClaims.Conflict conflict : claims.conflicts()) {
                    if (accountConflictsRaised.contains(conflict.account())) {
                        LOG.warn("run {}: ACCOUNT_CONFLICT {}: {}", runId, conflict.account(), conflict.note());
                    }
                }
                for (String account : accountConflictsResolved) {
                    LOG.info("run {}: ACCOUNT_CONFLICT {} resolved: no other gateway reports it now", runId, account);
                }
                return finished(run, SyncRunStatus.SUCCEEDED, counts, null, finishedAt, fills);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, runId);
                throw e;
            }
        }
    }

    /** Each warning once, after the commit (nothing is logged for a run that rolled back). */
    private static void logWarnings(long runId, RunResult result) {
        for (InstrumentResult instrument : result.instruments()) {
            for (ReconcileWarning warning : instrument.warnings()) {
                LOG.warn("run {}: {} {} {}: {}", runId, warning.reason(), warning.key().account(), warning.symbol(),
                        warning.detail());
            }
        }
    }

    private static void rollbackQuietly(Connection connection, long runId) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.warn("rollback of run {} failed: {}", runId, describe(e));
        }
    }

    /**
     * The route's error handler: rolls the run's transaction back (nothing half-written) and records the run
     * as FAILED with its reason in a transaction of its own. Body: the {@link RunState} of the step that failed
     * (nothing when the run could not even be recorded) -> {@link SyncRunSummary}.
     */
    public SyncRunSummary fail(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = describe(cause);
        RunState run = exchange.getMessage().getBody() instanceof RunState state ? state : null;
        Instant now = now();
        if (run == null && cause instanceof GatewayOwners.FencedException) {
            // This instance lost the gateway before the run began: the owner runs it; nothing to record here.
            SyncTrigger trigger = exchange.getMessage().getHeader(TRIGGER_HEADER, SyncTrigger.MANUAL, SyncTrigger.class);
            LOG.debug("sync run not started ({}): {}", trigger, error);
            // Not a run: neither statistics nor failure streaks count it.
            return new SyncRunSummary(0, trigger, SyncRunStatus.FAILED, 0, 0, 0, 0, now, now, error);
        }
        if (run == null) {
            // Failed before the run could be recorded (e.g. the database is down): try once more to leave a trace.
            SyncTrigger trigger = exchange.getMessage().getHeader(TRIGGER_HEADER, SyncTrigger.MANUAL, SyncTrigger.class);
            long runId = 0;
            try {
                runId = runs.recordFailed(dataSource, trigger, now, exchange.getMessage().getHeader(IDEMPOTENCY_HEADER, String.class),
                        error, null, now, exchange.getMessage().getHeader(GATEWAY_HEADER, RunState.Started.DEFAULT_GATEWAY,
                                String.class));
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
            runs.finish(connection, run.run().runId(), SyncRunStatus.FAILED, SyncCounts.NONE, error,
                    run.brokerServerTime(), now);
        } catch (SyncRunRepository.NotRunningException e) {
            // The gateway's new owner ended it when it took over (superseded): that record stands.
            LOG.info("sync run {} was ended when gateway {} was taken over; it failed here with: {}", run.run().runId(),
                    run.run().gateway(), error);
        } catch (SQLException | RuntimeException e) {
            LOG.error("sync run {} failed and its failure could not be recorded: {}", run.run().runId(), describe(e));
            if (pendingFailures != null) {
                // Written when the database answers again, so the row does not stay RUNNING.
                RunState.Started started = run.run();
                pendingFailures.add(new PendingRunFailures.Pending(started.runId(), started.trigger(),
                        started.idempotencyKey(), started.startedAt(), error, run.brokerServerTime(), now));
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

    private SyncRunSummary finished(RunState run, SyncRunStatus status, SyncCounts counts, String error,
            Instant finishedAt) {
        return finished(run, status, counts, error, finishedAt, FillCounts.NONE);
    }

    private SyncRunSummary finished(RunState state, SyncRunStatus status, SyncCounts counts, String error,
            Instant finishedAt, FillCounts fills) {
        RunState.Started run = state.run();
        SyncRunSummary summary = new SyncRunSummary(run.runId(), run.trigger(), status, counts.opened(), counts.updated(),
                counts.closed(), counts.unchanged(), run.startedAt(), finishedAt, error, fills, run.accounts());
        long millis = Duration.between(run.startedAt(), finishedAt).toMillis();
        if (error == null) {
            io.positionsync.ibkr.FailureRepeats.Decision ended = failureRepeats.succeeded();
            LOG.info("sync run {} {} ({}{}{}) in {} ms: {} opened, {} updated, {} closed, {} unchanged{}{}", run.runId(),
                    status, run.trigger(), gatewayLabel(run), run.scoped() ? " of " + String.join(",", run.accounts()) : "", millis, counts.opened(), counts.updated(), counts.closed(), counts.unchanged(),
                    leftOut(state.snapshot()) + contested(state),
                    ended.count() == 0 ? "" : " (after " + ended.count() + " failed run(s) since " + ended.since() + ")");
        } else {
            // A run that did not succeed is something to look at: WARN, so that it stands out and alerts can key on it.
            // The same failure again (a gateway that stays down) is said once, then counted.
            io.positionsync.ibkr.FailureRepeats.Decision repeat = failureRepeats.failed(error, "run " + run.runId(),
                    finishedAt);
            if (repeat.logFull()) {
                LOG.warn("sync run {} {} ({}{}) in {} ms: {}", run.runId(), status, run.trigger(), gatewayLabel(run), millis,
                        error);
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

    /** {@code ", gateway g1"} for a run of a named gateway; nothing for the default one (one gateway: as before). */
    private static String gatewayLabel(RunState.Started run) {
        return RunState.Started.DEFAULT_GATEWAY.equals(run.gateway()) ? "" : ", gateway " + run.gateway();
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

    /**
     * {@code "; 1 account reported by another gateway too left out (ACCOUNT_CONFLICT): DU1 (also reported by gateway
     * g2)"}, or nothing when the run left none out.
     */
    static String contested(RunState state) {
        if (!(state instanceof RunState.AfterPrepare after) || after.prepared().claims().leftOut().isEmpty()) {
            return "";
        }
        AccountClaims claims = after.prepared().claims();
        int count = claims.leftOut().size();
        return "; " + count + (count == 1 ? " account" : " accounts") + " reported by another gateway too left out "
                + "(ACCOUNT_CONFLICT): " + claims.describe();
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
