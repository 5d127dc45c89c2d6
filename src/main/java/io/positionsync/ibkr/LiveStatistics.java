package io.positionsync.ibkr;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the live connection heard, counted by kind of {@link BrokerEvent}: for metrics. One per gateway, kept
 * across its connections; all zero while live mode is off.
 */
public final class LiveStatistics {
    private final LongAdder fills = new LongAdder();
    private final LongAdder positionChanges = new LongAdder();
    private final LongAdder liveStarts = new LongAdder();
    private final LongAdder liveLosses = new LongAdder();

    void record(BrokerEvent event) {
        if (event instanceof BrokerEvent.Fill) {
            fills.increment();
        } else if (event instanceof BrokerEvent.PositionChanged) {
            positionChanges.increment();
        } else if (event instanceof BrokerEvent.LiveStarted) {
            liveStarts.increment();
        } else if (event instanceof BrokerEvent.LiveLost) {
            liveLosses.increment();
        }
    }

    /** {@link BrokerEvent.Fill}s heard: executions the gateway pushed. */
    public long fills() {
        return fills.sum();
    }

    /** {@link BrokerEvent.PositionChanged}s heard: positions the positions subscription pushed. */
    public long positionChanges() {
        return positionChanges.sum();
    }

    /** {@link BrokerEvent.LiveStarted}s: the subscriptions were made (first connect, reconnects, error 1101...). */
    public long liveStarts() {
        return liveStarts.sum();
    }

    /** {@link BrokerEvent.LiveLost}s: the subscriptions were lost (drops, error 1100). */
    public long liveLosses() {
        return liveLosses.sum();
    }
}
