package io.positionsync.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.positionsync.sync.LedgerRequest;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.ReportedState;
import io.positionsync.sync.StoredLedger;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.StoredState;

/**
 * Reads what a sync run starts from, on the caller's connection (one consistent read: the caller holds a
 * repeatable-read transaction across both reads). {@link #state} reads what every run needs; {@link #ledger} the
 * lifecycles and ledger entries of the keys the run found active. What the rows mean is decided in
 * {@code io.positionsync.sync.RunFacts}, never here.
 */
public final class RunStateRepository {
    private final PositionRepository positions;
    private final ExecutionRepository executions;
    private final BreakRepository breaks;
    private final LedgerRepository ledger;
    private final AccountRepository accounts;
    private final SyncRunRepository runs;

    public RunStateRepository(PositionRepository positions, ExecutionRepository executions, BreakRepository breaks,
            LedgerRepository ledger, AccountRepository accounts, SyncRunRepository runs) {
        this.positions = Objects.requireNonNull(positions, "positions");
        this.executions = Objects.requireNonNull(executions, "executions");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.accounts = Objects.requireNonNull(accounts, "accounts");
        this.runs = Objects.requireNonNull(runs, "runs");
    }

    /**
     * The stored state {@code reported} is sorted against: the committed runs (the read watermark), the open rows,
     * the accounts, the open breaks, every stored revision of the reported executions, the deferred executions and
     * the open execution conflicts.
     */
    public StoredState state(Connection connection, ReportedState reported) throws SQLException {
        return state(connection, reported, SyncRunRepository.DEFAULT_GATEWAY);
    }

    /**
     * As {@link #state(Connection, ReportedState)} for a run of {@code gateway}: the watermark counts that gateway's
     * committed runs (the only runs that write its accounts).
     */
    public StoredState state(Connection connection, ReportedState reported, String gateway) throws SQLException {
        long committed = runs.committedRuns(connection, gateway);
        return new StoredState(committed, positions.loadOpen(connection), accounts.firstSeen(connection),
                breaks.openRefs(connection), executions.findByBases(connection, reported.baseExecIds()),
                executions.notYetApplied(connection), breaks.openExecutionConflicts(connection));
    }

    /**
     * What {@code request} asks for: the entries of each active key's open lifecycle, of the lifecycles holding a
     * share of its touched executions or waiting for a commission, and of every lifecycle of the key from the
     * earliest of its facts and those lifecycles' openings on; with the rows of those that are not open.
     */
    public StoredLedger ledger(Connection connection, LedgerRequest request) throws SQLException {
        Set<Long> touched = new LinkedHashSet<>();
        touched.addAll(ledger.lifecyclesOf(connection, request.touchedExecIds()));
        touched.addAll(ledger.waitingLifecycles(connection, request.active()));
        Map<PositionKey, Instant> since = new HashMap<>(request.since());
        for (StoredPosition row : positions.findByIds(connection, touched).values()) {
            if (request.active().contains(row.key()) && row.openedAt() != null) {
                since.merge(row.key(), row.openedAt(), (a, b) -> b.isBefore(a) ? b : a);
            }
        }
        Set<Long> load = new LinkedHashSet<>(request.openIds());
        load.addAll(touched);
        load.addAll(positions.lifecyclesSince(connection, since));
        if (load.isEmpty()) {
            return StoredLedger.NONE; // nothing to load, as in an unchanged portfolio
        }
        Map<Long, List<io.positionsync.sync.LedgerEntry>> entries = ledger.entries(connection, load);
        Set<Long> others = new LinkedHashSet<>(load);
        others.removeAll(request.openIds());
        return new StoredLedger(entries, new ArrayList<>(positions.findByIds(connection, others).values()));
    }
}
