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
