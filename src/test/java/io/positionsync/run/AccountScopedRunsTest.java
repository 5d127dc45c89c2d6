package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ACCOUNT_2;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Array;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Side;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;
import io.positionsync.testing.ServiceUnderTest;

/**
 * A run of some accounts (an event run, a manual trigger naming accounts) over the real route, the simulator and
 * PostgreSQL: it reconciles those accounts from a snapshot complete for them, and never touches another account,
 * even one whose position the broker closed meanwhile; an incomplete snapshot of the account changes nothing.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class AccountScopedRunsTest {
    private ServiceUnderTest h;

    private SyncRunSummary run(SyncTrigger trigger, String... accounts) throws Exception {
        return h.triggers.request(trigger, null, List.of(accounts)).await(Duration.ofSeconds(30)).orElseThrow();
    }

    private SyncRunSummary succeeded(SyncRunSummary run) {
        assertThat(run.status()).as("run %s: %s", run.runId(), run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        return run;
    }

    private String status(String account, long conId) throws Exception {
        List<Map<String, Object>> rows = h.rows(account, conId);
        return rows.isEmpty() ? null : (String) rows.get(rows.size() - 1).get("status");
    }

    @Test
    void aRunOfOneAccountNeverClosesAnotherAccountsPosition() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("10"), dec("150.00"), dec("1.00"));
        h.broker().trade(ACCOUNT_2, XYZ, Side.BOT, dec("100"), dec("20.00"), dec("1.00"));
        succeeded(h.sync());
        assertThat(status(ACCOUNT_2, XYZ)).isEqualTo("OPEN");

        // The broker closes ACCOUNT_2's position; ACCOUNT trades.
        h.broker().trade(ACCOUNT_2, XYZ, Side.SLD, dec("100"), dec("21.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("5"), dec("152.00"), dec("1.00"));
        SyncRunSummary scoped = succeeded(run(SyncTrigger.EVENT, ACCOUNT));

        assertThat(scoped.accounts()).containsExactly(ACCOUNT);
        assertThat(h.openRow(ACCOUNT, AAPL).get("quantity")).satisfies(q -> assertThat((java.math.BigDecimal) q)
                .isEqualByComparingTo("15"));
        assertThat(status(ACCOUNT_2, XYZ)).as("the other account is not this run's to close").isEqualTo("OPEN");
        assertThat(h.count("SELECT count(*) FROM executions WHERE account = ?", ACCOUNT_2)).isEqualTo(1);

        // The next run of ACCOUNT_2 (or a full run) closes it, with the sale's realized P&L.
        succeeded(run(SyncTrigger.EVENT, ACCOUNT_2));
        assertThat(status(ACCOUNT_2, XYZ)).isEqualTo("CLOSED");
        List<Map<String, Object>> rows = h.rows(ACCOUNT_2, XYZ);
        assertThat((java.math.BigDecimal) rows.get(rows.size() - 1).get("realized_pnl")).isEqualByComparingTo("98.00");
    }

    @Test
    void theRunRecordsItsAccountsAndItsTrigger() throws Exception {
        succeeded(h.sync());
        SyncRunSummary scoped = succeeded(run(SyncTrigger.MANUAL, ACCOUNT_2));

        Map<String, Object> row = h.query("SELECT trigger, accounts FROM sync_runs WHERE id = ?", scoped.runId()).get(0);
        assertThat(row.get("trigger")).isEqualTo("MANUAL");
        Object accounts = row.get("accounts");
        assertThat(accounts instanceof Array array ? List.of((Object[]) array.getArray()) : accounts)
                .isEqualTo(List.of(ACCOUNT_2));
        Map<String, Object> full = h.query("SELECT accounts FROM sync_runs WHERE trigger = 'MANUAL' ORDER BY id LIMIT 1")
                .get(0);
        assertThat(full.get("accounts")).as("a run of every account names none").isNull();
    }

    @Test
    void anIncompleteSnapshotOfTheAccountChangesNothing() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("10"), dec("150.00"), dec("1.00"));
        succeeded(h.sync());
        long historyBefore = h.count("SELECT count(*) FROM position_history");

        h.broker().brokerClose(ACCOUNT, AAPL);
        h.simulator().faults().dropDuringAccountUpdates(ACCOUNT);
        SyncRunSummary scoped = run(SyncTrigger.EVENT, ACCOUNT);

        assertThat(scoped.status()).isEqualTo(SyncRunStatus.SKIPPED_INCOMPLETE);
        assertThat(status(ACCOUNT, AAPL)).isEqualTo("OPEN");
        assertThat(h.count("SELECT count(*) FROM position_history")).isEqualTo(historyBefore);
    }

    @Test
    void accountsTheGatewayDoesNotManageAreNotReconciledAsFlat() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("10"), dec("150.00"), dec("1.00"));
        succeeded(h.sync());

        SyncRunSummary run = run(SyncTrigger.MANUAL, "DU0000404");

        // Whatever the run says of an account the gateway does not manage, it closes nothing.
        assertThat(run.status()).isIn(SyncRunStatus.SUCCEEDED, SyncRunStatus.SKIPPED_INCOMPLETE, SyncRunStatus.FAILED);
        assertThat(status(ACCOUNT, AAPL)).isEqualTo("OPEN");
        assertThat(h.count("SELECT count(*) FROM positions WHERE status = 'CLOSED'")).isZero();
        assertThat(Set.of(run.accounts().toArray())).containsExactly("DU0000404");
    }
}
