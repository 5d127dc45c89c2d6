package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import javax.sql.DataSource;

import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.GatewaySimulator;

/**
 * With no database and no gateway configured the service starts an embedded PostgreSQL under the data
 * directory and the built-in simulator, migrates, and its start-up run syncs the demo portfolio.
 */
class ZeroConfigDefaultTest {

    @Test
    void comesUpMigratesAndSyncsTheDemoPortfolio() throws Exception {
        Path dataDir = Files.createTempDirectory(Path.of("target"), "zero-config-");
        Main main = ServiceCommand.createMain(ServiceCommand.syncRoutesPattern(), Map.of(
                "psync.data.dir", dataDir.toString(),
                // nothing else: the configuration file's defaults (no PSYNC_DB_URL, no PSYNC_IBKR_HOST)
                "camel.server.enabled", "false",
                // the demo standing still, so the database can be compared with the simulator's book
                "psync.sim.trade-interval-ms", "0",
                "camel.management.enabled", "false"));
        main.start();
        try {
            CamelContext context = main.getCamelContext();
            DataSource dataSource = context.getRegistry().lookupByNameAndType("dataSource", DataSource.class);
            GatewaySimulator simulator = context.getRegistry().lookupByNameAndType("gatewaySimulator", GatewaySimulator.class);
            assertThat(simulator).as("the built-in simulator").isNotNull();
            assertThat(Files.isDirectory(dataDir.resolve("pg"))).as("embedded PostgreSQL data under the data dir").isTrue();

            await().atMost(Duration.ofSeconds(60)).until(() -> query(dataSource,
                    "SELECT count(*) FROM sync_runs WHERE trigger = 'STARTUP' AND status = 'SUCCEEDED'") == 1);
            long demoPositions = simulator.state().positions().stream().filter(p -> p.quantity().signum() != 0).count();
            assertThat(demoPositions).isGreaterThan(3);
            assertThat(query(dataSource, "SELECT count(*) FROM positions WHERE status = 'OPEN' AND last_synced_at IS NOT NULL"))
                    .isEqualTo(demoPositions);
            assertThat(query(dataSource, "SELECT count(DISTINCT account) FROM positions")).isEqualTo(2);
            assertThat(query(dataSource, "SELECT max(version::int) FROM flyway_schema_history")).isGreaterThanOrEqualTo(6);
        } finally {
            main.stop();
        }
    }

    @Test
    void refusesASyncPeriodBelowOneSecondBeforeStartingAnything() {
        Main main = ServiceCommand.createMain(ServiceCommand.syncRoutesPattern(), Map.of(
                "psync.sync.period", "200ms",
                "psync.data.dir", "target/never-created",
                "camel.server.enabled", "false",
                "camel.management.enabled", "false"));
        try {
            assertThatThrownBy(main::start).hasStackTraceContaining("PSYNC_SYNC_PERIOD must be a duration")
                    .hasStackTraceContaining("of at least 1s, got '200ms'");
            assertThat(Path.of("target/never-created")).doesNotExist();
        } finally {
            main.stop();
        }
    }

    @Test
    void withAnExternalDatabaseTheSimulatorRunsOnlyWhenAskedForByName() throws Exception {
        try (io.positionsync.store.TestDatabase db = io.positionsync.store.TestDatabase.create()) {
            Map<String, String> properties = new java.util.HashMap<>(db.settings());
            properties.put("psync.ibkr.host", "simulator");
            properties.put("psync.sync.timer-enabled", "false");
            properties.put("camel.server.enabled", "false");
            properties.put("camel.management.enabled", "false");
            Main main = ServiceCommand.createMain(ServiceCommand.syncRoutesPattern(), properties);
            main.start();
            try {
                assertThat(main.getCamelContext().getRegistry().lookupByNameAndType("gatewaySimulator", GatewaySimulator.class))
                        .as("the built-in simulator, asked for by name").isNotNull();
            } finally {
                main.stop();
            }

            properties.remove("psync.ibkr.host");
            Main refused = ServiceCommand.createMain(ServiceCommand.syncRoutesPattern(), properties);
            try {
                assertThatThrownBy(refused::start).hasStackTraceContaining("PSYNC_DB_URL is set but PSYNC_IBKR_HOST is not");
            } finally {
                refused.stop();
            }
        }
    }

    private static long query(DataSource dataSource, String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
