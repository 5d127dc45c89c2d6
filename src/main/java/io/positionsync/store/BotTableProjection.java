package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import java.sql.Savepoint;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.sync.BotRowMatching;
import io.positionsync.sync.LifecycleWrite;

/**
 * Keeps an adopted bot's positions table in step, in the run's transaction, after the service's own rows are
 * written:
 * <ol>
 * <li>links whose bot row is gone (the bot deleted it) are dropped: the lifecycle is one the bot has no row for
 * again, and gets its new row (or its break) in this same run;</li>
 * <li>open bot rows no link names are matched to open lifecycles no row stands for ({@link BotRowMatching}); one
 * match links the row, anything else is a {@code BOT_ROW_UNMATCHED} break and the row is left as it is;</li>
 * <li>lifecycles of the run no row stands for (and no unmatched row may mean) get a new bot row, linked, once
 * {@link ProjectionSettings#newRowGrace()} has passed since the position was first seen (a bot that writes its own
 * row meanwhile keeps it, linked); with adding off ({@link ProjectionSettings#addRows()}) an open one is a
 * {@code BOT_ROW_MISSING} break instead, resolved once a row stands for it or it closes;</li>
 * <li>the linked rows of the run's lifecycles whose values change (or whose last sync time is older than
 * {@link ProjectionSettings#syncedAtRefresh()}) take the lifecycle's quantity, average, market price, unrealized and
 * realized P&amp;L, status (in the bot's spelling), close time and {@code last_synced_at}, in the bot's column types
 * (times in UTC where the bot's columns have no time zone); their open time only when they have none. Rows are
 * locked in id order; a row whose values are as they would be written is not touched;</li>
 * <li>breaks of rows that are linked now, or no longer open, are resolved.</li>
 * </ol>
 * A deadlock with the bot's own transactions, or a serialization failure, rolls the projection back to where it
 * began in the run's transaction and writes it once more; a second one fails the run. The bot's table is always named
 * in full (schema and table); the link table lives in the service's schema, where the run's connection works.
 */
public final class BotTableProjection implements PositionProjection {
    private static final Logger LOG = LoggerFactory.getLogger(BotTableProjection.class);
    /** SQLSTATEs worth one more attempt: deadlock detected, serialization failure. */
    private static final Set<String> RETRYABLE = Set.of("40P01", "40001");

    private final BotTable table;
    private final AdoptionSettings.BotColumns columns;
    private final String statusOpen;
    private final String statusClosed;
    private final String sequence;
    private final boolean alwaysIdentity;
    private final ProjectionSettings settings;
    private final BreakRepository breaks = new BreakRepository(null);
    /** conId -> the broker's local symbol, from the snapshots seen; names new rows when the table has no sec type. */
    private final Map<Long, String> localSymbols = new ConcurrentHashMap<>();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong rowsWritten = new AtomicLong();

    private BotTableProjection(BotTable table, AdoptionSettings.BotColumns columns, String statusOpen,
            String statusClosed, String sequence, boolean alwaysIdentity, ProjectionSettings settings) {
        this.table = table;
        this.columns = columns;
        this.statusOpen = statusOpen;
        this.statusClosed = statusClosed;
        this.sequence = sequence;
        this.alwaysIdentity = alwaysIdentity;
        this.settings = settings;
    }

    /** The projection onto the adopted table; fails at start-up when a column it needs is gone. */
    static BotTableProjection load(Connection connection, Adoption.Adopted adopted, AdoptionSettings.BotColumns columns,
            ProjectionSettings settings) throws SQLException {
        BotTable table = BotTable.read(connection, adopted.botSchema(), adopted.botTable()).orElseThrow(
                () -> new IllegalStateException("the adopted table " + adopted.botSchema() + "." + adopted.botTable()
                        + " is gone"));
        for (String required : List.of(columns.id(), columns.symbol(), columns.quantity(), columns.status(),
                columns.lastSyncedAt(), columns.realizedPnl())) {
            if (table.column(required).isEmpty()) {
                throw new IllegalStateException("the adopted table " + table.displayName() + " has no column " + required
                        + " (psync.adopt.column.*)");
            }
        }
        String sequence = Adoption.sequenceOf(connection, table, columns.id());
        boolean always = "a".equals(table.column(columns.id()).orElseThrow().identity());
        return new BotTableProjection(table, columns, adopted.statusOpen(), adopted.statusClosed(), sequence, always,
                settings);
    }

