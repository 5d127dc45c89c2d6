package io.positionsync.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema's versions: Flyway applies {@code db/migration/V<n>__*.sql}; each has a rollback script
 * {@code db/rollback/U<n>__*.sql} (same description) that exactly undoes it. Flyway's community edition
 * has no undo, so {@link #rollbackTo} runs the U-scripts itself and removes the matching rows of
 * {@code flyway_schema_history}, leaving Flyway's view of the schema right.
 */
public final class Migrations {
    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

    public static final String MIGRATION_LOCATION = "classpath:db/migration";
    static final String ROLLBACK_DIRECTORY = "db/rollback/";
    static final String HISTORY_TABLE = "flyway_schema_history";

    private Migrations() {
    }

    /** What {@link #migrate} did. */
    public record Migrated(int fromVersion, int toVersion, int applied) {
    }

    /** What {@link #rollbackTo} did; {@code scripts} in the order they ran. */
    public record RolledBack(int fromVersion, int toVersion, List<String> scripts) {
    }

    /** Applies every pending migration. Call at start-up, before any route touches the database. */
    public static Migrated migrate(DataSource dataSource) {
        refuseAnotherApplicationsSchema(dataSource);
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations(MIGRATION_LOCATION)
                .failOnMissingLocations(true)
                .load();
        MigrateResult result = flyway.migrate();
        Migrated migrated = new Migrated(parseVersion(result.initialSchemaVersion),
                parseVersion(result.targetSchemaVersion == null ? result.initialSchemaVersion : result.targetSchemaVersion),
                result.migrationsExecuted);
        if (migrated.applied() > 0) {
            LOG.info("schema migrated from version {} to {} ({} migrations)", migrated.fromVersion(), migrated.toVersion(),
                    migrated.applied());
        }
        return migrated;
    }

    /**
     * Tables in the schema the service would migrate, and no history of its own: another application's database
     * (a trading bot's, typically). Flyway would refuse it too, with advice (baseline) that would mix the service's
     * tables with the bot's; this says what to do instead, in one line, before anything is written.
     */
    static void refuseAnotherApplicationsSchema(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("""
                        SELECT current_schema(), to_regclass('flyway_schema_history') IS NOT NULL,
                               (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()),
                               (SELECT string_agg(tablename, ', ' ORDER BY tablename)
                                FROM (SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
                                      ORDER BY tablename LIMIT 5) shown)
                        """);
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            String schema = rows.getString(1);
            long tables = rows.getLong(3);
            if (schema != null && !rows.getBoolean(2) && tables > 0) {
                throw new IllegalStateException("this database belongs to another application: schema " + schema + " holds "
                        + tables + (tables == 1 ? " table" : " tables") + " (" + rows.getString(4) + (tables > 5 ? ", ..." : "")
                        + ") and no position-sync schema history; nothing was written. Run `adopt --dry-run` to see how "
                        + "position-sync would keep that application's positions table in step");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the schema: " + e.getMessage(), e);
        }
    }

    /**
     * Applies every migration into {@code schema} (which exists) on {@code connection}, inside the caller's
     * transaction: Flyway's own commits are held back, so the caller commits or rolls back everything at once.
     */
    static int migrateWithin(Connection connection, String schema) {
        Flyway flyway = Flyway.configure()
                .dataSource(new CallerTransaction(connection))
                .locations(MIGRATION_LOCATION)
                .failOnMissingLocations(true)
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(false)
                .load();
        return flyway.migrate().migrationsExecuted;
    }

    /**
     * One connection whose transaction belongs to the caller: Flyway may commit, roll back, switch auto-commit and
     * close as it likes, none of it reaches the connection.
     */
    private static final class CallerTransaction implements DataSource {
        private final Connection connection;

        CallerTransaction(Connection target) {
            this.connection = (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "commit", "rollback", "setAutoCommit", "close" -> {
                                if ("rollback".equals(method.getName()) && args != null && args.length == 1) {
                                    return method.invoke(target, args); // to a savepoint: inside the transaction
                                }
                                return null;
                            }
                            case "getAutoCommit" -> {
                                return false;
                            }
                            case "isClosed" -> {
                                return target.isClosed();
                            }
                            default -> {
                                try {
                                    return method.invoke(target, args);
                                } catch (java.lang.reflect.InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            }
                        }
                    });
        }

        @Override
        public Connection getConnection() {
            return connection;
        }

        @Override
        public Connection getConnection(String username, String password) {
            return connection;
        }

        @Override
        public java.io.PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public java.util.logging.Logger getParentLogger() {
            return java.util.logging.Logger.getLogger("io.positionsync");
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }

    /** The highest applied version, 0 for an empty schema. */
    public static int currentVersion(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            if (!historyExists(connection)) {
                return 0;
            }
            return applied(connection).stream().mapToInt(AppliedMigration::version).max().orElse(0);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the schema version: " + e.getMessage(), e);
        }
    }

    /**
     * Undoes every applied migration above {@code targetVersion}, newest first, in one transaction: either
     * the schema ends at {@code targetVersion} or nothing changed. 0 leaves an empty schema.
     */
    public static RolledBack rollbackTo(DataSource dataSource, int targetVersion) {
        if (targetVersion < 0) {
            throw new IllegalArgumentException("target version must be 0 or more, was " + targetVersion);
        }
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                RolledBack result = rollback(connection, targetVersion);
                connection.commit();
                if (!result.scripts().isEmpty()) {
                    LOG.info("schema rolled back from version {} to {} ({})", result.fromVersion(), result.toVersion(),
                            String.join(", ", result.scripts()));
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("rollback to version " + targetVersion + " failed: " + e.getMessage(), e);
        }
    }

    private static RolledBack rollback(Connection connection, int targetVersion) throws SQLException {
        if (!historyExists(connection)) {
            if (targetVersion == 0) {
                return new RolledBack(0, 0, List.of());
            }
            throw new IllegalStateException("schema is at version 0; cannot roll back to version " + targetVersion);
        }
        try (Statement lock = connection.createStatement()) {
            // Keeps a concurrent Flyway migrate (which reads this table first) out until we commit.
            lock.execute("LOCK TABLE " + HISTORY_TABLE + " IN ACCESS EXCLUSIVE MODE");
        }
        List<AppliedMigration> applied = applied(connection);
        int current = applied.stream().mapToInt(AppliedMigration::version).max().orElse(0);
        if (targetVersion > current) {
            throw new IllegalStateException("schema is at version " + current + "; cannot roll back to version "
                    + targetVersion);
        }
        List<AppliedMigration> toUndo = applied.stream()
                .filter(m -> m.version() > targetVersion)
                .sorted(Comparator.comparingInt(AppliedMigration::version).reversed())
                .toList();
        // Read every script before running any, so a missing one changes nothing.
        List<String> scripts = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (AppliedMigration migration : toUndo) {
            String script = rollbackScript(migration.script());
            scripts.add(script);
            bodies.add(readScript(script));
        }
        try (PreparedStatement forget = connection.prepareStatement(
                "DELETE FROM " + HISTORY_TABLE + " WHERE installed_rank = ?")) {
            for (int i = 0; i < toUndo.size(); i++) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(bodies.get(i));
                } catch (SQLException e) {
                    throw new SQLException(scripts.get(i) + ": " + e.getMessage(), e.getSQLState(), e);
                }
                forget.setInt(1, toUndo.get(i).installedRank());
                forget.executeUpdate();
            }
        }
        if (targetVersion == 0) {
            dropHistoryIfEmpty(connection);
            // An adopted database: what adoption added goes too, the bot's table and rows stay.
            Adoption.undo(connection);
        }
        return new RolledBack(current, targetVersion, List.copyOf(scripts));
    }

    /** {@code V3__sync_runs.sql} -> {@code U3__sync_runs.sql}. */
    static String rollbackScript(String migrationScript) {
        if (migrationScript == null || !migrationScript.startsWith("V")) {
            throw new IllegalStateException("not a versioned SQL migration: " + migrationScript);
        }
        return "U" + migrationScript.substring(1);
    }

    private static String readScript(String script) {
        String resource = ROLLBACK_DIRECTORY + script;
        try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("rollback script " + resource + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    private static void dropHistoryIfEmpty(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + HISTORY_TABLE)) {
            rows.next();
            if (rows.getLong(1) == 0) {
                statement.execute("DROP TABLE " + HISTORY_TABLE);
            }
        }
    }

    private static boolean historyExists(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            statement.setString(1, HISTORY_TABLE);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    private record AppliedMigration(int installedRank, int version, String script) {
    }

    private static List<AppliedMigration> applied(Connection connection) throws SQLException {
        List<AppliedMigration> applied = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT installed_rank, version, script FROM " + HISTORY_TABLE
                        + " WHERE success AND version IS NOT NULL ORDER BY installed_rank")) {
            while (rows.next()) {
                applied.add(new AppliedMigration(rows.getInt(1), parseVersion(rows.getString(2)), rows.getString(3)));
            }
        }
        return applied;
    }

    private static int parseVersion(String version) {
        if (version == null || version.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(version.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("schema version " + version + " is not a whole number");
        }
    }
}
