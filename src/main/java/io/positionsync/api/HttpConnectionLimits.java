package io.positionsync.api;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/**
 * Bounds the HTTP server's connections: an idle connection is closed after {@code idleTimeout}, and past
 * {@code maxConnections} open ones a new connection is closed at once, so idle or abandoned clients can
 * never exhaust the file descriptors and stop all HTTP. Camel's embedded server takes no such options, but
 * it uses the {@link Vertx} found in the registry: the one {@link #vertx()} gives applies them to every HTTP
 * server it creates.
 */
public final class HttpConnectionLimits {
    private static final Logger LOG = LoggerFactory.getLogger(HttpConnectionLimits.class);

    private final Duration idleTimeout;
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();

    public HttpConnectionLimits(Duration idleTimeout, int maxConnections) {
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero() || maxConnections < 1) {
            throw new IllegalArgumentException("the HTTP idle timeout and connection cap must be positive");
        }
        this.maxConnections = maxConnections;
    }

    /** Connections open now. */
    public int openConnections() {
        return open.get();
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
                        return limited(real.createHttpServer(new HttpServerOptions(options)
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

    private HttpServer limited(HttpServer server) {
        LOG.debug("HTTP server with idle timeout {} and at most {} connections", idleTimeout, maxConnections);
        return server.connectionHandler(connection -> {
            int count = open.incrementAndGet();
            connection.closeHandler(v -> open.decrementAndGet());
            if (count > maxConnections) {
                LOG.warn("HTTP connection from {} refused: {} connections open (limit PSYNC_HTTP_MAX_CONNECTIONS={})",
                        connection.remoteAddress(), count - 1, maxConnections);
                connection.close();
            }
        });
    }
}
