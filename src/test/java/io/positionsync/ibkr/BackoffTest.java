package io.positionsync.ibkr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");

    @Test
    void delaysStartAtInitialDoubleAndCap() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

        assertThat(backoff.delayAfter(0)).isEqualTo(Duration.ZERO);
        assertThat(backoff.delayAfter(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.delayAfter(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.delayAfter(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(backoff.delayAfter(6)).isEqualTo(Duration.ofSeconds(32));
        assertThat(backoff.delayAfter(7)).isEqualTo(Duration.ofSeconds(60));
        assertThat(backoff.delayAfter(8)).isEqualTo(Duration.ofSeconds(60));
        assertThat(backoff.delayAfter(10_000)).as("no overflow on a long streak").isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void capThatIsNotAPowerOfTwoMultiple() {
        Backoff backoff = new Backoff(Duration.ofMillis(300), Duration.ofMillis(1000));

        assertThat(backoff.delayAfter(3)).isEqualTo(Duration.ofMillis(1000));
        assertThat(backoff.delayAfter(2)).isEqualTo(Duration.ofMillis(600));
    }

    @Test
    void failuresMoveTheNextAttemptAndSuccessResets() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5));
        assertThat(backoff.mayAttempt(T0)).isTrue();
        assertThat(backoff.nextAttemptAt()).isEmpty();

        Instant next = backoff.recordFailure(T0);
        assertThat(next).isEqualTo(T0.plusSeconds(1));
        assertThat(backoff.mayAttempt(T0.plusMillis(999))).isFalse();
        assertThat(backoff.mayAttempt(T0.plusSeconds(1))).isTrue();

        assertThat(backoff.recordFailure(T0.plusSeconds(1))).isEqualTo(T0.plusSeconds(3));
        assertThat(backoff.recordFailure(T0.plusSeconds(3))).isEqualTo(T0.plusSeconds(7));
        assertThat(backoff.recordFailure(T0.plusSeconds(7))).as("capped").isEqualTo(T0.plusSeconds(12));
        assertThat(backoff.consecutiveFailures()).isEqualTo(4);

        backoff.recordSuccess();
        assertThat(backoff.consecutiveFailures()).isZero();
        assertThat(backoff.mayAttempt(T0.plusSeconds(8))).isTrue();
        assertThat(backoff.recordFailure(T0.plusSeconds(20))).as("starts over").isEqualTo(T0.plusSeconds(21));
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
