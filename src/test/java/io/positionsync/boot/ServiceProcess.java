package io.positionsync.boot;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.awaitility.Awaitility;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;

/**
 * The service as a child JVM (the real {@link Application} main, configuration from {@code config/} and
 * {@code PSYNC_*} variables) against a test database and a simulator of the parent, on a loopback port: for
 * tests that signal or kill the process.
 */
public final class ServiceProcess implements AutoCloseable {
    public static final String TOKEN = "service-process-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final String base;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private ServiceProcess(Process process, int port) {
        this.process = process;
        this.base = "http://127.0.0.1:" + port + "/";
    }

    /** Starts the service with the test settings plus {@code extra} environment variables. */
    public static ServiceProcess start(TestDatabase db, GatewaySimulator sim, Map<String, String> extra) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Application.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.put("PSYNC_DB_URL", db.jdbcUrl());
        env.put("PSYNC_DB_USER", db.user());
        env.put("PSYNC_DB_PASSWORD", db.password());
        env.put("PSYNC_IBKR_HOST", sim.host());
        env.put("PSYNC_IBKR_PORT", Integer.toString(sim.port()));
        env.put("PSYNC_IBKR_REQUEST_TIMEOUT_MS", "120000");
        env.put("PSYNC_IBKR_BACKOFF_INITIAL_MS", "50");
        env.put("PSYNC_IBKR_BACKOFF_MAX_MS", "100");
        env.put("PSYNC_HTTP_HOST", "127.0.0.1");
        env.put("PSYNC_HTTP_PORT", Integer.toString(port));
        env.put("PSYNC_API_TOKEN", TOKEN);
        env.put("PSYNC_API_SYNC_WAIT_MS", "120000");
        env.put("PSYNC_SYNC_PERIOD", "1h");
        env.putAll(extra);
        return new ServiceProcess(builder.start(), port);
    }

    public Process process() {
        return process;
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public String base() {
        return base;
    }

    /** Waits until the service answers and its start-up run has ended. */
    public ServiceProcess awaitStartupRun(Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    JsonNode status = status();
                    return !status.get("lastRun").isNull() && !status.get("inFlight").asBoolean();
                });
        return this;
    }

    /**
     * Triggers runs until one succeeds (right after a restart the gateway may still hold the old connection's
     * clientId for a moment).
     */
    public ServiceProcess syncUntilSucceeded(Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> "SUCCEEDED".equals(json(triggerAsync().get().body()).get("status").asText()));
        return this;
    }

    public JsonNode status() throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base + "api/sync/status")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    /** {@code POST /api/sync/positions} with the token, answered whenever the run ends. */
    public CompletableFuture<HttpResponse<String>> triggerAsync() {
        return client.sendAsync(HttpRequest.newBuilder(URI.create(base + "api/sync/positions"))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    /** SIGKILL, and waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
