package io.positionsync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.store.TestDatabase;

/**
 * SIGTERM to the service (a child JVM) in the middle of a run whose snapshot hangs: the waiting HTTP caller
 * is answered 503 with the reason, the process is gone within the grace and a little, and the run is recorded
 * as what it was (skipped, incomplete snapshot), never left RUNNING.
 */
class ShutdownTest {
    private static final GroupSummary SUMMARY = new GroupSummary("shutdown");
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final String TOKEN = "shutdown-test-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterAll
    static void summary() {
        SUMMARY.print();
    }

    @Test
    void sigtermMidRunAnswersTheWaitingCallerAndRecordsTheRunWithinTheGrace() throws Exception {
        SUMMARY.begin(1);
        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo()) {
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
            env.put("PSYNC_HTTP_HOST", "127.0.0.1");
            env.put("PSYNC_HTTP_PORT", Integer.toString(port));
            env.put("PSYNC_API_TOKEN", TOKEN);
            env.put("PSYNC_API_SYNC_WAIT_MS", "120000");
            env.put("PSYNC_SYNC_PERIOD", "1h");
            env.put("PSYNC_SYNC_SHUTDOWN_GRACE_MS", Long.toString(GRACE.toMillis()));
            Process child = builder.start();
            try {
                String base = "http://127.0.0.1:" + port + "/";
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> !status(base).get("lastSuccessfulRun").isNull());

                sim.faults().delayEnd(SnapshotPhase.POSITIONS, Duration.ofMinutes(2));
                CompletableFuture<HttpResponse<String>> waiting = client.sendAsync(
                        HttpRequest.newBuilder(URI.create(base + "api/sync/positions"))
                                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                await().atMost(Duration.ofSeconds(10)).until(() -> status(base).get("inFlight").asBoolean());
                long runId = latestRunId(db);

                long signalled = System.nanoTime();
                child.destroy(); // SIGTERM

                HttpResponse<String> answer = waiting.get(15, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
                assertThat(JSON.readTree(answer.body()).get("error").asText()).startsWith("the service is shutting down");
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the process ended").isTrue();
                Duration took = Duration.ofNanos(System.nanoTime() - signalled);
                assertThat(took).as("stop time with a grace of " + GRACE.toMillis() + " ms").isLessThan(GRACE.plusSeconds(5));

                try (Connection c = db.connection(); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT status, error FROM sync_runs WHERE id = " + runId)) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString("status")).isEqualTo("SKIPPED_INCOMPLETE");
                    assertThat(rs.getString("error")).startsWith("incomplete snapshot: ");
                }
                try (Connection c = db.connection(); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT count(*) FROM sync_runs WHERE status = 'RUNNING'")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("no run left RUNNING").isZero();
                }
                System.out.println("shutdown: SIGTERM mid-run, process gone in " + took.toMillis() + " ms");
            } finally {
                child.destroyForcibly();
            }
        }
        SUMMARY.held();
    }

    private JsonNode status(String base) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base + "api/sync/status")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    private static long latestRunId(TestDatabase db) throws Exception {
        try (Connection c = db.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT max(id) FROM sync_runs WHERE status = 'RUNNING'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
