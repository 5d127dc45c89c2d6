package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ChildJvm;

/**
 * What the service's log tells an operator, read from a child JVM's stderr: where it really listens (never
 * Camel's {@code http://0.0.0.0:PORT} list), the configuration it really runs with (the demo's 10 s period), and a
 * gateway that stays down said once, then counted, rather than two long lines every period.
 */
@Tag("process")
@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class ServiceLogsTest {
    private static final Duration STARTUP = Duration.ofSeconds(90);

    static TestDatabase db;

    /** The service with the production logback configuration, stderr to a file; killed when the condition holds. */
    private static List<String> logUntil(Map<String, String> environment, String marker) throws Exception {
        Path work = Files.createTempDirectory(Path.of("target"), "service-logs-");
        Path log = work.resolve("stderr.log");
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(
                List.of("-Dlogback.configurationFile=" + Path.of("src/main/resources/logback.xml").toAbsolutePath()),
                Application.class.getName(), List.of()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("PSYNC_"));
        builder.environment().put("PSYNC_DATA_DIR", work.resolve("data").toString());
        builder.environment().put("PSYNC_HTTP_PORT", Integer.toString(freePort()));
        // the test database, not an embedded one: quicker to start, and the logs are the same
        builder.environment().put("PSYNC_DB_URL", db.jdbcUrl());
        builder.environment().put("PSYNC_DB_USER", db.user());
        builder.environment().put("PSYNC_DB_PASSWORD", db.password());
        builder.environment().putAll(environment);
        Process process = builder.start();
        try {
            Awaitility.await().atMost(STARTUP).pollInterval(Duration.ofMillis(200))
                    .until(() -> !process.isAlive() || Files.readString(log, StandardCharsets.UTF_8).contains(marker));
            assertThat(process.isAlive()).as(Files.readString(log, StandardCharsets.UTF_8)).isTrue();
        } finally {
            process.destroy();
            process.waitFor();
        }
        return Files.readAllLines(log, StandardCharsets.UTF_8);
    }

    @Test
    void aGatewayThatStaysDownIsSaidOnceThenCounted() throws Exception {
        List<String> log = logUntil(Map.of("PSYNC_IBKR_HOST", "127.0.0.1", "PSYNC_IBKR_PORT", "1", "PSYNC_SYNC_PERIOD", "1s",
                "PSYNC_IBKR_BACKOFF_INITIAL_MS", "100", "PSYNC_IBKR_BACKOFF_MAX_MS", "200"), "8 runs in a row since");

        assertThat(matching(log, "gateway connection DOWN: could not connect")).hasSize(1);
        assertThat(matching(log, "gateway connection CONNECTING")).hasSizeLessThanOrEqualTo(1);
        assertThat(matching(log, "FAILED").stream().filter(line -> line.contains("could not connect")).toList())
                .as("the reason in full once").hasSize(1).first().asString().contains("sync run 1 FAILED (STARTUP)");
        assertThat(matching(log, "the same failure as run 1, ")).as(String.join("\n", log)).hasSize(3)
                .anySatisfy(line -> assertThat(line).contains("2 runs in a row since"))
                .anySatisfy(line -> assertThat(line).contains("4 runs in a row since"))
                .anySatisfy(line -> assertThat(line).contains("8 runs in a row since"));
        assertThat(matching(log, "still DOWN:")).isNotEmpty();
        assertThat(String.join("\n", log)).doesNotContain("0.0.0.0").contains("listening on 127.0.0.1:");
    }

    @Test
    void theConfigurationLineShowsTheDemoPeriodInUse() throws Exception {
        List<String> log = logUntil(Map.of("PSYNC_IBKR_HOST", "simulator", "PSYNC_SIM_HISTORY_DAYS", "0",
                "PSYNC_SIM_TRADE_INTERVAL_MS", "0"),
                "listening on 127.0.0.1:");

        assertThat(matching(log, "configuration in use: ")).singleElement().asString().contains("psync.sync.period=10s,")
                .doesNotContain("psync.sync.period=60s");
        assertThat(String.join("\n", log)).doesNotContain("0.0.0.0");
    }

    private static List<String> matching(List<String> log, String text) {
        List<String> lines = new ArrayList<>();
        log.stream().filter(line -> line.contains(text)).forEach(lines::add);
        return lines;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
