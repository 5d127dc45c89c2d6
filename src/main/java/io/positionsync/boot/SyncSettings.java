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
 * @param live           whether the service keeps a live connection and runs the accounts a fill or a position
 *                       change concerns as it happens ({@code psync.sync.live})
 * @param eventDebounce  how long after the last event of a burst its accounts' run starts
 * @param eventMaxDelay  the longest an event waits for its run while a burst goes on
 */
public record SyncSettings(Duration period, Duration initialDelay, Duration runTimeout, BigDecimal breakTolerance,
        Duration failureRetry, Duration shutdownGrace, boolean timerEnabled, Optional<String> notifyChannel,
        boolean live, Duration eventDebounce, Duration eventMaxDelay) {
    public SyncSettings {
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(runTimeout, "runTimeout");
        Objects.requireNonNull(breakTolerance, "breakTolerance");
        Objects.requireNonNull(failureRetry, "failureRetry");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(notifyChannel, "notifyChannel");
        Objects.requireNonNull(eventDebounce, "eventDebounce");
        Objects.requireNonNull(eventMaxDelay, "eventMaxDelay");
        if (eventMaxDelay.compareTo(eventDebounce) < 0) {
            throw new IllegalStateException("PSYNC_SYNC_EVENT_MAX_DELAY_MS (" + eventMaxDelay.toMillis()
                    + ") must not be below PSYNC_SYNC_EVENT_DEBOUNCE_MS (" + eventDebounce.toMillis() + ")");
        }
    }
}
