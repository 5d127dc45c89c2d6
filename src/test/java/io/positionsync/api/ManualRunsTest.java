package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.SyncCounts;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.store.TestDatabase;
import io.positionsync.run.SyncCoordinator;
import io.positionsync.run.SyncCoordinator.InFlightRun;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;

/** Idempotency keys of the manual trigger: remembered runs, stored runs, the window, concurrent requests. */
@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class ManualRunsTest {
    private static final Duration WINDOW = Duration.ofMinutes(10);

    static TestDatabase db;
    static SyncRunRepository runs;

    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger runIds = new AtomicInteger(1000);
    /** Each run finishes at once with a fresh id, so only the key can make two requests share one. */
    private final SyncCoordinator coordinator = new SyncCoordinator((trigger, inFlight) -> {
        long id = runIds.incrementAndGet();
        inFlight.started(id);
        Instant now = Instant.now();
        return new SyncRunSummary(id, trigger, SyncRunStatus.SUCCEEDED, 0, 0, 0, 1, now, now, null);
    });
    private final Function<String, InFlightRun> start = key -> {
        started.incrementAndGet();
        return coordinator.request(SyncTrigger.MANUAL, key);
    };

    @BeforeAll
    static void database() {
        runs = new SyncRunRepository(db.dataSource());
    }

    @AfterEach
    void stopCoordinator() {
        coordinator.close();
    }

    @Test
    void withoutAKeyEveryRequestStartsOrJoinsARun() throws Exception {
        ManualRuns manual = new ManualRuns(start, runs, WINDOW, new TestClock(Instant.now()));

        ManualRuns.Outcome first = manual.request(null);
        first.inFlight().result().get(10, TimeUnit.SECONDS); // ended: the next request cannot join it
        ManualRuns.Outcome second = manual.request(null);

        assertThat(started).hasValue(2);
        assertThat(first.replayed()).isFalse();
        assertThat(second.inFlight()).isNotSameAs(first.inFlight());
    }

    @Test
    void theSameKeyWithinTheWindowGetsTheSameRun() throws Exception {
        TestClock clock = new TestClock(Instant.now());
        ManualRuns manual = new ManualRuns(start, runs, WINDOW, clock);

        ManualRuns.Outcome first = manual.request("k-1");
        clock.advance(WINDOW.minusSeconds(1));
        ManualRuns.Outcome again = manual.request("k-1");

        assertThat(started).hasValue(1);
        assertThat(first.replayed()).isFalse();
        assertThat(again.replayed()).isTrue();
        assertThat(again.inFlight()).isSameAs(first.inFlight());
    }

    @Test
    void afterTheWindowTheKeyStartsANewRun() throws Exception {
        TestClock clock = new TestClock(Instant.now());
        ManualRuns manual = new ManualRuns(start, runs, WINDOW, clock);

        manual.request("k-2");
        clock.advance(WINDOW.plusSeconds(1));
        ManualRuns.Outcome later = manual.request("k-2");

        assertThat(started).hasValue(2);
        assertThat(later.replayed()).isFalse();
    }

    @Test
    void aKeyStoredWithAFinishedRunReplaysItWithoutStartingOne() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        long id = storedRun("k-3", now.minus(Duration.ofMinutes(9)), SyncRunStatus.SUCCEEDED);
        ManualRuns manual = new ManualRuns(start, runs, WINDOW, new TestClock(now));

        ManualRuns.Outcome outcome = manual.request("k-3");

        assertThat(started).hasValue(0);
        assertThat(outcome.replayed()).isTrue();
        assertThat(outcome.inFlight()).isNull();
        assertThat(outcome.finished().runId()).isEqualTo(id);
        assertThat(outcome.finished().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
    }

    @Test
    void aKeyStoredBeforeTheWindowIsForgotten() throws Exception {
        Instant now = Instant.now();
        storedRun("k-4", now.minus(WINDOW).minusSeconds(1), SyncRunStatus.SUCCEEDED);
        ManualRuns manual = new ManualRuns(start, runs, WINDOW, new TestClock(now));

        ManualRuns.Outcome outcome = manual.request("k-4");

        assertThat(started).hasValue(1);
        assertThat(outcome.replayed()).isFalse();
    }

    @Test
    void aKeyWhoseRunIsStillRunningJoinsTheRunInFlight() throws Exception {
        Instant now = Instant.now();
        storedRun("k-5", now.minusSeconds(5), SyncRunStatus.RUNNING);
        ManualRuns manual = new ManualRuns(start, runs, WINDOW, new TestClock(now));

        ManualRuns.Outcome outcome = manual.request("k-5");

        assertThat(started).hasValue(1);
        assertThat(outcome.inFlight()).isNotNull();
        assertThat(outcome.replayed()).isTrue();
    }

    @Test
    void concurrentRequestsWithTheSameKeyStartOneRun() throws Exception {
        ManualRuns manual = new ManualRuns(start, runs, WINDOW, new TestClock(Instant.now()));
        int callers = 8;
        CountDownLatch gate = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<ManualRuns.Outcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                outcomes.add(pool.submit(() -> {
                    gate.await();
                    return manual.request("k-6");
                }));
            }
            gate.countDown();
            InFlightRun first = outcomes.get(0).get(10, TimeUnit.SECONDS).inFlight();
            for (Future<ManualRuns.Outcome> outcome : outcomes) {
                assertThat(outcome.get(10, TimeUnit.SECONDS).inFlight()).isSameAs(first);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(started).hasValue(1);
    }

    private static long storedRun(String key, Instant startedAt, SyncRunStatus status) throws SQLException {
        try (Connection connection = db.connection()) {
            long id = runs.insertStarted(connection, SyncTrigger.MANUAL, startedAt, key);
            if (status != SyncRunStatus.RUNNING) {
                runs.finish(connection, id, status, SyncCounts.NONE, null, null, startedAt.plusMillis(10));
            }
            return id;
        }
    }
}
