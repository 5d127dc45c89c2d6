package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * {@code gateways} of {@code GET /api/sync/status} and {@code GET /api/scheduler/status}: every gateway the database
 * knows, with its owner, live time, last run, freshness and run counts as the database has them (any instance sharing
 * it answers the same); beside it, the status's other fields stay as they were.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@PositionSyncService(awaitFirstRun = true)
class GatewaysStatusTest {
    /** The status's fields before it listed the gateways. */
    private static final List<String> STATUS_FIELDS = List.of("serverTime", "gateway", "live", "inFlight", "timerEnabled",
            "lastRun", "lastSuccessfulRun", "lastSuccessfulSyncAt", "lastSuccessAgeSeconds", "consecutiveFailures",
            "totals", "openBreakCount", "openBreaks", "database", "staleness", "executionsMissing");
    private static final List<String> SCHEDULER_FIELDS = List.of("routeId", "routeStatus", "running", "periodMs",
            "initialDelayMs", "lastFiredAt", "nextFireAt", "statistics", "statisticsSinceStart", "failureDefinition");

    static TestDatabase db;
    static ServiceUnderTest service;

    @Test
    @Order(1)
    void withOnlyTheDefaultGatewaysRunsTheListHasItAloneAndTheOtherFieldsAreAsBefore() throws Exception {
        ServiceUnderTest.json(service.sync(null)); // a manual run after the start-up run: two runs
        JsonNode status = service.getJson("api/sync/status");

        assertThat(fieldNames(status)).containsExactlyElementsOf(concat(STATUS_FIELDS, "gateways"));
        assertThat(status.get("gateways")).hasSize(1);
        JsonNode gateway = status.at("/gateways/0");
        assertThat(gateway.get("name").asText()).isEqualTo("default");
        List<Map<String, Object>> owner = service.query("SELECT owner, epoch FROM gateway_owners WHERE gateway = 'default'");
        assertThat(gateway.get("owner").isNull()).isEqualTo(owner.isEmpty());
        // the gateway's figures are the status's own
        JsonNode lastRun = status.get("lastRun");
        assertThat(lastRun.get("trigger").asText()).isEqualTo("MANUAL");
        assertThat(fieldNames(gateway.get("lastRun"))).containsExactlyElementsOf(concat(fieldNames(lastRun), "instance"));
        for (String field : fieldNames(lastRun)) {
            assertThat(gateway.at("/lastRun/" + field)).as(field).isEqualTo(lastRun.get(field));
        }
        assertThat(gateway.get("lastSuccessfulSyncAt")).isEqualTo(status.get("lastSuccessfulSyncAt"));
        assertThat(gateway.get("lastSuccessAgeSeconds")).isEqualTo(status.get("lastSuccessAgeSeconds"));
        assertThat(gateway.get("consecutiveFailures")).isEqualTo(status.get("consecutiveFailures"));
        assertThat(gateway.get("freshness").asText()).isEqualTo("FRESH");
        assertThat(status.at("/totals/runs").asLong()).isEqualTo(2);
        assertThat(status.at("/lastSuccessfulRun/runId")).isEqualTo(lastRun.get("runId"));

        JsonNode scheduler = service.getJson("api/scheduler/status");
        assertThat(fieldNames(scheduler)).containsExactlyElementsOf(concat(SCHEDULER_FIELDS, "gateways"));
        assertThat(scheduler.get("gateways")).hasSize(1);
        JsonNode runs = scheduler.at("/gateways/0");
        assertThat(fieldNames(runs)).containsExactly("name", "owner", "live", "liveSince", "runs", "succeeded", "failures",
                "failed", "skipped", "consecutiveFailures", "lastRun");
        assertThat(runs.get("name").asText()).isEqualTo("default");
        JsonNode statistics = scheduler.get("statistics");
        for (String figure : List.of("runs", "succeeded", "failures", "failed", "skipped", "consecutiveFailures")) {
            assertThat(runs.get(figure)).as(figure).isEqualTo(statistics.get(figure));
        }
        assertThat(runs.get("runs").asLong()).isEqualTo(2);
        assertThat(runs.at("/lastRun/runId")).isEqualTo(lastRun.get("runId"));
    }

