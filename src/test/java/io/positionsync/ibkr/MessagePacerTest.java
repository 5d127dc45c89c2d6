package io.positionsync.ibkr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The pacer on a clock the test moves: its sleeper advances the clock instead of sleeping. */
class MessagePacerTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long NO_DEADLINE = Long.MAX_VALUE / 2;

    /** A monotonic time that only moves when the test or the pacer's sleeps move it. */
    private static final class FakeTime {
        long now = 1_000 * SECOND;
        final List<Long> sleeps = new ArrayList<>();

        void sleep(long nanos) {
            sleeps.add(nanos);
            now += nanos;
        }
    }

    private final FakeTime time = new FakeTime();
    private final PacingStatistics statistics = new PacingStatistics();

    private MessagePacer pacer(int perSecond) {
        return new MessagePacer(perSecond, () -> time.now, time::sleep, statistics);
    }

    @Test
    void aBurstUpToTheLimitGoesAtOnceAndTheNextWaitsForTheFirstToBeASecondOld() throws Exception {
        MessagePacer pacer = pacer(45);
        long start = time.now;
        for (int i = 0; i < 45; i++) {
            pacer.acquire(1, NO_DEADLINE);
        }
        assertThat(time.sleeps).isEmpty();
        assertThat(statistics.waits()).isZero();

        pacer.acquire(1, NO_DEADLINE);

        assertThat(time.now - start).isEqualTo(SECOND);
        assertThat(time.sleeps).containsExactly(SECOND);
        assertThat(statistics.waits()).isEqualTo(1);
        assertThat(statistics.totalWait()).isEqualTo(Duration.ofSeconds(1));
        assertThat(pacer.sent()).isEqualTo(46);
    }

    @Test
    void theWindowRollsWithTimeItIsNotACalendarSecond() throws Exception {
        MessagePacer pacer = pacer(45);
        time.now += 900 * MS;
        long burst = time.now;
        for (int i = 0; i < 45; i++) {
            pacer.acquire(1, NO_DEADLINE);
        }
        // A fixed bucket per second would let 45 more go at the next full second (100 ms later): 90 in 100 ms.
        time.now += 100 * MS;
        pacer.acquire(1, NO_DEADLINE);
        assertThat(time.now).isEqualTo(burst + SECOND);
        assertThat(time.sleeps).containsExactly(900 * MS);
    }

    @Test
    void neverMoreThanTheLimitInAnyRollingSecond() throws Exception {
        int perSecond = 45;
        MessagePacer pacer = pacer(perSecond);
        Random random = new Random(42);
        List<Long> sentAt = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            // Bursts and pauses: mostly back to back, sometimes a gap of up to 1.5 s.
            if (random.nextInt(10) == 0) {
                time.now += random.nextInt(1_500) * MS;
            }
            int messages = random.nextInt(4) == 0 ? 2 : 1;
            pacer.acquire(messages, NO_DEADLINE);
            for (int m = 0; m < messages; m++) {
                sentAt.add(time.now);
            }
        }
        for (int i = 0; i + perSecond < sentAt.size(); i++) {
            assertThat(sentAt.get(i + perSecond) - sentAt.get(i))
                    .as("message %d and the one %d after it", i, perSecond).isGreaterThanOrEqualTo(SECOND);
        }
        assertThat(statistics.waits()).isPositive();
        assertThat(statistics.totalWait().toNanos()).isEqualTo(time.sleeps.stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void twoMessagesInOneWriteWaitForTheSecondOldestToAge() throws Exception {
        MessagePacer pacer = pacer(3);
        long first = time.now;
        pacer.acquire(1, NO_DEADLINE);
        time.now += 200 * MS;
        pacer.acquire(1, NO_DEADLINE);
        time.now += 200 * MS;
        pacer.acquire(1, NO_DEADLINE);
        // No slot is free; two messages need the first two sends to have aged: until first + 200 ms + 1 s.
        pacer.acquire(2, NO_DEADLINE);
        assertThat(time.now).isEqualTo(first + 200 * MS + SECOND);
    }

    @Test
    void aWaitPastTheDeadlineSendsNothingAndFailsAtOnce() throws Exception {
        MessagePacer pacer = pacer(45);
        long start = time.now;
        for (int i = 0; i < 45; i++) {
            pacer.acquire(1, NO_DEADLINE);
        }

        assertThatThrownBy(() -> pacer.acquire(1, start + 500 * MS))
                .isInstanceOf(PacingDeadlineException.class)
                .hasMessageContaining("wait 1000 ms").hasMessageContaining("45 a second");
        assertThat(time.now).as("no time spent waiting in vain").isEqualTo(start);
        assertThat(time.sleeps).isEmpty();
        assertThat(pacer.sent()).isEqualTo(45);

        // A deadline exactly when the slot frees is enough.
        pacer.acquire(1, start + SECOND);
        assertThat(time.now).isEqualTo(start + SECOND);
        assertThat(pacer.sent()).isEqualTo(46);
    }

    @Test
    void thePacingFloorIsWhenTheLastOfThatManyMessagesCouldGoAndMatchesSendingThem() throws Exception {
        MessagePacer pacer = pacer(45);
        assertThat(pacer.nanosToSend(0)).isZero();
        assertThat(pacer.nanosToSend(45)).as("a burst goes at once").isZero();
        assertThat(pacer.nanosToSend(46)).isEqualTo(SECOND);
        assertThat(pacer.nanosToSend(1000)).isEqualTo(22 * SECOND);

        time.now += 300 * MS;
        for (int i = 0; i < 10; i++) {
            pacer.acquire(1, NO_DEADLINE);
        }
        time.now += 200 * MS;
        assertThat(pacer.nanosUntilFree(35)).isZero();
        assertThat(pacer.nanosUntilFree(36)).as("the first of the ten must age").isEqualTo(800 * MS);
        long floor = pacer.nanosToSend(100);
        long start = time.now;
        for (int i = 0; i < 100; i++) {
            pacer.acquire(1, NO_DEADLINE);
        }
        assertThat(time.now - start).as("the floor is what sending them took").isEqualTo(floor)
                .isEqualTo(2 * SECOND);
    }

    @Test
    void refusesAWriteOfMoreMessagesThanASecondAllows() {
        MessagePacer pacer = pacer(2);
        assertThatThrownBy(() -> pacer.acquire(3, NO_DEADLINE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pacer(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theConnectionCountsTheFramesOfAWrite() {
        assertThat(TwsConnection.countMessages(RequestEncoder.handshake())).isEqualTo(1);
        assertThat(TwsConnection.countMessages(RequestEncoder.reqCurrentTime())).isEqualTo(1);
        byte[] unsubscribe = RequestEncoder.reqAccountUpdates(false, "DU1");
        byte[] subscribe = RequestEncoder.reqAccountUpdates(true, "DU2");
        byte[] both = new byte[unsubscribe.length + subscribe.length];
        System.arraycopy(unsubscribe, 0, both, 0, unsubscribe.length);
        System.arraycopy(subscribe, 0, both, unsubscribe.length, subscribe.length);
        assertThat(TwsConnection.countMessages(both)).isEqualTo(2);
    }
}
