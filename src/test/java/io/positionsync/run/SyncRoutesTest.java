package io.positionsync.run;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;

/**
 * The real route files and configuration under {@code @CamelMainTest}: the timer's first fire is the
 * start-up run, and the manual entry point goes through the same single-flight pipeline.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:config/application.properties", properties = {
        "camel.main.routes-include-pattern=file:routes/sync.camel.yaml",
        "psync.sync.timer-enabled=true",
        "psync.sync.period=3600000",
        "camel.server.enabled=false",
        "camel.management.enabled=false" })
class SyncRoutesTest {
    private static final TestDatabase DB = TestDatabase.create();
    private static final GatewaySimulator SIMULATOR;
    private static final Map<String, String> SYSTEM_PROPERTIES;

    static {
        try {
            SIMULATOR = GatewaySimulator.startDemo();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        // Values only known at run time reach the properties component as system properties, which override the file.
        SYSTEM_PROPERTIES = Map.of(
                "psync.db.url", DB.jdbcUrl(),
                "psync.db.user", DB.user(),
                "psync.db.password", DB.password(),
                "psync.ibkr.host", SIMULATOR.host(),
                "psync.ibkr.port", Integer.toString(SIMULATOR.port()),
                "psync.ibkr.client-id", "43");
        SYSTEM_PROPERTIES.forEach(System::setProperty);
    }

    @BeanInject
    CamelContext context;

    @AfterAll
    static void cleanUp() {
        SYSTEM_PROPERTIES.keySet().forEach(System::clearProperty);
        SIMULATOR.close();
        DB.close();
    }

    @Test
    void theRouteFilesDefineThePipeline() {
        assertThat(context.getRoutes()).extracting(r -> r.getRouteId())
                .contains("sync-timer", "sync-manual", "sync-run");
        assertThat(context.getRoute("sync-timer").getEndpoint().getEndpointUri()).startsWith("timer://position-sync");
    }

    @Test
    void firstTimerFireIsTheStartUpRunAndSyncsTheDemoPortfolio() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count(*) FROM sync_runs WHERE status <> 'RUNNING'") >= 1);
        try (Connection c = DB.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT trigger, status, opened FROM sync_runs ORDER BY id LIMIT 1")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("trigger")).isEqualTo("STARTUP");
            assertThat(rs.getString("status")).isEqualTo("SUCCEEDED");
            assertThat(rs.getInt("opened")).isEqualTo((int) SIMULATOR.state().positions().stream()
                    .filter(p -> p.quantity().signum() != 0).count());
        }
    }

    @Test
    void manualTriggerRunsThePipelineOnce() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count(*) FROM sync_runs WHERE status <> 'RUNNING'") >= 1);
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("sync-run").whenDone(1).create();
        ProducerTemplate template = context.createProducerTemplate();

        SyncCoordinator.InFlightRun run = template.requestBody("direct:sync-manual", null, SyncCoordinator.InFlightRun.class);
        SyncRunSummary summary = run.await(Duration.ofSeconds(30)).orElseThrow();

        assertThat(done.matches(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(summary.trigger()).isEqualTo(SyncTrigger.MANUAL);
        assertThat(summary.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(summary.opened()).isZero();
        assertThat(summary.unchanged()).isPositive();
    }

    private static long count(String sql) throws Exception {
        try (Connection c = DB.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