    @Test
    @Order(2)
    void everyGatewayInTheDatabaseWithItsOwnerFreshnessAndRuns() throws Exception {
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant liveSince = now.minusSeconds(1800);
        try {
            // alpha: owned by node-a, live, synced 20 s ago
            GatewayRows.owner(db, "alpha", 4, "node-a", now.minusSeconds(3600), liveSince);
            GatewayRows.run(db, "alpha", "node-a", "FAILED", now.minusSeconds(60), null);
            long alphaRun = GatewayRows.run(db, "alpha", "node-a", "SUCCEEDED", now.minusSeconds(20), null);
            // beta: owned by node-b, not live; its last full success 2 h ago, then a failure and a skip (and a scoped
            // failure, which is no full run)
            GatewayRows.owner(db, "beta", 2, "node-b", now.minusSeconds(7200), null);
            GatewayRows.run(db, "beta", "node-b", "SUCCEEDED", now.minusSeconds(7200), null);
            GatewayRows.run(db, "beta", "node-b", "FAILED", now.minusSeconds(5400), null);
            GatewayRows.run(db, "beta", "node-b", "FAILED", now.minusSeconds(5000), List.of("DU1000001"));
            long betaRun = GatewayRows.run(db, "beta", "node-c", "SKIPPED_INCOMPLETE", now.minusSeconds(3600), null);
            // gamma: no owner recorded, synced 5 min ago (past amber at 180 s, before red at 600 s)
            GatewayRows.run(db, "gamma", null, "SUCCEEDED", now.minusSeconds(300), null);
            // delta: owned, never run
            GatewayRows.owner(db, "delta", 1, "node-d", now.minusSeconds(60), null);

            JsonNode status = service.getJson("api/sync/status");
            JsonNode gateways = status.get("gateways");
            assertThat(gateways.findValuesAsText("name")).containsExactly("alpha", "beta", "default", "delta", "gamma");

            JsonNode alpha = gateways.get(0);
            assertThat(alpha.get("owner").asText()).isEqualTo("node-a");
            assertThat(alpha.get("epoch").asLong()).isEqualTo(4);
            assertThat(alpha.get("live").asBoolean()).isTrue();
            assertThat(Instant.parse(alpha.get("liveSince").asText())).isEqualTo(liveSince);
            assertThat(alpha.at("/lastRun/runId").asLong()).isEqualTo(alphaRun);
            assertThat(alpha.at("/lastRun/status").asText()).isEqualTo("SUCCEEDED");
            assertThat(alpha.at("/lastRun/instance").asText()).isEqualTo("node-a");
            assertThat(alpha.get("lastSuccessAgeSeconds").asLong()).isBetween(20L, 120L);
            assertThat(alpha.get("consecutiveFailures").asLong()).isZero();
            assertThat(alpha.get("freshness").asText()).isEqualTo("FRESH");

            JsonNode beta = gateways.get(1);
            assertThat(beta.get("owner").asText()).isEqualTo("node-b");
            assertThat(beta.get("epoch").asLong()).isEqualTo(2);
            assertThat(beta.get("live").asBoolean()).isFalse();
            assertThat(beta.get("liveSince").isNull()).isTrue();
            assertThat(beta.at("/lastRun/runId").asLong()).isEqualTo(betaRun);
            assertThat(beta.at("/lastRun/status").asText()).isEqualTo("SKIPPED_INCOMPLETE");
            assertThat(beta.at("/lastRun/instance").asText()).isEqualTo("node-c");
            assertThat(beta.at("/lastRun/error").asText()).contains("answered nothing");
            assertThat(Instant.parse(beta.get("lastSuccessfulSyncAt").asText()))
                    .isEqualTo(now.minusSeconds(7200));
            assertThat(beta.get("lastSuccessAgeSeconds").asLong()).isGreaterThanOrEqualTo(7200);
            assertThat(beta.get("consecutiveFailures").asLong()).isEqualTo(2);
            assertThat(beta.get("freshness").asText()).isEqualTo("RED");

            assertThat(gateways.get(2).get("name").asText()).isEqualTo("default");
            assertThat(gateways.get(2).get("freshness").asText()).isEqualTo("FRESH");

            JsonNode delta = gateways.get(3);
            assertThat(delta.get("owner").asText()).isEqualTo("node-d");
            assertThat(delta.get("live").asBoolean()).isFalse();
            assertThat(delta.get("lastRun").isNull()).isTrue();
            assertThat(delta.get("lastSuccessfulSyncAt").isNull()).isTrue();
            assertThat(delta.get("lastSuccessAgeSeconds").isNull()).isTrue();
            assertThat(delta.get("consecutiveFailures").asLong()).isZero();
            assertThat(delta.get("freshness").asText()).isEqualTo("NEVER");

            JsonNode gamma = gateways.get(4);
            assertThat(gamma.get("owner").isNull()).as("no owner recorded").isTrue();
            assertThat(gamma.get("epoch").isNull()).isTrue();
            assertThat(gamma.get("ownedSince").isNull()).isTrue();
            assertThat(gamma.at("/lastRun/instance").isNull()).isTrue();
            assertThat(gamma.get("freshness").asText()).isEqualTo("AMBER");

            JsonNode scheduler = service.getJson("api/scheduler/status").get("gateways");
            assertThat(scheduler.findValuesAsText("name")).containsExactly("alpha", "beta", "default", "delta", "gamma");
            assertThat(scheduler.get(0).get("owner").asText()).isEqualTo("node-a");
            assertThat(scheduler.get(0).get("live").asBoolean()).isTrue();
            assertThat(scheduler.get(0).get("runs").asLong()).isEqualTo(2);
            assertThat(scheduler.get(0).get("succeeded").asLong()).isEqualTo(1);
            assertThat(scheduler.get(0).get("failed").asLong()).isEqualTo(1);
            assertThat(scheduler.get(0).get("consecutiveFailures").asLong()).isZero();
            assertThat(scheduler.get(0).at("/lastRun/runId").asLong()).isEqualTo(alphaRun);
            JsonNode betaRuns = scheduler.get(1);
            assertThat(betaRuns.get("owner").asText()).isEqualTo("node-b");
            assertThat(betaRuns.get("live").asBoolean()).isFalse();
            assertThat(betaRuns.get("runs").asLong()).isEqualTo(4);
            assertThat(betaRuns.get("succeeded").asLong()).isEqualTo(1);
            assertThat(betaRuns.get("failures").asLong()).isEqualTo(3);
            assertThat(betaRuns.get("failed").asLong()).isEqualTo(2);
            assertThat(betaRuns.get("skipped").asLong()).isEqualTo(1);
            assertThat(betaRuns.get("consecutiveFailures").asLong()).isEqualTo(2);
            assertThat(betaRuns.at("/lastRun/status").asText()).isEqualTo("SKIPPED_INCOMPLETE");
            assertThat(scheduler.get(2).get("runs").asLong())
                    .isEqualTo(service.count("SELECT count(*) FROM sync_runs WHERE gateway = 'default'"));
            assertThat(scheduler.get(3).get("runs").asLong()).isZero();
            assertThat(scheduler.get(3).get("lastRun").isNull()).isTrue();
            assertThat(scheduler.get(4).get("succeeded").asLong()).isEqualTo(1);
        } finally {
            GatewayRows.remove(db, "alpha", "beta", "gamma", "delta");
        }
    }

