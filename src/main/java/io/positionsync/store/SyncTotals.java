package io.positionsync.store;

/**
 * Figures over every recorded run.
 *
 * @param averageDurationMs mean duration of finished runs, rounded; null when none finished
 * @param lastDurationMs    duration of the most recently started finished run; null when none finished
 */
public record SyncTotals(long runs, long succeeded, long failed, long skipped, Long averageDurationMs,
        Long lastDurationMs) {
}
