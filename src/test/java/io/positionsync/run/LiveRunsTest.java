package io.positionsync.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.BrokerEvent;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/** Events of the live connection become debounced runs of their accounts; their commits are measured. */
class LiveRunsTest {

    record Ran(SyncTrigger trigger, Set<String> accounts) {
    }

    private final List<Ran> ran = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final SyncCoordinator coordinator = new SyncCoordinator((trigger, run) -> {
        ran.add(new Ran(trigger, run.accounts()));
        Instant now = Instant.now();
        return new SyncRunSummary(ids.incrementAndGet(), trigger, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, now, now, null,
                null, List.copyOf(run.accounts()));
    });
    private LiveRuns live;

    @AfterEach
    void close() {
        if (live != null) {
            live.close();
        }
        coordinator.close();
    }

    private static BrokerEvent.Fill fill(String account, String execId) {
        Instant now = Instant.now();
        return new BrokerEvent.Fill(account, execId, now.minusMillis(5), now);
    }

    @Test
    void aBurstOfFillsAcrossAccountsBecomesOneRunOfThoseAccounts() {
        // A debounce long enough that the burst below, sent at once, cannot outlast it.
        live = new LiveRuns(coordinator, Duration.ofMillis(300), Duration.ofSeconds(5));

        for (int i = 0; i < 20; i++) {
            live.accept(fill(i % 2 == 0 ? "DU1" : "DU2", "e." + i));
        }
        live.accept(new BrokerEvent.PositionChanged("DU3", 7, BigDecimal.TEN, Instant.now()));

        await().atMost(Duration.ofSeconds(5)).until(() -> !ran.isEmpty());
        assertThat(ran).containsExactly(new Ran(SyncTrigger.EVENT, Set.of("DU1", "DU2", "DU3")));
        assertThat(live.eventRunsRequested()).isEqualTo(1);
        assertThat(live.events(LiveRuns.EventKind.FILL)).isEqualTo(20);
        assertThat(live.events(LiveRuns.EventKind.POSITION)).isEqualTo(1);
        assertThat(live.pendingAccounts()).isEmpty();
    }

    @Test
    void aBurstThatGoesOnIsRunNoLaterThanTheLongestDelay() {
        live = new LiveRuns(coordinator, Duration.ofMillis(200), Duration.ofMillis(400));
        long start = System.nanoTime();
        int i = 0;
        // Events every 20 ms: the debounce alone would never end; the longest delay does.
        while (ran.isEmpty() && System.nanoTime() - start < Duration.ofSeconds(5).toNanos()) {
            live.accept(fill("DU1", "e." + i++));
            await().pollDelay(Duration.ofMillis(20)).atMost(Duration.ofSeconds(1)).until(() -> true);
        }
        assertThat(ran).isNotEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(ran.get(0)).isEqualTo(new Ran(SyncTrigger.EVENT, Set.of("DU1")));
    }

    @Test
    void theLiveSubscriptionsComingBackAskForAFullCatchUpRun() {
        live = new LiveRuns(coordinator, Duration.ofMillis(10), Duration.ofMillis(10));
        Instant since = Instant.now();

        live.accept(new BrokerEvent.LiveLost("connection lost", since.minusSeconds(1)));
        assertThat(live.liveSince()).isEmpty();
        live.accept(new BrokerEvent.LiveStarted("reconnected", since));

        await().atMost(Duration.ofSeconds(5)).until(() -> !ran.isEmpty());
        assertThat(ran).containsExactly(new Ran(SyncTrigger.EVENT, Set.of()));
        assertThat(live.liveSince()).contains(since);
    }

    @Test
    void aFillIsMeasuredAtTheCommitOfTheFirstRunOfItsAccountThatBeganAfterItWasHeard() {
        live = new LiveRuns(coordinator, Duration.ofSeconds(30), Duration.ofSeconds(30)); // no run of its own here
        List<Duration> measured = new CopyOnWriteArrayList<>();
        live.addObserver((heard, executed) -> measured.add(heard));
        Instant heardAt = Instant.now().minusMillis(800);
        live.accept(new BrokerEvent.Fill("DU1", "e.1", heardAt.minusMillis(100), heardAt));

        Instant before = heardAt.minusMillis(1);
        Instant after = heardAt.plusMillis(1);
        // A run that began before the fill was heard may not hold it; a run of another account does not.
        live.runFinished(new SyncRunSummary(1, SyncTrigger.TIMER, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, before, after, null));
        live.runFinished(new SyncRunSummary(2, SyncTrigger.EVENT, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, after, after,
                null, null, List.of("DU2")));
        live.runFinished(new SyncRunSummary(3, SyncTrigger.EVENT, SyncRunStatus.SKIPPED_INCOMPLETE, 0, 0, 0, 0, after,
                after, "incomplete", null, List.of("DU1")));
        assertThat(measured).isEmpty();

        live.runFinished(new SyncRunSummary(4, SyncTrigger.EVENT, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, after, after,
                null, null, List.of("DU1")));
        assertThat(measured).hasSize(1);
        assertThat(measured.get(0)).isGreaterThanOrEqualTo(Duration.ofMillis(800));
        live.runFinished(new SyncRunSummary(5, SyncTrigger.TIMER, SyncRunStatus.SUCCEEDED, 0, 0, 0, 0, after, after, null));
        assertThat(measured).hasSize(1); // measured once
    }
}
