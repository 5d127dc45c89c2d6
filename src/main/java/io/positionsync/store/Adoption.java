package io.positionsync.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.sync.BotRowMatching;

/**
 * Adopting a trading bot's database: the service keeps the bot's own positions table in step instead of writing a
 * table of its own beside it.
 *
 * <p>What {@link #adopt} changes, in one transaction: the schema {@link AdoptionSettings#serviceSchema()} is created
 * and holds everything of the service's own (its tables at the latest version, its Flyway history, the links from
 * bot rows to lifecycles in {@value #LINK_TABLE}, and what adoption added in {@value #RECORD_TABLE}); the bot's
 * table gains {@code last_synced_at} (the bot's timestamp type, nullable, indexed) and {@code realized_pnl} (the
 * bot's numeric type, nullable) when it lacks them, and nothing else. {@link #undo}, run by {@code rollback --to 0},
 * removes exactly that. From then on every pooled connection works in the service's schema alone, so the service's
 * SQL never touches the bot's tables except through {@link BotTableProjection}, which names them in full.
 */
public final class Adoption {
    private static final Logger LOG = LoggerFactory.getLogger(Adoption.class);

    /** One row: which bot table was adopted, what adoption added to it, how the bot spells its statuses. */
    static final String RECORD_TABLE = "adoption";
    /** Bot row id -> the lifecycle it stands for. */
    static final String LINK_TABLE = "bot_position_links";
    /** An option's local symbol at IB: the OCC symbol, root padded to six, {@code AAPL  261218C00200000}. */
    static final int OCC_SYMBOL_LENGTH = 21;

    private Adoption() {
    }

    /** What adoption recorded. */
    public record Adopted(String serviceSchema, String botSchema, String botTable, List<String> addedColumns,
            String addedIndex, String statusOpen, String statusClosed, Instant adoptedAt) {
    }

    /**
     * What {@code adopt} would do, or did: the bot's table as found, the columns and index it adds, the service's
     * tables and where they go, and what blocks adoption (empty: it can proceed).
     */
    public record Plan(BotTable table, String alembicRevision, long rows, Map<String, Long> statusValues,
            String statusOpen, String statusClosed, List<String> columnsToAdd, List<String> columnsUsedAsTheyAre,
            String indexToAdd, String serviceSchema, List<String> serviceTables, List<String> notes,
            List<String> blockers) {

        public boolean canProceed() {
            return blockers.isEmpty();
        }
    }

