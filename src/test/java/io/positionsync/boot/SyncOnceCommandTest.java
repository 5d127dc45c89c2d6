package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;

/** {@code sync-once}: one run with the configured database and gateway, JSON summary, exit code by outcome. */
@PositionSyncService(profile = PositionSyncService.Profile.NONE, lifecycle = PositionSyncService.Lifecycle.PER_METHOD)
class SyncOnceCommandTest {
    private TestDatabase db;
    private GatewaySimulator simulator;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    @BeforeEach
    void setUp() throws Exception {
        properties.putAll(db.settings());
        properties.put("psync.ibkr.host", simulator.host());
        properties.put("psync.ibkr.port", Integer.toString(simulator.port()));
        properties.put("psync.ibkr.client-id", "44");
        properties.put("psync.ibkr.request-timeout-ms", "800");
        // The command reads the same configuration as the service; system properties override the file.
        properties.forEach(System::setProperty);
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        properties.keySet().forEach(System::clearProperty);
    }

    private JsonNode output() throws Exception {
        return new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8).trim());
    }

    @Test
    void succeededRunPrintsItsSummaryAndExitsZero() throws Exception {
        int code = SyncOnceCommand.run(new String[0]);

        JsonNode json = output();
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(json.fieldNames()).toIterable().containsExactly("runId", "trigger", "status", "opened", "updated",
                "closed", "unchanged", "startedAt", "finishedAt", "error", "accounts");
        assertThat(json.get("accounts").isNull()).as("a run of every account").isTrue();
        assertThat(json.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(json.get("opened").asInt()).isPositive();
        assertThat(json.get("error").isNull()).isTrue();
        assertThat(json.get("runId").isNumber()).isTrue();
    }

    @Test
    void silentGatewayEndsWithinTheTimeoutAsSkippedAndExitsNonZero() throws Exception {
        simulator.faults().withholdEnd(SnapshotPhase.POSITIONS);

        int code = SyncOnceCommand.run(new String[0]);

        assertThat(code).isEqualTo(1);
        JsonNode json = output();
        assertThat(json.get("status").asText()).isEqualTo("SKIPPED_INCOMPLETE");
        assertThat(json.get("error").asText()).contains("positionEnd");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("error: sync run " + json.get("runId").asLong() + " SKIPPED_INCOMPLETE");
    }

    @Test
    void unreachableGatewayIsAFailedRunAndExitsNonZero() throws Exception {
        simulator.stop();

        int code = SyncOnceCommand.run(new String[0]);

        assertThat(code).isEqualTo(1);
        assertThat(output().get("status").asText()).isEqualTo("FAILED");
    }

    @Test
    void argumentsAreRefused() throws Exception {
        assertThat(SyncOnceCommand.run(new String[] { "--now" })).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: ");
    }
}