    @Override
    public void reported(Map<Long, String> symbols) {
        localSymbols.putAll(symbols);
    }

    /**
     * Whether the bot's table tells a stock, its options and a future's months apart by a column of their own (its
     * security type column). When it does not, a new row's symbol is the broker's local symbol ({@code ESZ6}, an
     * option's OCC symbol), a stock's its symbol: never a bare {@code AAPL} for an option beside the stock's row.
     */
    static boolean tellsInstrumentsApart(BotTable table, AdoptionSettings.BotColumns columns) {
        return columns.secType() != null && table.column(columns.secType()).isPresent();
    }

    /** The most characters the bot's symbol column holds ({@code character varying(16)}: 16), or -1 for no limit. */
    static int symbolLength(BotTable table, AdoptionSettings.BotColumns columns) {
        String type = table.column(columns.symbol()).map(BotTable.Column::type).orElse("");
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("^character(?: varying)?\\((\\d+)\\)$")
                .matcher(type);
        return length.matches() ? Integer.parseInt(length.group(1)) : -1;
    }

    /** The adopted table. */
    public BotTable table() {
        return table;
    }

    /** How many projections met a deadlock or serialization failure and were written once more. */
    public long retries() {
        return retries.get();
    }

    /** How many bot rows runs have updated or added so far (rows whose values did not change are not counted). */
    public long rowsWritten() {
        return rowsWritten.get();
    }

    @Override
    public void project(Connection connection, long runId, List<LifecycleWrite> writes, Instant syncedAt)
            throws SQLException {
        for (int attempt = 1;; attempt++) {
            Savepoint start = connection.setSavepoint();
            try {
                int written = projectOnce(connection, runId, writes, syncedAt);
                connection.releaseSavepoint(start);
                rowsWritten.addAndGet(written);
                return;
            } catch (SQLException e) {
                if (attempt > 1 || !RETRYABLE.contains(e.getSQLState())) {
                    throw e;
                }
                connection.rollback(start);
                retries.incrementAndGet();
                LOG.warn("run {}: writing the bot's table {} met {} ({}); written once more", runId,
                        table.displayName(), e.getSQLState().equals("40P01") ? "a deadlock with another transaction"
                                : "a serialization failure", e.getSQLState());
            }
        }
    }