    /** The database itself when it was not adopted; else the same database working in the service's schema. */
    static Database inServiceSchema(Database database, AdoptionSettings settings) {
        try (Connection connection = database.dataSource().getConnection()) {
            if (adopted(connection, settings.serviceSchema()).isEmpty()) {
                return database;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read whether the database was adopted: " + Database.oneLine(e), e);
        }
        return database.inSchema(settings.serviceSchema());
    }

    /** The adoption recorded in {@code serviceSchema}, if the database was adopted. */
    public static Optional<Adopted> adopted(Connection connection, String serviceSchema) throws SQLException {
        String record = AdoptionSettings.quote(serviceSchema) + "." + RECORD_TABLE;
        try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            exists.setString(1, record);
            try (ResultSet rows = exists.executeQuery()) {
                rows.next();
                if (!rows.getBoolean(1)) {
                    return Optional.empty();
                }
            }
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT bot_schema, bot_table, added_columns, "
                + "added_index, status_open, status_closed, adopted_at FROM " + record);
                ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) {
                return Optional.empty();
            }
            return Optional.of(new Adopted(serviceSchema, rows.getString(1), rows.getString(2), Jdbc.textList(rows,
                    "added_columns"), rows.getString(4), rows.getString(5), rows.getString(6), Jdbc.instant(rows,
                    "adopted_at")));
        }
    }

    /** The projection a run writes through: the bot's table when adopted, else {@link PositionProjection#NONE}. */
    public static PositionProjection projection(Database database, AdoptionSettings settings) {
        return projection(database, settings, ProjectionSettings.DEFAULTS);
    }

    /** As {@link #projection(Database, AdoptionSettings)}, writing the bot's table as {@code writing} says. */
    public static PositionProjection projection(Database database, AdoptionSettings settings,
            ProjectionSettings writing) {
        if (database.serviceSchema().isEmpty()) {
            return PositionProjection.NONE;
        }
        try (Connection connection = database.dataSource().getConnection()) {
            Adopted adopted = adopted(connection, database.serviceSchema().get()).orElseThrow();
            return BotTableProjection.load(connection, adopted, settings.columns(), writing);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the adopted bot table: " + Database.oneLine(e), e);
        }
    }

    /** Inspects without changing anything: the service's schema is tried in a transaction that is rolled back. */
    public static Plan plan(DataSource dataSource, AdoptionSettings settings) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Plan plan = inspect(connection, settings);
                if (plan.canProceed()) {
                    List<String> tables = createServiceSchema(connection, settings.serviceSchema());
                    plan = withServiceTables(plan, tables);
                }
                return plan;
            } finally {
                connection.rollback();
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot inspect the database: " + Database.oneLine(e), e);
        }
    }

    /** Adopts the database in one transaction, or changes nothing when something blocks it (see the plan's blockers). */
    public static Plan adopt(DataSource dataSource, AdoptionSettings settings, Instant now) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Plan plan = inspect(connection, settings);
                if (!plan.canProceed()) {
                    connection.rollback();
                    return plan;
                }
                List<String> tables = createServiceSchema(connection, settings.serviceSchema());
                plan = withServiceTables(plan, tables);
                BotTable table = plan.table();
                List<String> added = new ArrayList<>();
                try (Statement statement = connection.createStatement()) {
                    for (String column : plan.columnsToAdd()) {
                        String name = column.substring(0, column.indexOf(' '));
                        String type = column.substring(column.indexOf(' ') + 1);
                        // The type comes from the bot's own columns (format_type), the name from the configuration.
                        statement.execute("ALTER TABLE " + table.qualifiedName() + " ADD COLUMN "
                                + AdoptionSettings.quote(name) + " " + type);
                        added.add(name);
                    }
                    if (plan.indexToAdd() != null) {
                        statement.execute("CREATE INDEX " + AdoptionSettings.quote(plan.indexToAdd()) + " ON "
                                + table.qualifiedName() + " (" + AdoptionSettings.quote(settings.columns().lastSyncedAt())
                                + ")");
                    }
                }
                try (PreparedStatement record = connection.prepareStatement("INSERT INTO "
                        + AdoptionSettings.quote(settings.serviceSchema()) + "." + RECORD_TABLE + " (bot_schema, bot_table, "
                        + "added_columns, added_index, status_open, status_closed, adopted_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    record.setString(1, table.schema());
                    record.setString(2, table.table());
                    Array columns = connection.createArrayOf("text", added.toArray());
                    record.setArray(3, columns);
                    Jdbc.setText(record, 4, plan.indexToAdd());
                    record.setString(5, plan.statusOpen());
                    record.setString(6, plan.statusClosed());
                    Jdbc.setInstant(record, 7, now);
                    record.executeUpdate();
                }
                connection.commit();
                LOG.info("adopted {}: service tables in schema {}, columns added: {}", table.displayName(),
                        settings.serviceSchema(), added.isEmpty() ? "none" : String.join(", ", added));
                return plan;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("adoption failed, nothing was changed: " + Database.oneLine(e), e);
        }
    }

    /**
     * Undoes an adoption in the caller's transaction, once the service's migrations are rolled back to 0 and the
     * connection works in the service's schema: the index and columns adoption added to the bot's table, the link
     * and record tables, the schema itself. The bot's rows stay as they are. Nothing happens in a database that was
     * not adopted.
     */
    static void undo(Connection connection) throws SQLException {
        String schema = BotTable.currentSchema(connection);
        if (schema == null) {
            return;
        }
        Optional<Adopted> adopted = adopted(connection, schema);
        if (adopted.isEmpty()) {
            return;
        }
        Adopted a = adopted.get();
        String bot = AdoptionSettings.quote(a.botSchema()) + "." + AdoptionSettings.quote(a.botTable());
        String service = AdoptionSettings.quote(schema);
        try (Statement statement = connection.createStatement()) {
            if (a.addedIndex() != null) {
                statement.execute("DROP INDEX " + AdoptionSettings.quote(a.botSchema()) + "."
                        + AdoptionSettings.quote(a.addedIndex()));
            }
            for (String column : a.addedColumns()) {
                statement.execute("ALTER TABLE " + bot + " DROP COLUMN " + AdoptionSettings.quote(column));
            }
            statement.execute("DROP TABLE " + service + "." + LINK_TABLE + ", " + service + "." + RECORD_TABLE);
            // RESTRICT: anything else left in the schema stops the rollback instead of being dropped with it.
            statement.execute("DROP SCHEMA " + service);
        }
        LOG.info("adoption of {}.{} undone: schema {} dropped{}", a.botSchema(), a.botTable(), schema,
                a.addedColumns().isEmpty() ? "" : ", columns " + String.join(", ", a.addedColumns()) + " removed");
    }

    /** Every open row of the bot's table (before adoption: nothing is linked yet), for the dry run's preview. */
    public static List<BotRowMatching.BotRow> openRows(Connection connection, BotTable table,
            AdoptionSettings.BotColumns columns, String statusOpen) throws SQLException {
        return openUnlinkedRows(connection, table, columns, statusOpen, null);
    }

    /** Every open row of the bot's table that no link names yet, for matching. */
    static List<BotRowMatching.BotRow> openUnlinkedRows(Connection connection, BotTable table,
            AdoptionSettings.BotColumns columns, String statusOpen, String linkTable) throws SQLException {
        String sql = "SELECT b." + q(columns.id()) + "::bigint, b." + q(columns.symbol()) + "::text, "
                + optionalText(table, columns.account()) + ", " + optionalText(table, columns.secType()) + ", "
                + optionalText(table, columns.currency()) + " FROM " + table.qualifiedName() + " b WHERE b."
                + q(columns.status()) + "::text = ?"
                + (linkTable == null ? "" : " AND NOT EXISTS (SELECT 1 FROM " + linkTable + " l WHERE l.bot_row_id = b."
                        + q(columns.id()) + ")")
                + " ORDER BY 1";
        List<BotRowMatching.BotRow> rows = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, statusOpen);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(new BotRowMatching.BotRow(result.getLong(1), result.getString(2), result.getString(3),
                            result.getString(4), result.getString(5)));
                }
            }
        }
        return rows;
    }

    private static String optionalText(BotTable table, String column) {
        return column != null && table.column(column).isPresent() ? "b." + q(column) + "::text" : "NULL::text";
    }

    private static String q(String name) {
        return AdoptionSettings.quote(name);
    }

    private static Plan inspect(Connection connection, AdoptionSettings settings) throws SQLException {
        List<String> blockers = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        AdoptionSettings.BotColumns columns = settings.columns();
        Optional<BotTable> found = BotTable.read(connection, settings.botSchema(), settings.botTable());
        String schemaShown = settings.botSchema() != null ? settings.botSchema() : BotTable.currentSchema(connection);
        if (found.isEmpty()) {
            blockers.add("no table " + schemaShown + "." + settings.botTable() + " (set PSYNC_ADOPT_BOT_SCHEMA and "
                    + "PSYNC_ADOPT_BOT_TABLE to the bot's positions table)");
            return new Plan(null, null, 0, Map.of(), null, null, List.of(), List.of(), null, settings.serviceSchema(),
                    List.of(), notes, blockers);
        }
        BotTable table = found.get();
        if (adopted(connection, settings.serviceSchema()).isPresent()) {
            blockers.add("already adopted: schema " + settings.serviceSchema() + " holds the service's tables");
        } else if (schemaExists(connection, settings.serviceSchema())) {
            blockers.add("schema " + settings.serviceSchema() + " already exists; the service's tables need a schema of "
                    + "their own (set PSYNC_ADOPT_SCHEMA to another name, or drop it)");
        }
        if (settings.serviceSchema().equals(table.schema())) {
            blockers.add("the service's schema (PSYNC_ADOPT_SCHEMA) must not be the bot's schema " + table.schema());
        }
        // Columns the service must have in the bot's table, and columns the operator mapped by name: never guessed.
        Map<String, String> required = new LinkedHashMap<>();
        required.put("id", columns.id());
        required.put("symbol", columns.symbol());
        required.put("quantity", columns.quantity());
        required.put("status", columns.status());
        Map<String, String> roles = columns.byRole();
        for (Map.Entry<String, String> role : roles.entrySet()) {
            String name = role.getValue();
            if (name == null || table.column(name).isPresent()) {
                continue;
            }
            boolean needed = required.containsKey(role.getKey());
            boolean mapped = settings.mapped().contains(role.getKey());
            boolean added = List.of("last synced at", "realized P&L").contains(role.getKey());
            if (needed || (mapped && !added)) {
                blockers.add("no column " + name + " (" + role.getKey() + ") in " + table.displayName() + ": set "
                        + AdoptionSettings.BotColumns.variable(role.getKey()) + " to the bot's column ("
                        + candidates(table, role.getKey(), roles) + ")");
            } else if (!added) {
                boolean identifies = List.of("account", "security type", "currency").contains(role.getKey());
                notes.add(role.getKey() + ": no column " + name + (identifies ? " (rows are matched without it)"
                        : " (not kept)"));
            }
        }
        if (table.column(columns.symbol()).isPresent() && !BotTableProjection.tellsInstrumentsApart(table, columns)) {
            int length = BotTableProjection.symbolLength(table, columns);
            notes.add("symbol: the table cannot tell a stock, its options and a future's months apart (no security type "
                    + "column, no conId column), so rows the service adds hold the broker's local symbol in "
                    + columns.symbol() + " (a future ESZ6, an option its OCC symbol such as AAPL  261218C00200000); a "
                    + "stock's row holds its symbol" + (length < 0 || length >= OCC_SYMBOL_LENGTH ? ""
                            : "; " + columns.symbol() + " holds " + length + " characters, an OCC symbol "
                                    + OCC_SYMBOL_LENGTH + ": option positions get no row (widen the column, or set "
                                    + AdoptionSettings.BotColumns.variable("security type") + " to a column the "
                                    + "service fills)"));
        }
        // The columns adoption adds, in the bot's own types.
        List<String> toAdd = new ArrayList<>();
        List<String> asTheyAre = new ArrayList<>();
        String timestampType = table.column(columns.openedAt()).filter(BotTable.Column::isTimestamp)
                .map(BotTable.Column::type).orElse("timestamp with time zone");
        String numberType = table.column(columns.unrealizedPnl()).filter(BotTable.Column::isNumber)
                .or(() -> table.column(columns.quantity()).filter(BotTable.Column::isNumber))
                .map(BotTable.Column::type).orElse("numeric");
        Optional<BotTable.Column> synced = table.column(columns.lastSyncedAt());
        if (synced.isEmpty()) {
            toAdd.add(columns.lastSyncedAt() + " " + timestampType);
        } else if (!synced.get().isTimestamp()) {
            blockers.add("column " + columns.lastSyncedAt() + " is " + synced.get().type() + ", not a timestamp");
        } else {
            asTheyAre.add(synced.get().describe());
        }
        Optional<BotTable.Column> realized = table.column(columns.realizedPnl());
        if (realized.isEmpty()) {
            toAdd.add(columns.realizedPnl() + " " + numberType);
        } else if (!realized.get().isNumber()) {
            blockers.add("column " + columns.realizedPnl() + " is " + realized.get().type() + ", not a number");
        } else {
            asTheyAre.add(realized.get().describe());
        }
        String index = synced.isEmpty() || !indexed(connection, table, columns.lastSyncedAt())
                ? "ix_" + table.table() + "_" + columns.lastSyncedAt() : null;
        // Rows the service adds for positions the bot has no row for: every NOT NULL column needs a value.
        List<String> written = List.of(columns.id(), columns.symbol(), columns.quantity(), columns.averagePrice(),
                columns.marketPrice(), columns.unrealizedPnl(), columns.status(), columns.openedAt(), columns.closedAt(),
                columns.lastSyncedAt(), columns.realizedPnl(), columns.account(), columns.secType(), columns.currency());
        for (BotTable.Column column : table.columns()) {
            if (column.notNull() && !column.hasDefault() && !written.contains(column.name())) {
                blockers.add("column " + column.name() + " is NOT NULL without a default: the service cannot fill it in "
                        + "rows it adds for positions the bot has no row for");
            }
        }
        if (table.column(columns.id()).isPresent() && !hasSequence(connection, table, columns.id())) {
            blockers.add("column " + columns.id() + " has no sequence (serial or identity): the service cannot add rows");
        }
        // Status values in use and how the service writes them.
        Map<String, Long> statusValues = new LinkedHashMap<>();
        long rows = 0;
        if (table.column(columns.status()).isPresent()) {
            try (PreparedStatement statement = connection.prepareStatement("SELECT " + q(columns.status()) + "::text, "
                    + "count(*) FROM " + table.qualifiedName() + " GROUP BY 1 ORDER BY 2 DESC, 1");
                    ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    statusValues.put(result.getString(1), result.getLong(2));
                    rows += result.getLong(2);
                }
            }
        }
        String open = spelling(settings.statusOpen(), "OPEN", statusValues, blockers);
        String closed = spelling(settings.statusClosed(), "CLOSED", statusValues, blockers);
        statusValues.keySet().stream().filter(v -> v != null && !v.equals(open) && !v.equals(closed))
                .forEach(v -> notes.add("rows with status " + v + " are neither open nor closed: left as they are"));
        return new Plan(table, alembicRevision(connection, table.schema()), rows, statusValues, open, closed,
                List.copyOf(toAdd), List.copyOf(asTheyAre), index, settings.serviceSchema(), List.of(), notes, blockers);
    }

    /**
     * The bot's columns that could hold {@code role}: of a fitting type and not the column of another role, in the
     * table's order.
     */
    static String candidates(BotTable table, String role, Map<String, String> roles) {
        List<String> fitting = table.columns().stream()
                .filter(c -> !roles.containsValue(c.name()))
                .filter(c -> fits(c, role))
                .map(c -> c.name() + " " + c.type())
                .toList();
        return fitting.isEmpty() ? "it has no unmapped column of a fitting type"
                : "candidates: " + String.join(", ", fitting);
    }

    private static boolean fits(BotTable.Column column, String role) {
        String type = column.type();
        boolean text = type.startsWith("character") || type.equals("text") || type.equals("USER-DEFINED")
                || !(column.isNumber() || column.isTimestamp() || type.equals("boolean") || type.startsWith("date")
                        || type.startsWith("json") || type.equals("bytea") || type.equals("uuid"));
        return switch (role) {
            case "id" -> type.equals("integer") || type.equals("bigint");
            case "quantity", "average price", "market price", "unrealized P&L", "realized P&L" -> column.isNumber();
            case "opened at", "closed at", "last synced at" -> column.isTimestamp();
            default -> text;
        };
    }

    /**
     * The configured spelling, else the one the rows use (case ignored), else upper case. A configured spelling the
     * rows do not use while they spell the same word otherwise ({@code OPEN} configured, {@code open} in the rows)
     * blocks: the service would neither see the bot's rows as open nor write them as the bot does.
     */
    private static String spelling(String configured, String word, Map<String, Long> inUse, List<String> blockers) {
        List<String> spellings = inUse.keySet().stream().filter(v -> v != null && v.trim().equalsIgnoreCase(word)).toList();
        if (configured != null) {
            List<String> others = spellings.stream().filter(v -> !v.equals(configured)).toList();
            if (!inUse.containsKey(configured) && !others.isEmpty()) {
                blockers.add("PSYNC_ADOPT_STATUS_" + word + "=" + configured + " is a spelling no row uses, while the bot's "
                        + "rows say " + String.join(" and ", others) + ": set PSYNC_ADOPT_STATUS_" + word + " to the one "
                        + "the bot writes");
            }
            return configured;
        }
        if (spellings.size() > 1) {
            blockers.add("status values " + String.join(" and ", spellings) + " are both in use: set PSYNC_ADOPT_STATUS_"
                    + word + " to the one the bot writes");
            return word;
        }
        return spellings.isEmpty() ? word : spellings.get(0);
    }

    private static Plan withServiceTables(Plan plan, List<String> tables) {
        return new Plan(plan.table(), plan.alembicRevision(), plan.rows(), plan.statusValues(), plan.statusOpen(),
                plan.statusClosed(), plan.columnsToAdd(), plan.columnsUsedAsTheyAre(), plan.indexToAdd(),
                plan.serviceSchema(), tables, plan.notes(), plan.blockers());
    }

    /** Creates the service's schema at the latest version in the caller's transaction; returns its tables. */
    private static List<String> createServiceSchema(Connection connection, String schema) throws SQLException {
        String quoted = AdoptionSettings.quote(schema);
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + quoted);
        }
        Migrations.migrateWithin(connection, schema);
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + quoted + "." + LINK_TABLE + " ("
                    + "bot_row_id bigint NOT NULL, position_id bigint NOT NULL, linked_run_id bigint NOT NULL, "
                    + "linked_at timestamptz NOT NULL, "
                    + "CONSTRAINT bot_position_links_pkey PRIMARY KEY (bot_row_id), "
                    + "CONSTRAINT bot_position_links_position_key UNIQUE (position_id))");
            statement.execute("CREATE TABLE " + quoted + "." + RECORD_TABLE + " ("
                    + "bot_schema text NOT NULL, bot_table text NOT NULL, added_columns text[] NOT NULL, added_index text, "
                    + "status_open text NOT NULL, status_closed text NOT NULL, adopted_at timestamptz NOT NULL)");
        }
        List<String> tables = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT tablename FROM pg_tables WHERE schemaname = ? ORDER BY tablename")) {
            statement.setString(1, schema);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
        }
        return tables;
    }

    private static boolean schemaExists(Connection connection, String schema) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            statement.setString(1, schema);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        }
    }

    private static boolean indexed(Connection connection, BotTable table, String column) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT 1 FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE i.indrelid = ?::regclass AND a.attname = ?
                """)) {
            statement.setString(1, table.qualifiedName());
            statement.setString(2, column);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        }
    }

    static boolean hasSequence(Connection connection, BotTable table, String column) throws SQLException {
        return sequenceOf(connection, table, column) != null;
    }

    /** The sequence behind a serial or identity column, or null. */
    static String sequenceOf(Connection connection, BotTable table, String column) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
            statement.setString(1, table.qualifiedName());
            statement.setString(2, column);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        }
    }

    private static String alembicRevision(Connection connection, String schema) throws SQLException {
        String versionTable = AdoptionSettings.quote(schema) + ".alembic_version";
        try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            exists.setString(1, versionTable);
            try (ResultSet rows = exists.executeQuery()) {
                rows.next();
                if (!rows.getBoolean(1)) {
                    return null;
                }
            }
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT version_num::text FROM " + versionTable);
                ResultSet rows = statement.executeQuery()) {
            return rows.next() ? rows.getString(1) : null;
        }
    }
}
