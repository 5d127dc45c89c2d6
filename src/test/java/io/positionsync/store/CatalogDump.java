package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

/**
 * The shape of one schema as sorted text lines: tables and sequences, columns (type, nullability, default,
 * identity, order), indexes (definition, partial predicate included) and constraints. The schema's own name is
 * replaced so two schemas can be compared.
 */
final class CatalogDump {
    private CatalogDump() {
    }

    static List<String> of(DataSource dataSource, String schema) throws SQLException {
        List<String> lines = new ArrayList<>();
        try (Connection connection = dataSource.getConnection()) {
            query(connection, schema, lines, """
                    SELECT 'relation ' || c.relname || ' kind=' || c.relkind
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ? AND c.relkind IN ('r', 'S', 'v', 'm', 'p')
                    """);
            query(connection, schema, lines, """
                    SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                           || CASE WHEN a.attnotnull THEN ' not null' ELSE ' null' END
                           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                           || CASE WHEN a.attidentity <> '' THEN ' identity=' || a.attidentity ELSE '' END
                           -- position among live columns: a dropped-and-re-added column keeps its place
                           || ' #' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
                    FROM pg_attribute a
                    JOIN pg_class c ON c.oid = a.attrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                    WHERE n.nspname = ? AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
                    """);
            query(connection, schema, lines, """
                    SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = ?
                    """);
            query(connection, schema, lines, """
                    SELECT 'constraint ' || c.relname || ' ' || k.conname || ' ' || k.contype || ' '
                           || pg_get_constraintdef(k.oid)
                    FROM pg_constraint k
                    JOIN pg_class c ON c.oid = k.conrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = ?
                    """);
        }
        return lines.stream().map(line -> line.replace(schema + ".", "<schema>.")).sorted().toList();
    }

    private static void query(Connection connection, String schema, List<String> lines, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, schema);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    lines.add(rows.getString(1));
                }
            }
        }
    }

    /** Flyway's record of applied versions, without the columns that change on every run. */
    static List<String> history(DataSource dataSource) throws SQLException {
        List<String> lines = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT version, description, type, script, checksum, success FROM flyway_schema_history "
                                + "ORDER BY installed_rank");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                lines.add(rows.getString(1) + " " + rows.getString(2) + " " + rows.getString(3) + " " + rows.getString(4)
                        + " " + rows.getObject(5) + " " + rows.getBoolean(6));
            }
        }
        return lines;
    }
}
