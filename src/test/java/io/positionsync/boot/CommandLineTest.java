package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.CommandProcess;
import io.positionsync.testing.PositionSyncService;

/**
 * The command line as an operator meets it, each case a JVM of its own: {@code --version}, real help for every
 * command, one {@code error:} line with the usage for a bad argument, every command refusing a misspelt
 * {@code PSYNC_*} variable before anything starts, {@code snapshot} reading the gateway from the configuration,
 * and {@code --config FILE} read by the commands and the service alike.
 */
@Tag("process")
@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class CommandLineTest {
    static TestDatabase db;
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory(Path.of("target"), "command-line-");
    }

    private static Map<String, String> environment(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        env.put("PSYNC_DATA_DIR", work.resolve("never-created").toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    @Test
    void versionNamesTheProjectVersion() throws Exception {
        CommandProcess.Result result = CommandProcess.run(Map.of(), "--version");

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout().lines().findFirst().orElse("")).matches("position-sync \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }

    @Test
    void everyCommandHasItsOwnHelp() throws Exception {
        CommandProcess.Result top = CommandProcess.run(Map.of(), "--help");
        assertThat(top.exitCode()).isZero();
        for (String command : List.of("run", "sync-once", "snapshot", "simulator", "migrate", "rollback", "purge-account",
                "adopt")) {
            assertThat(top.stdout()).as("top-level help lists " + command).containsPattern("(?m)^  " + command + " ");
        }
        assertThat(top.stdout()).contains("--config=FILE").contains("--version");

        CommandProcess.Result run = CommandProcess.run(Map.of(), "run", "--help");
        assertThat(run.exitCode()).isZero();
        // the service's own help, not Camel's runner help
        assertThat(run.stdout()).startsWith("Usage: position-sync run").contains("PSYNC_HTTP_PORT")
                .doesNotContainIgnoringCase("camel");

        CommandProcess.Result snapshot = CommandProcess.run(Map.of(), "snapshot", "--help");
        assertThat(snapshot.stdout()).startsWith("Usage: position-sync snapshot").contains("--host=HOST")
                .contains("PSYNC_IBKR_HOST").contains("--client-id=N");
        assertThat(CommandProcess.run(Map.of(), "help", "rollback").stdout()).startsWith("Usage: position-sync rollback")
                .contains("--to=N");
    }

    @Test
    void aBadArgumentIsOneLineWithTheUsageAndExitTwo() throws Exception {
        CommandProcess.Result missing = CommandProcess.run(environment(), "rollback");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.errorLines()).containsExactly("error: Missing required option: '--to=N' (usage: position-sync "
                + "rollback [-hV] [--config=FILE] --to=N; more with rollback --help)");

        CommandProcess.Result unknown = CommandProcess.run(environment(), "sync-once", "--now");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errorLines()).singleElement().asString().startsWith("error: Unknown option: '--now'");
        assertThat(work.resolve("never-created")).doesNotExist();
    }

    /**
     * A misspelt database variable beside a real gateway host used to sync into an embedded database under the data
     * directory and exit 0: every command now stops before anything starts.
     */
    @Test
    void aMisspeltVariableStopsEveryCommandBeforeAnythingStarts() throws Exception {
        try (GatewaySimulator gateway = GatewaySimulator.startDemo()) {
            Map<String, String> env = environment("PSYNC_DB_ULR", db.jdbcUrl(), "PSYNC_DB_USER", db.user(),
                    "PSYNC_DB_PASSWORD", db.password(), "PSYNC_IBKR_HOST", gateway.host(),
                    "PSYNC_IBKR_PORT", Integer.toString(gateway.port()));
            String refusal = "error: environment variable PSYNC_DB_ULR (did you mean PSYNC_DB_URL?) is not a setting of "
                    + "position-sync: correct or unset it; nothing was started";
            List<List<String>> commands = List.of(List.of("sync-once"), List.of(), List.of("run"), List.of("migrate"),
                    List.of("rollback", "--to", "0"), List.of("purge-account", "DU1", "--execute"), List.of("adopt", "--dry-run"),
                    List.of("snapshot"), List.of("simulator", "--port", "0"));
            for (List<String> command : commands) {
                CommandProcess.Result result = CommandProcess.run(env, command.toArray(String[]::new));

                assertThat(result.exitCode()).as(command + ": " + result.stderr()).isEqualTo(2);
                assertThat(result.errorLines()).as(command + ": " + result.stderr()).containsExactly(refusal);
                assertThat(result.stdout()).as(command.toString()).isEmpty();
            }
            assertThat(work.resolve("never-created")).as("no embedded database started").doesNotExist();
        }
    }

    @Test
    void snapshotReadsTheGatewayFromTheConfiguration() throws Exception {
        try (GatewaySimulator gateway = GatewaySimulator.startDemo()) {
            CommandProcess.Result result = CommandProcess.run(environment("PSYNC_IBKR_HOST", gateway.host(),
                    "PSYNC_IBKR_PORT", Integer.toString(gateway.port()), "PSYNC_IBKR_CLIENT_ID", "71"), "snapshot");

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            JsonNode snapshot = ServiceUnderTest.json(result.stdout());
            assertThat(snapshot.get("complete").asBoolean()).isTrue();
            assertThat(snapshot.get("positions").size()).isPositive();
        }
        CommandProcess.Result none = CommandProcess.run(environment(), "snapshot");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.errorLines()).singleElement().asString()
                .startsWith("error: no gateway host: give --host or set PSYNC_IBKR_HOST");
    }

    @Test
    void aConfigFileIsReadByTheCommandsAndTheService() throws Exception {
        Path file = work.resolve("position-sync.properties");
        Files.writeString(file, "psync.db.url = " + db.jdbcUrl() + "\npsync.db.user = " + db.user() + "\n"
                + "psync.db.password = {{env:PSYNC_DB_PASSWORD:}}\n");
        CommandProcess.Result migrate = CommandProcess.run(environment("PSYNC_DB_PASSWORD", db.password()),
                "--config", file.toString(), "migrate");
        assertThat(migrate.exitCode()).as(migrate.stderr()).isZero();
        assertThat(migrate.stdout()).startsWith("schema is up to date at version ");
        assertThat(work.resolve("never-created")).as("the file's database, not the embedded one").doesNotExist();

        // after the command name too, and for the service (camel-main reads it)
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path service = work.resolve("service.properties");
            Files.writeString(service, "psync.http.port = " + taken.getLocalPort() + "\n");
            CommandProcess.Result run = CommandProcess.run(environment(), "run", "--config", service.toString());
            // the file writes the key as a plain value, so the key, not its variable, is named
            assertThat(run.exitCode()).isNotZero();
            assertThat(run.errorLines()).containsExactly("error: HTTP port " + taken.getLocalPort() + " on 127.0.0.1 is "
                    + "already in use (psync.http.port): stop the process that listens there or choose another port");
        }

        CommandProcess.Result absent = CommandProcess.run(environment(), "--config", work.resolve("absent").toString(),
                "migrate");
        assertThat(absent.exitCode()).isEqualTo(2);
        assertThat(absent.errorLines()).singleElement().asString()
                .startsWith("error: --config " + work.resolve("absent") + ": no readable file there");
    }

    /** A jar on a platform whose embedded PostgreSQL it does not carry (here: the JVM told it runs on arm64). */
    @Test
    void aPlatformWithoutEmbeddedPostgresqlIsToldWhatToDo() throws Exception {
        CommandProcess.Result result = CommandProcess.run(List.of("-Dos.arch=aarch64"),
                Map.of("PSYNC_DATA_DIR", work.resolve("arm64").toString()), "migrate");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errorLines()).singleElement().asString()
                .startsWith("error: this build of position-sync has no embedded PostgreSQL for " + System.getProperty("os.name")
                        + " aarch64 (it carries: ")
                .endsWith("): set PSYNC_DB_URL to a PostgreSQL server, or build the jar on this platform or with "
                        + "`mvn -B -Pall-platforms package`");
    }
}
