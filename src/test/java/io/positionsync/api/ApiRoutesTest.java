package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.camel.ProducerTemplate;
import org.apache.camel.spi.AsyncProcessorAwaitManager;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.store.BreakRepository;
import io.positionsync.sync.AccountClaims;
import io.positionsync.sync.ReconciliationBreak;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The API as the routes declare it: one ObjectMapper in the registry, the manual trigger's route waiting without a
 * thread, and the breaks read by camel-jdbc with bind parameters only.
 */
@PositionSyncService(awaitFirstRun = true, properties = "psync.api.sync-wait-ms=60000")
class ApiRoutesTest {
    private static final Duration SLOW_SNAPSHOT = Duration.ofSeconds(3);
    private static final int TRIGGERS = 5;

    static TestDatabase db;
    static GatewaySimulator sim;
    static ServiceUnderTest service;

    @Test
    void theRegistryHoldsOneObjectMapperAndTheRoutesWriteWithIt() {
        Set<ObjectMapper> mappers = service.context().getRegistry().findByType(ObjectMapper.class);

        assertThat(mappers).hasSize(1);
        assertThat(mappers.iterator().next())
                .isSameAs(service.context().getRegistry().lookupByName(ApiJson.BEAN));
        // the decimals of a route's answer as the mapper writes them: strings, as stored
        JsonNode overall = service.getJson("api/portfolio/summary").get("overall");
        assertThat(overall.get("realizedPnl").isTextual()).as(overall.toString()).isTrue();
        assertThat(overall.get("realizedPnl").asText()).matches("-?[0-9]+(\\.[0-9]+)?");
    }

    @Test
    void theRoutesAreTheRestVerbsTheTriggerAndTheCatchAll() {
        List<String> ids = service.context().getRoutes().stream().map(org.apache.camel.Route::getRouteId)
                .filter(id -> id.startsWith("api-") || id.startsWith("web-")).sorted().toList();
        System.out.println("HTTP routes: " + ids);

        assertThat(ids).containsExactly("api-breaks", "api-breaks-open-count", "api-breaks-page", "api-pnl-daily",
                "api-portfolio-summary", "api-position-history", "api-positions", "api-positions-csv",
                "api-scheduler-status", "api-sync-runs", "api-sync-status", "api-sync-trigger", "web-dashboard",
                "web-dashboard-chart-script", "web-dashboard-chart-styles", "web-dashboard-script",
                "web-dashboard-styles", "web-unmatched");
        // the trigger's route is the one that answers its POST, on the asynchronous engine
        org.apache.camel.Route trigger = service.context().getRoute("api-sync-trigger");
        assertThat(((org.apache.camel.component.platform.http.PlatformHttpEndpoint) trigger.getEndpoint())
                .getPlatformHttpEngine()).isInstanceOf(AsyncHttpEngine.class);
    }

    @Test
    void waitingTriggersHoldNoThreadWhileTheRunGoesOn() throws Exception {
        SyncApi api = service.context().getRegistry().lookupByNameAndType("syncApi", SyncApi.class);
        AsyncProcessorAwaitManager awaiting = service.context().getCamelContextExtension()
                .getContextPlugin(AsyncProcessorAwaitManager.class);
        sim.faults().delayEnd(SnapshotPhase.POSITIONS, SLOW_SNAPSHOT);
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < TRIGGERS; i++) {
            answers.add(CompletableFuture.supplyAsync(() -> service.sync(null)));
        }
        await().atMost(SLOW_SNAPSHOT.minusSeconds(1)).until(() -> api.waitingTriggers() == TRIGGERS);

        // every caller waits for the run, and no thread waits for them: none parked on an exchange, reads answer
        assertThat(awaiting.size()).as("threads blocked waiting for an exchange").isZero();
        assertThat(service.get("api/sync/status").statusCode()).isEqualTo(200);
        assertThat(api.waitingTriggers()).isEqualTo(TRIGGERS);

