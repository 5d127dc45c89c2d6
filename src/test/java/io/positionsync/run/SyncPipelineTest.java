package io.positionsync.run;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;

import static io.positionsync.testing.SyncBook.ABC;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ACCOUNT_2;
import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ES;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.store.PortfolioSummary;
import io.positionsync.store.PositionQuery;
import io.positionsync.store.PositionRepository;
import io.positionsync.sync.StoredPosition;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * The whole pipeline against the simulator and PostgreSQL: lifecycles and realized P&L exactly as
 * {@code reconcile-and-pnl.md} says, including its four worked examples.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class SyncPipelineTest {
    private ServiceUnderTest h;

    private static void assertMoney(Object actual, String expected) {
        assertThat((BigDecimal) actual).as("amount").isEqualByComparingTo(expected);
    }

    @Test
    void firstSyncOpensEveryPositionOfEveryAccount() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        Execution esBuy = h.broker().trade(ACCOUNT, ES, Side.BOT, dec("2"), dec("5000.00"), dec("4.80"));
        h.broker().trade(ACCOUNT_2, XYZ, Side.SLD, dec("50"), dec("20.03"), dec("0.50"));

        SyncRunSummary run = h.sync();

        assertThat(run.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(run.opened()).isEqualTo(3);
        assertThat(h.count("SELECT count(*) FROM positions WHERE status = 'OPEN'")).isEqualTo(3);
        Map<String, Object> es = h.openRow(ACCOUNT, ES);
        assertMoney(es.get("quantity"), "2");
        assertMoney(es.get("multiplier"), "50");
        assertMoney(es.get("average_price"), "5000.048");
        Map<String, Object> shortRow = h.openRow(ACCOUNT_2, XYZ);
        assertMoney(shortRow.get("quantity"), "-50");
        assertMoney(shortRow.get("average_price"), "20.02");
        assertThat(shortRow.get("realized_pnl")).isNull();
        assertThat(shortRow.get("last_synced_at")).isNotNull();
        Map<String, Object> recorded = h.query("SELECT * FROM sync_runs WHERE id = ?", run.runId()).get(0);
        assertThat(recorded.get("status")).isEqualTo("SUCCEEDED");
        assertThat(recorded.get("opened")).isEqualTo(3);
        assertThat(recorded.get("broker_server_time")).isNotNull();
        assertThat(recorded.get("started_at")).as("summary and row agree").isEqualTo(run.startedAt());
        assertThat(recorded.get("finished_at")).isEqualTo(run.finishedAt());
        assertThat(h.count("SELECT count(*) FROM executions")).isEqualTo(3);
        // first sight of an account: the broker's positions are opening balances; the day's earlier fills are
        // stored but covered by the balance, never applied
        Map<String, Object> history = h.query("SELECT run_id, change_kind, exec_ids FROM position_history WHERE position_id = ?",
                es.get("id")).get(0);
        assertThat(history.get("run_id")).isEqualTo(run.runId());
        assertThat(history.get("change_kind")).isEqualTo("OPENED");
        assertThat((String[]) ((java.sql.Array) history.get("exec_ids")).getArray()).isEmpty();
        assertThat(h.query("SELECT state FROM executions WHERE exec_id = ?", esBuy.execId()).get(0).get("state"))
                .isEqualTo("COVERED");
        assertThat(h.query("SELECT kind, quantity FROM ledger_entries WHERE position_id = ?", es.get("id")))
                .singleElement().satisfies(entry -> assertThat(entry.get("kind")).isEqualTo("OPENING_BALANCE"));
    }

    @Test
    void workedExample1LongClosedWithCommission() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.sync();
        assertMoney(h.openRow(ACCOUNT, AAPL).get("average_price"), "150.01");

        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00"));
        SyncRunSummary run = h.sync();

        assertThat(run.closed()).isEqualTo(1);
        Map<String, Object> row = h.rows(ACCOUNT, AAPL).get(0);
        assertThat(row.get("status")).isEqualTo("CLOSED");
        assertMoney(row.get("realized_pnl"), "998.00");
        assertThat(row.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
        assertThat(row.get("closed_at")).isNotNull();
        assertMoney(row.get("quantity"), "0");
    }

    @Test
    void workedExample2ShortPartlyBoughtBack() throws Exception {
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("50"), dec("20.03"), dec("0.50"));
        h.sync();
        assertMoney(h.openRow(ACCOUNT, XYZ).get("average_price"), "20.02");

        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("20"), dec("18.00"), dec("0.40"));
        SyncRunSummary run = h.sync();

        assertThat(run.updated()).isEqualTo(1);
        Map<String, Object> row = h.openRow(ACCOUNT, XYZ);
        assertMoney(row.get("quantity"), "-30");
        assertMoney(row.get("realized_pnl"), "40.00");
        assertThat(row.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
    }

    @Test
    void workedExample3FuturesWithMultiplier() throws Exception {
        h.broker().trade(ACCOUNT, ES, Side.BOT, dec("2"), dec("5000.00"), dec("4.80"));
        h.sync();
        h.broker().trade(ACCOUNT, ES, Side.SLD, dec("2"), dec("5010.00"), dec("4.80"));
        h.sync();

        Map<String, Object> row = h.rows(ACCOUNT, ES).get(0);
        assertThat(row.get("status")).isEqualTo("CLOSED");
        assertMoney(row.get("realized_pnl"), "990.40");
    }

    @Test
    void workedExample4FlipClosesTheLongAndOpensAShort() throws Exception {
        h.broker().trade(ACCOUNT, ABC, Side.BOT, dec("100"), dec("9.00"), BigDecimal.ZERO);
        h.sync();
        h.broker().trade(ACCOUNT, ABC, Side.SLD, dec("150"), dec("10.00"), dec("1.50"));
        SyncRunSummary run = h.sync();

        assertThat(run.closed()).isEqualTo(1);
        assertThat(run.opened()).isEqualTo(1);
        List<Map<String, Object>> rows = h.rows(ACCOUNT, ABC);
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("status")).isEqualTo("CLOSED");
        assertMoney(rows.get(0).get("realized_pnl"), "99.00");
        assertThat(rows.get(1).get("status")).isEqualTo("OPEN");
        assertMoney(rows.get(1).get("quantity"), "-50");
        // the broker's new avgCost for the short leg: 10.00 less its share (0.50) of the commission per unit
        assertMoney(rows.get(1).get("average_price"), "9.99");
        assertThat(rows.get(1).get("realized_pnl")).isNull();
    }

    @Test
    void partialCloseThenCloseAccumulatesRealizedPnl() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.sync();
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("155.00"), dec("0.40"));
        h.sync();
        Map<String, Object> open = h.openRow(ACCOUNT, AAPL);
        assertMoney(open.get("quantity"), "60");
        // (155.00 - 150.01) * 40 - 0.40
        assertMoney(open.get("realized_pnl"), "199.20");

        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("60"), dec("160.00"), dec("0.60"));
        h.sync();
        Map<String, Object> closed = h.rows(ACCOUNT, AAPL).get(0);
        assertThat(closed.get("status")).isEqualTo("CLOSED");
        // 199.20 + (160.00 - 150.01) * 60 - 0.60
        assertMoney(closed.get("realized_pnl"), "798.00");
        assertThat(h.count("SELECT count(*) FROM position_history WHERE position_id = ?", closed.get("id"))).isEqualTo(3);
    }

    @Test
    void reopenAfterCloseIsANewLifecycleAndLeavesHistoryAlone() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("10"), dec("150.00"), BigDecimal.ZERO);
        h.sync();
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("10"), dec("151.00"), BigDecimal.ZERO);
        h.sync();
        Map<String, Object> closedBefore = h.rows(ACCOUNT, AAPL).get(0);

        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("5"), dec("152.00"), BigDecimal.ZERO);
        h.sync();
        h.sync();

        List<Map<String, Object>> rows = h.rows(ACCOUNT, AAPL);
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).isEqualTo(closedBefore);
        assertThat(rows.get(1).get("status")).isEqualTo("OPEN");
        assertMoney(rows.get(1).get("quantity"), "5");
        assertMoney(rows.get(1).get("average_price"), "152");
    }

    @Test
    void addingToAPositionTakesTheBrokersAverageWithoutRealizing() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), BigDecimal.ZERO);
        h.sync();
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("160.00"), BigDecimal.ZERO);
        SyncRunSummary run = h.sync();

        assertThat(run.updated()).isEqualTo(1);
        Map<String, Object> row = h.openRow(ACCOUNT, AAPL);
        assertMoney(row.get("quantity"), "200");
        assertMoney(row.get("average_price"), "155");
        assertThat(row.get("realized_pnl")).isNull();
    }

    @Test
    void positionClosedByTheBrokerWithoutExecutionUsesTheMarketPrice() throws Exception {
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("10"), dec("20.00"), BigDecimal.ZERO);
        h.sync();
        h.broker().setMarketPrice(XYZ, dec("23.50"));
        h.broker().brokerClose(ACCOUNT, XYZ);
        h.sync();

        Map<String, Object> row = h.rows(ACCOUNT, XYZ).get(0);
        assertThat(row.get("status")).isEqualTo("CLOSED");
        assertThat(row.get("realized_pnl_source")).isEqualTo("MARKET_PRICE");
        assertMoney(row.get("realized_pnl"), "35.00");
    }

    @Test
    void replayedAndCorrectedExecutionsAreNotCountedTwice() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.sync();
        Execution sell = h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("50"), dec("159.00"), dec("0.50"));
        h.broker().correctExecution(sell.execId(), dec("160.00"));
        h.sync();
        Map<String, Object> row = h.openRow(ACCOUNT, AAPL);
        // corrected price: (160.00 - 150.01) * 50 - 0.50
        assertMoney(row.get("realized_pnl"), "499.00");

        // the gateway drops and, on reconnect, replays today's executions: nothing is counted again
        h.simulator.faults().replayExecutionsOnReconnect();
        h.simulator.dropAllClients();
        h.sync();
        h.sync();
        assertMoney(h.openRow(ACCOUNT, AAPL).get("realized_pnl"), "499.00");
        // the snapshot already carries only the correction, so the store holds the buy and the corrected sell
        assertThat(h.count("SELECT count(*) FROM executions")).isEqualTo(2);
        assertThat(h.query("SELECT exec_id, price FROM executions WHERE side = 'SLD'"))
                .singleElement()
                .satisfies(e -> {
                    assertThat((String) e.get("exec_id")).endsWith(".02");
                    assertMoney(e.get("price"), "160.00");
                });
    }

    @Test
    void lastSyncedAtIsSetOnInsertAndTheReportedTimeAdvancesOnEveryRun() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("1"), dec("150.00"), BigDecimal.ZERO);
        SyncRunSummary first = h.sync();
        Instant firstSync = SyncBook.instant(h.openRow(ACCOUNT, AAPL).get("last_synced_at"));
        assertThat(firstSync).isBetween(first.startedAt(), first.finishedAt());

        SyncRunSummary second = h.sync();
        assertThat(second.unchanged()).isEqualTo(1);
        PositionRepository positions = h.context.getRegistry().findSingleByType(PositionRepository.class);
        Instant reported = positions.find(PositionQuery.open(10)).get(0).lastSyncedAt();
        assertThat(reported).isAfter(firstSync).isBetween(second.startedAt(), second.finishedAt());
    }

    /** Each position row's physical version (xmin, ctid): an unchanged row keeps both. */
    private List<String> rowVersions() throws Exception {
        return h.query("SELECT symbol || ' ' || xmin::text || ' ' || ctid::text AS v FROM positions ORDER BY symbol").stream()
                .map(r -> (String) r.get("v")).toList();
    }

    private PositionRepository positions() {
        return h.context.getRegistry().lookupByNameAndType("positionRepository", PositionRepository.class);
    }

    @Test
    void anUnchangedResyncWritesNoPositionRowYetEveryReaderShowsTheNewSyncTime() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("20"), dec("18.00"), dec("0.40"));
        h.sync();
        // long ago, as far as the rows and the account know
        h.execute("UPDATE positions SET last_synced_at = now() - interval '2 hours'");
        h.execute("UPDATE accounts SET last_reported_at = now() - interval '2 hours'");
        PositionQuery stale = PositionQuery.open(10).withStaleMinutes(60);
        assertThat(positions().count(stale)).isEqualTo(2);
        List<String> before = rowVersions();

        SyncRunSummary resync = h.sync();

        assertThat(resync.status()).as(resync.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(resync.unchanged()).isEqualTo(2);
        assertThat(rowVersions()).as("no position row rewritten").isEqualTo(before);
        assertThat(positions().find(PositionQuery.open(10))).hasSize(2).allSatisfy(p ->
                assertThat(p.lastSyncedAt()).isBetween(resync.startedAt(), resync.finishedAt()));
        assertThat(positions().count(stale)).isZero();
        PortfolioSummary summary = positions().summary();
        assertThat(summary.overall().lastSyncedAt()).isBetween(resync.startedAt(), resync.finishedAt());
    }

    @Test
    void aPriceChangeRewritesOnlyThePositionItMoved() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("20"), dec("18.00"), dec("0.40"));
        h.sync();
        List<String> before = rowVersions();
        Object xyzPrice = h.openRow(ACCOUNT, XYZ).get("market_price");

        h.broker().setMarketPrice(AAPL, dec("171.25"));
        SyncRunSummary moved = h.sync();

        assertThat(moved.status()).as(moved.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        List<String> after = rowVersions();
        assertThat(after.get(0)).startsWith("AAPL").isNotEqualTo(before.get(0));
        assertThat(after.get(1)).startsWith("XYZ").isEqualTo(before.get(1));
        assertThat((BigDecimal) h.openRow(ACCOUNT, AAPL).get("market_price")).isEqualByComparingTo("171.25");
        assertThat(h.openRow(ACCOUNT, XYZ).get("market_price")).isEqualTo(xyzPrice);
        assertThat(positions().find(PositionQuery.open(10))).extracting(StoredPosition::lastSyncedAt)
                .allSatisfy(t -> assertThat(t).isBetween(moved.startedAt(), moved.finishedAt()));
    }
}
