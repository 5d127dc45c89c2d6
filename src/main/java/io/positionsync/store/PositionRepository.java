package io.positionsync.store;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import javax.sql.DataSource;

import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.FillLedger;
import io.positionsync.sync.HistoryEntry;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.StoredExecution;

/**
 * The {@code positions} table and its {@code position_history}. Writes take the sync run's connection so
 * that a run commits everything in one transaction; they are set-based ({@code unnest} of array
 * parameters, {@code writeChunkSize} rows per statement) so 100 000 changes cost a few dozen round trips, and
 * inserts of more rows than one statement takes are streamed with COPY ({@link CopyRows}), and so are that many
 * changed rows (into a temporary table that one {@code UPDATE ... FROM} reads). An open row whose
 * values did not change is not written at all: its sync time is its account's ({@link #SYNCED}).
 * Reads for the HTTP API use the pool.
 */
public final class PositionRepository {
    static final String COLUMNS = "id, account, con_id, symbol, sec_type, currency, multiplier, quantity, average_price, "
            + "market_price, unrealized_pnl, realized_pnl, realized_pnl_source, status, opened_at, closed_at, last_synced_at";

    /**
     * When a sync last confirmed a row, as the API reports it: an open row is confirmed by every complete snapshot
     * that lists its account (runs do not rewrite a row whose values did not change, they record the account's
     * time in {@code accounts.last_reported_at}); a closed row keeps its own time. Over {@link #FROM}.
     */
    static final String SYNCED = "greatest(p.last_synced_at, a.last_reported_at)";

    /** Positions {@code p} with their account's last complete sync {@code a} (open rows only). */
    static final String FROM = " FROM positions p LEFT JOIN accounts a ON a.account = p.account AND p.status = 'OPEN'";

    /** {@link #COLUMNS} over {@link #FROM}, with the reported sync time. */
    static final String VIEW_COLUMNS = "p.id, p.account, p.con_id, p.symbol, p.sec_type, p.currency, p.multiplier, "
            + "p.quantity, p.average_price, p.market_price, p.unrealized_pnl, p.realized_pnl, p.realized_pnl_source, "
            + "p.status, p.opened_at, p.closed_at, " + SYNCED + " AS last_synced_at";

    /** Deterministic order for pages: instrument, then newest lifecycle first. */
    static final String ORDER = " ORDER BY p.account, p.symbol, p.con_id, p.opened_at DESC, p.id DESC";

    /** The most recently closed first (the dashboard's "Recently closed"). */
    static final String CLOSED_ORDER = " ORDER BY p.closed_at DESC NULLS LAST, p.id DESC";

    private static final String HISTORY_COLUMNS = "position_id, run_id, change_kind, quantity_before, quantity_after, "
            + "average_price, market_price, realized_pnl_delta, realized_pnl_total, realized_pnl_source, exit_price, "
            + "exit_commission, broker_realized_pnl, exec_ids, recorded_at";

    private static final String EXEC_IDS = "coalesce(string_to_array(u.exec_ids, chr(31)), '{}')";

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

    /** Rows per set-based write statement. */
    public int writeChunkSize() {
        return writeChunkSize;
    }

