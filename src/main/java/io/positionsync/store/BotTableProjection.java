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

import io.positionsync.sync.BotRowMatching;
import io.positionsync.sync.LifecycleWrite;

/**
 * Keeps an adopted bot's positions table in step, in the run's transaction, after the service's own rows are
 * written:
 * <ol>
 * <li>open bot rows no link names are matched to open lifecycles no row stands for ({@link BotRowMatching}); one
 * match links the row, anything else is a {@code BOT_ROW_UNMATCHED} break and the row is left as it is;</li>
 * <li>lifecycles of the run no row stands for (and no unmatched row may mean) get a new bot row, linked;</li>
 * <li>every linked row of a lifecycle the run wrote takes its quantity, average, market price, unrealized and
 * realized P&amp;L, status (in the bot's spelling), close time and {@code last_synced_at}, in the bot's column types
 * (times in UTC where the bot's columns have no time zone); its open time only when it has none;</li>
 * <li>breaks of rows that are linked now, or no longer open, are resolved.</li>
 * </ol>
 * The bot's table is always named in full (schema and table); the link table lives in the service's schema, where
 * the run's connection works.
 */
public final class BotTableProjection implements PositionProjection {
    private final BotTable table;
    private final AdoptionSettings.BotColumns columns;
    private final String statusOpen;
    private final String statusClosed;
    private final String sequence;
    private final boolean alwaysIdentity;
    private final BreakRepository breaks = new BreakRepository(null);
    /** conId -> the broker's local symbol, from the snapshots seen; names new rows when the table has no sec type. */
    private final Map<Long, String> localSymbols = new ConcurrentHashMap<>();

    private BotTableProjection(BotTable table, AdoptionSettings.BotColumns columns, String statusOpen,
            String statusClosed, String sequence, boolean alwaysIdentity) {
        this.table = table;
        this.columns = columns;
        this.statusOpen = statusOpen;
        this.statusClosed = statusClosed;
        this.sequence = sequence;
        this.alwaysIdentity = alwaysIdentity;
    }

    /** The projection onto the adopted table; fails at start-up when a column it needs is gone. */
    static BotTableProjection load(Connection connection, Adoption.Adopted adopted, AdoptionSettings.BotColumns columns)
            throws SQLException {
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
        return new BotTableProjection(table, columns, adopted.statusOpen(), adopted.statusClosed(), sequence, always);
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

    @Override
    public void project(Connection connection, long runId, List<LifecycleWrite> writes, Instant syncedAt)
            throws SQLException {
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
        // 2. Rows for the run's lifecycles the bot has none for.
        insertMissingRows(connection, runId, written, meant, syncedAt);
        // 3. Every linked row of the run's lifecycles.
        updateLinkedRows(connection, written, syncedAt);
        // 4. Breaks: raise for newly unmatched rows, resolve those that are linked or gone.
        Map<Long, Long> open = breaks.openBotRowBreaks(connection);
        Set<Long> stillUnmatched = new HashSet<>();
        unmatched.forEach(b -> stillUnmatched.add(b.botRowId()));
        breaks.recordBotRowBreaks(connection, runId, unmatched.stream().filter(b -> !open.containsKey(b.botRowId())).toList(),
                syncedAt);
        breaks.resolveBotRowBreaks(connection, runId, open.keySet().stream().filter(id -> !stillUnmatched.contains(id))
                .toList(), syncedAt);
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

    private void insertMissingRows(Connection connection, long runId, long[] written, Set<Long> meant, Instant syncedAt)
            throws SQLException {
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
        String sql = "WITH src AS MATERIALIZED (SELECT n.*, nextval(?::regclass) AS bot_row_id FROM (SELECT p.*, "
                + symbol + " AS bot_symbol FROM positions p "
                + "WHERE p.id = ANY (?) AND NOT (p.id = ANY (?)) AND NOT EXISTS (SELECT 1 FROM " + Adoption.LINK_TABLE
                + " l WHERE l.position_id = p.id)) n"
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
            statement.setArray(i++, connection.createArrayOf("bigint", box(written)));
            statement.setArray(i++, connection.createArrayOf("bigint", meant.toArray()));
            for (Object parameter : values.parameters()) {
                statement.setObject(i++, parameter);
            }
            statement.setLong(i++, runId);
            Jdbc.setInstant(statement, i, syncedAt);
            statement.executeUpdate();
        }
    }

    private void updateLinkedRows(Connection connection, long[] written, Instant syncedAt) throws SQLException {
        Values values = values(syncedAt);
        List<String> assignments = new ArrayList<>();
        String openedAt = table.column(columns.openedAt()).map(c -> q(c.name())).orElse(null);
        for (int i = 0; i < values.names().size(); i++) {
            String name = values.names().get(i);
            // A row the bot opened knows better when than the service's first sight (an opening balance).
            String value = name.equals(openedAt) ? "coalesce(b." + name + ", " + values.expressions().get(i) + ")"
                    : values.expressions().get(i);
            assignments.add(name + " = " + value);
        }
        String sql = "UPDATE " + table.qualifiedName() + " b SET " + String.join(", ", assignments)
                + " FROM " + Adoption.LINK_TABLE + " l JOIN positions p ON p.id = l.position_id"
                + " WHERE b." + q(columns.id()) + " = l.bot_row_id AND p.id = ANY (?)";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int i = 1;
            for (Object parameter : values.parameters()) {
                statement.setObject(i++, parameter);
            }
            statement.setArray(i, connection.createArrayOf("bigint", box(written)));
            statement.executeUpdate();
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
