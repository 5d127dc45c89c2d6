package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * {@code GET /api/sync/status} says what it cannot know: with the database away, the runs, the failure
 * streak and the breaks are unknown (null), never "0 failures, no breaks"; and it says whether the timer runs.
 */
@PositionSyncService(awaitFirstRun = true)
class StatusTruthTest {
    static TestDatabase db;
    static GatewaySimulator sim;
    static ServiceUnderTest service;

    @Test
    void withTheDatabaseAwayTheRunsFailuresAndBreaksAreUnknown() throws Exception {
        JsonNode up = service.getJson("api/sync/status");
        assertThat(up.at("/database/available").asBoolean()).isTrue();
        assertThat(up.get("consecutiveFailures").isNumber()).isTrue();
        assertThat(up.get("openBreakCount").isNumber()).isTrue();
        assertThat(up.get("timerEnabled").asBoolean()).isTrue();
        assertThat(up.get("gateways").isArray()).isTrue();

        databaseAway(db, () -> {
            JsonNode down = service.getJson("api/sync/status");
            assertThat(down.at("/database/available").asBoolean()).isFalse();
            assertThat(down.at("/database/detail").asText()).contains("unknown");
            for (String unknown : new String[] {"consecutiveFailures", "openBreakCount", "openBreaks", "totals", "lastRun",
                    "lastSuccessfulRun", "lastSuccessfulSyncAt", "lastSuccessAgeSeconds", "gateways"}) {
                assertThat(down.get(unknown).isNull()).as(unknown).isTrue();
            }
            assertThat(down.at("/gateway/state").asText()).as("what it knows it still says").isNotBlank();
        });

        assertThat(service.getJson("api/sync/status").get("consecutiveFailures").isNumber()).isTrue();
    }

    @Test
    void withTheTimerOffTheStatusSaysSo() throws Exception {
        Map<String, String> properties = ServiceUnderTest.defaults(db, sim);
        properties.put("psync.sync.timer-enabled", "false");
        try (ServiceUnderTest timerOff = ServiceUnderTest.start(properties)) {
            JsonNode status = timerOff.getJson("api/sync/status");
            assertThat(status.get("timerEnabled").asBoolean()).isFalse();
            assertThat(status.at("/gateway/detail").asText()).isEqualTo("not connected yet");
        }
    }

    @Test
    void aRunThatFailsIsLoggedAtWarn() throws Exception {
        ch.qos.logback.classic.Logger steps = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                io.positionsync.run.SyncRunSteps.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> captured =
                new ch.qos.logback.core.read.ListAppender<>();
        captured.start();
        steps.addAppender(captured);
        sim.stop();
        try {
            // A run in flight when the gateway went away may be the one a trigger joins: it ends cut short
            // (SKIPPED_INCOMPLETE); the run after it finds no gateway at all.
            JsonNode run = ServiceUnderTest.json(service.sync(null));
            for (int attempt = 1; attempt < 3 && "SKIPPED_INCOMPLETE".equals(run.get("status").asText()); attempt++) {
                run = ServiceUnderTest.json(service.sync(null));
            }
            assertThat(run.get("status").asText()).isEqualTo("FAILED");
            long failedRun = run.get("runId").asLong();
            assertThat(captured.list).filteredOn(e -> e.getFormattedMessage().startsWith("sync run " + failedRun
                    + " FAILED")).singleElement().satisfies(e -> assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN));
        } finally {
            steps.detachAppender(captured);
            sim.start();
        }
    }

    /**
     * Runs {@code check} while the service's schema is out of reach (renamed: every query of the service fails
     * as it would against a database that went away), then brings it back.
     */
    static void databaseAway(TestDatabase db, ThrowingRunnable check) throws Exception {
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            s.execute("ALTER SCHEMA " + db.schema() + " RENAME TO " + db.schema() + "_away");
        }
        try {
            check.run();
        } finally {
            try (Connection c = db.connection(); Statement s = c.createStatement()) {
                s.execute("ALTER SCHEMA " + db.schema() + "_away RENAME TO " + db.schema());
            }
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
