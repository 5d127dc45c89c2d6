package io.positionsync.api;

import java.io.InputStream;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.http.HttpServerResponse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The answer steps of the HTTP routes. {@link #write} turns a handler's answer (an {@link ApiResponse}, or any
 * object for a plain 200) into the response's status and headers and leaves its body for the route's
 * {@code marshal: json} (bytes, such as the dashboard's files, and streams, such as the CSV download, pass as they
 * are); {@link #error}, the {@code api-errors} route configuration's step, does the same for any exception with
 * {@code {"error": "...", "status": N}}. Request headers are dropped first, so nothing the caller sent (its
 * {@code Authorization} header, query parameters) is echoed back.
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

    /** The body of every error answer. */
    public record ErrorView(String error, int status) {
    }

    /** Writes the answers given before any route (the request guards' refusals). */
    private final ObjectMapper json;

    /** With the service's mapper ({@link ApiJson#BEAN}). */
    public HttpResponses(ObjectMapper json) {
        this.json = Objects.requireNonNull(json, "json");
    }

    /** With a mapper of its own, configured as the service's. */
    public HttpResponses() {
        this(ApiJson.create());
    }

    /** Sets the status and headers of the handler's answer found in the body; the body becomes its content. */
    public void write(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        ApiResponse response = body instanceof ApiResponse r ? r : ApiResponse.ok(body);
        send(exchange, response);
    }

    /** The routes' error handler: the exception caught becomes a JSON error with a 4xx or 5xx status. */
    public void error(Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        send(exchange, errorResponse(refusal(caught, exchange)));
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

    private static void send(Exchange exchange, ApiResponse response) {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        COMMON_HEADERS.forEach(message::setHeader);
        message.setHeader("Cache-Control", CACHE_CONTROL);
        response.headers().forEach(message::setHeader);
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, response.status());
        boolean raw = response.body() instanceof byte[] || response.body() instanceof InputStream;
        // a download produced while it is sent (e.g. the positions CSV) is copied by the server in chunks
        message.setHeader(Exchange.CONTENT_TYPE, raw ? response.contentType() : JSON);
        message.setBody(response.body());
    }

    static ApiResponse errorResponse(ApiException refusal) {
        return new ApiResponse(refusal.status(), new ErrorView(refusal.getMessage(), refusal.status()), null,
                refusal.headers());
    }

    /** Writes an answer straight to a vert.x response (before any route), with the same headers as {@link #write}. */
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

    void refuseLargeBody(HttpServerResponse response, long limit) {
        if (response.ended() || response.closed()) {
            return;
        }
        ErrorView body = new ErrorView("request body larger than " + limit + " bytes", STATUS_TOO_LARGE);
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
