package io.positionsync.store;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.PositionChange;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredPosition;

/**
 * The {@code positions} table and its {@code position_history}. Writes take the sync run's connection so
 * that a run commits everything in one transaction; they are set-based ({@code unnest} of array
 * parameters, {@code writeChunkSize} rows per statement) so 100 000 changes cost a few dozen round trips.
 * Reads for the HTTP API use the pool.
 */
public final class PositionRepository {
    static final String COLUMNS = "id, account, con_id, symbol, sec_type, currency, multiplier, quantity, average_price, "
            + "market_price, unrealized_pnl, realized_pnl, realized_pnl_source, status, opened_at, closed_at, last_synced_at";

    /** Deterministic order for pages: instrument, then newest lifecycle first. */
    static final String ORDER = " ORDER BY account, symbol, con_id, opened_at DESC, id DESC";

    private static final String HISTORY_COLUMNS = "position_id, run_id, change_kind, quantity_before, quantity_after, "
            + "average_price, market_price, realized_pnl_delta, realized_pnl_total, realized_pnl_source, exit_price, "
            + "exit_commission, broker_realized_pnl, exec_ids, recorded_at";

    private static final String EXEC_IDS = "coalesce(string_to_array(u.exec_ids, chr(31)), '{}')";

    /**
     * New lifecycles and their OPENED history rows in one statement: the history joins the generated ids
     * back on (account, con_id), unique among the lifecycles opened by one run.
     */
    private static final String INSERT_OPENED = """
            WITH u AS (
                SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::numeric[], ?::numeric[],
                                     ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::text[],
                                     ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::timestamptz[], ?::text[])
                    AS u(account, con_id, symbol, sec_type, currency, multiplier, quantity_before, quantity, average_price,
                         market_price, unrealized_pnl, realized_pnl_delta, realized_pnl_source, realized_pnl_total,
                         exit_price, exit_commission, broker_realized_pnl, opened_at, exec_ids)
            ), opened AS (
                INSERT INTO positions (account, con_id, symbol, sec_type, currency, multiplier, quantity, average_price,
                                       market_price, unrealized_pnl, realized_pnl, realized_pnl_source, status, opened_at,
                                       last_synced_at)
                SELECT account, con_id, symbol, sec_type, currency, coalesce(multiplier, 1), quantity, average_price,
                       market_price, unrealized_pnl, realized_pnl_total,
                       CASE WHEN realized_pnl_total IS NOT NULL THEN realized_pnl_source END, 'OPEN', opened_at, ?
                FROM u
                RETURNING id, account, con_id, quantity, average_price, market_price, realized_pnl
            )
            INSERT INTO position_history (%s)
            SELECT o.id, ?, 'OPENED', coalesce(u.quantity_before, 0), o.quantity, o.average_price, o.market_price,
                   u.realized_pnl_delta, o.realized_pnl, u.realized_pnl_source, u.exit_price, u.exit_commission,
                   u.broker_realized_pnl, %s, u.opened_at
            FROM opened o JOIN u ON u.account = o.account AND u.con_id = o.con_id
            """.formatted(HISTORY_COLUMNS, EXEC_IDS);

