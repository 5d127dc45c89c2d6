package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A trading bot's positions table as PostgreSQL's catalog describes it: its columns in order, with type,
 * nullability and default. Read, never changed here.
 */
public record BotTable(String schema, String table, List<Column> columns) {

    /** One column; {@code type} as PostgreSQL prints it ({@code numeric(18,8)}, {@code timestamp without time zone}). */
    public record Column(String name, String type, boolean notNull, String defaultExpression, String identity) {

        boolean hasDefault() {
            return defaultExpression != null || (identity != null && !identity.isEmpty());
        }

        boolean isTimestamp() {
            return type.startsWith("timestamp");
        }

        /** A timestamp without time zone: the bot's wall-clock times, which the service writes in UTC. */
        boolean isLocalTimestamp() {
            return type.startsWith("timestamp") && type.contains("without time zone");
        }

        boolean isNumber() {
            return type.startsWith("numeric") || type.equals("double precision") || type.equals("real")
                    || type.equals("integer") || type.equals("bigint") || type.equals("smallint");
        }

        /** {@code symbol character varying(16) not null}. */
        public String describe() {
            return name + " " + type + (notNull ? " not null" : "")
                    + (defaultExpression == null ? "" : " default " + defaultExpression)
                    + (identity == null || identity.isEmpty() ? "" : " identity");
        }
    }

    public Optional<Column> column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** The table's quoted, schema-qualified name for SQL. */
    public String qualifiedName() {
        return AdoptionSettings.quote(schema) + "." + AdoptionSettings.quote(table);
    }

    /** {@code public.positions}. */
    public String displayName() {
        return schema + "." + table;
    }

    /** The table in {@code schema} (null: the connection's current schema), if it exists. */
    public static Optional<BotTable> read(Connection connection, String schema, String table) throws SQLException {
        String inSchema = schema != null ? schema : currentSchema(connection);
        if (inSchema == null) {
            return Optional.empty();
        }
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                       a.attidentity
                FROM pg_attribute a
                JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """)) {
            statement.setString(1, inSchema);
            statement.setString(2, table);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    columns.add(new Column(rows.getString(1), rows.getString(2), rows.getBoolean(3), rows.getString(4),
                            rows.getString(5)));
                }
            }
        }
        return columns.isEmpty() ? Optional.empty() : Optional.of(new BotTable(inSchema, table, List.copyOf(columns)));
    }

    static String currentSchema(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT current_schema()");
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getString(1);
        }
    }
}
