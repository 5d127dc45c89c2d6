package io.positionsync.api;

import io.positionsync.boot.GroupSummary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.GroupSummary;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.positionsync.testing.ServiceUnderTest;

/**
 * Off loopback, reads need the token too and the token must be long. Tests only ever listen on loopback: the
 * guards are exercised as the service installs them when it listens elsewhere (reads need the token), on a
 * loopback server; the start-up refusal happens before anything listens.
 */
class RequestGuardsTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("http access off loopback");
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";
    private static Vertx vertx;
    private static HttpServer server;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final RunEvents EVENTS = new RunEvents(new HttpResponses(), ApiJson.create(),
            new EventStreamSettings(java.time.Duration.ofSeconds(15), 10, 16), null);

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        new RequestGuards(new HttpResponses(), new TokenGuard(TOKEN), true, 16_384).events(EVENTS).install(router);
        router.get("/api/positions").handler(ctx -> ctx.response().end("{\"positions\":[]}"));
        router.get("/observe/health/live").handler(ctx -> ctx.response().end("{\"status\":\"UP\"}"));
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void offLoopbackReadsNeedTheToken() throws Exception {
        SUMMARY.begin(2);
        HttpResponse<String> anonymous = get("/api/positions", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).isEqualTo("{\"error\":\"missing or invalid token\",\"status\":401}");
        assertThat(anonymous.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(get("/api/positions", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(get("/api/positions", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("/observe/health/live", null).statusCode()).as("probes stay open").isEqualTo(200);
        SUMMARY.held();
    }

    @Test
    void offLoopbackTheEventStreamNeedsTheTokenLikeEveryRead() throws Exception {
        SUMMARY.begin(1);
        String url = "http://127.0.0.1:" + server.actualPort() + RunEvents.PATH;
        try (EventStreamClient anonymous = EventStreamClient.open(url);
                EventStreamClient wrong = EventStreamClient.open(url, "Authorization", "Bearer wrong")) {
            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(anonymous.header("WWW-Authenticate")).isEqualTo("Bearer");
            assertThat(anonymous.body(java.time.Duration.ofSeconds(10)))
                    .isEqualTo("{\"error\":\"missing or invalid token\",\"status\":401}");
            assertThat(wrong.status()).isEqualTo(401);
        }
        assertThat(EVENTS.openStreams()).isZero();
        try (EventStreamClient stream = EventStreamClient.open(url, "Authorization", "Bearer " + TOKEN)) {
            assertThat(stream.status()).isEqualTo(200);
            org.awaitility.Awaitility.await().until(() -> EVENTS.openStreams() == 1);
            EVENTS.publish("{\"runId\":7,\"trigger\":\"TIMER\"}");
            EventStreamClient.Event event = stream.next(java.time.Duration.ofSeconds(10));
            assertThat(event).isNotNull();
            assertThat(event.id()).isEqualTo("7");
            assertThat(event.data()).isEqualTo("{\"runId\":7,\"trigger\":\"TIMER\"}");
        }
        SUMMARY.held();
    }

    @Test
    void offLoopbackATokenShorterThan32CharactersIsRefused() {
        SUMMARY.begin(1);
        assertThatThrownBy(() -> ListenAddressPolicy.checkTokenLength("0.0.0.0", "short-token"))
                .hasMessageContaining("PSYNC_API_TOKEN is 11 characters long")
                .hasMessageContaining("at least 32");
        ListenAddressPolicy.checkTokenLength("0.0.0.0", TOKEN);
        ListenAddressPolicy.checkTokenLength("127.0.0.1", "short-token"); // loopback: any token
        SUMMARY.held();
    }

    @Test
    void theServiceRefusesToStartOffLoopbackWithAShortTokenBeforeListening() throws Exception {
        SUMMARY.begin(1);
        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo()) {
            Map<String, String> properties = ServiceUnderTest.defaults(db, sim);
            properties.put("psync.http.host", "0.0.0.0");
            properties.put("psync.api.token", "short-token");
            assertThatThrownBy(() -> ServiceUnderTest.start(properties))
                    .hasStackTraceContaining("PSYNC_API_TOKEN is 11 characters long; off loopback it must be at least 32");
        }
        SUMMARY.held();
    }
}
