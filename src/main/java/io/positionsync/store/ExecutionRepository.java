package io.positionsync.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.ExecIds;
import io.positionsync.sync.ExecutionRecord;
import io.positionsync.sync.ExecutionState;
import io.positionsync.sync.StoredExecution;

/**
 * The {@code executions} table: every fill stored once by execId, whatever how often a snapshot replays
 * it; corrections recorded as new rows that supersede the old; the run that applied a fill (so a later run
 * never applies it, or a correction of it, again). Writes take the sync run's connection.
 */
public final class ExecutionRepository {
    /** Oldest first, as the reconcile matches them. */
    public static final Comparator<StoredExecution> EXECUTION_ORDER = Comparator
            .comparing((StoredExecution e) -> e.execution().time(), Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(StoredExecution::execId);

    static final String COLUMNS = "exec_id, account, con_id, symbol, sec_type, side, shares, price, exec_time, "
            + "order_id, perm_id, commission, commission_currency, ib_realized_pnl, first_seen_run_id, applied_run_id, "
            + "superseded_by, state, currency, multiplier";

    /**
     * New fills are inserted; a fill seen before only gains what it lacked (its commission report) and moves
     * forward from SEEN (applied, or covered by an opening balance), never back: a replay writes nothing. The
     * WHERE of the conflict branch makes "nothing new" a no-op, and {@code xmax = 0} tells inserted rows from
     * updated ones without a second query. The rows {@code u} come from {@code unnest} of array parameters or,
     * for more than one statement's worth, from a temporary table filled by COPY ({@link #UPSERT_COLUMNS} order).
     */
    private static final String UPSERT_FROM = """
            WITH written AS (
                INSERT INTO executions (exec_id, base_exec_id, account, con_id, symbol, sec_type, side, shares, price,
                                        exec_time, order_id, perm_id, commission, commission_currency, ib_realized_pnl,
                                        first_seen_run_id, applied_run_id, state, currency, multiplier)
                SELECT u.exec_id, u.base_exec_id, u.account, u.con_id, u.symbol, u.sec_type, u.side, u.shares, u.price,
                       u.exec_time, u.order_id, u.perm_id, u.commission, u.commission_currency, u.ib_realized_pnl,
                       ?, CASE WHEN u.state = 'APPLIED' THEN ?::bigint END, u.state, u.currency, u.multiplier
                FROM %s
                ON CONFLICT (exec_id) DO UPDATE SET
                    commission = coalesce(executions.commission, excluded.commission),
                    commission_currency = coalesce(executions.commission_currency, excluded.commission_currency),
                    ib_realized_pnl = coalesce(executions.ib_realized_pnl, excluded.ib_realized_pnl),
                    applied_run_id = coalesce(executions.applied_run_id, excluded.applied_run_id),
                    state = CASE WHEN executions.state = 'SEEN' THEN excluded.state ELSE executions.state END
                WHERE (executions.commission IS NULL AND excluded.commission IS NOT NULL)
                   OR (executions.ib_realized_pnl IS NULL AND excluded.ib_realized_pnl IS NOT NULL)
                   OR (executions.state = 'SEEN' AND excluded.state <> 'SEEN')
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted) FROM written
            """;

    private static final String UPSERT_COLUMNS = "exec_id, base_exec_id, account, con_id, symbol, sec_type, side, "
            + "shares, price, exec_time, order_id, perm_id, commission, commission_currency, ib_realized_pnl, state, "
            + "currency, multiplier";

    private static final String UPSERT = UPSERT_FROM.formatted("""
            unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::numeric[],
                   ?::numeric[], ?::timestamptz[], ?::bigint[], ?::bigint[], ?::numeric[], ?::text[],
                   ?::numeric[], ?::text[], ?::text[], ?::numeric[])
                AS u(%s)""".formatted(UPSERT_COLUMNS));

    /**
     * The temporary table a large upsert reads ({@code ON COMMIT DROP}: it never outlives the run's transaction,
     * and is dropped as soon as the upsert has read it, so one transaction may upsert more than once). No WAL, no
     * index: COPY fills it at the speed of the input functions.
     */
    private static final String INCOMING = "executions_incoming";
    private static final String CREATE_INCOMING = "CREATE TEMPORARY TABLE " + INCOMING + " (exec_id text, "
            + "base_exec_id text, account text, con_id bigint, symbol text, sec_type text, side text, shares numeric, "
            + "price numeric, exec_time timestamptz, order_id bigint, perm_id bigint, commission numeric, "
            + "commission_currency text, ib_realized_pnl numeric, state text, currency text, multiplier numeric) "
            + "ON COMMIT DROP";
    private static final String UPSERT_INCOMING = UPSERT_FROM.formatted(INCOMING + " u");
    private static final int UPSERT_COLUMN_COUNT = 18;

    /** The first correction wins the pointer; a replayed older correction changes nothing. */
    private static final String SUPERSEDE = """
            UPDATE executions e SET superseded_by = c.exec_id, state = 'SUPERSEDED'
            FROM unnest(?::text[], ?::text[]) AS c(exec_id, supersedes)
            WHERE e.exec_id = c.supersedes AND e.superseded_by IS NULL AND e.exec_id <> c.exec_id
            """;

    /**
     * One index probe per base id (a day's snapshot holds tens of thousands), never a scan of the whole table: with
     * {@code base_exec_id = ANY (?)} the planner scans {@code executions}, whose every day adds as many rows, until
     * the table is many times larger than the probes would cost (1.1 million rows: 205 ms scanned, 53 ms probed,
     * for 55 000 base ids). {@code OFFSET 0} keeps the lookup a per-id subquery the planner cannot turn into a join.
     */
    private static final String BY_BASES = "SELECT e.* FROM unnest(?::text[]) AS b(base_exec_id)"
            + " CROSS JOIN LATERAL (SELECT " + COLUMNS + " FROM executions x"
            + " WHERE x.base_exec_id = b.base_exec_id OFFSET 0) e";

    private final DataSource dataSource;
    private final int writeChunkSize;

    /**
     * @param dataSource     pool for the read queries
     * @param writeChunkSize rows per set-based write statement ({@code psync.db.write-chunk-size})
     */
    public ExecutionRepository(DataSource dataSource, int writeChunkSize) {
        if (writeChunkSize < 1) {
            throw new IllegalArgumentException("writeChunkSize must be at least 1, was " + writeChunkSize);
        }
        this.dataSource = dataSource;
        this.writeChunkSize = writeChunkSize;
    }

    /**
     * Stores a run's executions in the caller's transaction: each execId once (a replay inserts nothing),
     * a commission report that arrived late is added, {@code applied} records are marked with {@code runId}
     * (never re-marked by a later run), and a correction marks the row it supersedes.
     *
     * @return how many executions were new
     */
    public int upsert(Connection connection, long runId, List<ExecutionRecord> records) throws SQLException {
        Collection<ExecutionRecord> unique = merge(records);
        int inserted = 0;
        if (unique.size() > writeChunkSize && !connection.getAutoCommit()) {
            inserted = upsertCopied(connection, runId, unique);
        } else {
            ArrayColumns rows = new ArrayColumns(UPSERT_COLUMN_COUNT, Math.min(writeChunkSize, unique.size()));
            try (PreparedStatement statement = connection.prepareStatement(UPSERT)) {
                for (ExecutionRecord record : unique) {
                    rows.add(upsertRow(record));
                    if (rows.rows() == writeChunkSize) {
                        inserted += runUpsert(connection, statement, rows, runId);
                    }
                }
                if (!rows.isEmpty()) {
                    inserted += runUpsert(connection, statement, rows, runId);
                }
            }
        }
        supersede(connection, unique);
        return inserted;
    }

    /**
     * More rows than one statement takes: streamed by COPY into {@link #INCOMING}, then one set-based upsert from
     * it (one statement and one plan instead of one per chunk, no array literals built or parsed). Only inside a
     * transaction, which the temporary table does not outlive.
     */
    private static int upsertCopied(Connection connection, long runId, Collection<ExecutionRecord> unique)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(CREATE_INCOMING);
        }
        CopyRows.copy(connection, INCOMING, UPSERT_COLUMNS,
                () -> unique.stream().map(ExecutionRepository::upsertRow).iterator());
        int inserted;
        try (PreparedStatement statement = connection.prepareStatement(UPSERT_INCOMING)) {
            statement.setLong(1, runId);
            statement.setLong(2, runId);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                inserted = result.getInt(1);
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE " + INCOMING);
        }
        return inserted;
    }

    /** One record's values in {@link #UPSERT_COLUMNS} order. */
    private static Object[] upsertRow(ExecutionRecord record) {
        BrokerExecution e = record.execution();
        return new Object[] {e.execId(), ExecIds.base(e.execId()), e.account(), e.conId(), e.symbol(), e.secType(),
            e.side(), e.shares(), e.price(), e.time(), e.orderId(), e.permId(), e.commission(), e.commissionCurrency(),
            e.realizedPnl(), record.state(), e.currency(), e.multiplier()};
    }

    private int runUpsert(Connection connection, PreparedStatement statement, ArrayColumns rows, long runId)
            throws SQLException {
        statement.setLong(1, runId);
        statement.setLong(2, runId);
        rows.bind(connection, statement, 3);
        rows.clear();
        try (ResultSet result = statement.executeQuery()) {
            result.next();
            return result.getInt(1);
        }
    }

    private void supersede(Connection connection, Collection<ExecutionRecord> records) throws SQLException {
        ArrayColumns rows = new ArrayColumns(2, writeChunkSize);
        try (PreparedStatement statement = connection.prepareStatement(SUPERSEDE)) {
            for (ExecutionRecord record : records) {
                if (record.supersedesExecId() == null) {
                    continue;
                }
                rows.add(record.execution().execId(), record.supersedesExecId());
                if (rows.rows() == writeChunkSize) {
                    rows.bind(connection, statement, 1);
                    statement.executeUpdate();
                    rows.clear();
                }
            }
            if (!rows.isEmpty()) {
                rows.bind(connection, statement, 1);
                statement.executeUpdate();
            }
        }
    }

    /** One record per execId: the furthest state any copy has, with the commission report if any copy has it. */
    private static Collection<ExecutionRecord> merge(List<ExecutionRecord> records) {
        Map<String, ExecutionRecord> byId = new LinkedHashMap<>();
        for (ExecutionRecord record : records) {
            byId.merge(record.execution().execId(), record, (a, b) -> new ExecutionRecord(
                    a.execution().commission() != null ? a.execution() : b.execution(),
                    a.supersedesExecId() != null ? a.supersedesExecId() : b.supersedesExecId(),
                    a.state().compareTo(b.state()) >= 0 ? a.state() : b.state()));
        }
        return byId.values();
    }

    /**
     * Every stored revision of the executions with these base ids (the fills of a snapshot and the rows they
     * replay, correct or complete), by execId.
     */
    public Map<String, StoredExecution> findByBases(Connection connection, Collection<String> baseExecIds)
            throws SQLException {
        return query(connection, BY_BASES, baseExecIds);
    }

    /** Executions stored but not applied yet (deferred), by execId. */
    public Map<String, StoredExecution> notYetApplied(Connection connection) throws SQLException {
        return query(connection, "SELECT " + COLUMNS + " FROM executions WHERE state = 'SEEN'", null);
    }

    /** {@code ids} binds the statement's one array parameter; {@code null} for a statement without one. */
    private static Map<String, StoredExecution> query(Connection connection, String sql, Collection<String> ids)
            throws SQLException {
        Map<String, StoredExecution> found = new LinkedHashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            if (ids != null) {
                statement.setArray(1, connection.createArrayOf("text", ids.toArray(new String[0])));
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    StoredExecution execution = execution(rows);
                    found.put(execution.execId(), execution);
                }
            }
        }
        return found;
    }

    /** Those of {@code execIds} that are stored. */
    public Set<String> knownExecIds(Connection connection, Collection<String> execIds) throws SQLException {
        return findByExecIds(connection, execIds).keySet();
    }

    /**
     * Those of {@code execIds} that must not be applied again: the fill itself, or another revision of it
     * (the execution it corrects, or a correction of it), was already applied by a run.
     */
    public Set<String> appliedExecIds(Connection connection, Collection<String> execIds) throws SQLException {
        return revisionsStored(connection, execIds, " AND e.applied_run_id IS NOT NULL");
    }

    /**
     * Those of {@code execIds} that an earlier (committed, hence successful) run already stored: the fill itself
     * or another revision of it (same base id, so a correction of a stored fill counts as seen).
     */
    public Set<String> seenExecIds(Connection connection, Collection<String> execIds) throws SQLException {
        return revisionsStored(connection, execIds, "");
    }

    /** {@code condition} is a fixed SQL fragment on {@code e}, never caller input. */
    private static Set<String> revisionsStored(Connection connection, Collection<String> execIds, String condition)
            throws SQLException {
        Set<String> found = new HashSet<>();
        if (execIds.isEmpty()) {
            return found;
        }
        List<String> ids = List.copyOf(new HashSet<>(execIds));
        List<String> bases = ids.stream().map(ExecIds::base).toList();
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT q.exec_id FROM unnest(?::text[], ?::text[]) AS q(exec_id, base_exec_id)
                WHERE EXISTS (SELECT 1 FROM executions e WHERE e.base_exec_id = q.base_exec_id%s)
                """.formatted(condition))) {
            statement.setArray(1, connection.createArrayOf("text", ids.toArray(new String[0])));
            statement.setArray(2, connection.createArrayOf("text", bases.toArray(new String[0])));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    found.add(rows.getString(1));
                }
            }
        }
        return found;
    }

    /** The stored rows of {@code execIds}, by execId (unknown ids are absent). */
    public Map<String, StoredExecution> findByExecIds(Connection connection, Collection<String> execIds)
            throws SQLException {
        Map<String, StoredExecution> found = new HashMap<>();
        if (execIds.isEmpty()) {
            return found;
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM executions WHERE exec_id = ANY (?)")) {
            Array ids = connection.createArrayOf("text", execIds.toArray(new String[0]));
            statement.setArray(1, ids);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    StoredExecution execution = execution(rows);
                    found.put(execution.execId(), execution);
                }
            }
        }
        return found;
    }

    /**
     * Executions since {@code since} that no run applied, that are not superseded and whose other revisions
     * were not applied either: the fills still available to explain a reduction.
     */
    public List<StoredExecution> unappliedSince(Connection connection, Instant since) throws SQLException {
        List<StoredExecution> found = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT " + COLUMNS + " FROM executions e"
                + " WHERE e.exec_time >= ? AND e.applied_run_id IS NULL AND e.superseded_by IS NULL"
                + " AND NOT EXISTS (SELECT 1 FROM executions a"
                + "                 WHERE a.base_exec_id = e.base_exec_id AND a.applied_run_id IS NOT NULL)"
                + " ORDER BY e.exec_time, e.exec_id")) {
            Jdbc.setInstant(statement, 1, since);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    found.add(execution(rows));
                }
            }
        }
        return found;
    }

    /** Executions of one contract in {@code [from, to)} (either bound may be null), oldest first. */
    public List<StoredExecution> forContract(String account, long conId, Instant from, Instant to) throws SQLException {
        List<StoredExecution> found = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("SELECT " + COLUMNS + " FROM executions"
                        + " WHERE account = ? AND con_id = ?"
                        + " AND (?::timestamptz IS NULL OR exec_time >= ?) AND (?::timestamptz IS NULL OR exec_time < ?)"
                        + " ORDER BY exec_time, exec_id")) {
            statement.setString(1, account);
            statement.setLong(2, conId);
            Jdbc.setInstant(statement, 3, from);
            Jdbc.setInstant(statement, 4, from);
            Jdbc.setInstant(statement, 5, to);
            Jdbc.setInstant(statement, 6, to);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    found.add(execution(rows));
                }
            }
        }
        return found;
    }

    static StoredExecution execution(ResultSet rows) throws SQLException {
        BrokerExecution execution = new BrokerExecution(
                rows.getString("exec_id"),
                rows.getString("account"),
                rows.getLong("con_id"),
                rows.getString("symbol"),
                rows.getString("sec_type"),
                rows.getString("side"),
                rows.getBigDecimal("shares"),
                rows.getBigDecimal("price"),
                Jdbc.instant(rows, "exec_time"),
                rows.getLong("order_id"),
                rows.getLong("perm_id"),
                rows.getBigDecimal("commission"),
                rows.getString("commission_currency"),
                rows.getBigDecimal("ib_realized_pnl"),
                rows.getString("currency"),
                rows.getBigDecimal("multiplier"));
        return new StoredExecution(execution, rows.getLong("first_seen_run_id"), Jdbc.nullableLong(rows, "applied_run_id"),
                rows.getString("superseded_by"), ExecutionState.valueOf(rows.getString("state")));
    }
}
