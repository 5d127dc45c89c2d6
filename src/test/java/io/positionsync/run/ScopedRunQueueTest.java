package io.positionsync.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * The coordinator with runs of some accounts: an event never joins the run in flight (its fill may have come after
 * that run's snapshot), requests it does not serve queue one run after it, widened to all their accounts.
 */
class ScopedRunQueueTest {

    /** A run as the runner saw it begin. */
    record Began(long id, SyncTrigger trigger, Set<String> accounts) {
    }

    /** Runs that block until released, recording what each began with. */
    static final class BlockingRuns implements AutoCloseable {
        final List<Began> began = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch firstStarted = new CountDownLatch(1);
        final AtomicInteger ids = new AtomicInteger();
        final SyncCoordinator coordinator = new SyncCoordinator((trigger, run) -> {
            long id = ids.incrementAndGet();
            began.add(new Began(id, trigger, run.accounts()));
            run.started(id);
            firstStarted.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Instant now = Instant.now();
            return new SyncRunSummary(id, trigger, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, now, now, null, null,
                    List.copyOf(run.accounts()));
        });

        @Override
        public void close() {
            release.countDown();
            coordinator.close();
        }
    }

    @Test
    void anEventDuringAFullRunQueuesARunOfItsAccountAfterIt() throws Exception {
        try (BlockingRuns runs = new BlockingRuns()) {
            SyncCoordinator.InFlightRun full = runs.coordinator.request(SyncTrigger.TIMER);
            assertThat(runs.firstStarted.await(5, TimeUnit.SECONDS)).isTrue();

            SyncCoordinator.InFlightRun event = runs.coordinator.request(SyncTrigger.EVENT, null, Set.of("DU2"));

            assertThat(event).isNotSameAs(full);
            assertThat(runs.coordinator.queued()).contains(Set.of("DU2"));
            runs.release.countDown();
            SyncRunSummary second = event.await(Duration.ofSeconds(5)).orElseThrow();
            assertThat(second.trigger()).isEqualTo(SyncTrigger.EVENT);
            assertThat(second.accounts()).containsExactly("DU2");
            assertThat(runs.began).extracting(Began::accounts).containsExactly(Set.of(), Set.of("DU2"));
        }
    }

    @Test
    void requestsDuringARunBecomeOneQueuedRunOfAllTheirAccounts() throws Exception {
        try (BlockingRuns runs = new BlockingRuns()) {
            SyncCoordinator.InFlightRun first = runs.coordinator.request(SyncTrigger.EVENT, null, Set.of("DU1"));
            assertThat(runs.firstStarted.await(5, TimeUnit.SECONDS)).isTrue();

            SyncCoordinator.InFlightRun a = runs.coordinator.request(SyncTrigger.EVENT, null, Set.of("DU3"));
            SyncCoordinator.InFlightRun b = runs.coordinator.request(SyncTrigger.EVENT, null, Set.of("DU2", "DU3"));
            SyncCoordinator.InFlightRun c = runs.coordinator.request(SyncTrigger.MANUAL, null, Set.of("DU1"));

            assertThat(b).isSameAs(a);
            // A manual request joins the run in flight when that run covers its accounts.
            assertThat(c).isSameAs(first);
            assertThat(runs.coordinator.queued()).contains(Set.of("DU2", "DU3"));
            runs.release.countDown();
            assertThat(a.await(Duration.ofSeconds(5)).orElseThrow().accounts()).containsExactly("DU2", "DU3");
            assertThat(runs.began).hasSize(2);
        }
    }

    @Test
    void aFullRequestWidensTheQueuedRunToEveryAccount() throws Exception {
        try (BlockingRuns runs = new BlockingRuns()) {
            runs.coordinator.request(SyncTrigger.EVENT, null, Set.of("DU1"));
            assertThat(runs.firstStarted.await(5, TimeUnit.SECONDS)).isTrue();

            SyncCoordinator.InFlightRun event = runs.coordinator.request(SyncTrigger.EVENT, null, Set.of("DU2"));
            SyncCoordinator.InFlightRun timer = runs.coordinator.request(SyncTrigger.TIMER);

            assertThat(timer).isSameAs(event);
            assertThat(runs.coordinator.queued()).contains(Set.of());
            runs.release.countDown();
            assertThat(timer.await(Duration.ofSeconds(5)).orElseThrow().scoped()).isFalse();
        }
    }

    @Test
    void aManualRequestOfAnAccountJoinsAFullRunInFlight() throws Exception {
        try (BlockingRuns runs = new BlockingRuns()) {
            SyncCoordinator.InFlightRun full = runs.coordinator.request(SyncTrigger.TIMER);
            assertThat(runs.firstStarted.await(5, TimeUnit.SECONDS)).isTrue();

            assertThat(runs.coordinator.request(SyncTrigger.MANUAL, null, Set.of("DU9"))).isSameAs(full);
            assertThat(runs.coordinator.queued()).isEmpty();
        }
    }

    @Test
    void aQueuedRunIsRefusedWhenTheServiceStops() throws Exception {
        try (BlockingRuns runs = new BlockingRuns()) {
            runs.coordinator.request(SyncTrigger.TIMER);
            assertThat(runs.firstStarted.await(5, TimeUnit.SECONDS)).isTrue();
            SyncCoordinator.InFlightRun queued = runs.coordinator.request(SyncTrigger.EVENT, null, Set.of("DU1"));

            runs.coordinator.stopAccepting();

            assertThatThrownBy(() -> queued.result().get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasMessageContaining("stopping");
            runs.release.countDown();
            assertThat(runs.coordinator.awaitIdle(Duration.ofSeconds(5))).isTrue();
            assertThat(runs.began).hasSize(1);
        }
    }
}
