package io.positionsync.ibkr.sim;

import java.util.concurrent.TimeUnit;

/**
 * Counts what one client sends, as IB's gateway does: more than {@code limit} messages within one second is a
 * violation. Remembers when the last {@code limit} messages arrived; a message is one too many when the one
 * {@code limit} messages before it arrived less than a second earlier. Reader thread only.
 */
final class PacingWatch {
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int limit;
    private final long[] arrivals;
    private int next;
    private long count;

    PacingWatch(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        this.limit = limit;
        this.arrivals = new long[limit];
    }

    /** Records a message arriving at {@code nanoTime}; false when it makes more than the limit within a second. */
    boolean admit(long nanoTime) {
        boolean within = count < limit || nanoTime - arrivals[next] >= WINDOW_NANOS;
        arrivals[next] = nanoTime;
        next = (next + 1) % limit;
        count++;
        return within;
    }

    int limit() {
        return limit;
    }
}
