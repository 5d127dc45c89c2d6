package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.CommandProcess;

/**
 * The zero-config demo survives its own restart on the same data directory: the simulator goes on from the
 * portfolio the previous process synced (not from its scenario's starting positions), so the restarted service's
 * runs find nothing unexplained.
 */
@Tag("process")
class DemoRestartTest {
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @Test
    void aRestartOnTheSameDataDirectoryGoesOnFromWhatWasSyncedWithoutUnexplainedQuantities() throws Exception {
        Path dataDir = Files.createTempDirectory(Path.of("target"), "demo-restart-");
        Map<String, String> trading = new HashMap<>(Map.of(
                "psync.sim.price-tick-ms", "0",
                "psync.sim.history-days", "0",
                "psync.ibkr.commission-wait-ms", "200",
                "psync.sync.period", "1s",
                "psync.sim.trade-interval-ms", "100"));
        Map<String, String> heldBefore;
        try (ServiceUnderTest service = ServiceUnderTest.startDemo(dataDir, trading)) {
            // The demo trades: wait until several runs have applied its fills.
            await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
                int changing = 0;
                for (JsonNode run : service.getJson("api/sync/runs?limit=100").get("runs")) {
                    if (run.get("status").asText().equals("SUCCEEDED")
                            && run.get("opened").asInt() + run.get("updated").asInt() + run.get("closed").asInt() > 0) {
                        changing++;
                    }
                }
                return changing >= 4;
            });
            heldBefore = openQuantities(service);
        }
        assertThat(heldBefore).as("the demo's open positions before the restart").isNotEmpty();

        // The same data directory, the demo standing still: every difference would be the simulator's forgetting.
        Map<String, String> still = new HashMap<>(trading);
        still.put("psync.sim.trade-interval-ms", "0");
        try (ServiceUnderTest restarted = ServiceUnderTest.startDemo(dataDir, still)) {
            // Every run before the restarted process's start-up run is the first process's.
            await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> startupRuns(restarted).size() == 2);
            long lastRunBefore = startupRuns(restarted).get(1) - 1;
            await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
                int after = 0;
                for (JsonNode run : restarted.getJson("api/sync/runs?limit=100").get("runs")) {
                    if (run.get("runId").asLong() > lastRunBefore && run.get("status").asText().equals("SUCCEEDED")) {
                        after++;
                    }
                }
                return after >= 3;
            });
            List<String> raisedAfter = new ArrayList<>();
            for (JsonNode b : restarted.getJson("api/breaks?status=open&limit=500").get("breaks")) {
                if (b.get("runId").asLong() > lastRunBefore) {
                    raisedAfter.add(b.get("kind").asText() + " " + b.get("symbol").asText() + ": " + b.get("note").asText());
                }
            }
            assertThat(raisedAfter).as("breaks raised by the restarted service's runs").isEmpty();
            // The simulator holds what the database holds: nothing was made up on either side.
            Map<String, String> simulated = new HashMap<>();
            restarted.simulator().state().positions().stream().filter(p -> !p.isFlat()).forEach(p -> simulated.put(
                    p.account() + "/" + p.conId(), p.quantity().stripTrailingZeros().toPlainString()));
            assertThat(openQuantities(restarted)).isEqualTo(simulated);
        }
    }

    @Test
    void syncOnceOnTheDefaultsAfterTheDemoTradedFindsNothingUnexplained() throws Exception {
        Path dataDir = Files.createTempDirectory(Path.of("target"), "demo-sync-once-");
        try (ServiceUnderTest service = ServiceUnderTest.startDemo(dataDir, Map.of("psync.sim.price-tick-ms", "0",
                "psync.sim.history-days", "0", "psync.ibkr.commission-wait-ms", "200", "psync.sync.period", "1s",
                "psync.sim.trade-interval-ms", "100"))) {
            await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
                int changing = 0;
                for (JsonNode run : service.getJson("api/sync/runs?limit=100").get("runs")) {
                    if (run.get("status").asText().equals("SUCCEEDED")
                            && run.get("opened").asInt() + run.get("updated").asInt() + run.get("closed").asInt() > 0) {
                        changing++;
                    }
                }
                return changing >= 4;
            });
        }

        // A child process, as a cron job would run it: nothing configured but the data directory, and the demo
        // standing still (its own opening moves, a late fill and a late commission, would raise breaks on purpose).
        CommandProcess.Result once = CommandProcess.run(Map.of("PSYNC_DATA_DIR", dataDir.toString(),
                "PSYNC_SIM_TRADE_INTERVAL_MS", "0"), "sync-once");

        assertThat(once.exitCode()).as(once.stderr()).isZero();
        JsonNode summary = ServiceUnderTest.json(once.stdout().trim());
        assertThat(summary.get("status").asText()).isEqualTo("SUCCEEDED");
        long runId = summary.get("runId").asLong();
        try (ServiceUnderTest after = ServiceUnderTest.startDemo(dataDir, Map.of("psync.sim.trade-interval-ms", "0",
                "psync.sync.timer-enabled", "false"))) {
            List<String> raised = new ArrayList<>();
            for (JsonNode b : after.getJson("api/breaks?status=open&limit=500").get("breaks")) {
                if (b.get("runId").asLong() == runId) {
                    raised.add(b.get("kind").asText() + " " + b.get("symbol").asText() + ": " + b.get("note").asText());
                }
            }
            assertThat(raised).as("breaks raised by sync-once after the demo traded").isEmpty();
        }
    }

    /** The ids of the start-up runs, oldest first. */
    private static List<Long> startupRuns(ServiceUnderTest service) {
        List<Long> ids = new ArrayList<>();
        for (JsonNode run : service.getJson("api/sync/runs?limit=500").get("runs")) {
            if (run.get("trigger").asText().equals("STARTUP")) {
                ids.add(run.get("runId").asLong());
            }
        }
        ids.sort(null);
        return ids;
    }

    /** account/conId -> quantity of every open position. */
    private static Map<String, String> openQuantities(ServiceUnderTest service) {
        Map<String, String> held = new HashMap<>();
        service.getJson("api/positions?status=open&limit=1000").get("positions").forEach(p -> held.put(
                p.get("account").asText() + "/" + p.get("conId").asText(),
                new java.math.BigDecimal(p.get("quantity").asText()).stripTrailingZeros().toPlainString()));
        return held;
    }
}
