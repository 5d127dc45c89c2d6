package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;

/**
 * SIGTERM to the service (a child JVM) in the middle of a run whose snapshot hangs: the waiting HTTP caller
 * is answered 503 with the reason, the process is gone within the grace and a little, and the run is recorded
 * as what it was (skipped, incomplete snapshot), never left RUNNING.
 */
@Tag("process")
class ShutdownTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("shutdown");
    private static final Duration GRACE = Duration.ofSeconds(2);

    @Test
    void sigtermMidRunAnswersTheWaitingCallerAndRecordsTheRunWithinTheGrace() throws Exception {
        SUMMARY.begin(1);
        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo();
                ServiceUnderTest service = ServiceUnderTest.startProcess(db, sim,
                        Map.of("PSYNC_SYNC_SHUTDOWN_GRACE_MS", Long.toString(GRACE.toMillis())))) {
            Process child = service.process();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> !service.status().get("lastSuccessfulRun").isNull());

            sim.faults().delayEnd(SnapshotPhase.POSITIONS, Duration.ofMinutes(2));
            CompletableFuture<HttpResponse<String>> waiting = service.triggerAsync();
            await().atMost(Duration.ofSeconds(10)).until(() -> service.status().get("inFlight").asBoolean());
            long runId = latestRunId(db);

            long signalled = System.nanoTime();
            child.destroy(); // SIGTERM

            HttpResponse<String> answer = waiting.get(15, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
            assertThat(ServiceUnderTest.json(answer.body()).get("error").asText()).startsWith("the service is shutting down");
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
        }
        SUMMARY.held();
    }

    private static long latestRunId(TestDatabase db) throws Exception {
        try (Connection c = db.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT max(id) FROM sync_runs WHERE status = 'RUNNING'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
