package io.positionsync.api;

import static io.positionsync.api.ApiEndpointsTest.check;
import static io.positionsync.api.ApiEndpointsTest.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The gateway goes away after a successful sync: the API keeps answering from PostgreSQL (summary source
 * DATABASE, same figures), readiness stays UP with a DEGRADED gateway, failed runs are counted; when the
 * gateway comes back a sync succeeds and everything is LIVE again.
 */
@PositionSyncService(awaitFirstRun = true)
class GatewayDownTest {
    static GatewaySimulator sim;
    static ServiceUnderTest service;

    @Test
    void withTheGatewayDownTheApiAnswersFromTheDatabaseUntilItIsBack() throws Exception {
        JsonNode live = service.getJson("api/portfolio/summary");
        assertThat(live.get("source").asText()).isEqualTo("LIVE");
        JsonNode openBefore = service.getJson("api/positions?status=open");

        sim.stop();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> service.getJson("api/sync/status").at("/gateway/state").asText().equals("DOWN"));

        // The summary: still 200, the same figures, from the database.
        HttpResponse<String> response = service.get("api/portfolio/summary");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode stored = ServiceUnderTest.json(response);
        assertThat(stored.get("source").asText()).isEqualTo("DATABASE");
        assertThat(stored.get("sourceReason").asText()).contains("DOWN");
        assertThat(stored.get("gatewayState").asText()).isEqualTo("DOWN");
        assertThat(stored.get("overall")).isEqualTo(live.get("overall"));
        assertThat(stored.get("accounts")).isEqualTo(live.get("accounts"));
        assertThat(stored.get("lastSyncedAt")).isEqualTo(live.get("lastSyncedAt"));
        assertThat(service.getJson("api/positions?status=open")).isEqualTo(openBefore);

        // Ready all the same: the gateway check reports DEGRADED but stays UP.
        HttpResponse<String> ready = service.get("observe/health/ready?data=true");
        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode gateway = check(ServiceUnderTest.json(ready), "gateway");
        assertThat(gateway.get("status").asText()).isEqualTo("UP");
        assertThat(gateway.get("message").asText()).startsWith("DEGRADED");
        assertThat(gateway.at("/data/gateway.state").asText()).isEqualTo("DOWN");
        assertThat(gateway.at("/data/mode").asText()).isEqualTo("DEGRADED");

        // A manual sync cannot reach the gateway: the run fails, and the failures are counted.
        for (int i = 1; i <= 2; i++) {
            HttpResponse<String> sync = service.sync(null);
            assertThat(sync.statusCode()).isEqualTo(200);
            JsonNode run = ServiceUnderTest.json(sync);
            assertThat(run.get("status").asText()).isEqualTo("FAILED");
            assertThat(run.get("error").asText()).isNotBlank();
        }
        JsonNode status = service.getJson("api/sync/status");
        assertThat(status.get("consecutiveFailures").asLong()).isEqualTo(2);
        assertThat(status.at("/totals/failed").asLong()).isEqualTo(2);
        assertThat(status.at("/lastRun/status").asText()).isEqualTo("FAILED");
        assertThat(status.at("/lastSuccessfulRun/status").asText()).isEqualTo("SUCCEEDED");
        JsonNode scheduler = service.getJson("api/scheduler/status");
        assertThat(scheduler.at("/statistics/failures").asLong()).isEqualTo(2);
        assertThat(scheduler.at("/statisticsSinceStart/failed").asLong()).isEqualTo(2);
        String metrics = service.get("observe/metrics").body();
        assertThat(metric(metrics, "psync_sync_runs_total{status=\"FAILED\",trigger=\"MANUAL\"}")).isEqualTo(2.0);
        assertThat(metric(metrics, "psync_sync_consecutive_failures")).isEqualTo(2.0);
        assertThat(metric(metrics, "psync_gateway_state{state=\"DOWN\"}")).isEqualTo(1.0);
        assertThat(metric(metrics, "psync_gateway_state{state=\"UP\"}")).isZero();

        // The gateway is back: a sync succeeds (once the reconnect backoff allows), the figures are LIVE again.
        sim.start();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> ServiceUnderTest.json(service.sync(null)).get("status").asText().equals("SUCCEEDED"));
        assertThat(service.getJson("api/sync/status").get("consecutiveFailures").asLong()).isZero();
        assertThat(service.getJson("api/portfolio/summary").get("source").asText()).isEqualTo("LIVE");
    }
}
