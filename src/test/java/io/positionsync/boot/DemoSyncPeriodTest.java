package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

/**
 * On the built-in simulator the timer runs at {@code psync.sim.sync-period} (10 s) while {@code psync.sync.period}
 * is left at its default, so the demo's trading shows within a minute; a period someone set is kept.
 */
class DemoSyncPeriodTest {

    @Test
    void aKeyLeftAtTheFilesDefaultIsToldFromOneSetToAnything() {
        assertThat(ConfigurationValues.load(Map.of(), Map.of()).isFileDefault("psync.sync.period")).isTrue();
        assertThat(ConfigurationValues.load(Map.of("PSYNC_SYNC_PERIOD", "5m"), Map.of()).isFileDefault("psync.sync.period")).isFalse();
        assertThat(ConfigurationValues.load(Map.of(), Map.of("psync.sync.period", "1h")).isFileDefault("psync.sync.period")).isFalse();
        assertThat(ConfigurationValues.load(Map.of(), Map.of()).isFileDefault("psync.no.such.key")).isFalse();
    }

    @Test
    void theZeroConfigTimerRunsAtTheDemoPeriodUnlessOneIsSet() throws Exception {
        assertThat(timerPeriod(Map.of())).isEqualTo("10s");
        assertThat(timerPeriod(Map.of("psync.sync.period", "5m"))).isEqualTo("5m");
    }

    private static String timerPeriod(Map<String, String> extra) throws Exception {
        Path dataDir = Files.createTempDirectory(Path.of("target"), "demo-period-");
        Map<String, String> overrides = new java.util.HashMap<>(Map.of("psync.data.dir", dataDir.toString(),
                "psync.sync.timer-enabled", "false",
                "psync.sim.trade-interval-ms", "0",
                "camel.server.enabled", "false",
                "camel.management.enabled", "false"));
        overrides.putAll(extra);
        Main main = ServiceCommand.createMain(ServiceCommand.syncRoutesPattern(), overrides);
        main.start();
        try {
            return main.getCamelContext().resolvePropertyPlaceholders("{{psync.sync.period}}");
        } finally {
            main.stop();
        }
    }
}
