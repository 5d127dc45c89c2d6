package io.positionsync.api;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Times every request the HTTP routes ({@code platform-http}) answer as {@code http_server_requests_seconds}
 * with {@code method}, {@code uri} and {@code status}. The {@code uri} label is the route's path template
 * ({@code /api/positions/{id}/history}), never the raw path, and a prefix route's template ends in {@code /**},
 * so the labels stay few whatever callers send; methods outside the standard ones count as {@code OTHER}.
 * The method is noted when the exchange is created, since the response step drops the request headers.
 */
public final class HttpRequestMetrics extends EventNotifierSupport {
    static final String METER = "http.server.requests";
    private static final String METHOD_PROPERTY = "psync.http.method";
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
    private static final int NO_STATUS_FAILED = 500;
    private static final int NO_STATUS_OK = 200;

    private final MeterRegistry registry;

    public HttpRequestMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreExchangeSentEvents(true);
        setIgnoreExchangeSendingEvents(true);
        setIgnoreStepEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.ExchangeCreatedEvent || event instanceof CamelEvent.ExchangeCompletedEvent
                || event instanceof CamelEvent.ExchangeFailedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        if (!(event instanceof CamelEvent.ExchangeEvent exchangeEvent)) {
            return;
        }
        Exchange exchange = exchangeEvent.getExchange();
        if (!(exchange.getFromEndpoint() instanceof PlatformHttpEndpoint endpoint)) {
            return;
        }
        if (event instanceof CamelEvent.ExchangeCreatedEvent) {
            exchange.setProperty(METHOD_PROPERTY, method(exchange.getIn().getHeader(Exchange.HTTP_METHOD, String.class)));
            return;
        }
        boolean failed = event instanceof CamelEvent.ExchangeFailedEvent;
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        Timer.builder(METER)
                .description("HTTP requests answered by the API and dashboard routes")
                .tag("method", exchange.getProperty(METHOD_PROPERTY, "OTHER", String.class))
                .tag("uri", template(endpoint))
                .tag("status", String.valueOf(status != null ? status : failed ? NO_STATUS_FAILED : NO_STATUS_OK))
                .register(registry)
                .record(Duration.ofMillis(Math.max(0, exchange.getClock().elapsed())));
    }

    static String template(PlatformHttpEndpoint endpoint) {
        String path = endpoint.getPath();
        if (!endpoint.isMatchOnUriPrefix()) {
            return path;
        }
        return (path.endsWith("/") ? path : path + "/") + "**";
    }

    static String method(String raw) {
        String method = raw == null ? "" : raw.toUpperCase(Locale.ROOT);
        return METHODS.contains(method) ? method : "OTHER";
    }
}
