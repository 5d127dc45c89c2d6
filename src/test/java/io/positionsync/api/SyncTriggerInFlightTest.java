package io.positionsync.api;

import static io.positionsync.api.ApiEndpointsTest.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * A manual sync that takes longer than the configured wait answers 202 with the run id; triggers during the
 * run join it; an idempotency key keeps answering with that run, while it is in flight and after it ended.
 */
@PositionSyncService(awaitFirstRun = true, properties = "psync.api.sync-wait-ms=200")
class SyncTriggerInFlightTest {
    private static final Duration SLOW_SNAPSHOT = Duration.ofSeconds(2);

    static GatewaySimulator sim;
    static ServiceUnderTest service;

    @Test
    void aSlowRunAnswers202AndEveryTriggerDuringItGetsTheSameRun() {
        sim.faults().delayEnd(SnapshotPhase.POSITIONS, SLOW_SNAPSHOT);

        HttpResponse<String> started = service.sync("slow-1");

        assertThat(started.statusCode()).isEqualTo(202);
        JsonNode accepted = ServiceUnderTest.json(started);
        assertThat(accepted.get("runId").isIntegralNumber()).isTrue();
        long runId = accepted.get("runId").asLong();
        assertThat(accepted.get("status").asText()).isEqualTo("RUNNING");
        assertThat(accepted.get("trigger").asText()).isEqualTo("MANUAL");

        JsonNode status = service.getJson("api/sync/status");
        assertThat(status.get("inFlight").asBoolean()).isTrue();
        assertThat(status.at("/lastRun/runId").asLong()).isEqualTo(runId);
        assertThat(status.at("/lastRun/status").asText()).isEqualTo("RUNNING");
        assertThat(metric(service.get("observe/metrics").body(), "psync_sync_in_flight")).isEqualTo(1.0);

        // While it runs: the same key, no key, another key all get this run.
        HttpResponse<String> sameKey = service.sync("slow-1");
        assertThat(sameKey.statusCode()).isEqualTo(202);
        assertThat(sameKey.headers().firstValue(SyncApi.REPLAYED_HEADER)).hasValue("true");
        assertThat(ServiceUnderTest.json(sameKey).get("runId").asLong()).isEqualTo(runId);
        assertThat(ServiceUnderTest.json(service.sync(null)).get("runId").asLong()).isEqualTo(runId);
        assertThat(ServiceUnderTest.json(service.sync("joined-2")).get("runId").asLong()).isEqualTo(runId);

        await().atMost(Duration.ofSeconds(20)).until(() -> !service.getJson("api/sync/status").get("inFlight").asBoolean());
        JsonNode done = service.getJson("api/sync/runs?limit=1").get("runs").get(0);
        assertThat(done.get("runId").asLong()).isEqualTo(runId);
        assertThat(done.get("status").asText()).isEqualTo("SUCCEEDED");

        // After it ended: both keys answer with it (200), no new run starts.
        for (String key : new String[] {"slow-1", "joined-2"}) {
            HttpResponse<String> replay = service.sync(key);
            assertThat(replay.statusCode()).as(key).isEqualTo(200);
            JsonNode run = ServiceUnderTest.json(replay);
            assertThat(run.get("runId").asLong()).as(key).isEqualTo(runId);
            assertThat(run.get("status").asText()).as(key).isEqualTo("SUCCEEDED");
        }
        assertThat(service.getJson("api/sync/runs?limit=1").at("/runs/0/runId").asLong()).isEqualTo(runId);

        // Without a key, the next trigger starts a new run.
        assertThat(ServiceUnderTest.json(service.sync(null)).get("runId").asLong()).isGreaterThan(runId);
    }
}
