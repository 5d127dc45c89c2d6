package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.Migrations;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.CommandProcess;

/**
 * A live service (a child JVM) on a database: {@code rollback}, {@code purge-account --execute} and {@code adopt}
 * refuse while it holds the service's lock, naming it (host, pid, since), and change nothing; once it is gone they
 * work. And when the service's tables disappear under it anyway, its status says the database answers without them
 * and readiness fails.
 */
@Tag("process")
class SchemaChangeWhileServiceRunsTest {
    private static final Duration STARTUP = Duration.ofSeconds(90);

    private static Map<String, String> env(TestDatabase db) {
        Map<String, String> env = new HashMap<>();
        env.put("PSYNC_DB_URL", db.jdbcUrl());
        env.put("PSYNC_DB_USER", db.user());
        env.put("PSYNC_DB_PASSWORD", db.password());
        return env;
    }

    @Test
    void schemaChangingCommandsRefuseWhileTheServiceRunsAndNameIt() throws Exception {
        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo()) {
            int version = Migrations.currentVersion(db.dataSource());
            ServiceUnderTest service = ServiceUnderTest.startProcess(db, sim, Map.of()).awaitStartupRun(STARTUP);
            try {
                long pid = service.process().pid();
                String account = sim.state().accounts().get(0);
                long rows = count(db, "SELECT count(*) FROM positions");
                assertThat(rows).isPositive();

                CommandProcess.Result rollback = CommandProcess.run(env(db), "rollback", "--to", "0");
                CommandProcess.Result purge = CommandProcess.run(env(db), "purge-account", account, "--execute");
                CommandProcess.Result adopt = CommandProcess.run(env(db), "adopt");

                for (var refused : Map.of("rollback", rollback, "purge-account --execute", purge, "adopt", adopt).entrySet()) {
                    CommandProcess.Result result = refused.getValue();
                    assertThat(result.exitCode()).as(result.stderr()).isEqualTo(1);
                    assertThat(result.errorLines()).as(result.stderr()).singleElement().asString()
                            .startsWith("error: " + refused.getKey() + " refused: position-sync pid " + pid + " on host ")
                            .containsPattern("\\(since \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\) holds the service's lock on "
                                    + "jdbc:postgresql://")
                            .contains("stop it first");
                }
                assertThat(Migrations.currentVersion(db.dataSource())).isEqualTo(version);
                assertThat(count(db, "SELECT count(*) FROM positions")).isEqualTo(rows);
                // looking is allowed
                CommandProcess.Result dryRun = CommandProcess.run(env(db), "purge-account", account);
                assertThat(dryRun.exitCode()).as(dryRun.stderr()).isZero();
                assertThat(dryRun.stdout()).startsWith("dry run: would remove ");
            } finally {
                service.kill();
            }
            // the lock went with the process
            CommandProcess.Result purge = CommandProcess.run(env(db), "purge-account", sim.state().accounts().get(0),
                    "--execute");
            assertThat(purge.exitCode()).as(purge.stderr()).isZero();
            CommandProcess.Result rollback = CommandProcess.run(env(db), "rollback", "--to", "0");
            assertThat(rollback.exitCode()).as(rollback.stderr()).isZero();
            assertThat(Migrations.currentVersion(db.dataSource())).isZero();
        }
    }

    @Test
    void aDatabaseThatAnswersWithoutTheServiceTablesIsSaidSoAndNotReady() throws Exception {
        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo();
                ServiceUnderTest service = ServiceUnderTest.startProcess(db, sim, Map.of()).awaitStartupRun(STARTUP)) {
            assertThat(get(service, "observe/health/ready").statusCode()).isEqualTo(200);

            // one migration undone under the live service: the tables are there, the schema is behind
            int latest = Migrations.currentVersion(db.dataSource());
            Migrations.rollbackTo(db.dataSource(), latest - 1);
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> get(service, "observe/health/ready").statusCode() == 503);
            assertThat(get(service, "observe/health/ready?data=true").body()).contains("the database answers, but its "
                    + "schema is at version " + (latest - 1) + " while the service runs on version " + latest);

            // dropped under the live service (as an old rollback did, or by hand)
            Migrations.rollbackTo(db.dataSource(), 0);

            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> get(service, "observe/health/ready?data=true").body().contains("tables are missing"));
            HttpResponse<String> ready = get(service, "observe/health/ready?data=true");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("the database answers, but the service's tables are missing")
                    .contains("run `migrate`");
            JsonNode database = service.status().get("database");
            assertThat(database.get("available").asBoolean()).isFalse();
            assertThat(database.get("detail").asText()).startsWith("the database answers, but the service's tables are "
                    + "missing (ERROR: relation \"sync_runs\" does not exist").doesNotContain("did not answer");
        }
    }

    private static HttpResponse<String> get(ServiceUnderTest service, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(service.base() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long count(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
