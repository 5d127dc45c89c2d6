package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.sql.DataSource;

import io.positionsync.sync.FillCounts;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.sync.SyncCounts;

/**
 * The {@code sync_runs} table. A run inserts its row and finishes it on its own connection, in the same
 * transaction as its position changes; when that transaction is rolled back, {@link #recordFailed} records
 * the failure in a transaction of its own so that it is never lost.
 */
public final class SyncRunRepository {
    /** Advisory lock key of the sync run ("psync" in ASCII). */
    static final long SYNC_LOCK_KEY = 0x7073796e63L;
    /** First half of a gateway's two-part run lock key: "pgwy" in ASCII; the second half is the name's hash. */
    static final int GATEWAY_LOCK_CLASS = 0x70677779;

    static final String COLUMNS = "id, trigger, status, started_at, finished_at, duration_ms, opened, updated, closed, "
            + "unchanged, error, broker_server_time, idempotency_key, accounts";

    private static final String DURATION_MS = "floor(extract(epoch FROM (?::timestamptz - started_at)) * 1000)::bigint";

    private final DataSource dataSource;
    private final Integer ownerKey;
    /** Checked before a run row is written or ended: a run is recorded only while its owner holds its lock. */
    private final RunOwner owner;
    /** The instance recorded with each run (null: none named). */
    private final String instance;
    /** The gateway of a service with one gateway. */
    public static final String DEFAULT_GATEWAY = "default";

    /** Runs without an owner: any later start-up may take them for interrupted (tests, one-off tools). */
    public SyncRunRepository(DataSource dataSource) {
        this(dataSource, null, null, null);
    }

    /** Runs owned by {@code owner}: marked interrupted only once that process is gone. */
    public SyncRunRepository(DataSource dataSource, RunOwner owner) {
        this(dataSource, owner, null);
    }

    /** Runs owned by {@code owner}, recorded as run by {@code instance} (its name in the cluster; may be null). */
    public SyncRunRepository(DataSource dataSource, RunOwner owner, String instance) {
        this(dataSource, owner == null ? null : owner.key(), owner, instance);
    }

    private SyncRunRepository(DataSource dataSource, Integer ownerKey, RunOwner owner, String instance) {
        this.dataSource = dataSource;
        this.ownerKey = ownerKey;
        this.owner = owner;
        this.instance = instance;
    }

