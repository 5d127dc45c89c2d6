package io.positionsync.api;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.http.HttpServerResponse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The last step of every HTTP route: turns a handler's answer (an {@link ApiResponse}, or any object for a
 * plain 200) into the response, and any exception into {@code {"error": "...", "status": N}}. Request
 * headers are dropped first, so nothing the caller sent (its {@code Authorization} header, query
 * parameters) is echoed back.
 */
public final class HttpResponses {
    /** JSON, and the exact charset, since browsers must not guess. */
    public static final String JSON = "application/json; charset=utf-8";

    private static final Logger LOG = LoggerFactory.getLogger(HttpResponses.class);

    /** The figures move: no answer is ever stored by a browser or proxy. */
    static final String CACHE_CONTROL = "no-store";

    /** Sent with every answer: never sniffed, never framed, no referrer. */
    static final Map<String, String> COMMON_HEADERS = Map.of(
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer");

    private static final int STATUS_TOO_LARGE = 413;

    private final ObjectMapper json = new ObjectMapper();

    /** Writes the handler's answer found in the body. */
    public void write(Exchange exchange) throws JsonProcessingException {
        Object body = exchange.getMessage().getBody();
        ApiResponse response = body instanceof ApiResponse r ? r : ApiResponse.ok(body);
        send(exchange, response);
    }

    /** The routes' error handler: the exception caught becomes a JSON error with a 4xx or 5xx status. */
    public void error(Exchange exchange) throws JsonProcessingException {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        ApiException refusal = refusal(caught, exchange);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", refusal.getMessage());
        body.put("status", refusal.status());
        send(exchange, new ApiResponse(refusal.status(), body, null, refusal.headers()));
    }

    /** A caller's mistake keeps its message; anything else is logged here and answered without details. */
    static ApiException refusal(Throwable caught, Exchange exchange) {
        return refusal(caught, exchange.getMessage().getHeader(Exchange.HTTP_METHOD, String.class) + " "
                + exchange.getMessage().getHeader(Exchange.HTTP_PATH, String.class));
    }

    static ApiException refusal(Throwable caught, String request) {
        ApiException api = find(caught, ApiException.class);
        if (api != null) {
            return api;
        }
        SQLException sql = find(caught, SQLException.class);
        if (sql != null) {
            LOG.warn("{}: database unavailable: {}", request, sql.getMessage());
            return new ApiException(503, "database unavailable");
        }
        LOG.error("{} failed", request, caught);
        return new ApiException(500, "internal error");
    }

    private void send(Exchange exchange, ApiResponse response) throws JsonProcessingException {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        COMMON_HEADERS.forEach(message::setHeader);
        message.setHeader("Cache-Control", CACHE_CONTROL);
        response.headers().forEach(message::setHeader);
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, response.status());
        if (response.body() instanceof byte[] bytes) {
            message.setHeader(Exchange.CONTENT_TYPE, response.contentType());
            message.setBody(bytes);
        } else if (response.body() instanceof java.io.InputStream stream) {
            // a download produced while it is sent (e.g. the positions CSV): the server copies it in chunks
            message.setHeader(Exchange.CONTENT_TYPE, response.contentType());
            message.setBody(stream);
        } else {
            message.setHeader(Exchange.CONTENT_TYPE, JSON);
            message.setBody(json.writeValueAsString(response.body()).getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Serves {@code POST /api/sync/positions} straight on the server's router, ahead of the Camel route of the
     * same path: Camel's HTTP consumer holds a worker thread until its route ends, so 200 callers waiting for a
     * run would park every worker and starve probes and reads. Here a waiting caller holds no thread at all
     * ({@link SyncApi#triggerAsync}); only the short start of a run (which may look an idempotency key up in the
     * database) takes a worker for a moment.
     */
    public StartupListener asyncTrigger(SyncApi api) {
        return asyncTrigger(api, null);
    }

    /** As {@link #asyncTrigger(SyncApi)}, each answer timed in {@code metrics} (may be null) like the routes' ones. */
    public StartupListener asyncTrigger(SyncApi api, HttpRequestMetrics metrics) {
        return onRouter((context, router) -> router.route(io.vertx.core.http.HttpMethod.POST, TRIGGER_PATH).order(-1)
                .handler(ctx -> {
                    long started = System.nanoTime();
                    io.vertx.core.Context vertxContext = ctx.vertx().getOrCreateContext();
                    String request = "POST " + TRIGGER_PATH;
                    api.triggerAsync(ctx.request().getHeader("Authorization"),
                            ctx.request().headers().getAll("Idempotency-Key"),
                            task -> ctx.vertx().executeBlocking(task, false).toCompletionStage())
                            .whenComplete((response, failure) -> vertxContext.runOnContext(v -> {
                                ApiResponse answer = failure == null ? response : errorResponse(refusal(failure, request));
                                send(ctx.response(), answer);
                                if (metrics != null) {
                                    metrics.record("POST", TRIGGER_PATH, answer.status(),
                                            java.time.Duration.ofNanos(System.nanoTime() - started));
                                }
                            }));
                }));
    }

    /** The path of the manual trigger. */
    static final String TRIGGER_PATH = "/api/sync/positions";

    private StartupListener onRouter(java.util.function.BiConsumer<CamelContext, VertxPlatformHttpRouter> install) {
        return new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                // the server's router exists once the context is fully started
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                int port = context.getPropertiesComponent().resolveProperty("camel.server.port").map(Integer::parseInt)
                        .orElse(0);
                VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context,
                        VertxPlatformHttpRouter.getRouterNameFromPort(port));
                if (router != null) {
                    install.accept(context, router);
                }
            }
        };
    }

    static ApiResponse errorResponse(ApiException refusal) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", refusal.getMessage());
        body.put("status", refusal.status());
        return new ApiResponse(refusal.status(), body, null, refusal.headers());
    }

