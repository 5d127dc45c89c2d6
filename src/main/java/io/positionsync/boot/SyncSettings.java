package io.positionsync.boot;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The sync area ({@code psync.sync.*}).
 *
 * @param period         the timer's period
 * @param initialDelay   delay before the start-up run
 * @param runTimeout     longest a waiting caller waits for a run
 * @param breakTolerance realized P&L difference (account currency) above which a reconciliation break is raised
 * @param failureRetry   how often a failure recorded while the database was away is retried
 * @param shutdownGrace  how long a run in flight may go on after SIGTERM
 * @param timerEnabled   whether the timer route runs
 * @param notifyChannel  the PostgreSQL channel each committed run is announced on ({@code psync.notify.channel});
 *                       empty: none
 */
public record SyncSettings(Duration period, Duration initialDelay, Duration runTimeout, BigDecimal breakTolerance,
        Duration failureRetry, Duration shutdownGrace, boolean timerEnabled, Optional<String> notifyChannel) {
    public SyncSettings {
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(runTimeout, "runTimeout");
        Objects.requireNonNull(breakTolerance, "breakTolerance");
        Objects.requireNonNull(failureRetry, "failureRetry");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(notifyChannel, "notifyChannel");
    }
}
