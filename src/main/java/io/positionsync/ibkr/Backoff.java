package io.positionsync.ibkr;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Capped exponential backoff between connection attempts, deterministic (no jitter): after the n-th
 * consecutive failure the next attempt waits {@code min(initial * 2^(n-1), max)}. A success resets it.
 * Not thread-safe: the owner serialises access.
 */
public final class Backoff {
    private final Duration initial;
    private final Duration max;
    private int consecutiveFailures;
    private Instant nextAttemptAt;

    public Backoff(Duration initial, Duration max) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("initial backoff must be positive");
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("maximum backoff must be at least the initial backoff");
        }
        this.initial = initial;
        this.max = max;
    }

    /** The wait after {@code failures} consecutive failures (zero for none). */
    public Duration delayAfter(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        Duration delay = initial;
        for (int i = 1; i < failures; i++) {
            // Compare before doubling so a long streak of failures cannot overflow.
            if (delay.compareTo(max.dividedBy(2)) > 0) {
                return max;
            }
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) > 0 ? max : delay;
    }

    /** Records a failed attempt at {@code now}; returns when the next attempt may be made. */
    public Instant recordFailure(Instant now) {
        consecutiveFailures++;
        nextAttemptAt = now.plus(delayAfter(consecutiveFailures));
        return nextAttemptAt;
    }

    /** Records a successful attempt: the next failure starts again from the initial delay. */
    public void recordSuccess() {
        consecutiveFailures = 0;
        nextAttemptAt = null;
    }

    /** True when no failure is waiting out its delay at {@code now}. */
    public boolean mayAttempt(Instant now) {
        return nextAttemptAt == null || !now.isBefore(nextAttemptAt);
    }

    /** When the next attempt may be made, if a failure is being waited out. */
    public Optional<Instant> nextAttemptAt() {
        return Optional.ofNullable(nextAttemptAt);
    }

    public int consecutiveFailures() {
        return consecutiveFailures;
    }
}