    /** Writes an answer straight to a vert.x response, with the same headers as {@link #write}. */
    void send(HttpServerResponse response, ApiResponse answer) {
        if (response.ended() || response.closed()) {
            return; // the caller went away
        }
        byte[] bytes;
        try {
            bytes = answer.body() instanceof byte[] raw ? raw : json.writeValueAsBytes(answer.body());
        } catch (JsonProcessingException e) {
            LOG.error("cannot write the answer", e);
            response.setStatusCode(500).end();
            return;
        }
        COMMON_HEADERS.forEach(response::putHeader);
        response.putHeader("Cache-Control", CACHE_CONTROL);
        answer.headers().forEach(response::putHeader);
        response.putHeader("Content-Type", answer.body() instanceof byte[] ? answer.contentType() : JSON);
        response.setStatusCode(answer.status()).end(io.vertx.core.buffer.Buffer.buffer(bytes));
    }

    /**
     * Refuses a request whose declared body is over the server's limit ({@code camel.server.maxBodySize}) with
     * the API's JSON 413, before vert.x reads it. (Vert.x answers a chunked body over the limit by itself, with
     * a plain-text 413; its error handlers of the router Camel exposes are not consulted.)
     */
    public StartupListener bodyLimit() {
        return new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                // the server's router exists once the context is fully started
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                PropertiesComponent properties = context.getPropertiesComponent();
                int port = properties.resolveProperty("camel.server.port").map(Integer::parseInt).orElse(0);
                long limit = properties.resolveProperty("camel.server.max-body-size")
                        .or(() -> properties.resolveProperty("camel.server.maxBodySize")).map(Long::parseLong).orElse(-1L);
                VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context,
                        VertxPlatformHttpRouter.getRouterNameFromPort(port));
                if (router == null || limit < 0) {
                    return; // no HTTP server (e.g. sync-once), or no limit
                }
                router.route().order(-1).handler(ctx -> {
                    String declared = ctx.request().getHeader("Content-Length");
                    if (declared != null && declared.matches("[0-9]{1,18}") && Long.parseLong(declared) > limit) {
                        refuseLargeBody(ctx.response(), limit);
                    } else {
                        ctx.next();
                    }
                });
            }
        };
    }

    void refuseLargeBody(HttpServerResponse response, long limit) {
        if (response.ended() || response.closed()) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "request body larger than " + limit + " bytes");
        body.put("status", STATUS_TOO_LARGE);
        String text;
        try {
            text = json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            text = "";
        }
        COMMON_HEADERS.forEach(response::putHeader);
        response.setStatusCode(STATUS_TOO_LARGE)
                .putHeader("Cache-Control", CACHE_CONTROL)
                .putHeader("Content-Type", JSON)
                .putHeader("Connection", "close") // the unread body must not be taken for the next request
                .end(text);
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable cause = t; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
