package io.positionsync.ibkr.sim;

import java.time.Duration;
import java.time.ZoneId;
import java.util.Objects;

/**
 * How the simulated gateway listens and speaks.
 *
 * @param host               address to bind (default {@code 127.0.0.1})
 * @param port               port to bind; 0 picks an ephemeral port (kept across restarts)
 * @param minServerVersion   lowest server version accepted in the handshake (default 100)
 * @param maxServerVersion   highest server version offered (default 178; must stay below 201)
 * @param priceTickInterval  how often prices take a random-walk step; {@code null}: prices stand still (tests)
 * @param timeZone           zone of the time texts the gateway writes (execution times), like the TWS login zone
 * @param tradeInterval      how often the {@link DemoTrading} makes a move; {@code null}: nobody trades (tests)
 * @param tradeSeed          the seed of the moves {@link DemoTrading} makes
 */
public record SimulatorOptions(String host, int port, int minServerVersion, int maxServerVersion,
        Duration priceTickInterval, ZoneId timeZone, Duration tradeInterval, long tradeSeed) {

    /** The seed of the demo's trading when nobody names one. */
    public static final long DEFAULT_TRADE_SEED = 7;

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_MIN_SERVER_VERSION = 100;
    public static final int DEFAULT_MAX_SERVER_VERSION = 178;
    /** From this version the protocol leaves the classic text framing, which this simulator does not speak. */
    public static final int FIRST_BINARY_SERVER_VERSION = 201;
    public static final int MAX_PORT = 0xFFFF;

    public SimulatorOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(timeZone, "timeZone");
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port must be in 0.." + MAX_PORT + ", got " + port);
        }
        if (minServerVersion < 1 || maxServerVersion < minServerVersion) {
            throw new IllegalArgumentException("server versions must satisfy 1 <= min <= max, got " + minServerVersion
                    + ".." + maxServerVersion);
        }
        if (maxServerVersion >= FIRST_BINARY_SERVER_VERSION) {
            throw new IllegalArgumentException("server version must be below " + FIRST_BINARY_SERVER_VERSION
                    + " (binary framing is not simulated), got " + maxServerVersion);
        }
        if (priceTickInterval != null && (priceTickInterval.isNegative() || priceTickInterval.isZero())) {
            throw new IllegalArgumentException("price tick interval must be positive");
        }
        if (tradeInterval != null && (tradeInterval.isNegative() || tradeInterval.isZero())) {
            throw new IllegalArgumentException("trade interval must be positive");
        }
    }

    /** Loopback, ephemeral port, versions 100..178, prices standing still, nobody trading, UTC. */
    public static SimulatorOptions defaults() {
        return new SimulatorOptions(DEFAULT_HOST, 0, DEFAULT_MIN_SERVER_VERSION, DEFAULT_MAX_SERVER_VERSION, null,
                ZoneId.of("UTC"), null, DEFAULT_TRADE_SEED);
    }

    public SimulatorOptions withHost(String newHost) {
        return new SimulatorOptions(newHost, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed);
    }

    public SimulatorOptions withPort(int newPort) {
        return new SimulatorOptions(host, newPort, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed);
    }

    public SimulatorOptions withMinServerVersion(int version) {
        return new SimulatorOptions(host, port, version, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed);
    }

    public SimulatorOptions withMaxServerVersion(int version) {
        return new SimulatorOptions(host, port, minServerVersion, version, priceTickInterval, timeZone,
                tradeInterval, tradeSeed);
    }

    public SimulatorOptions withPriceTickInterval(Duration interval) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, interval, timeZone,
                tradeInterval, tradeSeed);
    }

    public SimulatorOptions withTimeZone(ZoneId zone) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, zone,
                tradeInterval, tradeSeed);
    }

    /**
     * Trading on its own every {@code interval} from {@code seed} ({@link DemoTrading}); a {@code null} or zero
     * interval: nobody trades.
     */
    public SimulatorOptions withTrading(Duration interval, long seed) {
        Duration effective = interval == null || interval.isZero() ? null : interval;
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                effective, seed);
    }
}
