package io.positionsync.run;

import io.positionsync.ibkr.sim.DemoHistory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;

import org.junit.jupiter.api.Test;

class DemoHistoryTest {
    @Test
    void historyDaysAreTheWeekdaysBeforeToday() {
        // 2026-11-30 is a Monday: the three weekdays before it are Wednesday to Friday of the week before.
        assertThat(DemoHistory.tradingDaysBefore(LocalDate.parse("2026-11-30"), 3)).containsExactly(
                LocalDate.parse("2026-11-25"), LocalDate.parse("2026-11-26"), LocalDate.parse("2026-11-27"));
        // A Sunday: the weekdays of the week that ends with it.
        assertThat(DemoHistory.tradingDaysBefore(LocalDate.parse("2026-11-29"), 2)).containsExactly(
                LocalDate.parse("2026-11-26"), LocalDate.parse("2026-11-27"));
        assertThat(DemoHistory.tradingDaysBefore(LocalDate.parse("2026-12-02"), 1))
                .containsExactly(LocalDate.parse("2026-12-01"));
    }

    @Test
    void theClockStartsBeforeTheFirstDaysFirstRun() {
        assertThat(DemoHistory.start(DemoHistory.tradingDaysBefore(LocalDate.parse("2026-11-30"), 3)))
                .isEqualTo(Instant.parse("2026-11-25T13:30:00Z"));
    }
}
