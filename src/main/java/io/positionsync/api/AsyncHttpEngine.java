package io.positionsync.api;

import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * The HTTP engine of a route that waits without a thread ({@code platformHttpEngine: "#asyncHttpEngine"} on a
 * {@code platform-http} endpoint, the manual trigger's): Camel's own consumer runs a route on a Vert.x worker and
 * holds that worker until the route ends, so callers waiting for a run would park every worker and starve probes
 * and reads. This one starts the route on a worker and lets the worker go as soon as a step goes asynchronous
 * (an {@link org.apache.camel.AsyncProcessor} that returns before its exchange is done); the answer is written
 * when the route ends, from whichever thread ends it. The route's answer is bytes (its {@code marshal: json}).
 */
public final class AsyncHttpEngine extends VertxPlatformHttpEngine {
    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new Consumer(endpoint, processor, getHandlers(), VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
    }

    static final class Consumer extends VertxPlatformHttpConsumer {
        private static final Logger LOG = LoggerFactory.getLogger(AsyncHttpEngine.class);

        Consumer(PlatformHttpEndpoint endpoint, Processor processor,
                java.util.List<io.vertx.core.Handler<RoutingContext>> handlers, String routerName) {
            super(endpoint, processor, handlers, routerName);
        }

        @Override
        protected void handleRequest(RoutingContext ctx) {
            if (isSuspended()) {
                ctx.response().setStatusCode(503).end();
                return;
            }
            Vertx vertx = ctx.vertx();
            Context vertxContext = vertx.getOrCreateContext();
            Exchange exchange = createExchange(false);
            exchange.setPattern(ExchangePattern.InOut);
            processHttpRequest(exchange, ctx).onComplete(read -> {
                if (read.failed()) {
                    failed(ctx, exchange, read.cause());
                    return;
                }
                // The route's first steps may block for a moment (e.g. a database look-up): they run on a worker,
                // which is free again once a step goes asynchronous.
                vertx.executeBlocking(() -> {
                    createUoW(exchange);
                    getAsyncProcessor().process(exchange,
                            doneSync -> vertxContext.runOnContext(v -> answer(ctx, exchange)));
                    return null;
                }, false).onFailure(e -> failed(ctx, exchange, e));
            });
        }

        private void answer(RoutingContext ctx, Exchange exchange) {
            try {
                HttpServerResponse response = ctx.response();
                if (response.ended() || response.closed()) {
                    return; // the caller went away
                }
                if (exchange.getException() != null) {
                    // unhandled (the route's error handler answers every exception it catches)
                    LOG.error("{} failed", getEndpoint().getPath(), exchange.getException());
                    response.setStatusCode(500).end();
                    return;
                }
                Message message = exchange.getMessage();
                HeaderFilterStrategy filter = getEndpoint().getHeaderFilterStrategy();
                for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
                    if (header.getValue() != null
                            && (filter == null || !filter.applyFilterToCamelHeaders(header.getKey(), header.getValue(), exchange))) {
                        response.putHeader(header.getKey(), header.getValue().toString());
                    }
                }
                String contentType = message.getHeader(Exchange.CONTENT_TYPE, String.class);
                if (contentType != null) {
                    response.putHeader("Content-Type", contentType); // the filter leaves it to the writer
                }
                byte[] body = message.getBody(byte[].class);
                response.setStatusCode(message.getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class))
                        .end(Buffer.buffer(body == null ? new byte[0] : body));
            } finally {
                doneUoW(exchange);
                releaseExchange(exchange, false);
            }
        }

        private void failed(RoutingContext ctx, Exchange exchange, Throwable failure) {
            getExceptionHandler().handleException("failed handling a request on " + getEndpoint().getPath(), failure);
            ctx.fail(failure);
            doneUoW(exchange);
            releaseExchange(exchange, false);
        }
    }
}
