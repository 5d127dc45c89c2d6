package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The zero-config service with its trading demo shows what it is for, seen only through the HTTP API: closed
 * positions with realized P&L from executions, a win rate, histories of several entries, an estimate that the
 * late fill replaced, and a reconciliation break raised and resolved, all within a bounded time; and it is live:
 * runs of the accounts its trader's fills concern book them as they happen.
 */
class DemoTradingServiceTest {
    /** A fast pace: a run a second, a move every quarter of a second. */
    static final Map<String, String> FAST = Map.of(
            "psync.sync.period", "1s",
            "psync.sim.trade-interval-ms", "250",
            "psync.ibkr.commission-wait-ms", "200",
            "psync.api.token", ApiExamples.TOKEN);
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @Test
    void theDemoShowsClosedPositionsAWinRateHistoriesAnAdjustedEstimateAndAResolvedBreak() throws Exception {
        try (ServiceUnderTest service = ServiceUnderTest.startDemo(FAST)) {
            DemoProgress progress = awaitEverything(service, DEADLINE);

            JsonNode closed = progress.closedFromExecutions;
            assertThat(closed.get("status").asText()).isEqualTo("CLOSED");
            assertThat(closed.get("quantity").decimalValue()).isZero();
            assertThat(closed.get("realizedPnl").isNull()).isFalse();
            assertThat(progress.winRate.decimalValue()).isBetween(java.math.BigDecimal.ZERO, java.math.BigDecimal.ONE);
            JsonNode summary = service.getJson("api/portfolio/summary").get("overall");
            assertThat(summary.get("closedWithPnl").asLong()).isPositive();
            assertThat(summary.get("closedCount").asLong()).isPositive();

            JsonNode history = service.getJson("api/positions/" + progress.estimateReplaced + "/history").get("history");
            assertThat(DemoProgress.replacesAnEstimate(history)).as("history %s", history).isTrue();
            assertThat(service.getJson("api/positions/" + progress.severalEntries + "/history").get("history").size())
                    .isGreaterThan(1);
            assertThat(progress.resolvedKind("COMMISSION_PENDING")).isTrue();
            // Every run succeeded; the timer's next one may be in flight (single flight: the newest, at most one).
            JsonNode runs = service.getJson("api/sync/runs?limit=500").get("runs");
            for (int i = 0; i < runs.size(); i++) {
                JsonNode run = runs.get(i);
                if (i == 0 && "RUNNING".equals(run.get("status").asText())) {
                    continue;
                }
                assertThat(run.get("status").asText()).as("run %s", run).isEqualTo("SUCCEEDED");
            }

            // The demo is live: its trader's fills are pushed, and runs of just the accounts they concern book them.
            await().atMost(DEADLINE).until(() -> {
                JsonNode recent = service.getJson("api/sync/runs?limit=500").get("runs");
                for (JsonNode run : recent) {
                    if ("EVENT".equals(run.get("trigger").asText()) && run.has("accounts")
                            && "SUCCEEDED".equals(run.get("status").asText())) {
                        return true;
                    }
                }
                return false;
            });

            // The documented examples still have the fields the service answers with (regenerate them with
            // ApiDocsRegenerationTest when this fails).
            List<ApiExamples.Example> examples = ApiExamples.capture(service, progress.estimateReplaced);
            String doc = Files.readString(ApiDocsRegenerationTest.API_DOC, StandardCharsets.UTF_8);
            assertThat(ApiExamples.shapeDifferences(doc, examples)).as("docs/api.md against the service").isEmpty();
        }
    }

    /** Polls the API until the demo has shown everything, failing with what is missing after {@code atMost}. */
    static DemoProgress awaitEverything(ServiceUnderTest service, Duration atMost) {
        DemoProgress progress = new DemoProgress();
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> progress.poll(service));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("within " + atMost + " the demo did not show everything: " + progress, e);
        }
        return progress;
    }
}
