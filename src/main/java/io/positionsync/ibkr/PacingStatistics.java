package io.positionsync.ibkr;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * How often, and for how long in all, sends waited for the {@link MessagePacer}: for metrics. One per gateway,
 * kept across its connections.
 */
public final class PacingStatistics {
    private final LongAdder waits = new LongAdder();
    private final LongAdder waitNanos = new LongAdder();

    void recordWait(long nanos) {
        waits.increment();
        waitNanos.add(Math.max(0, nanos));
    }

    /** Sends that had to wait. */
    public long waits() {
        return waits.sum();
    }

    /** The time they waited, in all. */
    public Duration totalWait() {
        return Duration.ofNanos(waitNanos.sum());
    }
}
