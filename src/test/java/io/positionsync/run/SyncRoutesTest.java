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

import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;

/**
 * The real route file of the pipeline and the configuration under {@code @PositionSyncService}: the timer's first
 * fire is the start-up run, and the manual entry point goes through the same single-flight pipeline.
 */
@PositionSyncService(profile = PositionSyncService.Profile.PIPELINE, properties = {
        "psync.sync.timer-enabled=true",
        "psync.sync.period=3600000",
        "psync.ibkr.client-id=43" })
class SyncRoutesTest {
    static TestDatabase db;
    static GatewaySimulator simulator;
    static CamelContext context;

    @Test
    void theRouteFilesDefineThePipeline() {
        assertThat(context.getRoutes()).extracting(r -> r.getRouteId())
                .contains("sync-timer", "sync-manual", "sync-run");
        assertThat(context.getRoute("sync-timer").getEndpoint().getEndpointUri()).startsWith("timer://position-sync");
    }

    @Test
    void firstTimerFireIsTheStartUpRunAndSyncsTheDemoPortfolio() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count(*) FROM sync_runs WHERE trigger = 'STARTUP' AND status <> 'RUNNING'") >= 1);
        try (Connection c = db.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT trigger, status, opened FROM sync_runs ORDER BY id LIMIT 1")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("trigger")).isEqualTo("STARTUP");
            assertThat(rs.getString("status")).isEqualTo("SUCCEEDED");
            assertThat(rs.getInt("opened")).isEqualTo((int) simulator.state().positions().stream()
                    .filter(p -> p.quantity().signum() != 0).count());
        }
    }

    @Test
    void manualTriggerRunsThePipelineOnce() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count(*) FROM sync_runs WHERE trigger = 'STARTUP' AND status <> 'RUNNING'") >= 1);
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
        try (Connection c = db.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
