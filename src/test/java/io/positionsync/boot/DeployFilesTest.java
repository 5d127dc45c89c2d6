package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.CommandProcess;

/**
 * The files in {@code deploy/systemd} work together as the unit runs them: the environment file's variables are all
 * settings with valid values, and the unit's command line (its {@code --config} file included) runs a command in a
 * JVM of its own with that environment, pointed at a test database and gateway. ({@code systemd-analyze verify}
 * checks the unit itself in CI.)
 */
@Tag("process")
class DeployFilesTest {
    private static final Path SYSTEMD = Path.of("deploy", "systemd");

    /** The environment file as systemd reads it: NAME=value lines, comments and blank lines skipped. */
    static Map<String, String> environmentFile() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(SYSTEMD.resolve("position-sync.env"), StandardCharsets.UTF_8)) {
            String text = line.trim();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            int equals = text.indexOf('=');
            assertThat(equals).as("NAME=value: " + line).isPositive();
            env.put(text.substring(0, equals), text.substring(equals + 1));
        }
        return env;
    }

    /** The unit's ExecStart, split into its words. */
    static List<String> execStart() throws Exception {
        String line = Files.readAllLines(SYSTEMD.resolve("position-sync.service"), StandardCharsets.UTF_8).stream()
                .filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        return Arrays.asList(line.substring("ExecStart=".length()).trim().split("\\s+"));
    }

    @Test
    void theEnvironmentFileNamesOnlySettingsWithValidValues() throws Exception {
        Map<String, String> env = environmentFile();
        assertThat(env).containsKeys("PSYNC_DB_URL", "PSYNC_IBKR_HOST", "PSYNC_HTTP_PORT", "PSYNC_DATA_DIR");
        ConfigurationValues settings = ConfigurationValues.load(env, Map.of());
        assertThat(ConfigurationCheck.unknownVariables(env, settings.file())).isEmpty();
        ConfigurationCheck.validate(settings);
        ConfigurationCheck.validateEnvironment(env);
    }

    @Test
    void theUnitsCommandLineRunsWithTheEnvironmentFile() throws Exception {
        List<String> exec = execStart();
        assertThat(exec.get(0)).isEqualTo("/usr/bin/java");
        int jar = exec.indexOf("-jar");
        assertThat(jar).isPositive();
        List<String> arguments = new ArrayList<>(exec.subList(jar + 2, exec.size()));
        int config = arguments.indexOf("--config");
        assertThat(config).as("the unit passes --config").isNotNegative();
        assertThat(arguments.get(config + 1)).isEqualTo("/etc/position-sync/position-sync.properties");
        // the shipped file where the unit expects it, and one command instead of the service
        arguments.set(config + 1, SYSTEMD.resolve("position-sync.properties").toAbsolutePath().toString());
        assertThat(arguments.get(arguments.size() - 1)).isEqualTo("run");
        arguments.set(arguments.size() - 1, "sync-once");

        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo()) {
            Map<String, String> env = new LinkedHashMap<>(environmentFile());
            env.put("PSYNC_DB_URL", db.jdbcUrl());
            env.put("PSYNC_DB_USER", db.user());
            env.put("PSYNC_DB_PASSWORD", db.password());
            env.put("PSYNC_IBKR_HOST", sim.host());
            env.put("PSYNC_IBKR_PORT", Integer.toString(sim.port()));
            env.put("PSYNC_DATA_DIR", Files.createTempDirectory(Path.of("target"), "deploy-").toString());
            CommandProcess.Result result = CommandProcess.run(env, arguments.toArray(String[]::new));

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(ServiceUnderTest.json(result.stdout()).get("status").asText()).isEqualTo("SUCCEEDED");
        }
    }
}
