package io.positionsync.api;

import io.positionsync.boot.DatabaseLink;
import io.positionsync.boot.GroupSummary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.DatabaseLink;
import io.positionsync.boot.GroupSummary;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.run.SyncTriggers;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/** With the database away, a manual trigger answers 503 with the reason at once and starts no run. */
@PositionSyncService(awaitFirstRun = true, databaseLink = true, properties = {
        "psync.db.connection-timeout-ms=1000", "psync.api.health-db-timeout-ms=500" })
class DatabaseDownTriggerTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("database down, manual trigger");
    static TestDatabase db;
    static DatabaseLink link;
    static GatewaySimulator sim;
    static ServiceUnderTest service;

    @Test
    void aManualTriggerAnswers503WithTheReasonAtOnce() {
        SUMMARY.begin(1);
        SyncTriggers triggers = service.context().getRegistry().lookupByNameAndType("syncTriggers", SyncTriggers.class);
        link.cut();

        long started = System.nanoTime();
        HttpResponse<String> refused = service.sync(null);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(ServiceUnderTest.json(refused).get("error").asText()).startsWith("database unavailable: the database");
        assertThat(refused.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(took).as("answered at once").isLessThan(Duration.ofSeconds(3));
        assertThat(triggers.coordinator().inFlight()).as("no run started").isFalse();

        link.restore();
        await().atMost(Duration.ofSeconds(20)).until(() -> service.sync(null).statusCode() == 200);
        SUMMARY.held();
    }
}
