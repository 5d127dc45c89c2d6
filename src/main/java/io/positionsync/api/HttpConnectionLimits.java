package io.positionsync.api;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;

/**
 * Bounds the HTTP server's connections, so idle, abandoned or flooding clients can never exhaust the file
 * descriptors, stop all HTTP, or keep the liveness probe out:
 * <ul>
 *   <li>an idle connection is closed after {@code idleTimeout};</li>
 *   <li>one client address holds at most {@code maxPerClient} ordinary connections, and all clients together at
 *       most {@code maxConnections} less the probe reserve;</li>
 *   <li>past that, a connection takes one of the {@code probeReserve} last places: it answers only
 *       {@code /observe/*} (health and metrics, see {@link RequestGuards}), once, and is closed when it has not sent a
 *       request within {@code probeIdle}; so a client that filled its share cannot hold the reserve either;</li>
 *   <li>past everything, a new connection is closed at once. Refused connections are counted
 *       ({@link #refusedConnections()}) and logged at most once per {@code logInterval}, with the busiest
 *       address.</li>
 * </ul>
 * Camel's embedded server takes no such options, but it uses the {@link Vertx} found in the registry: the one
 * {@link #vertx()} gives applies them to every HTTP server it creates.
 */
public final class HttpConnectionLimits {
    private static final Logger LOG = LoggerFactory.getLogger(HttpConnectionLimits.class);
    /** A probe connection that has sent no request by then is closed. */
    private static final Duration PROBE_IDLE = Duration.ofSeconds(2);

    private final Duration idleTimeout;
    private final int maxConnections;
    private final int maxPerClient;
    private final int probeReserve;
    private final Duration logInterval;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    /** Ordinary connections per client address; guarded by {@code this}. */
    private final Map<String, Integer> perClient = new HashMap<>();
    private int ordinary;
    private int probes;
    /** Probe connections, and whether each has sent its request. */
    private final Map<HttpConnection, Boolean> probeConnections = new ConcurrentHashMap<>();
    /** Refusals since the last log line, by address; guarded by {@code this}. */
    private final Map<String, Integer> refusedSinceLog = new HashMap<>();
    private long lastLogNanos;
    private boolean loggedOnce;

    /** Every connection counts the same: no per-client share below the cap, the default reserve. */
    public HttpConnectionLimits(Duration idleTimeout, int maxConnections) {
        this(idleTimeout, maxConnections, maxConnections, 16, Duration.ofSeconds(10));
    }

    /**
     * @param maxPerClient ordinary connections of one client address (above it: a probe place, or refused)
     * @param probeReserve places kept for health probes; at most a quarter of {@code maxConnections} is used
     * @param logInterval  refused connections are logged at most once per interval
     */
    public HttpConnectionLimits(Duration idleTimeout, int maxConnections, int maxPerClient, int probeReserve,
            Duration logInterval) {
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        this.logInterval = Objects.requireNonNull(logInterval, "logInterval");
        if (idleTimeout.isNegative() || idleTimeout.isZero() || maxConnections < 1 || maxPerClient < 1
                || probeReserve < 0) {
            throw new IllegalArgumentException("the HTTP idle timeout and connection caps must be positive");
        }
        this.maxConnections = maxConnections;
        this.probeReserve = Math.min(probeReserve, Math.max(maxConnections > 1 ? 1 : 0, maxConnections / 4));
        this.maxPerClient = Math.min(maxPerClient, maxConnections - this.probeReserve);
    }

    /** Connections open now. */
    public int openConnections() {
        return open.get();
    }

    /** Connections closed at once since the start (over every cap). */
    public long refusedConnections() {
        return refused.get();
    }

    /** The places kept for health probes. */
    public int probeReserve() {
        return probeReserve;
    }

    /** The ordinary connections one client address may hold. */
    public int maxPerClient() {
        return maxPerClient;
    }

