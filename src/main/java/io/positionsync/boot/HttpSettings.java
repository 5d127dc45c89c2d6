package io.positionsync.boot;

import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;
import java.util.Optional;

import io.positionsync.api.ApiSettings;
import io.positionsync.api.EventStreamSettings;

/**
 * The HTTP area ({@code psync.http.*}, {@code psync.api.*}, {@code psync.reporting.*}).
 *
 * @param token                   bearer token of the manual trigger and of reads off loopback; empty: none
 * @param idleTimeout             an idle connection is closed after this
 * @param maxConnections          connections at once
 * @param maxConnectionsPerClient ordinary connections of one client address
 * @param probeReserve            places kept for health probes
 * @param refusedLogInterval      how often refused connections are summed up in the log
 * @param reportingZone           the time zone of P&L days
 * @param api                     the API's tunables
 * @param events                  the event stream's ({@code GET /api/events})
 */
public record HttpSettings(Optional<String> token, Duration idleTimeout, int maxConnections,
        int maxConnectionsPerClient, int probeReserve, Duration refusedLogInterval, ZoneId reportingZone,
        ApiSettings api, EventStreamSettings events) {
    public HttpSettings {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(reportingZone, "reportingZone");
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(events, "events");
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "HttpSettings[token=" + (token.isPresent() ? "***" : "") + ", idleTimeout=" + idleTimeout
                + ", maxConnections=" + maxConnections + ", maxConnectionsPerClient=" + maxConnectionsPerClient
                + ", probeReserve=" + probeReserve + ", refusedLogInterval=" + refusedLogInterval + ", reportingZone="
                + reportingZone + ", api=" + api + ", events=" + events + "]";
    }
}
