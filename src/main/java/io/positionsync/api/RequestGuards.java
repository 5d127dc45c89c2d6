package io.positionsync.api;

import java.net.IDN;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;

/**
 * What every request meets on the HTTP server's router before any route, {@code /observe/*} included:
 * <ul>
 *   <li>a {@code Host} the server does not serve gets 421 (against DNS rebinding: a web page whose name was made to
 *       point at loopback must not read positions without the token): served are IP literals, the loopback names, the
 *       configured {@code camel.server.host} and {@code psync.http.allowed-hosts} ({@code PSYNC_HTTP_ALLOWED_HOSTS});
 *       a request without a {@code Host} (HTTP/1.0) is served;</li>
 *   <li>a connection that holds one of the places kept for health probes ({@link HttpConnectionLimits}) is answered
 *       for {@code /observe/*} only, once; anything else there gets 503;</li>
 *   <li>the security headers of {@link HttpResponses} on every answer (health and metrics too);</li>
 *   <li>{@code HEAD} wherever {@code GET} is allowed (answered as the GET, without its body);</li>
 *   <li>off loopback, {@code /api/*} reads need the bearer token too (positions and P&amp;L are not public);</li>
 *   <li>a request body over {@code camel.server.max-body-size} gets the API's JSON 413, before it is read: at once
 *       for a declared {@code Content-Length}, while it arrives for a chunked one;</li>
 *   <li>{@code /api/events}, once the rules above held, is answered here by {@link RunEvents}: a stream that stays
 *       open cannot be a route's answer (see there).</li>
 * </ul>
 * This is the one handler the service puts on the HTTP server's router itself, and the only place that knows
 * Vert.x's router. Camel has no step for these: they must hold for {@code /observe/*} too (served by Camel's
 * management server on the same router, not by a route), before a route's body handler reads the body, and on a
 * connection before any route is chosen. Everything else (the token of a state-changing request, the answers,
 * the errors, the asynchronous manual trigger) is in the routes ({@code routes/api*.camel.yaml}).
 */
public final class RequestGuards {
    /** Before every route. */
    private static final int ORDER = -2;

    private final HttpResponses responses;
    private final TokenGuard tokenGuard;
    private volatile boolean readsNeedToken;
    private volatile long maxBodyBytes = -1;
    /** Host names served (lower case, no port); IP literals are always served. Null: every host. */
    private volatile Set<String> servedHosts;
    private final HttpConnectionLimits limits;
    /** The event stream ({@code /api/events}); null: that path goes on to the routes (404). */
    private volatile RunEvents events;

    public RequestGuards(HttpResponses responses, TokenGuard tokenGuard) {
        this(responses, tokenGuard, (HttpConnectionLimits) null);
    }

    /** With the connection limits whose probe places answer {@code /observe/*} only. */
    public RequestGuards(HttpResponses responses, TokenGuard tokenGuard, HttpConnectionLimits limits) {
        this.responses = Objects.requireNonNull(responses, "responses");
        this.tokenGuard = Objects.requireNonNull(tokenGuard, "tokenGuard");
        this.limits = limits;
    }

    /** The host names served: loopback's, the configured host and the extra ones (comma separated). */
    static Set<String> servedHosts(String configuredHost, String extra) {
        Set<String> served = new TreeSet<>(Set.of("localhost", "localhost.localdomain", "ip6-localhost"));
        if (configuredHost != null && !configuredHost.isBlank()) {
            served.add(hostName(configuredHost.trim()));
        }
        if (extra != null) {
            for (String host : extra.split(",")) {
                if (!host.isBlank()) {
                    served.add(hostName(host.trim()));
                }
            }
        }
        return served;
    }

    /** {@code Example.COM:8080} -> {@code example.com}; {@code [::1]:8080} -> {@code [::1]}. */
    static String hostName(String hostHeader) {
        String host = hostHeader.trim();
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host.toLowerCase(Locale.ROOT) : host.substring(0, end + 1).toLowerCase(Locale.ROOT);
        }
        int colon = host.indexOf(':');
        if (colon >= 0 && host.indexOf(':', colon + 1) < 0) {
            host = host.substring(0, colon);
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        try {
            return IDN.toASCII(host).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return host.toLowerCase(Locale.ROOT);
        }
    }