    /**
     * True when {@code connection} holds a probe place: it may be answered for {@code /observe/*} only, once.
     * Marks its request as seen (it is then not closed as idle before its answer).
     */
    public boolean probeOnly(HttpConnection connection) {
        if (connection == null) {
            return false;
        }
        return probeConnections.replace(connection, Boolean.TRUE) != null;
    }

    /** A Vert.x instance whose HTTP servers keep these limits; close it when the service stops. */
    public Vertx vertx() {
        Vertx real = Vertx.vertx();
        return (Vertx) Proxy.newProxyInstance(Vertx.class.getClassLoader(), new Class<?>[] {Vertx.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("createHttpServer") && args != null && args.length == 1
                            && args[0] instanceof HttpServerOptions options) {
                        // Without h2c detection a connection is set up (counted, idle-timed) as soon as it is
                        // accepted, not after its first bytes: a silent connection is bounded too.
                        return limited(real, real.createHttpServer(new HttpServerOptions(options)
                                .setHttp2ClearTextEnabled(false)
                                .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeout.toMillis()))
                                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private enum Place { ORDINARY, PROBE, REFUSED }

    private HttpServer limited(Vertx vertx, HttpServer server) {
        LOG.debug("HTTP server with idle timeout {}, at most {} connections ({} per client, {} kept for probes)",
                idleTimeout, maxConnections, maxPerClient, probeReserve);
        return server.connectionHandler(connection -> {
            String client = clientOf(connection.remoteAddress());
            Place place = admit(client);
            if (place == Place.REFUSED) {
                connection.close();
                return;
            }
            open.incrementAndGet();
            if (place == Place.PROBE) {
                probeConnections.put(connection, Boolean.FALSE);
                vertx.setTimer(PROBE_IDLE.toMillis(), id -> {
                    if (Boolean.FALSE.equals(probeConnections.get(connection))) {
                        connection.close();
                    }
                });
            }
            connection.closeHandler(v -> {
                open.decrementAndGet();
                probeConnections.remove(connection);
                release(client, place);
            });
        });
    }

    private static String clientOf(SocketAddress address) {
        if (address == null) {
            return "unknown";
        }
        return address.hostAddress() != null ? address.hostAddress() : String.valueOf(address.host());
    }

    private synchronized Place admit(String client) {
        int mine = perClient.getOrDefault(client, 0);
        if (mine < maxPerClient && ordinary < maxConnections - probeReserve) {
            perClient.put(client, mine + 1);
            ordinary++;
            return Place.ORDINARY;
        }
        if (probes < probeReserve && ordinary + probes < maxConnections) {
            probes++;
            return Place.PROBE;
        }
        refused.incrementAndGet();
        refusedSinceLog.merge(client, 1, Integer::sum);
        long now = System.nanoTime();
        if (!loggedOnce || now - lastLogNanos >= logInterval.toNanos()) {
            logRefusals(now);
        }
        return Place.REFUSED;
    }

    /** One line for every refusal since the last one: how many, from where, and the caps. */
    private void logRefusals(long now) {
        int count = refusedSinceLog.values().stream().mapToInt(Integer::intValue).sum();
        Map.Entry<String, Integer> busiest = refusedSinceLog.entrySet().stream().max(Map.Entry.comparingByValue())
                .orElseThrow();
        LOG.warn("{} HTTP connection(s) refused{} ({} from {}): {} open; limits {} per client "
                + "(PSYNC_HTTP_MAX_CONNECTIONS_PER_CLIENT), {} in all (PSYNC_HTTP_MAX_CONNECTIONS) of which {} kept for "
                + "health probes; the next refusals are summed up at most every {} s", count,
                loggedOnce ? " since the last report" : "", busiest.getValue(), busiest.getKey(), ordinary + probes,
                maxPerClient, maxConnections, probeReserve, logInterval.toSeconds());
        refusedSinceLog.clear();
        lastLogNanos = now;
        loggedOnce = true;
    }

    private synchronized void release(String client, Place place) {
        if (place == Place.PROBE) {
            probes--;
            return;
        }
        ordinary--;
        perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
    }
}
