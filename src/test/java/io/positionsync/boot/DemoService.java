package io.positionsync.boot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.main.Main;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.ibkr.sim.GatewaySimulator;

/**
 * The service on its zero-config default, as a new user starts it: an embedded PostgreSQL under a fresh data
 * directory and the built-in simulator with its trading demo, the whole configuration file, every route, the HTTP
 * API on a free loopback port; plus a small HTTP client for it. {@code overrides} change only what a test names
 * (the pace, the token).
 */
final class DemoService implements AutoCloseable {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Main main;
    private final int port;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private DemoService(Main main, int port) {
        this.main = main;
        this.port = port;
    }

    static DemoService start(Map<String, String> overrides) throws Exception {
        return start(Files.createTempDirectory(Path.of("target"), "demo-"), overrides);
    }

    /** On {@code dataDir}: a fresh directory is a first start, the directory of a stopped service its restart. */
    static DemoService start(Path dataDir, Map<String, String> overrides) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Map<String, String> all = new LinkedHashMap<>();
        all.put("psync.data.dir", dataDir.toString());
        all.put("psync.http.port", Integer.toString(port));
        all.putAll(overrides);
        Main main = ServiceCommand.createMain(ServiceCommand.routesPattern(), all);
        try {
            main.start();
        } catch (Exception e) {
            main.stop();
            throw e;
        }
        return new DemoService(main, port);
    }

    /** The dashboard's address. */
    String baseUrl() {
        return uri("/").toString();
    }

    GatewaySimulator simulator() {
        return main.getCamelContext().getRegistry().lookupByNameAndType("gatewaySimulator", GatewaySimulator.class);
    }

    <T> T bean(String name, Class<T> type) {
        return main.getCamelContext().getRegistry().lookupByNameAndType(name, type);
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** {@code POST}, with {@code headers} as name, value pairs. */
    HttpResponse<String> post(String path, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return send(builder);
    }

    /** GET and parse, failing on anything but 200. */
    JsonNode getJson(String path) {
        HttpResponse<String> response = get(path);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return json(response.body());
    }

    static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + "/" + (path.startsWith("/") ? path.substring(1) : path));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) {
        try {
            return client.send(builder.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
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
