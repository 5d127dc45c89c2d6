package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.OPT;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.ExecIds;
import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * The version 3 rules of reconcile-and-pnl end to end: the gateway simulator over a real socket, the real route
 * and PostgreSQL. Each case lives through several runs, the broker changing between them as the spec's worked
 * examples 7, 8 and 9 and its cross-checks describe, and reads what the runs stored.
 *
 * <p>Broker times have whole seconds, run times do not: a fill made in the same second as a run that did not see it
 * is placed by what that run's broker report says (before its observation when it explains what the observation
 * estimated, after it otherwise), so the cases run at full speed whatever second their fills land in.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class LedgerRefoldPipelineTest {
    private ServiceUnderTest h;

    private SyncRunSummary sync() throws Exception {
        SyncRunSummary run = h.sync();
        assertThat(run.status()).as("run %s: %s", run.runId(), run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        return run;
    }

    private static void assertMoney(Object actual, String expected) {
        assertThat((BigDecimal) actual).isNotNull().isEqualByComparingTo(expected);
    }

    private List<Map<String, Object>> breaks(long conId, String kind) throws Exception {
        return h.query("SELECT * FROM reconciliation_breaks WHERE con_id = ? AND kind = ? ORDER BY id", conId, kind);
    }

    private long openBreaks() throws Exception {
        return h.count("SELECT count(*) FROM reconciliation_breaks WHERE resolved_at IS NULL");
    }

    private List<Map<String, Object>> history(Object positionId, String changeKind) throws Exception {
        return h.query("SELECT * FROM position_history WHERE position_id = ? AND change_kind = ? ORDER BY run_id",
                positionId, changeKind);
    }

    private long entries(Object positionId, String kind) throws Exception {
        return h.count("SELECT count(*) FROM ledger_entries WHERE position_id = ? AND kind = ?", positionId, kind);
    }

    // ---- example 7: a close without any execution, explained two runs later -----------------------------------

    @Test
    void aCloseWithoutAnExecutionIsPricedAtTheLastStoredMarketPriceThenRefoldedFromTheLateSale() throws Exception {
        sync(); // first sight of the (empty) accounts
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.broker().setMarketPrice(AAPL, dec("158.00"));
        sync();
        assertMoney(h.openRow(ACCOUNT, AAPL).get("market_price"), "158.00");

        // The position goes to 0 and the snapshot no longer lists it (no price in it): the sale that closed it is
        // not reported. The simulator's price moves on, but no run sees it.
        h.broker().reportClosedAsZero(false);
        h.broker().setMarketPrice(AAPL, dec("165.00"));
        Execution sale = h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00"));
        h.broker().withholdExecution(sale.execId());

        SyncRunSummary estimating = sync();

        Map<String, Object> row = h.rows(ACCOUNT, AAPL).get(0);
        assertThat(h.rows(ACCOUNT, AAPL)).hasSize(1);
        assertThat(row.get("status")).isEqualTo("CLOSED");
        // (158.00 - 150.01) * 100: the last stored market price, not the simulator's 165.00, not the average (0)
        assertMoney(row.get("realized_pnl"), "799.00");
        assertThat(row.get("realized_pnl_source")).isEqualTo("MARKET_PRICE");
        assertThat(estimating.fills().estimated()).isEqualTo(1);
        assertThat(entries(row.get("id"), "ESTIMATE")).isEqualTo(1);
        assertThat(breaks(AAPL, "UNEXPLAINED_QUANTITY")).singleElement().satisfies(b -> {
            assertThat(b.get("run_id")).isEqualTo(estimating.runId());
            assertThat((String) b.get("subject")).startsWith("obs:");
            assertThat(b.get("resolved_at")).isNull();
        });

        // an unchanged run: the estimate's agreement with the broker resolves nothing
        SyncRunSummary unchanged = sync();
        assertThat(breaks(AAPL, "UNEXPLAINED_QUANTITY")).singleElement()
                .satisfies(b -> assertThat(b.get("resolved_at")).isNull());
        assertThat(history(row.get("id"), "ADJUSTED")).isEmpty();

        // two runs after the estimate the sale is reported, executed before the estimate's run
        h.broker().releaseExecution(sale.execId());
        SyncRunSummary explaining = sync();

        Instant estimateRun = SyncBook.instant(
                h.query("SELECT started_at FROM sync_runs WHERE id = ?", estimating.runId()).get(0).get("started_at"));
        assertThat(sale.time()).isBefore(estimateRun);
        assertThat(h.rows(ACCOUNT, AAPL)).singleElement().satisfies(r -> {
            assertThat(r.get("id")).isEqualTo(row.get("id"));
            assertThat(r.get("status")).isEqualTo("CLOSED");
            assertMoney(r.get("realized_pnl"), "998.00");
            assertThat(r.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
            assertThat(r.get("closed_at")).isEqualTo(sale.time());
        });
        assertThat(history(row.get("id"), "ADJUSTED")).singleElement().satisfies(a -> {
            assertThat(a.get("run_id")).isEqualTo(explaining.runId());
            assertMoney(a.get("realized_pnl_before"), "799.00");
            assertMoney(a.get("realized_pnl_total"), "998.00");
            assertThat((String[]) ((java.sql.Array) a.get("exec_ids")).getArray()).contains(sale.execId());
        });
        assertThat(entries(row.get("id"), "ESTIMATE")).isZero();
        assertThat(breaks(AAPL, "UNEXPLAINED_QUANTITY")).singleElement()
                .satisfies(b -> assertThat(b.get("resolved_run_id")).isEqualTo(explaining.runId()));
        assertThat(openBreaks()).isZero();
        assertThat(unchanged.runId()).isBetween(estimating.runId() + 1, explaining.runId() - 1);
    }

    // ---- an option expiring worthless without an execution --------------------------------------------------

    @Test
    void anOptionExpiringWithoutAnExecutionRealizesThePremiumLostAtTheLastMarketPriceThenTheRealClose()
            throws Exception {
        h.broker().addInstrument(Instrument.option(OPT, "AAPL", "AAPL  261218C00200000", "20261218", dec("200"), "C",
                dec("100")));
        h.broker().setMarketPrice(OPT, dec("0.50"));
        sync();
        h.broker().trade(ACCOUNT, OPT, Side.BOT, dec("2"), dec("3.00"), dec("1.30"));
        sync();
        Map<String, Object> open = h.openRow(ACCOUNT, OPT);
        // 3.00 + 1.30 / 100 / 2
        assertMoney(open.get("average_price"), "3.0065");

        // expiry: the broker shows 0 (still listed, at its last price), the closing execution is not reported yet
        Execution expiry = h.broker().trade(ACCOUNT, OPT, Side.SLD, dec("2"), dec("0"), dec("0"));
        h.broker().withholdExecution(expiry.execId());
        SyncRunSummary estimating = sync();

        Map<String, Object> row = h.rows(ACCOUNT, OPT).get(0);
        assertThat(row.get("status")).isEqualTo("CLOSED");
        // (0.50 - 3.0065) * 2 * 100 at the last market price, not 0 (which pricing at the average would give)
        assertMoney(row.get("realized_pnl"), "-501.30");
        assertThat(row.get("realized_pnl_source")).isEqualTo("MARKET_PRICE");
        assertThat(estimating.fills().estimated()).isEqualTo(1);
        assertThat(breaks(OPT, "UNEXPLAINED_QUANTITY")).singleElement()
                .satisfies(b -> assertThat(b.get("resolved_at")).isNull());

        h.broker().releaseExecution(expiry.execId());
        SyncRunSummary explaining = sync();

        assertThat(h.rows(ACCOUNT, OPT)).singleElement().satisfies(r -> {
            // the whole premium: (0 - 3.0065) * 2 * 100
            assertMoney(r.get("realized_pnl"), "-601.30");
            assertThat(r.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
            assertThat(r.get("closed_at")).isEqualTo(expiry.time());
        });
        assertThat(history(row.get("id"), "ADJUSTED")).singleElement().satisfies(a -> {
            assertThat(a.get("run_id")).isEqualTo(explaining.runId());
            assertMoney(a.get("realized_pnl_before"), "-501.30");
            assertMoney(a.get("realized_pnl_total"), "-601.30");
        });
        assertThat(breaks(OPT, "UNEXPLAINED_QUANTITY")).singleElement()
                .satisfies(b -> assertThat(b.get("resolved_run_id")).isEqualTo(explaining.runId()));
        assertThat(openBreaks()).isZero();
    }

    // ---- example 8: a late fill takes its own place in time ---------------------------------------------------

    @Test
    void aSaleReportedTwoDaysLateIsFoldedAtItsOwnTimeBeforeTheBuySeenInBetween() throws Exception {
        h.broker().setPosition(ACCOUNT, AAPL, dec("100"), dec("150.01"));
        h.broker().setMarketPrice(AAPL, dec("159.00"));
        sync(); // first sight: an opening balance of 100 at 150.01
        assertMoney(h.openRow(ACCOUNT, AAPL).get("average_price"), "150.01");

        // day 1, no run: the sale is made, its report does not come
        Execution sale = h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("160.00"), dec("0.40"));
        h.broker().withholdExecution(sale.execId());
        h.broker().rollTradingDay();

        // day 2: a buy, seen by a run while the day-1 sale is still unreported
        Execution buy = h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("20"), dec("158.00"), dec("0.20"));
        assertThat(h.broker().position(ACCOUNT, AAPL).orElseThrow().avgCost()).isEqualByComparingTo("152.01");
        SyncRunSummary day2 = sync();
        assertThat(day2.fills().applied()).isEqualTo(1);
        assertThat(day2.fills().estimated()).isEqualTo(1);
        assertMoney(h.openRow(ACCOUNT, AAPL).get("quantity"), "80");
        assertThat(openBreaks()).isPositive();
        h.broker().rollTradingDay();

        // day 3: the day-1 sale is reported, with its own time (before the buy)
        h.broker().releaseExecution(sale.execId());
        SyncRunSummary day3 = sync();

        assertThat(sale.time()).isBeforeOrEqualTo(buy.time());
        Map<String, Object> row = h.openRow(ACCOUNT, AAPL);
        assertThat(h.rows(ACCOUNT, AAPL)).hasSize(1);
        assertMoney(row.get("quantity"), "80");
        // (160.00 - 150.01) * 40 - 0.40; at the estimate's slot it would be 345.87
        assertMoney(row.get("realized_pnl"), "399.20");
        assertThat(row.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
        // (60 * 150.01 + 20 * 158.00 + 0.20) / 80
        assertMoney(row.get("average_price"), "152.01");
        assertThat(entries(row.get("id"), "ESTIMATE")).isZero();
        assertThat(entries(row.get("id"), "AVERAGE_RESET")).isZero();
        assertThat(history(row.get("id"), "ADJUSTED")).singleElement()
                .satisfies(a -> assertThat(a.get("run_id")).isEqualTo(day3.runId()));
        assertThat(h.query("SELECT kind, subject FROM reconciliation_breaks WHERE resolved_at IS NULL")).isEmpty();
        assertThat(h.query("SELECT resolved_run_id FROM reconciliation_breaks"))
                .allSatisfy(b -> assertThat(b.get("resolved_run_id")).isEqualTo(day3.runId()));
    }

    // ---- example 9: a reverse split ----------------------------------------------------------------------------

    @Test
    void aReverseSplitRebasesWithoutRealizingAndTheNextSaleRealizesAgainstTheNewAverage() throws Exception {
        h.broker().setPosition(ACCOUNT, XYZ, dec("1000"), dec("15.01"));
        h.broker().setMarketPrice(XYZ, dec("15.00"));
        sync(); // first sight: 1000 at 15.01

        // 1:10 reverse split at the broker: no execution, the cost basis unchanged
        h.broker().setPosition(ACCOUNT, XYZ, dec("100"), dec("150.10"));
        h.broker().setMarketPrice(XYZ, dec("150.00"));
        SyncRunSummary splitting = sync();

        Map<String, Object> row = h.openRow(ACCOUNT, XYZ);
        assertThat(h.rows(ACCOUNT, XYZ)).hasSize(1);
        assertMoney(row.get("quantity"), "100");
        assertMoney(row.get("average_price"), "150.10");
        assertThat(row.get("realized_pnl")).isNull();
        assertThat(splitting.fills().estimated()).isZero();
        assertThat(history(row.get("id"), "SPLIT")).singleElement().satisfies(s -> {
            assertThat(s.get("run_id")).isEqualTo(splitting.runId());
            assertMoney(s.get("quantity_before"), "1000");
            assertMoney(s.get("quantity_after"), "100");
            assertThat(s.get("realized_pnl_delta")).isNull();
        });
        assertThat(entries(row.get("id"), "SPLIT")).isEqualTo(1);
        assertThat(entries(row.get("id"), "ESTIMATE")).isZero();
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks")).isZero();

        // possibly in the same whole second as the run that saw the split: the sale still comes after the split
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("100"), dec("151.09"), dec("1.00"));
        sync();

        assertThat(h.rows(ACCOUNT, XYZ)).singleElement().satisfies(r -> {
            assertThat(r.get("status")).isEqualTo("CLOSED");
            // (151.09 - 150.10) * 100 - 1.00
            assertMoney(r.get("realized_pnl"), "98.00");
            assertThat(r.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
        });
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks")).isZero();
    }

    // ---- the cross-checks: per execution, per day -------------------------------------------------------------

    @Test
    void aRealizedPnlMismatchOfOneExecutionIsResolvedByItsCorrectionNotByALaterAgreeingSale() throws Exception {
        sync();
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        Execution sale = h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("160.00"), dec("0.40"));
        h.simulator.faults().misreportRealizedPnl(sale.execId(), dec("5.00"));
        SyncRunSummary raising = sync();

        String subject = "exec:" + ExecIds.base(sale.execId());
        assertMoney(h.openRow(ACCOUNT, AAPL).get("realized_pnl"), "399.20");
        assertThat(breaks(AAPL, "REALIZED_PNL_MISMATCH")).singleElement().satisfies(b -> {
            assertThat(b.get("run_id")).isEqualTo(raising.runId());
            assertThat(b.get("subject")).isEqualTo(subject);
            assertMoney(b.get("ours"), "399.20");
            assertMoney(b.get("broker"), "404.20");
            assertThat(b.get("resolved_at")).isNull();
        });

        // a later sale IB agrees with: it resolves nothing, and raises nothing
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("30"), dec("161.00"), dec("0.30"));
        sync();
        assertMoney(h.openRow(ACCOUNT, AAPL).get("realized_pnl"), "728.60");
        assertThat(breaks(AAPL, "REALIZED_PNL_MISMATCH")).singleElement().satisfies(b -> {
            assertThat(b.get("subject")).isEqualTo(subject);
            assertThat(b.get("resolved_at")).isNull();
            assertThat(b.get("resolved_run_id")).isNull();
        });

        // the execution is corrected; IB's figure for the correction agrees with ours
        Execution corrected = h.broker().correctExecution(sale.execId(), dec("160.50"));
        SyncRunSummary correcting = sync();

        // (160.50 - 150.01) * 40 - 0.40 + (161.00 - 150.01) * 30 - 0.30
        assertMoney(h.openRow(ACCOUNT, AAPL).get("realized_pnl"), "748.60");
        assertThat(ExecIds.base(corrected.execId())).isEqualTo(ExecIds.base(sale.execId()));
        assertThat(breaks(AAPL, "REALIZED_PNL_MISMATCH")).singleElement().satisfies(b -> {
            assertThat(b.get("subject")).isEqualTo(subject);
            assertThat(b.get("resolved_run_id")).isEqualTo(correcting.runId());
            assertThat(b.get("resolved_at")).isNotNull();
        });
    }

    @Test
    void theDaysRealizedPnlDisagreeingWithUpdatePortfolioIsABreakUntilTheyAgreeAgain() throws Exception {
        sync();
        Execution buy = h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        h.simulator.faults().skewDailyRealizedPnl(ACCOUNT, AAPL, dec("7.00"));
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("160.00"), dec("0.40"));
        SyncRunSummary raising = sync();

        String subject = "day:" + LocalDate.ofInstant(buy.time(), ZoneOffset.UTC);
        assertMoney(h.openRow(ACCOUNT, AAPL).get("realized_pnl"), "399.20");
        assertThat(breaks(AAPL, "DAILY_REALIZED_PNL_MISMATCH")).singleElement().satisfies(b -> {
            assertThat(b.get("run_id")).isEqualTo(raising.runId());
            assertThat(b.get("subject")).isEqualTo(subject);
            assertMoney(b.get("ours"), "399.20");
            assertMoney(b.get("broker"), "406.20");
            assertThat(b.get("resolved_at")).isNull();
        });
        // per execution IB agrees: only the day disagrees
        assertThat(breaks(AAPL, "REALIZED_PNL_MISMATCH")).isEmpty();

        // the same disagreement at the next run: still the one break, still open
        sync();
        assertThat(breaks(AAPL, "DAILY_REALIZED_PNL_MISMATCH")).singleElement()
                .satisfies(b -> assertThat(b.get("resolved_at")).isNull());

        h.simulator.faults().skewDailyRealizedPnl(ACCOUNT, AAPL, null);
        SyncRunSummary agreeing = sync();

        assertThat(breaks(AAPL, "DAILY_REALIZED_PNL_MISMATCH")).singleElement()
                .satisfies(b -> assertThat(b.get("resolved_run_id")).isEqualTo(agreeing.runId()));
        assertThat(openBreaks()).isZero();
    }
}
