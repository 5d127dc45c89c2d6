package io.positionsync.ibkr;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * What a live connection hears between snapshots: the gateway pushes fills and position changes as they happen,
 * and the connection says when its subscriptions start (a full catch-up run is due: whatever happened while they
 * were not in place was not heard) and when they are lost. Fills and position changes are delivered on the
 * connection's reader thread, the others on the thread that keeps the connection: a listener must be quick and never
 * block.
 */
public sealed interface BrokerEvent {

    /** When this client received it (the real clock, never the demo's). */
    Instant receivedAt();

    /**
     * An execution pushed by the gateway (an {@code execDetails} not asked for by a snapshot).
     *
     * @param executedAt the execution's own time as the gateway reports it
     */
    record Fill(String account, String execId, Instant executedAt, Instant receivedAt) implements BrokerEvent {
    }

    /** A position the positions subscription pushed after its first answer. */
    record PositionChanged(String account, int conId, BigDecimal quantity, Instant receivedAt) implements BrokerEvent {
    }

    /**
     * The live subscriptions are in place: after the first connect, after a reconnect, or after error 1101
     * (connectivity restored, data lost). Events may have been missed before: a full run is due.
     */
    record LiveStarted(String reason, Instant receivedAt) implements BrokerEvent {
    }

    /** The live subscriptions are gone (the connection dropped or the gateway lost IB); the client reconnects. */
    record LiveLost(String reason, Instant receivedAt) implements BrokerEvent {
    }
}
