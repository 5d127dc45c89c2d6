package io.positionsync.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;

/**
 * The whole service as it runs in production (config/application.properties, routes/*.camel.yaml, the
 * configuration class), started programmatically against a test database schema and an in-process gateway
 * simulator, with its HTTP server on a free loopback port; plus a small HTTP client for it.
 */
final class RunningService implements AutoCloseable {
    static final String TOKEN = "test-token-4f1d2c";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Main main;
    private final int port;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private RunningService(Main main, int port) {
        this.main = main;
        this.port = port;
    }

    /** Default test settings: the token set, the timer's start-up run only (period of an hour). */
    static Map<String, String> defaults(TestDatabase db, GatewaySimulator sim) {
        Map<String, String> properties = new LinkedHashMap<>(db.settings());
        properties.put("psync.ibkr.host", sim.host());
        properties.put("psync.ibkr.port", String.valueOf(sim.port()));
        properties.put("psync.http.host", "127.0.0.1");
        properties.put("psync.api.token", TOKEN);
        properties.put("psync.sync.period", "3600000");
        properties.put("psync.ibkr.backoff-initial-ms", "50");
        properties.put("psync.ibkr.backoff-max-ms", "100");
        return properties;
    }

    /** Starts the service with {@code properties} overriding the configuration file (and a free HTTP port). */
    static RunningService start(Map<String, String> properties) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(properties);
        int port = all.containsKey("psync.http.port") ? Integer.parseInt(all.get("psync.http.port")) : freePort();
        all.put("psync.http.port", String.valueOf(port));
        Main main = new Main();
        main.setPropertyPlaceholderLocations("file:config/application.properties");
        main.configure().withRoutesIncludePattern("file:routes/*.camel.yaml");
        all.forEach(main::addOverrideProperty);
        try {
            main.start();
        } catch (Exception e) {
            main.stop();
            throw e;
        }
        return new RunningService(main, port);
    }

    /** Closes a test class's service, simulator and database, last started first; nulls are skipped. */
    static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            if (resource != null) {
                try {
                    resource.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + resource + " failed", e);
                }
            }
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    CamelContext context() {
        return main.getCamelContext();
    }

    int port() {
        return port;
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port + "/";
    }

    HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    HttpResponse<String> post(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()), headers);
    }

    HttpResponse<String> request(String method, String path, byte[] body, String... headers) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        return send(HttpRequest.newBuilder(uri(path)).method(method, publisher), headers);
    }

    /** POST /api/sync/positions with the right token (and an idempotency key unless null). */
    HttpResponse<String> sync(String idempotencyKey) {
        return idempotencyKey == null ? post("api/sync/positions", "Authorization", "Bearer " + TOKEN)
                : post("api/sync/positions", "Authorization", "Bearer " + TOKEN, "Idempotency-Key", idempotencyKey);
    }

    /** GET and parse, failing on anything but 200. */
    JsonNode getJson(String path) {
        HttpResponse<String> response = get(path);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return json(response);
    }

    /** Waits (up to 30 s) until the service has a successful run: its start-up run. */
    RunningService awaitFirstSuccessfulRun() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> !getJson("api/sync/status").get("lastSuccessfulRun").isNull());
        return this;
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
        }
    }

    private URI uri(String path) {
        return URI.create(baseUrl() + (path.startsWith("/") ? path.substring(1) : path));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder, String... headers) {
        builder.timeout(REQUEST_TIMEOUT);
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        try {
            return client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        main.stop();
    }
}
