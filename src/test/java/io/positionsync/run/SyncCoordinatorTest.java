package io.positionsync.run;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class SyncCoordinatorTest {

    private static SyncRunSummary summary(long id, SyncTrigger trigger) {
        Instant now = Instant.now();
        return new SyncRunSummary(id, trigger, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, now, now, null);
    }

    @Test
    void triggerDuringRunJoinsIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        try (SyncCoordinator coordinator = new SyncCoordinator((trigger, run) -> {
            long id = runs.incrementAndGet();
            run.started(id);
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return summary(id, trigger);
        })) {
            SyncCoordinator.InFlightRun first = coordinator.request(SyncTrigger.TIMER);
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            SyncCoordinator.InFlightRun second = coordinator.request(SyncTrigger.MANUAL);

            assertThat(second).isSameAs(first);
            assertThat(coordinator.inFlight()).isTrue();
            assertThat(second.await(Duration.ofMillis(50))).isEmpty();
            release.countDown();

            assertThat(first.await(Duration.ofSeconds(5))).get().extracting(SyncRunSummary::runId).isEqualTo(1L);
            assertThat(second.result().get()).isSameAs(first.result().get());
            assertThat(runs.get()).isEqualTo(1);
            assertThat(coordinator.joinedTriggers()).isEqualTo(1);
            assertThat(coordinator.inFlight()).isFalse();
        }
    }

    @Test
    void requestAfterRunEndedStartsANewRun() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        try (SyncCoordinator coordinator = new SyncCoordinator((trigger, run) -> summary(runs.incrementAndGet(), trigger))) {
            SyncRunSummary a = coordinator.runAndWait(SyncTrigger.MANUAL, Duration.ofSeconds(5));
            SyncRunSummary b = coordinator.runAndWait(SyncTrigger.TIMER, Duration.ofSeconds(5));
            assertThat(a.runId()).isEqualTo(1L);
            assertThat(b.runId()).isEqualTo(2L);
            assertThat(b.trigger()).isEqualTo(SyncTrigger.TIMER);
        }
    }

    @Test
    void failureOfTheRunnerReachesEveryWaiter() throws Exception {
        try (SyncCoordinator coordinator = new SyncCoordinator((trigger, run) -> {
            throw new IllegalStateException("database gone");
        })) {
            SyncCoordinator.InFlightRun run = coordinator.request(SyncTrigger.MANUAL);
            assertThatThrownBy(() -> run.await(Duration.ofSeconds(5))).hasMessageContaining("database gone");
            assertThat(run.runId()).isCompletedExceptionally();
            // the gate opens again after a failure
            assertThat(coordinator.request(SyncTrigger.MANUAL)).isNotSameAs(run);
        }
    }
}