    /**
     * Every other kind in one statement: update the open row, then write history for the changed rows that
     * keep it. Only OPEN rows are touched (closed lifecycles are never modified); the count tells the caller
     * whether every change found its row.
     */
    private static final String UPDATE_CHANGED = """
            WITH u AS (
                SELECT * FROM unnest(?::bigint[], ?::text[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[],
                                     ?::numeric[], ?::numeric[], ?::numeric[], ?::text[], ?::numeric[], ?::numeric[],
                                     ?::numeric[], ?::timestamptz[], ?::text[], ?::boolean[])
                    AS u(position_id, change_kind, quantity_before, quantity_after, average_price, market_price,
                         unrealized_pnl, realized_pnl_delta, realized_pnl_total, realized_pnl_source, exit_price,
                         exit_commission, broker_realized_pnl, changed_at, exec_ids, keep_history)
            ), changed AS (
                UPDATE positions p SET
                    quantity = CASE WHEN u.change_kind = 'CLOSED' THEN 0 ELSE coalesce(u.quantity_after, p.quantity) END,
                    average_price = coalesce(u.average_price, p.average_price),
                    market_price = coalesce(u.market_price, p.market_price),
                    unrealized_pnl = coalesce(u.unrealized_pnl, p.unrealized_pnl),
                    realized_pnl = CASE WHEN u.realized_pnl_delta IS NULL THEN p.realized_pnl
                                        ELSE coalesce(u.realized_pnl_total, coalesce(p.realized_pnl, 0) + u.realized_pnl_delta)
                                   END,
                    -- an estimate anywhere in the lifecycle keeps the whole figure flagged as one
                    realized_pnl_source = CASE WHEN u.realized_pnl_delta IS NULL THEN p.realized_pnl_source
                                               WHEN p.realized_pnl_source = 'MARKET_PRICE' THEN 'MARKET_PRICE'
                                               ELSE u.realized_pnl_source
                                          END,
                    status = CASE WHEN u.change_kind = 'CLOSED' THEN 'CLOSED' ELSE p.status END,
                    closed_at = CASE WHEN u.change_kind = 'CLOSED' THEN u.changed_at ELSE p.closed_at END,
                    last_synced_at = ?
                FROM u
                WHERE p.id = u.position_id AND p.status = 'OPEN'
                RETURNING p.id, p.quantity, p.average_price, p.market_price, p.realized_pnl
            ), history AS (
                INSERT INTO position_history (%s)
                SELECT c.id, ?, u.change_kind, u.quantity_before, c.quantity, c.average_price, c.market_price,
                       u.realized_pnl_delta, c.realized_pnl, u.realized_pnl_source, u.exit_price, u.exit_commission,
                       u.broker_realized_pnl, %s, u.changed_at
                FROM changed c JOIN u ON u.position_id = c.id
                WHERE u.keep_history
            )
            SELECT count(*) FROM changed
            """.formatted(HISTORY_COLUMNS, EXEC_IDS);

    private static final int OPENED_COLUMN_COUNT = 19;
    private static final int CHANGED_COLUMN_COUNT = 16;

    private final DataSource dataSource;
    private final ExecutionRepository executions;
    private final int writeChunkSize;

    /**
     * @param dataSource     pool for the read queries
     * @param executions     to attach stored executions to history rows
     * @param writeChunkSize rows per set-based write statement ({@code psync.db.write-chunk-size})
     */
    public PositionRepository(DataSource dataSource, ExecutionRepository executions, int writeChunkSize) {
        if (writeChunkSize < 1) {
            throw new IllegalArgumentException("writeChunkSize must be at least 1, was " + writeChunkSize);
        }
        this.dataSource = dataSource;
        this.executions = executions;
        this.writeChunkSize = writeChunkSize;
    }

