package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.SQLTransientConnectionException;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * Error answers: the caller's mistakes keep their message; anything else is answered without details. The body is
 * marshalled as the routes do it, after these steps.
 */
class HttpResponsesTest {
    private final HttpResponses responses = new HttpResponses();

    @Test
    void aRefusalKeepsItsStatusMessageAndHeaders() throws Exception {
        Exchange exchange = failed(ApiException.methodNotAllowed("PUT", "/api/x", java.util.List.of("GET")));

        responses.error(exchange);

        assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(405);
        assertThat(exchange.getMessage().getHeader("Allow")).isEqualTo("GET");
        assertThat(body(exchange)).isEqualTo("{\"error\":\"method PUT is not allowed on /api/x (allowed: GET)\",\"status\":405}");
    }

    @Test
    void anUnreachableDatabaseIs503WithoutDetails() throws Exception {
        Exchange exchange = failed(new IllegalStateException("wrapped",
                new SQLTransientConnectionException("psync-db - Connection is not available, request timed out after 10000ms")));

        responses.error(exchange);

        assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(503);
        assertThat(body(exchange)).isEqualTo("{\"error\":\"database unavailable\",\"status\":503}");
    }

    @Test
    void anythingElseIs500WithoutItsMessage() throws Exception {
        Exchange exchange = failed(new NullPointerException("secret internals at line 42"));

        responses.error(exchange);

        assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(500);
        assertThat(body(exchange)).isEqualTo("{\"error\":\"internal error\",\"status\":500}");
    }

    @Test
    void requestHeadersAreDroppedAndTheAnswerWritten() throws Exception {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setHeader("Authorization", "Bearer secret");
        exchange.getMessage().setHeader("limit", "5");
        exchange.getMessage().setBody(ApiResponse.accepted(Map.of("runId", 7)).withHeader("X-Extra", "1"));

        responses.write(exchange);

        assertThat(exchange.getMessage().getHeaders()).doesNotContainKeys("Authorization", "limit");
        assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(202);
        assertThat(exchange.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo(HttpResponses.JSON);
        assertThat(exchange.getMessage().getHeader("Cache-Control")).isEqualTo("no-store");
        assertThat(exchange.getMessage().getHeader("X-Extra")).isEqualTo("1");
        assertThat(body(exchange)).isEqualTo("{\"runId\":7}");
    }

    private static Exchange failed(Throwable cause) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "GET");
        exchange.getMessage().setHeader(Exchange.HTTP_PATH, "/api/x");
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, cause);
        return exchange;
    }

    /** The body as the routes' next step ({@code marshal: json} with the service's mapper) writes it. */
    private static String body(Exchange exchange) throws Exception {
        return new String(ApiJson.create().writeValueAsBytes(exchange.getMessage().getBody()), StandardCharsets.UTF_8);
    }
}
