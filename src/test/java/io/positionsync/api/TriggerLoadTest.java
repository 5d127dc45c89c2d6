package io.positionsync.api;

import io.positionsync.boot.GroupSummary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.GroupSummary;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * 200 concurrent manual triggers waiting for one slow run (far more than the HTTP server's 20 worker
 * threads) while probes and reads go on: every probe and read answers fast, every trigger gets the run's
 * summary, and the triggers make one run, not one per wave of workers.
 */
@PositionSyncService(awaitFirstRun = true, properties = { "psync.api.sync-wait-ms=60000",
        // All 200 triggers come from one address: past the default share of one client (see HostileHostsAndFloodTest).
        "psync.http.max-connections-per-client=300" })
class TriggerLoadTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("http trigger load");
    private static final int TRIGGERS = 200;
    private static final Duration SLOW_SNAPSHOT = Duration.ofSeconds(6);
    /** Generous: an idle server answers in milliseconds; a starved one took 11-40 s. */
    private static final Duration PROBE_BOUND = Duration.ofMillis(1_500);

    static GatewaySimulator sim;
    static ServiceUnderTest service;

    @Test
    void probesAndReadsStayFastUnder200WaitingTriggersWhichShareOneRun() throws Exception {
        SUMMARY.begin(TRIGGERS);
        SyncApi api = service.context().getRegistry().lookupByNameAndType("syncApi", SyncApi.class);
        long runsBefore = service.getJson("api/sync/status").get("totals").get("runs").asLong();
        sim.faults().delayEnd(SnapshotPhase.POSITIONS, SLOW_SNAPSHOT);

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest trigger = HttpRequest.newBuilder(URI.create(service.baseUrl() + "api/sync/positions"))
                .header("Authorization", "Bearer " + ServiceUnderTest.TOKEN)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        answers.add(client.sendAsync(trigger, HttpResponse.BodyHandlers.ofString()));
        await().atMost(Duration.ofSeconds(5)).until(() -> service.getJson("api/sync/status").get("inFlight").asBoolean());
        for (int i = 1; i < TRIGGERS; i++) {
            answers.add(client.sendAsync(trigger, HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(SLOW_SNAPSHOT.minusSeconds(1)).until(() -> api.waitingTriggers() == TRIGGERS);

        // every trigger is parked waiting for the run: the server must still answer everything else at once
        Duration slowest = Duration.ZERO;
        String[] reads = {"observe/health/live", "observe/health/ready", "api/sync/status", "api/positions?limit=5",
            "api/portfolio/summary", "api/sync/runs?limit=3", "api/scheduler/status"};
        for (int round = 0; round < 3; round++) {
            for (String path : reads) {
                long started = System.nanoTime();
                HttpResponse<String> response = service.get(path);
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                assertThat(response.statusCode()).as(path).isEqualTo(200);
                slowest = took.compareTo(slowest) > 0 ? took : slowest;
            }
        }
        assertThat(api.waitingTriggers()).as("the reads were measured while every trigger waited").isEqualTo(TRIGGERS);
        assertThat(slowest).as("slowest probe or read under trigger load").isLessThan(PROBE_BOUND);

        Set<Long> runIds = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            runIds.add(ServiceUnderTest.json(response).get("runId").asLong());
        }
        assertThat(runIds).as("every trigger joined the one run").hasSize(1);
        long runsAfter = service.getJson("api/sync/status").get("totals").get("runs").asLong();
        assertThat(runsAfter - runsBefore).as("runs made by 200 triggers").isEqualTo(1);
        assertThat(api.waitingTriggers()).isZero();
        assertThat(service.get("observe/metrics").body()).as("answers on the router are timed like the routes' ones")
                .contains("http_server_requests_seconds_count{method=\"POST\",status=\"200\",uri=\"/api/sync/positions\"}");
        System.out.println("http trigger load: " + TRIGGERS + " triggers, slowest probe/read " + slowest.toMillis() + " ms");
        SUMMARY.held();
    }
}
