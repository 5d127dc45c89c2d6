package io.positionsync.run;

import io.positionsync.boot.DatabaseLink;
import io.positionsync.boot.GroupSummary;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.DatabaseLink;
import io.positionsync.boot.GroupSummary;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * The database goes away in the middle of a run (the service's connections cut by a relay): the run fails,
 * nothing is written, and its end is recorded as soon as the database is back, without a restart and
 * without a new run.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD,
        databaseLink = true, properties = { "psync.db.connection-timeout-ms=1000", "psync.db.socket-timeout-ms=3000",
                "psync.sync.failure-retry-ms=200", "psync.ibkr.request-timeout-ms=10000" })
class DatabaseOutageTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("database outage");
    private DatabaseLink link;
    private ServiceUnderTest h;

    @Test
    void aRunThatFailedBecauseTheDatabaseDiedIsRecordedWhenItReturns() throws Exception {
        SUMMARY.begin(1);
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        assertThat(h.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("155.00"), dec("0.40"));
        List<Map<String, Object>> before = h.allPositions();
        long runsBefore = h.count("SELECT count(*) FROM sync_runs");

        h.simulator.faults().delayEnd(SnapshotPhase.POSITIONS, Duration.ofMillis(1_500));
        SyncCoordinator.InFlightRun run = h.triggers.request(SyncTrigger.MANUAL, null, null);
        long runId = run.runId().get(10, TimeUnit.SECONDS);
        link.cut();
        SyncRunSummary failed = run.await(Duration.ofSeconds(30)).orElseThrow();

        assertThat(failed.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(failed.runId()).isEqualTo(runId);
        assertThat(h.query("SELECT status FROM sync_runs WHERE id = ?", runId).get(0))
                .as("the database was away when the run failed").containsEntry("status", "RUNNING");

        link.restore();
        await().atMost(Duration.ofSeconds(15))
                .until(() -> "FAILED".equals(h.query("SELECT status FROM sync_runs WHERE id = ?", runId).get(0).get("status")));
        Map<String, Object> row = h.query("SELECT error, finished_at FROM sync_runs WHERE id = ?", runId).get(0);
        assertThat(row.get("error")).isEqualTo(failed.error());
        assertThat(row.get("finished_at")).isEqualTo(failed.finishedAt());
        assertThat(h.count("SELECT count(*) FROM sync_runs")).as("no other run").isEqualTo(runsBefore + 1);
        assertThat(h.allPositions()).as("nothing written by the failed run").isEqualTo(before);
        assertThat(h.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        SUMMARY.held();
    }
}