    /** An IPv4 or IPv6 literal: no DNS name a page could rebind. */
    static boolean isIpLiteral(String host) {
        if (host.startsWith("[") && host.endsWith("]")) {
            return true;
        }
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** Whether a request with this {@code Host} header is answered. */
    boolean serves(String hostHeader) {
        Set<String> served = servedHosts;
        if (served == null || hostHeader == null || hostHeader.isBlank()) {
            return true;
        }
        String host = hostName(hostHeader);
        return isIpLiteral(host) || served.contains(host);
    }

    /** With the decisions made already (reads need the token or not, the body limit, negative for none). */
    RequestGuards(HttpResponses responses, TokenGuard tokenGuard, boolean readsNeedToken, long maxBodyBytes) {
        this(responses, tokenGuard);
        this.readsNeedToken = readsNeedToken;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Answers {@code /api/events} with {@code events}' stream, after the guards. */
    public RequestGuards events(RunEvents runEvents) {
        this.events = runEvents;
        return this;
    }

    /** Puts the guards in front of every route of {@code router}. */
    void install(io.vertx.ext.web.Router router) {
        router.route().order(ORDER).handler(this::handle);
    }

    /**
     * Installs the guards on the router of the server on {@code camel.server.port}, once the context has started;
     * reads need the token when {@code camel.server.host} is not loopback.
     */
    public org.apache.camel.StartupListener installer() {
        return new org.apache.camel.StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                // the server's router exists once the context is fully started
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                var properties = context.getPropertiesComponent();
                int port = properties.resolveProperty("camel.server.port").map(Integer::parseInt).orElse(0);
                readsNeedToken = !ListenAddressPolicy.isLoopback(properties.resolveProperty("camel.server.host").orElse(""));
                servedHosts = servedHosts(properties.resolveProperty("camel.server.host").orElse(""),
                        properties.resolveProperty("psync.http.allowed-hosts").orElse(""));
                maxBodyBytes = properties.resolveProperty("camel.server.max-body-size")
                        .or(() -> properties.resolveProperty("camel.server.maxBodySize")).map(Long::parseLong).orElse(-1L);
                VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context,
                        VertxPlatformHttpRouter.getRouterNameFromPort(port));
                if (router != null) {
                    install(router);
                }
            }
        };
    }

    void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        ctx.addHeadersEndHandler(v -> {
            HttpResponses.COMMON_HEADERS.forEach((name, value) -> {
                if (!ctx.response().headers().contains(name)) {
                    ctx.response().putHeader(name, value);
                }
            });
            if (!ctx.response().headers().contains("Cache-Control")) {
                ctx.response().putHeader("Cache-Control", HttpResponses.CACHE_CONTROL);
            }
        });
        if (!serves(request.getHeader("Host"))) {
            responses.send(ctx.response().putHeader("Connection", "close"), HttpResponses.errorResponse(new ApiException(421,
                    "this server does not answer for host " + hostName(request.getHeader("Host")) + "; a name it should "
                            + "answer to goes in PSYNC_HTTP_ALLOWED_HOSTS")));
            return;
        }
        if (limits != null && limits.probeOnly(request.connection())) {
            ctx.response().putHeader("Connection", "close");
            if (!ctx.normalizedPath().startsWith("/observe/")) {
                responses.send(ctx.response(), HttpResponses.errorResponse(new ApiException(503, "too many connections "
                        + "from this client: this one is kept for health probes (/observe/*) only")));
                return;
            }
        }
        RunEvents stream = events != null && RunEvents.handles(ctx) ? events : null;
        if (request.method() == HttpMethod.HEAD && stream == null) {
            // Routed as the GET it asks about; vert.x leaves the body out of the answer to a HEAD request.
            ctx.reroute(HttpMethod.GET, request.uri());
            return;
        }
        if (readsNeedToken && ctx.normalizedPath().startsWith("/api/") && !tokenGuard.accepts(request.getHeader("Authorization"))) {
            responses.send(ctx.response(), HttpResponses.errorResponse(ApiException.unauthorized()));
            return;
        }
        String declared = request.getHeader("Content-Length");
        if (maxBodyBytes >= 0 && declared != null && declared.matches("[0-9]{1,18}") && Long.parseLong(declared) > maxBodyBytes) {
            responses.refuseLargeBody(ctx.response(), maxBodyBytes);
            return;
        }
        if (maxBodyBytes >= 0 && declared == null && request.headers().contains("Transfer-Encoding")
                && ctx instanceof RoutingContextInternal internal && !internal.seenHandler(RoutingContextInternal.BODY_HANDLER)) {
            readChunkedBody(ctx, internal);
            return;
        }
        if (stream != null) {
            stream.handle(ctx);
            return;
        }
        ctx.next();
    }

    /**
     * Reads a chunked body here, counting: over the limit the JSON 413 goes out at once (and the connection is
     * closed, since the rest of the body is never read); within it, the body is handed on as if the route's
     * own body handler had read it.
     */
    private void readChunkedBody(RoutingContext ctx, RoutingContextInternal internal) {
        Buffer body = Buffer.buffer();
        AtomicBoolean refused = new AtomicBoolean();
        HttpServerRequest request = ctx.request();
        request.handler(chunk -> {
            if (refused.get()) {
                return;
            }
            if (body.length() + chunk.length() > maxBodyBytes) {
                refused.set(true);
                responses.refuseLargeBody(ctx.response(), maxBodyBytes);
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> {
            if (!refused.get()) {
                internal.visitHandler(RoutingContextInternal.BODY_HANDLER);
                internal.setBody(body);
                ctx.next();
            }
        });
        request.resume();
    }
}
