package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.positionsync.sync.SyncCounts;

class SyncRunRepositoryTest {
    private static final Instant T0 = Instant.parse("2026-01-05T14:30:00Z");

    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();
    private static SyncRunRepository runs;

    @BeforeAll
    static void start() {
        runs = new SyncRunRepository(db.dataSource());
    }

    private static long finished(SyncTrigger trigger, Instant start, long millis, SyncRunStatus status, String key)
            throws SQLException {
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long id = runs.insertStarted(connection, trigger, start, key);
            runs.finish(connection, id, status, new SyncCounts(1, 2, 3, 4), status == SyncRunStatus.FAILED ? "boom" : null,
                    start.minusSeconds(1), start.plusMillis(millis));
            connection.commit();
            return id;
        }
    }

    @Test
    void aRunIsRecordedAndFinishedInItsTransaction() throws SQLException {
        long id;
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            id = runs.insertStarted(connection, SyncTrigger.STARTUP, T0, "key-1");
            assertThat(runs.findById(id)).as("invisible to others until the run commits").isEmpty();
            runs.finish(connection, id, SyncRunStatus.SUCCEEDED, new SyncCounts(3, 2, 1, 40), null,
                    Instant.parse("2026-01-05T14:29:59Z"), T0.plusMillis(1234));
            connection.commit();
        }

        SyncRun run = runs.findById(id).orElseThrow();
        assertThat(run.trigger()).isEqualTo(SyncTrigger.STARTUP);
        assertThat(run.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(run.startedAt()).isEqualTo(T0);
        assertThat(run.finishedAt()).isEqualTo(T0.plusMillis(1234));
        assertThat(run.durationMs()).isEqualTo(1234L);
        assertThat(run.counts()).isEqualTo(new SyncCounts(3, 2, 1, 40));
        assertThat(run.error()).isNull();
        assertThat(run.brokerServerTime()).isEqualTo(Instant.parse("2026-01-05T14:29:59Z"));
        assertThat(run.idempotencyKey()).isEqualTo("key-1");
        assertThat(run.toSummary()).isEqualTo(new SyncRunSummary(id, SyncTrigger.STARTUP, SyncRunStatus.SUCCEEDED, 3, 2, 1,
                40, T0, T0.plusMillis(1234), null));
    }

    @Test
    void aRunFinishesOnce() throws SQLException {
        long id = finished(SyncTrigger.TIMER, T0, 10, SyncRunStatus.SUCCEEDED, null);
        try (Connection connection = db.connection()) {
            assertThatThrownBy(() -> runs.finish(connection, id, SyncRunStatus.FAILED, SyncCounts.NONE, "x", null, T0))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> runs.finish(connection, id, SyncRunStatus.RUNNING, SyncCounts.NONE, null, null, T0))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(runs.findById(id).orElseThrow().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
    }

    @Test
    void aFailureIsRecordedAfterTheRunsTransactionRolledBack() throws SQLException {
        long rolledBack;
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            rolledBack = runs.insertStarted(connection, SyncTrigger.MANUAL, T0, "k");
            connection.rollback();
        }

        long failed = runs.recordFailed(db.dataSource(), SyncTrigger.MANUAL, T0, "k", "broker gone: 1100",
                Instant.parse("2026-01-05T14:29:00Z"), T0.plusMillis(250));

        assertThat(runs.findById(rolledBack)).isEmpty();
        SyncRun run = runs.findById(failed).orElseThrow();
        assertThat(run.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(run.error()).isEqualTo("broker gone: 1100");
        assertThat(run.counts()).isEqualTo(SyncCounts.NONE);
        assertThat(run.durationMs()).isEqualTo(250L);
        assertThat(run.idempotencyKey()).isEqualTo("k");
        assertThat(runs.latest()).contains(run);
    }

    @Test
    void latestLastSuccessfulRecentAndTotals() throws SQLException {
        assertThat(runs.latest()).isEmpty();
        assertThat(runs.totals()).isEqualTo(new SyncTotals(0, 0, 0, 0, null, null));

        long a = finished(SyncTrigger.STARTUP, T0, 100, SyncRunStatus.SUCCEEDED, null);
        long b = finished(SyncTrigger.TIMER, T0.plusSeconds(60), 201, SyncRunStatus.SKIPPED_INCOMPLETE, null);
        long c = finished(SyncTrigger.TIMER, T0.plusSeconds(120), 300, SyncRunStatus.FAILED, null);

        assertThat(runs.latest().orElseThrow().id()).isEqualTo(c);
        assertThat(runs.lastSuccessful().orElseThrow().id()).isEqualTo(a);
        assertThat(runs.recent(2)).extracting(SyncRun::id).containsExactly(c, b);
        assertThat(runs.totals()).isEqualTo(new SyncTotals(3, 1, 1, 1, 200L, 300L));
        assertThatThrownBy(() -> runs.recent(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findByIdempotencyKeyOnlyWithinTheWindow() throws SQLException {
        long early = finished(SyncTrigger.MANUAL, T0, 5, SyncRunStatus.SUCCEEDED, "abc");
        long late = finished(SyncTrigger.MANUAL, T0.plusSeconds(600), 5, SyncRunStatus.SUCCEEDED, "abc");
        finished(SyncTrigger.MANUAL, T0.plusSeconds(700), 5, SyncRunStatus.SUCCEEDED, "other");

        assertThat(runs.findByIdempotencyKey("abc", T0.minusSeconds(1)).orElseThrow().id()).isEqualTo(late);
        assertThat(runs.findByIdempotencyKey("abc", T0.plusSeconds(601))).isEmpty();
        assertThat(runs.findByIdempotencyKey("abc", T0).orElseThrow().id()).isNotEqualTo(early);
        assertThat(runs.findByIdempotencyKey("missing", T0.minusSeconds(1))).isEmpty();
    }

    @Test
    void runsLeftRunningByAStoppedProcessAreMarkedFailedAtStartUp() throws SQLException {
        long interrupted;
        try (Connection connection = db.connection()) { // a RUNNING row committed on its own, as a dashboard would see it
            interrupted = runs.insertStarted(connection, SyncTrigger.TIMER, T0, null);
        }
        long done = finished(SyncTrigger.TIMER, T0.plusSeconds(1), 5, SyncRunStatus.SUCCEEDED, null);

        assertThat(runs.failInterrupted(T0.plusSeconds(30), "interrupted: the service stopped during the run")).isEqualTo(1);

        SyncRun run = runs.findById(interrupted).orElseThrow();
        assertThat(run.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(run.error()).contains("interrupted");
        assertThat(run.durationMs()).isEqualTo(30_000L);
        assertThat(runs.findById(done).orElseThrow().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
    }
}
