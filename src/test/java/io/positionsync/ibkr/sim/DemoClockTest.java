package io.positionsync.ibkr.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class DemoClockTest {
    private static final Instant NOW = Instant.parse("2026-11-30T18:00:00Z");
    private static final Clock SYSTEM = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void startsInThePastAndMovesOnlyForwardUpToThePresent() {
        DemoClock clock = DemoClock.startingAt(SYSTEM, NOW.minus(Duration.ofDays(3)));
        assertThat(clock.instant()).isEqualTo(NOW.minus(Duration.ofDays(3)));

        clock.advance(Duration.ofHours(5));
        assertThat(clock.instant()).isEqualTo(NOW.minus(Duration.ofDays(3)).plus(Duration.ofHours(5)));
        assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);

        clock.advanceTo(NOW.minus(Duration.ofDays(4)));
        assertThat(clock.instant()).as("an earlier instant changes nothing")
                .isEqualTo(NOW.minus(Duration.ofDays(3)).plus(Duration.ofHours(5)));
        clock.advanceTo(NOW.minus(Duration.ofDays(1)));
        assertThat(clock.instant()).isEqualTo(NOW.minus(Duration.ofDays(1)));

        clock.advance(Duration.ofDays(10));
        assertThat(clock.instant()).as("never past the present").isEqualTo(NOW);
        assertThat(clock.behind()).isZero();
    }

    @Test
    void catchesUpWithThePresent() {
        DemoClock clock = DemoClock.startingAt(SYSTEM, NOW.minus(Duration.ofDays(2)));
        clock.catchUp();
        assertThat(clock.instant()).isEqualTo(NOW);
    }

    @Test
    void neverStartsInTheFutureAndStaysUtc() {
        assertThatThrownBy(() -> DemoClock.startingAt(SYSTEM, NOW.plusSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        DemoClock clock = DemoClock.startingAt(SYSTEM, NOW);
        assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
        assertThat(clock.withZone(ZoneOffset.UTC)).isSameAs(clock);
        assertThatThrownBy(() -> clock.withZone(ZoneId.of("America/New_York")))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
