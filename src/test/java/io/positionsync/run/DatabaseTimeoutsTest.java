package io.positionsync.run;

import io.positionsync.boot.GroupSummary;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.GroupSummary;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * The database can no longer hang a run: with a real lock held by another connection, the lock timeout
 * (or, with that off, the statement timeout) cancels the run's statement, the run is recorded FAILED with
 * the reason and changes nothing, and the next run succeeds once the lock is gone. A server that does not
 * answer at all is cut off by the driver's socket timeout.
 */
class DatabaseTimeoutsTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("database timeouts");
    private ServiceUnderTest h;

    private void runBlockedByATableLock(String expectedReason) throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        assertThat(h.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("155.00"), dec("0.40"));
        List<Map<String, Object>> before = h.allPositions();

        SyncRunSummary blocked;
        try (Connection holder = h.db.connection()) {
            holder.setAutoCommit(false);
            try (Statement lock = holder.createStatement()) {
                lock.execute("LOCK TABLE positions IN ACCESS EXCLUSIVE MODE");
            }
            long started = System.nanoTime();
            blocked = h.sync();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the run gave up").isLessThan(Duration.ofSeconds(10));
            holder.rollback();
        }

        assertThat(blocked.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(blocked.error()).contains(expectedReason);
        assertThat(h.query("SELECT status, error FROM sync_runs WHERE id = ?", blocked.runId()).get(0))
                .containsEntry("status", "FAILED").containsEntry("error", blocked.error());
        assertThat(h.allPositions()).as("nothing written").isEqualTo(before);

        SyncRunSummary next = h.sync();
        assertThat(next.status()).as("the lock is gone: the next run applies the sale").isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat((BigDecimal) h.openRow(ACCOUNT, AAPL).get("quantity")).isEqualByComparingTo("60");
    }

    @Test
    @PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, properties = { "psync.db.lock-timeout-ms=500" })
    void aTableLockHeldElsewhereFailsTheRunWhenTheLockTimeoutFires() throws Exception {
        SUMMARY.begin(1);
        runBlockedByATableLock("canceling statement due to lock timeout");
        SUMMARY.held();
    }

    @Test
    @PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, properties = { "psync.db.lock-timeout-ms=0",
            "psync.db.statement-timeout-ms=700" })
    void withTheLockTimeoutOffTheStatementTimeoutFires() throws Exception {
        SUMMARY.begin(1);
        runBlockedByATableLock("canceling statement due to statement timeout");
        SUMMARY.held();
    }

    @Test
    @PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, properties = { "psync.db.statement-timeout-ms=0",
            "psync.db.socket-timeout-ms=1000" })
    void aServerThatDoesNotAnswerIsCutOffByTheSocketTimeout() throws Exception {
        SUMMARY.begin(1);
        DataSource pool = h.context.getRegistry().lookupByNameAndType("dataSource", DataSource.class);
        long started = System.nanoTime();
        // pg_sleep stands in for a frozen server: the driver hears nothing back
        assertThatThrownBy(() -> {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_sleep(30)");
            }
        }).isInstanceOf(SQLException.class).hasMessageContaining("An I/O error occurred");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        SUMMARY.held();
    }
}
