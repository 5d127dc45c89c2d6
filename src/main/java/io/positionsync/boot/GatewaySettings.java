package io.positionsync.boot;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import io.positionsync.ibkr.SnapshotLimits;
import io.positionsync.ibkr.TwsGatewayConfig;

/**
 * The gateway area ({@code psync.ibkr.*}): the configured TWS / IB Gateway, if any, and how the client talks to it.
 *
 * @param host           the configured host; empty: none (the built-in simulator may be used instead)
 * @param port           the configured API port
 * @param clientId       the API client id
 * @param connectTimeout TCP connect, handshake and {@code nextValidId}, together
 * @param requestTimeout the whole snapshot's deadline
 * @param backoffInitial first wait after a failed connect
 * @param backoffMax     cap of that wait
 * @param commissionWait wait for commission reports still missing once every end marker is in
 * @param limits         bounds of one snapshot
 * @param maxMessagesPerSecond the pace of each connection: at most this many messages in any rolling second
 */
public record GatewaySettings(Optional<String> host, int port, int clientId, Duration connectTimeout,
        Duration requestTimeout, Duration backoffInitial, Duration backoffMax, Duration commissionWait,
        SnapshotLimits limits, int maxMessagesPerSecond) {

    /** {@code PSYNC_IBKR_HOST} value that asks for the built-in simulator on purpose. */
    public static final String SIMULATOR_HOST = "simulator";

    public GatewaySettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(limits, "limits");
    }

    /** Whether the host names the built-in simulator. */
    public boolean simulatorNamed() {
        return host.filter(SIMULATOR_HOST::equalsIgnoreCase).isPresent();
    }

    /** The client's settings for the configured endpoint. */
    public TwsGatewayConfig client() {
        return client(host.orElseThrow(() -> new IllegalStateException("no gateway host configured")), port);
    }

    /** The client's settings for a given endpoint (the built-in simulator's, a command's option). */
    public TwsGatewayConfig client(String host, int port) {
        return new TwsGatewayConfig(host, port, clientId, connectTimeout, requestTimeout, backoffInitial, backoffMax,
                commissionWait, maxMessagesPerSecond);
    }
}