    /** One attempt; returns how many bot rows it added or updated. */
    private int projectOnce(Connection connection, long runId, List<LifecycleWrite> writes, Instant syncedAt)
            throws SQLException {
        // 0. Links whose row the bot deleted: the lifecycle has no row again.
        long[] dropped = dropLinksOfDeletedRows(connection, runId);
        // 1. Link the bot's open rows that no link names yet.
        List<BotRowMatching.BotRow> unlinked = Adoption.openUnlinkedRows(connection, table, columns, statusOpen,
                Adoption.LINK_TABLE);
        List<BotRowMatching.Match> matches = BotRowMatching.match(unlinked, openLifecycles(connection, false),
                unlinked.isEmpty() ? List.of() : openLifecycles(connection, true));
        List<BreakRepository.BotRowBreak> unmatched = new ArrayList<>();
        Set<Long> meant = new HashSet<>();
        try (PreparedStatement link = connection.prepareStatement("INSERT INTO " + Adoption.LINK_TABLE
                + " (bot_row_id, position_id, linked_run_id, linked_at) VALUES (?, ?, ?, ?)")) {
            for (BotRowMatching.Match match : matches) {
                if (match.linked()) {
                    link.setLong(1, match.row().id());
                    link.setLong(2, match.candidates().get(0).id());
                    link.setLong(3, runId);
                    Jdbc.setInstant(link, 4, syncedAt);
                    link.addBatch();
                } else {
                    match.candidates().forEach(c -> meant.add(c.id()));
                    unmatched.add(new BreakRepository.BotRowBreak(match.row().id(), match.row().account(),
                            match.row().symbol(), match.describe()));
                }
            }
            link.executeBatch();
        }
        long[] written = writes.stream().mapToLong(w -> w.row().id()).toArray();
        // 2. Rows for the run's lifecycles the bot has none for (or breaks, when adding is off).
        int added = 0;
        if (settings.addRows()) {
            added = insertMissingRows(connection, runId, written, dropped, meant, syncedAt);
        } else {
            recordMissingRows(connection, runId, written, dropped, meant, syncedAt);
        }
        resolveMissingRows(connection, runId, syncedAt);
        // 3. The linked rows of the run's lifecycles whose values change.
        int updated = updateLinkedRows(connection, written, syncedAt);
        // 4. Breaks: raise for newly unmatched rows, resolve those that are linked or gone.
        Map<Long, Long> open = breaks.openBotRowBreaks(connection);
        Set<Long> stillUnmatched = new HashSet<>();
        unmatched.forEach(b -> stillUnmatched.add(b.botRowId()));
        breaks.recordBotRowBreaks(connection, runId, unmatched.stream().filter(b -> !open.containsKey(b.botRowId())).toList(),
                syncedAt);
        breaks.resolveBotRowBreaks(connection, runId, open.keySet().stream().filter(id -> !stillUnmatched.contains(id))
                .toList(), syncedAt);
        LOG.debug("run {}: bot table {}: {} link(s) of deleted rows dropped, {} row(s) added, {} updated", runId,
                table.displayName(), dropped.length, added, updated);
        return added + updated;
    }