    /** The lifecycles with these ids, read in the run's transaction. */
    public Map<Long, StoredPosition> findByIds(Connection connection, Collection<Long> ids) throws SQLException {
        Map<Long, StoredPosition> found = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return found;
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM positions WHERE id = ANY (?) ORDER BY opened_at, id")) {
            statement.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                Map<String, String> shared = new HashMap<>();
                while (rows.next()) {
                    StoredPosition position = position(rows, shared);
                    found.put(position.id(), position);
                }
            }
        }
        return found;
    }

    /**
     * The ids of each key's lifecycles from {@code since}: the open one and every one closed at or after that time
     * (a suffix of the key's chain, the part a refold from {@code since} recomputes). Dissolved (VOID) ones are not
     * part of any chain.
     */
    public Set<Long> lifecyclesSince(Connection connection, Map<PositionKey, Instant> since) throws SQLException {
        Set<Long> ids = new LinkedHashSet<>();
        if (since.isEmpty()) {
            return ids;
        }
        String[] accounts = new String[since.size()];
        Long[] conIds = new Long[since.size()];
        java.sql.Timestamp[] times = new java.sql.Timestamp[since.size()];
        int i = 0;
        for (Map.Entry<PositionKey, Instant> entry : since.entrySet()) {
            accounts[i] = entry.getKey().account();
            conIds[i] = entry.getKey().conId();
            times[i] = java.sql.Timestamp.from(entry.getValue());
            i++;
        }
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT p.id FROM unnest(?::text[], ?::bigint[], ?::timestamptz[]) AS k(account, con_id, since)
                JOIN positions p ON p.account = k.account AND p.con_id = k.con_id
                WHERE p.status <> 'VOID' AND (p.closed_at IS NULL OR p.closed_at >= k.since)
                """)) {
            statement.setArray(1, connection.createArrayOf("text", accounts));
            statement.setArray(2, connection.createArrayOf("bigint", conIds));
            statement.setArray(3, connection.createArrayOf("timestamptz", times));
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    ids.add(result.getLong(1));
                }
            }
        }
        return ids;
    }

    /**
     * Reserves ids for {@code count} new lifecycles, so that their ledger entries, history and breaks can refer
     * to them before the rows are written (one round trip).
     */
    public long[] reserveIds(Connection connection, int count) throws SQLException {
        long[] ids = new long[count];
        if (count == 0) {
            return ids;
        }
        try (PreparedStatement statement = connection.prepareStatement(
                // the sequence looked up once, not once per id
                "SELECT nextval(q.sequence) FROM (SELECT pg_get_serial_sequence('positions', 'id')::regclass AS sequence) q"
                        + " CROSS JOIN generate_series(1, ?)")) {
            statement.setInt(1, count);
            try (ResultSet rows = statement.executeQuery()) {
                for (int i = 0; i < count; i++) {
                    rows.next();
                    ids[i] = rows.getLong(1);
                }
            }
        }
        return ids;
    }

    /**
     * Writes one run's lifecycles in the caller's transaction, set-based: changed rows first (a lifecycle that
     * closes frees its key before the next one opens), then the plain touches, then the new rows (ids already
     * reserved), then the history. Every row of {@code writes} carries its final id.
     *
     * @throws IllegalStateException if a changed or touched lifecycle is not in the table any more (or a touched
     *                               one is not open): the run must not commit
     */
    public void write(Connection connection, long runId, List<LifecycleWrite> writes, Instant syncedAt)
            throws SQLException {
        List<Object[]> changed = new ArrayList<>();
        List<Object[]> opening = new ArrayList<>();
        List<Object[]> touched = new ArrayList<>();
        List<Object[]> inserted = new ArrayList<>();
        List<Object[]> history = new ArrayList<>();
        long[] ids = new long[writes.size()]; // a run's every open row: a sorted array, not a set of boxed ids
        for (int i = 0; i < ids.length; i++) {
            StoredPosition row = writes.get(i).row();
            if (row.id() <= 0) {
                throw new IllegalArgumentException("lifecycle without an id: " + row.key());
            }
            ids[i] = row.id();
        }
        Arrays.sort(ids);
        for (int i = 1; i < ids.length; i++) {
            if (ids[i] == ids[i - 1]) {
                throw new IllegalArgumentException("lifecycle " + ids[i] + " written twice in one run");
            }
        }
        for (LifecycleWrite write : writes) {
            StoredPosition row = write.row();
            if (write.unchanged()) {
                continue; // the stored row says it all; its sync time is its account's (accounts.last_reported_at)
            }
            if (write.touchOnly()) {
                touched.add(new Object[] {row.id(), row.marketPrice(), row.unrealizedPnl()});
                continue;
            }
            if (write.created()) { // in INSERT_COLUMNS order
                inserted.add(new Object[] {row.id(), row.account(), row.conId(), row.symbol(), row.secType(),
                    row.currency(), row.multiplier(), row.quantity(), row.averagePrice(), row.marketPrice(),
                    row.unrealizedPnl(), row.realizedPnl(), row.realizedPnlSource(), row.status(), row.openedAt(),
                    row.closedAt(), syncedAt});
            } else {
                Object[] values = {row.id(), row.quantity(), row.averagePrice(), row.marketPrice(),
                    row.unrealizedPnl(), row.realizedPnl(), row.realizedPnlSource(), row.status(), row.openedAt(),
                    row.closedAt()};
                // at most one open row per key at any moment: rows leaving OPEN are updated before one (re)opens
                (row.status() == PositionStatus.OPEN ? opening : changed).add(values);
            }
            for (HistoryEntry entry : write.history()) { // in HISTORY_INSERT_COLUMNS order
                history.add(new Object[] {row.id(), runId, entry.kind(), entry.quantityBefore(),
                    entry.quantityAfter(), entry.averagePrice(), entry.marketPrice(), entry.realizedPnlDelta(),
                    entry.realizedPnlTotal(), entry.realizedPnlSource(), entry.exitPrice(), entry.exitCommission(),
                    entry.brokerRealizedPnl(), entry.execIds(),
                    entry.at() == null ? syncedAt : entry.at(), entry.realizedPnlBefore()});
            }
        }
        int updated = updateChanged(connection, changed, syncedAt) + updateChanged(connection, opening, syncedAt);
        if (updated != changed.size() + opening.size()) {
            throw new IllegalStateException((changed.size() + opening.size() - updated)
                    + " lifecycle(s) changed by the run are gone");
        }
        int refreshed = ArrayColumns.executeChunked(connection, TOUCH, 3, writeChunkSize, touched);
        if (refreshed != touched.size()) {
            throw new IllegalStateException((touched.size() - refreshed) + " open lifecycle(s) are not open any more");
        }
        // More rows than one statement takes are streamed with COPY; either way the same rows are written.
        if (inserted.size() > writeChunkSize) {
            CopyRows.copy(connection, "positions", INSERT_COLUMNS, inserted);
        } else {
            ArrayColumns.executeChunked(connection, INSERT, 17, writeChunkSize, inserted);
        }
        if (history.size() > writeChunkSize) {
            CopyRows.copy(connection, "position_history", HISTORY_INSERT_COLUMNS, history);
        } else {
            ArrayColumns.executeChunked(connection, INSERT_HISTORY, 16, writeChunkSize, history);
        }
    }

    private static final String INSERT_COLUMNS = "id, account, con_id, symbol, sec_type, currency, multiplier, quantity, "
            + "average_price, market_price, unrealized_pnl, realized_pnl, realized_pnl_source, status, opened_at, "
            + "closed_at, last_synced_at";

    private static final String HISTORY_INSERT_COLUMNS = "position_id, run_id, change_kind, quantity_before, "
            + "quantity_after, average_price, market_price, realized_pnl_delta, realized_pnl_total, realized_pnl_source, "
            + "exit_price, exit_commission, broker_realized_pnl, exec_ids, recorded_at, realized_pnl_before";

    /** What a changed lifecycle's update sets, besides its sync time: the figures of its ledger and its status. */
    private static final String CHANGED_COLUMNS = "id, quantity, average_price, market_price, unrealized_pnl, "
            + "realized_pnl, realized_pnl_source, status, opened_at, closed_at";

    /** A lifecycle the run changed: every figure comes from its ledger. Rows {@code u} in CHANGED_COLUMNS order. */
    private static final String UPDATE_CHANGED_FROM = """
            UPDATE positions p SET quantity = u.quantity, average_price = u.average_price,
                   market_price = u.market_price, unrealized_pnl = u.unrealized_pnl, realized_pnl = u.realized_pnl,
                   realized_pnl_source = u.realized_pnl_source, status = u.status, opened_at = u.opened_at,
                   closed_at = u.closed_at,
                   last_synced_at = ?
            FROM %s
            WHERE p.id = u.id
            """;

    private static final String UPDATE_CHANGED = UPDATE_CHANGED_FROM.formatted("""
            unnest(?::bigint[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::text[],
                   ?::text[], ?::timestamptz[], ?::timestamptz[]) AS u(%s)""".formatted(CHANGED_COLUMNS));

    /**
     * The changed rows of a large run, filled by COPY: no WAL, no index, dropped with the transaction (and as soon as
     * the update has read it).
     */
    private static final String CHANGED_TABLE = "positions_changed";
    private static final String CREATE_CHANGED_TABLE = "CREATE TEMPORARY TABLE " + CHANGED_TABLE + " (id bigint, "
            + "quantity numeric, average_price numeric, market_price numeric, unrealized_pnl numeric, "
            + "realized_pnl numeric, realized_pnl_source text, status text, opened_at timestamptz, closed_at timestamptz) "
            + "ON COMMIT DROP";
    private static final String UPDATE_CHANGED_TABLE = UPDATE_CHANGED_FROM.formatted(CHANGED_TABLE + " u");

    /**
     * Updates the changed lifecycles: in statements of {@code writeChunkSize} rows or, for more and inside a
     * transaction, streamed by COPY into a temporary table and updated by one statement.
     *
     * @return how many rows were updated
     */
    private int updateChanged(Connection connection, List<Object[]> changed, Instant syncedAt) throws SQLException {
        if (changed.size() <= writeChunkSize || connection.getAutoCommit()) {
            return ArrayColumns.executeChunked(connection, UPDATE_CHANGED, 10, writeChunkSize, changed, syncedAt);
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute(CREATE_CHANGED_TABLE);
        }
        CopyRows.copy(connection, CHANGED_TABLE, CHANGED_COLUMNS, changed);
        int updated;
        try (PreparedStatement statement = connection.prepareStatement(UPDATE_CHANGED_TABLE)) {
            Jdbc.setInstant(statement, 1, syncedAt);
            updated = statement.executeUpdate();
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE " + CHANGED_TABLE);
        }
        return updated;
    }

    /**
     * An open lifecycle nothing happened to but its market values (a missing value keeps the old). Its sync time is
     * its account's ({@code accounts.last_reported_at}), so no indexed column changes: with the table's fillfactor
     * the update can stay on the row's page (a HOT update, no index entries written).
     */
    private static final String TOUCH = """
            UPDATE positions p SET market_price = coalesce(u.market_price, p.market_price),
                   unrealized_pnl = coalesce(u.unrealized_pnl, p.unrealized_pnl)
            FROM unnest(?::bigint[], ?::numeric[], ?::numeric[]) AS u(id, market_price, unrealized_pnl)
            WHERE p.id = u.id AND p.status = 'OPEN'
            """;

    private static final String INSERT = """
            INSERT INTO positions (%s)
            SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::numeric[],
                                 ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::text[],
                                 ?::text[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[])
            """.formatted(INSERT_COLUMNS);

    private static final String INSERT_HISTORY = """
            INSERT INTO position_history (%s)
            SELECT u.position_id, u.run_id, u.change_kind, u.quantity_before, u.quantity_after, u.average_price,
                   u.market_price, u.realized_pnl_delta, u.realized_pnl_total, u.realized_pnl_source, u.exit_price,
                   u.exit_commission, u.broker_realized_pnl, %s, u.recorded_at, u.realized_pnl_before
            FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[],
                        ?::numeric[], ?::numeric[], ?::text[], ?::numeric[], ?::numeric[], ?::numeric[], ?::text[],
                        ?::timestamptz[], ?::numeric[])
                AS u(position_id, run_id, change_kind, quantity_before, quantity_after, average_price, market_price,
                     realized_pnl_delta, realized_pnl_total, realized_pnl_source, exit_price, exit_commission,
                     broker_realized_pnl, exec_ids, recorded_at, realized_pnl_before)
            """.formatted(HISTORY_INSERT_COLUMNS, EXEC_IDS);

    // ------------------------------------------------------------------------------------------ reads

    public List<StoredPosition> find(PositionQuery query) throws SQLException {
        Filter filter = filter(query);
        List<StoredPosition> positions = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT " + VIEW_COLUMNS + FROM + filter.where()
                                + (query.order() == PositionQuery.Order.CLOSED ? CLOSED_ORDER : ORDER)
                                + " LIMIT ? OFFSET ?")) {
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

    /**
     * The most each lifecycle of {@code ids} held (signed: a short's is negative), from the fold of its fill ledger:
     * a closed lifecycle's quantity is 0, this is its size. Lifecycles without entries are left out.
     */
    public Map<Long, java.math.BigDecimal> peakQuantities(java.util.Collection<Long> ids) throws SQLException {
        Map<Long, java.math.BigDecimal> peaks = new HashMap<>();
        if (ids.isEmpty()) {
            return peaks;
        }
        try (Connection connection = dataSource.getConnection()) {
            new LedgerRepository(1).entries(connection, ids).forEach((id, entries) -> {
                io.positionsync.sync.LedgerState state = io.positionsync.sync.LedgerState.FLAT;
                java.math.BigDecimal peak = null;
                for (io.positionsync.sync.LedgerEntry entry : entries) {
                    // the quantity does not depend on the multiplier
                    state = io.positionsync.sync.FillLedger.apply(state, entry, null);
                    if (peak == null || state.quantity().abs().compareTo(peak.abs()) > 0) {
                        peak = state.quantity();
                    }
                }
                if (peak != null) {
                    peaks.put(id, peak);
                }
            });
        }
        return peaks;
    }

    /** How many rows {@link #find} would return without limit and offset. */
    public long count(PositionQuery query) throws SQLException {
        Filter filter = filter(query);
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT count(*)" + FROM + filter.where())) {
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
                        "SELECT " + VIEW_COLUMNS + FROM + " WHERE p.id = ?")) {
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

    /**
     * Within one run a lifecycle is adjusted for late facts first, then opened or changed, then closed; fill
     * times (whole seconds at the broker) cannot order these on their own.
     */
    private static final String KIND_ORDER = "CASE change_kind WHEN 'ADJUSTED' THEN 0 WHEN 'OPENED' THEN 1 "
            + "WHEN 'CLOSED' THEN 3 ELSE 2 END";

    private List<PositionHistoryEntry> history(String condition, long id) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            List<PositionHistoryEntry> bare = new ArrayList<>();
            Set<String> execIds = new LinkedHashSet<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT " + HISTORY_COLUMNS
                    + " FROM position_history WHERE " + condition + " ORDER BY run_id, position_id, " + KIND_ORDER + ", recorded_at")) {
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
        return summary(Map.of());
    }

    /**
     * The portfolio summary. Rows are grouped by account, currency and whether they are orphaned (open, of an
     * account the last complete snapshot of every account did not report: a run of some accounts reports only
     * those, and says nothing of the others); sums are only ever formed within one currency.
     *
     * @param rates the last exchange rates per account (account -> currency -> base currency per unit), for
     *              the base-currency totals
     */
    public PortfolioSummary summary(Map<String, Map<String, BigDecimal>> rates) throws SQLException {
        String sql = """
                WITH latest AS (SELECT max(id) AS run_id FROM sync_runs
                                WHERE status = 'SUCCEEDED' AND accounts IS NULL),
                     reported AS (SELECT a.account, a.last_reported_run_id < l.run_id AS gone,
                                         a.last_reported_at
                                  FROM accounts a CROSS JOIN latest l)
                SELECT p.account, p.currency,
                       (p.status = 'OPEN' AND coalesce(r.gone, false)) AS orphaned,
                       count(*) FILTER (WHERE p.status = 'OPEN') AS open_count,
                       count(*) FILTER (WHERE p.status = 'CLOSED') AS closed_count,
                       count(*) FILTER (WHERE p.status = 'CLOSED' AND coalesce(p.realized_pnl, p.unrealized_pnl) > 0)
                           AS wins,
                       count(*) FILTER (WHERE p.status = 'CLOSED' AND coalesce(p.realized_pnl, p.unrealized_pnl)
                           IS NOT NULL) AS closed_with_pnl,
                       coalesce(sum(p.realized_pnl), 0) AS realized_pnl,
                       coalesce(sum(p.unrealized_pnl) FILTER (WHERE p.status = 'OPEN'), 0) AS unrealized_pnl,
                       max(CASE WHEN p.status = 'OPEN' THEN greatest(p.last_synced_at, r.last_reported_at)
                                ELSE p.last_synced_at END) AS last_synced_at
                FROM positions p LEFT JOIN reported r ON r.account = p.account
                GROUP BY p.account, p.currency, orphaned
                ORDER BY p.account, p.currency
                """;
        Map<String, SummaryBuilder> live = new TreeMap<>();
        Map<String, SummaryBuilder> orphaned = new TreeMap<>();
        SummaryBuilder overall = new SummaryBuilder(null);
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                String account = rows.getString("account");
                if (rows.getBoolean("orphaned")) {
                    orphaned.computeIfAbsent(account, SummaryBuilder::new).add(rows);
                } else {
                    live.computeIfAbsent(account, SummaryBuilder::new).add(rows);
                    overall.add(rows);
                }
            }
        }
        List<BaseCurrencyTotal> baseTotals = new ArrayList<>();
        for (SummaryBuilder account : live.values()) {
            BaseCurrencyTotal total = account.baseTotal(rates.getOrDefault(account.account, Map.of()));
            if (total != null) {
                baseTotals.add(total);
            }
        }
        return new PortfolioSummary(overall.build(), live.values().stream().map(SummaryBuilder::build).toList(),
                orphaned.values().stream().map(SummaryBuilder::build).toList(), baseTotals);
    }

    /** Adds up grouped summary rows of one account (or of all), keeping currencies apart. */
    private static final class SummaryBuilder {
        final String account;
        long open;
        long closed;
        long wins;
        long closedWithPnl;
        Instant lastSyncedAt;
        final Map<String, CurrencyPnl> byCurrency = new TreeMap<>();

        SummaryBuilder(String account) {
            this.account = account;
        }

        void add(ResultSet rows) throws SQLException {
            open += rows.getLong("open_count");
            closed += rows.getLong("closed_count");
            wins += rows.getLong("wins");
            closedWithPnl += rows.getLong("closed_with_pnl");
            Instant synced = Jdbc.instant(rows, "last_synced_at");
            if (synced != null && (lastSyncedAt == null || synced.isAfter(lastSyncedAt))) {
                lastSyncedAt = synced;
            }
            String currency = rows.getString("currency");
            CurrencyPnl zero = new CurrencyPnl(currency, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);
            byCurrency.put(currency, byCurrency.getOrDefault(currency, zero)
                    .plus(rows.getBigDecimal("realized_pnl"), rows.getBigDecimal("unrealized_pnl")));
        }

        PnlSummary build() {
            BigDecimal winRate = closedWithPnl == 0 ? null : BigDecimal.valueOf(wins)
                    .divide(BigDecimal.valueOf(closedWithPnl), PortfolioSummary.WIN_RATE_SCALE, RoundingMode.HALF_EVEN);
            CurrencyPnl only = byCurrency.size() == 1 ? byCurrency.values().iterator().next() : null;
            BigDecimal none = byCurrency.isEmpty() ? BigDecimal.ZERO : null;
            return new PnlSummary(account, open, closed, wins, closedWithPnl, winRate,
                    only != null ? only.realizedPnl() : none, only != null ? only.unrealizedPnl() : none,
                    only != null ? only.totalPnl() : none, lastSyncedAt, List.copyOf(byCurrency.keySet()),
                    List.copyOf(byCurrency.values()));
        }

        /** The base currency is the one whose rate is 1; a currency without a rate leaves the total unknown. */
        BaseCurrencyTotal baseTotal(Map<String, BigDecimal> rates) {
            List<String> base = rates.entrySet().stream().filter(e -> e.getValue().compareTo(BigDecimal.ONE) == 0)
                    .map(Map.Entry::getKey).toList();
            if (base.size() != 1 || byCurrency.isEmpty()) {
                return null;
            }
            BigDecimal total = BigDecimal.ZERO;
            List<String> missing = new ArrayList<>();
            for (CurrencyPnl pnl : byCurrency.values()) {
                BigDecimal rate = rates.get(pnl.currency());
                if (rate == null) {
                    missing.add(pnl.currency());
                } else {
                    total = total.add(pnl.totalPnl().multiply(rate));
                }
            }
            return new BaseCurrencyTotal(account, base.get(0),
                    missing.isEmpty() ? total.setScale(FillLedger.SCALE, RoundingMode.HALF_EVEN) : null, missing);
        }
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
            conditions.add("p.status = ?");
            parameters.add(query.status().name());
        }
        if (query.account() != null) {
            conditions.add("p.account = ?");
            parameters.add(query.account());
        }
        if (query.staleMinutes() != null) {
            // greatest(row, account) is older than the cutoff (or unknown) when both are: the row's own time can
            // still be a range scan on its index, the account's time (open rows only) filters what it finds
            conditions.add("(p.last_synced_at < now() - make_interval(mins => ?) OR p.last_synced_at IS NULL)");
            conditions.add("(a.last_reported_at < now() - make_interval(mins => ?) OR a.last_reported_at IS NULL)");
            parameters.add(query.staleMinutes());
            parameters.add(query.staleMinutes());
        }
        if (query.symbol() != null) {
            conditions.add("p.symbol = ?");
            parameters.add(query.symbol());
        }
        if (query.activeFrom() != null) {
            conditions.add("(p.closed_at IS NULL OR p.closed_at >= ?)");
            parameters.add(java.time.OffsetDateTime.ofInstant(query.activeFrom(), java.time.ZoneOffset.UTC));
        }
        if (query.activeTo() != null) {
            conditions.add("p.opened_at < ?");
            parameters.add(java.time.OffsetDateTime.ofInstant(query.activeTo(), java.time.ZoneOffset.UTC));
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
