package io.positionsync.api;

import java.time.Duration;
import java.time.Instant;

/**
 * How fresh a last successful sync is, by the status's staleness thresholds ({@code psync.api.stale-amber-seconds},
 * {@code psync.api.stale-red-seconds}): fresh up to the first, amber up to the second, red past it; never without one.
 */
public enum Freshness {
    FRESH, AMBER, RED, NEVER;

    /** The age in whole seconds the status reports ({@code lastSuccessAgeSeconds}); null without a success. */
    static Long ageSeconds(Instant lastSuccess, Instant now) {
        return lastSuccess == null ? null : Math.max(0, Duration.between(lastSuccess, now).toSeconds());
    }

    /** The freshness of a success {@code ageSeconds} old (null: none). */
    static Freshness of(Long ageSeconds, ApiSettings settings) {
        if (ageSeconds == null) {
            return NEVER;
        }
        if (ageSeconds > settings.staleRedSeconds()) {
            return RED;
        }
        return ageSeconds > settings.staleAmberSeconds() ? AMBER : FRESH;
    }
}