    /** Drops the links whose bot row no longer exists; returns the lifecycles they stood for. */
    private long[] dropLinksOfDeletedRows(Connection connection, long runId) throws SQLException {
        List<Long> lifecycles = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + Adoption.LINK_TABLE + " l "
                + "WHERE NOT EXISTS (SELECT 1 FROM " + table.qualifiedName() + " b WHERE b." + q(columns.id())
                + " = l.bot_row_id) RETURNING l.bot_row_id, l.position_id");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                lifecycles.add(rows.getLong(2));
                LOG.warn("run {}: bot row {} of {} is gone (deleted by the bot): its link to lifecycle {} is dropped",
                        runId, rows.getLong(1), table.displayName(), rows.getLong(2));
            }
        }
        return lifecycles.stream().mapToLong(Long::longValue).toArray();
    }

    /** Open lifecycles that a bot row stands for ({@code linked}) or that none does. */
    private static List<BotRowMatching.Candidate> openLifecycles(Connection connection, boolean linked)
            throws SQLException {
        List<BotRowMatching.Candidate> candidates = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT p.id, p.account, p.symbol, p.sec_type, "
                + "p.currency FROM positions p WHERE p.status = 'OPEN' AND " + (linked ? "" : "NOT ") + "EXISTS (SELECT 1 FROM "
                + Adoption.LINK_TABLE + " l WHERE l.position_id = p.id) ORDER BY p.id");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                candidates.add(new BotRowMatching.Candidate(rows.getLong(1), rows.getString(2), rows.getString(3),
                        rows.getString(4), rows.getString(5)));
            }
        }
        return candidates;
    }

    /**
     * The lifecycles a new row is for: the run's, and those whose row the bot deleted (open ones), that no link names
     * and no unmatched row may mean. The condition binds written, dropped and meant ids, in that order, on {@code p}.
     */
    private static final String MISSING = "(p.id = ANY (?) OR (p.id = ANY (?) AND p.status = 'OPEN')) "
            + "AND NOT (p.id = ANY (?)) AND NOT EXISTS (SELECT 1 FROM " + Adoption.LINK_TABLE
            + " l WHERE l.position_id = p.id)";

    private int bindMissing(Connection connection, PreparedStatement statement, int first, long[] written,
            long[] dropped, Set<Long> meant) throws SQLException {
        int i = first;
        statement.setArray(i++, connection.createArrayOf("bigint", box(written)));
        statement.setArray(i++, connection.createArrayOf("bigint", box(dropped)));
        statement.setArray(i++, connection.createArrayOf("bigint", meant.toArray()));
        return i;
    }

    private int insertMissingRows(Connection connection, long runId, long[] written, long[] dropped, Set<Long> meant,
            Instant syncedAt) throws SQLException {
        Values values = values(syncedAt);
        List<String> names = new ArrayList<>(List.of(q(columns.id()), q(columns.symbol())));
        List<String> expressions = new ArrayList<>(List.of("p.bot_row_id", "p.bot_symbol"));
        for (String[] identity : new String[][] {{columns.account(), "p.account"}, {columns.secType(), "p.sec_type"},
                {columns.currency(), "p.currency"}}) {
            if (identity[0] != null && table.column(identity[0]).isPresent()) {
                names.add(q(identity[0]));
                expressions.add(identity[1]);
            }
        }
        names.addAll(values.names());
        expressions.addAll(values.expressions());
        boolean apart = tellsInstrumentsApart(table, columns);
        // Without a security type column: the broker's local symbol, else (not in any snapshot this process saw)
        // the symbol and the security type, so that no option or future row reads as the stock.
        String symbol = apart ? "p.symbol"
                : "CASE WHEN p.sec_type = 'STK' THEN p.symbol ELSE coalesce((SELECT s.local_symbol FROM unnest("
                        + "CAST(? AS bigint[]), CAST(? AS text[])) AS s(con_id, local_symbol) WHERE s.con_id = p.con_id "
                        + "LIMIT 1), p.symbol || ' ' || p.sec_type) END";
        int length = symbolLength(table, columns);
        // A position first seen within the grace may still get the bot's own row; a deleted row's is added at once.
        String sql = "WITH src AS MATERIALIZED (SELECT n.*, nextval(?::regclass) AS bot_row_id FROM (SELECT p.*, "
                + symbol + " AS bot_symbol FROM positions p "
                + "WHERE " + MISSING + " AND (p.id = ANY (?) OR coalesce((SELECT min(r.started_at) FROM position_history h "
                + "JOIN sync_runs r ON r.id = h.run_id WHERE h.position_id = p.id), p.opened_at) <= ?)) n"
                // A symbol the bot's column cannot hold gets no row (the dry run says which kinds).
                + (length < 0 ? "" : " WHERE char_length(n.bot_symbol) <= " + length)
                + " ORDER BY n.id), "
                + "added AS (INSERT INTO " + table.qualifiedName() + " (" + String.join(", ", names) + ")"
                + (alwaysIdentity ? " OVERRIDING SYSTEM VALUE" : "") + " SELECT " + String.join(", ", expressions)
                + " FROM src p) "
                + "INSERT INTO " + Adoption.LINK_TABLE + " (bot_row_id, position_id, linked_run_id, linked_at) "
                + "SELECT bot_row_id, id, ?, ? FROM src";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int i = 1;
            statement.setString(i++, sequence);
            if (!apart) {
                List<Map.Entry<Long, String>> known = List.copyOf(localSymbols.entrySet());
                statement.setArray(i++, connection.createArrayOf("bigint", known.stream().map(Map.Entry::getKey).toArray()));
                statement.setArray(i++, connection.createArrayOf("text", known.stream().map(Map.Entry::getValue).toArray()));
            }
            i = bindMissing(connection, statement, i, written, dropped, meant);
            statement.setArray(i++, connection.createArrayOf("bigint", box(dropped)));
            Jdbc.setInstant(statement, i++, syncedAt.minus(settings.newRowGrace()));
            for (Object parameter : values.parameters()) {
                statement.setObject(i++, parameter);
            }
            statement.setLong(i++, runId);
            Jdbc.setInstant(statement, i, syncedAt);
            return statement.executeUpdate();
        }
    }

    /** Adding rows is off: an open lifecycle the bot has no row for is a break (once, while it stays so). */
    private void recordMissingRows(Connection connection, long runId, long[] written, long[] dropped, Set<Long> meant,
            Instant syncedAt) throws SQLException {
        String sql = "INSERT INTO reconciliation_breaks (run_id, position_id, account, con_id, symbol, currency, ours, "
                + "difference, tolerance, detected_at, note, kind) SELECT ?, p.id, p.account, p.con_id, p.symbol, "
                + "p.currency, p.quantity, 0, 0, ?, 'no row of the bot''s table ' || ? || ' stands for the open position '"
                + " || p.account || ' ' || p.symbol || ' (' || trim_scale(p.quantity) || '); adding rows is off "
                + "(PSYNC_ADOPT_ADD_ROWS=false)', 'BOT_ROW_MISSING' FROM positions p WHERE " + MISSING
                + " AND p.status = 'OPEN' AND NOT EXISTS (SELECT 1 FROM reconciliation_breaks r WHERE r.position_id = p.id "
                + "AND r.kind = 'BOT_ROW_MISSING' AND r.resolved_at IS NULL) ORDER BY p.id";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, runId);
            Jdbc.setInstant(statement, 2, syncedAt);
            statement.setString(3, table.displayName());
            bindMissing(connection, statement, 4, written, dropped, meant);
            statement.executeUpdate();
        }
    }

    /** Missing-row breaks of lifecycles a row stands for now, or that are no longer open, are resolved. */
    private void resolveMissingRows(Connection connection, long runId, Instant syncedAt) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("UPDATE reconciliation_breaks r SET resolved_at = ?, "
                + "resolved_run_id = ? WHERE r.kind = 'BOT_ROW_MISSING' AND r.resolved_at IS NULL AND (EXISTS (SELECT 1 FROM "
                + Adoption.LINK_TABLE + " l WHERE l.position_id = r.position_id) OR NOT EXISTS (SELECT 1 FROM positions p "
                + "WHERE p.id = r.position_id AND p.status = 'OPEN'))")) {
            Jdbc.setInstant(statement, 1, syncedAt);
            statement.setLong(2, runId);
            statement.executeUpdate();
        }
    }

    /**
     * Writes the linked rows of the run's lifecycles whose values change, or whose last sync time is older than the
     * refresh interval; they are locked in id order first (so two runs, or a bot that also goes by id, never wait on
     * each other in a cycle). Returns how many rows were written.
     */
    private int updateLinkedRows(Connection connection, long[] written, Instant syncedAt) throws SQLException {
        Values values = values(syncedAt);
        String openedAt = table.column(columns.openedAt()).map(c -> q(c.name())).orElse(null);
        String lastSynced = table.column(columns.lastSyncedAt()).map(c -> q(c.name())).orElse(null);
        List<String> selected = new ArrayList<>();
        List<String> assignments = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < values.names().size(); i++) {
            String name = values.names().get(i);
            String type = table.columns().stream().filter(c -> q(c.name()).equals(name)).findFirst().orElseThrow().type();
            // In the column's type, so a value the column rounds on assignment compares as it would be stored.
            selected.add("CAST(" + values.expressions().get(i) + " AS " + type + ") AS v" + i);
            // A row the bot opened knows better when than the service's first sight (an opening balance).
            String value = name.equals(openedAt) ? "coalesce(b." + name + ", s.v" + i + ")" : "s.v" + i;
            assignments.add(name + " = " + value);
            if (name.equals(lastSynced)) {
                changed.add("b." + name + " IS NULL OR b." + name + " < " + value + " - CAST(? AS interval)");
            } else {
                changed.add("b." + name + " IS DISTINCT FROM " + value);
            }
        }
        String id = q(columns.id());
        String sql = "WITH s AS MATERIALIZED (SELECT l.bot_row_id, " + String.join(", ", selected) + " FROM "
                + Adoption.LINK_TABLE + " l JOIN positions p ON p.id = l.position_id WHERE p.id = ANY (?)), "
                + "locked AS MATERIALIZED (SELECT b." + id + " AS id FROM " + table.qualifiedName() + " b JOIN s ON b."
                + id + " = s.bot_row_id WHERE " + changed.stream().map(c -> "(" + c + ")").collect(
                        java.util.stream.Collectors.joining(" OR ")) + " ORDER BY b." + id + " FOR UPDATE OF b) "
                + "UPDATE " + table.qualifiedName() + " b SET " + String.join(", ", assignments)
                + " FROM s WHERE b." + id + " = s.bot_row_id AND b." + id + " IN (SELECT id FROM locked)";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int i = 1;
            for (Object parameter : values.parameters()) {
                statement.setObject(i++, parameter);
            }
            statement.setArray(i++, connection.createArrayOf("bigint", box(written)));
            if (lastSynced != null) {
                statement.setString(i, settings.syncedAtRefresh().toMillis() + " milliseconds");
            }
            return statement.executeUpdate();
        }
    }

    /** The kept columns the bot's table has, with the expression (over lifecycle {@code p}) that fills each. */
    private Values values(Instant syncedAt) {
        List<String> names = new ArrayList<>();
        List<String> expressions = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        add(names, expressions, columns.quantity(), "p.quantity");
        add(names, expressions, columns.averagePrice(), "p.average_price");
        add(names, expressions, columns.marketPrice(), "p.market_price");
        add(names, expressions, columns.unrealizedPnl(), "p.unrealized_pnl");
        add(names, expressions, columns.openedAt(), "p.opened_at");
        add(names, expressions, columns.closedAt(), "p.closed_at");
        // Every lifecycle of the run was confirmed by it, also those whose own row it did not rewrite.
        if (table.column(columns.lastSyncedAt()).isPresent()) {
            add(names, expressions, columns.lastSyncedAt(), "CAST(? AS timestamptz)");
            parameters.add(java.time.OffsetDateTime.ofInstant(syncedAt, java.time.ZoneOffset.UTC));
        }
        add(names, expressions, columns.realizedPnl(), "p.realized_pnl");
        names.add(q(columns.status()));
        // The bot's own type (a varchar, or an enum a model declared): the values are its spellings.
        String type = table.column(columns.status()).orElseThrow().type();
        expressions.add("CASE WHEN p.status = 'OPEN' THEN CAST(? AS " + type + ") ELSE CAST(? AS " + type + ") END");
        parameters.add(statusOpen);
        parameters.add(statusClosed);
        return new Values(names, expressions, parameters);
    }

    private void add(List<String> names, List<String> expressions, String column, String expression) {
        table.column(column).ifPresent(c -> {
            names.add(q(c.name()));
            // A time without zone holds the bot's UTC wall clock; numbers take the column's type on assignment.
            expressions.add(c.isLocalTimestamp() ? "(" + expression + " AT TIME ZONE 'UTC')" : expression);
        });
    }

    private record Values(List<String> names, List<String> expressions, List<Object> parameters) {
    }

    private static Long[] box(long[] values) {
        Long[] boxed = new Long[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }

    private static String q(String name) {
        return AdoptionSettings.quote(name);
    }
}