    /** Every open lifecycle, by (account, conId), read in the run's transaction. */
    public Map<PositionKey, StoredPosition> loadOpen(Connection connection) throws SQLException {
        Map<PositionKey, StoredPosition> open = new HashMap<>();
        Map<String, String> shared = new HashMap<>(); // accounts, currencies, sec types repeat across rows
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM positions WHERE status = 'OPEN'")) {
            statement.setFetchSize(writeChunkSize);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    StoredPosition position = position(rows, shared);
                    open.put(position.key(), position);
                }
            }
        }
        return open;
    }

    /**
     * Applies one run's decisions in the caller's transaction: closes first (a flip closes the old lifecycle
     * before opening the new one), then the other updates, then the new lifecycles; a history row for every
     * change except a plain UNCHANGED touch (one without executions or realized P&L).
     *
     * @return the number of positions rows written
     * @throws IllegalArgumentException if a change is malformed (kind and id disagree, a duplicate, ...)
     * @throws IllegalStateException    if a change refers to a row that is not open any more
     */
    public int applyChanges(Connection connection, long runId, List<PositionChange> changes, Instant syncedAt)
            throws SQLException {
        validate(changes);
        int written = 0;
        written += updateChanged(connection, runId, changes, syncedAt, ChangeKind.CLOSED);
        written += updateChanged(connection, runId, changes, syncedAt, null);
        written += insertOpened(connection, runId, changes, syncedAt);
        return written;
    }

    /** {@code onlyKind} CLOSED: the closes; null: every kind but CLOSED and OPENED. */
    private int updateChanged(Connection connection, long runId, List<PositionChange> changes, Instant syncedAt,
            ChangeKind onlyKind) throws SQLException {
        ArrayColumns rows = new ArrayColumns(CHANGED_COLUMN_COUNT, Math.min(writeChunkSize, changes.size()));
        int written = 0;
        try (PreparedStatement statement = connection.prepareStatement(UPDATE_CHANGED)) {
            for (PositionChange change : changes) {
                boolean wanted = onlyKind == null
                        ? change.kind() != ChangeKind.OPENED && change.kind() != ChangeKind.CLOSED
                        : change.kind() == onlyKind;
                if (!wanted) {
                    continue;
                }
                rows.add(change.positionId(), change.kind(), change.quantityBefore(), change.quantityAfter(),
                        change.averagePrice(), change.marketPrice(), change.unrealizedPnl(), change.realizedPnlDelta(),
                        change.realizedPnlTotal(), change.realizedPnlSource(), change.exitPrice(), change.exitCommission(),
                        change.brokerRealizedPnl(), at(change, syncedAt), change.execIds(), keepsHistory(change));
                if (rows.rows() == writeChunkSize) {
                    written += runChanged(connection, statement, rows, runId, syncedAt);
                }
            }
            if (!rows.isEmpty()) {
                written += runChanged(connection, statement, rows, runId, syncedAt);
            }
        }
        return written;
    }

    private int runChanged(Connection connection, PreparedStatement statement, ArrayColumns rows, long runId,
            Instant syncedAt) throws SQLException {
        int index = rows.bind(connection, statement, 1);
        Jdbc.setInstant(statement, index++, syncedAt);
        statement.setLong(index, runId);
        int expected = rows.rows();
        int changed;
        try (ResultSet result = statement.executeQuery()) {
            result.next();
            changed = result.getInt(1);
        }
        rows.clear();
        if (changed != expected) {
            throw new IllegalStateException((expected - changed) + " of " + expected
                    + " position changes refer to rows that are not open (closed or missing); roll the run back");
        }
        return changed;
    }

    private int insertOpened(Connection connection, long runId, List<PositionChange> changes, Instant syncedAt)
            throws SQLException {
        ArrayColumns rows = new ArrayColumns(OPENED_COLUMN_COUNT, Math.min(writeChunkSize, changes.size()));
        int written = 0;
        try (PreparedStatement statement = connection.prepareStatement(INSERT_OPENED)) {
            for (PositionChange change : changes) {
                if (change.kind() != ChangeKind.OPENED) {
                    continue;
                }
                rows.add(change.account(), change.conId(), change.symbol(), change.secType(), change.currency(),
                        change.multiplier(), change.quantityBefore(), change.quantityAfter(), change.averagePrice(),
                        change.marketPrice(), change.unrealizedPnl(), change.realizedPnlDelta(), change.realizedPnlSource(),
                        change.realizedPnlTotal(), change.exitPrice(), change.exitCommission(), change.brokerRealizedPnl(),
                        at(change, syncedAt), change.execIds());
                if (rows.rows() == writeChunkSize) {
                    written += runOpened(connection, statement, rows, runId, syncedAt);
                }
            }
            if (!rows.isEmpty()) {
                written += runOpened(connection, statement, rows, runId, syncedAt);
            }
        }
        return written;
    }

    private int runOpened(Connection connection, PreparedStatement statement, ArrayColumns rows, long runId,
            Instant syncedAt) throws SQLException {
        int index = rows.bind(connection, statement, 1);
        Jdbc.setInstant(statement, index++, syncedAt);
        statement.setLong(index, runId);
        int expected = rows.rows();
        int inserted = statement.executeUpdate();
        rows.clear();
        if (inserted != expected) {
            throw new IllegalStateException("opened " + inserted + " of " + expected + " positions");
        }
        return inserted;
    }

    private static Instant at(PositionChange change, Instant syncedAt) {
        return change.at() == null ? syncedAt : change.at();
    }

    /** A plain UNCHANGED touch leaves no history; anything that carries executions or P&L does. */
    static boolean keepsHistory(PositionChange change) {
        return change.kind() != ChangeKind.UNCHANGED || !change.execIds().isEmpty() || change.realizedPnlDelta() != null;
    }

    private static void validate(List<PositionChange> changes) {
        Set<Long> ids = new HashSet<>();
        Set<PositionKey> opened = new HashSet<>();
        for (PositionChange change : changes) {
            if (change.kind() == null) {
                throw new IllegalArgumentException("change without a kind: " + change);
            }
            if (change.quantityAfter() == null && change.kind() != ChangeKind.CLOSED) {
                throw new IllegalArgumentException("change without quantityAfter: " + change);
            }
            if (change.realizedPnlDelta() != null && change.realizedPnlSource() == null) {
                throw new IllegalArgumentException("realized P&L without its source: " + change);
            }
            if (change.kind() == ChangeKind.OPENED) {
                if (change.positionId() != null) {
                    throw new IllegalArgumentException("OPENED change with a position id: " + change);
                }
                if (change.quantityAfter().signum() == 0 || change.averagePrice() == null) {
                    throw new IllegalArgumentException("OPENED change needs a non-zero quantity and an average: " + change);
                }
                if (!opened.add(change.key())) {
                    throw new IllegalArgumentException("two OPENED changes for " + change.key());
                }
            } else {
                if (change.positionId() == null || change.quantityBefore() == null) {
                    throw new IllegalArgumentException(change.kind() + " change needs positionId and quantityBefore: "
                            + change);
                }
                if (!ids.add(change.positionId())) {
                    throw new IllegalArgumentException("two changes for position " + change.positionId());
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ reads

    public List<StoredPosition> find(PositionQuery query) throws SQLException {
        Filter filter = filter(query);
        List<StoredPosition> positions = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT " + COLUMNS + " FROM positions" + filter.where() + ORDER + " LIMIT ? OFFSET ?")) {
            int index = filter.bind(statement);
            statement.setInt(index++, query.limit());
            statement.setInt(index, query.offset());
            try (ResultSet rows = statement.executeQuery()) {
                Map<String, String> shared = new HashMap<>();
                while (rows.next()) {
                    positions.add(position(rows, shared));
                }
            }
        }
        return positions;
    }

    /** How many rows {@link #find} would return without limit and offset. */
    public long count(PositionQuery query) throws SQLException {
        Filter filter = filter(query);
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT count(*) FROM positions" + filter.where())) {
            filter.bind(statement);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    public Optional<StoredPosition> findById(long id) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT " + COLUMNS + " FROM positions WHERE id = ?")) {
            statement.setLong(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(position(rows, new HashMap<>())) : Optional.empty();
            }
        }
    }

    /** The changes of one lifecycle, oldest first, each with the executions that explain it. */
    public List<PositionHistoryEntry> history(long positionId) throws SQLException {
        return history("position_id = ?", positionId);
    }

    /** What one run changed, by position, each change with the executions that explain it. */
    public List<PositionHistoryEntry> historyOfRun(long runId) throws SQLException {
        return history("run_id = ?", runId);
    }

    private List<PositionHistoryEntry> history(String condition, long id) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            List<PositionHistoryEntry> bare = new ArrayList<>();
            Set<String> execIds = new LinkedHashSet<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT " + HISTORY_COLUMNS
                    + " FROM position_history WHERE " + condition + " ORDER BY recorded_at, run_id, position_id")) {
                statement.setLong(1, id);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        PositionHistoryEntry entry = historyEntry(rows);
                        bare.add(entry);
                        execIds.addAll(entry.execIds());
                    }
                }
            }
            Map<String, StoredExecution> stored = executions.findByExecIds(connection, execIds);
            List<PositionHistoryEntry> entries = new ArrayList<>(bare.size());
            for (PositionHistoryEntry entry : bare) {
                List<StoredExecution> explained = entry.execIds().stream()
                        .map(stored::get)
                        .filter(Objects::nonNull)
                        .sorted(ExecutionRepository.EXECUTION_ORDER)
                        .toList();
                entries.add(new PositionHistoryEntry(entry.positionId(), entry.runId(), entry.kind(),
                        entry.quantityBefore(), entry.quantityAfter(), entry.averagePrice(), entry.marketPrice(),
                        entry.realizedPnlDelta(), entry.realizedPnlTotal(), entry.realizedPnlSource(), entry.exitPrice(),
                        entry.exitCommission(), entry.brokerRealizedPnl(), entry.execIds(), entry.recordedAt(), explained));
            }
            return entries;
        }
    }

    /**
     * Overall and per-account figures, following the spec's "Portfolio summary": win rate over closed rows
     * with a P&L value (legacy rows without realized P&L count with their unrealized P&L, breakeven is not a
     * win), total = realized over all rows + unrealized over open rows.
     */
    public PortfolioSummary summary() throws SQLException {
        String sql = """
                SELECT account,
                       grouping(account) AS overall,
                       count(*) FILTER (WHERE status = 'OPEN') AS open_count,
                       count(*) FILTER (WHERE status = 'CLOSED') AS closed_count,
                       count(*) FILTER (WHERE status = 'CLOSED' AND coalesce(realized_pnl, unrealized_pnl) > 0) AS wins,
                       count(*) FILTER (WHERE status = 'CLOSED' AND coalesce(realized_pnl, unrealized_pnl) IS NOT NULL)
                           AS closed_with_pnl,
                       coalesce(sum(realized_pnl), 0) AS realized_pnl,
                       coalesce(sum(unrealized_pnl) FILTER (WHERE status = 'OPEN'), 0) AS unrealized_pnl,
                       max(last_synced_at) AS last_synced_at,
                       array_agg(DISTINCT currency ORDER BY currency) AS currencies
                FROM positions
                GROUP BY ROLLUP (account)
                ORDER BY grouping(account), account
                """;
        PnlSummary overall = null;
        List<PnlSummary> accounts = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                PnlSummary summary = pnlSummary(rows);
                if (rows.getInt("overall") == 1) {
                    overall = summary;
                } else {
                    accounts.add(summary);
                }
            }
        }
        if (overall == null) { // no rows at all: ROLLUP yields nothing
            overall = new PnlSummary(null, 0, 0, 0, 0, null, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, null,
                    List.of());
        }
        return new PortfolioSummary(overall, accounts);
    }

    /**
     * Rows that carry a realized P&L, counted by where it came from ({@code realized_pnl_source}); sources without
     * such a row are absent. Counted, not summed: the amounts are in each row's own currency.
     */
    public Map<RealizedPnlSource, Long> realizedPnlCountsBySource() throws SQLException {
        Map<RealizedPnlSource, Long> counts = new EnumMap<>(RealizedPnlSource.class);
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("SELECT realized_pnl_source, count(*) "
                        + "FROM positions WHERE realized_pnl IS NOT NULL AND realized_pnl_source IS NOT NULL "
                        + "GROUP BY realized_pnl_source");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                counts.put(RealizedPnlSource.valueOf(rows.getString(1)), rows.getLong(2));
            }
        }
        return counts;
    }

    private static PnlSummary pnlSummary(ResultSet rows) throws SQLException {
        long wins = rows.getLong("wins");
        long closedWithPnl = rows.getLong("closed_with_pnl");
        BigDecimal winRate = closedWithPnl == 0 ? null
                : BigDecimal.valueOf(wins).divide(BigDecimal.valueOf(closedWithPnl), PortfolioSummary.WIN_RATE_SCALE,
                        RoundingMode.HALF_EVEN);
        BigDecimal realized = rows.getBigDecimal("realized_pnl");
        BigDecimal unrealized = rows.getBigDecimal("unrealized_pnl");
        boolean overall = rows.getInt("overall") == 1;
        return new PnlSummary(overall ? null : rows.getString("account"), rows.getLong("open_count"),
                rows.getLong("closed_count"), wins, closedWithPnl, winRate, realized, unrealized,
                realized.add(unrealized), Jdbc.instant(rows, "last_synced_at"), Jdbc.textList(rows, "currencies"));
    }

    /** The WHERE clause of a query (fixed fragments, values bound) and its parameters. */
    record Filter(String where, List<Object> parameters) {
        int bind(PreparedStatement statement) throws SQLException {
            int index = 1;
            for (Object parameter : parameters) {
                statement.setObject(index++, parameter);
            }
            return index;
        }
    }

    static Filter filter(PositionQuery query) {
        List<String> conditions = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        if (query.status() != PositionQuery.Status.ALL) {
            conditions.add("status = ?");
            parameters.add(query.status().name());
        }
        if (query.account() != null) {
            conditions.add("account = ?");
            parameters.add(query.account());
        }
        if (query.staleMinutes() != null) {
            conditions.add("(last_synced_at < now() - make_interval(mins => ?) OR last_synced_at IS NULL)");
            parameters.add(query.staleMinutes());
        }
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        return new Filter(where, List.copyOf(parameters));
    }

    static StoredPosition position(ResultSet rows, Map<String, String> shared) throws SQLException {
        return new StoredPosition(
                rows.getLong("id"),
                share(shared, rows.getString("account")),
                rows.getLong("con_id"),
                rows.getString("symbol"),
                share(shared, rows.getString("sec_type")),
                share(shared, rows.getString("currency")),
                rows.getBigDecimal("multiplier"),
                rows.getBigDecimal("quantity"),
                rows.getBigDecimal("average_price"),
                rows.getBigDecimal("market_price"),
                rows.getBigDecimal("unrealized_pnl"),
                rows.getBigDecimal("realized_pnl"),
                Jdbc.enumValue(rows, "realized_pnl_source", RealizedPnlSource.class),
                PositionStatus.valueOf(rows.getString("status")),
                Jdbc.instant(rows, "opened_at"),
                Jdbc.instant(rows, "closed_at"),
                Jdbc.instant(rows, "last_synced_at"));
    }

    private static String share(Map<String, String> shared, String value) {
        return value == null ? null : shared.computeIfAbsent(value, v -> v);
    }

    private static PositionHistoryEntry historyEntry(ResultSet rows) throws SQLException {
        return new PositionHistoryEntry(
                rows.getLong("position_id"),
                rows.getLong("run_id"),
                ChangeKind.valueOf(rows.getString("change_kind")),
                rows.getBigDecimal("quantity_before"),
                rows.getBigDecimal("quantity_after"),
                rows.getBigDecimal("average_price"),
                rows.getBigDecimal("market_price"),
                rows.getBigDecimal("realized_pnl_delta"),
                rows.getBigDecimal("realized_pnl_total"),
                Jdbc.enumValue(rows, "realized_pnl_source", RealizedPnlSource.class),
                rows.getBigDecimal("exit_price"),
                rows.getBigDecimal("exit_commission"),
                rows.getBigDecimal("broker_realized_pnl"),
                Jdbc.textList(rows, "exec_ids"),
                Jdbc.instant(rows, "recorded_at"),
                List.of());
    }
}
