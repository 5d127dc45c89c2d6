package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.SyncCounts;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;

@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class SyncStatisticsTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    static TestDatabase db;

    @Test
    void countsRunsDurationsAndTheFailureStreak() {
        TestClock clock = new TestClock(T0);
        SyncStatistics statistics = new SyncStatistics(clock);
        List<Long> heard = new ArrayList<>();
        statistics.addListener(run -> heard.add(statistics.snapshot().runs()));

        statistics.accept(run(1, SyncRunStatus.SUCCEEDED, 100));
        statistics.accept(run(2, SyncRunStatus.FAILED, 300));
        statistics.accept(run(3, SyncRunStatus.SKIPPED_INCOMPLETE, 200));

        SyncStatistics.Snapshot s = statistics.snapshot();
        assertThat(s.runs()).isEqualTo(3);
        assertThat(s.succeeded()).isEqualTo(1);
        assertThat(s.failed()).isEqualTo(1);
        assertThat(s.skipped()).isEqualTo(1);
        assertThat(s.failures()).isEqualTo(2);
        assertThat(s.consecutiveFailures()).isEqualTo(2);
        assertThat(s.averageDurationMs()).isEqualTo(200);
        assertThat(s.lastDurationMs()).isEqualTo(200);
        assertThat(s.lastSuccessAt()).isEqualTo(T0.plusSeconds(1).plusMillis(100));
        assertThat(heard).as("listeners hear each run after the figures changed").containsExactly(1L, 2L, 3L);

        statistics.accept(run(4, SyncRunStatus.SUCCEEDED, 50));
        assertThat(statistics.snapshot().consecutiveFailures()).isZero();
        clock.advance(Duration.ofSeconds(90));
        assertThat(statistics.lastSuccessAgeSeconds()).hasValue(Duration.between(T0.plusSeconds(4).plusMillis(50),
                T0.plusSeconds(90)).toSeconds());
    }

    @Test
    void runsOfSomeAccountsNeitherEndTheFailureStreakNorFreshenTheBook() {
        TestClock clock = new TestClock(T0);
        SyncStatistics statistics = new SyncStatistics(clock);
        statistics.accept(run(1, SyncRunStatus.SUCCEEDED, 10));
        statistics.accept(run(2, SyncRunStatus.SKIPPED_INCOMPLETE, 10));
        statistics.accept(run(3, SyncRunStatus.FAILED, 10));
        Instant at = T0.plusSeconds(4);
        // an event run of one account succeeds, another fails: the full runs' streak and last success stand
        statistics.accept(new SyncRunSummary(4, SyncTrigger.EVENT, SyncRunStatus.SUCCEEDED, 0, 1, 0, 0, at, at, null,
                null, java.util.List.of("DU1")));
        statistics.accept(new SyncRunSummary(5, SyncTrigger.EVENT, SyncRunStatus.FAILED, 0, 0, 0, 0, at, at, "why",
                null, java.util.List.of("DU2")));
        clock.advance(java.time.Duration.ofSeconds(100));

        assertThat(statistics.snapshot().consecutiveFailures()).isEqualTo(2);
        assertThat(statistics.snapshot().lastSuccessAt()).isEqualTo(T0.plusSeconds(1).plusMillis(10));
        assertThat(statistics.snapshot().runs()).isEqualTo(5);
        statistics.accept(run(6, SyncRunStatus.SUCCEEDED, 10));
        assertThat(statistics.snapshot().consecutiveFailures()).isZero();
    }

    @Test
    void noSuccessMeansNoAge() {
        SyncStatistics statistics = new SyncStatistics(new TestClock(T0));

        statistics.accept(run(1, SyncRunStatus.FAILED, 10));

        assertThat(statistics.lastSuccessAgeSeconds()).isEmpty();
        assertThat(statistics.snapshot().lastSuccessAt()).isNull();
    }

    @Test
    void seedsTheLastSuccessAndTheStreakFromStoredRuns() throws Exception {
        SyncRunRepository runs = new SyncRunRepository(db.dataSource());
        Instant base = Instant.now().truncatedTo(ChronoUnit.MILLIS).minus(Duration.ofHours(1));
        Instant successEnd;
        try (Connection connection = db.connection()) {
            successEnd = store(runs, connection, base, SyncRunStatus.SUCCEEDED);
            store(runs, connection, base.plusSeconds(60), SyncRunStatus.FAILED);
            store(runs, connection, base.plusSeconds(120), SyncRunStatus.SKIPPED_INCOMPLETE);
            store(runs, connection, base.plusSeconds(180), SyncRunStatus.FAILED);
        }
        SyncStatistics statistics = new SyncStatistics(new TestClock(base.plusSeconds(240)));

        statistics.seed(runs, SyncStatistics.SEED_LOOKBACK);

        assertThat(statistics.snapshot().consecutiveFailures()).isEqualTo(3);
        assertThat(statistics.snapshot().lastSuccessAt()).isEqualTo(successEnd);
        assertThat(statistics.snapshot().runs()).as("only runs finished by this process are counted").isZero();
        assertThat(statistics.lastSuccessAgeSeconds()).hasValue(239);
    }

    @Test
    void executionsMissingTurnsOnAfterTheThresholdOfEstimateOnlyRunsAndOffWithARealFill() {
        TestClock clock = new TestClock(T0);
        SyncStatistics statistics = new SyncStatistics(clock, 3, 17);
        List<String> heard = new ArrayList<>();
        statistics.addFillsListener((applied, deferred, estimated) -> heard.add(applied + "/" + deferred + "/" + estimated));

        assertThat(statistics.executionsMissing()).isEqualTo(new SyncStatistics.ExecutionsMissing(false, null, 0, 3, null));
        statistics.recordFills(0, 0, 2);
        Instant streakStart = clock.instant();
        clock.advance(Duration.ofSeconds(60));
        statistics.recordFills(0, 0, 0); // a quiet run: neither counts nor breaks the streak
        statistics.recordFills(0, 1, 1);
        assertThat(statistics.executionsMissing().active()).isFalse();
        assertThat(statistics.executionsMissing().consecutiveRuns()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(60));
        statistics.recordFills(0, 0, 1);

        SyncStatistics.ExecutionsMissing on = statistics.executionsMissing();
        assertThat(on.active()).isTrue();
        assertThat(on.consecutiveRuns()).isEqualTo(3);
        assertThat(on.since()).isEqualTo(streakStart);
        assertThat(on.hint()).contains("Master API client ID").contains("17 (PSYNC_IBKR_CLIENT_ID)");
        assertThat(on.toJson()).containsEntry("active", true).containsEntry("since", streakStart.toString())
                .containsEntry("consecutiveRuns", 3).containsKey("hint");

        statistics.recordFills(0, 0, 4);
        assertThat(statistics.executionsMissing().consecutiveRuns()).isEqualTo(4);
        statistics.recordFills(1, 0, 3); // one real fill: the executions do arrive
        assertThat(statistics.executionsMissing()).isEqualTo(new SyncStatistics.ExecutionsMissing(false, null, 0, 3, null));
        assertThat(heard).containsExactly("0/0/2", "0/0/0", "0/1/1", "0/0/1", "0/0/4", "1/0/3");
    }

    @Test
    void executionsMissingRefusesNonsense() {
        assertThatThrownBy(() -> new SyncStatistics(new TestClock(T0), 0, 17)).isInstanceOf(IllegalArgumentException.class);
        SyncStatistics statistics = new SyncStatistics(new TestClock(T0), 1, null);
        assertThatThrownBy(() -> statistics.recordFills(0, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        statistics.recordFills(0, 0, 1);
        assertThat(statistics.executionsMissing().active()).as("a threshold of one run").isTrue();
        assertThat(statistics.executionsMissing().hint()).contains("the client id this service uses");
    }

    private static Instant store(SyncRunRepository runs, Connection connection, Instant startedAt, SyncRunStatus status)
            throws Exception {
        long id = runs.insertStarted(connection, SyncTrigger.TIMER, startedAt, null);
        Instant finishedAt = startedAt.plusSeconds(1);
        runs.finish(connection, id, status, SyncCounts.NONE, status == SyncRunStatus.SUCCEEDED ? null : "x", null,
                finishedAt);
        return finishedAt;
    }

    private static SyncRunSummary run(long id, SyncRunStatus status, long millis) {
        Instant started = T0.plusSeconds(id);
        return new SyncRunSummary(id, SyncTrigger.TIMER, status, 0, 0, 0, 0, started, started.plusMillis(millis),
                status == SyncRunStatus.SUCCEEDED ? null : "why");
    }
}
