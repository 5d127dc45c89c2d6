package io.positionsync.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

/** A touch is left unwritten only when its market values are the stored ones. */
class LifecycleWriteTest {
    private static final Instant T0 = Instant.parse("2026-11-30T15:00:00Z");

    private static StoredPosition row(String marketPrice, String unrealizedPnl) {
        return new StoredPosition(7, "DU1", 1, "AAPL", "STK", "USD", BigDecimal.ONE, new BigDecimal("100"),
                new BigDecimal("150.01"), marketPrice == null ? null : new BigDecimal(marketPrice),
                unrealizedPnl == null ? null : new BigDecimal(unrealizedPnl), null, null, PositionStatus.OPEN, T0, null,
                T0);
    }

    @Test
    void sameNumbersInAnotherScaleAreUnchangedAnyDifferenceOrAValueAppearingIsNot() {
        assertThat(LifecycleWrite.touch(0, row("155.5", "549"), row("155.50", "549.00")).unchanged()).isTrue();
        assertThat(LifecycleWrite.touch(0, row(null, null), row(null, null)).unchanged()).isTrue();
        assertThat(LifecycleWrite.touch(0, row("155.51", "549"), row("155.50", "549")).unchanged()).isFalse();
        assertThat(LifecycleWrite.touch(0, row("155.50", "550"), row("155.50", "549")).unchanged()).isFalse();
        assertThat(LifecycleWrite.touch(0, row("155.50", "549"), row(null, "549")).unchanged()).isFalse();
        assertThat(LifecycleWrite.touch(0, row("155.50", "549"), row("155.50", "549")).touchOnly()).isTrue();
    }

    @Test
    void onlyATouchCanBeUnchangedAndTheIdKeepsIt() {
        assertThatThrownBy(() -> new LifecycleWrite(0, false, row("1", "1"), List.of(), 0, false, List.of(), false, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(LifecycleWrite.touch(0, row("1", "1"), row("1", "1")).withId(9).unchanged()).isTrue();
    }
}
