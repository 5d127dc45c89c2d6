package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.store.TestDatabase;
import io.positionsync.testing.CommandProcess;
import io.positionsync.testing.PositionSyncService;

/**
 * Start-up refusals as an operator meets them: a separate JVM, a non-zero exit within seconds, one
 * {@code error:} line naming the variable to fix, nothing started or written, and no false "shutdown hook
 * triggered by SIGTERM" line after it.
 */
@Tag("process")
@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class StartupRefusalsTest {
    /** Far below the embedded database's start-up: the refusal comes before anything starts. */
    private static final Duration QUICK = Duration.ofSeconds(30);

    static TestDatabase db;
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory(Path.of("target"), "refusals-");
    }

    /** A data directory that must never be created (no embedded database started). */
    private static Map<String, String> environment(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        env.put("PSYNC_DATA_DIR", work.resolve("never-created").toString());
        env.put("PSYNC_HTTP_PORT", "1"); // never reached: every case here is refused before the HTTP server
        for (int i = 0; i < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    private static void assertRefused(CommandProcess.Result result, String line) {
        assertThat(result.exitCode()).as(result.stderr()).isNotZero();
        assertThat(result.errorLines()).as(result.stderr()).containsExactly(line);
        assertThat(result.stderr()).doesNotContain("SIGTERM").doesNotContain("\tat ");
        assertThat(result.elapsed()).isLessThan(QUICK);
        assertThat(work.resolve("never-created")).as("no embedded database started").doesNotExist();
    }

    @Test
    void aPortThatIsNotANumberNamesTheVariable() throws Exception {
        CommandProcess.Result result = CommandProcess.run(environment("PSYNC_IBKR_HOST", "127.0.0.1",
                "PSYNC_IBKR_PORT", "abc", "PSYNC_HTTP_PORT", "8080"));

        assertRefused(result, "error: PSYNC_IBKR_PORT must be an integer, got 'abc' (expected a port number 1..65535)");
    }

    @Test
    void aPeriodThatIsNotADurationSaysWhatIsExpected() throws Exception {
        CommandProcess.Result result = CommandProcess.run(environment("PSYNC_SYNC_PERIOD", "abc", "PSYNC_HTTP_PORT", "8080"));

        assertRefused(result, "error: PSYNC_SYNC_PERIOD must be a duration (milliseconds such as 1500, or 30s, 5m, 1h30m) "
                + "of at least 1s, got 'abc'");
    }

    @Test
    void anExternalDatabaseWithoutAGatewayNeverGetsTheDemoPositions() throws Exception {
        long runsBefore = count("SELECT count(*) FROM sync_runs");
        // The gateway variable misspelt: sync-once used to sync the demo simulator into the real database.
        CommandProcess.Result result = CommandProcess.run(environment("PSYNC_DB_URL", db.jdbcUrl(), "PSYNC_DB_USER", db.user(),
                "PSYNC_DB_PASSWORD", db.password(), "PSYNC_IBKR_HOTS", "127.0.0.1"), "sync-once");

        // A misspelt variable stops the command before anything starts.
        assertRefused(result, "error: environment variable PSYNC_IBKR_HOTS (did you mean PSYNC_IBKR_HOST?) is not a "
                + "setting of position-sync: correct or unset it; nothing was started");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        assertThat(count("SELECT count(*) FROM positions")).isZero();
        assertThat(count("SELECT count(*) FROM sync_runs")).isEqualTo(runsBefore);
    }

    @Test
    void aTakenHttpPortIsOneLineNamingThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            CommandProcess.Result result = CommandProcess.run(environment("PSYNC_HTTP_PORT", String.valueOf(port)));

            assertRefused(result, "error: HTTP port " + port + " on 127.0.0.1 is already in use (PSYNC_HTTP_PORT): stop the "
                    + "process that listens there or choose another port");
        }
    }

    @Test
    void logLinesAreJsonWhenAskedFor() throws Exception {
        CommandProcess.Result result = CommandProcess.run(environment("PSYNC_LOG_FORMAT", "json", "PSYNC_SYNC_PERIOD", "0s",
                "PSYNC_HTTP_PORT", "8080"));

        assertThat(result.exitCode()).isNotZero();
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.List<String> logLines = result.stderrLines().stream().filter(line -> !line.startsWith("error:")).toList();
        assertThat(logLines).isNotEmpty().allSatisfy(line -> {
            com.fasterxml.jackson.databind.JsonNode json = mapper.readTree(line);
            assertThat(json.get("level").asText()).isNotBlank();
            assertThat(json.get("loggerName").asText()).isNotBlank();
            assertThat(json.has("formattedMessage")).isTrue();
        });
        assertThat(result.errorLines()).hasSize(1);
    }

    @Test
    void anUnknownLogFormatIsRefused() throws Exception {
        CommandProcess.Result result = CommandProcess.run(environment("PSYNC_LOG_FORMAT", "xml", "PSYNC_HTTP_PORT", "8080"));

        assertRefused(result, "error: PSYNC_LOG_FORMAT must be text or json, got 'xml'");
    }

    private static long count(String sql) throws Exception {
        try (Connection c = db.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
