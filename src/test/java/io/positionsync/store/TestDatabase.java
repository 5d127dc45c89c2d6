package io.positionsync.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A fresh, isolated PostgreSQL schema for one test class, on a real server: an embedded PostgreSQL shared
 * by the whole test JVM (started on first use), or the external server named by {@code PSYNC_TEST_DB_URL}
 * ({@code PSYNC_TEST_DB_USER}, {@code PSYNC_TEST_DB_PASSWORD}). Every instance gets its own schema, so
 * test classes never see each other's rows; {@link #close()} drops it.
 *
 * <pre>{@code
 * static TestDatabase db;
 * @BeforeAll static void start() { db = TestDatabase.create(); }        // migrated to the latest version
 * @AfterAll static void stop() { db.close(); }
 * ... db.dataSource() ...                                             // HikariCP pool on the schema
 * ... ConfigurationValues.load(Map.of(), db.settings()) ...                      // psync.db.url/user/password for the app
 * }</pre>
 */
public final class TestDatabase implements AutoCloseable {
    private static final String URL_ENV = "PSYNC_TEST_DB_URL";
    private static final String USER_ENV = "PSYNC_TEST_DB_USER";
    private static final String PASSWORD_ENV = "PSYNC_TEST_DB_PASSWORD";
    private static final int POOL_SIZE = 4;

    private static Server server;

    private final String schema;
    private final String jdbcUrl;
    private final HikariDataSource dataSource;

    private TestDatabase(String schema, String jdbcUrl, HikariDataSource dataSource) {
        this.schema = schema;
        this.jdbcUrl = jdbcUrl;
        this.dataSource = dataSource;
    }

    /** A new schema migrated to the latest version. */
    public static TestDatabase create() {
        TestDatabase database = createEmpty();
        try {
            Migrations.migrate(database.dataSource());
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        return database;
    }

    /** A new empty schema (no migrations applied), for migration tests. */
    public static TestDatabase createEmpty() {
        Server s = server();
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        s.execute("CREATE SCHEMA " + schema);
        String url = s.url() + (s.url().contains("?") ? "&" : "?") + "currentSchema=" + schema
                + "&reWriteBatchedInserts=true";
        HikariConfig config = new HikariConfig();
        config.setPoolName("test-" + schema);
        config.setJdbcUrl(url);
        config.setUsername(s.user());
        if (!s.password().isEmpty()) {
            config.setPassword(s.password());
        }
        config.setMaximumPoolSize(POOL_SIZE);
        return new TestDatabase(schema, url, new HikariDataSource(config));
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** JDBC URL whose connections use this schema ({@code currentSchema}). */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return server().user();
    }

    public String password() {
        return server().password();
    }

    public String schema() {
        return schema;
    }

    /** {@code psync.db.url}, {@code psync.db.user}, {@code psync.db.password} pointing at this schema. */
    public Map<String, String> settings() {
        return Map.of(DatabaseConfig.URL, jdbcUrl, DatabaseConfig.USER, user(), DatabaseConfig.PASSWORD, password());
    }

    /** A pooled connection (auto-commit on); close it. */
    /** The rows {@code sql} selects, one line each, columns joined by {@code |} (SQL NULL as {@code null}). */
    public List<String> dump(String sql) throws SQLException {
        List<String> lines = new java.util.ArrayList<>();
        try (Connection connection = connection(); java.sql.Statement statement = connection.createStatement();
                java.sql.ResultSet rows = statement.executeQuery(sql)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                StringBuilder line = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    line.append(i > 1 ? "|" : "").append(rows.getString(i));
                }
                lines.add(line.toString());
            }
        }
        return lines;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    @Override
    public void close() {
        dataSource.close();
        server().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }

    private static synchronized Server server() {
        if (server == null) {
            String url = System.getenv(URL_ENV);
            if (url != null && !url.isBlank()) {
                server = new Server(url, envOr(USER_ENV, ""), envOr(PASSWORD_ENV, ""), null);
            } else {
                try {
                    EmbeddedPostgres embedded = EmbeddedPostgres.builder().start(); // stopped by its shutdown hook
                    server = new Server("jdbc:postgresql://localhost:" + embedded.getPort() + "/postgres", "postgres", "",
                            embedded);
                } catch (IOException e) {
                    throw new UncheckedIOException("embedded PostgreSQL for tests did not start", e);
                }
            }
        }
        return server;
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null ? fallback : value;
    }

    private record Server(String url, String user, String password, EmbeddedPostgres embedded) {
        void execute(String sql) {
            Properties properties = new Properties();
            properties.setProperty("user", user);
            if (!password.isEmpty()) {
                properties.setProperty("password", password);
            }
            try (Connection connection = DriverManager.getConnection(url, properties);
                    Statement statement = connection.createStatement()) {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException("test database: " + sql + ": " + e.getMessage(), e);
            }
        }
    }
}
