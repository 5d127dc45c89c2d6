package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.ChildJvm;
import io.positionsync.testing.PositionSyncService;

/**
 * Two processes on one database: a start-up (a second instance, a {@code sync-once}) marks a RUNNING run
 * FAILED "interrupted" only when the process that owns it is gone, as PostgreSQL itself knows it.
 */
@Tag("process")
@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class RunOwnershipTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String INTERRUPTED = "interrupted: the service stopped during the run";

    static TestDatabase db;

    @Test
    void aLiveProcessKeepsItsRunAndADeadOnesRunIsFailed() throws Exception {
        SyncRunRepository starting = new SyncRunRepository(db.dataSource(), RunOwner.acquire(openSession()));
        // A run of an owner that is gone: its session ended, so did its lock.
        long orphan;
        try (RunOwner gone = RunOwner.acquire(openSession()); Connection c = db.connection()) {
            orphan = new SyncRunRepository(db.dataSource(), gone).insertStarted(c, SyncTrigger.TIMER, Instant.now(), null);
        }
        // A run written before runs had owners.
        long legacy;
        try (Connection c = db.connection()) {
            legacy = new SyncRunRepository(db.dataSource()).insertStarted(c, SyncTrigger.MANUAL, Instant.now(), null);
        }

        Process child = ChildJvm.start(RunOwnerProcess.class, db.jdbcUrl(), db.user(), db.password());
        long living;
        try {
            String line = ChildJvm.readLine(child, WAIT);
            assertThat(line).startsWith("run ");
            living = Long.parseLong(line.substring(4));

            assertThat(starting.failInterrupted(Instant.now(), INTERRUPTED)).as("the orphan and the legacy run").isEqualTo(2);
            assertThat(status(orphan)).isEqualTo(SyncRunStatus.FAILED);
            assertThat(status(legacy)).isEqualTo(SyncRunStatus.FAILED);
            assertThat(status(living)).as("the other process is mid-run").isEqualTo(SyncRunStatus.RUNNING);
        } finally {
            child.destroyForcibly(); // SIGKILL: no clean-up of its own, the database notices the session end
            assertThat(child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }

        await().atMost(WAIT).until(() -> starting.failInterrupted(Instant.now(), INTERRUPTED) == 1);
        SyncRun run = starting.findById(living).orElseThrow();
        assertThat(run.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(run.error()).isEqualTo(INTERRUPTED);
    }

    private static SyncRunStatus status(long id) throws Exception {
        return new SyncRunRepository(db.dataSource()).findById(id).orElseThrow().status();
    }

    private static Connection openSession() throws Exception {
        java.util.Properties credentials = new java.util.Properties();
        credentials.setProperty("user", db.user());
        if (!db.password().isEmpty()) {
            credentials.setProperty("password", db.password());
        }
        return java.sql.DriverManager.getConnection(db.jdbcUrl(), credentials);
    }
}
