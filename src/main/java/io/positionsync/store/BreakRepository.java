package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import javax.sql.DataSource;

import io.positionsync.sync.AccountClaims;
import io.positionsync.sync.BreakKind;
import io.positionsync.sync.BreakRef;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.ExecutionConflict;
import io.positionsync.sync.ReconciliationBreak;

/** The {@code reconciliation_breaks} table: written in the run's transaction, read by the status API. */
public final class BreakRepository {
    static final String COLUMNS = "id, run_id, position_id, account, con_id, symbol, currency, ours, broker, difference, "
            + "tolerance, detected_at, resolved_at, note, kind, resolved_run_id, subject";

    private final DataSource dataSource;

    public BreakRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores new breaks (batched) in the caller's transaction. */
    public void record(Connection connection, Collection<ReconciliationBreak> breaks) throws SQLException {
        if (breaks.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO reconciliation_breaks (run_id, "
                + "position_id, account, con_id, symbol, currency, ours, broker, difference, tolerance, detected_at, note, kind, "
                + "subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (ReconciliationBreak b : breaks) {
                statement.setLong(1, b.runId());
                Jdbc.setLong(statement, 2, b.positionId());
                statement.setString(3, b.account());
                statement.setLong(4, b.conId());
                Jdbc.setText(statement, 5, b.symbol());
                Jdbc.setText(statement, 6, b.currency());
                Jdbc.setDecimal(statement, 7, b.ours());
                Jdbc.setDecimal(statement, 8, b.broker());
                Jdbc.setDecimal(statement, 9, b.difference());
                Jdbc.setDecimal(statement, 10, b.tolerance());
                Jdbc.setInstant(statement, 11, b.detectedAt());
                Jdbc.setText(statement, 12, b.note());
                statement.setString(13, b.kind());
                Jdbc.setText(statement, 14, b.subject());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Marks a break resolved; false when it does not exist or was already resolved. */
    public boolean resolve(Connection connection, long breakId, Instant resolvedAt, String note) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("UPDATE reconciliation_breaks SET resolved_at = ?, "
                + "note = coalesce(?, note) WHERE id = ? AND resolved_at IS NULL")) {
            Jdbc.setInstant(statement, 1, resolvedAt);
            Jdbc.setText(statement, 2, note);
            statement.setLong(3, breakId);
            return statement.executeUpdate() == 1;
        }
    }

    /** Resolves every open break of a contract, e.g. when a later run agrees with the broker again. */
    public int resolveContract(Connection connection, String account, long conId, Instant resolvedAt) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("UPDATE reconciliation_breaks SET resolved_at = ? "
                + "WHERE account = ? AND con_id = ? AND resolved_at IS NULL")) {
            Jdbc.setInstant(statement, 1, resolvedAt);
            statement.setString(2, account);
            statement.setLong(3, conId);
            return statement.executeUpdate();
        }
    }

    /**
     * Every open break, by contract: what each compares (the run decides which to resolve and which not to raise
     * again).
     */
    public Map<PositionKey, Set<BreakRef>> openRefs(Connection connection) throws SQLException {
        Map<PositionKey, Set<BreakRef>> open = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT DISTINCT account, con_id, kind, subject FROM reconciliation_breaks WHERE resolved_at IS NULL "
                        // a bot row's break names no contract
                        + "AND con_id IS NOT NULL");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                open.computeIfAbsent(new PositionKey(rows.getString(1), rows.getLong(2)), k -> new HashSet<>())
                        .add(new BreakRef(BreakKind.valueOf(rows.getString(3)), rows.getString(4)));
            }
        }
        return open;
    }

    /** Resolves, in the run's transaction, every open break of each (contract, kind, subject) the run found agreeing. */
    public int resolve(Connection connection, long runId, Map<PositionKey, Set<BreakRef>> resolved, Instant at)
            throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        resolved.forEach((key, refs) -> refs.forEach(ref -> rows.add(new Object[] {key.account(), key.conId(),
            ref.kind(), ref.subject()})));
        return ArrayColumns.executeChunked(connection, """
                UPDATE reconciliation_breaks b SET resolved_at = ?, resolved_run_id = ?
                FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[]) AS u(account, con_id, kind, subject)
                WHERE b.account = u.account AND b.con_id = u.con_id AND b.kind = u.kind
                  AND b.subject IS NOT DISTINCT FROM u.subject AND b.resolved_at IS NULL
                """, 4, 5000, rows, at, runId);
    }

    /** Open breaks of an adopted bot's rows: bot row id -> break id. */
    public Map<Long, Long> openBotRowBreaks(Connection connection) throws SQLException {
        Map<Long, Long> open = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT bot_row_id, id FROM reconciliation_breaks "
                + "WHERE resolved_at IS NULL AND bot_row_id IS NOT NULL");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                open.put(rows.getLong(1), rows.getLong(2));
            }
        }
        return open;
    }

    /**
     * Stores a {@link BreakKind#BOT_ROW_UNMATCHED} break per bot row in the run's transaction; {@code account} may be
     * null (the bot's row does not say it), the contract is unknown.
     */
    public void recordBotRowBreaks(Connection connection, long runId, List<BotRowBreak> unmatched, Instant at)
            throws SQLException {
        if (unmatched.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO reconciliation_breaks (run_id, "
                + "account, symbol, difference, tolerance, detected_at, note, kind, bot_row_id) "
                + "VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?)")) {
            for (BotRowBreak b : unmatched) {
                statement.setLong(1, runId);
                Jdbc.setText(statement, 2, b.account());
                Jdbc.setText(statement, 3, b.symbol());
                Jdbc.setInstant(statement, 4, at);
                statement.setString(5, b.note());
                statement.setString(6, BreakKind.BOT_ROW_UNMATCHED.name());
                statement.setLong(7, b.botRowId());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Resolves the open breaks of these bot rows (linked now, or no longer open unlinked rows). */
    public int resolveBotRowBreaks(Connection connection, long runId, Collection<Long> botRowIds, Instant at)
            throws SQLException {
        return resolveOpen(connection, runId, "bot_row_id", "bigint", botRowIds.toArray(), at);
    }

    /** Open {@code EXECUTION_CONFLICT} breaks: execId -> the notes of its open breaks. */
    public Map<String, Set<String>> openExecutionConflicts(Connection connection) throws SQLException {
        Map<String, Set<String>> open = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT exec_id, note FROM reconciliation_breaks "
                + "WHERE resolved_at IS NULL AND exec_id IS NOT NULL");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                open.computeIfAbsent(rows.getString(1), k -> new java.util.HashSet<>()).add(rows.getString(2));
            }
        }
        return open;
    }

    /**
     * Stores an {@code EXECUTION_CONFLICT} break per conflict in the run's transaction: ours is the applied price,
     * the broker's the price reported now; the note says every difference.
     */
    public void recordExecutionConflicts(Connection connection, long runId, List<ExecutionConflict> conflicts,
            Instant at) throws SQLException {
        if (conflicts.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO reconciliation_breaks (run_id, "
                + "account, con_id, symbol, currency, ours, broker, difference, tolerance, detected_at, note, kind, exec_id) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)")) {
            for (ExecutionConflict conflict : conflicts) {
                var reported = conflict.reported();
                var stored = conflict.stored().execution();
                statement.setLong(1, runId);
                statement.setString(2, reported.account());
                statement.setLong(3, reported.conId());
                Jdbc.setText(statement, 4, reported.symbol() != null ? reported.symbol() : stored.symbol());
                Jdbc.setText(statement, 5, reported.currency() != null ? reported.currency() : stored.currency());
                Jdbc.setDecimal(statement, 6, stored.price());
                Jdbc.setDecimal(statement, 7, reported.price());
                Jdbc.setDecimal(statement, 8, stored.price().subtract(reported.price()));
                Jdbc.setInstant(statement, 9, at);
                statement.setString(10, conflict.describe());
                statement.setString(11, BreakKind.EXECUTION_CONFLICT.name());
                statement.setString(12, reported.execId());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Resolves the open conflicts of these execIds (the broker reports them as applied again). */
    public int resolveExecutionConflicts(Connection connection, long runId, Collection<String> execIds, Instant at)
            throws SQLException {
        return resolveOpen(connection, runId, "exec_id", "text", execIds.toArray(new String[0]), at);
    }

    /**
     * Resolves the open breaks whose {@code column} (a bot row id or an execId: a name from this class, never input)
     * is one of {@code values}.
     */
    private static int resolveOpen(Connection connection, long runId, String column, String type, Object[] values,
            Instant at) throws SQLException {
        if (values.length == 0) {
            return 0;
        }
        try (PreparedStatement statement = connection.prepareStatement("UPDATE reconciliation_breaks SET resolved_at = ?, "
                + "resolved_run_id = ? WHERE " + column + " = ANY (?) AND resolved_at IS NULL")) {
            Jdbc.setInstant(statement, 1, at);
            statement.setLong(2, runId);
            statement.setArray(3, connection.createArrayOf(type, values));
            return statement.executeUpdate();
        }
    }

    /**
     * Raises an {@link BreakKind#ACCOUNT_CONFLICT} break per conflict in the run's transaction, unless one is open for
     * its account already (at most one is: each gateway's runs find the same conflict, and two of them raising it at
     * once store one). The break names the account, no contract; its note names the gateways. Returns the accounts
     * whose break this run raised.
     */
    public Set<String> recordAccountConflicts(Connection connection, long runId, List<AccountClaims.Conflict> conflicts,
            Instant at) throws SQLException {
        Set<String> raised = new TreeSet<>();
        if (conflicts.isEmpty()) {
            return raised;
        }
        try (PreparedStatement statement = connection.prepareStatement("""
                INSERT INTO reconciliation_breaks (run_id, account, difference, tolerance, detected_at, note, kind)
                SELECT ?, u.account, 0, 0, ?, u.note, 'ACCOUNT_CONFLICT'
                FROM unnest(?::text[], ?::text[]) AS u(account, note)
                ON CONFLICT (account) WHERE kind = 'ACCOUNT_CONFLICT' AND resolved_at IS NULL DO NOTHING
                RETURNING account
                """)) {
            statement.setLong(1, runId);
            Jdbc.setInstant(statement, 2, at);
            statement.setArray(3, connection.createArrayOf("text",
                    conflicts.stream().map(AccountClaims.Conflict::account).toArray()));
            statement.setArray(4, connection.createArrayOf("text",
                    conflicts.stream().map(AccountClaims.Conflict::note).toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    raised.add(rows.getString(1));
                }
            }
        }
        return raised;
    }

    /**
     * Resolves the open {@link BreakKind#ACCOUNT_CONFLICT} breaks of {@code accounts} (no other gateway reports them
     * now) in the run's transaction; returns the accounts whose break this run resolved.
     */
    public Set<String> resolveAccountConflicts(Connection connection, long runId, Collection<String> accounts,
            Instant at) throws SQLException {
        Set<String> resolved = new TreeSet<>();
        if (accounts.isEmpty()) {
            return resolved;
        }
        try (PreparedStatement statement = connection.prepareStatement("UPDATE reconciliation_breaks SET resolved_at = ?, "
                + "resolved_run_id = ? WHERE kind = 'ACCOUNT_CONFLICT' AND resolved_at IS NULL "
                + "AND account = ANY (?::text[]) RETURNING account")) {
            Jdbc.setInstant(statement, 1, at);
            statement.setLong(2, runId);
            statement.setArray(3, connection.createArrayOf("text", accounts.toArray(new String[0])));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    resolved.add(rows.getString(1));
                }
            }
        }
        return resolved;
    }

    /** An adopted bot's open row the run could not link: what the status API shows about it. */
    public record BotRowBreak(long botRowId, String account, String symbol, String note) {
    }

    /** Open breaks, newest first. */
    public List<ReconciliationBreak> unresolved(int limit) throws SQLException {
        return list("SELECT " + COLUMNS + " FROM reconciliation_breaks WHERE resolved_at IS NULL "
                + "ORDER BY detected_at DESC, id DESC LIMIT ?", limit);
    }

    /** All breaks, newest first. */
    public List<ReconciliationBreak> recent(int limit) throws SQLException {
        return list("SELECT " + COLUMNS + " FROM reconciliation_breaks ORDER BY detected_at DESC, id DESC LIMIT ?", limit);
    }

    /** Resolved breaks, the most recently resolved first. */
    public List<ReconciliationBreak> recentlyResolved(int limit) throws SQLException {
        return list("SELECT " + COLUMNS + " FROM reconciliation_breaks WHERE resolved_at IS NOT NULL "
                + "ORDER BY resolved_at DESC, id DESC LIMIT ?", limit);
    }

    public long countUnresolved() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT count(*) FROM reconciliation_breaks WHERE resolved_at IS NULL");
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Open breaks counted by kind (kinds without an open break are absent). */
    public Map<String, Long> openCountsByKind() throws SQLException {
        Map<String, Long> counts = new TreeMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT kind, count(*) FROM reconciliation_breaks WHERE resolved_at IS NULL GROUP BY kind");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getLong(2));
            }
        }
        return counts;
    }

    private List<ReconciliationBreak> list(String sql, int limit) throws SQLException {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        List<ReconciliationBreak> breaks = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setInt(1, limit);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    breaks.add(new ReconciliationBreak(
                            rows.getLong("id"),
                            rows.getLong("run_id"),
                            Jdbc.nullableLong(rows, "position_id"),
                            rows.getString("account"),
                            rows.getLong("con_id"),
                            rows.getString("symbol"),
                            rows.getString("currency"),
                            rows.getBigDecimal("ours"),
                            rows.getBigDecimal("broker"),
                            rows.getBigDecimal("difference"),
                            rows.getBigDecimal("tolerance"),
                            Jdbc.instant(rows, "detected_at"),
                            Jdbc.instant(rows, "resolved_at"),
                            rows.getString("note"),
                            rows.getString("kind"),
                            Jdbc.nullableLong(rows, "resolved_run_id"),
                            rows.getString("subject")));
                }
            }
        }
        return breaks;
    }
}
