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
 * @param pacingLimit        pacing enforced as at IB: a client that sends more than this many messages within one
 *                           second gets error 100 and is disconnected; 0: not enforced (the default)
 * @param latencyMin         the shortest delay before a request is answered ({@link Duration#ZERO}: none, the default)
 * @param latencyMax         the longest such delay: each request waits a uniformly random time in
 *                           {@code latencyMin..latencyMax} (equal: a fixed delay); answers keep their order
 * @param positionsAccountLimit {@code reqPositions} is refused (error 321) when more accounts than this are managed,
 *                           as IB refuses it to masters of more than 50 sub-accounts; 0: never refused (the default)
 * @param pushExecutions     each new execution is pushed as it happens ({@code execDetails} with reqId -1 and its
 *                           {@code commissionReport}) to every started client that may see it, as IB does (the
 *                           default); off: executions reach clients only as answers to {@code reqExecutions}
 * @param pushLateCommissions a withheld commission report is pushed to those clients when it is released, as IB
 *                           does; off (the default): it reaches them only in later {@code reqExecutions} answers,
 *                           so that a report released while a snapshot waits for it still comes with a later
 *                           snapshot only (what scripted scenarios and the demo show)
 */
public record SimulatorOptions(String host, int port, int minServerVersion, int maxServerVersion,
        Duration priceTickInterval, ZoneId timeZone, Duration tradeInterval, long tradeSeed, int pacingLimit,
        Duration latencyMin, Duration latencyMax, int positionsAccountLimit, boolean pushExecutions,
        boolean pushLateCommissions) {

    /** IB refuses {@code reqPositions} to a master of more than this many accounts. */
    public static final int IB_POSITIONS_ACCOUNT_LIMIT = 50;

    /** IB's limit of messages a client may send in one second. */
    public static final int IB_PACING_LIMIT = 50;

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
        if (pacingLimit < 0) {
            throw new IllegalArgumentException("pacing limit must be 0 (off) or positive, got " + pacingLimit);
        }
        latencyMin = latencyMin == null ? Duration.ZERO : latencyMin;
        latencyMax = latencyMax == null ? latencyMin : latencyMax;
        if (latencyMin.isNegative() || latencyMax.compareTo(latencyMin) < 0) {
            throw new IllegalArgumentException("latency must satisfy 0 <= min <= max, got " + latencyMin.toMillis()
                    + ".." + latencyMax.toMillis() + " ms");
        }
        if (positionsAccountLimit < 0) {
            throw new IllegalArgumentException("positions account limit must be 0 (off) or positive, got "
                    + positionsAccountLimit);
        }
    }

    /**
     * Without request latency, reqPositions never refused, pushing executions as they happen, late commission
     * reports only in later replies.
     */
    public SimulatorOptions(String host, int port, int minServerVersion, int maxServerVersion,
            Duration priceTickInterval, ZoneId timeZone, Duration tradeInterval, long tradeSeed, int pacingLimit) {
        this(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone, tradeInterval, tradeSeed,
                pacingLimit, Duration.ZERO, Duration.ZERO, 0, true, false);
    }

    /** Without pacing enforced. */
    public SimulatorOptions(String host, int port, int minServerVersion, int maxServerVersion,
            Duration priceTickInterval, ZoneId timeZone, Duration tradeInterval, long tradeSeed) {
        this(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone, tradeInterval, tradeSeed, 0);
    }

    /** Whether a client sending too fast is disconnected. */
    public boolean pacingEnforced() {
        return pacingLimit > 0;
    }

    /** Loopback, ephemeral port, versions 100..178, prices standing still, nobody trading, UTC, no pacing. */
    public static SimulatorOptions defaults() {
        return new SimulatorOptions(DEFAULT_HOST, 0, DEFAULT_MIN_SERVER_VERSION, DEFAULT_MAX_SERVER_VERSION, null,
                ZoneId.of("UTC"), null, DEFAULT_TRADE_SEED);
    }

    public SimulatorOptions withHost(String newHost) {
        return new SimulatorOptions(newHost, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    public SimulatorOptions withPort(int newPort) {
        return new SimulatorOptions(host, newPort, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    public SimulatorOptions withMinServerVersion(int version) {
        return new SimulatorOptions(host, port, version, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    public SimulatorOptions withMaxServerVersion(int version) {
        return new SimulatorOptions(host, port, minServerVersion, version, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    public SimulatorOptions withPriceTickInterval(Duration interval) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, interval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    public SimulatorOptions withTimeZone(ZoneId zone) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, zone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    /**
     * Trading on its own every {@code interval} from {@code seed} ({@link DemoTrading}); a {@code null} or zero
     * interval: nobody trades.
     */
    public SimulatorOptions withTrading(Duration interval, long seed) {
        Duration effective = interval == null || interval.isZero() ? null : interval;
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                effective, seed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    /**
     * Pacing enforced as at IB: a client that sends more than {@code limit} messages within one second (the
     * handshake's version range and {@code startApi} count) gets error 100 and is disconnected;
     * {@value #IB_PACING_LIMIT} is IB's limit, 0 switches it off.
     */
    public SimulatorOptions withPacingLimit(int limit) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, limit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, pushLateCommissions);
    }

    /**
     * Whether new executions are pushed to the clients that may see them as they happen (and their commission
     * reports right after, unless withheld); see {@link #pushExecutions()}.
     */
    public SimulatorOptions withExecutionPushes(boolean push) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit, push,
                pushLateCommissions);
    }

    /** Whether a withheld commission report is pushed when released; see {@link #pushLateCommissions()}. */
    public SimulatorOptions withLateCommissionPushes(boolean push) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, positionsAccountLimit,
                pushExecutions, push);
    }

    /** Whether requests wait before they are answered. */
    public boolean hasLatency() {
        return latencyMax.compareTo(Duration.ZERO) > 0;
    }

    /**
     * Each request answered {@code latency} after it arrived (as a gateway far away answers); answers keep the
     * order of their requests. {@link Duration#ZERO} switches it off.
     */
    public SimulatorOptions withLatency(Duration latency) {
        return withLatency(latency, latency);
    }

    /**
     * Each request answered a uniformly random time in {@code min..max} after it arrived, yet never before the
     * answer of an earlier request of the same connection: answers keep the order of their requests.
     */
    public SimulatorOptions withLatency(Duration min, Duration max) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, min, max, positionsAccountLimit, pushExecutions,
                pushLateCommissions);
    }

    /**
     * {@code reqPositions} refused with error 321 when more than {@code limit} accounts are managed, as IB refuses it
     * to masters of more than {@value #IB_POSITIONS_ACCOUNT_LIMIT} sub-accounts ({@code reqPositionsMulti} then serves
     * them); 0 switches it off.
     */
    public SimulatorOptions withPositionsAccountLimit(int limit) {
        return new SimulatorOptions(host, port, minServerVersion, maxServerVersion, priceTickInterval, timeZone,
                tradeInterval, tradeSeed, pacingLimit, latencyMin, latencyMax, limit, pushExecutions,
                pushLateCommissions);
    }
}
