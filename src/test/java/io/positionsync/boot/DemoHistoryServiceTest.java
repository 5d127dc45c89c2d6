package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.DemoHistory;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The zero-config service's first start lives through a few pre-dated trading days before its start-up run, so
 * P&amp;L over time has days to show at once, then trades on live; seen through the HTTP API. The history is
 * deterministic from the seed (prices standing still), and a restart on the same data does not make another one.
 */
class DemoHistoryServiceTest {
    /** Prices standing still, so the same seed makes the same fills at the same prices. */
    private static final Map<String, String> STILL_PRICES = Map.of(
            "psync.sim.price-tick-ms", "0",
            "psync.sim.history-days", "3",
            "psync.ibkr.commission-wait-ms", "200",
            "psync.sync.period", "1s",
            "psync.sim.trade-interval-ms", "250",
            "psync.api.token", ApiExamples.TOKEN);
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    /** A history day: its opening run, the runs after the trader's moves, its closing run. */
    private static final int RUNS_PER_DAY = 8;

    @Test
    void theFirstStartShowsPreDatedDaysOfRealizedPnlAndARestartDoesNotAddMore() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<LocalDate> historyDays = DemoHistory.tradingDaysBefore(today, 3);
        Path dataDir = Files.createTempDirectory(Path.of("target"), "demo-history-");
        Map<LocalDate, List<JsonNode>> firstDaily;
        try (ServiceUnderTest service = ServiceUnderTest.startDemo(dataDir, STILL_PRICES)) {
            List<JsonNode> runs = awaitStartupRun(service);
            List<JsonNode> before = runs.subList(0, runs.size() - 1);
            // Every run of the history succeeded, on its timer, on the history's days, before the start-up run.
            assertThat(before).hasSize(historyDays.size() * RUNS_PER_DAY)
                    .allSatisfy(run -> {
                        assertThat(run.get("trigger").asText()).isEqualTo("TIMER");
                        assertThat(run.get("status").asText()).as("run %s", run).isEqualTo("SUCCEEDED");
                        assertThat(historyDays).contains(day(run.get("startedAt").asText()));
                    });
            assertThat(new TreeSet<>(before.stream().map(run -> day(run.get("startedAt").asText())).toList()))
                    .containsExactlyElementsOf(historyDays);
            JsonNode startup = runs.get(runs.size() - 1);
            assertThat(day(startup.get("startedAt").asText())).isEqualTo(today);

            // Realized P&L on every history day, from executions.
            firstDaily = pastDays(service, today);
            assertThat(firstDaily.keySet()).containsExactlyElementsOf(historyDays);
            firstDaily.values().forEach(rows -> assertThat(rows)
                    .anySatisfy(row -> assertThat(row.get("source").asText()).isEqualTo("EXECUTIONS")));
            assertThat(firstDaily.values().stream().flatMap(List::stream)
                    .map(row -> new BigDecimal(row.get("realizedPnl").asText())).filter(pnl -> pnl.signum() != 0))
                    .as("realized P&L on the history days").isNotEmpty();

            // Then the same trader goes on trading live, and the timer's runs of today apply its fills.
            long startupId = startup.get("runId").asLong();
            await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode recent = service.getJson("api/sync/runs?limit=50").get("runs");
                for (JsonNode run : recent) {
                    if (run.get("runId").asLong() > startupId && run.get("status").asText().equals("SUCCEEDED")
                            && day(run.get("startedAt").asText()).equals(LocalDate.now(ZoneOffset.UTC))
                            && run.get("opened").asInt() + run.get("updated").asInt() + run.get("closed").asInt() > 0) {
                        return true;
                    }
                }
                return false;
            });

            // Positions closed on history days, with their P&L from executions and a history of several entries.
            JsonNode closed = service.getJson("api/positions?status=CLOSED&limit=500").get("positions");
            List<JsonNode> closedBefore = new ArrayList<>();
            closed.forEach(p -> {
                if (day(p.get("closedAt").asText()).isBefore(today)) {
                    closedBefore.add(p);
                }
            });
            assertThat(closedBefore).isNotEmpty().anySatisfy(p -> {
                assertThat(p.get("realizedPnlSource").asText()).isEqualTo("EXECUTIONS");
                assertThat(service.getJson("api/positions/" + p.get("id").asLong() + "/history").get("history").size())
                        .isGreaterThan(1);
            });
        }

        // A restart on the same data: the start-up run comes at once, with no second history.
        try (ServiceUnderTest restarted = ServiceUnderTest.startDemo(dataDir, STILL_PRICES)) {
            List<JsonNode> runs = awaitRuns(restarted, 2);
            assertThat(runs.stream().filter(run -> day(run.get("startedAt").asText()).isBefore(today)))
                    .hasSize(historyDays.size() * RUNS_PER_DAY);
            assertThat(pastDays(restarted, today)).isEqualTo(firstDaily);
        }

        // Another first start with the same seed lives through the same history, to the cent.
        try (ServiceUnderTest again = ServiceUnderTest.startDemo(STILL_PRICES)) {
            awaitStartupRun(again);
            assertThat(pastDays(again, today)).isEqualTo(firstDaily);
        }
    }

    /** The runs, oldest first, once the start-up run has finished. */
    private static List<JsonNode> awaitStartupRun(ServiceUnderTest service) {
        return awaitRuns(service, 1);
    }

    /** The runs, oldest first, once {@code startups} start-up runs have finished. */
    private static List<JsonNode> awaitRuns(ServiceUnderTest service, int startups) {
        List<JsonNode> runs = new ArrayList<>();
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
            runs.clear();
            service.getJson("api/sync/runs?limit=500").get("runs").forEach(runs::add);
            return runs.stream().filter(run -> run.get("trigger").asText().equals("STARTUP")
                    && !run.get("status").asText().equals("RUNNING")).count() == startups;
        });
        runs.sort((a, b) -> Long.compare(a.get("runId").asLong(), b.get("runId").asLong()));
        // Only what ran up to the last start-up run: the timer goes on after it.
        int last = 0;
        for (int i = 0; i < runs.size(); i++) {
            if (runs.get(i).get("trigger").asText().equals("STARTUP")) {
                last = i;
            }
        }
        return new ArrayList<>(runs.subList(0, last + 1));
    }

    /** The daily P&L rows before today, by day; each row without fields that name the run. */
    private static Map<LocalDate, List<JsonNode>> pastDays(ServiceUnderTest service, LocalDate today) {
        JsonNode daily = service.getJson("api/pnl/daily?from=" + today.minusDays(14) + "&to=" + today.minusDays(1));
        Map<LocalDate, List<JsonNode>> byDay = new TreeMap<>();
        daily.get("days").forEach(row -> byDay.computeIfAbsent(LocalDate.parse(row.get("day").asText()),
                d -> new ArrayList<>()).add(row));
        return byDay;
    }

    private static LocalDate day(String instant) {
        return LocalDate.ofInstant(Instant.parse(instant), ZoneOffset.UTC);
    }
}
