package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.positionsync.boot.ConfigurationValues;
import io.positionsync.boot.DatabaseConfiguration;
import io.positionsync.testing.ChildJvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dataDir;

    static DatabaseConfig embeddedConfig(Path dataDir) {
        return new DatabaseConfig(Optional.empty(), Optional.empty(), Optional.empty(), dataDir, 2, CONNECTION_TIMEOUT, 0,
                STARTUP);
    }

    private static List<String> marks(Database database) throws SQLException {
        List<String> notes = new ArrayList<>();
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT note FROM marks ORDER BY note")) {
            while (rows.next()) {
                notes.add(rows.getString(1));
            }
        }
        return notes;
    }

    @Test
    void theEmbeddedDatabaseKeepsItsDataAcrossRestartsAndRefusesASecondUser() throws Exception {
        try (Database first = Database.start(embeddedConfig(dataDir))) {
            assertThat(first.isEmbedded()).isTrue();
            assertThat(first.displayUrl()).startsWith("jdbc:postgresql://localhost:").doesNotContain("?");
            Migrations.migrate(first.dataSource());
            try (Connection connection = first.dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE marks (note text)");
                statement.execute("INSERT INTO marks VALUES ('kept')");
            }

            assertThatThrownBy(() -> Database.start(embeddedConfig(dataDir)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by another position-sync process")
                    .hasMessageContaining(dataDir.resolve("pg").toString());
            // the refused start did not disturb the running one
            assertThat(marks(first)).containsExactly("kept");
        }
        assertThat(dataDir.resolve("pg").resolve("PG_VERSION")).exists();

        try (Database again = Database.start(embeddedConfig(dataDir))) {
            assertThat(marks(again)).containsExactly("kept");
            assertThat(Migrations.currentVersion(again.dataSource())).isEqualTo(MigrationsTest.LATEST);
        }
    }

    @Test
    @Tag("process")
    void anotherProcessOnTheSameDataDirectoryIsRefusedAndItsLeftoverServerIsStoppedAfterItDies() throws Exception {
        Process child = startChild();
        try {
            String line = readLine(child);
            assertThat(line).isEqualTo("ready");

            assertThatThrownBy(() -> Database.start(embeddedConfig(dataDir)))
                    .hasMessageContaining("in use by another position-sync process");
        } finally {
            // SIGKILL to the watchdog and the child, as a kill of the whole process group or a power loss of the JVM
            // alone would: the child's PostgreSQL is left running
            watchdogOf(child).ifPresent(ProcessHandle::destroyForcibly);
            child.destroyForcibly();
            assertThat(child.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }
        assertThat(dataDir.resolve("pg").resolve("postmaster.pid")).as("the dead child's server is still up").exists();

        try (Database database = Database.start(embeddedConfig(dataDir))) {
            assertThat(marks(database)).containsExactly("written by the child process");
        }
    }

    /**
     * {@code kill -9} of the JVM alone: its watchdog stops the embedded PostgreSQL at once, not at the next start
     * (there is none here).
     */
    @Test
    @Tag("process")
    void aKilledProcessLeavesNoPostgresqlRunning() throws Exception {
        Process child = startChild();
        long postmaster;
        try {
            assertThat(readLine(child)).isEqualTo("ready");
            postmaster = Long.parseLong(java.nio.file.Files.readAllLines(dataDir.resolve("pg").resolve("postmaster.pid"))
                    .get(0).trim());
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive)).contains(true);
            assertThat(watchdogOf(child)).as("a watchdog runs beside the server").isPresent();
        } finally {
            child.destroyForcibly(); // SIGKILL to the JVM alone
            assertThat(child.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> ProcessHandle.of(postmaster).map(h -> !h.isAlive()).orElse(true));
        assertThat(ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("")
                .contains(dataDir.resolve("pg").toString()))).as("no postgres process on the data directory").isEmpty();
        assertThat(dataDir.resolve("pg").resolve("postmaster.pid")).as("a clean shutdown").doesNotExist();
    }

    private Process startChild() throws java.io.IOException {
        return ChildJvm.start(EmbeddedDatabaseProcess.class, dataDir.toString());
    }

    private static String readLine(Process child) throws Exception {
        return ChildJvm.readLine(child, STARTUP);
    }

    /** The embedded server's watchdog started by {@code child}. */
    private static Optional<ProcessHandle> watchdogOf(Process child) {
        return child.descendants().filter(h -> h.info().commandLine().orElse("").contains("position-sync-pg-watchdog"))
                .findFirst();
    }

    @Test
    void anExternalServerIsUsedWhenTheUrlIsSet() throws Exception {
        try (TestDatabase external = TestDatabase.create()) {
            ConfigurationValues settings = ConfigurationValues.load(java.util.Map.of(), external.settings());
            try (Database database = DatabaseConfiguration.start(settings)) {
                assertThat(database.isEmbedded()).isFalse();
                assertThat(database.displayUrl()).doesNotContain("currentSchema");
                assertThat(Migrations.currentVersion(database.dataSource())).isEqualTo(MigrationsTest.LATEST);
            }
        }
    }

    @Test
    void aPoolLargerThanHalfOfTheServersConnectionsIsRefusedBeforeItOpensAny() throws Exception {
        try (TestDatabase external = TestDatabase.create()) {
            int max;
            int reserved;
            try (java.sql.Connection c = external.connection(); java.sql.Statement s = c.createStatement();
                    java.sql.ResultSet rows = s.executeQuery("SELECT current_setting('max_connections')::int, "
                            + "current_setting('superuser_reserved_connections')::int")) {
                rows.next();
                max = rows.getInt(1);
                reserved = rows.getInt(2);
            }
            int most = (max - reserved) / 2 - 2; // the run owner's session and the LISTEN session are outside the pool
            java.util.Map<String, String> overrides = new java.util.HashMap<>(external.settings());
            overrides.put("psync.db.pool-size", Integer.toString(most + 1));
            assertThatThrownBy(() -> DatabaseConfiguration.start(ConfigurationValues.load(java.util.Map.of(), overrides)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("PSYNC_DB_POOL_SIZE=" + (most + 1) + " would take more than half of the " + (max - reserved)
                            + " connections the database takes from clients (max_connections " + max + ", " + reserved
                            + " reserved): at most " + most + " here, so the bot and every other client keep theirs");
            assertThat(Database.poolSizeProblem(most, max, reserved)).as("the largest that fits").isNull();
        }
    }

    @Test
    void anUnreachableServerFailsWithAMessageThatHidesThePassword() {
        DatabaseConfig config = new DatabaseConfig(Optional.of("jdbc:postgresql://127.0.0.1:1/psync?password=s3cret"),
                Optional.of("psync"), Optional.of("hunter2"), dataDir, 1, CONNECTION_TIMEOUT, 0, STARTUP);

        assertThatThrownBy(() -> Database.start(config))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/psync:")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2").doesNotContain("s3cret"));
        assertThat(config.toString()).doesNotContain("hunter2").doesNotContain("s3cret").contains("password=***");
    }

    @Test
    void credentialsInsideTheUrlNeverReachTheMessage() {
        DatabaseConfig config = new DatabaseConfig(Optional.of("jdbc:postgresql://bot:pw1secret@127.0.0.1:1/psync?password=pw2secret"),
                Optional.empty(), Optional.empty(), dataDir, 1, CONNECTION_TIMEOUT, 0, STARTUP);

        assertThatThrownBy(() -> Database.start(config))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/psync:")
                .hasNoCause()
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw1secret").doesNotContain("pw2secret"));
        assertThat(config.masked("bot:pw1secret@127.0.0.1 and pw2secret")).isEqualTo("***@127.0.0.1 and ***");
        assertThat(DatabaseConfig.displayUrl("jdbc:postgresql://bot:pw@h:5432/db?password=x")).isEqualTo("jdbc:postgresql://h:5432/db");
    }

    @Test
    void urlsAreShownWithoutCredentialsAndBatchedInsertsAreRewritten() {
        assertThat(Database.displayUrl("jdbc:postgresql://bot:pw@db.internal:5432/trading?sslmode=require&password=x"))
                .isEqualTo("jdbc:postgresql://db.internal:5432/trading");
        assertThat(Database.withBatchRewrite("jdbc:postgresql://h/db")).isEqualTo("jdbc:postgresql://h/db?reWriteBatchedInserts=true");
        assertThat(Database.withBatchRewrite("jdbc:postgresql://h/db?ssl=true"))
                .isEqualTo("jdbc:postgresql://h/db?ssl=true&reWriteBatchedInserts=true");
        assertThat(Database.withBatchRewrite("jdbc:postgresql://h/db?reWriteBatchedInserts=false"))
                .isEqualTo("jdbc:postgresql://h/db?reWriteBatchedInserts=false");
    }
}
