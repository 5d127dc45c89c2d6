package io.positionsync.api;

import java.time.Duration;

/**
 * The API's tunables ({@code psync.api.*}, and the timer's {@code psync.sync.*} it reports on).
 *
 * @param syncWait           how long a manual trigger waits for its run before answering 202
 * @param idempotencyWindow  how long an {@code Idempotency-Key} keeps returning the same run
 * @param staleAmberSeconds  the last successful sync is fresh up to this age, then "getting stale"
 * @param staleRedSeconds    older than this, it is stale
 * @param dbHealthTimeout    longest wait of the database readiness check
 * @param timerPeriod        the sync timer's period
 * @param timerDelay         the sync timer's delay before its first fire
 */
public record ApiSettings(Duration syncWait, Duration idempotencyWindow, long staleAmberSeconds, long staleRedSeconds,
        Duration dbHealthTimeout, Duration timerPeriod, Duration timerDelay) {

    public ApiSettings {
        if (staleAmberSeconds < 1 || staleRedSeconds < staleAmberSeconds) {
            throw new IllegalStateException("psync.api.stale-amber-seconds must be at least 1 and at most "
                    + "psync.api.stale-red-seconds (" + staleAmberSeconds + ", " + staleRedSeconds + ")");
        }
    }
}