        Set<Long> runIds = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue(HttpResponses.JSON);
            assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
            runIds.add(ServiceUnderTest.json(response).get("runId").asLong());
        }
        assertThat(runIds).hasSize(1);
    }

    @Test
    void theBreaksQueryBindsAHostileStatusAsAValue() throws Exception {
        long runId = service.getJson("api/sync/status").get("lastRun").get("runId").asLong();
        try (Connection connection = db.connection()) {
            new BreakRepository(db.dataSource()).record(connection, List.of(ReconciliationBreak.detected(runId, null,
                    "DU1", 990_001, "HOSTILE", "USD", new BigDecimal("1.00"), new BigDecimal("2.00"),
                    new BigDecimal("0.01"), Instant.parse("2026-03-02T14:30:00Z"), "planted by the test", "FX_RATE_MISSING")));
        }
        ProducerTemplate template = service.context().createProducerTemplate();

        List<?> open = template.requestBodyAndHeaders("direct:breaks-page", null,
                Map.of(BreaksApi.STATUS_HEADER, "open", "limit", 500), List.class);
        // as text in the SQL, this would select every row; bound, it is a status that matches none
        List<?> hostile = template.requestBodyAndHeaders("direct:breaks-page", null,
                Map.of(BreaksApi.STATUS_HEADER, "open' OR '1'='1", "limit", 500), List.class);
        List<?> resolved = template.requestBodyAndHeaders("direct:breaks-page", null,
                Map.of(BreaksApi.STATUS_HEADER, "resolved", "limit", 500), List.class);

        assertThat(open).anySatisfy(row -> assertThat(((Map<?, ?>) row).get("symbol")).isEqualTo("HOSTILE"));
        assertThat(hostile).isEmpty();
        assertThat(resolved).noneSatisfy(row -> assertThat(((Map<?, ?>) row).get("symbol")).isEqualTo("HOSTILE"));
        assertThat(service.get("api/breaks?status=open'%20OR%20'1'='1").statusCode()).isEqualTo(400);
        JsonNode page = service.getJson("api/breaks?status=open");
        assertThat(page.get("openCount").asLong()).isEqualTo(open.size());
        assertThat(page.get("breaks").findValuesAsText("symbol")).contains("HOSTILE");
        JsonNode planted = null;
        for (JsonNode row : page.get("breaks")) {
            planted = "HOSTILE".equals(row.get("symbol").asText()) ? row : planted;
        }
        assertThat(planted.get("ours").asText()).isEqualTo("1.00");
        assertThat(planted.get("detectedAt").asText()).isEqualTo("2026-03-02T14:30:00Z");
    }

    private static JsonNode accountConflict(JsonNode breaks) {
        for (JsonNode row : breaks) {
            if ("ACCOUNT_CONFLICT".equals(row.get("kind").asText()) && "DU7770001".equals(row.get("account").asText())) {
                return row;
            }
        }
        return null;
    }

    @Test
    void anAccountConflictIsListedLikeAnyBreakThoughItNamesNoContract() throws Exception {
        long runId = service.getJson("api/sync/status").get("lastRun").get("runId").asLong();
        BreakRepository breaks = new BreakRepository(db.dataSource());
        AccountClaims.Conflict conflict = new AccountClaims.Conflict("DU7770001",
                new java.util.TreeSet<>(Set.of("default", "g2")));
        try (Connection connection = db.connection()) {
            assertThat(breaks.recordAccountConflicts(connection, runId, List.of(conflict),
                    Instant.parse("2026-03-02T14:30:00Z"))).containsExactly("DU7770001");
            assertThat(breaks.recordAccountConflicts(connection, runId, List.of(conflict),
                    Instant.parse("2026-03-02T14:31:00Z"))).as("one open per account").isEmpty();
        }

        HttpResponse<String> open = service.get("api/breaks?status=open");
        assertThat(open.statusCode()).as(open.body()).isEqualTo(200);
        JsonNode listed = accountConflict(ServiceUnderTest.json(open).get("breaks"));
        assertThat(listed).as(open.body()).isNotNull();
        assertThat(listed.get("conId").asLong()).as("no contract").isZero();
        assertThat(listed.get("symbol").isNull()).isTrue();
        assertThat(listed.get("note").asText()).isEqualTo(conflict.note());
        assertThat(listed.get("runId").asLong()).isEqualTo(runId);
        JsonNode inStatus = accountConflict(service.getJson("api/sync/status").get("openBreaks"));
        assertThat(inStatus).isNotNull();
        assertThat(inStatus.get("conId").asLong()).isZero();
        assertThat(inStatus.get("note").asText()).isEqualTo(conflict.note());

        try (Connection connection = db.connection()) {
            assertThat(breaks.resolveAccountConflicts(connection, runId, List.of("DU7770001"),
                    Instant.parse("2026-03-02T14:40:00Z"))).containsExactly("DU7770001");
        }
        assertThat(accountConflict(service.getJson("api/breaks?status=open").get("breaks"))).isNull();
        JsonNode resolved = accountConflict(service.getJson("api/breaks?status=resolved&limit=500").get("breaks"));
        assertThat(resolved).isNotNull();
        assertThat(resolved.get("resolvedRunId").asLong()).isEqualTo(runId);
        assertThat(resolved.get("resolvedAt").asText()).isEqualTo("2026-03-02T14:40:00Z");
    }
}
