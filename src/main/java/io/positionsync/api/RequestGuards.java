package io.positionsync.api;

import java.util.Objects;
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
 *   <li>the security headers of {@link HttpResponses} on every answer (health and metrics too);</li>
 *   <li>{@code HEAD} wherever {@code GET} is allowed (answered as the GET, without its body);</li>
 *   <li>off loopback, {@code /api/*} reads need the bearer token too (positions and P&amp;L are not public);</li>
 *   <li>a chunked request body over {@code camel.server.max-body-size} gets the API's JSON 413 (a declared
 *       {@code Content-Length} is refused earlier, see {@link HttpResponses#bodyLimit()}).</li>
 * </ul>
 */
public final class RequestGuards {
    /** Before the body limit (-1) and the trigger (-1), after nothing. */
    private static final int ORDER = -2;

    private final HttpResponses responses;
    private final TokenGuard tokenGuard;
    private volatile boolean readsNeedToken;
    private volatile long maxBodyBytes = -1;

    public RequestGuards(HttpResponses responses, TokenGuard tokenGuard) {
        this.responses = Objects.requireNonNull(responses, "responses");
        this.tokenGuard = Objects.requireNonNull(tokenGuard, "tokenGuard");
    }

    /** With the decisions made already (reads need the token or not, the body limit, negative for none). */
    RequestGuards(HttpResponses responses, TokenGuard tokenGuard, boolean readsNeedToken, long maxBodyBytes) {
        this(responses, tokenGuard);
        this.readsNeedToken = readsNeedToken;
        this.maxBodyBytes = maxBodyBytes;
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
        if (request.method() == HttpMethod.HEAD) {
            // Routed as the GET it asks about; vert.x leaves the body out of the answer to a HEAD request.
            ctx.reroute(HttpMethod.GET, request.uri());
            return;
        }
        if (readsNeedToken && ctx.normalizedPath().startsWith("/api/") && !tokenGuard.accepts(request.getHeader("Authorization"))) {
            responses.send(ctx.response(), HttpResponses.errorResponse(ApiException.unauthorized()));
            return;
        }
        if (maxBodyBytes >= 0 && request.getHeader("Content-Length") == null && request.headers().contains("Transfer-Encoding")
                && ctx instanceof RoutingContextInternal internal && !internal.seenHandler(RoutingContextInternal.BODY_HANDLER)) {
            readChunkedBody(ctx, internal);
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