    /** A run that is no longer RUNNING when it is ended (a takeover of its gateway ended it first). */
    public static final class NotRunningException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NotRunningException(long runId) {
            super("sync run " + runId + " is not running");
        }
    }

    /** The owner's lock is held (taken again on a new session if the old one died), or this throws. */
    private void ensureOwned() throws SQLException {
        if (owner != null) {
            owner.ensureHeld();
        }
    }

    /** Inserts a run of every managed account as RUNNING and returns its id. */
    public long insertStarted(Connection connection, SyncTrigger trigger, Instant startedAt, String idempotencyKey)
            throws SQLException {
        return insertStarted(connection, trigger, startedAt, idempotencyKey, null);
    }

    /**
     * Inserts the run as RUNNING and returns its id.
     *
     * @param accounts the accounts a scoped run is for; {@code null} for a run of every managed account
     */
    public long insertStarted(Connection connection, SyncTrigger trigger, Instant startedAt, String idempotencyKey,
            Collection<String> accounts) throws SQLException {
        return insertStarted(connection, trigger, startedAt, idempotencyKey, accounts, DEFAULT_GATEWAY, 0);
    }

    /**
     * Inserts the run of {@code gateway} as RUNNING, with this repository's instance and the ownership epoch it
     * begins under (0: not fenced), and returns its id.
     */
    public long insertStarted(Connection connection, SyncTrigger trigger, Instant startedAt, String idempotencyKey,
            Collection<String> accounts, String gateway, long epoch) throws SQLException {
        ensureOwned();
        // A fenced run is recorded only while its epoch is the gateway's, read FOR SHARE: a takeover in progress is
        // waited for (then the epoch moved and nothing is inserted), and one that comes later finds this row to end.
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO sync_runs (trigger, status, started_at, idempotency_key, owner_key, accounts, gateway, "
                        + "instance, epoch) SELECT ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ? "
                        + (epoch > 0 ? "WHERE EXISTS (SELECT 1 FROM gateway_owners o WHERE o.gateway = ? AND o.epoch = ? "
                                + "FOR SHARE) " : "")
                        + "RETURNING id")) {
            statement.setString(1, trigger.name());
            Jdbc.setInstant(statement, 2, Objects.requireNonNull(startedAt, "startedAt"));
            Jdbc.setText(statement, 3, idempotencyKey);
            statement.setObject(4, ownerKey, java.sql.Types.INTEGER);
            if (accounts == null) {
                statement.setNull(5, java.sql.Types.ARRAY);
            } else {
                statement.setArray(5, connection.createArrayOf("text", accounts.toArray(new String[0])));
            }
            statement.setString(6, Objects.requireNonNull(gateway, "gateway"));
            Jdbc.setText(statement, 7, instance);
            statement.setObject(8, epoch > 0 ? epoch : null, java.sql.Types.BIGINT);
            if (epoch > 0) {
                statement.setString(9, gateway);
                statement.setLong(10, epoch);
            }
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    throw new GatewayOwners.FencedException("fenced: gateway " + gateway + " is no longer owned under "
                            + "epoch " + epoch + " (taken over by another instance); the run was not started");
                }
                return rows.getLong(1);
            }
        }
    }

    /** Ends a RUNNING run with its outcome. */
    public void finish(Connection connection, long runId, SyncRunStatus status, SyncCounts counts, String error,
            Instant brokerServerTime, Instant finishedAt) throws SQLException {
        if (status == SyncRunStatus.RUNNING) {
            throw new IllegalArgumentException("a run cannot finish as RUNNING");
        }
        ensureOwned();
        try (PreparedStatement statement = connection.prepareStatement("UPDATE sync_runs SET status = ?, finished_at = ?, "
                + "duration_ms = " + DURATION_MS + ", opened = ?, updated = ?, closed = ?, unchanged = ?, error = ?, "
                + "broker_server_time = ? WHERE id = ? AND status = 'RUNNING'")) {
            statement.setString(1, status.name());
            Jdbc.setInstant(statement, 2, Objects.requireNonNull(finishedAt, "finishedAt"));
            Jdbc.setInstant(statement, 3, finishedAt);
            SyncCounts c = counts == null ? SyncCounts.NONE : counts;
            statement.setInt(4, c.opened());
            statement.setInt(5, c.updated());
            statement.setInt(6, c.closed());
            statement.setInt(7, c.unchanged());
            Jdbc.setText(statement, 8, error);
            Jdbc.setInstant(statement, 9, brokerServerTime);
            statement.setLong(10, runId);
            if (statement.executeUpdate() != 1) {
                throw new NotRunningException(runId);
            }
        }
    }

    /**
     * Records a failed run in its own transaction (on a fresh pooled connection), for a run whose own
     * transaction was rolled back. Returns the new row's id.
     */
    public long recordFailed(DataSource pool, SyncTrigger trigger, Instant startedAt, String idempotencyKey, String error,
            Instant brokerServerTime, Instant finishedAt) throws SQLException {
        return recordFailed(pool, trigger, startedAt, idempotencyKey, error, brokerServerTime, finishedAt,
                DEFAULT_GATEWAY);
    }

    /** As above, for a run of {@code gateway} (not fenced: it never began). */
    public long recordFailed(DataSource pool, SyncTrigger trigger, Instant startedAt, String idempotencyKey, String error,
            Instant brokerServerTime, Instant finishedAt, String gateway) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                long id = insertStarted(connection, trigger, startedAt, idempotencyKey, null, gateway, 0);
                finish(connection, id, SyncRunStatus.FAILED, SyncCounts.NONE, error, brokerServerTime, finishedAt);
                connection.commit();
                return id;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
    }

    /** {@link #recordFailed(DataSource, SyncTrigger, Instant, String, String, Instant, Instant)} on this pool. */
    public long recordFailed(SyncTrigger trigger, Instant startedAt, String idempotencyKey, String error,
            Instant brokerServerTime, Instant finishedAt) throws SQLException {
        return recordFailed(dataSource, trigger, startedAt, idempotencyKey, error, brokerServerTime, finishedAt);
    }

    /**
     * At start-up: a run still RUNNING whose owner is gone was interrupted (its process stopped mid-run);
     * mark it FAILED with {@code error}. A run whose owner still holds its lock (see {@link RunOwner}) is
     * another live process's run in flight and is left alone; a run without an owner (written before owners
     * existed, or by a tool without one) counts as gone. Returns how many were marked.
     */
    public int failInterrupted(Instant finishedAt, String error) throws SQLException {
        ensureOwned(); // this process's own runs are never taken for another's that is gone
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("UPDATE sync_runs SET status = 'FAILED', "
                        + "finished_at = greatest(?, started_at), duration_ms = greatest(" + DURATION_MS + ", 0), "
                        + "error = ? WHERE status = 'RUNNING' AND (owner_key IS NULL OR NOT " + RunOwner.OWNER_ALIVE + ")")) {
            Jdbc.setInstant(statement, 1, Objects.requireNonNull(finishedAt, "finishedAt"));
            Jdbc.setInstant(statement, 2, finishedAt);
            Jdbc.setText(statement, 3, error);
            statement.setInt(4, RunOwner.OWNER_LOCK_CLASS);
            return statement.executeUpdate();
        }
    }

    /**
     * Takes the database-wide sync lock for the caller's transaction (released at commit or rollback), so
     * that two service processes pointed at the same database never apply runs at the same time.
     */
    public void lockForRun(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            statement.setLong(1, SYNC_LOCK_KEY);
            statement.execute();
        }
    }

    /**
     * Takes the run lock of {@code gateway} for the caller's transaction: runs of one gateway (whichever process
     * runs them) never apply at the same time; runs of different gateways, which write different accounts, do. The
     * {@code default} gateway's lock is the database-wide one above.
     */
    public void lockForRun(Connection connection, String gateway) throws SQLException {
        if (DEFAULT_GATEWAY.equals(gateway)) {
            lockForRun(connection);
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_xact_lock(?, hashtext(?))")) {
            statement.setInt(1, GATEWAY_LOCK_CLASS);
            statement.setString(2, gateway);
            statement.execute();
        }
    }

    /** How many runs of {@code gateway} have committed a result (the watermark of a run of that gateway). */
    public long committedRuns(Connection connection, String gateway) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM sync_runs WHERE status = 'SUCCEEDED' AND gateway = ?")) {
            statement.setString(1, gateway);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /**
     * How many runs have committed a result: a run reads its state without the lock, and before it writes it
     * checks under the lock that this number did not move (no other run committed in between).
     */
    public long committedRuns(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM sync_runs WHERE status = 'SUCCEEDED'");
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** What the run did with fills, in the run's transaction. */
    public void recordFills(Connection connection, long runId, FillCounts fills) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE sync_runs SET fills_applied = ?, fills_deferred = ?, fills_estimated = ? WHERE id = ?")) {
            statement.setInt(1, fills.applied());
            statement.setInt(2, fills.deferred());
            statement.setInt(3, fills.estimated());
            statement.setLong(4, runId);
            statement.executeUpdate();
        }
    }

    public Optional<SyncRun> findById(long id) throws SQLException {
        return first("SELECT " + COLUMNS + " FROM sync_runs WHERE id = ?", id);
    }

    /** The most recently started run. */
    public Optional<SyncRun> latest() throws SQLException {
        return first("SELECT " + COLUMNS + " FROM sync_runs ORDER BY started_at DESC, id DESC LIMIT 1");
    }

    /**
     * The most recently started run of every account that succeeded: how fresh the whole book is (a run of some
     * accounts, an event run, says nothing of the others).
     */
    public Optional<SyncRun> lastSuccessful() throws SQLException {
        return first("SELECT " + COLUMNS + " FROM sync_runs WHERE status = 'SUCCEEDED' AND accounts IS NULL"
                + " ORDER BY started_at DESC, id DESC LIMIT 1");
    }

    /** Newest first. */
    public List<SyncRun> recent(int limit) throws SQLException {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        return list("SELECT " + COLUMNS + " FROM sync_runs ORDER BY started_at DESC, id DESC LIMIT ?", limit);
    }

    /** The latest run started with {@code idempotencyKey} at or after {@code since}. */
    public Optional<SyncRun> findByIdempotencyKey(String idempotencyKey, Instant since) throws SQLException {
        return first("SELECT " + COLUMNS + " FROM sync_runs WHERE idempotency_key = ? AND started_at >= ? "
                + "ORDER BY started_at DESC, id DESC LIMIT 1", idempotencyKey, since);
    }

    public SyncTotals totals() throws SQLException {
        String sql = """
                SELECT count(*) AS runs,
                       count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded,
                       count(*) FILTER (WHERE status = 'FAILED') AS failed,
                       count(*) FILTER (WHERE status = 'SKIPPED_INCOMPLETE') AS skipped,
                       round(avg(duration_ms))::bigint AS average_duration_ms,
                       (SELECT duration_ms FROM sync_runs WHERE duration_ms IS NOT NULL
                        ORDER BY started_at DESC, id DESC LIMIT 1) AS last_duration_ms
                FROM sync_runs
                """;
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            return new SyncTotals(rows.getLong("runs"), rows.getLong("succeeded"), rows.getLong("failed"),
                    rows.getLong("skipped"), Jdbc.nullableLong(rows, "average_duration_ms"),
                    Jdbc.nullableLong(rows, "last_duration_ms"));
        }
    }

    private Optional<SyncRun> first(String sql, Object... parameters) throws SQLException {
        List<SyncRun> runs = list(sql, parameters);
        return runs.isEmpty() ? Optional.empty() : Optional.of(runs.get(0));
    }

    private List<SyncRun> list(String sql, Object... parameters) throws SQLException {
        List<SyncRun> runs = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                if (parameters[i] instanceof Instant instant) {
                    Jdbc.setInstant(statement, i + 1, instant);
                } else {
                    statement.setObject(i + 1, parameters[i]);
                }
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    runs.add(run(rows));
                }
            }
        }
        return runs;
    }

    static SyncRun run(ResultSet rows) throws SQLException {
        return new SyncRun(
                rows.getLong("id"),
                SyncTrigger.valueOf(rows.getString("trigger")),
                SyncRunStatus.valueOf(rows.getString("status")),
                Jdbc.instant(rows, "started_at"),
                Jdbc.instant(rows, "finished_at"),
                Jdbc.nullableLong(rows, "duration_ms"),
                new SyncCounts(rows.getInt("opened"), rows.getInt("updated"), rows.getInt("closed"), rows.getInt("unchanged")),
                rows.getString("error"),
                Jdbc.instant(rows, "broker_server_time"),
                rows.getString("idempotency_key"),
                Jdbc.textList(rows, "accounts")); // NULL (none listed): a run of every managed account
    }
}
