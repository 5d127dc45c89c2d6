package io.positionsync.api;

import java.time.Duration;
import java.util.Objects;

/**
 * The tunables of {@code GET /api/events} ({@code psync.api.events-*}).
 *
 * @param heartbeat   a comment line is sent on every open stream this often, so proxies keep it open
 * @param maxStreams  open streams at once; one more is answered 503
 * @param maxQueued   events one stream may have waiting for a slow client; one more and the stream is closed
 */
public record EventStreamSettings(Duration heartbeat, int maxStreams, int maxQueued) {
    public EventStreamSettings {
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (heartbeat.isNegative() || heartbeat.isZero() || maxStreams < 0 || maxQueued < 1) {
            throw new IllegalStateException("psync.api.events-heartbeat-ms and psync.api.events-max-queued must be "
                    + "positive, psync.api.events-max-streams at least 0 (" + heartbeat.toMillis() + ", " + maxQueued
                    + ", " + maxStreams + ")");
        }
    }
}