    @Test
    void freshnessByTheStalenessThresholds() {
        ApiSettings settings = new ApiSettings(Duration.ofSeconds(1), Duration.ofMinutes(1), 180, 600,
                Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ZERO);
        assertThat(Freshness.of(null, settings)).isEqualTo(Freshness.NEVER);
        assertThat(Freshness.of(0L, settings)).isEqualTo(Freshness.FRESH);
        assertThat(Freshness.of(180L, settings)).isEqualTo(Freshness.FRESH);
        assertThat(Freshness.of(181L, settings)).isEqualTo(Freshness.AMBER);
        assertThat(Freshness.of(600L, settings)).isEqualTo(Freshness.AMBER);
        assertThat(Freshness.of(601L, settings)).isEqualTo(Freshness.RED);
        Instant now = Instant.parse("2026-12-06T02:00:00Z");
        assertThat(Freshness.ageSeconds(now.minusMillis(181_900), now)).isEqualTo(181L);
        assertThat(Freshness.ageSeconds(now.plusSeconds(5), now)).as("a clock behind the database's").isZero();
        assertThat(Freshness.ageSeconds(null, now)).isNull();
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext();) {
            names.add(it.next());
        }
        return names;
    }

    private static List<String> concat(List<String> names, String last) {
        List<String> all = new ArrayList<>(names);
        all.add(last);
        return all;
    }
}
