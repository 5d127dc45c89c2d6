package io.positionsync.ibkr;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach the gateway and how patient to be.
 *
 * @param host           gateway host
 * @param port           gateway API port
 * @param clientId       the API client id; the gateway accepts each id on one connection at a time
 * @param connectTimeout TCP connect, handshake and {@code nextValidId}, together
 * @param requestTimeout each request of a snapshot must reach its end marker within this
 * @param backoffInitial wait after the first failed connect; doubled after each further failure
 * @param backoffMax     cap of that wait
 * @param commissionWait how long a snapshot waits for commission reports still missing once every end marker is
 *                       in (never past the request timeout's deadline); those that do not come in time are left
 *                       pending (the sync books them when a later snapshot carries them)
 * @param maxMessagesPerSecond the pace of each connection: at most this many messages in any rolling second
 *                       ({@link MessagePacer}); IB disconnects a client above {@value MessagePacer#GATEWAY_LIMIT_PER_SECOND}
 */
public record TwsGatewayConfig(String host, int port, int clientId, Duration connectTimeout, Duration requestTimeout,
        Duration backoffInitial, Duration backoffMax, Duration commissionWait, int maxMessagesPerSecond) {

    private static final int MAX_PORT = 65535;
    /** The shipped default of {@code psync.ibkr.commission-wait-ms}, for clients built without the configuration. */
    public static final Duration DEFAULT_COMMISSION_WAIT = Duration.ofSeconds(2);

    public TwsGatewayConfig {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("gateway host is empty");
        }
        if (port < 1 || port > MAX_PORT) {
            throw new IllegalArgumentException("gateway port " + port + " is not in 1.." + MAX_PORT);
        }
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(requestTimeout, "requestTimeout");
        requirePositive(backoffInitial, "backoffInitial");
        requirePositive(backoffMax, "backoffMax");
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException("backoffMax must be at least backoffInitial");
        }
        Objects.requireNonNull(commissionWait, "commissionWait");
        if (commissionWait.isNegative()) {
            throw new IllegalArgumentException("commissionWait must not be negative");
        }
        if (maxMessagesPerSecond < 1) {
            throw new IllegalArgumentException("maxMessagesPerSecond must be at least 1, got " + maxMessagesPerSecond);
        }
    }

    /** At the default pace ({@value MessagePacer#DEFAULT_PER_SECOND} messages a second). */
    public TwsGatewayConfig(String host, int port, int clientId, Duration connectTimeout, Duration requestTimeout,
            Duration backoffInitial, Duration backoffMax, Duration commissionWait) {
        this(host, port, clientId, connectTimeout, requestTimeout, backoffInitial, backoffMax, commissionWait,
                MessagePacer.DEFAULT_PER_SECOND);
    }

    /** The same at another pace. */
    public TwsGatewayConfig withMaxMessagesPerSecond(int perSecond) {
        return new TwsGatewayConfig(host, port, clientId, connectTimeout, requestTimeout, backoffInitial, backoffMax,
                commissionWait, perSecond);
    }

    /** With the default wait for trailing commission reports ({@link #DEFAULT_COMMISSION_WAIT}) and the default pace. */
    public TwsGatewayConfig(String host, int port, int clientId, Duration connectTimeout, Duration requestTimeout,
            Duration backoffInitial, Duration backoffMax) {
        this(host, port, clientId, connectTimeout, requestTimeout, backoffInitial, backoffMax, DEFAULT_COMMISSION_WAIT);
    }

    /** {@code host:port}. */
    public String endpoint() {
        return host + ":" + port;
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
