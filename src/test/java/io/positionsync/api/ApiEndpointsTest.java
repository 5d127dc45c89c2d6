package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * Every endpoint of the running service against real PostgreSQL and the gateway simulator: the start-up run
 * opens the demo positions, then one AAPL lifecycle is sold out (a closing execution) and synced by hand.
 */
@PositionSyncService(awaitFirstRun = true)
class ApiEndpointsTest {
    private static final String ACCOUNT = "DU1000001";
    private static final long AAPL = 265598;
    private static final BigDecimal AAPL_REALIZED = new BigDecimal("4497.00"); // (190.00 - 167.51) * 200 - 1.00

    static GatewaySimulator sim;
    static ServiceUnderTest service;
    static long closingRunId;

    @BeforeAll
    static void start() throws Exception {
        sim.state().trade(ACCOUNT, AAPL, Side.SLD, new BigDecimal("200"), new BigDecimal("190.00"), new BigDecimal("1.00"));
        HttpResponse<String> closing = service.sync(null);
        assertThat(closing.statusCode()).isEqualTo(200);
        JsonNode run = ServiceUnderTest.json(closing);
        assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(run.get("closed").asInt()).isEqualTo(1);
        closingRunId = run.get("runId").asLong();
    }

    // ------------------------------------------------------------------------------------ sync status

