package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Properties;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncTrigger;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.positionsync.sync.SyncCounts;

/**
 * The run owner across a real PostgreSQL restart (the same data directory and port, stopped and started during the
 * test): the lock dies with the old session and is taken again before the next run is recorded, so a later
 * start-up ({@code sync-once}, another instance) leaves that run alone; and a run is never recorded while the
 * key cannot be taken again.
 */
class RunOwnerRestartTest {
    private static final String INTERRUPTED = "interrupted: the service stopped during the run";

    @TempDir
    Path dataDir;
    private int port;
    private EmbeddedPostgres server;
    private PGSimpleDataSource dataSource;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        server = startServer();
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl("jdbc:postgresql://localhost:" + port + "/postgres");
        dataSource.setUser("postgres");
        Migrations.migrate(dataSource);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private EmbeddedPostgres startServer() throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
    }

    private void restartServer() throws Exception {
        server.close();
        server = null;
        server = startServer();
    }

    private Connection session() throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", "postgres");
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres", credentials);
    }

    private SyncRunStatus status(long id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement statement = c.prepareStatement("SELECT status FROM sync_runs WHERE id = ?")) {
            statement.setLong(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return SyncRunStatus.valueOf(rows.getString(1));
            }
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    @Test
    void afterARestartTheLockIsTakenAgainAndALaterStartUpLeavesTheRunAlone() throws Exception {
        try (RunOwner owner = RunOwner.acquire(this::session)) {
            SyncRunRepository service = new SyncRunRepository(dataSource, owner);
            try (Connection c = dataSource.getConnection()) {
                long before = service.insertStarted(c, SyncTrigger.TIMER, now(), null);
                service.finish(c, before, SyncRunStatus.SUCCEEDED, SyncCounts.NONE, null, null, now());
            }

            restartServer();

            long run;
            try (Connection c = dataSource.getConnection()) {
                run = service.insertStarted(c, SyncTrigger.TIMER, now(), null);
            }
            assertThat(owner.retaken()).as("the key was taken again on a new session").isEqualTo(1);
            // A sync-once (or a second instance) starting now: the run in flight has a live owner.
            SyncRunRepository later = new SyncRunRepository(dataSource, RunOwner.acquire(session()));
            assertThat(later.failInterrupted(now(), INTERRUPTED)).isZero();
            assertThat(status(run)).isEqualTo(SyncRunStatus.RUNNING);
            try (Connection c = dataSource.getConnection()) {
                service.finish(c, run, SyncRunStatus.SUCCEEDED, SyncCounts.NONE, null, null, now());
            }
            assertThat(status(run)).isEqualTo(SyncRunStatus.SUCCEEDED);
        }
    }

    @Test
    void noRunIsRecordedWhileTheKeyCannotBeTakenAgain() throws Exception {
        try (RunOwner owner = RunOwner.acquire(this::session)) {
            SyncRunRepository service = new SyncRunRepository(dataSource, owner);

            restartServer();
            // Someone else holds the key now (the old session is gone, its lock with it).
            try (Connection intruder = session()) {
                try (PreparedStatement lock = intruder.prepareStatement("SELECT pg_advisory_lock(?, ?)")) {
                    lock.setInt(1, RunOwner.OWNER_LOCK_CLASS);
                    lock.setInt(2, owner.key());
                    lock.execute();
                }
                try (Connection c = dataSource.getConnection()) {
                    assertThatThrownBy(() -> service.insertStarted(c, SyncTrigger.TIMER, now(), null))
                            .isInstanceOf(SQLException.class).hasMessageContaining("held by another session");
                    assertThatThrownBy(() -> service.failInterrupted(now(), INTERRUPTED))
                            .isInstanceOf(SQLException.class);
                }
                try (Connection c = dataSource.getConnection();
                        ResultSet rows = c.createStatement().executeQuery("SELECT count(*) FROM sync_runs")) {
                    rows.next();
                    assertThat(rows.getLong(1)).as("no run recorded without its owner's lock").isZero();
                }
                // Let go now (a closed session's lock goes only once its backend has ended).
                try (PreparedStatement unlock = intruder.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
                    unlock.setInt(1, RunOwner.OWNER_LOCK_CLASS);
                    unlock.setInt(2, owner.key());
                    unlock.execute();
                }
            }
            // Once the key is free again, the next run is recorded and owned.
            try (Connection c = dataSource.getConnection()) {
                long run = service.insertStarted(c, SyncTrigger.TIMER, now(), null);
                assertThat(new SyncRunRepository(dataSource).failInterrupted(now(), INTERRUPTED)).isZero();
                assertThat(status(run)).isEqualTo(SyncRunStatus.RUNNING);
            }
        }
    }
}