    @Test
    void syncStatusTellsGatewayRunsFailuresTotalsBreaksAndThresholds() {
        JsonNode status = service.getJson("api/sync/status");

        assertThat(status.at("/gateway/state").asText()).isEqualTo("UP");
        assertThat(Instant.parse(status.at("/gateway/since").asText())).isBeforeOrEqualTo(Instant.now());
        assertThat(status.get("inFlight").isBoolean()).isTrue();
        assertThat(status.get("lastRun").get("runId").isNumber()).isTrue();
        JsonNode lastSuccess = status.get("lastSuccessfulRun");
        assertThat(lastSuccess.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.get("lastSuccessfulSyncAt").asText()).isEqualTo(lastSuccess.get("finishedAt").asText());
        assertThat(status.get("lastSuccessAgeSeconds").isIntegralNumber()).isTrue();
        assertThat(status.get("lastSuccessAgeSeconds").asLong()).isBetween(0L, 60L);
        assertThat(status.get("consecutiveFailures").asLong()).isZero();
        JsonNode totals = status.get("totals");
        assertThat(totals.get("runs").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(totals.get("succeeded").asLong()).isEqualTo(totals.get("runs").asLong());
        assertThat(totals.get("failed").asLong()).isZero();
        assertThat(totals.get("skipped").asLong()).isZero();
        assertThat(status.get("openBreakCount").asLong()).isEqualTo(status.get("openBreaks").size());
        assertThat(status.at("/staleness/amberSeconds").asLong()).isEqualTo(180);
        assertThat(status.at("/staleness/redSeconds").asLong()).isEqualTo(600);
    }

    // ------------------------------------------------------------------------------------ runs

    @Test
    void runsAreNewestFirstAndLimited() {
        service.sync(null);
        JsonNode all = service.getJson("api/sync/runs?limit=500");
        List<Long> ids = new ArrayList<>();
        all.get("runs").forEach(run -> ids.add(run.get("runId").asLong()));
        assertThat(ids).hasSizeGreaterThanOrEqualTo(3).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        JsonNode first = all.get("runs").get(0);
        for (String field : List.of("runId", "trigger", "status", "opened", "updated", "closed", "unchanged",
                "startedAt", "finishedAt", "error", "accounts", "durationMs")) {
            assertThat(first.has(field)).as(field).isTrue();
        }

        JsonNode two = service.getJson("api/sync/runs?limit=2");
        assertThat(two.get("limit").asInt()).isEqualTo(2);
        assertThat(two.get("runs")).hasSize(2);
        assertThat(two.get("runs").get(0).get("runId").asLong()).isEqualTo(ids.get(0));
        assertThat(two.get("runs").get(1).get("runId").asLong()).isEqualTo(ids.get(1));
    }

    @ParameterizedTest
    @CsvSource({
        "api/sync/runs?limit=0, limit",
        "api/sync/runs?limit=501, limit",
        "api/sync/runs?limit=ten, limit",
        "api/positions?status=pending, status",
        "api/positions?limit=0, limit",
        "api/positions?limit=1001, limit",
        "api/positions?offset=-1, offset",
        "api/positions?stale_minutes=-5, stale_minutes",
        "api/positions?stale_minutes=soon, stale_minutes",
        "api/positions?account=DU1%27%20OR%201=1, account",
        "api/positions/abc/history, id",
        "api/positions/0/history, id",
        "api/positions/99999999999999999999/history, id"})
    void badParametersAre400NamingTheParameter(String path, String parameter) {
        HttpResponse<String> response = service.get(path);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(HttpResponses.JSON);
        JsonNode error = ServiceUnderTest.json(response);
        assertThat(error.get("status").asInt()).isEqualTo(400);
        assertThat(error.get("error").asText()).contains("'" + parameter + "'");
    }

    // ------------------------------------------------------------------------------------ scheduler

    @Test
    void schedulerStatusTellsPeriodNextFireRunningAndStatistics() {
        JsonNode scheduler = service.getJson("api/scheduler/status");

        assertThat(scheduler.get("routeId").asText()).isEqualTo("sync-timer");
        assertThat(scheduler.get("running").asBoolean()).isTrue();
        assertThat(scheduler.get("routeStatus").asText()).isEqualTo("Started");
        assertThat(scheduler.get("periodMs").asLong()).isEqualTo(3_600_000L);
        Instant lastFired = Instant.parse(scheduler.get("lastFiredAt").asText());
        assertThat(Instant.parse(scheduler.get("nextFireAt").asText())).isEqualTo(lastFired.plus(Duration.ofHours(1)));
        JsonNode statistics = scheduler.get("statistics");
        assertThat(statistics.get("runs").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(statistics.get("failures").asLong()).isZero();
        assertThat(statistics.get("averageDurationMs").isIntegralNumber()).isTrue();
        assertThat(statistics.get("lastDurationMs").isIntegralNumber()).isTrue();
        JsonNode sinceStart = scheduler.get("statisticsSinceStart");
        assertThat(sinceStart.get("runs").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(sinceStart.get("succeeded").asLong()).isEqualTo(sinceStart.get("runs").asLong());
    }

    // ------------------------------------------------------------------------------------ positions

    @Test
    void positionsFilterByStatusAndAccount() {
        JsonNode open = service.getJson("api/positions?status=open");
        JsonNode closed = service.getJson("api/positions?status=closed");
        JsonNode all = service.getJson("api/positions");

        assertThat(open.get("positions")).isNotEmpty().allSatisfy(p -> assertThat(p.get("status").asText()).isEqualTo("OPEN"));
        assertThat(closed.get("positions")).hasSize(1);
        JsonNode aapl = closed.get("positions").get(0);
        assertThat(aapl.get("symbol").asText()).isEqualTo("AAPL");
        assertThat(aapl.get("account").asText()).isEqualTo(ACCOUNT);
        assertThat(new BigDecimal(aapl.get("realizedPnl").asText())).isEqualByComparingTo(AAPL_REALIZED);
        assertThat(aapl.get("realizedPnlSource").asText()).isEqualTo("EXECUTIONS");
        assertThat(aapl.get("closedAt").isTextual()).isTrue();
        assertThat(all.get("status").asText()).isEqualTo("all");
        assertThat(all.get("total").asLong()).isEqualTo(open.get("total").asLong() + closed.get("total").asLong());

        JsonNode oneAccount = service.getJson("api/positions?status=all&account=" + ACCOUNT);
        assertThat(oneAccount.get("positions")).isNotEmpty()
                .allSatisfy(p -> assertThat(p.get("account").asText()).isEqualTo(ACCOUNT));
        assertThat(oneAccount.get("total").asLong()).isLessThan(all.get("total").asLong());
        assertThat(service.getJson("api/positions?account=DU9999999").get("positions")).isEmpty();
    }

    @Test
    void positionsArePagedWithoutOverlap() {
        long total = service.getJson("api/positions").get("total").asLong();
        Set<Long> seen = new HashSet<>();
        for (int offset = 0; offset < total; offset += 2) {
            JsonNode page = service.getJson("api/positions?limit=2&offset=" + offset);
            assertThat(page.get("limit").asInt()).isEqualTo(2);
            assertThat(page.get("offset").asInt()).isEqualTo(offset);
            page.get("positions").forEach(p -> assertThat(seen.add(p.get("id").asLong())).as("id seen twice").isTrue());
        }
        assertThat(seen).hasSize((int) total);
    }

    @Test
    void staleMinutesReturnsPositionsNotSyncedWithinThatTime() {
        // Every run touches the open rows; the closed AAPL row was last synced by the run that closed it.
        JsonNode notSyncedForAnHour = service.getJson("api/positions?stale_minutes=60");
        assertThat(notSyncedForAnHour.get("positions")).isEmpty();
        assertThat(notSyncedForAnHour.get("staleMinutes").asInt()).isEqualTo(60);

        JsonNode all = service.getJson("api/positions?stale_minutes=0");
        assertThat(all.get("total").asLong()).isEqualTo(service.getJson("api/positions").get("total").asLong());
    }

    @Test
    void moneyAndQuantitiesAreDecimalStrings() {
        JsonNode es = null;
        for (JsonNode p : service.getJson("api/positions?status=open&account=" + ACCOUNT).get("positions")) {
            if (p.get("symbol").asText().equals("ES")) {
                es = p;
            }
        }
        assertThat(es).isNotNull();
        assertThat(es.get("averagePrice").isTextual()).isTrue();
        assertThat(new BigDecimal(es.get("averagePrice").asText())).isEqualByComparingTo("5000.048");
        assertThat(es.get("multiplier").asText()).isEqualTo("50");
        assertThat(es.get("quantity").isTextual()).isTrue();
        assertThat(es.get("id").isIntegralNumber()).isTrue();
    }

    // ------------------------------------------------------------------------------------ history

    @Test
    void historyShowsTheLifecycleRunByRunWithItsExecutions() {
        long id = service.getJson("api/positions?status=closed").get("positions").get(0).get("id").asLong();

        JsonNode body = service.getJson("api/positions/" + id + "/history");

        assertThat(body.at("/position/id").asLong()).isEqualTo(id);
        JsonNode history = body.get("history");
        assertThat(history.get(0).get("change").asText()).isEqualTo("OPENED");
        JsonNode close = history.get(history.size() - 1);
        assertThat(close.get("change").asText()).isEqualTo("CLOSED");
        assertThat(close.get("runId").asLong()).isEqualTo(closingRunId);
        assertThat(new BigDecimal(close.get("quantityBefore").asText())).isEqualByComparingTo("200");
        assertThat(new BigDecimal(close.get("quantityAfter").asText())).isEqualByComparingTo("0");
        assertThat(new BigDecimal(close.get("realizedPnlTotal").asText())).isEqualByComparingTo(AAPL_REALIZED);
        assertThat(new BigDecimal(close.get("exitPrice").asText())).isEqualByComparingTo("190.00");
        JsonNode execution = close.get("executions").get(0);
        assertThat(execution.get("side").asText()).isEqualTo("SLD");
        assertThat(new BigDecimal(execution.get("shares").asText())).isEqualByComparingTo("200");
        assertThat(new BigDecimal(execution.get("commission").asText())).isEqualByComparingTo("1.00");
        assertThat(close.get("execIds")).extracting(JsonNode::asText).contains(execution.get("execId").asText());
    }

    @Test
    void historyOfAnUnknownPositionIs404() {
        HttpResponse<String> response = service.get("api/positions/987654321/history");

        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = ServiceUnderTest.json(response);
        assertThat(error.get("status").asInt()).isEqualTo(404);
        assertThat(error.get("error").asText()).contains("987654321");
    }

    // ------------------------------------------------------------------------------------ summary

    @Test
    void portfolioSummaryIsLiveWithWinRateAndItsDefinition() {
        JsonNode summary = service.getJson("api/portfolio/summary");
        long open = service.getJson("api/positions?status=open").get("total").asLong();

        assertThat(summary.get("source").asText()).isEqualTo("LIVE");
        assertThat(summary.get("gatewayState").asText()).isEqualTo("UP");
        assertThat(summary.get("winRateDefinition").asText()).contains("realized_pnl > 0").contains("breakeven");
        assertThat(summary.get("lastSyncedAt").asText())
                .isEqualTo(service.getJson("api/sync/status").get("lastSuccessfulSyncAt").asText());
        JsonNode overall = summary.get("overall");
        assertThat(overall.get("openCount").asLong()).isEqualTo(open);
        assertThat(overall.get("closedCount").asLong()).isEqualTo(1);
        assertThat(overall.get("wins").asLong()).isEqualTo(1);
        assertThat(overall.get("closedWithPnl").asLong()).isEqualTo(1);
        assertThat(new BigDecimal(overall.get("winRate").asText())).isEqualByComparingTo("1");
        assertThat(new BigDecimal(overall.get("realizedPnl").asText())).isEqualByComparingTo(AAPL_REALIZED);
        BigDecimal total = new BigDecimal(overall.get("totalPnl").asText());
        assertThat(total).isEqualByComparingTo(new BigDecimal(overall.get("realizedPnl").asText())
                .add(new BigDecimal(overall.get("unrealizedPnl").asText())));

        JsonNode accounts = summary.get("accounts");
        assertThat(accounts).extracting(a -> a.get("account").asText()).containsExactly("DU1000001", "DU1000002");
        long openByAccount = 0;
        BigDecimal totalByAccount = BigDecimal.ZERO;
        for (JsonNode account : accounts) {
            openByAccount += account.get("openCount").asLong();
            totalByAccount = totalByAccount.add(new BigDecimal(account.get("totalPnl").asText()));
        }
        assertThat(openByAccount).isEqualTo(open);
        assertThat(totalByAccount).isEqualByComparingTo(total);
    }

    // ------------------------------------------------------------------------------------ manual trigger

    @Test
    void manualTriggerAnswersWithTheRunSummary() {
        HttpResponse<String> response = service.sync(null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(HttpResponses.JSON);
        JsonNode run = ServiceUnderTest.json(response);
        assertThat(run.get("runId").isIntegralNumber()).isTrue();
        assertThat(run.get("trigger").asText()).isEqualTo("MANUAL");
        assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(run.get("unchanged").asInt()).isPositive();
        for (String field : List.of("opened", "updated", "closed")) {
            assertThat(run.get(field).asInt()).as(field).isZero();
        }
        assertThat(Instant.parse(run.get("finishedAt").asText())).isAfterOrEqualTo(Instant.parse(run.get("startedAt").asText()));
        assertThat(run.get("error").isNull()).isTrue();
        assertThat(service.getJson("api/sync/runs?limit=1").at("/runs/0/runId").asLong()).isEqualTo(run.get("runId").asLong());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''",
        "Bearer wrong-token",
        "Bearer " + ServiceUnderTest.TOKEN + "x",
        "Basic dGVzdDp0ZXN0",
        "Bearer",
        ServiceUnderTest.TOKEN})
    void manualTriggerWithoutTheRightTokenIs401AndStartsNothing(String authorization) {
        long runsBefore = service.getJson("api/sync/status").at("/totals/runs").asLong();

        HttpResponse<String> response = authorization.isEmpty() ? service.post("api/sync/positions")
                : service.post("api/sync/positions", "Authorization", authorization);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        JsonNode error = ServiceUnderTest.json(response);
        assertThat(error.get("status").asInt()).isEqualTo(401);
        assertThat(error.get("error").asText()).isEqualTo("missing or invalid token");
        assertThat(service.getJson("api/sync/status").at("/totals/runs").asLong()).isEqualTo(runsBefore);
    }

    @Test
    void aManualTriggerNamingAnAccountRunsThatAccountOnlyAndSaysSo() {
        HttpResponse<String> response = service.post("api/sync/positions?accounts=" + ACCOUNT, "Authorization",
                "Bearer " + ServiceUnderTest.TOKEN);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode run = ServiceUnderTest.json(response);
        assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(run.get("accounts")).hasSize(1);
        assertThat(run.get("accounts").get(0).asText()).isEqualTo(ACCOUNT);
        JsonNode listed = service.getJson("api/sync/runs?limit=1").at("/runs/0");
        assertThat(listed.get("runId").asLong()).isEqualTo(run.get("runId").asLong());
        assertThat(listed.get("accounts").get(0).asText()).isEqualTo(ACCOUNT);
        // a run of every account names none
        assertThat(ServiceUnderTest.json(service.sync("key-every-account")).get("accounts").isNull()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"accounts=", "accounts=DU1,,DU2", "accounts=DU%201", "accounts=XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "accounts=%3Bdrop"})
    void aMalformedAccountListIs400AndStartsNothing(String query) {
        long runsBefore = service.getJson("api/sync/status").at("/totals/runs").asLong();

        HttpResponse<String> response = service.post("api/sync/positions?" + query, "Authorization",
                "Bearer " + ServiceUnderTest.TOKEN);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(ServiceUnderTest.json(response).get("error").asText()).startsWith("accounts must be account codes");
        assertThat(service.getJson("api/sync/status").at("/totals/runs").asLong()).isEqualTo(runsBefore);
    }

    @Test
    void sameIdempotencyKeyReturnsTheSameRunAndANewKeyStartsAnother() {
        JsonNode first = ServiceUnderTest.json(service.sync("key-A-1"));
        HttpResponse<String> again = service.sync("key-A-1");
        JsonNode other = ServiceUnderTest.json(service.sync("key-B-1"));

        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue(SyncApi.REPLAYED_HEADER)).hasValue("true");
        assertThat(ServiceUnderTest.json(again)).isEqualTo(first);
        assertThat(other.get("runId").asLong()).isGreaterThan(first.get("runId").asLong());
    }

    @Test
    void idempotencyKeyIsValidated() {
        HttpResponse<String> response = service.sync("x".repeat(SyncApi.IDEMPOTENCY_KEY_MAX_LENGTH + 1));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(ServiceUnderTest.json(response).get("error").asText()).contains("'Idempotency-Key'");
    }

    @Test
    void responsesNeverEchoRequestHeaders() {
        HttpResponse<String> response = service.get("api/sync/runs?limit=1", "Authorization", "Bearer " + ServiceUnderTest.TOKEN,
                "X-Probe", "echo-me");

        assertThat(response.headers().map().keySet()).map(String::toLowerCase)
                .doesNotContain("authorization", "x-probe", "limit");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    // ------------------------------------------------------------------------------------ 404, 405, 413

    @ParameterizedTest
    @CsvSource({"GET, api/nothing", "GET, api/sync", "POST, api/positions/1", "GET, favicon.ico", "DELETE, observe/nothing"})
    void unknownPathsAre404(String method, String path) {
        HttpResponse<String> response = service.request(method, path, null);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(HttpResponses.JSON);
        JsonNode error = ServiceUnderTest.json(response);
        assertThat(error.get("status").asInt()).isEqualTo(404);
        assertThat(error.get("error").asText()).isNotBlank();
    }

    @ParameterizedTest
    @CsvSource({
        "GET, api/sync/positions, POST",
        "DELETE, api/sync/status, GET",
        "POST, api/sync/runs, GET",
        "PUT, api/scheduler/status, GET",
        "POST, api/positions, GET",
        "DELETE, api/positions/1/history, GET",
        "POST, api/portfolio/summary, GET",
        "POST, '', GET",
        "DELETE, dashboard.js, GET"})
    void wrongMethodsAre405WithAllow(String method, String path, String allowed) {
        HttpResponse<String> response = service.request(method, path, null);

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("Allow")).hasValue(allowed);
        JsonNode error = ServiceUnderTest.json(response);
        assertThat(error.get("status").asInt()).isEqualTo(405);
        assertThat(error.get("error").asText()).contains(method);
    }

    @Test
    void requestBodiesAreCapped() {
        byte[] big = new byte[16_385];

        HttpResponse<String> response = service.request("POST", "api/sync/positions", big,
                "Authorization", "Bearer " + ServiceUnderTest.TOKEN);

        assertThat(response.statusCode()).isEqualTo(413);
        JsonNode error = ServiceUnderTest.json(response);
        assertThat(error.get("status").asInt()).isEqualTo(413);
        assertThat(error.get("error").asText()).contains("16384");
    }

    // ------------------------------------------------------------------------------------ dashboard

    @ParameterizedTest
    @CsvSource({
        "'', web/index.html, text/html; charset=utf-8",
        "dashboard.js, web/dashboard.js, text/javascript; charset=utf-8",
        "dashboard.css, web/dashboard.css, text/css; charset=utf-8"})
    void dashboardFilesAreServedWithTheirContentTypes(String path, String resource, String contentType) throws IOException {
        HttpResponse<String> response = service.get(path);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(contentType);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
            assertThat(response.body()).isEqualTo(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void dashboardPageForbidsFramingAndForeignScripts() {
        HttpResponse<String> page = service.get("");

        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("script-src 'self'").contains("frame-ancestors 'none'"));
    }

    // ------------------------------------------------------------------------------------ health, metrics

    @Test
    void healthIsLiveAndReadyWithTheDatabaseAndGatewayChecks() {
        HttpResponse<String> ready = service.get("observe/health/ready?data=true");
        HttpResponse<String> live = service.get("observe/health/live");

        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode readiness = ServiceUnderTest.json(ready);
        assertThat(readiness.get("status").asText()).isEqualTo("UP");
        assertThat(check(readiness, "database").get("status").asText()).isEqualTo("UP");
        JsonNode gateway = check(readiness, "gateway");
        assertThat(gateway.get("status").asText()).isEqualTo("UP");
        assertThat(gateway.at("/data/gateway.state").asText()).isEqualTo("UP");
        assertThat(gateway.at("/data/mode").asText()).isEqualTo("LIVE");

        assertThat(live.statusCode()).isEqualTo(200);
        JsonNode liveness = ServiceUnderTest.json(live);
        assertThat(liveness.get("status").asText()).isEqualTo("UP");
        assertThat(liveness.get("checks")).extracting(c -> c.get("name").asText()).doesNotContain("database", "gateway");
    }

    @Test
    void prometheusMetricsIncludeTheServicesOwnMeters() {
        long open = service.getJson("api/positions?status=open").get("total").asLong();

        HttpResponse<String> response = service.get("observe/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        String text = response.body();
        assertThat(metric(text, "psync_sync_runs_total{status=\"SUCCEEDED\",trigger=\"STARTUP\"}")).isEqualTo(1.0);
        assertThat(metric(text, "psync_sync_runs_total{status=\"SUCCEEDED\",trigger=\"MANUAL\"}")).isGreaterThanOrEqualTo(1);
        assertThat(metric(text, "psync_sync_runs_total{status=\"FAILED\",trigger=\"MANUAL\"}")).isZero();
        assertThat(metric(text, "psync_sync_run_duration_seconds_count")).isGreaterThanOrEqualTo(2);
        assertThat(text).contains("psync_sync_run_duration_seconds_bucket{le=\"1.0\"}");
        assertThat(metric(text, "psync_positions_open{account=\"DU1000001\"}")
                + metric(text, "psync_positions_open{account=\"DU1000002\"}")).isEqualTo(open);
        assertThat(metric(text, "psync_sync_last_success_age_seconds")).isBetween(0.0, 60.0);
        assertThat(metric(text, "psync_sync_consecutive_failures")).isZero();
        assertThat(metric(text, "psync_gateway_state{state=\"UP\"}")).isEqualTo(1.0);
        assertThat(metric(text, "psync_gateway_state{state=\"DOWN\"}")).isZero();
    }

    static JsonNode check(JsonNode health, String name) {
        for (JsonNode check : health.get("checks")) {
            if (check.get("name").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError("no check " + name + " in " + health);
    }

    /** The value of one sample line of the Prometheus text format. */
    static double metric(String text, String sample) {
        for (String line : text.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        throw new AssertionError("no sample " + sample + " in the metrics");
    }
}
